using System.Runtime.CompilerServices;
using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Segments;

namespace SampleMind.Analytics.Users;

/// <summary>
/// The live state of one user, built by applying events. Every field is a function of the <em>set</em> of
/// applied events (minimums, maximums, sums, values stamped with their event time), so late and shuffled
/// delivery gives the same state as in-order delivery. Deduplication is the caller's job (the event log).
/// Kept compact, because every active user holds one: instants as UTC ticks, the day buckets as a sorted array of
/// structs, the funnels as fixed arrays of ticks, vocabulary strings shared process-wide (<see cref="SharedStrings"/>).
/// Snapshots go through <see cref="UserSnapshot"/>.
/// </summary>
public sealed partial class UserModel
{
    /// <summary>Days of activity buckets kept, counted back from the newest event's day.</summary>
    public const int RetainedDays = 120;

    /// <summary>Days of segment history kept, counted back from today.</summary>
    public const int HistoryDays = 90;

    /// <summary>A trial with no paid subscription after this many days counts as the free plan again.</summary>
    public const int TrialDays = 14;

    private const long NoTime = long.MinValue;

    private Trait[] _traits = [];
    private Stamped _email, _device, _source, _campaign, _utmSource, _utmMedium, _utmCampaign; // Value null: none
    private long _signupAt = NoTime, _firstSeenAt = NoTime, _lastActiveAt = NoTime, _lastLoginAt = NoTime;
    private Stamped[] _planLog = [];
    // Campaign touches (events with a campaign value) at or before the first payment, in (time, messageId) order: the
    // last one is the last-touch campaign. A touch after the first payment can never count (the first payment only moves
    // earlier as events arrive), so it is not kept: memory stays the touches before conversion.
    private Stamped[] _touches = [];
    private string[] _featureNames = []; // sorted ordinal, with the first use of each in _featureFirstUse
    private long[] _featureFirstUse = [];
    private long[] _supportTickets = [];
    private long[] _paymentFailures = [];
    private long[] _cancellations = [];
    private Exposure[] _exposures = [];
    private Payment[] _payments = [];
    private StepTicks _activation = StepTicks.None;
    private StepTicks _monetization = StepTicks.None;
    private long _firstSession = NoTime, _secondSession = NoTime;

    public string UserId { get; set; } = "";
    public long EventsApplied { get; private set; }

    /// <summary>Identify/group traits, sorted by key.</summary>
    public IReadOnlyList<Trait> Traits => _traits;

    public Stamped? Email => Optional(_email);
    public Stamped? Device => Optional(_device);
    public Stamped? Source => Optional(_source);
    /// <summary>The first-touch campaign: the earliest (timestamp, then messageId) campaign value of any event.</summary>
    public Stamped? Campaign => Optional(_campaign);

    /// <summary>
    /// The last-touch campaign: the latest (timestamp, then messageId) campaign value of an event timestamped at or before
    /// the person's first payment_succeeded, or of any event when there is no payment yet; null when there is none.
    /// </summary>
    public Stamped? LastTouch => _touches.Length == 0 ? null : _touches[^1];

    /// <summary>Campaign touches at or before the first payment, in time order (see <see cref="LastTouch"/>).</summary>
    public ReadOnlySpan<Stamped> Touches => _touches;
    public Stamped? UtmSource => Optional(_utmSource);
    public Stamped? UtmMedium => Optional(_utmMedium);
    public Stamped? UtmCampaign => Optional(_utmCampaign);
    public DateTimeOffset? SignupAt => Time(_signupAt);
    public DateTimeOffset? FirstSeenAt => Time(_firstSeenAt);
    public DateTimeOffset? LastActiveAt => Time(_lastActiveAt);
    public DateTimeOffset? LastLoginAt => Time(_lastLoginAt);

    /// <summary>Plan changes in time order (ties by messageId).</summary>
    public ReadOnlySpan<Stamped> PlanLog => _planLog;

    /// <summary>Distinct features used, sorted ordinal.</summary>
    public IReadOnlyList<string> FeaturesUsed => _featureNames;

    /// <summary>When each of <see cref="FeaturesUsed"/> was first used (same order).</summary>
    public IEnumerable<DateTimeOffset> FeatureFirstUses => _featureFirstUse.Select(t => new DateTimeOffset(t, TimeSpan.Zero));

    public int SupportTicketCount => _supportTickets.Length;

    /// <summary>Every payment_failed, ascending (the churn model counts the failures since the last payment).</summary>
    public ReadOnlySpan<long> PaymentFailureTicks => _paymentFailures;

