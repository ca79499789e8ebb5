using SampleMind.Analytics.Cohorts;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Cohorts;

public sealed class CohortMathTests
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-01-31T23:59:59Z", "2026-02-01T00:00:00Z", 1)]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-31T23:59:59Z", 0)]
    [InlineData("2025-12-15T00:00:00Z", "2026-03-01T00:00:00Z", 3)]
    [InlineData("2026-03-10T00:00:00Z", "2026-02-28T00:00:00Z", -1)]
    [InlineData("2026-01-31T23:30:00-02:00", "2026-02-15T00:00:00Z", 0)] // the signup is 1 Feb in UTC
    public void MonthsBetween_CountsCalendarMonthsBetweenTheUtcMonths(string signup, string payment, int months)
        => Assert.Equal(months, CohortMath.MonthsBetween(At(signup), At(payment)));

    [Fact]
    public void MonthKey_IsTheUtcMonth()
    {
        Assert.Equal("2026-09", CohortMath.MonthKey(At("2026-09-30T23:00:00Z")));
        Assert.Equal("2026-10", CohortMath.MonthKey(At("2026-09-30T23:00:00-02:00")));
    }

    [Fact]
    public void ShareOf_CountsTheUserOncePerMonthSinceSignup_WithAllTheirRevenue()
    {
        var model = new UserModel { UserId = "c1" };
        var events = new EventBuilder("c1");
        foreach (var json in new[]
        {
            events.Track("signup_started", At("2026-01-20T10:00:00Z")),
            events.Track("payment_succeeded", At("2026-01-25T10:00:00Z"), new { amount = 10 }),
            events.Track("payment_succeeded", At("2026-02-02T10:00:00Z"), new { amount = 20 }),
            events.Track("payment_succeeded", At("2026-02-20T10:00:00Z"), new { amount = 5.5 }),
        })
        {
            model.Apply(EventFacts.Parse(json));
        }

        var (cohort, share) = CohortMath.ShareOf(model)!.Value;
        Assert.Equal("2026-01", cohort);
        Assert.Equal(1, share.Size);
        Assert.Equal([0, 1], share.Months.Keys);
        Assert.Equal((1, 10m), (share.Months[0].Users, share.Months[0].Revenue));
        Assert.Equal((1, 25.5m), (share.Months[1].Users, share.Months[1].Revenue));
    }

    [Fact]
    public void Delta_OfALateEarlierSignup_MovesTheWholeShare()
    {
        var model = new UserModel { UserId = "c2" };
        var events = new EventBuilder("c2");
        model.Apply(EventFacts.Parse(events.Track("signup_started", At("2026-03-05T00:00:00Z"))));
        model.Apply(EventFacts.Parse(events.Track("payment_succeeded", At("2026-03-06T00:00:00Z"), new { amount = 30 })));
        var late = EventFacts.Parse(events.Identify(At("2026-03-07T00:00:00Z"), new { created_at = "2026-01-15T00:00:00Z" }));
        Assert.True(CohortMath.Touches([late]));

        var before = CohortMath.ShareOf(model);
        model.Apply(late);
        var delta = CohortMath.Delta(before, CohortMath.ShareOf(model));

        Assert.Equal(["2026-01", "2026-03"], delta.Keys.Order());
        Assert.Equal(-1, delta["2026-03"].Size);
        Assert.Equal((-1, -30m), (delta["2026-03"].Months[0].Users, delta["2026-03"].Months[0].Revenue));
        Assert.Equal(1, delta["2026-01"].Size);
        Assert.Equal((1, 30m), (delta["2026-01"].Months[2].Users, delta["2026-01"].Months[2].Revenue));
    }

    [Fact]
    public void Touches_OnlyPaymentsAndSignupEvents()
    {
        var events = new EventBuilder("c3");
        var now = At("2026-03-01T00:00:00Z");
        Assert.False(CohortMath.Touches([EventFacts.Parse(events.Track("login", now)), EventFacts.Parse(events.Track("analysis_completed", now))]));
        Assert.True(CohortMath.Touches([EventFacts.Parse(events.Track("payment_succeeded", now, new { amount = 1 }))]));
        Assert.True(CohortMath.Touches([EventFacts.Parse(events.Track("signup_started", now))]));
    }
}
