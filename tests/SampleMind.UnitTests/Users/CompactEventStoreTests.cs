using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Simulation;
using SampleMind.Analytics.Users;
using SampleMind.Testing;

namespace SampleMind.UnitTests.Users;

/// <summary>The in-memory compact log train-churn reads into: every fact of every event comes back exactly.</summary>
public sealed class CompactEventStoreTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Every field of <see cref="EventFacts"/> as text, traits sorted (a record's equality compares the dictionary by reference).</summary>
    private static string Describe(EventFacts e)
        => JsonSerializer.Serialize(e with { Traits = new Dictionary<string, string>() })
            + string.Join(';', e.Traits.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));

    [Fact]
    public void EveryFieldOfEveryEvent_RoundTrips_InTheOrderAdded()
    {
        var b = new EventBuilder("u-all");
        var events = new[]
        {
            b.Identify(s_now.AddDays(-9), new
            {
                plan = "trial", email = "ada@example.com", created_at = "2026-05-20T08:30:00+02:00", name = "Ada", seats = 3,
                acquisition_source = "google", campaign = "spring",
            }),
            b.Track("analysis_completed", s_now.AddDays(-8), new
            {
                model = "tempo", model_version = "1.4", analysis_type = "tempo_detection", processing_time_ms = 197.25m,
                accuracy = 0.961m, error = false, cost_usd = 0.0016m, feature = "stems",
            }),
            b.Track("analysis_feedback", s_now.AddDays(-7), new { rating = 4.5, correct = true }),
            b.Track("experiment_viewed", s_now.AddDays(-7), new { experiment_id = "price-q4", variation_id = "mid" }),
            b.Track("session_ended", s_now.AddDays(-6), new { duration_ms = 1500 }),
            b.Track("payment_succeeded", s_now.AddDays(-5), new { amount = 34.99m, plan = "pro" }),
            b.Track("subscription_canceled", s_now.AddDays(-4), new { revenue = -12.5m, error = true, correct = false }),
            b.Track("payment_refunded", s_now.AddDays(-3), new { amount = 10m, charge_id = "ch_1", source = "stripe" }),
            b.Track("stripe_subscription", s_now.AddDays(-3), new
            {
                subscription_id = "sub_1", status = "active", mrr = 41.58m, currency = "USD", plan = "pro_year", price_id = "price_1",
                quantity = 2, interval = "year", cancel_at_period_end = true, coupon = "pct10", stripe_event_id = "evt_1", stripe_rank = 1,
                source = "stripe",
            }),
            """{"type":"page","name":"Pricing","messageId":"u-all-p1","userId":"u-all","timestamp":"2026-05-30T10:00:00.000Z","context":{"campaign":{"source":"news","medium":"email","name":"june"},"device":{"type":"tablet"}}}""",
            """{"type":"alias","previousId":"anon-7","messageId":"u-all-a1","userId":"u-all","timestamp":"2026-05-31T10:00:00.000Z"}""",
        }.Select(EventFacts.Parse).ToList();
        // Cover every optional field at least once, so a field the store forgot would show.
        Assert.All(typeof(EventFacts).GetProperties().Where(p => Nullable.GetUnderlyingType(p.PropertyType) is not null || !p.PropertyType.IsValueType),
            p => Assert.Contains(events, e => p.GetValue(e) is { } v && (v is not IReadOnlyDictionary<string, string> d || d.Count > 0)));

        var store = new CompactEventStore();
        foreach (var e in events)
        {
            store.Add("u-all", e);
        }

        Assert.Equal(events.Select(Describe), store.Read("u-all").Select(Describe));
        Assert.Equal(1, store.Users);
        store.Release("u-all");
        Assert.Empty(store.Read("u-all"));
    }

    [Fact]
    public void ASimulatedPopulation_AddedFromTwoThreads_ReadsBackPerUser_AndGivesTheSameTrainingSet()
    {
        var facts = new PopulationSimulator(new SimulationOptions { Users = 150, Days = 75, Seed = 11, Now = s_now })
            .Generate().Select(e => (e.UserId, Facts: EventFacts.Parse(Encoding.UTF8.GetString(e.Json.Span)))).ToList();
        var byUser = facts.GroupBy(f => f.UserId).ToDictionary(g => g.Key, g => g.Select(f => f.Facts).ToList());

        var store = new CompactEventStore();
        // Two writers, each owning the users of one hash half (as train-churn routes them).
        Parallel.For(0, 2, half =>
        {
            foreach (var (userId, e) in facts.Where(f => (StringComparer.Ordinal.GetHashCode(f.UserId) & 1) == half))
            {
                store.Add(userId, e);
            }
        });

        Assert.Equal(byUser.Keys.Order(), store.UserIds.Order());
        var plan = ChurnTrainingSet.Plan(DateOnly.FromDateTime(s_now.AddDays(-75).UtcDateTime), DateOnly.FromDateTime(s_now.UtcDateTime));
        foreach (var (userId, expected) in byUser)
        {
            var read = store.Read(userId);
            Assert.Equal(expected.Select(Describe), read.Select(Describe));
            var examples = ChurnTrainingSet.ForUser(userId, read, plan);
            Assert.Equal(
                ChurnTrainingSet.ForUser(userId, expected, plan).Select(x => (x.CutoffDay, string.Join(',', x.Features), x.Churned, x.Segment, x.SegmentIn30Days)),
                examples.Select(x => (x.CutoffDay, string.Join(',', x.Features), x.Churned, x.Segment, x.SegmentIn30Days)));
        }
        Assert.True(facts.Count > 10_000, $"the population should be large enough to matter ({facts.Count} events)");
    }
}