    /// <summary>Every support_ticket_opened, ascending.</summary>
    public ReadOnlySpan<long> SupportTicketTicks => _supportTickets;

    /// <summary>Every subscription_canceled, ascending (experiments count churn inside their window).</summary>
    public ReadOnlySpan<long> CancellationTicks => _cancellations;

    /// <summary>The person's first exposure to each experiment (experiment_viewed), by experiment key.</summary>
    public ReadOnlySpan<Exposure> Exposures => _exposures;

    /// <summary>The first exposure to <paramref name="experiment"/>, if any.</summary>
    public Exposure? ExposureTo(string experiment)
    {
        var i = Array.BinarySearch(_exposures, new Exposure(experiment, "", 0, ""), Exposure.ByExperiment);
        return i >= 0 ? _exposures[i] : null;
    }

    public DateTimeOffset[] PaymentFailureTimes => [.. _paymentFailures.Select(t => new DateTimeOffset(t, TimeSpan.Zero))];

    /// <summary>Every payment_succeeded, in time order.</summary>
    public ReadOnlySpan<Payment> Payments => _payments;

    public SubscriptionStatus? Subscription { get; private set; }

    private List<SegmentChange>? _segmentHistory; // only once a view asked for it

    /// <summary>Segment transitions of the last <see cref="HistoryDays"/> days (see <see cref="UpdateTimeline"/>).</summary>
    public IReadOnlyList<SegmentChange> SegmentHistory => (IReadOnlyList<SegmentChange>?)_segmentHistory ?? [];

    /// <summary>The first day whose segment must be re-evaluated (late events move it back); null when clean.</summary>
    public int? TimelineDirtyFrom { get; private set; }

    /// <summary>The last day the timeline was evaluated for, and the segment it had then.</summary>
    public int? TimelineThrough { get; private set; }

    /// <summary>
    /// The user's end-of-day segment from the first day on, as its change points: the segment at the end of each UTC
    /// day given the events applied so far, up to the day after which nothing changes any more without new events
    /// (<see cref="SegmentPaths"/>). The daily segment distribution adds up these paths.
    /// </summary>
    public List<SegmentStep> SegmentPath { get; private set; } = [];

    /// <summary>The first day of <see cref="SegmentPath"/> to re-evaluate; null when the path is current.</summary>
    public int? PathDirtyFrom { get; private set; }

    public decimal LifetimeRevenue
    {
        get
        {
            decimal sum = 0;
            foreach (var p in _payments)
            {
                sum += p.Amount;
            }
            return sum;
        }
    }

    /// <summary>The revenue and number of payments of a UTC day (the day's payment_succeeded events).</summary>
    public (decimal Revenue, int Payments) RevenueOn(int day)
    {
        decimal revenue = 0;
        var count = 0;
        foreach (var p in _payments)
        {
            var d = DayOf(p.AtTicks);
            if (d > day)
            {
                break;
            }
            if (d == day)
            {
                revenue += p.Amount;
                count++;
            }
        }
        return (revenue, count);
    }

    /// <summary>When the user reached step <paramref name="step"/> of funnel <paramref name="funnel"/> (<see cref="Funnels"/>), if they did.</summary>
    public DateTimeOffset? FunnelStepAt(string funnel, int step)
        => Time(funnel == Funnels.Activation ? _activation[step] : funnel == Funnels.Monetization ? _monetization[step]
            : throw new ArgumentException($"unknown funnel {funnel}", nameof(funnel)));

