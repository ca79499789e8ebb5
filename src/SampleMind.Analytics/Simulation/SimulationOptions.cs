namespace SampleMind.Analytics.Simulation;

/// <summary>What to simulate. The same options (all of them, including <see cref="Now"/>) give the same events.</summary>
public sealed record SimulationOptions
{
    /// <summary>How many users; their indices are <see cref="StartUserIndex"/> … + Users − 1.</summary>
    public int Users { get; init; } = 1000;

    /// <summary>Days of history, ending at <see cref="Now"/>. Signups may lie before the window (see the README in this folder).</summary>
    public int Days { get; init; } = 60;

    public long Seed { get; init; } = 1;

    /// <summary>The end of the simulated window (exclusive). Defaults to today 00:00 UTC so that two runs on the
    /// same day produce the same bytes; must be a whole UTC day.</summary>
    public DateTimeOffset Now { get; init; } = DefaultNow(TimeProvider.System);

    public int StartUserIndex { get; init; }

    /// <summary>A retention action applied to some users (the ground truth of an uplift measurement); none by default.</summary>
    public SimulationTreatment? Treatment { get; init; }

    /// <summary>A pricing test among the people who start a trial in the window (see <see cref="SimulationPricingTest"/>); none by default.</summary>
    public SimulationPricingTest? PricingTest { get; init; }

    /// <summary>
    /// Also produce the Stripe side of the population (<see cref="PopulationSimulator.TakeStripeDeliveries"/>): Stripe's
    /// invoice.paid / invoice.payment_failed then stand for the payments, so the Segment stream leaves out its own
    /// payment_succeeded and payment_failed events (the person's log gets them from Stripe, once).
    /// </summary>
    public bool Stripe { get; init; }

    /// <summary>
    /// Identity mode: people who sign up in the window first visit anonymously from their campaign (a page event with
    /// UTM and an anonymousId only), identify with anonymousId + userId at signup (about 8 % alias instead), and about
    /// one in five uses a second device (another anonymousId, another campaign's visit, an identify). Identifies other
    /// than the one announcing the person then carry no acquisition traits. Off: the events of earlier versions.
    /// </summary>
    public bool Identity { get; init; }

    /// <summary>How people churn (<see cref="SimulationChurn"/>); <see cref="SimulationChurn.Scripted"/>: the events of earlier versions.</summary>
    public SimulationChurn Churn { get; init; }

    public static DateTimeOffset DefaultNow(TimeProvider time) => new(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);

    internal void Validate()
    {
        if (Users < 0 || Days < 0 || StartUserIndex < 0)
        {
            throw new ArgumentException("users, days and the start user index must not be negative");
        }

        if (Now.Offset != TimeSpan.Zero || Now.UtcTicks % TimeSpan.TicksPerDay != 0)
        {
            throw new ArgumentException("now must be a whole UTC day (00:00:00Z)");
        }

        if (Treatment is { } t && (t.Effect is < 0 or > 1 || double.IsNaN(t.Effect) || t.HorizonDays < 0))
        {
            throw new ArgumentException("the treatment effect is 0…1 and its horizon not negative");
        }
    }
}

/// <summary>How the simulator decides who churns and when.</summary>
public enum SimulationChurn
{
    /// <summary>Each persona's fate is planned up front (dormant and recent churners fade over two weeks, then cancel).</summary>
    Scripted,

    /// <summary>
    /// A daily hazard driven by a latent disengagement process (engaged / quiet / disengaging), involuntary churn after
    /// three failed payments, loyal people with quiet weeks who come back; the truth holds each person's true 30-day churn
    /// probability at weekly cut-offs (<see cref="ChurnHazard"/>).
    /// </summary>
    Realistic,
}

/// <summary>
/// A retention action taken at <see cref="At"/> on <see cref="Users"/>: each treated user whose churn is planned within
/// <see cref="HorizonDays"/> days of the action keeps using the product instead, with probability <see cref="Effect"/>
/// (drawn from a stream of its own, so nothing else about the population changes). The action takes effect from the
/// start of the UTC day holding <see cref="At"/>; users who are not treated, and every day before, are unchanged —
/// the same bytes as without a treatment. Effect 0 is an action that does not work.
/// </summary>
public sealed record SimulationTreatment(IReadOnlySet<string> Users, DateTimeOffset At, double Effect, int HorizonDays = 30);
