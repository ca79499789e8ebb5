using static SampleMind.Analytics.Simulation.SimulationCatalog;

namespace SampleMind.Analytics.Simulation;

/// <summary>
/// The latent archetype a user is drawn from. It fixes the user's tendencies (engagement, plan,
/// whether and when they churn); what they end up classified as follows from the events they produce.
/// </summary>
public enum Persona
{
    /// <summary>Heavy pro/studio subscriber using most features.</summary>
    Power,

    /// <summary>Long-standing paid subscriber with steady weekly use.</summary>
    Regular,

    /// <summary>Recent free/trial signup trying a few samples a week.</summary>
    Explorer,

    /// <summary>Paid subscriber whose engagement fades; cancels more than 30 days before the end.</summary>
    Dormant,

    /// <summary>Paid subscriber who churns within the last 30 days.</summary>
    RecentChurn,

    /// <summary>Free signup who tries the product for a few days and lapses without paying.</summary>
    LapsedFree,

    /// <summary>Free user older than 90 days with occasional use.</summary>
    OldFree,

    /// <summary>Signup that drops out of the activation funnel.</summary>
    Dropout,
}

/// <summary>One simulated user: latent traits, subscription state and the daily behaviour that emits events.</summary>
internal sealed partial class SimUser
{
    private const long MsPerDay = 86_400_000L;
    private const long MsPerHour = 3_600_000L;

    // Share of the population per persona. Calibrated so that, among users the seed's rules classify,
    // the end state is ≈ 5 % power users, 25 % regulars, 40 % explorers and 30 % dormant.
    private static readonly double[] s_personaWeights = [0.043, 0.215, 0.41, 0.26, 0.03, 0.04, 0.02, 0.08];

    private static readonly double[] s_channelWeights = Channels.Select(c => (double)c.SeedConversions).ToArray();
    private static readonly double[] s_featureWeights = Enumerable.Range(0, Features.Length).Select(i => 1.0 / (i + 3)).ToArray();

    private readonly SimRandom _rng;
    private readonly int _days;
    private readonly long _windowStartMs;
    private readonly long _nowMs;
    private readonly int[] _featureOrder;
    private readonly SimulationPricingTest? _pricing;
    private readonly long _seed;
    private decimal _priceFactor = 1m;
    private decimal _pricingFactor = 1m;

    private double _logDrift;
    private int _seq;
    private int _sessionNumber;
    private int _sampleNumber;
    private int _paymentAttempts;
    private int _anchorDay;
    private bool _verified;
    private bool _identified;
    private bool _declining;