    /// <summary>Applies one (already deduplicated) event.</summary>
    public void Apply(EventFacts e)
    {
        EventsApplied++;
        var at = e.Timestamp.UtcTicks;
        var day = DayOf(at);
        var signupBefore = _signupAt;

        _firstSeenAt = _firstSeenAt == NoTime ? at : Math.Min(_firstSeenAt, at);
        _lastActiveAt = Math.Max(_lastActiveAt, at);
        MarkDirty(day);
        MarkActiveWeek(day);

        var index = BucketFor(day);
        var bucket = index >= 0 ? Unpack(index) : default;
        if (index >= 0)
        {
            bucket.Events++;
            if (at > bucket.LastAtTicks)
            {
                bucket.LastAtTicks = at;
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
                ApplyTrack(e, index >= 0, ref bucket);
                break;
        }
        if (index >= 0)
        {
            Store(index, bucket);
        }
        if (_signupAt != signupBefore)
        {
            MarkDirty(DayOf(_firstSeenAt)); // the account age of every day moved
        }
    }

    /// <summary>Brings <see cref="SegmentPath"/> up to date with the applied events.</summary>
    public void UpdateSegmentPath()
    {
        if (_firstSeenAt == NoTime || (PathDirtyFrom is null && SegmentPath.Count > 0))
        {
            return;
        }
        var start = DayOf(_firstSeenAt);
        var from = Math.Max(PathDirtyFrom ?? start, start);
        SegmentPath.RemoveAll(step => step.Day >= from);
        SegmentPaths.Extend(this, SegmentPath, from);
        PathDirtyFrom = null;
    }

    private void ApplyProfile(EventFacts e)
    {
        foreach (var (key, value) in e.Traits)
        {
            SetTrait(key, new Stamped(SharedStrings.Reuse(value), e.Timestamp, e.MessageId));
        }
        if (e.CreatedAt is { } created)
        {
            _signupAt = _signupAt == NoTime ? created.UtcTicks : Math.Min(_signupAt, created.UtcTicks);
        }
        // Contact details: the latest wins. Acquisition: the first touch wins.
        Latest(ref _email, e.Email, e, shared: false);
        Latest(ref _device, e.Device, e, shared: true);
        Earliest(ref _source, e.Source, e);
        Earliest(ref _campaign, e.Campaign, e);
        AddTouch(e);
        Earliest(ref _utmSource, e.UtmSource, e);
        Earliest(ref _utmMedium, e.UtmMedium, e);
        Earliest(ref _utmCampaign, e.UtmCampaign, e);
    }

    private void SetTrait(string key, Stamped stamped)
    {
        var i = FindTrait(key);
        if (i >= 0)
        {
            if (stamped.IsNewerThan(_traits[i].Value))
            {
                _traits[i] = new Trait(_traits[i].Key, stamped);
            }
            return;
        }
        _traits = Inserted(_traits, ~i, new Trait(SharedStrings.Intern(key), stamped));
    }

    private int FindTrait(string key)
    {
        int lo = 0, hi = _traits.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_traits[mid].Key, key);
            if (c == 0)
            {
                return mid;
            }
            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return ~lo;
    }

