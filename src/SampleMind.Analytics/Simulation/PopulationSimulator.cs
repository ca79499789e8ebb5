namespace SampleMind.Analytics.Simulation;

/// <summary>One encoded event. <see cref="Json"/> is only valid until the enumerator moves on.</summary>
public readonly record struct EncodedEvent(ReadOnlyMemory<byte> Json, long TimestampMs, string UserId);

/// <summary>
/// A deterministic SampleMind population: the same <see cref="SimulationOptions"/> give the same events,
/// byte for byte. Events come out in timestamp order (ties: user index, then the user's own counter).
/// Stateful and single-pass: days are generated in order, each once. See README.md in this folder.
/// </summary>
public sealed class PopulationSimulator
{
    private const long MsPerDay = 86_400_000L;

    private readonly SimUser[] _users;
    private readonly long _windowStartMs;
    private readonly EventEncoder _encoder = new();
    private readonly List<SimEvent> _day = new(4096);
    private readonly SimStripe? _stripe;
    private readonly List<int> _truthCutoffs = [];

    public PopulationSimulator(SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var nowMs = options.Now.ToUnixTimeMilliseconds();
        _windowStartMs = nowMs - options.Days * MsPerDay;
        _users = new SimUser[options.Users];
        for (var i = 0; i < _users.Length; i++)
        {
            var index = options.StartUserIndex + i;
            _users[i] = new SimUser(index, UserIdOf(options.Seed, index), options.Seed, options.Days, _windowStartMs, nowMs, options.PricingTest,
                options.Identity, options.Churn);
        }
        if (options.Churn == SimulationChurn.Realistic)
        {
            for (var d = options.Days - 1 - ChurnHazard.HorizonDays; d >= 0; d -= 7)
            {
                _truthCutoffs.Insert(0, d);
            }
        }
        if (options.Stripe)
        {
            _stripe = new SimStripe();
            foreach (var user in _users)
            {
                _stripe.Begin(user, _windowStartMs / 1000);
            }
        }
    }

    /// <summary>The Stripe deliveries generated since the last call (<see cref="SimulationOptions.Stripe"/>; else none).</summary>
    public List<StripeDelivery> TakeStripeDeliveries()
    {
        if (_stripe is null || _stripe.Pending.Count == 0)
        {
            return [];
        }
        var taken = new List<StripeDelivery>(_stripe.Pending);
        _stripe.Pending.Clear();
        return taken;
    }

    public SimulationOptions Options { get; }

    /// <summary>
    /// Realistic churn: the window days at whose end the truth records each person's 30-day churn probability — every 7
    /// days back from Days − 31 (train-churn's default cut-offs: the last day of the log minus 30, every 7 days).
    /// </summary>
    public IReadOnlyList<int> TruthCutoffDays => _truthCutoffs;

    /// <summary>The next day <see cref="GenerateUntil"/> will produce (0 = the first day of the window).</summary>
    public int NextDay { get; private set; }

    public long EventsGenerated { get; private set; }

    public DateTimeOffset WindowStart => DateTimeOffset.FromUnixTimeMilliseconds(_windowStartMs);

    /// <summary>The window day on which the treatment takes effect (the UTC day holding its instant); null without one.</summary>
    public int? TreatmentDay => Options.Treatment is { } t
        ? (int)Math.Floor((t.At.ToUnixTimeMilliseconds() - _windowStartMs) / (double)MsPerDay)
        : null;

    /// <summary>User ids carry the seed so that populations with different seeds never collide.</summary>
    public static string UserIdOf(long seed, int index) => $"u{seed}-{index:D6}";

    /// <summary>The whole window: days 0 … Days − 1.</summary>
    public IEnumerable<EncodedEvent> Generate() => GenerateUntil(Options.Days);

    /// <summary>
    /// Continues from <see cref="NextDay"/> up to (excluding) <paramref name="endDay"/>. Days at or past
    /// <see cref="SimulationOptions.Days"/> lie after <see cref="SimulationOptions.Now"/>: that is live mode.
    /// </summary>
    public IEnumerable<EncodedEvent> GenerateUntil(int endDay)
    {
        while (NextDay < endDay)
        {
            var day = NextDay;
            var dayStartMs = _windowStartMs + day * MsPerDay;
            var rollout = SimulationCatalog.RolloutStart
                + (SimulationCatalog.RolloutEnd - SimulationCatalog.RolloutStart) * Math.Min(1.0, day / (double)Math.Max(1, Options.Days - 1));
            _day.Clear();
            var treatment = Options.Treatment is { } t && day == TreatmentDay ? t : null;
            foreach (var user in _users)
            {
                if (treatment is not null && treatment.Users.Contains(user.UserId))
                {
                    user.Treat(day, treatment, Options.Seed);
                }
                user.GenerateDay(day, dayStartMs, rollout, _day);
            }

            _day.Sort(SimEvent.Compare);
            var offset = Options.StartUserIndex;
            for (var i = 0; i < _day.Count; i++)
            {
                var e = _day[i];
                var user = _users[e.User - offset];
                if (_stripe is not null)
                {
                    _stripe.Observe(e, user);
                    if (e.Kind is EventKind.PaymentSucceeded or EventKind.PaymentFailed)
                    {
                        continue; // Stripe's invoice events stand for them
                    }
                }
                EventsGenerated++;
                yield return new EncodedEvent(_encoder.Encode(e, user), e.TimeMs, user.UserId);
            }

            if (_truthCutoffs.Contains(day))
            {
                foreach (var user in _users)
                {
                    user.RecordChurnTruth(day);
                }
            }

            NextDay = day + 1;
        }
    }

    /// <summary>Writes the whole window as NDJSON (one event per line, '\n' separated).</summary>
    public long WriteNdjson(Stream output, Action<int, long>? onDay = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var lastDay = NextDay;
        foreach (var e in Generate())
        {
            if (onDay is not null && NextDay != lastDay)
            {
                lastDay = NextDay;
                onDay(lastDay, EventsGenerated);
            }

            output.Write(e.Json.Span);
            output.WriteByte((byte)'\n');
        }

        onDay?.Invoke(NextDay, EventsGenerated);
        return EventsGenerated;
    }

    /// <summary>What really happened to each user, as of the last generated day.</summary>
    public GroundTruth GetGroundTruth() => GroundTruth.From(this, _users);
}