    public SimUser(int index, string userId, long seed, int days, long windowStartMs, long nowMs, SimulationPricingTest? pricing = null,
        bool identity = false, SimulationChurn churn = SimulationChurn.Scripted)
    {
        _pricing = pricing;
        _seed = seed;
        Index = index;
        UserId = userId;
        _rng = SimRandom.ForUser(seed, index);
        _days = days;
        _windowStartMs = windowStartMs;
        _nowMs = nowMs;

        Persona = (Persona)_rng.Pick(s_personaWeights);
        if (Persona == Persona.Dormant && days < 36)
        {
            // Dormant needs a payment and then > 30 silent days inside the window.
            Persona = Persona.RecentChurn;
        }

        if (Persona == Persona.Dropout && days < 1)
        {
            Persona = Persona.OldFree;
        }

        var channel = Channels[_rng.Pick(s_channelWeights)];
        Channel = channel.Name;
        Campaign = channel.Campaigns[_rng.Next(channel.Campaigns.Length)];
        Device = Devices[_rng.Pick(DeviceWeights)];
        Email = userId + "@sim.samplemind.test";

        // Engagement index: a user's position within their persona (0.5 … 1.5, mean 1); it scales usage
        // and the chance that a trial converts.
        EngagementIndex = _rng.Uniform(0.5, 1.5);
        var ageDays = Persona switch
        {
            Persona.Power or Persona.Dormant or Persona.RecentChurn => days + _rng.Uniform(1, 600),
            Persona.Regular => Math.Max(days, 91) + _rng.Uniform(1, 600),
            Persona.OldFree => Math.Max(days, 91) + _rng.Uniform(1, 400),
            Persona.Explorer => _rng.Uniform(3, 89),
            Persona.LapsedFree => _rng.Uniform(15, 89),
            _ => _rng.Uniform(0.05, Math.Max(days, 0.1)),
        };
        CreatedAtMs = (_nowMs - (long)(ageDays * MsPerDay)) / 1000 * 1000;
        SignupDay = CreatedAtMs >= _windowStartMs ? (int)((CreatedAtMs - _windowStartMs) / MsPerDay) : -1;
        _verified = SignupDay < 0;

        switch (Persona)
        {
            case Persona.Power:
                Plan = _rng.Chance(0.6) ? Pro : Studio;
                AnalysesPerDay = _rng.LogUniform(9, 15) * (0.85 + 0.15 * EngagementIndex);
                ActiveChance = 0.93;
                SessionsPerDay = 2.5;
                FeaturesPerSession = 2.0;
                AdoptedFeatures = 12 + _rng.Next(7);
                PaymentRisk = 0.03;
                TicketRate = 0.004;
                break;
            case Persona.Regular:
                Plan = PickPaidPlan(0.55, 0.35);
                AnalysesPerDay = _rng.LogUniform(1.5, 5);
                ActiveChance = 0.7;
                SessionsPerDay = 1.4;
                FeaturesPerSession = 0.8;
                AdoptedFeatures = 3 + _rng.Next(8);
                PaymentRisk = 0.03;
                TicketRate = 0.004;
                break;
            case Persona.Dormant:
            case Persona.RecentChurn:
                Plan = PickPaidPlan(0.6, 0.35);
                AnalysesPerDay = _rng.LogUniform(0.8, 3);
                ActiveChance = 0.6;
                SessionsPerDay = 1.2;
                FeaturesPerSession = 0.5;
                AdoptedFeatures = 2 + _rng.Next(6);
                PaymentRisk = 0.2;
                TicketRate = 0.01;
                break;
            case Persona.Explorer:
                Plan = Free;
                ActiveChance = _rng.Uniform(0.25, 0.4);
                AnalysesPerDay = ActiveChance * 1.25;
                SessionsPerDay = 1;
                FeaturesPerSession = 0.5;
                AdoptedFeatures = 1 + _rng.Next(5);
                PaymentRisk = 0.05;
                TicketRate = 0.004;
                break;
            case Persona.LapsedFree:
                Plan = Free;
                ActiveChance = 0.5;
                AnalysesPerDay = 0.8;
                SessionsPerDay = 1;
                FeaturesPerSession = 0.4;
                AdoptedFeatures = 1 + _rng.Next(3);
                PaymentRisk = 0.05;
                TicketRate = 0.01;
                break;
            default:
                Plan = Free;
                ActiveChance = 0.15;
                AnalysesPerDay = 0.2;
                SessionsPerDay = 1;
                FeaturesPerSession = 0.3;
                AdoptedFeatures = 1 + _rng.Next(3);
                PaymentRisk = 0.05;
                TicketRate = 0.003;
                break;
        }

        PlanAtStart = Plan;
        _featureOrder = WeightedPermutation();
        PlanChurnAndTrial();
        PlanIdentity(identity);
        InitHazard(churn);
    }

    public int Index { get; }
    public string UserId { get; }
    public Persona Persona { get; }
    public string Channel { get; }
    public Campaign Campaign { get; }
    public string Device { get; }
    public string Email { get; }
    public double EngagementIndex { get; }
    public long CreatedAtMs { get; }

    /// <summary>Window day of the signup, or −1 when the user signed up before the window.</summary>
    public int SignupDay { get; }

