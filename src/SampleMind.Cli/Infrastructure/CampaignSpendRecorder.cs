using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SampleMind.Analytics.Simulation;

namespace SampleMind.Cli.Infrastructure;

/// <summary>
/// Records a simulated population's campaign spend (its ground truth: paying users × the seed's CAC of the channel)
/// through <c>POST /api/campaigns/{id}/spend</c>, so the demo's campaigns have a CAC and an ROI. The Idempotency-Key
/// names the population (seed, first user, users, days, end), so loading the same population again records nothing new.
/// </summary>
internal static class CampaignSpendRecorder
{
    public static async Task RecordAsync(Uri target, string apiKey, PopulationSimulator simulator, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(target.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var o = simulator.Options;
        var population = string.Create(CultureInfo.InvariantCulture, $"simulate:{o.Seed}:{o.StartUserIndex}:{o.Users}:{o.Days}:{o.Now:yyyy-MM-dd}");
        foreach (var campaign in simulator.GetGroundTruth().Campaigns.Where(c => c.Spend > 0))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/campaigns/{Uri.EscapeDataString(campaign.Campaign)}/spend")
            {
                Content = JsonContent.Create(new { amount = campaign.Spend }),
            };
            request.Headers.Add("Idempotency-Key", $"{population}:{campaign.Campaign}");
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                throw new CliException($"recording the spend of campaign {campaign.Campaign} failed: {ex.Message}");
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    throw new CliException($"recording the spend of campaign {campaign.Campaign} failed: {(int)response.StatusCode} {body}");
                }
            }
        }
    }
}
