using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Simulation;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Simulation;

/// <summary>
/// The simulator's output through the production path: every line read by the ingest's
/// <see cref="SegmentBatchReader"/> in batches of 100, and every normalised event applied to the production
/// <see cref="UserModel"/>, whose segments at the end must have the seed's shape (and agree with the test's
/// independent <see cref="SeedSegmentEvaluator"/>).
/// </summary>
public sealed class SimulatedEventsIngestTests
{
    private const int BatchSize = 100;
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, double> s_seedShares = new()
    {
        [SegmentNames.PowerUsers] = 5, [SegmentNames.Regulars] = 25, [SegmentNames.Explorers] = 40, [SegmentNames.Dormant] = 30,
    };

    private sealed record Population(
        Dictionary<string, UserModel> Models, SeedSegmentEvaluator Evaluator, int Lines, int Batches, List<string> Problems);

    private static Population Ingest(int users, int days, long seed)
    {
        using var stream = new MemoryStream();
        new PopulationSimulator(new SimulationOptions { Users = users, Days = days, Seed = seed, Now = s_now }).WriteNdjson(stream);
        var lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var evaluator = new SeedSegmentEvaluator(s_now);
        var models = new Dictionary<string, UserModel>(StringComparer.Ordinal);
        var problems = new List<string>();
        var messageIds = new HashSet<string>(StringComparer.Ordinal);
        var batches = 0;
        foreach (var chunk in lines.Chunk(BatchSize))
        {
            batches++;
            var body = Encoding.UTF8.GetBytes("{\"batch\":[" + string.Join(',', chunk) + "]}");
            // receivedAt = the end of the simulation: no event lies in the future, none is "late" beyond the window.
            var result = SegmentBatchReader.Read(body, SegmentEndpoint.Batch, s_now);
            if (!result.IsValid)
            {
                problems.Add($"batch {batches}: {result.Problem} " +
                    string.Join("; ", result.Errors.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}")));
                continue;
            }

            if (result.Events.Count != chunk.Length)
            {
                problems.Add($"batch {batches}: {result.Events.Count} events read of {chunk.Length}");
            }

            for (var i = 0; i < result.Events.Count; i++)
            {
                var read = result.Events[i];
                using var sent = JsonDocument.Parse(chunk[i]);
                var root = sent.RootElement;
                var userId = root.GetProperty("userId").GetString()!;
                var messageId = root.GetProperty("messageId").GetString()!;
                var timestamp = DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                if (read.UserKey != userId || read.MessageId != messageId || read.Timestamp != timestamp
                    || read.Type != root.GetProperty("type").GetString())
                {
                    problems.Add($"does not round-trip: {chunk[i]} → user {read.UserKey}, message {read.MessageId}, at {read.Timestamp:O}");
                }

                if (!messageIds.Add(read.MessageId))
                {
                    problems.Add($"duplicate messageId {read.MessageId}");
                }

                if (!models.TryGetValue(read.UserKey, out var model))
                {
                    model = new UserModel { UserId = read.UserKey };
                    models[read.UserKey] = model;
                }

                // What the user grain applies: the normalised event the reader produced.
                model.Apply(EventFacts.Parse(read.Json));
                evaluator.Add(chunk[i]);
            }
        }

        return new Population(models, evaluator, lines.Length, batches, problems);
    }

    private static Dictionary<string, int> Count(IEnumerable<string> segments)
    {
        var counts = SegmentNames.All.ToDictionary(s => s, _ => 0);
        foreach (var s in segments)
        {
            counts[s]++;
        }

        return counts;
    }

    private static string Shares(Dictionary<string, int> counts, out Dictionary<string, double> shares)
    {
        double classified = counts.Where(kv => kv.Key != SegmentNames.Unclassified).Sum(kv => kv.Value);
        shares = s_seedShares.Keys.ToDictionary(s => s, s => counts[s] / classified * 100);
        var s = shares;
        return string.Join(' ', s_seedShares.Keys.Select(k => $"{k} {s[k]:F1}%")) + $" (classified {classified}, unclassified {counts[SegmentNames.Unclassified]})";
    }

    [Fact]
    public void EverySimulatedLine_IsAcceptedByTheIngest_AndRoundTrips_AndTheProductionModelSeesTheSeedsShape()
    {
        var population = Ingest(300, 45, 1);
        Assert.True(population.Lines > 10_000, $"only {population.Lines} lines");
        Assert.True(population.Problems.Count == 0, string.Join('\n', population.Problems.Take(20)));
        Assert.Equal(population.Evaluator.UserIds.Count(), population.Models.Count);

        // The production model, read at the end of the simulation (Now, 00:00 UTC), and at the last instant
        // before it: the model's "analyses per week" is the 7 UTC days ending with the evaluation instant's day,
        // so at 00:00 the window holds the (empty) day of Now and only 6 days of history.
        var end = s_now;
        var lastInstant = s_now.AddTicks(-1);
        var atEnd = Count(population.Models.Values.Select(m => m.SegmentAt(end)));
        var atLastInstant = Count(population.Models.Values.Select(m => m.SegmentAt(lastInstant)));
        var seed = Count(population.Evaluator.UserIds.Select(population.Evaluator.SegmentOf));

        var disagreements = population.Models
            .Where(kv => kv.Value.SegmentAt(lastInstant) != population.Evaluator.SegmentOf(kv.Key))
            .Select(kv => $"{kv.Key}: model {kv.Value.SegmentAt(lastInstant)} ({kv.Value.SegmentInputsAt(lastInstant)}), seed rules {population.Evaluator.SegmentOf(kv.Key)}")
            .ToList();

        var atEndDiffer = population.Models.Count(kv => kv.Value.SegmentAt(end) != population.Evaluator.SegmentOf(kv.Key));
        var report =
            $"{population.Lines} events in {population.Batches} batches, {population.Models.Count} users\n" +
            $"production UserModel.SegmentAt(end={end:O}): {Shares(atEnd, out var endShares)}\n" +
            $"production UserModel.SegmentAt(end − 1 tick): {Shares(atLastInstant, out var lastShares)}\n" +
            $"SeedSegmentEvaluator: {Shares(seed, out var seedShares)}\n" +
            $"{atEndDiffer} users classified differently at end (6 days of analyses in the window) vs the evaluator; " +
            $"{disagreements.Count} at end − 1 tick" +
            (disagreements.Count == 0 ? "" : ":\n  " + string.Join("\n  ", disagreements.Take(10)));
        TestContext.Current.SendDiagnosticMessage(report);
        Console.Error.WriteLine(report);

        foreach (var (segment, expected) in s_seedShares)
        {
            Assert.True(Math.Abs(endShares[segment] - expected) <= 5, $"{segment} at end: {report}");
            Assert.True(Math.Abs(lastShares[segment] - expected) <= 5, $"{segment} at end − 1 tick: {report}");
            Assert.True(Math.Abs(seedShares[segment] - expected) <= 5, $"{segment} by the evaluator: {report}");
        }

        // Over the full 7 days before Now the production model and the seed's rules must agree user by user.
        Assert.True(disagreements.Count == 0, report);
    }
}
