using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SampleMind.IntegrationTests.Processes;
using static Microsoft.Playwright.Assertions;

namespace SampleMind.BrowserTests;

/// <summary>
/// Issue 8, "Must show": the dashboard in headless Chromium against a real silo and client-api — no console errors,
/// tiles equal to the API, a tile that changes within 3 s of an ingested event, and the user lookup.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class DashboardPageTests(DashboardStack stack) : IClassFixture<DashboardStack>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    /// <summary>Tile id, the KPI row field it shows (null: MRR, the sum of the 30 days' revenue), and its display unit.</summary>
    private static readonly (string Tile, string? Field, decimal Unit)[] Tiles =
    [
        ("dau", "dau", 1m), ("wap", "wap", 1m), ("signups", "newSignups", 1m), ("revenue", "dailyRevenue", 0.01m),
        ("mrr", null, 0.01m), ("arpu", "arpu", 0.01m), ("conversion", "conversionRate", 0.001m), ("quality", "qualityScore", 0.01m),
    ];

    [Fact]
    public async Task Page_LoadsWithoutConsoleErrors_AndItsTilesEqualTheApi()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var page = await WatchedPage.OpenAsync(stack);
        await Expect(page.Page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });

        // The tiles follow the grains within a second or two; poll until they agree (or the bound passes), then assert.
        List<string> differences = [];
        var deadline = Stopwatch.StartNew();
        do
        {
            differences = await CompareTilesAsync(page.Page, await stack.KpiDaysAsync(ct));
            if (differences.Count == 0)
            {
                break;
            }
            await Task.Delay(250, ct);
        }
        while (deadline.Elapsed < Settle);

        Assert.True(differences.Count == 0, string.Join('\n', differences));
        // Today's seeded signup and payment are on screen, not zeros.
        Assert.NotEqual("0", await page.Page.Locator("#tile-signups").TextContentAsync());
        Assert.StartsWith("$", await page.Page.Locator("#tile-revenue").TextContentAsync(), StringComparison.Ordinal);
        // Charts the live stream feeds are drawn (ECharts renders into a canvas).
        foreach (var chart in new[] { "#chart-activity", "#chart-funnel-activation", "#chart-funnel-monetization", "#chart-models", "#chart-cohorts", "#chart-campaigns" })
        {
            await Expect(page.Page.Locator($"{chart} canvas").First).ToBeVisibleAsync();
        }
        // Segments and risk are polled every 10 s from their own APIs (the user index fills in behind the grains).
        foreach (var chart in new[] { "#chart-segments", "#chart-risk" })
        {
            await Expect(page.Page.Locator($"{chart} canvas").First).ToBeVisibleAsync(new() { Timeout = 25_000 });
        }
        await page.ScreenshotAsync("dashboard.png");
        Assert.Equal(stack.OrleansDashboardUrl, await page.Page.Locator("#link-orleans").GetAttributeAsync("href"));
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task ExperimentsPanel_ShowsEachVariantsExposuresAndRate_AsTheApiDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var growth = TestApiKeys.Client(stack.ClientApi.BaseAddress, TimeSpan.FromSeconds(30), TestApiKeys.Growth);
        using (var created = await growth.PostAsync("/api/experiments", new StringContent("""
            {"key":"dash-exp","variants":[{"name":"control","weight":1},{"name":"treatment","weight":1}],"metric":{"event":"trial_started","withinDays":7}}
            """, System.Text.Encoding.UTF8, "application/json"), ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }
        for (var i = 0; i < 40; i++)
        {
            using var assigned = await growth.GetAsync($"/api/experiments/dash-exp/assignment?userId=dash-{i}", ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, assigned.StatusCode);
        }
        await using var page = await WatchedPage.OpenAsync(stack);
        await Expect(page.Page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });

        var view = await Eventually(async () => await stack.GetAsync("/api/experiments/dash-exp", ct),
            v => Task.FromResult(v["variants"]!.AsArray().Sum(x => x!["exposed"]!.GetValue<long>()) == 40));
        Assert.Equal(40, view["variants"]!.AsArray().Sum(x => x!["exposed"]!.GetValue<long>()));
        foreach (var variant in view["variants"]!.AsArray())
        {
            var row = page.Page.Locator($"#experiments-table tr[data-experiment='dash-exp'][data-variant='{variant!["name"]!.GetValue<string>()}'] td");
            await Expect(row.Nth(2)).ToHaveTextAsync(variant["exposed"]!.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture), new() { Timeout = 10_000 });
            await Expect(row.Nth(3)).ToHaveTextAsync("0.0%");
            await Expect(row.Nth(4)).ToHaveTextAsync(variant["name"]!.GetValue<string>() == "control" ? "control" : "–"); // no variance yet: no test
            await Expect(row.Nth(5)).ToHaveTextAsync(variant["name"]!.GetValue<string>() == "control" ? "–" : "1");
        }
        await Expect(page.Page.Locator("#chart-experiments canvas").First).ToBeVisibleAsync();
        await page.ScreenshotAsync("experiments.png");
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task FeaturesTable_ShowsEachAdoptionWeek_AsTheApiDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        // Six adopters of a feature of its own (k = 5: shown to the read key), 12 uses, two of them paying 10.
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        await stack.IngestAsync(Enumerable.Range(0, 6).SelectMany(i =>
        {
            var person = new EventBuilder($"dash-feat-{i}");
            var events = Enumerable.Range(0, 1 + i % 3).Select(k => person.Track("feature_used", at.AddSeconds(k), new { feature = "dash-mixer" })).ToList();
            if (i < 2)
            {
                events.Add(person.Track("payment_succeeded", at.AddSeconds(10), new { amount = 10 }));
            }
            return events;
        }), ct);
        await using var page = await WatchedPage.OpenAsync(stack);
        await Expect(page.Page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });

        var row = await Eventually(async () => await stack.GetAsync("/api/features/dash-mixer", ct),
            r => Task.FromResult(r["adopters"]?.GetValue<long>() == 6 && r["adopterRevenue"]?.GetValue<decimal>() == 20m));
        var week = Assert.Single(row["weeks"]!.AsArray())!;
        Assert.Equal((6L, 12L, 2m, 20m), (week["adopters"]!.GetValue<long>(), week["uses"]!.GetValue<long>(),
            week["averageUsage"]!.GetValue<decimal>(), week["featureValue"]!.GetValue<decimal>()));

        // Polled every 10 s; the table row says what the API says (a figure withheld for a small group is a dash).
        var cells = page.Page.Locator($"#features-table tr[data-feature='dash-mixer'][data-week='{week["adoptionWeek"]!.GetValue<string>()}'] td");
        await Expect(cells.Nth(2)).ToHaveTextAsync("6", new() { Timeout = 25_000 });
        string[] expected =
        [
            "dash-mixer", week["adoptionWeek"]!.GetValue<string>(), "6", "2", "0.0%",
            week["nonAdopterRetention"] is { } others ? $"{others.GetValue<decimal>() * 100:0.0}%" : "–",
        ];
        for (var i = 0; i < expected.Length; i++)
        {
            await Expect(cells.Nth(i)).ToHaveTextAsync(expected[i]);
        }
        await Expect(cells.Nth(7)).ToHaveTextAsync("$20.00");
        await Expect(cells.Nth(8)).ToHaveTextAsync("$3.33");
        await Expect(cells.Nth(9)).ToHaveTextAsync("$20.00");
        await page.ScreenshotAsync("features.png");
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task Tile_ChangesOnScreen_Within3Seconds_OfAnIngestedEvent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var page = await WatchedPage.OpenAsync(stack);
        var signups = page.Page.Locator("#tile-signups");
        await Expect(page.Page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });
        // Wait for the tile to show the API's count, so the change below is the new event's alone.
        var before = (await Eventually(async () => (await stack.KpiTodayAsync(ct))["newSignups"]!.GetValue<int>(),
            async expected => await signups.TextContentAsync() == expected.ToString("N0", CultureInfo.InvariantCulture)));

        var user = new EventBuilder($"browser-live-{Guid.NewGuid():N}");
        await stack.IngestAsync([user.Track("signup_started", DateTimeOffset.UtcNow)], ct);
        var ingested = Stopwatch.StartNew();

        await Expect(signups).ToHaveTextAsync((before + 1).ToString("N0", CultureInfo.InvariantCulture), new() { Timeout = 3_000 });
        TestContext.Current.TestOutputHelper?.WriteLine($"signups tile changed {ingested.ElapsedMilliseconds} ms after the ingest was acknowledged");
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task UserLookup_ShowsTheUsersRiskFactorsActionsAnd360View()
    {
        var ct = TestContext.Current.CancellationToken;
        var userId = DashboardStack.SeededUsers[0];
        await using var page = await WatchedPage.OpenAsync(stack);
        await Expect(page.Page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });

        await page.Page.Locator("#lookup-id").FillAsync(userId);
        await page.Page.Locator("#lookup-form button").ClickAsync();
        await Expect(page.Page.Locator("#lookup-result")).ToBeVisibleAsync(new() { Timeout = 10_000 });

        var user = await stack.GetAsync($"/api/users/{userId}", ct);
        var risk = user["risk"]!;
        Assert.Equal(risk["level"]!.GetValue<string>(), await page.Page.Locator("#user-risk-level").TextContentAsync());
        Assert.Equal($"(score {risk["score"]!.GetValue<double>().ToString("0.000", CultureInfo.InvariantCulture)})", await page.Page.Locator("#user-risk-score").TextContentAsync());
        Assert.Equal(user["segment"]!.GetValue<string>(), await page.Page.Locator("#user-segment").TextContentAsync());
        Assert.Equal(risk["factors"]!.AsArray().Select(f => f!["feature"]!.GetValue<string>()),
            await page.Page.Locator("#user-factors tr td:first-child").AllTextContentsAsync());
        Assert.Equal(risk["actions"]!.AsArray().Select(a => a!.GetValue<string>()), await page.Page.Locator("#user-actions li").AllTextContentsAsync());
        var profile = await page.Page.Locator("#user-profile dd").AllTextContentsAsync();
        Assert.Equal(userId, profile[0]);
        Assert.Contains(user["eventsApplied"]!.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture), profile);
        Assert.NotEmpty(risk["factors"]!.AsArray());
        await page.ScreenshotAsync("dashboard-user-lookup.png");
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task Page_AsksForAKey_WhenNotOpenedOnThisMachine_AndWorksWithAReadKey()
    {
        await using var page = await WatchedPage.OpenAsync(stack, new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.7" });
        var dialog = page.Page.Locator("#key-dialog");
        await Expect(dialog).ToBeVisibleAsync(new() { Timeout = 10_000 });

        await page.Page.Locator("#key-input").FillAsync(TestApiKeys.Read);
        await page.Page.Locator("#key-form button").ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });
        await Expect(page.Page.Locator("#tile-dau")).Not.ToHaveTextAsync("–");
        Assert.Empty(page.Errors);
    }

    [Theory]
    [InlineData(null, null, TestApiKeys.Read)]
    [InlineData("dashboard.example.com", null, null)]
    [InlineData(null, "203.0.113.7", null)]
    public async Task DashboardConfig_GivesTheLoopbackKey_OnlyToThisMachine(string? host, string? forwardedFor, string? expectedKey)
    {
        using var http = new HttpClient { BaseAddress = stack.ClientApi.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/config");
        if (host is not null)
        {
            request.Headers.Host = host;
        }
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var config = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(expectedKey, config["apiKey"]?.GetValue<string>());
        Assert.Equal(stack.OrleansDashboardUrl, config["orleansDashboardUrl"]!.GetValue<string>());
    }

    /// <summary>Every tile against the API's figures: equal to the unit shown (whole numbers, cents, a tenth of a percent).</summary>
    private static async Task<List<string>> CompareTilesAsync(IPage page, JsonArray days)
    {
        var today = days[^1]!;
        var differences = new List<string>();
        foreach (var (tile, field, unit) in Tiles)
        {
            var expected = field is null
                ? days.Sum(d => d!["dailyRevenue"]!.GetValue<decimal>())
                : today[field]?.GetValue<decimal>();
            var text = (await page.Locator($"#tile-{tile}").TextContentAsync())?.Trim() ?? "";
            var shown = ParseTile(text);
            var equal = expected is null ? shown is null : shown is { } s && Math.Abs(s - expected.Value) <= unit / 2;
            if (!equal)
            {
                differences.Add($"tile {tile} shows '{text}', the API says {expected?.ToString(CultureInfo.InvariantCulture) ?? "null"}");
            }
        }
        return differences;
    }

    /// <summary>"1,234" → 1234, "$1,234.50" → 1234.50, "12.5%" → 0.125, "–" → null.</summary>
    private static decimal? ParseTile(string text)
    {
        if (text == "–")
        {
            return null;
        }
        var percent = text.EndsWith('%');
        var number = decimal.Parse(text.Replace("$", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal).TrimEnd('%'), CultureInfo.InvariantCulture);
        return percent ? number / 100 : number;
    }

    /// <summary>Reads a value until the page agrees with it (or the bound passes) and returns the last value read.</summary>
    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, Task<bool>> shown)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (await shown(value) || deadline.Elapsed > Settle)
            {
                return value;
            }
            await Task.Delay(200);
        }
    }
}
