namespace SampleMind.Analytics.Simulation;

/// <summary>The latent engagement state of a person under <see cref="SimulationChurn.Realistic"/>.</summary>
public enum LatentState
{
    /// <summary>Using the product as their persona does.</summary>
    Engaged = 0,

    /// <summary>A quiet spell (holiday, busy week): little activity, no more churn risk; most come back.</summary>
    Quiet = 1,

    /// <summary>Losing interest: a high daily churn hazard; some fade, some stay active until they cancel.</summary>
    Disengaging = 2,
}

/// <summary>
/// Daily rates of the latent process (a Markov chain over <see cref="LatentState"/>, one step at the start of each day)
/// and the daily churn hazard in each state (drawn at the end of the day).
/// </summary>
public sealed record class ChurnHazardParameters(
    double EngagedToQuiet,
    double EngagedToDisengaging,
    double QuietToEngaged,
    double QuietToDisengaging,
    double DisengagingToEngaged,
    double HazardEngaged,
    double HazardQuiet,
    double HazardDisengaging)
{
    public double Hazard(LatentState state) => state switch
    {
        LatentState.Engaged => HazardEngaged,
        LatentState.Quiet => HazardQuiet,
        _ => HazardDisengaging,
    };

    /// <summary>P(state tomorrow = <paramref name="to"/> | today = <paramref name="from"/>).</summary>
    public double Transition(LatentState from, LatentState to) => (from, to) switch
    {
        (LatentState.Engaged, LatentState.Quiet) => EngagedToQuiet,
        (LatentState.Engaged, LatentState.Disengaging) => EngagedToDisengaging,
        (LatentState.Engaged, _) => 1 - EngagedToQuiet - EngagedToDisengaging,
        (LatentState.Quiet, LatentState.Engaged) => QuietToEngaged,
        (LatentState.Quiet, LatentState.Disengaging) => QuietToDisengaging,
        (LatentState.Quiet, _) => 1 - QuietToEngaged - QuietToDisengaging,
        (LatentState.Disengaging, LatentState.Engaged) => DisengagingToEngaged,
        (LatentState.Disengaging, LatentState.Quiet) => 0,
        _ => 1 - DisengagingToEngaged,
    };

    /// <summary>The next state for a uniform draw <paramref name="u"/> in [0, 1) (the simulator's step).</summary>
    public LatentState Step(LatentState from, double u)
    {
        var engaged = Transition(from, LatentState.Engaged);
        var quiet = Transition(from, LatentState.Quiet);
        return u < engaged ? LatentState.Engaged : u < engaged + quiet ? LatentState.Quiet : LatentState.Disengaging;
    }
}

/// <summary>
/// The realistic churn model's parameters and its exact 30-day churn probability. The probability is computed from the
/// model itself by dynamic programming over the days after the cut-off (latent state × payment retry state), not
/// estimated from outcomes: for a person on a paid plan, P(a <c>subscription_canceled</c> in the next 30 days), voluntary
/// (the hazard) or involuntary (the third failed payment in a row); for anyone else, P(no event at all in the next 30
/// days) (they left, or stayed silent) — the two labels train-churn uses.
/// </summary>
public static class ChurnHazard
{
    public const int HorizonDays = 30;

    /// <summary>Activity multiplier in a quiet spell.</summary>
    public const double QuietActivity = 0.12;

    /// <summary>Activity multiplier while disengaging, for those who fade before they leave.</summary>
    public const double FadingActivity = 0.35;

    /// <summary>Activity multiplier while disengaging, for those who stay active until they cancel.</summary>
    public const double ActiveUntilCancelActivity = 0.9;

    /// <summary>Share of people who, when disengaging, stay active until they cancel.</summary>
    public const double ActiveUntilCancelShare = 0.5;

    /// <summary>Failed payments in a row that cancel a subscription; a retry follows a failure after this many days.</summary>
    public const int FailuresToCancel = 3;

    public const int RetryDays = 3;

    /// <summary>The chance that a retry (a charge after a failure) fails again.</summary>
    public const double RetryFailure = 0.5;

    public static ChurnHazardParameters For(Persona persona) => persona switch
    {
        Persona.Power => new(0.010, 0.0015, 0.20, 0.002, 0.04, 0.0002, 0.0002, 0.040),
        Persona.Regular => new(0.020, 0.0035, 0.20, 0.004, 0.04, 0.0004, 0.0004, 0.045),
        Persona.Dormant or Persona.RecentChurn => new(0.020, 0.0150, 0.15, 0.010, 0.03, 0.0008, 0.0008, 0.055),
        Persona.Explorer => new(0.030, 0.0100, 0.20, 0.006, 0.03, 0.0015, 0.0015, 0.070),
        Persona.LapsedFree => new(0.020, 0.0500, 0.15, 0.020, 0.02, 0.0030, 0.0030, 0.100),
        _ => new(0.030, 0.0060, 0.15, 0.004, 0.03, 0.0010, 0.0010, 0.050),
    };