    public string PlanAtStart { get; }
    public string Plan { get; private set; }
    public double AnalysesPerDay { get; private set; }
    public double ActiveChance { get; private set; }
    public double SessionsPerDay { get; }
    public double FeaturesPerSession { get; }
    public int AdoptedFeatures { get; private set; }
    public double PaymentRisk { get; }
    public double TicketRate { get; }

    public int NextRenewalDay { get; private set; } = -1;

    /// <summary>The day the user churns (cancels or lapses) when that is planned; null otherwise.</summary>
    public int? ChurnDay { get; private set; }

    public string? ChurnReason { get; private set; }
    public bool Churned { get; private set; }
    public long? ChurnedAtMs { get; private set; }
    public int TrialDay { get; private set; } = -1;
    public bool TrialConverts { get; private set; }
    public string? TrialPlan { get; private set; }
    public int PaymentAddedDay { get; private set; } = -1;
    public int SupportTickets { get; private set; }
    public int PaymentFailures { get; private set; }
    public decimal Revenue { get; private set; }
    public long? LastEventMs { get; private set; }
    public long EventCount { get; private set; }

    /// <summary>A lazily emitted identify is pending: pre-window users announce their traits with their first event.</summary>
    public bool NeedsIdentify => !_identified;

    /// <summary>Whether a simulated retention action reached this user.</summary>
    public bool Treated { get; private set; }

    /// <summary>Whether the action cancelled a planned churn (the ground truth of its effect on this user).</summary>
    public bool SavedByTreatment { get; private set; }

    /// <summary>Applies a retention action at the start of <paramref name="day"/> (see <see cref="SimulationTreatment"/>).</summary>
    public void Treat(int day, SimulationTreatment treatment, long seed)
    {
        Treated = true;
        if (Churned || ChurnDay is not { } churn || churn < day || churn > day + treatment.HorizonDays)
        {
            return;
        }
        if (SimRandom.ForUser(seed, Index, stream: 0x7EA7).NextDouble() < treatment.Effect)
        {
            ChurnDay = null;
            SavedByTreatment = true;
        }
    }

    private bool IsPaid => Plan is Starter or Pro or Studio;

    private string PickPaidPlan(double starter, double pro)
    {
        var x = _rng.NextDouble();
        return x < starter ? Starter : x < starter + pro ? Pro : Studio;
    }

    private int[] WeightedPermutation()
    {
        // Weighted sampling without replacement (Efraimidis–Spirakis): popular features come first.
        var keys = new double[Features.Length];
        var order = new int[Features.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = -Math.Log(1.0 - _rng.NextDouble()) / s_featureWeights[i];
            order[i] = i;
        }

        Array.Sort(keys, order);
        return order;
    }

    private void PlanChurnAndTrial()
    {
        if (IsPaid)
        {
            _anchorDay = _rng.Next(30);
        }

        switch (Persona)
        {
            case Persona.Dormant:
            {
                // Pay once early in the window, fade, cancel, then stay silent for > 30 days.
                var lastChurnDay = _days - 32;
                _anchorDay = _rng.Next(Math.Min(7, lastChurnDay - 3) + 1);
                ChurnDay = _anchorDay + 3 + _rng.Next(lastChurnDay - _anchorDay - 3 + 1);
                break;
            }

            case Persona.RecentChurn:
            {
                var from = Math.Max(0, _days - 29);
                var to = Math.Max(from, _days - 8);
                ChurnDay = from + _rng.Next(to - from + 1);
                break;
            }

            case Persona.LapsedFree:
                ChurnDay = SignupDay >= 0 ? SignupDay + 2 + _rng.Next(7) : _rng.Next(Math.Max(1, _days - 7));
                if (SignupDay >= 0 && _rng.Chance(0.5))
                {
                    TrialDay = SignupDay + _rng.Next(3);
                }

                break;
            case Persona.Explorer:
                if (SignupDay >= 0 ? _rng.Chance(0.6) : _rng.Chance(0.25))
                {
                    TrialDay = Math.Max(SignupDay, 0) + _rng.Next(6);
                }

                break;
            case Persona.OldFree:
                if (_days > 0 && _rng.Chance(0.4))
                {
                    TrialDay = _rng.Next(_days);
                }

                break;
        }

        NextRenewalDay = IsPaid ? _anchorDay : -1;
        if (TrialDay >= 0)
        {
            TrialConverts = _rng.Chance(TrialConversionRate * EngagementIndex);
            TrialPlan = PickPaidPlan(0.6, 0.35);
            TrialConverts = PriceTrial(TrialConverts);
            PaymentAddedDay = TrialDay + (TrialConverts ? 3 + _rng.Next(TrialDays - 3) : -1000);
            if (TrialConverts && Persona == Persona.LapsedFree)
            {
                // A trial that converts means the user stayed.
                ChurnDay = null;
            }
        }
    }