    private void ApplyTrack(EventFacts e, bool hasBucket, ref DayBucket b)
    {
        var at = e.Timestamp.UtcTicks;
        switch (e.Name)
        {
            case EventNames.SignupStarted:
                _signupAt = _signupAt == NoTime ? at : Math.Min(_signupAt, at);
                Step(ref _activation, ActivationStep.SignupStarted, at);
                Step(ref _monetization, MonetizationStep.FreeUser, at);
                break;
            case EventNames.EmailVerified:
                Step(ref _activation, ActivationStep.EmailVerified, at);
                break;
            case EventNames.Login:
                _lastLoginAt = Math.Max(_lastLoginAt, at);
                if (hasBucket)
                {
                    b.Logins++;
                }
                break;
            case EventNames.SessionStarted:
                if (hasBucket)
                {
                    b.Sessions++;
                }
                AddFirstSession(at);
                break;
            case EventNames.SessionEnded:
                if (hasBucket && e.DurationSeconds is { } seconds && seconds >= 0)
                {
                    b.SessionsEnded++;
                    b.SessionSeconds += (long)Math.Round(seconds, MidpointRounding.AwayFromZero);
                }
                break;
            case EventNames.SampleUploaded:
                if (hasBucket)
                {
                    b.Uploads++;
                }
                Step(ref _activation, ActivationStep.FirstUpload, at);
                break;
            case EventNames.AnalysisCompleted:
                if (hasBucket)
                {
                    b.Analyses++;
                    if (e.ProcessingTimeMs is { } processing)
                    {
                        b.ProcessingTimeSum += processing;
                        b.ProcessingTimeCount++;
                    }
                    if (e.Accuracy is { } accuracy)
                    {
                        b.AccuracySum += accuracy;
                        b.AccuracyCount++;
                    }
                }
                Step(ref _activation, ActivationStep.FirstAnalysis, at);
                break;
            case EventNames.FeatureUsed:
                if (hasBucket)
                {
                    b.FeatureUses++;
                    if (e.Feature is { } used)
                    {
                        b.Features = SharedStrings.WithFeature(b.Features, used);
                    }
                }
                if (e.Feature is { } feature)
                {
                    UseFeature(feature, at);
                }
                break;
            case EventNames.TrialStarted:
                SetPlan(Plans.Trial, e);
                SetSubscription("trialing", Plans.Trial, null, e);
                Step(ref _monetization, MonetizationStep.TrialStarted, at);
                break;
            case EventNames.PaymentAdded:
                Step(ref _monetization, MonetizationStep.PaymentAdded, at);
                break;
            case EventNames.SubscriptionStarted:
                SetPlan(e.Plan ?? Plans.Starter, e);
                SetSubscription("active", e.Plan, e.Amount, e);
                Step(ref _monetization, MonetizationStep.SubscriptionActive, at);
                break;
            case EventNames.SubscriptionRenewed:
                if (e.Plan is not null)
                {
                    SetPlan(e.Plan, e);
                }
                SetSubscription("active", e.Plan ?? Subscription?.Plan, e.Amount ?? Subscription?.Amount, e);
                Step(ref _monetization, MonetizationStep.SubscriptionRenewed, at);
                break;
            case EventNames.SubscriptionCanceled:
                _cancellations = InsertedSorted(_cancellations, at, static (a, b) => a.CompareTo(b));
                SetPlan(Plans.Free, e);
                SetSubscription("canceled", e.Plan ?? Subscription?.Plan, e.Amount ?? Subscription?.Amount, e);
                break;
            case EventNames.ExperimentViewed or EventNames.SegmentExperimentViewed:
                if (e.ExperimentId is { } experiment && e.VariationId is { } variation)
                {
                    Expose(new Exposure(SharedStrings.Intern(experiment), SharedStrings.Intern(variation), at, e.MessageId));
                }
                break;
            case EventNames.PaymentSucceeded:
                _payments = InsertedSorted(_payments, new Payment(at, e.Amount ?? 0m, e.FromStripe), static (a, b) => a.AtTicks.CompareTo(b.AtTicks));
                DropTouchesAfter(_payments[0].AtTicks);
                break;
            case EventNames.PaymentRefunded:
                ApplyRefund(e);
                break;
            case EventNames.StripeSubscription:
                ApplyStripeSubscription(e);
                break;
            case EventNames.PaymentFailed:
                _paymentFailures = InsertedSorted(_paymentFailures, at, static (a, b) => a.CompareTo(b));
                break;
            case EventNames.SupportTicketOpened:
                _supportTickets = InsertedSorted(_supportTickets, at, static (a, b) => a.CompareTo(b));
                break;
        }
    }

    /// <summary>Keeps the earliest exposure per experiment (then the smallest messageId), whatever the arrival order.</summary>
    private void Expose(Exposure exposure)
    {
        var i = Array.BinarySearch(_exposures, exposure, Exposure.ByExperiment);
        if (i < 0)
        {
            _exposures = Inserted(_exposures, ~i, exposure);
        }
        else if (exposure.AtTicks < _exposures[i].AtTicks
            || (exposure.AtTicks == _exposures[i].AtTicks && string.CompareOrdinal(exposure.MessageId, _exposures[i].MessageId) < 0))
        {
            _exposures = [.. _exposures];
            _exposures[i] = exposure;
        }
    }

    private void UseFeature(string feature, long at)
    {
        var i = Array.BinarySearch(_featureNames, feature, StringComparer.Ordinal);
        if (i >= 0)
        {
            _featureFirstUse[i] = Math.Min(_featureFirstUse[i], at);
            _featureUses[i]++;
            return;
        }
        _featureNames = Inserted(_featureNames, ~i, SharedStrings.Intern(feature));
        _featureFirstUse = Inserted(_featureFirstUse, ~i, at);
        _featureUses = Inserted(_featureUses, ~i, 1);
    }

    /// <summary>The plan in force at <paramref name="at"/>; a lapsed trial is the free plan.</summary>
    public string PlanAt(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        Stamped? current = null;
        foreach (var change in _planLog)
        {
            if (change.AtTicks > ticks)
            {
                break;
            }
            current = change;
        }
        if (current is not { } c)
        {
            return Plans.Free;
        }
        if (c.Value == Plans.Trial && (at - c.At).TotalDays > TrialDays)
        {
            return Plans.Free;
        }
        return c.Value;
    }

