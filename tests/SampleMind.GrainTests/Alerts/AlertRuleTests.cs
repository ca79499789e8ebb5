using SampleMind.Alerts;
using SampleMind.Analytics.Alerts;
using SampleMind.Campaigns;
using SampleMind.Users;

namespace SampleMind.GrainTests.Alerts;

/// <summary>
/// Issue 7, "Must show": each seed alert fires on a constructed scenario and resolves when the condition clears; both
/// transitions are in the alert log and reach the webhook (which fails each first attempt) once per idempotency key.
/// </summary>
[Collection(AlertClusterCollection.Name)]
public sealed class AlertRuleTests(GrowthClusterFixture fixture)
{
    private readonly Dictionary<string, EventBuilder> _builders = [];

    private DateTimeOffset Now => fixture.Time.GetUtcNow();

    [Fact]
    public async Task ErrorRate_FiresAboveFivePercent_AndResolves_WhenMoreGoodAnalysesLowerIt()
    {
        var at = Now.AddMinutes(-2);
        // 30 analyses of one version, 3 failed: 0.1 > 0.05.
        await IngestAsync("er", 10, (events, i) => Enumerable.Range(0, 3).Select(a => events.Track("analysis_completed", at.AddSeconds(a),
            new { model = "alert_model", model_version = "9.9", processing_time_ms = 500, error = i == 0 })));

        // It may fire on a partial flush (e.g. 3 of 24); the value follows while firing, so wait for all 30.
        var fired = await WaitForAsync(AlertRuleNames.ErrorRate, "alert_model@9.9", "firing", 0.1m);
        Assert.Equal((AlertSeverities.Critical, 0.1m, 0.05m), (fired.Severity, fired.Value, fired.Threshold));

        // 60 more good ones: 3 of 90.
        await IngestAsync("er-more", 10, (events, _) => Enumerable.Range(0, 6).Select(a => events.Track("analysis_completed", at.AddSeconds(30 + a),
            new { model = "alert_model", model_version = "9.9", processing_time_ms = 500, error = false })));

        // It resolves on the first flush that takes the rate to 5 % or below: 3 of 61…90 analyses, depending on how the
        // 60 good ones are split across flushes (all in one: 3 of 90).
        var resolved = await WaitForAsync(AlertRuleNames.ErrorRate, "alert_model@9.9", "resolved");
        Assert.Equal(fired.Id, resolved.Id);
        Assert.Contains(resolved.Value, Enumerable.Range(60, 31).Select(n => Math.Round(3m / n, 6)));
        await AssertDeliveredOnceAsync(resolved);
    }

    [Fact]
    public async Task PaymentFailures_FireAboveTenInFiveMinutes_AndResolve_WhenTheWindowPasses()
    {
        var at = Now.AddMinutes(-1);
        await IngestAsync("pf", 11, (events, i) => [events.Track("payment_failed", at.AddSeconds(i), new { amount = 9.99 })]);

        var fired = await WaitForAsync(AlertRuleNames.PaymentFailures, AlertSignals.All, "firing");
        Assert.Equal((AlertSeverities.Critical, 11m, 10m), (fired.Severity, fired.Value, fired.Threshold));

        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var resolved = await WaitForAsync(AlertRuleNames.PaymentFailures, AlertSignals.All, "resolved");
        Assert.Equal((fired.Id, 0m), (resolved.Id, resolved.Value));
        await AssertDeliveredOnceAsync(resolved);
    }

    [Fact]
    public async Task DailyChurn_FiresAboveOneAndAHalfTimesTheTrailingAverage_AndResolves_WhenLateCancellationsRaiseTheAverage()
    {
        var today = new DateTimeOffset(Now.UtcDateTime.Date, TimeSpan.Zero);
        // One cancellation on each of the 7 days before today, three today: 3 > 1.5 × 1.
        await IngestAsync("dc-past", 7, (events, i) => [events.Track("subscription_canceled", today.AddDays(-1 - i).AddHours(9), new { plan = "pro", amount = 34.99 })]);
        await IngestAsync("dc-today", 3, (events, i) => [events.Track("subscription_canceled", today.AddHours(1 + i), new { plan = "pro", amount = 34.99 })]);

        var fired = await WaitForAsync(AlertRuleNames.DailyChurn, AlertSignals.All, "firing");
        Assert.Equal((AlertSeverities.Warning, 3m, 1.5m), (fired.Severity, fired.Value, fired.Threshold));

        // Two late cancellations on each past day: the average is 3, the limit 4.5.
        await IngestAsync("dc-late", 14, (events, i) => [events.Track("subscription_canceled", today.AddDays(-1 - i / 2).AddHours(10), new { plan = "pro", amount = 34.99 })]);

        var resolved = await WaitForAsync(AlertRuleNames.DailyChurn, AlertSignals.All, "resolved");
        Assert.Equal((fired.Id, 3m), (resolved.Id, resolved.Value));
        await AssertDeliveredOnceAsync(resolved);
    }

