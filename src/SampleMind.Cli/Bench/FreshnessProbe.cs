using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SampleMind.Cli.Bench;

/// <summary>
/// Freshness: a probe user pays 1 on a day nothing else touches (one day per prober, years back); from the 2xx of
/// that event to the first <c>/api/kpis</c> answer whose daily revenue includes it, polled every 20 ms.
/// </summary>
internal static class FreshnessProbe
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(20);

    public static async Task<Latencies> RunAsync(HttpClient http, int probers, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new Latencies();
        var clock = Stopwatch.StartNew();
        var run = Guid.NewGuid().ToString("N")[..8];
        await Task.WhenAll(Enumerable.Range(0, probers).Select(ProbeAsync));
        return latencies;

        async Task ProbeAsync(int prober)
        {
            var day = new DateOnly(2001, 1, 1).AddDays(prober);
            var kpis = $"api/kpis?from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}";
            var baseline = await RevenueAsync(http, kpis, cancellationToken);
            for (var sent = 1; clock.Elapsed < duration && !cancellationToken.IsCancellationRequested; sent++)
            {
                var body = $$$"""
                    {"type":"track","event":"payment_succeeded","userId":"bench-fresh-{{{prober}}}","messageId":"bench-fresh-{{{run}}}-{{{prober}}}-{{{sent}}}",
                     "timestamp":"{{{day:yyyy-MM-dd}}}T12:00:00Z","properties":{"amount":1}}
                    """;
                using (var content = new StringContent(body, Encoding.UTF8, "application/json"))
                using (var response = await http.PostAsync("v1/track", content, cancellationToken))
                {
                    if (!response.IsSuccessStatusCode)
                    {
                        latencies.AddError();
                        await Task.Delay(s_poll, cancellationToken);
                        continue;
                    }
                }

                var acknowledged = clock.Elapsed;
                var expected = baseline + sent;
                while (await RevenueAsync(http, kpis, cancellationToken) < expected)
                {
                    if (clock.Elapsed - acknowledged > TimeSpan.FromSeconds(30))
                    {
                        throw new TimeoutException($"the KPI of {day:yyyy-MM-dd} did not show a payment within 30 s of its 2xx");
                    }
                    await Task.Delay(s_poll, cancellationToken);
                }
                latencies.Add((clock.Elapsed - acknowledged).TotalMilliseconds);
            }
        }
    }

    private static async Task<decimal> RevenueAsync(HttpClient http, string kpis, CancellationToken cancellationToken)
    {
        using var rows = await http.GetFromJsonAsync<JsonDocument>(kpis, cancellationToken)
            ?? throw new InvalidOperationException($"{kpis} answered null");
        return rows.RootElement.EnumerateArray().Sum(r => r.GetProperty("dailyRevenue").GetDecimal());
    }
}