    /// <summary>The pricing-test arm this person was exposed to (null: not in the test).</summary>
    public string? PricingArm { get; private set; }

    /// <summary>The chance that this person's trial converts at list price (before the demand curve).</summary>
    public double TrialConversionChance => Math.Min(1, TrialConversionRate * EngagementIndex);

    /// <summary>Whether the exposure happened (the trial started as planned).</summary>
    public bool ExposedToPricing { get; private set; }

    /// <summary>Whether the trial would convert at list price (the demand curve then thins it by price).</summary>
    public bool ConvertsAtListPrice { get; private set; }

    /// <summary>
    /// Puts a trial inside the window into the pricing test, if there is one: the arm by the experiment's own hash,
    /// its price, and a conversion kept with probability factor^ε from a stream of its own (so nothing else moves).
    /// </summary>
    private bool PriceTrial(bool converts)
    {
        if (_pricing is null || TrialDay < 0 || TrialDay + TrialDays >= _days)
        {
            return converts; // only trials whose outcome falls inside the window take part
        }
        var arm = _pricing.Arms.First(a => a.Name == _pricing.Definition.Assign(UserId).Name);
        PricingArm = arm.Name;
        _pricingFactor = arm.Factor;
        ConvertsAtListPrice = converts;
        var keep = Math.Pow((double)arm.Factor, SimulationPricingTest.ElasticityOf(Persona));
        return converts && SimRandom.ForUser(_seed, Index, stream: 0x9A1CE).NextDouble() < keep;
    }

    private decimal Price(string plan) => SimulationPricingTest.Price(plan, _priceFactor);

    private double DeclineFactor(int day)
    {
        // Engagement falls linearly over the two weeks before a planned churn.
        if (ChurnDay is not { } churn || day < churn - 14)
        {
            return 1.0;
        }

        return Math.Max(0.25, 1.0 - 0.75 * (day - (churn - 14)) / 14.0);
    }

    public void GenerateDay(int day, long dayStartMs, double rollout, List<SimEvent> buffer)
    {
        var first = buffer.Count;
        var planAtDayStart = Plan;
        _seq = 1;
        GenerateDayCore(day, dayStartMs, rollout, buffer);
        var count = buffer.Count - first;
        if (count == 0)
        {
            return;
        }

        var min = long.MaxValue;
        var max = long.MinValue;
        for (var i = first; i < buffer.Count; i++)
        {
            min = Math.Min(min, buffer[i].TimeMs);
            max = Math.Max(max, buffer[i].TimeMs);
        }

        if (!_identified)
        {
            // Seq 0 sorts the identify before the user's first event of the day at the same instant.
            _identified = true;
            buffer.Add(new SimEvent { Kind = EventKind.Identify, TimeMs = min, User = Index, Seq = 0, Text = planAtDayStart, Flag = true });
            count++;
        }

        EventCount += count;
        LastEventMs = Math.Max(LastEventMs ?? long.MinValue, max);
    }

