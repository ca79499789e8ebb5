using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Simulation;

namespace SampleMind.UnitTests.Simulation;

public sealed class PopulationSimulatorTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] s_seedEventNames =
    [
        "signup_started", "email_verified", "login", "session_started", "session_ended", "sample_uploaded",
        "analysis_completed", "feature_used", "trial_started", "payment_added", "subscription_started",
        "subscription_renewed", "subscription_canceled", "payment_succeeded", "payment_failed",
        "support_ticket_opened", "analysis_feedback",
    ];

    private static byte[] Generate(int users, int days, long seed, int startUser = 0)
    {
        using var stream = new MemoryStream();
        new PopulationSimulator(new SimulationOptions { Users = users, Days = days, Seed = seed, Now = s_now, StartUserIndex = startUser })
            .WriteNdjson(stream);
        return stream.ToArray();
    }

    private static IEnumerable<string> Lines(byte[] ndjson) =>
        Encoding.UTF8.GetString(ndjson).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void SameSeed_GivesByteIdenticalOutput()
    {
        var a = Generate(300, 45, 7);
        var b = Generate(300, 45, 7);
        Assert.True(a.Length > 10_000);
        Assert.Equal(a, b);
    }

    [Fact]
    public void DifferentSeeds_GiveDisjointUserIdsAndMessageIds()
    {
        static (HashSet<string> Users, HashSet<string> Messages) Ids(byte[] ndjson)
        {
            var users = new HashSet<string>();
            var messages = new HashSet<string>();
            foreach (var line in Lines(ndjson))
            {
                using var doc = JsonDocument.Parse(line);
                users.Add(doc.RootElement.GetProperty("userId").GetString()!);
                messages.Add(doc.RootElement.GetProperty("messageId").GetString()!);
            }

            return (users, messages);
        }

        var seven = Ids(Generate(200, 20, 7));
        var eight = Ids(Generate(200, 20, 8));
        Assert.NotEmpty(seven.Users);
        Assert.Empty(seven.Users.Intersect(eight.Users));
        Assert.Empty(seven.Messages.Intersect(eight.Messages));
    }

    [Fact]
    public void EveryLine_IsASegmentEvent_InTimestampOrder_WithUniqueMessageIds_AndAllSeedEventNamesOccur()
    {
        var names = new HashSet<string>();
        var messageIds = new HashSet<string>();
        var last = DateTimeOffset.MinValue;
        foreach (var line in Lines(Generate(600, 60, 11)))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var type = root.GetProperty("type").GetString();
            Assert.True(type is "track" or "identify", line);
            Assert.True(messageIds.Add(root.GetProperty("messageId").GetString()!), line);
            Assert.StartsWith("u11-", root.GetProperty("userId").GetString());
            var timestamp = root.GetProperty("timestamp").GetString()!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", timestamp);
            var at = DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(at >= last, $"out of order: {line}");
            Assert.True(at < s_now && at >= s_now.AddDays(-60), line);
            last = at;
            Assert.Equal(JsonValueKind.Object, root.GetProperty("context").ValueKind);
            if (type == "identify")
            {
                var traits = root.GetProperty("traits");
                foreach (var trait in new[] { "plan", "email", "created_at", "acquisition_source", "campaign", "utm_source", "utm_medium", "utm_campaign" })
                {
                    Assert.True(traits.TryGetProperty(trait, out _), $"{trait} missing: {line}");
                }

                Assert.True(root.GetProperty("context").TryGetProperty("campaign", out _), line);
            }
            else
            {
                names.Add(root.GetProperty("event").GetString()!);
                Assert.Equal(JsonValueKind.Object, root.GetProperty("properties").ValueKind);
            }
        }

        Assert.Empty(s_seedEventNames.Except(names));
    }

    [Fact]
    public void StartUserIndex_ContinuesThePopulationWithoutOverlap()
    {
        var first = Lines(Generate(50, 10, 3)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("userId").GetString()).ToHashSet();
        var next = Lines(Generate(50, 10, 3, startUser: 50)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("userId").GetString()).ToHashSet();
        Assert.Empty(first.Intersect(next));
        Assert.Contains("u3-000050", next);
    }

    [Fact]
    public void Population_ReproducesTheSeedsSegmentShape_AndTrialConversion()
    {
        var evaluator = new SeedSegmentEvaluator(s_now);
        foreach (var line in Lines(Generate(2000, 60, 7)))
        {
            evaluator.Add(line);
        }

        var segments = evaluator.Segments();
        double classified = segments.Where(kv => kv.Key != "unclassified").Sum(kv => kv.Value);
        double Share(string segment) => segments[segment] / classified * 100;
        var (trials, converted) = evaluator.TrialConversion();
        var conversion = 100.0 * converted / trials;
        var report = $"power {Share("power_users"):F1}% regulars {Share("regulars"):F1}% explorers {Share("explorers"):F1}% " +
            $"dormant {Share("dormant"):F1}% (classified {classified} of 2000, events {evaluator.Lines}); trial conversion {conversion:F1}% of {trials}";
        TestContext.Current.SendDiagnosticMessage(report);
        Console.Error.WriteLine(report);

        Assert.True(Math.Abs(Share("power_users") - 5) <= 5, report);
        Assert.True(Math.Abs(Share("regulars") - 25) <= 5, report);
        Assert.True(Math.Abs(Share("explorers") - 40) <= 5, report);
        Assert.True(Math.Abs(Share("dormant") - 30) <= 5, report);
        Assert.True(Math.Abs(conversion - 15) <= 5, report);
        Assert.True(trials >= 100, report);
    }

    [Fact]
    public void GroundTruth_DescribesEveryUser_AndMatchesTheEvents()
    {
        using var stream = new MemoryStream();
        var simulator = new PopulationSimulator(new SimulationOptions { Users = 400, Days = 60, Seed = 5, Now = s_now });
        var events = simulator.WriteNdjson(stream);
        var truth = simulator.GetGroundTruth();
        Assert.Equal(400, truth.Users.Count);
        Assert.Equal(events, truth.Users.Sum(u => u.Events));
        Assert.Contains(truth.Users, u => u.Churned && u.ChurnedAt is not null);
        Assert.All(truth.Users.Where(u => u.Churned), u => Assert.True(u.LastEventAt <= u.ChurnedAt || u.ChurnReason == "never_verified" || u.ChurnReason == "activation_dropout", u.UserId));
        using var json = new MemoryStream();
        truth.WriteTo(json);
        using var doc = JsonDocument.Parse(json.ToArray());
        Assert.Equal(400, doc.RootElement.GetProperty("users").GetArrayLength());
        Assert.Equal(4, doc.RootElement.GetProperty("campaigns").EnumerateArray().Select(c => c.GetProperty("channel").GetString()).Distinct().Count());
    }
}
