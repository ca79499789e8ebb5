namespace SampleMind.Analytics.Simulation;

internal enum EventKind : byte
{
    Identify,
    SignupStarted,
    EmailVerified,
    Login,
    SessionStarted,
    SessionEnded,
    SampleUploaded,
    AnalysisCompleted,
    AnalysisFeedback,
    FeatureUsed,
    TrialStarted,
    PaymentAdded,
    SubscriptionStarted,
    SubscriptionRenewed,
    SubscriptionCanceled,
    PaymentSucceeded,
    PaymentFailed,
    SupportTicketOpened,
    ExperimentViewed,
    /// <summary>A page view from a browser before signup: anonymousId (<see cref="SimEvent.Text"/>) only, UTM campaign.</summary>
    AnonymousPage,
    /// <summary>An identify from a second device: userId and that device's anonymousId (<see cref="SimEvent.Text2"/>).</summary>
    DeviceIdentify,
    /// <summary>An alias: previousId (<see cref="SimEvent.Text2"/>) → userId.</summary>
    Alias,
}

/// <summary>
/// One generated event before encoding. A flat struct with a few reusable slots keeps a day's buffer
/// allocation-free; <see cref="EventEncoder"/> knows which slot means what per <see cref="Kind"/>.
/// </summary>
internal struct SimEvent
{
    public long TimeMs;
    public int User;
    public int Seq;
    public EventKind Kind;
    public bool Flag;
    public int Number;
    public int Number2;
    public double Value;
    public decimal Amount;
    public string? Text;
    public string? Text2;
    public SimulationCatalog.ModelVersion? Model;
    public SimulationCatalog.Campaign? Campaign;

    /// <summary>Timestamp, then user, then the user's generation counter: a total, stable order.</summary>
    public static int Compare(SimEvent a, SimEvent b)
    {
        var c = a.TimeMs.CompareTo(b.TimeMs);
        if (c != 0)
        {
            return c;
        }

        c = a.User.CompareTo(b.User);
        return c != 0 ? c : a.Seq.CompareTo(b.Seq);
    }
}