    private void GenerateDayCore(int day, long dayStartMs, double rollout, List<SimEvent> buffer)
    {
        if (Churned || (SignupDay >= 0 && day < SignupDay))
        {
            return;
        }

        var dayEndMs = dayStartMs + MsPerDay - 1;
        if (day == SignupDay)
        {
            Signup(dayEndMs, rollout, buffer);
            return;
        }

        if (!_verified)
        {
            return;
        }

        _logDrift = 0.85 * _logDrift + (Persona is Persona.Power or Persona.Regular ? 0.05 : 0.1) * _rng.Normal();
        var weekend = ((int)((dayStartMs / MsPerDay + 4) % 7)) >= 5 ? 1.1 : 1.0;
        var decline = DeclineFactor(day);
        _declining = decline < 1.0;
        var engagement = Math.Exp(_logDrift) * decline * weekend;
        if (_realistic)
        {
            StepLatent();
        }

        if (IsPaid && day == NextRenewalDay)
        {
            Renew(day, dayStartMs + 2 * MsPerHour + _rng.Next(4 * 3_600) * 1000L, buffer);
            if (Churned)
            {
                return;
            }
        }

        var churnToday = ChurnDay == day;
        var activeChance = _realistic ? RealisticActiveChance(Latent, day) : Math.Min(0.99, ActiveChance * Math.Min(1.0, engagement));
        if (Persona != Persona.Dropout && _rng.Chance(activeChance))
        {
            var analyses = Persona is Persona.Explorer or Persona.LapsedFree or Persona.OldFree
                ? 1 + (_rng.Chance(0.25) ? 1 : 0)
                : Math.Max(1, _rng.Poisson(AnalysesPerDay * engagement / ActiveChance));
            Sessions(dayStartMs, dayEndMs, analyses, rollout, engagement, buffer);
        }

        var noonMs = dayStartMs + 12 * MsPerHour + _rng.Next(8 * 3_600) * 1000L;
        if (day == TrialDay && Plan == Free)
        {
            if (PricingArm is not null)
            {
                ExposedToPricing = true;
                _priceFactor = _pricingFactor; // the arm's price from the exposure on
                Add(buffer, new SimEvent { Kind = EventKind.ExperimentViewed, TimeMs = noonMs, Text = _pricing!.Key, Text2 = PricingArm });
            }
            Add(buffer, new SimEvent { Kind = EventKind.TrialStarted, TimeMs = noonMs, Text = Trial, Number = TrialDays });
            SetPlan(buffer, Trial, noonMs);
        }

        if (day == PaymentAddedDay && Plan == Trial)
        {
            Add(buffer, new SimEvent { Kind = EventKind.PaymentAdded, TimeMs = noonMs, Text = "card" });
        }

        if (day == TrialDay + TrialDays && Plan == Trial)
        {
            if (TrialConverts)
            {
                var amount = Price(TrialPlan!);
                Add(buffer, new SimEvent { Kind = EventKind.SubscriptionStarted, TimeMs = noonMs, Text = TrialPlan, Amount = amount, Number = TrialDays });
                Add(buffer, new SimEvent { Kind = EventKind.PaymentSucceeded, TimeMs = noonMs, Text = TrialPlan, Amount = amount });
                Revenue += amount;
                SetPlan(buffer, TrialPlan!, noonMs);
                _anchorDay = day;
                NextRenewalDay = day + 30;
                if (Persona == Persona.LapsedFree)
                {
                    ChurnDay = null;
                }

                // Paying changes behaviour: a converted user uses the product more.
                ActiveChance = Math.Min(0.8, ActiveChance * 2);
                AnalysesPerDay *= 2.5;
            }
            else
            {
                SetPlan(buffer, Free, noonMs);
            }
        }

        if (_realistic && !churnToday)
        {
            churnToday = HazardStrikes();
        }

        if (churnToday)
        {
            var atMs = dayStartMs + 22 * MsPerHour + _rng.Next(3_600) * 1000L;
            if (IsPaid)
            {
                ChurnReason = PaymentFailures > 0 ? "payment_issues" : SupportTickets > 0 ? "support_issues" : "low_engagement";
                Add(buffer, new SimEvent { Kind = EventKind.SubscriptionCanceled, TimeMs = atMs, Text = Plan, Amount = Price(Plan), Text2 = ChurnReason });
                SetPlan(buffer, Free, atMs);
            }
            else
            {
                ChurnReason = "lapsed";
            }

            Churned = true;
            ChurnedAtMs = atMs;
        }
    }

