using System.Text.Json.Nodes;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 9: `samplemind bench --smoke --target …` runs every phase end to end against real processes, and its
/// figures agree with the database: every event it counted as durable is in the log, every event in the log was
/// counted, and the memory phase activated every user of its population. (Speed itself is for the bench, not a test.)
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class BenchSmokeProcessTests
{
    [Fact]
    public async Task Smoke_RunsEveryPhase_AndItsCountsAgreeWithTheDatabase()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var ports = SiloPorts.Free();
        var silo = cluster.StartSilo("silo", ports);
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        var json = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        try
        {
            var run = await Cli.DbCommandTests.RunAsync(cluster.Database.ConnectionString,
                "bench", "--smoke", "--users", "1000", "--json", json,
                "--target", client.BaseAddress.ToString(), "--silo", silo.BaseAddress.ToString(), "--cluster-id", cluster.ClusterId,
                "--write-key", TestApiKeys.Write, "--api-key", TestApiKeys.Read);
            Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);

            var result = JsonNode.Parse(await File.ReadAllTextAsync(json, ct))!;
            Assert.Equal("smoke", result["mode"]!.GetValue<string>());
            var ingested = result["ingest"]!["events"]!.GetValue<long>();
            var underIngest = result["riskQueryUnderIngest"]!["ingestEvents"]!.GetValue<long>();
            var freshness = result["freshness"]!;
            Assert.Equal(0, freshness["errors"]!.GetValue<long>());
            Assert.True(ingested > 0 && underIngest > 0 && freshness["samples"]!.GetValue<int>() > 0, result.ToJsonString());

            // A 2xx means durable: the log holds exactly the events the bench counted (the simulator never repeats a messageId).
            Assert.Equal(ingested + underIngest + freshness["samples"]!.GetValue<int>(),
                await cluster.Database.ScalarAsync<long>("select count(*) from user_events"));
            Assert.Equal(1000, result["memory"]!["activeUsers"]!.GetValue<int>());
            Assert.Equal(result["ingest"]!["users"]!.GetValue<int>(), result["memory"]!["ingestedUsers"]!.GetValue<int>());
            Assert.True(result["limits"]!["grainCallsPerSec"]!.GetValue<double>() > 0 && result["limits"]!["pgCopyRowsPerSec"]!.GetValue<double>() > 0);
            Assert.Equal(0, result["riskQuery"]!["errors"]!.GetValue<long>());
            Assert.InRange(result["riskQuery"]!["requests"]!.GetValue<long>(), 990, 1010); // 2 s at 500/s, open loop
            Assert.True(result["sqlBaseline"]!["refreshMs"]!["20k"]!.GetValue<double>() > 0, result.ToJsonString());
            // The SQL baseline drops its own table and view.
            Assert.Equal(0L, await cluster.Database.ScalarAsync<long>("select count(*) from pg_class where relname in ('bench_events', 'bench_kpi_dashboard')"));
        }
        finally
        {
            File.Delete(json);
        }
    }
}
