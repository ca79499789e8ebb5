using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using SampleMind.IntegrationTests.Infrastructure;
using SampleMind.IntegrationTests.Processes;
using SampleMind.Testing;
using static Microsoft.Playwright.Assertions;

namespace SampleMind.BrowserTests;

/// <summary>
/// A real silo and client-api with <c>Revenue:Source = stripe</c>, fed the simulated month of subscription webhooks
/// (SimulatedStripeMonth) ending today, and headless Chromium.
/// </summary>
public sealed class StripeDashboardStack : IAsyncLifetime
{
    private const string Secret = "whsec_test_dashboard";
    private ProcessCluster? _cluster;
    private IPlaywright? _playwright;

    public HostProcess ClientApi { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Day 1 of the simulated month: 29 days before today, so its last day is today.</summary>
    public DateTimeOffset Start { get; } = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-29);

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _cluster = await ProcessCluster.CreateAsync(ct);
        var silo = _cluster.StartSilo("silo", SiloPorts.Free(), new Dictionary<string, string?> { ["Revenue__Source"] = "stripe" });
        ClientApi = _cluster.StartClientApi(settings: new Dictionary<string, string?>
        {
            ["Auth__LoopbackDashboardKey"] = TestApiKeys.Read,
            ["Stripe__WebhookSecret"] = Secret,
            ["Revenue__Source"] = "stripe",
        });
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), ClientApi.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        Http = TestApiKeys.Client(ClientApi.BaseAddress, TimeSpan.FromSeconds(30), TestApiKeys.Read);

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payloads = SimulatedStripeMonth.Changes(Start) // the last change is on day 27: all are in the past
            .Select(c => StripeEvents.Subscription(c.EventId, c.Type, c.Created, c.Spec with { UserId = c.Person }));
        foreach (var payload in payloads)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeEvents.Sign(payload, Secret, now));
            using var response = await Http.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(ct));
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await HeadlessChromium.LaunchAsync(_playwright);
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        Http?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>Issue 15.6: the MRR movements chart (stacked bars + MRR line) and the MRR tile showing Stripe's MRR.</summary>
[Collection(ProcessCollection.Name)]
public sealed class MrrDashboardPageTests(StripeDashboardStack stack) : IClassFixture<StripeDashboardStack>
{
    [Fact]
    public async Task MrrTileAndMovementsChart_ShowStripesMrr_AsTheApiDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = today.AddDays(-29).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // The API's rows once the rollups have flushed every webhook (MRR at the end of today = the people's MRR now).
        var api = await Eventually.GetAsync(
            async () => JsonDocument.Parse(await stack.Http.GetStringAsync($"/api/revenue/mrr?from={from}&to={to}", ct)).RootElement.Clone(),
            rows => rows[29].GetProperty("mrr").GetDecimal() == 286.33m && rows[29].GetProperty("customers").GetInt32() == 6);
        var mrr = api[29].GetProperty("mrr").GetDecimal();
        Assert.Equal(286.33m, mrr); // the independent computation's MRR at the end of the month (StripeMrrProcessTests)

        var page = await stack.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1800 } });
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors) { errors.Add(message.Text); }
            }
        };
        page.PageError += (_, error) => { lock (errors) { errors.Add(error); } };
        await page.GotoAsync(stack.ClientApi.BaseAddress.ToString());
        await Expect(page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });

        var expectedTile = "$" + mrr.ToString("#,##0.00", CultureInfo.InvariantCulture);
        await Expect(page.Locator("#tile-mrr")).ToHaveTextAsync(expectedTile, new() { Timeout = 15_000 });
        await Expect(page.Locator("#tile-mrr-note")).ToHaveTextAsync("Stripe subscriptions");
        await Expect(page.Locator("#chart-mrr canvas").First).ToBeVisibleAsync();

        // What the chart draws equals the API: five stacked movement series and the MRR line, day by day.
        var expected = string.Join("|", new[] { "new", "expansion", "reactivation", "contraction", "churn", "mrr" }
            .Select(f => string.Join(",", api.EnumerateArray().Select(r => ((double)r.GetProperty(f).GetDecimal()).ToString(CultureInfo.InvariantCulture)))));
        var drawn = "";
        for (var attempt = 0; attempt < 40 && drawn != expected; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(250, ct);
            }
            drawn = await page.EvaluateAsync<string>("""
                () => state.charts.get('chart-mrr').getOption().series.map((s) => s.data.map((v) => String(v)).join(',')).join('|')
                """);
        }
        Assert.Equal(expected, drawn);
        var stacks = await page.EvaluateAsync<string>("() => state.charts.get('chart-mrr').getOption().series.map((s) => `${s.type}:${s.stack ?? ''}`).join(' ')");
        Assert.Equal("bar:movements bar:movements bar:movements bar:movements bar:movements line:", stacks);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-mrr.png"), FullPage = true });
        Assert.Empty(errors);
        await page.CloseAsync();
    }
}