    private void Signup(long dayEndMs, double rollout, List<SimEvent> buffer)
    {
        var t = CreatedAtMs;
        _identified = true;
        AddAnonymousVisits(buffer);
        Add(buffer, new SimEvent { Kind = EventKind.SignupStarted, TimeMs = t });
        Add(buffer, new SimEvent { Kind = EventKind.Identify, TimeMs = t, Text = Plan, Flag = true, Text2 = Identity?.Alias == false ? Identity.AnonymousId : null });
        AddSignupMerges(buffer, dayEndMs);
        var verifies = Persona != Persona.Dropout || _rng.Chance(0.6);
        if (!verifies)
        {
            Churned = true;
            ChurnedAtMs = t;
            ChurnReason = "never_verified";
            return;
        }

        t = Math.Min(dayEndMs, t + 60_000 + _rng.Next(20 * 60) * 1000L);
        Add(buffer, new SimEvent { Kind = EventKind.EmailVerified, TimeMs = t });
        _verified = true;
        if (Persona == Persona.Dropout)
        {
            // The activation funnel's leak: some upload once, none come back.
            if (_rng.Chance(0.5))
            {
                var start = Math.Min(dayEndMs, t + 30_000);
                Add(buffer, new SimEvent { Kind = EventKind.SessionStarted, TimeMs = start, Number = ++_sessionNumber });
                Add(buffer, new SimEvent { Kind = EventKind.SampleUploaded, TimeMs = Math.Min(dayEndMs, start + 40_000), Number = ++_sampleNumber, Text = FileTypes[_rng.Next(FileTypes.Length)], Number2 = 200 + _rng.Next(20_000) });
                var end = Math.Min(dayEndMs, start + 120_000);
                Add(buffer, new SimEvent { Kind = EventKind.SessionEnded, TimeMs = end, Number = _sessionNumber, Number2 = (int)((end - start) / 1000) });
            }

            Churned = true;
            ChurnedAtMs = t;
            ChurnReason = "activation_dropout";
            return;
        }

        var analyses = 1 + (_rng.Chance(0.3) ? 1 : 0);
        Session(Math.Min(dayEndMs, t + 30_000), dayEndMs, analyses, 1, rollout, true, buffer);
        if (TrialDay == SignupDay)
        {
            var at = LastTime(buffer);
            Add(buffer, new SimEvent { Kind = EventKind.TrialStarted, TimeMs = at, Text = Trial, Number = TrialDays });
            SetPlan(buffer, Trial, at);
        }
    }

    private static long LastTime(List<SimEvent> buffer) => buffer[^1].TimeMs;

    private void Sessions(long dayStartMs, long dayEndMs, int analyses, double rollout, double engagement, List<SimEvent> buffer)
    {
        var sessions = Math.Clamp(1 + _rng.Poisson(Math.Max(0, SessionsPerDay * engagement - 1)), 1, Math.Max(1, analyses));
        var cursor = dayStartMs + (long)(_rng.Uniform(6, 20) * MsPerHour);
        var left = analyses;
        for (var s = 0; s < sessions; s++)
        {
            var share = s == sessions - 1 ? left : Math.Min(left, (int)Math.Round((double)left / (sessions - s) * _rng.Uniform(0.5, 1.5)));
            left -= share;
            var features = _rng.Poisson(FeaturesPerSession * Math.Min(1.5, engagement));
            cursor = Session(cursor, dayEndMs, share, features, rollout, s == 0, buffer);
            cursor += (long)(_rng.Uniform(0.5, 4) * MsPerHour);
            if (cursor >= dayEndMs)
            {
                break;
            }
        }
    }

