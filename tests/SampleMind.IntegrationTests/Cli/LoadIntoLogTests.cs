using System.Text;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Simulation;

namespace SampleMind.IntegrationTests.Cli;

/// <summary>
/// `samplemind simulate|replay … --into-log`: the bulk load of a training or benchmark log straight into PostgreSQL,
/// stored exactly as ingest stores it, all or nothing, only into an empty log.
/// </summary>
public sealed class LoadIntoLogTests
{
    private const string Now = "2026-06-01";

    private static SimulationOptions Population => new()
    {
        Users = 40, Days = 30, Seed = 71, Now = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero),
    };

    /// <summary>What the log must hold: the simulator's events, normalised by the ingest reader, seq 1… per user in file order.</summary>
    private static List<string> Expected(IEnumerable<string> lines)
    {
        var seq = new Dictionary<string, long>(StringComparer.Ordinal);
        return lines.Select(line =>
        {
            var read = SegmentBatchReader.Read(Encoding.UTF8.GetBytes("{\"batch\":[" + line + "]}"), SegmentEndpoint.Batch, DateTimeOffset.UtcNow);
            var e = Assert.Single(read.Events);
            seq[e.UserKey] = seq.GetValueOrDefault(e.UserKey) + 1;
            return Row(e.UserKey, e.MessageId, seq[e.UserKey], e.Type, e.Name, e.Timestamp.UtcDateTime);
        }).Order(StringComparer.Ordinal).ToList();
    }

    private static string Row(string user, string messageId, long seq, string type, string? name, DateTime ts)
        => $"{user}|{messageId}|{seq}|{type}|{name}|{ts:O}";

    private static async Task<List<string>> StoredAsync(PostgresDatabase database)
    {
        var rows = new List<string>();
        await using var command = database.DataSource.CreateCommand("SELECT user_id, message_id, seq, type, event, ts FROM user_events");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(Row(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTime>(5)));
        }
        return [.. rows.Order(StringComparer.Ordinal)];
    }

    private static List<string> SimulatedLines()
    {
        using var stream = new MemoryStream();
        new PopulationSimulator(Population).WriteNdjson(stream);
        return [.. Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    [Fact]
    public async Task Simulate_IntoLog_StoresEveryEventAsIngestDoes_AndRefusesASecondLoad()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: true, TestContext.Current.CancellationToken);
        var lines = SimulatedLines();

        var first = await DbCommandTests.RunAsync(database.ConnectionString, "simulate", "--users", "40", "--days", "30", "--seed", "71", "--now", Now, "--into-log");
        var second = await DbCommandTests.RunAsync(database.ConnectionString, "simulate", "--users", "5", "--days", "30", "--seed", "72", "--now", Now, "--into-log");

        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith($"loaded {lines.Count:N0} events for 40 users (30 days to {Now}, seed 71) to the user event log in ", first.Stdout, StringComparison.Ordinal);
        Assert.Equal(Expected(lines), await StoredAsync(database));
        // The load admitted its model versions to the cardinality registry (under the ceiling: every one), as live ingest does.
        var versions = await ModelVersions.ModelVersionOracle.VersionsAsync(database.DataSource, TestContext.Current.CancellationToken);
        Assert.NotEmpty(versions);
        Assert.DoesNotContain(Rollups.DimensionRegistry.Other, versions.Keys);
        Assert.Equal(versions.Count, await database.ScalarAsync<long>("select count(*) from dimension_values where dimension = 'model_version'"));
        Assert.Equal((1, ""), (second.ExitCode, second.Stdout));
        Assert.Equal("samplemind: the user event log already holds events: --into-log loads only into an empty log "
            + "(send to a running stack with --target instead, or load into a fresh database)", second.Stderr);
        Assert.Equal(lines.Count, await database.ScalarAsync<long>("select count(*) from user_events"));
    }

    [Fact]
    public async Task Replay_IntoLog_LoadsAFile_AndABadEventOrADuplicateLoadsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await PostgresDatabase.CreateAsync(migrate: true, ct);
        var lines = SimulatedLines();
        var directory = Directory.CreateTempSubdirectory("sm-load-");
        try
        {
            var bad = Path.Combine(directory.FullName, "bad.ndjson");
            await File.WriteAllLinesAsync(bad, [.. lines[..700], """{"type":"track","userId":"x","event":"login","timestamp":"2026-05-01T00:00:00Z"}""", .. lines[700..]], ct);
            var duplicate = Path.Combine(directory.FullName, "duplicate.ndjson");
            await File.WriteAllLinesAsync(duplicate, [.. lines, lines[3]], ct);
            var good = Path.Combine(directory.FullName, "good.ndjson");
            await File.WriteAllLinesAsync(good, lines, ct);

            var badRun = await DbCommandTests.RunAsync(database.ConnectionString, "replay", bad, "--into-log");
            var badCount = await database.ScalarAsync<long>("select count(*) from user_events");
            var duplicateRun = await DbCommandTests.RunAsync(database.ConnectionString, "replay", duplicate, "--into-log");
            var duplicateCount = await database.ScalarAsync<long>("select count(*) from user_events");
            var goodRun = await DbCommandTests.RunAsync(database.ConnectionString, "replay", good, "--into-log");

            Assert.Equal((1, "samplemind: event 701 is not a valid Segment event (batch[200].messageId: is required); nothing was loaded"),
                (badRun.ExitCode, badRun.Stderr));
            Assert.Equal(0, badCount);
            Assert.Equal(3, duplicateRun.ExitCode);
            Assert.Matches("^samplemind: two events share a user and messageId: Key \\(user_id, message_id\\)=\\([^)]+\\) already exists\\.; nothing was loaded$", duplicateRun.Stderr);
            Assert.Equal(0, duplicateCount);
            Assert.Equal(0, goodRun.ExitCode);
            Assert.StartsWith($"loaded {lines.Count:N0} events from {good} into the user event log in ", goodRun.Stdout, StringComparison.Ordinal);
            Assert.Equal(Expected(lines), await StoredAsync(database));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
