namespace SampleMind.Analytics.Simulation;

/// <summary>
/// The anonymous side of a simulated person (<see cref="SimulationOptions.Identity"/>): what a browser SDK sends before
/// and at signup. Drawn from a random stream of its own, so the person's own events are the same with or without it.
/// </summary>
internal sealed record SimIdentity(
    string AnonymousId,
    long VisitMs,
    bool Alias,
    string? SecondAnonymousId,
    long SecondVisitMs,
    SimulationCatalog.Campaign? SecondCampaign);

internal sealed partial class SimUser
{
    /// <summary>Seq numbers of the identity events: above any day's own counter, so the person's messageIds do not move.</summary>
    private const int IdentitySeq = 9000;

    private int _identitySeq = IdentitySeq;

    /// <summary>The anonymous visits and merges of a person who signs up in the window; null otherwise.</summary>
    public SimIdentity? Identity { get; private set; }

    /// <summary>Whether identifies carry the acquisition traits only when they announce the person (identity mode).</summary>
    public bool AcquisitionOnFirstIdentifyOnly { get; private set; }

    /// <summary>
    /// The last-touch campaign (the latest campaign touch at or before the first payment): the second device's visit
    /// when there is one (it comes on the signup day, before any payment), else the acquisition campaign.
    /// </summary>
    public string LastTouchCampaign => Identity?.SecondCampaign?.Name ?? Campaign.Name;

    /// <summary>The anonymousIds merged into this person.</summary>
    public IReadOnlyList<string> AnonymousIds => Identity is not { } i ? []
        : i.SecondAnonymousId is { } second ? [i.AnonymousId, second] : [i.AnonymousId];

    private void PlanIdentity(bool identity)
    {
        AcquisitionOnFirstIdentifyOnly = identity;
        if (!identity || SignupDay < 0)
        {
            return;
        }
        var rng = SimRandom.ForUser(_seed, Index, stream: 0x1D3A7);
        var dayStartMs = CreatedAtMs - CreatedAtMs % MsPerDay;
        var dayEndMs = dayStartMs + MsPerDay - 1;
        // The campaign visit: 2–60 minutes before signup, on the same UTC day (so DAU is the person's signup day alone).
        var visitMs = Math.Max(dayStartMs, CreatedAtMs - (2 * 60 + rng.Next(58 * 60)) * 1000L);
        var alias = rng.Chance(0.08);
        // A second device on about one person in five: a visit from another campaign a few hours after signup, then an
        // identify from that device.
        string? second = null;
        SimulationCatalog.Campaign? secondCampaign = null;
        var secondVisitMs = 0L;
        if (rng.Chance(0.2))
        {
            var at = Math.Min(CreatedAtMs + (3_600 + rng.Next(5 * 3_600)) * 1000L, dayEndMs - 120_000);
            if (at > CreatedAtMs + 60_000)
            {
                var campaigns = SimulationCatalog.Channels.SelectMany(c => c.Campaigns).Where(c => c != Campaign).ToArray();
                second = $"b{_seed}-{Index:D6}";
                secondVisitMs = at;
                secondCampaign = campaigns[rng.Next(campaigns.Length)];
            }
        }
        Identity = new SimIdentity($"a{_seed}-{Index:D6}", visitMs, alias, second, secondVisitMs, secondCampaign);
    }

    private void AddAnonymousVisits(List<SimEvent> buffer)
    {
        if (Identity is { } i)
        {
            AddIdentityEvent(buffer, new SimEvent { Kind = EventKind.AnonymousPage, TimeMs = i.VisitMs, Text = i.AnonymousId, Campaign = Campaign });
        }
    }

    private void AddSignupMerges(List<SimEvent> buffer, long dayEndMs)
    {
        if (Identity is not { } i)
        {
            return;
        }
        if (i.Alias)
        {
            // Some apps alias the anonymous visitor to the new user id instead of identifying with both ids.
            AddIdentityEvent(buffer, new SimEvent { Kind = EventKind.Alias, TimeMs = CreatedAtMs, Text2 = i.AnonymousId });
        }
        if (i.SecondAnonymousId is { } second)
        {
            AddIdentityEvent(buffer, new SimEvent { Kind = EventKind.AnonymousPage, TimeMs = i.SecondVisitMs, Text = second, Campaign = i.SecondCampaign });
            AddIdentityEvent(buffer, new SimEvent { Kind = EventKind.DeviceIdentify, TimeMs = Math.Min(dayEndMs, i.SecondVisitMs + 60_000), Text2 = second });
        }
    }

    private void AddIdentityEvent(List<SimEvent> buffer, SimEvent e)
    {
        e.User = Index;
        e.Seq = _identitySeq++;
        buffer.Add(e);
    }
}