    /// <summary>One session: optional login, uploads with their analyses and feedback, feature use, tickets.</summary>
    private long Session(long startMs, long dayEndMs, int analyses, int features, double rollout, bool firstOfDay, List<SimEvent> buffer)
    {
        var t = startMs;
        if (_rng.Chance(firstOfDay ? 0.7 : 0.2))
        {
            Add(buffer, new SimEvent { Kind = EventKind.Login, TimeMs = t, Text = _rng.Chance(0.8) ? "password" : "google" });
            t += 1_000 + _rng.Next(5_000);
        }

        var session = ++_sessionNumber;
        Add(buffer, new SimEvent { Kind = EventKind.SessionStarted, TimeMs = Math.Min(t, dayEndMs), Number = session });
        var featuresLeft = features;
        while (analyses > 0)
        {
            t = Math.Min(dayEndMs, t + 5_000 + (long)(_rng.NextDouble() * 90_000));
            var sample = ++_sampleNumber;
            Add(buffer, new SimEvent { Kind = EventKind.SampleUploaded, TimeMs = t, Number = sample, Text = FileTypes[_rng.Next(FileTypes.Length)], Number2 = 200 + _rng.Next(20_000) });
            var types = Math.Min(analyses, 1 + _rng.Pick([0.45, 0.3, 0.15, 0.1]));
            var typeMask = 0;
            for (var k = 0; k < types; k++)
            {
                int type;
                do
                {
                    type = _rng.Pick(AnalysisTypeWeights);
                }
                while ((typeMask & (1 << type)) != 0);

                typeMask |= 1 << type;
                t = Analysis(t, dayEndMs, type, sample, rollout, buffer);
            }

            analyses -= types;
            if (featuresLeft > 0 && _rng.Chance(0.5))
            {
                t = Math.Min(dayEndMs, t + 2_000 + _rng.Next(60_000));
                Feature(t, buffer);
                featuresLeft--;
            }
        }

        for (; featuresLeft > 0; featuresLeft--)
        {
            t = Math.Min(dayEndMs, t + 2_000 + _rng.Next(120_000));
            Feature(t, buffer);
        }

        if (_rng.Chance(TicketRate * (_declining ? 4 : 1)))
        {
            t = Math.Min(dayEndMs, t + 10_000 + _rng.Next(300_000));
            Ticket(t, buffer, null);
        }

        var end = Math.Min(dayEndMs, t + 20_000 + _rng.Next(280_000));
        Add(buffer, new SimEvent { Kind = EventKind.SessionEnded, TimeMs = end, Number = session, Number2 = (int)((end - startMs) / 1000) });
        return end;
    }

    private long Analysis(long uploadedMs, long dayEndMs, int type, int sample, double rollout, List<SimEvent> buffer)
    {
        var versions = Models[type];
        var model = versions.Length > 1 && _rng.Chance(rollout) ? versions[^1] : versions[0];
        var latency = (int)Math.Clamp(_rng.LogNormal(model.MedianLatencyMs, 0.3), 40, 30_000);
        var error = _rng.Chance(model.ErrorRate);
        var accuracy = error ? 0 : Math.Round(Math.Clamp(model.Accuracy + 0.03 * _rng.Normal(), 0.3, 1.0), 3);
        var doneMs = Math.Min(dayEndMs, uploadedMs + latency);
        Add(buffer, new SimEvent { Kind = EventKind.AnalysisCompleted, TimeMs = doneMs, Model = model, Number = latency, Number2 = sample, Flag = error, Value = accuracy, Amount = model.CostUsd });
        if (!error && _rng.Chance(0.12))
        {
            var correct = _rng.Chance(model.Accuracy);
            var rating = correct ? 4 + (_rng.Chance(0.7) ? 1 : 0) : 1 + _rng.Next(3);
            doneMs = Math.Min(dayEndMs, doneMs + 5_000 + _rng.Next(60_000));
            Add(buffer, new SimEvent { Kind = EventKind.AnalysisFeedback, TimeMs = doneMs, Model = model, Number = rating, Number2 = sample, Flag = correct });
        }

        return doneMs;
    }

