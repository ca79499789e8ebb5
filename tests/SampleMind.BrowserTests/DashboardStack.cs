using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SampleMind.IntegrationTests.Infrastructure;
using SampleMind.IntegrationTests.Processes;

namespace SampleMind.BrowserTests;

/// <summary>
/// A real silo and client-api (child processes, throwaway database) with a few users active today, and headless
/// Chromium (Debian's, driven by Playwright). client-api gives the page the read key on loopback, as the local stack does.
/// </summary>
public sealed class DashboardStack : IAsyncLifetime
{
    /// <summary>Users with 70 days of history ending now, so they have segments, risk factors and revenue.</summary>
    public static readonly string[] SeededUsers = ["browser-u1", "browser-u2", "browser-u3"];

    private ProcessCluster? _cluster;
    private IPlaywright? _playwright;

    public HostProcess ClientApi { get; private set; } = null!;

    /// <summary>The silo's Orleans dashboard, which the page links to.</summary>
    public string OrleansDashboardUrl { get; private set; } = "";

    public HttpClient Http { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string Today { get; } = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _cluster = await ProcessCluster.CreateAsync(ct);
        var silo = _cluster.StartSilo("silo", SiloPorts.Free());
        OrleansDashboardUrl = $"{silo.BaseAddress.ToString().TrimEnd('/')}/dashboard";
        ClientApi = _cluster.StartClientApi(settings: new Dictionary<string, string?>
        {
            ["Auth__LoopbackDashboardKey"] = TestApiKeys.Read,
            ["Dashboard__OrleansDashboardUrl"] = OrleansDashboardUrl,
        });
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        await ClientApi.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        Http = TestApiKeys.Client(ClientApi.BaseAddress, TimeSpan.FromSeconds(30), TestApiKeys.Read);

        var now = DateTimeOffset.UtcNow;
        await IngestAsync(SeededUsers.SelectMany((user, i) => EventBuilder.RealisticHistory(user, seed: 11 + i, now)), ct);
        // Today: a campaign's signup and payment, so the day's signups, revenue, ARPU and conversion are not zero
        // and the campaign chart has a row.
        var today = new EventBuilder("browser-today");
        await IngestAsync(
        [
            today.Identify(now.AddSeconds(-40), new { campaign = "browser_search" }),
            today.Track("signup_started", now.AddSeconds(-30)),
            today.Track("payment_succeeded", now.AddSeconds(-20), new { amount = 19.99 }),
        ], ct);
        var row = await Eventually.GetAsync(() => KpiTodayAsync(ct), r => r["newSignups"]!.GetValue<int>() >= 1 && r["dailyRevenue"]!.GetValue<decimal>() >= 19.99m);
        Assert.True(row["newSignups"]!.GetValue<int>() >= 1, $"today's KPI row never showed the seeded signup: {row}\n{_cluster.DescribeAll()}");
        var campaigns = await Eventually.GetAsync(() => GetAsync("/api/campaigns", ct), c => c.AsArray().Count > 0);
        Assert.True(campaigns.AsArray().Count > 0, "the seeded campaign never appeared in /api/campaigns");

        _playwright = await Playwright.CreateAsync();
        Browser = await HeadlessChromium.LaunchAsync(_playwright);
    }

    /// <summary>POST /v1/batch with the write key; the events are durable when it returns.</summary>
    public async Task IngestAsync(IEnumerable<string> events, CancellationToken cancellationToken)
    {
        var body = $"{{\"batch\":[{string.Join(',', events)}]}}";
        using var response = await Http.PostAsync("/v1/batch", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    /// <summary>The KPI day rows of the last 30 days, as the API serves them (the oracle for the tiles).</summary>
    public async Task<JsonArray> KpiDaysAsync(CancellationToken cancellationToken)
    {
        var from = DateOnly.ParseExact(Today, "yyyy-MM-dd", CultureInfo.InvariantCulture).AddDays(-29).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return JsonNode.Parse(await Http.GetStringAsync($"/api/kpis?from={from}&to={Today}", cancellationToken))!.AsArray();
    }

    public async Task<JsonNode> KpiTodayAsync(CancellationToken cancellationToken)
        => (await KpiDaysAsync(cancellationToken))[^1]!;

    public async Task<JsonNode> GetAsync(string path, CancellationToken cancellationToken)
        => JsonNode.Parse(await Http.GetStringAsync(path, cancellationToken))!;

    public string Describe() => _cluster?.DescribeAll() ?? "";

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

/// <summary>A page with every console error and uncaught exception recorded.</summary>
public sealed class WatchedPage(IPage page) : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    public IPage Page { get; } = page;

    public IReadOnlyList<string> Errors
    {
        get { lock (_errors) { return [.. _errors]; } }
    }

    /// <summary>Opens the dashboard in a new page; <paramref name="headers"/> go with every request of the page.</summary>
    public static async Task<WatchedPage> OpenAsync(DashboardStack stack, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var page = await stack.Browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 1800 },
            ExtraHTTPHeaders = headers,
        });
        var watched = new WatchedPage(page);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                watched.Record($"console: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => watched.Record($"page error: {error}");
        await page.GotoAsync(stack.ClientApi.BaseAddress.ToString());
        return watched;
    }

    private void Record(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }

    /// <summary>A full-page screenshot attached to the test: the test platform keeps it in the results directory (TestResults).</summary>
    public async Task ScreenshotAsync(string name)
        => TestContext.Current.AddAttachment(name, await Page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true }), "image/png");

    public ValueTask DisposeAsync() => new(Page.CloseAsync());
}
