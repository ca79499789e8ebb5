using System.Text.Json.Serialization;
using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Segments;

namespace SampleMind.Analytics.Users;

/// <summary>
/// The live state of one user, built by applying events. Every field is a function of the <em>set</em> of
/// applied events (minimums, maximums, sums, values stamped with their event time), so late and shuffled
/// delivery gives the same state as in-order delivery. Deduplication is the caller's job (the event log).
/// Serialisable with System.Text.Json (<see cref="UserModelJsonContext"/>) for snapshots.
/// </summary>
public sealed class UserModel
{
    /// <summary>Days of activity buckets kept, counted back from the newest event's day.</summary>
    public const int RetainedDays = 120;

    /// <summary>Days of segment history kept, counted back from today.</summary>
    public const int HistoryDays = 90;

    /// <summary>A trial with no paid subscription after this many days counts as the free plan again.</summary>
    public const int TrialDays = 14;

    public string UserId { get; set; } = "";
    public long EventsApplied { get; set; }
    public Dictionary<string, Stamped> Traits { get; set; } = new(StringComparer.Ordinal);
    public Stamped? Email { get; set; }
    public Stamped? Device { get; set; }
    public Stamped? Source { get; set; }
    public Stamped? Campaign { get; set; }
    public Stamped? UtmSource { get; set; }
    public Stamped? UtmMedium { get; set; }
    public Stamped? UtmCampaign { get; set; }
    public DateTimeOffset? SignupAt { get; set; }
    public DateTimeOffset? FirstSeenAt { get; set; }
    public DateTimeOffset? LastActiveAt { get; set; }
    public DateTimeOffset? LastLoginAt { get; set; }
    public List<Stamped> PlanLog { get; set; } = [];
    public Dictionary<int, DayBucket> Days { get; set; } = [];
    public Dictionary<string, DateTimeOffset> FeatureFirstUse { get; set; } = new(StringComparer.Ordinal);
    public List<DateTimeOffset> SupportTickets { get; set; } = [];
    public List<DateTimeOffset> PaymentFailures { get; set; } = [];
    public List<Payment> Payments { get; set; } = [];
    public SubscriptionStatus? Subscription { get; set; }
    public Dictionary<string, DateTimeOffset> Activation { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, DateTimeOffset> Monetization { get; set; } = new(StringComparer.Ordinal);
    public List<DateTimeOffset> FirstSessions { get; set; } = [];
    public List<SegmentChange> SegmentHistory { get; set; } = [];

    /// <summary>The first day whose segment must be re-evaluated (late events move it back); null when clean.</summary>
    public int? TimelineDirtyFrom { get; set; }

    /// <summary>The last day the timeline was evaluated for, and the segment it had then.</summary>
    public int? TimelineThrough { get; set; }

    /// <summary>
    /// The user's end-of-day segment from the first day on, as its change points: the segment at the end of each UTC
    /// day given the events applied so far, up to the day after which nothing changes any more without new events
    /// (<see cref="SegmentPaths"/>). The daily segment distribution adds up these paths.
    /// </summary>
    public List<SegmentStep> SegmentPath { get; set; } = [];

    /// <summary>The first day of <see cref="SegmentPath"/> to re-evaluate; null when the path is current.</summary>
    public int? PathDirtyFrom { get; set; }

    [JsonIgnore]
    public int NewestDay => Days.Count == 0 ? int.MinValue : Days.Keys.Max();

    [JsonIgnore]
    public decimal LifetimeRevenue => Payments.Sum(p => p.Amount);

    /// <summary>Applies one (already deduplicated) event.</summary>
    public void Apply(EventFacts e)
    {
        EventsApplied++;
        var at = e.Timestamp;
        var day = DateOnly.FromDateTime(at.UtcDateTime).DayNumber;
        var signupBefore = SignupAt;

        FirstSeenAt = Min(FirstSeenAt, at);
        LastActiveAt = Max(LastActiveAt, at);
        MarkDirty(day);

        var bucket = BucketFor(day);
        if (bucket is not null)
        {
            bucket.Events++;
            if (at > bucket.LastAt)
            {
                bucket.LastAt = at;
            }
        }

        ApplyProfile(e);

        switch (e.Type)
        {
            case "identify":
                if (e.Plan is not null)
                {
                    SetPlan(e.Plan, e);
                }
                break;
            case "track":
                ApplyTrack(e, bucket);
                break;
        }
        if (SignupAt != signupBefore)
        {
            MarkDirty(DayOf(FirstSeenAt!.Value)); // the account age of every day moved
        }
    }

    /// <summary>Brings <see cref="SegmentPath"/> up to date with the applied events.</summary>
    public void UpdateSegmentPath()
    {
        if (FirstSeenAt is not { } first || (PathDirtyFrom is null && SegmentPath.Count > 0))
        {
            return;
        }
        var start = DayOf(first);
        var from = Math.Max(PathDirtyFrom ?? start, start);
        SegmentPath.RemoveAll(step => step.Day >= from);
        SegmentPaths.Extend(this, SegmentPath, from);
        PathDirtyFrom = null;
    }

    private void ApplyProfile(EventFacts e)
    {
        foreach (var (key, value) in e.Traits)
        {
            var stamped = new Stamped(value, e.Timestamp, e.MessageId);
            if (stamped.IsNewerThan(Traits.GetValueOrDefault(key)))
            {
                Traits[key] = stamped;
            }
        }
        if (e.CreatedAt is { } created)
        {
            SignupAt = Min(SignupAt, created);
        }
        // Contact details: the latest wins. Acquisition: the first touch wins.
        Email = Latest(Email, e.Email, e);
        Device = Latest(Device, e.Device, e);
        Source = Earliest(Source, e.Source, e);
        Campaign = Earliest(Campaign, e.Campaign, e);
        UtmSource = Earliest(UtmSource, e.UtmSource, e);
        UtmMedium = Earliest(UtmMedium, e.UtmMedium, e);
        UtmCampaign = Earliest(UtmCampaign, e.UtmCampaign, e);
    }

    private void ApplyTrack(EventFacts e, DayBucket? bucket)
    {
        var at = e.Timestamp;
        switch (e.Name)
        {
            case EventNames.SignupStarted:
                SignupAt = Min(SignupAt, at);
                Step(Activation, "signup_started", at);
                Step(Monetization, "free_user", at);
                break;
            case EventNames.EmailVerified:
                Step(Activation, "email_verified", at);
                break;
            case EventNames.Login:
                LastLoginAt = Max(LastLoginAt, at);
                if (bucket is not null)
                {
                    bucket.Logins++;
                }
                break;
            case EventNames.SessionStarted:
                if (bucket is not null)
                {
                    bucket.Sessions++;
                }
                AddFirstSession(at);
                break;
            case EventNames.SessionEnded:
                if (bucket is not null && e.DurationSeconds is { } seconds && seconds >= 0)
                {
                    bucket.SessionsEnded++;
                    bucket.SessionSeconds += (long)Math.Round(seconds, MidpointRounding.AwayFromZero);
                }
                break;
            case EventNames.SampleUploaded:
                if (bucket is not null)
                {
                    bucket.Uploads++;
                }
                Step(Activation, "first_upload", at);
                break;
            case EventNames.AnalysisCompleted:
                if (bucket is not null)
                {
                    bucket.Analyses++;
                    if (e.ProcessingTimeMs is { } processing)
                    {
                        bucket.ProcessingTimeSum += processing;
                        bucket.ProcessingTimeCount++;
                    }
                    if (e.Accuracy is { } accuracy)
                    {
                        bucket.AccuracySum += accuracy;
                        bucket.AccuracyCount++;
                    }
                }
                Step(Activation, "first_analysis", at);
                break;
            case EventNames.FeatureUsed:
                if (bucket is not null)
                {
                    bucket.FeatureUses++;
                    if (e.Feature is { } used && !(bucket.Features ??= []).Contains(used))
                    {
                        bucket.Features.Add(used);
                        bucket.Features.Sort(StringComparer.Ordinal);
                    }
                }
                if (e.Feature is { } feature && (!FeatureFirstUse.TryGetValue(feature, out var first) || at < first))
                {
                    FeatureFirstUse[feature] = at;
                }
                break;
            case EventNames.TrialStarted:
                SetPlan(Plans.Trial, e);
                SetSubscription("trialing", Plans.Trial, null, e);
                Step(Monetization, "trial_started", at);
                break;
            case EventNames.PaymentAdded:
                Step(Monetization, "payment_added", at);
                break;
            case EventNames.SubscriptionStarted:
                SetPlan(e.Plan ?? Plans.Starter, e);
                SetSubscription("active", e.Plan, e.Amount, e);
                Step(Monetization, "subscription_active", at);
                break;
            case EventNames.SubscriptionRenewed:
                if (e.Plan is not null)
                {
                    SetPlan(e.Plan, e);
                }
                SetSubscription("active", e.Plan ?? Subscription?.Plan, e.Amount ?? Subscription?.Amount, e);
                Step(Monetization, "subscription_renewed", at);
                break;
            case EventNames.SubscriptionCanceled:
                SetPlan(Plans.Free, e);
                SetSubscription("canceled", e.Plan ?? Subscription?.Plan, e.Amount ?? Subscription?.Amount, e);
                break;
            case EventNames.PaymentSucceeded:
                var amount = e.Amount ?? 0m;
                InsertSorted(Payments, new Payment(at, amount), static (a, b) => a.At.CompareTo(b.At));
                if (bucket is not null)
                {
                    bucket.Revenue += amount;
                    bucket.Payments++;
                }
                break;
            case EventNames.PaymentFailed:
                InsertSorted(PaymentFailures, at, static (a, b) => a.CompareTo(b));
                break;
            case EventNames.SupportTicketOpened:
                InsertSorted(SupportTickets, at, static (a, b) => a.CompareTo(b));
                break;
        }
    }

    /// <summary>The plan in force at <paramref name="at"/>; a lapsed trial is the free plan.</summary>
    public string PlanAt(DateTimeOffset at)
    {
        Stamped? current = null;
        foreach (var change in PlanLog)
        {
            if (change.At > at)
            {
                break;
            }
            current = change;
        }
        if (current is null)
        {
            return Plans.Free;
        }
        if (current.Value == Plans.Trial && (at - current.At).TotalDays > TrialDays)
        {
            return Plans.Free;
        }
        return current.Value;
    }

    /// <summary>The seed segment inputs as of <paramref name="at"/>, with windows counted in whole UTC days ending with <paramref name="at"/>'s day.</summary>
    public SegmentInputs SegmentInputsAt(DateTimeOffset at)
    {
        var day = DayOf(at);
        var analyses = 0;
        for (var d = day - 6; d <= day; d++)
        {
            if (Days.TryGetValue(d, out var b))
            {
                analyses += b.Analyses;
            }
        }
        var features = 0;
        foreach (var first in FeatureFirstUse.Values)
        {
            if (first <= at)
            {
                features++;
            }
        }
        decimal revenue = 0;
        foreach (var p in Payments)
        {
            if (p.At > at)
            {
                break;
            }
            revenue += p.Amount;
        }
        double? sinceActive = null;
        var lastActive = LastActiveAsOf(day, at);
        if (lastActive is { } la)
        {
            sinceActive = (at - la).TotalDays;
        }
        else if (FirstSeenAt is { } fs && fs <= at)
        {
            sinceActive = (at - fs).TotalDays; // active only before the retained days: long ago
        }
        var signup = SignupAt ?? FirstSeenAt ?? at;
        return new SegmentInputs(analyses, features, PlanAt(at), (at - signup).TotalDays, sinceActive, revenue);
    }

    /// <summary>The segment as of <paramref name="at"/>.</summary>
    public string SegmentAt(DateTimeOffset at) => SegmentRules.Evaluate(SegmentInputsAt(at));

    /// <summary>Brings the daily segment timeline (and its transitions) up to <paramref name="now"/>.</summary>
    public void UpdateTimeline(DateTimeOffset now)
    {
        if (FirstSeenAt is not { } firstSeen)
        {
            return;
        }
        var today = DayOf(now);
        var windowStart = Math.Max(DayOf(firstSeen), today - HistoryDays + 1);
        var from = TimelineDirtyFrom ?? today;
        if (TimelineThrough is { } through)
        {
            from = Math.Min(from, through); // the last evaluated day was evaluated at "now" then: redo it at its end
        }
        from = Math.Max(from, windowStart);

        SegmentHistory.RemoveAll(t => t.Date.DayNumber >= from || t.Date.DayNumber < windowStart);
        var previous = SegmentHistory.Count > 0 ? SegmentHistory[^1].To : SegmentBefore(from, windowStart);
        for (var d = from; d <= today; d++)
        {
            var at = d == today ? now : EndOfDay(d);
            var segment = SegmentAt(at);
            if (segment != previous)
            {
                SegmentHistory.Add(new SegmentChange(DateOnly.FromDayNumber(d), previous, segment));
                previous = segment;
            }
        }
        TimelineDirtyFrom = null;
        TimelineThrough = today;
    }

    private string SegmentBefore(int day, int windowStart)
        => day > windowStart ? SegmentAt(EndOfDay(day - 1)) : SegmentNames.Unclassified;

    /// <summary>The seven churn features of the seed, as of <paramref name="now"/>.</summary>
    public ChurnFeatureValues ChurnFeaturesAt(DateTimeOffset now)
    {
        var today = DayOf(now);
        int recent = 0, prior = 0, sessions = 0;
        for (var d = today - 59; d <= today; d++)
        {
            if (!Days.TryGetValue(d, out var b))
            {
                continue;
            }
            if (d > today - 30)
            {
                recent += b.Analyses;
                sessions += b.Sessions;
            }
            else
            {
                prior += b.Analyses;
            }
        }
        var lastLogin = LastLoginAt ?? LastActiveAt ?? FirstSeenAt ?? now;
        var monthAgo = now.AddDays(-30);
        return ChurnFeatureCalculator.Compute(
            daysSinceLastLogin: Math.Max(0, (now - lastLogin).TotalDays),
            analysesLast30: recent,
            analysesPrior30: prior,
            supportTickets30: SupportTickets.Count(t => t > monthAgo && t <= now),
            paymentFailures30: PaymentFailures.Count(t => t > monthAgo && t <= now),
            distinctFeatures: FeatureFirstUse.Count,
            sessionsLast30: sessions);
    }

    /// <summary>Monthly recurring revenue of this user now (0 unless the subscription is active).</summary>
    [JsonIgnore]
    public decimal MonthlyRevenue => Subscription is { Status: "active", Amount: { } amount } ? amount : 0m;

    private DayBucket? BucketFor(int day)
    {
        if (Days.TryGetValue(day, out var bucket))
        {
            return bucket;
        }
        var newest = NewestDay;
        if (Days.Count > 0 && day <= newest - RetainedDays)
        {
            return null; // older than what we keep: counted in lifetime figures, not in daily buckets
        }
        bucket = new DayBucket();
        Days[day] = bucket;
        if (day > newest && Days.Count > 1)
        {
            var cutoff = day - RetainedDays;
            foreach (var old in Days.Keys.Where(k => k <= cutoff).ToList())
            {
                Days.Remove(old);
            }
        }
        return bucket;
    }

    private DateTimeOffset? LastActiveAsOf(int day, DateTimeOffset at)
    {
        if (LastActiveAt is { } last && last <= at)
        {
            return last;
        }
        for (var d = day; d > day - RetainedDays; d--)
        {
            if (Days.TryGetValue(d, out var b))
            {
                return b.LastAt <= at ? b.LastAt : at; // later events of the same day: active "now"
            }
        }
        return null;
    }

    private void MarkDirty(int day)
    {
        TimelineDirtyFrom = TimelineDirtyFrom is { } d ? Math.Min(d, day) : day;
        PathDirtyFrom = PathDirtyFrom is { } p ? Math.Min(p, day) : day;
    }

    private void SetPlan(string plan, EventFacts e)
    {
        var stamped = new Stamped(Plans.Normalize(plan), e.Timestamp, e.MessageId);
        InsertSorted(PlanLog, stamped, static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : string.CompareOrdinal(a.MessageId, b.MessageId));
    }

    private void SetSubscription(string status, string? plan, decimal? amount, EventFacts e)
    {
        var candidate = new SubscriptionStatus(status, plan is null ? null : Plans.Normalize(plan), amount, e.Timestamp, e.MessageId);
        if (Subscription is null || e.Timestamp > Subscription.At
            || (e.Timestamp == Subscription.At && string.CompareOrdinal(e.MessageId, Subscription.MessageId) > 0))
        {
            Subscription = candidate;
        }
    }

    private void AddFirstSession(DateTimeOffset at)
    {
        InsertSorted(FirstSessions, at, static (a, b) => a.CompareTo(b));
        if (FirstSessions.Count > 2)
        {
            FirstSessions.RemoveAt(2);
        }
        if (FirstSessions.Count == 2)
        {
            Activation["second_session"] = FirstSessions[1];
        }
    }

    private static void Step(Dictionary<string, DateTimeOffset> funnel, string step, DateTimeOffset at)
    {
        if (!funnel.TryGetValue(step, out var existing) || at < existing)
        {
            funnel[step] = at;
        }
    }

    private static Stamped? Latest(Stamped? current, string? value, EventFacts e)
    {
        if (value is null)
        {
            return current;
        }
        var candidate = new Stamped(value, e.Timestamp, e.MessageId);
        return candidate.IsNewerThan(current) ? candidate : current;
    }

    private static Stamped? Earliest(Stamped? current, string? value, EventFacts e)
    {
        if (value is null)
        {
            return current;
        }
        var candidate = new Stamped(value, e.Timestamp, e.MessageId);
        return current is null || current.IsNewerThan(candidate) ? candidate : current;
    }

    private static void InsertSorted<T>(List<T> list, T item, Comparison<T> comparison)
    {
        var i = list.Count;
        while (i > 0 && comparison(list[i - 1], item) > 0)
        {
            i--;
        }
        list.Insert(i, item);
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x <= b ? x : b;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x >= b ? x : b;

    public static int DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;

    /// <summary>The last instant of a UTC day.</summary>
    public static DateTimeOffset EndOfDay(int day)
        => new DateTimeOffset(DateOnly.FromDayNumber(day + 1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddTicks(-1);
}