    /// <summary>The activity multiplier of a state.</summary>
    public static double Activity(LatentState state, bool activeUntilCancel) => state switch
    {
        LatentState.Engaged => 1.0,
        LatentState.Quiet => QuietActivity,
        _ => activeUntilCancel ? ActiveUntilCancelActivity : FadingActivity,
    };

    /// <summary>
    /// P(cancellation in days <paramref name="fromDay"/> + 1 … + <see cref="HorizonDays"/>) of a paying person in
    /// <paramref name="state"/> at the end of <paramref name="fromDay"/>, with <paramref name="attempts"/> failed charges in a
    /// row, the next charge on <paramref name="nextRenewalDay"/> and the billing anchor <paramref name="anchorDay"/>
    /// (after a success the next charge is the first anchor + 30k after the day). Each day: the latent step, the charge if
    /// due (a first charge fails with <paramref name="paymentRisk"/>, a retry with <see cref="RetryFailure"/>; the third
    /// failure cancels), then the hazard of the new state.
    /// </summary>
    public static double PaidCancelProbability(ChurnHazardParameters p, LatentState state, int attempts, int nextRenewalDay, int anchorDay,
        double paymentRisk, int fromDay, int horizon = HorizonDays)
    {
        var mass = new Dictionary<(LatentState S, int Attempts, int Renewal, int Anchor), double> { [(state, attempts, nextRenewalDay, anchorDay)] = 1.0 };
        var canceled = 0.0;
        for (var day = fromDay + 1; day <= fromDay + horizon; day++)
        {
            var next = new Dictionary<(LatentState, int, int, int), double>();
            void Add((LatentState, int, int, int) key, double m)
            {
                if (m > 0)
                {
                    next[key] = next.GetValueOrDefault(key) + m;
                }
            }

            foreach (var ((s, a, r, anchor), m) in mass)
            {
                for (var to = LatentState.Engaged; to <= LatentState.Disengaging; to++)
                {
                    var stepped = m * p.Transition(s, to);
                    if (stepped == 0)
                    {
                        continue;
                    }
                    var h = p.Hazard(to);
                    if (day != r)
                    {
                        canceled += stepped * h;
                        Add((to, a, r, anchor), stepped * (1 - h));
                        continue;
                    }
                    var fail = a > 0 ? RetryFailure : paymentRisk;
                    if (a + 1 >= FailuresToCancel)
                    {
                        canceled += stepped * fail;
                    }
                    else
                    {
                        canceled += stepped * fail * h;
                        Add((to, a + 1, day + RetryDays, anchor), stepped * fail * (1 - h));
                    }
                    var nextAnchor = anchor + 30;
                    while (nextAnchor <= day)
                    {
                        nextAnchor += 30;
                    }
                    canceled += stepped * (1 - fail) * h;
                    Add((to, 0, nextAnchor, nextAnchor), stepped * (1 - fail) * (1 - h));
                }
            }
            mass = next;
        }
        return canceled;
    }

    /// <summary>
    /// P(no event in days <paramref name="fromDay"/> + 1 … + <see cref="HorizonDays"/>) of a person not paying, in
    /// <paramref name="state"/> at the end of <paramref name="fromDay"/>. Each day: the latent step, activity with
    /// <paramref name="activeChance"/>(state, day), an event for sure on <paramref name="certainEventDays"/> (a planned
    /// trial start, card or trial end), then the hazard (after which nothing more is emitted).
    /// </summary>
    public static double SilentProbability(ChurnHazardParameters p, LatentState state, Func<LatentState, int, double> activeChance,
        IReadOnlyCollection<int> certainEventDays, int fromDay, int horizon = HorizonDays)
    {
        Span<double> alive = stackalloc double[3];
        Span<double> next = stackalloc double[3];
        alive[(int)state] = 1.0;
        var left = 0.0; // churned without an event: silent for good
        for (var day = fromDay + 1; day <= fromDay + horizon; day++)
        {
            next.Clear();
            for (var s = LatentState.Engaged; s <= LatentState.Disengaging; s++)
            {
                for (var to = LatentState.Engaged; to <= LatentState.Disengaging; to++)
                {
                    next[(int)to] += alive[(int)s] * p.Transition(s, to);
                }
            }
            var certain = certainEventDays.Contains(day);
            for (var to = LatentState.Engaged; to <= LatentState.Disengaging; to++)
            {
                var quiet = certain ? 0 : next[(int)to] * (1 - activeChance(to, day));
                var h = p.Hazard(to);
                left += quiet * h;
                alive[(int)to] = quiet * (1 - h);
            }
        }
        return left + alive[0] + alive[1] + alive[2];
    }
}
