using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Privacy;
using SampleMind.IntegrationTests.Infrastructure;
using SampleMind.IntegrationTests.Processes;

namespace SampleMind.IntegrationTests.Privacy;

/// <summary>
/// Issue 17.4 with real processes (a silo, client-api, the CLI, PostgreSQL of its own) and the default policy (raw
/// events 730 days cut back to a Monday, financial 7 years, inactive 90 days → erased): a log with backdated events —
/// raw ones older than the horizon and inside it, financial ones older than 2 years and older than 7, a person inactive
/// for 120 days, a bystander. <c>samplemind retention run --dry-run</c> counts and deletes nothing; the run deletes
/// exactly the expired rows per class and erases the inactive person (404, no row left); the old days' KPI rows do not
/// change; after a kill -9 the trimmed person's grain comes back with the same state from its snapshot and refuses a
/// retried trimmed message; reconcile finds no difference; a second run removes nothing.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class RetentionProcessTests(ITestOutputHelper output)
{
    private const string Active = "ret-active";
    private const string Inactive = "ret-inactive";
    private const string Bystander = "ret-bystander";

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>The cut-offs the silo computes with the default options (the run happens within minutes of <see cref="Now"/>).</summary>
    private static readonly RetentionCutoffs Cutoffs = RetentionPolicy.CutoffsAt(Now, 730, 2_557, 90);

    /// <summary>A day 100 days before the raw-event horizon (older than 2 years, well inside 7).</summary>
    private static readonly DateTimeOffset Old = RetentionCutoffs.Start(Cutoffs.AnalyticsBefore).AddDays(-100).AddHours(10);

    /// <summary>Older than the financial horizon (8 years).</summary>
    private static readonly DateTimeOffset VeryOld = Now.AddDays(-2_922).Date.AddHours(9);

    [Fact]
    public async Task RetentionRun_DeletesExactlyTheExpiredRows_ErasesTheInactive_AndKeepsTheOldDaysFigures()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var ports = SiloPorts.Free();
        var silo = cluster.StartSilo("silo", ports);
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(60));
        var db = cluster.Database;

        var oldRaw = new[]
        {
            Track("m1", Active, "login", Old),
            Track("m2", Active, "sample_uploaded", Old.AddMinutes(1)),
            Track("m3", Active, "analysis_completed", Old.AddMinutes(2),
                new JsonObject { ["model"] = "genre_classification", ["model_version"] = "2.1", ["processing_time_ms"] = 300 }),
        };
        string[] events =
        [
            .. oldRaw,
            Track("m4", Active, "payment_succeeded", Old.AddMinutes(3), new JsonObject { ["amount"] = 29 }),
            Track("m5", Active, "subscription_started", Old.AddMinutes(4), new JsonObject { ["plan"] = "pro", ["amount"] = 29 }),
            Track("m6", Active, "payment_succeeded", VeryOld, new JsonObject { ["amount"] = 19 }),
            Track("m7", Active, "sample_uploaded", Now.AddDays(-400)),
            Track("m8", Active, "login", Now.AddDays(-10)),
            Track("m9", Active, "analysis_completed", Now.AddDays(-10).AddMinutes(1),
                new JsonObject { ["model"] = "genre_classification", ["model_version"] = "2.1", ["processing_time_ms"] = 200 }),
            Track("n1", Inactive, "login", Now.AddDays(-120)),
            Track("n2", Inactive, "sample_uploaded", Now.AddDays(-120).AddMinutes(1)),
            Track("n3", Inactive, "payment_succeeded", Now.AddDays(-120).AddMinutes(2), new JsonObject { ["amount"] = 49 }),
            Track("b1", Bystander, "login", Now.AddDays(-5)),
            Track("b2", Bystander, "payment_succeeded", Now.AddDays(-5).AddMinutes(1), new JsonObject { ["amount"] = 10 }),
        ];
        // Sent in time order, one day after another: a person's day buckets reach 120 days back from their newest event
        // (README, "retained horizon"), so a backdated day counts live only when it arrives before the later ones.
        foreach (var day in events.GroupBy(e => JsonNode.Parse(e)!["timestamp"]!.GetValue<string>()[..10]).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Assert.Equal(HttpStatusCode.OK, await PostAsync(http, day, ct));
        }
        Assert.Equal(14L, await db.ScalarAsync<long>("select count(*) from user_events"));

        // The old days' KPI rows as the grains hold them (once the pre-aggregator flushed them).
        var oldDay = DateOnly.FromDateTime(Old.UtcDateTime);
        var veryOldDay = DateOnly.FromDateTime(VeryOld.UtcDateTime);
        var oldRow = await Eventually.GetAsync(() => KpiRowAsync(http, oldDay, ct), r => r["dau"]!.GetValue<int>() == 1);
        var veryOldRow = await Eventually.GetAsync(() => KpiRowAsync(http, veryOldDay, ct), r => r["dau"]!.GetValue<int>() == 1);
        Assert.Equal(29m, oldRow["dailyRevenue"]!.GetValue<decimal>());
        Assert.Equal(1, oldRow["totalAnalyses"]!.GetValue<int>());
        Assert.Equal(19m, veryOldRow["dailyRevenue"]!.GetValue<decimal>());
        var activeBefore = JsonNode.Parse(await http.GetStringAsync($"/api/users/{Active}", ct))!;
        Assert.Equal(9, activeBefore["eventsApplied"]!.GetValue<int>());

        // The silo scheduled the daily run (a reminder of the retention grain, period 1 day).
        Assert.Equal(["86400000"], await Eventually.GetAsync(
            () => db.RowsAsync("select period_ms::text from orleans.reminders where reminder_name = 'retention'"), p => p.Count > 0));

        // A dry run counts and deletes nothing.
        var dry = await cluster.RunCliAsync(ct, "retention", "run", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Output);
        output.WriteLine(dry.Output);
        Assert.Equal(
            [
                "inactive people: would erase 1 (3 events)",
                "raw events: would delete 3, would keep 4",
                "financial events: would delete 1, would keep 3",
                "users trimmed: 1",
            ],
            dry.Output.Trim().Split('\n')[2..]);
        Assert.Equal(14L, await db.ScalarAsync<long>("select count(*) from user_events"));

        var run = await cluster.RunCliAsync(ct, "retention", "run");
        Assert.True(run.ExitCode == 0, run.Output);
        output.WriteLine(run.Output);
        var lines = run.Output.Trim().Split('\n');
        Assert.StartsWith(
            $"cut-offs: raw events before {Cutoffs.AnalyticsBefore:yyyy-MM-dd} (a Monday), financial events before {Cutoffs.FinancialBefore:yyyy-MM-dd}, inactive: last event before ",
            lines[1], StringComparison.Ordinal);
        Assert.Equal(
            [
                "inactive people: erased 1 (3 events)",
                "raw events: deleted 3, kept 4",
                "financial events: deleted 1, kept 3",
                "users trimmed: 1",
            ],
            lines[2..]);
        Assert.Equal(DayOfWeek.Monday, Cutoffs.AnalyticsBefore.DayOfWeek);

        // Per class, exactly: the expired raw rows and the 8-year-old payment are gone, the 2-year-old financial rows stay.
        Assert.Equal(["m4", "m5", "m7", "m8", "m9"], await db.RowsAsync(
            "select message_id from user_events where user_id = @u order by message_id", ("u", Active)));
        Assert.Equal(["b1", "b2"], await db.RowsAsync(
            "select message_id from user_events where user_id = @u order by message_id", ("u", Bystander)));

        // The inactive person is erased: 404, no row of theirs, the job done by the retention run.
        using (var response = await http.GetAsync($"/api/users/{Inactive}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        foreach (var sql in new[]
        {
            "select count(*) from user_events where user_id = @k", "select count(*) from user_index where user_id = @k",
            "select count(*) from orleans.grain_state where grain_type = 'user' and grain_id_ext = @k",
        })
        {
            Assert.Equal(0L, await db.ScalarAsync<long>(sql, ("k", Inactive)));
        }
        Assert.Equal(["retention done 3"], await db.RowsAsync("select requested_by || ' ' || state || ' ' || erased_events from erasure_jobs"));
        Assert.Equal(["done f 1 3 1 1 3 4 3"], await db.RowsAsync("""
            select state || ' ' || dry_run::text::char || ' ' || users_trimmed || ' ' || analytics_events_deleted || ' ' || financial_events_deleted
                   || ' ' || inactive_users_erased || ' ' || inactive_events_erased || ' ' || analytics_events_kept || ' ' || financial_events_kept
            from retention_runs where not dry_run
            """));

        // The old days keep their figures (the aggregates are not recomputed from the trimmed log).
        Assert.Equal(oldRow.ToJsonString(), (await KpiRowAsync(http, oldDay, ct)).ToJsonString());
        Assert.Equal(veryOldRow.ToJsonString(), (await KpiRowAsync(http, veryOldDay, ct)).ToJsonString());

        // kill -9: the trimmed person comes back from the snapshot the trim wrote (replaying the trimmed log would lose
        // the 4 deleted events), and a retried trimmed message is acked and not stored again.
        silo.Kill();
        silo = cluster.StartSilo("silo-2", ports);
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        var activeAfter = JsonNode.Parse(await http.GetStringAsync($"/api/users/{Active}", ct))!;
        Assert.Equal(9, activeAfter["eventsApplied"]!.GetValue<int>());
        Assert.Equal(activeBefore["segment"]!.ToJsonString(), activeAfter["segment"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, oldRaw, ct));
        Assert.Equal(5L, await db.ScalarAsync<long>("select count(*) from user_events where user_id = @u", ("u", Active)));
        Assert.Equal(9, JsonNode.Parse(await http.GetStringAsync($"/api/users/{Active}", ct))!["eventsApplied"]!.GetValue<int>());

        // reconcile: the day figures from the Monday after the cut-off on, exact.
        var reconciled = await cluster.AssertReconciledAsync(ct);
        Assert.Contains($"the event log was trimmed by retention: days before {Cutoffs.ReconcileFrom:yyyy-MM-dd} are not compared", reconciled,
            StringComparison.Ordinal);

        // A second run removes nothing, and marks the record of a run whose silo died mid-way (simulated: its row alone) interrupted.
        await db.ExecuteAsync("""
            insert into retention_runs (id, dry_run, state, started_at, analytics_before, financial_before, inactive_before, inactive_action)
            values (gen_random_uuid(), false, 'running', now() - interval '1 hour', @a, @f, now() - interval '90 days', 'erase')
            """, ("a", Cutoffs.AnalyticsBefore), ("f", Cutoffs.FinancialBefore));
        var again = await cluster.RunCliAsync(ct, "retention", "run");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Equal(
            [
                "inactive people: erased 0 (0 events)",
                "raw events: deleted 0, kept 4",
                "financial events: deleted 0, kept 3",
                "users trimmed: 0",
            ],
            again.Output.Trim().Split('\n')[2..]);
        Assert.Equal(7L, await db.ScalarAsync<long>("select count(*) from user_events"));
        var runs = await cluster.RunCliAsync(ct, "retention", "runs");
        Assert.True(runs.ExitCode == 0, runs.Output);
        var runLines = runs.Output.Trim().Split('\n');
        Assert.Equal("4 runs", runLines[^1]);
        Assert.EndsWith("failed raw<" + Cutoffs.AnalyticsBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            + " deleted 0 raw, 0 financial; erased 0 inactive; error: interrupted (its silo stopped mid-run); a later run finished its work",
            runLines[3], StringComparison.Ordinal);
        Assert.EndsWith($"done raw<{Cutoffs.AnalyticsBefore:yyyy-MM-dd} deleted 0 raw, 0 financial; erased 0 inactive", runLines[0], StringComparison.Ordinal);
        Assert.EndsWith($"done raw<{Cutoffs.AnalyticsBefore:yyyy-MM-dd} deleted 3 raw, 1 financial; erased 1 inactive", runLines[1], StringComparison.Ordinal);
        Assert.EndsWith($"done dry-run raw<{Cutoffs.AnalyticsBefore:yyyy-MM-dd} would delete 3 raw, 1 financial; would erase 1 inactive", runLines[2], StringComparison.Ordinal);
        output.WriteLine(reconciled.Trim().Split('\n')[^1]);
    }

    private static async Task<JsonNode> KpiRowAsync(HttpClient http, DateOnly day, CancellationToken ct)
        => JsonNode.Parse(await http.GetStringAsync($"/api/kpis?from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}", ct))![0]!;

    private static string Track(string messageId, string userId, string name, DateTimeOffset at, JsonObject? properties = null)
        => new JsonObject
        {
            ["type"] = "track",
            ["event"] = name,
            ["messageId"] = messageId,
            ["userId"] = userId,
            ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["properties"] = properties ?? new JsonObject(),
        }.ToJsonString();

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, IEnumerable<string> events, CancellationToken ct)
    {
        using var content = new StringContent($"{{\"batch\":[{string.Join(',', events)}]}}", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/batch", content, ct);
        return response.StatusCode;
    }
}