    [Fact]
    public async Task Cac_FiresAboveSixtyDollars_AndResolves_WhenAnotherConversionLowersIt()
    {
        const string campaign = "alert-cac-campaign";
        var at = Now.AddDays(-2);
        await IngestAsync("cac", 2, (events, _) => Converting(events, campaign, at));
        await TestSupport.EventuallyAsync(async () =>
            (await fixture.Client.GetGrain<ICampaignGrain>(campaign).GetAsync())?.Conversions == 2 ? null : "two conversions not applied yet");

        await fixture.Client.GetGrain<ICampaignGrain>(campaign).AddSpendAsync(130m, null, "cac-spend");

        var fired = await WaitForAsync(AlertRuleNames.Cac, campaign, "firing");
        Assert.Equal((AlertSeverities.Warning, 65m, 60m), (fired.Severity, fired.Value, fired.Threshold));

        await IngestAsync("cac-third", 1, (events, _) => Converting(events, campaign, at));

        var resolved = await WaitForAsync(AlertRuleNames.Cac, campaign, "resolved");
        Assert.Equal((fired.Id, 43.333333m), (resolved.Id, resolved.Value));
        await AssertDeliveredOnceAsync(resolved);
    }

    [Fact]
    public async Task FeatureAdoption_FiresBelowTenPercentAWeekAfterLaunch_AndResolves_WhenMoreUsersAdoptIt()
    {
        var day = new DateTimeOffset(GrowthClusterFixture.Launch.AddDays(7).ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero);
        // 20 active users that day, one uses the feature: 0.05 < 0.1.
        await IngestAsync("fa", 20, (events, i) => i == 0
            ? [events.Track("login", day), events.Track("feature_used", day.AddMinutes(5), new { feature = GrowthClusterFixture.LaunchedFeature })]
            : [events.Track("login", day)]);

        // It may fire on a partial flush (fewer users applied); a firing alert follows the latest value.
        var fired = await WaitForAsync(AlertRuleNames.FeatureAdoption, GrowthClusterFixture.LaunchedFeature, "firing", 0.05m);
        Assert.Equal((AlertSeverities.Info, 0.05m, 0.1m), (fired.Severity, fired.Value, fired.Threshold));

        // Two more of the same users adopt it that day: 3 of 20.
        await IngestAsync("fa", 3, (events, i) => i == 0 ? [] : [events.Track("feature_used", day.AddMinutes(10), new { feature = GrowthClusterFixture.LaunchedFeature })]);

        var resolved = await WaitForAsync(AlertRuleNames.FeatureAdoption, GrowthClusterFixture.LaunchedFeature, "resolved");
        Assert.Equal((fired.Id, 0.15m), (resolved.Id, resolved.Value));
        await AssertDeliveredOnceAsync(resolved);
    }

    private static IEnumerable<string> Converting(EventBuilder events, string campaign, DateTimeOffset at) =>
    [
        events.Identify(at, new { plan = "pro", campaign }),
        events.Track("payment_succeeded", at.AddMinutes(1), new { amount = 34.99 }),
    ];

    /// <summary>Ingests <paramref name="users"/> users "{prefix}-{i}", each with the events <paramref name="build"/> gives.</summary>
    private async Task IngestAsync(string prefix, int users, Func<EventBuilder, int, IEnumerable<string>> build)
    {
        var batches = Enumerable.Range(0, users).Select(i =>
        {
            var id = $"{prefix}-{i}";
            var events = _builders.TryGetValue(id, out var b) ? b : _builders[id] = new EventBuilder(id);
            return (Id: id, Events: build(events, i).Select(TestSupport.ToEvent).ToArray());
        }).Where(u => u.Events.Length > 0).ToList();
        await Task.WhenAll(batches.Select(u => fixture.Client.GetGrain<IUserGrain>(u.Id).IngestAsync(u.Events)));
    }

    /// <summary>Judges the rules (the monitor's timer runs on the fake clock) until the newest alert of (rule, subject) is in <paramref name="state"/>.</summary>
    private async Task<AlertView> WaitForAsync(string rule, string subject, string state, decimal? value = null)
    {
        AlertView? found = null;
        await TestSupport.EventuallyAsync(async () =>
        {
            await fixture.Client.GetGrain<IAlertMonitorGrain>(IAlertMonitorGrain.Key).EvaluateAsync();
            var alerts = await fixture.Client.GetGrain<IAlertLogGrain>(0).ListAsync(null, 1000);
            found = alerts.FirstOrDefault(a => a.Rule == rule && a.Subject == subject);
            return found?.State == state && (value is null || found.Value == value)
                ? null
                : $"{rule}/{subject}: newest is {found?.State ?? "none"} at {found?.Value}, not {state} at {value}";
        });
        Assert.NotNull(found);
        var listed = await fixture.Client.GetGrain<IAlertLogGrain>(0).ListAsync(state, 1000);
        Assert.Contains(listed, a => a.Id == found.Id);
        Assert.DoesNotContain(await fixture.Client.GetGrain<IAlertLogGrain>(0).ListAsync(state == "firing" ? "resolved" : "firing", 1000), a => a.Id == found.Id);
        return found;
    }

    /// <summary>Both transitions reached the receiver: first attempt refused (503), the retry accepted, nothing more.</summary>
    private async Task AssertDeliveredOnceAsync(AlertView resolved)
    {
        foreach (var state in new[] { "firing", "resolved" })
        {
            var key = $"alert-{resolved.Id}-{state}";
            await TestSupport.EventuallyAsync(() => Task.FromResult(fixture.Receiver.Accepted.ContainsKey(key) ? null : $"{key} not delivered"));
            var calls = fixture.Receiver.Calls.Where(c => c.IdempotencyKey == key).ToList();
            Assert.Equal([503, 200], calls.Select(c => c.Status));
            Assert.Equal((state, resolved.Rule, "alert"), (calls[1].Body.GetProperty("state").GetString(), calls[1].Body.GetProperty("rule").GetString(), calls[1].Kind));
        }
    }
}
