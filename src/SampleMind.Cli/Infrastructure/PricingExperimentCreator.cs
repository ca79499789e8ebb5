using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SampleMind.Analytics.Simulation;

namespace SampleMind.Cli.Infrastructure;

/// <summary>
/// Creates the simulator's pricing experiment through <c>POST /api/experiments</c> before its events are sent, starting
/// at the simulated window's start (so the history's exposures count). Created or already there with the same
/// definition: fine; another definition under the key: a clear error.
/// </summary>
internal static class PricingExperimentCreator
{
    public static async Task CreateAsync(Uri target, string apiKey, SimulationPricingTest pricing, DateTimeOffset startAt, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(target.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var definition = pricing.Definition;
        var body = new
        {
            key = definition.Key,
            variants = definition.Variants.Select(v => new { name = v.Name, weight = v.Weight, price = v.Price }),
            metric = new { @event = definition.Metric.Event, withinDays = definition.Metric.WithinDays },
            startAt,
        };
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync("api/experiments", body, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"creating the pricing experiment {definition.Key} failed: {ex.Message}");
        }
        using (response)
        {
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
            {
                throw new CliException($"creating the pricing experiment {definition.Key} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
    }
}