    /// <summary>The seed segment inputs as of <paramref name="at"/>, with windows counted in whole UTC days ending with <paramref name="at"/>'s day.</summary>
    public SegmentInputs SegmentInputsAt(DateTimeOffset at)
    {
        var day = DayOf(at);
        var ticks = at.UtcTicks;
        var analyses = 0;
        for (var i = 0; i < _dayCount; i++)
        {
            var d = _days[i].Day;
            if (d > day - 7 && d <= day)
            {
                analyses += AnalysesAt(i);
            }
        }
        var features = 0;
        foreach (var first in _featureFirstUse)
        {
            if (first <= ticks)
            {
                features++;
            }
        }
        decimal revenue = 0;
        foreach (var p in _payments)
        {
            if (p.AtTicks > ticks)
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
        if (_firstSeenAt == NoTime)
        {
            return;
        }
        var today = DayOf(now);
        var windowStart = Math.Max(DayOf(_firstSeenAt), today - HistoryDays + 1);
        var from = TimelineDirtyFrom ?? today;
        if (TimelineThrough is { } through)
        {
            from = Math.Min(from, through); // the last evaluated day was evaluated at "now" then: redo it at its end
        }
        from = Math.Max(from, windowStart);

        var history = _segmentHistory ??= [];
        history.RemoveAll(t => t.Date.DayNumber >= from || t.Date.DayNumber < windowStart);
        var previous = history.Count > 0 ? history[^1].To : SegmentBefore(from, windowStart);
        for (var d = from; d <= today; d++)
        {
            var at = d == today ? now : EndOfDay(d);
            var segment = SegmentAt(at);
            if (segment != previous)
            {
                history.Add(new SegmentChange(DateOnly.FromDayNumber(d), previous, segment));
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
        for (var i = 0; i < _dayCount; i++)
        {
            var d = _days[i].Day;
            if (d <= today - 60 || d > today)
            {
                continue;
            }
            if (d > today - 30)
            {
                recent += AnalysesAt(i);
                sessions += SessionsAt(i);
            }
            else
            {
                prior += AnalysesAt(i);
            }
        }
        var lastLogin = LastLoginAt ?? LastActiveAt ?? FirstSeenAt ?? now;
        long monthAgo = now.AddDays(-30).UtcTicks, ticks = now.UtcTicks;
        return ChurnFeatureCalculator.Compute(
            daysSinceLastLogin: Math.Max(0, (now - lastLogin).TotalDays),
            analysesLast30: recent,
            analysesPrior30: prior,
            supportTickets30: _supportTickets.Count(t => t > monthAgo && t <= ticks),
            paymentFailures30: _paymentFailures.Count(t => t > monthAgo && t <= ticks),
            distinctFeatures: _featureNames.Length,
            sessionsLast30: sessions);
    }

    /// <summary>Monthly recurring revenue of this user now (0 unless the subscription is active).</summary>
    /// <remarks>Stripe's subscriptions, once any webhook told of one (<see cref="Mrr"/>), else the product's subscription events.</remarks>
    public decimal MonthlyRevenue => HasStripeSubscriptions ? Mrr : Subscription is { Status: "active", Amount: { } amount } ? amount : 0m;

    private DateTimeOffset? LastActiveAsOf(int day, DateTimeOffset at)
    {
        if (LastActiveAt is { } last && last <= at)
        {
            return last;
        }
        for (var i = _dayCount - 1; i >= 0; i--)
        {
            var d = _days[i].Day;
            if (d <= day - RetainedDays)
            {
                break;
            }
            if (d <= day)
            {
                var lastAt = LastAtOf(i);
                return lastAt <= at ? lastAt : at; // later events of the same day: active "now"
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
        var stamped = new Stamped(SharedStrings.Intern(Plans.Normalize(plan)), e.Timestamp, e.MessageId);
        _planLog = InsertedSorted(_planLog, stamped, static (a, b) => a.AtTicks != b.AtTicks ? a.AtTicks.CompareTo(b.AtTicks) : string.CompareOrdinal(a.MessageId, b.MessageId));
    }

    private void SetSubscription(string status, string? plan, decimal? amount, EventFacts e)
    {
        var candidate = new SubscriptionStatus(status, plan is null ? null : SharedStrings.Intern(Plans.Normalize(plan)), amount, e.Timestamp, e.MessageId);
        if (Subscription is null || e.Timestamp > Subscription.At
            || (e.Timestamp == Subscription.At && string.CompareOrdinal(e.MessageId, Subscription.MessageId) > 0))
        {
            Subscription = candidate;
        }
    }

    private void AddFirstSession(long at)
    {
        // The two earliest session starts: the second one is the activation funnel's last step.
        if (_firstSession == NoTime || at < _firstSession)
        {
            _secondSession = _firstSession;
            _firstSession = at;
        }
        else if (_secondSession == NoTime || at < _secondSession)
        {
            _secondSession = at;
        }
        if (_secondSession != NoTime)
        {
            _activation[ActivationStep.SecondSession] = _secondSession;
        }
    }

    private static void Step(ref StepTicks funnel, int step, long at)
    {
        if (funnel[step] == NoTime || at < funnel[step])
        {
            funnel[step] = at;
        }
    }

    private static void Latest(ref Stamped current, string? value, EventFacts e, bool shared)
    {
        if (value is null)
        {
            return;
        }
        var candidate = new Stamped(value, e.Timestamp, e.MessageId);
        if (candidate.IsNewerThan(Optional(current)))
        {
            current = shared ? new Stamped(SharedStrings.Intern(value), candidate.AtTicks, candidate.MessageId) : candidate;
        }
    }

    private void AddTouch(EventFacts e)
    {
        if (e.Campaign is not { } campaign || (_payments.Length > 0 && e.Timestamp.UtcTicks > _payments[0].AtTicks))
        {
            return;
        }
        var touch = new Stamped(SharedStrings.Intern(campaign), e.Timestamp, e.MessageId);
        if (Array.IndexOf(_touches, touch) < 0)
        {
            _touches = InsertedSorted(_touches, touch, CompareStamped);
        }
    }

    private void DropTouchesAfter(long ticks)
    {
        var keep = _touches.Length;
        while (keep > 0 && _touches[keep - 1].AtTicks > ticks)
        {
            keep--;
        }
        if (keep < _touches.Length)
        {
            _touches = _touches[..keep];
        }
    }

    private static int CompareStamped(Stamped a, Stamped b)
        => a.AtTicks != b.AtTicks ? a.AtTicks.CompareTo(b.AtTicks) : string.CompareOrdinal(a.MessageId, b.MessageId);

    private static void Earliest(ref Stamped current, string? value, EventFacts e)
    {
        if (value is null)
        {
            return;
        }
        var candidate = new Stamped(value, e.Timestamp, e.MessageId);
        if (current.Value is null || current.IsNewerThan(candidate))
        {
            current = new Stamped(SharedStrings.Intern(value), candidate.AtTicks, candidate.MessageId);
        }
    }

    private static T[] Inserted<T>(T[] array, int at, T item)
    {
        var grown = new T[array.Length + 1];
        Array.Copy(array, grown, at);
        grown[at] = item;
        Array.Copy(array, at, grown, at + 1, array.Length - at);
        return grown;
    }

    private static T[] InsertedSorted<T>(T[] array, T item, Comparison<T> comparison)
    {
        var i = array.Length;
        while (i > 0 && comparison(array[i - 1], item) > 0)
        {
            i--;
        }
        return Inserted(array, i, item);
    }

    private static Stamped? Optional(Stamped stamped) => stamped.Value is null ? null : stamped;

    private static DateTimeOffset? Time(long ticks) => ticks == NoTime ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    public static int DayOf(DateTimeOffset at) => DayOf(at.UtcTicks);

    public static int DayOf(long utcTicks) => (int)(utcTicks / TimeSpan.TicksPerDay);

    /// <summary>The last instant of a UTC day.</summary>
    public static DateTimeOffset EndOfDay(int day)
        => new DateTimeOffset(DateOnly.FromDayNumber(day + 1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddTicks(-1);

    /// <summary>Indices of the activation funnel's steps (<see cref="Funnels.ActivationSteps"/>).</summary>
    private static class ActivationStep
    {
        public const int SignupStarted = 0, EmailVerified = 1, FirstUpload = 2, FirstAnalysis = 3, SecondSession = 4;
    }

    /// <summary>Indices of the monetization funnel's steps (<see cref="Funnels.MonetizationSteps"/>).</summary>
    private static class MonetizationStep
    {
        public const int FreeUser = 0, TrialStarted = 1, PaymentAdded = 2, SubscriptionActive = 3, SubscriptionRenewed = 4;
    }

    /// <summary>A funnel's five step times, inline (UTC ticks; <see cref="NoTime"/> for a step not reached).</summary>
    [InlineArray(5)]
    private struct StepTicks
    {
        private long _first;

        public static readonly StepTicks None = CreateNone();

        private static StepTicks CreateNone()
        {
            var none = new StepTicks();
            ((Span<long>)none).Fill(NoTime);
            return none;
        }
    }
}
