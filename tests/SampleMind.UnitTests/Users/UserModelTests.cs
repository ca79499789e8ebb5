using System.Text.Json;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;

using SampleMind.Testing;

namespace SampleMind.UnitTests.Users;

public sealed class UserModelTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Segment_BecomesRegulars_OnTheFifthAnalysisOfTheWeek_ForAPaidUserOlderThan90Days()
    {
        var events = new EventBuilder("u1");
        var model = new UserModel { UserId = "u1" };
        model.Apply(EventBuilder.Facts(events.Track("signup_started", Now.AddDays(-120))));
        model.Apply(EventBuilder.Facts(events.Track("subscription_started", Now.AddDays(-100), new { plan = "starter", amount = 9.99 })));
        for (var i = 0; i < 4; i++)
        {
            model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Now.AddDays(-i).AddHours(-1))));
        }

        var before = model.SegmentInputsAt(Now);
        Assert.Equal(4, before.AnalysesPerWeek);
        Assert.Equal(SegmentNames.Unclassified, model.SegmentAt(Now));
        Assert.False(SegmentRules.IsWeeklyActiveProducer(before.AnalysesPerWeek));

        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Now.AddHours(-2))));

        var after = model.SegmentInputsAt(Now);
        Assert.Equal(5, after.AnalysesPerWeek);
        Assert.Equal("starter", after.Plan);
        Assert.Equal(SegmentNames.Regulars, model.SegmentAt(Now));
        Assert.True(SegmentRules.IsWeeklyActiveProducer(after.AnalysesPerWeek));
    }

    [Fact]
    public void Segment_LeavesExplorers_AboveFiveAnalyses_AndCountsOnlyTheTrailingSevenUtcDays()
    {
        var events = new EventBuilder("u2");
        var model = new UserModel { UserId = "u2" };
        model.Apply(EventBuilder.Facts(events.Track("signup_started", Now.AddDays(-10))));
        // Seven days ago (outside the window: the window is the 7 UTC days ending today).
        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Now.AddDays(-7))));
        Assert.Equal(0, model.SegmentInputsAt(Now).AnalysesPerWeek);
        Assert.Equal(SegmentNames.Unclassified, model.SegmentAt(Now));

        for (var i = 0; i < 5; i++)
        {
            model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Now.AddDays(-6).AddMinutes(i))));
        }
        Assert.Equal(SegmentNames.Explorers, model.SegmentAt(Now));

        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Now.AddMinutes(-5))));
        Assert.Equal(6, model.SegmentInputsAt(Now).AnalysesPerWeek);
        Assert.Equal(SegmentNames.Unclassified, model.SegmentAt(Now));
    }

    [Fact]
    public void Segment_IsPowerUsers_Above50AnalysesAnd10Features_OnPro()
    {
        var events = new EventBuilder("u3");
        var model = new UserModel { UserId = "u3" };
        model.Apply(EventBuilder.Facts(events.Track("subscription_started", Now.AddDays(-40), new { plan = "pro", amount = 34.99 })));
        for (var i = 0; i < 51; i++)
        {
            model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Now.AddDays(-(i % 7)).AddMinutes(-i))));
        }
        for (var f = 0; f < 10; f++)
        {
            model.Apply(EventBuilder.Facts(events.Track("feature_used", Now.AddDays(-2), new { feature = $"f{f}" })));
        }
        Assert.Equal(SegmentNames.Unclassified, model.SegmentAt(Now)); // 10 features is not more than 10

        model.Apply(EventBuilder.Facts(events.Track("feature_used", Now.AddDays(-1), new { feature = "f10" })));
        Assert.Equal(SegmentNames.PowerUsers, model.SegmentAt(Now));
    }

    [Fact]
    public void Segment_IsDormant_After30DaysWithoutActivity_OnlyForUsersWhoPaid()
    {
        var events = new EventBuilder("u4");
        var model = new UserModel { UserId = "u4" };
        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Now.AddDays(-31))));
        Assert.Equal(SegmentNames.Unclassified, model.SegmentAt(Now));

        model.Apply(EventBuilder.Facts(events.Track("payment_succeeded", Now.AddDays(-31).AddHours(-1), new { amount = 9.99 })));
        Assert.Equal(9.99m, model.LifetimeRevenue);
        Assert.Equal(SegmentNames.Dormant, model.SegmentAt(Now));
        Assert.Equal(SegmentNames.Unclassified, model.SegmentAt(Now.AddDays(-2))); // 29 days after the last event
    }

    [Fact]
    public void TrialWithoutSubscription_LapsesToFree_After14Days()
    {
        var events = new EventBuilder("u5");
        var model = new UserModel { UserId = "u5" };
        model.Apply(EventBuilder.Facts(events.Track("trial_started", Now.AddDays(-20))));
        Assert.Equal("trial", model.PlanAt(Now.AddDays(-10)));
        Assert.Equal("free", model.PlanAt(Now));
    }

    [Fact]
    public void ShuffledDelivery_GivesTheSameState_AsInOrderDelivery()
    {
        var json = EventBuilder.RealisticHistory("u6", seed: 11, Now);
        var inOrder = Replay("u6", json);
        for (var seed = 1; seed <= 5; seed++)
        {
            var shuffled = json.ToArray();
            new Random(seed).Shuffle(shuffled);
            Assert.Equal(Canonical(inOrder), Canonical(Replay("u6", shuffled)));
        }
    }

    [Fact]
    public void EventsLateByDays_GiveTheSameState_AsInOrderDelivery()
    {
        var json = EventBuilder.RealisticHistory("u7", seed: 5, Now);
        var inOrder = Replay("u7", json);

        // Hold back ten days of events and deliver them last, with reads (timeline updates) in between.
        var late = json.Where((_, i) => i % 9 == 0).ToArray();
        var model = new UserModel { UserId = "u7" };
        var step = 0;
        foreach (var e in json.Except(late))
        {
            model.Apply(EventFacts.Parse(e));
            if (++step % 25 == 0)
            {
                model.UpdateTimeline(Now);
            }
        }
        foreach (var e in late)
        {
            model.Apply(EventFacts.Parse(e));
        }
        model.UpdateTimeline(Now);
        Assert.Equal(Canonical(inOrder), Canonical(model));
    }

    [Fact]
    public void SegmentHistory_RecordsTheDayOfEachTransition()
    {
        var events = new EventBuilder("u8");
        var model = new UserModel { UserId = "u8" };
        var signup = Now.AddDays(-20);
        model.Apply(EventBuilder.Facts(events.Track("signup_started", signup)));
        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", signup.AddHours(1))));
        for (var i = 0; i < 3; i++)
        {
            model.Apply(EventBuilder.Facts(events.Track("analysis_completed", signup.AddDays(10).AddMinutes(i))));
        }
        model.UpdateTimeline(Now);

        var day0 = DateOnly.FromDateTime(signup.UtcDateTime);
        SegmentChange[] expected =
        [
            new(day0, "unclassified", "explorers"),
            new(day0.AddDays(7), "explorers", "unclassified"),     // the first analysis leaves the 7-day window
            new(day0.AddDays(10), "unclassified", "explorers"),
            new(day0.AddDays(17), "explorers", "unclassified"),
        ];
        Assert.Equal(expected, model.SegmentHistory);
    }

    private static UserModel Replay(string userId, IEnumerable<string> json)
    {
        var model = new UserModel { UserId = userId };
        foreach (var e in json)
        {
            model.Apply(EventFacts.Parse(e));
        }
        model.UpdateTimeline(Now);
        return model;
    }

    /// <summary>The model's JSON with object keys sorted, so that dictionary order does not matter.</summary>
    internal static string Canonical(UserModel model)
    {
        var node = JsonSerializer.SerializeToNode(model.ToSnapshot(), UserModelJsonContext.Default.UserSnapshot)!;
        return Sort(node)!.ToJsonString();

        static JsonNode? Sort(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value?.DeepClone())))),
            JsonArray a => new JsonArray(a.Select(x => Sort(x?.DeepClone())).ToArray()),
            _ => n?.DeepClone(),
        };
    }
}
