using System.Text;
using SampleMind.Analytics.Retention;
using SampleMind.Analytics.Simulation;
using SampleMind.Retention;
using SampleMind.Users;

namespace SampleMind.GrainTests.Retention;

/// <summary>
/// Issue 7, "Must show": the uplift on a simulated population. Two campaigns target the same users with independent
/// hash assignments: the simulator's ground truth makes discount_20 cancel every treated user's churn planned within
/// 30 days (effect 1), and tutorial_email do nothing (effect 0). The first shows an uplift whose interval excludes 0 and
/// holds the true effect on the treated (treated with the action minus the same users without it, from the simulator);
/// the second an interval around 0. Every figure equals an oracle computed from the simulated events themselves.
/// </summary>
[Collection(RetentionClusterCollection.Name)]
public sealed class RetentionUpliftTests(GrowthClusterFixture fixture)
{
    private const long Seed = 21;
    private const int Users = 1000;
    private const int Days = 60;
    private const int ActionDay = 20;
    private const int OutcomeDays = 30;
    private const int ActiveDays = 7;
    private static readonly DateTimeOffset SimNow = new(2026, 8, 30, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ActionAt = SimNow.AddDays(ActionDay - Days);
    private static readonly DateTimeOffset ActiveFrom = ActionAt.AddDays(OutcomeDays - ActiveDays);
    private static readonly DateTimeOffset WindowEnd = ActionAt.AddDays(OutcomeDays);

    [Fact]
    public async Task Uplift_IsPositive_WhereTheActionWorks_AndAboutZero_WhereItDoesNot()
    {
        // History up to the action, with the clock at the action: the index scores users as of then.
        fixture.Time.SetUtcNow(ActionAt);
        var baseline = new PopulationSimulator(Options(null));
        await IngestAsync(baseline.GenerateUntil(ActionDay));
        await TestSupport.EventuallyAsync(async () =>
        {
            var indexed = await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM user_index");
            var users = await fixture.Database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_events");
            return indexed == users && users > 0.8 * Users ? null : $"{indexed} of {users} users indexed";
        });

        var target = new RetentionTarget { MinScore = 0 };
        var works = await CreateAsync("discount_20", target);
        var idle = await CreateAsync("tutorial_email", target);
        var targeted = await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM user_index");
        Assert.Equal((targeted, targeted), (works.Targeted, idle.Targeted));

        // The rest of the history, where discount_20's treated users got an action that works (and tutorial_email's nothing).
        var treated = (await fixture.Client.GetGrain<IRetentionCampaignsGrain>(0).AssignmentsAsync(works.Id, RetentionAssignment.Treatment))!
            .Select(a => a.UserId).ToHashSet();
        Assert.Equal(works.Treated, treated.Count);
        var withAction = Generate(new SimulationTreatment(treated, ActionAt, 1.0, HorizonDays: OutcomeDays));
        await IngestAsync(withAction.Events.Where(e => e.TimestampMs >= ActionAt.ToUnixTimeMilliseconds()));
        fixture.Time.SetUtcNow(SimNow);

        var without = Generate(null);
        var worked = await fixture.Client.GetGrain<IRetentionCampaignsGrain>(0).GetAsync(works.Id);
        var nothing = await fixture.Client.GetGrain<IRetentionCampaignsGrain>(0).GetAsync(idle.Id);

        // Exact: the outcome counts equal the simulated events' own (active in [window end − 7 days, window end)).
        await AssertOutcomeAsync(worked!, withAction.Active);
        await AssertOutcomeAsync(nothing!, withAction.Active);

        // The truth on the treated: retained with the action minus the same users retained without it.
        var trueEffect = (treated.Count(withAction.Active.Contains) - treated.Count(without.Active.Contains)) / (double)treated.Count;
        Assert.True(withAction.Saved >= 40, $"the action saved {withAction.Saved} treated users");
        Assert.True(trueEffect > 0.05, $"true effect {trueEffect}");
        var o = worked!.Outcome;
        Assert.True(o.Complete);
        Assert.True(o.UpliftLow > 0 && o.UpliftLow <= trueEffect && trueEffect <= o.UpliftHigh,
            $"discount_20: uplift {o.Uplift} [{o.UpliftLow}, {o.UpliftHigh}], true effect {trueEffect:0.0000}");
        var n = nothing!.Outcome;
        Assert.True(n.UpliftLow <= 0 && 0 <= n.UpliftHigh,
            $"tutorial_email: uplift {n.Uplift} [{n.UpliftLow}, {n.UpliftHigh}] should hold 0");
        TestContext.Current.TestOutputHelper?.WriteLine($"discount_20: treated {worked.Treated}, holdout {worked.Holdout}, uplift {o.Uplift} [{o.UpliftLow}, {o.UpliftHigh}], true {trueEffect:0.0000}; " +
            $"tutorial_email: uplift {n.Uplift} [{n.UpliftLow}, {n.UpliftHigh}]");
    }

    private async Task<RetentionCampaignView> CreateAsync(string action, RetentionTarget target)
    {
        var created = await fixture.Client.GetGrain<IRetentionCampaignsGrain>(0).CreateAsync(new RetentionCampaignRequest
        {
            Name = $"uplift {action}",
            Target = target,
            Action = action,
            HoldoutShare = 0.5m,
            WebhookUrl = fixture.Receiver.Url,
            StartAt = ActionAt,
            OutcomeDays = OutcomeDays,
            ActiveDays = ActiveDays,
            IdempotencyKey = $"uplift-{action}", // a fixed campaign id: the same assignment, so the same figures, every run
        });
        Assert.Null(created.Errors);
        return created.Campaign!;
    }

    /// <summary>Targeted, treated, holdout and retained per arm recomputed from the assignments' hash and the simulated events.</summary>
    private async Task AssertOutcomeAsync(RetentionCampaignView campaign, HashSet<string> active)
    {
        var assignments = (await fixture.Client.GetGrain<IRetentionCampaignsGrain>(0).AssignmentsAsync(campaign.Id, null))!;
        Assert.All(assignments, a => Assert.Equal(RetentionAssignment.Arm(RetentionAssignment.Bucket(campaign.Id, a.UserId), 0.5m), a.Arm));
        var arms = assignments.ToLookup(a => a.Arm, a => a.UserId);
        Assert.Equal(
            (arms[RetentionAssignment.Treatment].Count(), arms[RetentionAssignment.Holdout].Count(),
             arms[RetentionAssignment.Treatment].Count(active.Contains), arms[RetentionAssignment.Holdout].Count(active.Contains)),
            (campaign.Treated, campaign.Holdout, campaign.Outcome.TreatedRetained, campaign.Outcome.HoldoutRetained));
        var expected = UpliftEstimate.From(campaign.Treated, campaign.Outcome.TreatedRetained, campaign.Holdout, campaign.Outcome.HoldoutRetained);
        Assert.Equal((expected.Uplift, expected.Low, expected.High), (campaign.Outcome.Uplift, campaign.Outcome.UpliftLow, campaign.Outcome.UpliftHigh));
    }

    private static SimulationOptions Options(SimulationTreatment? treatment)
        => new() { Users = Users, Days = Days, Seed = Seed, Now = SimNow, Treatment = treatment };

    /// <summary>A whole simulated history: its events, the users active in the outcome's last days, and how many the action saved.</summary>
    private static (List<EncodedEventCopy> Events, HashSet<string> Active, int Saved) Generate(SimulationTreatment? treatment)
    {
        var simulator = new PopulationSimulator(Options(treatment));
        var events = simulator.Generate().Select(e => new EncodedEventCopy(Encoding.UTF8.GetString(e.Json.Span), e.TimestampMs, e.UserId)).ToList();
        var (from, to) = (ActiveFrom.ToUnixTimeMilliseconds(), WindowEnd.ToUnixTimeMilliseconds());
        var active = events.Where(e => e.TimestampMs >= from && e.TimestampMs < to).Select(e => e.UserId).ToHashSet();
        return (events, active, simulator.GetGroundTruth().Users.Count(u => u.SavedByTreatment));
    }

    private sealed record class EncodedEventCopy(string Json, long TimestampMs, string UserId);

    private Task IngestAsync(IEnumerable<EncodedEvent> events)
        => IngestAsync(events.Select(e => new EncodedEventCopy(Encoding.UTF8.GetString(e.Json.Span), e.TimestampMs, e.UserId)));

    /// <summary>Ingests in time order: per simulated day, one call per user, all users at once.</summary>
    private async Task IngestAsync(IEnumerable<EncodedEventCopy> events)
    {
        foreach (var day in events.GroupBy(e => e.TimestampMs / 86_400_000L))
        {
            await Task.WhenAll(day.GroupBy(e => e.UserId).Select(u =>
                fixture.Client.GetGrain<IUserGrain>(u.Key).IngestAsync([.. u.Select(e => TestSupport.ToEvent(e.Json))])));
        }
    }
}