    private void Feature(long atMs, List<SimEvent> buffer)
    {
        if (AdoptedFeatures < Features.Length && _rng.Chance(0.01))
        {
            AdoptedFeatures++;
        }

        var feature = Features[_featureOrder[_rng.Next(AdoptedFeatures)]];
        Add(buffer, new SimEvent { Kind = EventKind.FeatureUsed, TimeMs = atMs, Text = feature });
    }

    private void Ticket(long atMs, List<SimEvent> buffer, string? category)
    {
        SupportTickets++;
        category ??= TicketCategories[1 + _rng.Next(TicketCategories.Length - 1)];
        Add(buffer, new SimEvent { Kind = EventKind.SupportTicketOpened, TimeMs = atMs, Text = category, Text2 = _rng.Chance(0.2) ? "high" : "normal" });
    }

    private void Renew(int day, long atMs, List<SimEvent> buffer)
    {
        var amount = Price(Plan);
        // Dormant users' first charge may bounce but the retry lands: they must have paid to be dormant.
        var failChance = _realistic ? (_paymentAttempts > 0 ? ChurnHazard.RetryFailure : PaymentRisk)
            : Persona == Persona.Dormant && _paymentAttempts > 0 ? 0 : _paymentAttempts > 0 ? 0.5 : PaymentRisk;
        if (_rng.Chance(failChance))
        {
            PaymentFailures++;
            _paymentAttempts++;
            Add(buffer, new SimEvent { Kind = EventKind.PaymentFailed, TimeMs = atMs, Text = Plan, Amount = amount, Text2 = PaymentFailureReasons[_rng.Next(PaymentFailureReasons.Length)] });
            if (_rng.Chance(0.35))
            {
                Ticket(atMs + 3_600_000 + _rng.Next(3_600) * 1000L, buffer, "billing");
            }

            if (_paymentAttempts >= 3)
            {
                ChurnReason = "payment_failed";
                var cancelMs = atMs + 60_000;
                Add(buffer, new SimEvent { Kind = EventKind.SubscriptionCanceled, TimeMs = cancelMs, Text = Plan, Amount = amount, Text2 = ChurnReason });
                SetPlan(buffer, Free, cancelMs);
                Churned = true;
                ChurnedAtMs = cancelMs;
                ChurnDay = day;
                return;
            }

            NextRenewalDay = day + 3;
            return;
        }

        _paymentAttempts = 0;
        Revenue += amount;
        Add(buffer, new SimEvent { Kind = EventKind.PaymentSucceeded, TimeMs = atMs, Text = Plan, Amount = amount });
        Add(buffer, new SimEvent { Kind = EventKind.SubscriptionRenewed, TimeMs = atMs, Text = Plan, Amount = amount });
        _anchorDay += 30;
        while (_anchorDay <= day)
        {
            _anchorDay += 30;
        }

        NextRenewalDay = _anchorDay;
    }

    private void SetPlan(List<SimEvent> buffer, string plan, long atMs)
    {
        Plan = plan;
        Add(buffer, new SimEvent { Kind = EventKind.Identify, TimeMs = atMs, Text = plan });
    }

    private void Add(List<SimEvent> buffer, SimEvent e)
    {
        e.User = Index;
        e.Seq = _seq++;
        buffer.Add(e);
    }
}
