namespace SampleMind.Analytics.Quality;

/// <summary>
/// The raw counts of one (source, UTC day of receipt): what ingest counted (<see cref="Accepted"/>, <see cref="Rejected"/>,
/// <see cref="Duplicates"/>) and what the log holds (the rest).
/// </summary>
/// <param name="Accepted">Events of bodies handed to the cluster and stored or acked as duplicates.</param>
/// <param name="Rejected">Events of refused bodies, by reason (invalid, too_large, encoding, unauthorized, unavailable, refused_by_store).</param>
/// <param name="Duplicates">Accepted events the log already held (same messageId).</param>
/// <param name="Stored">Rows of the log received that day.</param>
/// <param name="RequiredEvents">Stored vocabulary events that have required properties (<see cref="EventRequirements"/>).</param>
/// <param name="CompleteEvents">Those of them carrying every required property (non-null).</param>
/// <param name="WithinHour">Stored events received at most one hour after their timestamp.</param>
/// <param name="OutOfOrder">Stored events stored after an event of the same person with a later timestamp (both in the range).</param>
/// <param name="LagP50Seconds">Median of received_at − timestamp over the stored events; null when none.</param>
/// <param name="LagP95Seconds">95th percentile (continuous) of the same.</param>
public sealed record class QualityCounts(
    long Accepted,
    IReadOnlyDictionary<string, long> Rejected,
    long Duplicates,
    long Stored,
    long RequiredEvents,
    long CompleteEvents,
    long WithinHour,
    long OutOfOrder,
    double? LagP50Seconds,
    double? LagP95Seconds)
{
    /// <summary>Every event that reached ingest: accepted plus rejected.</summary>
    public long Received => Accepted + Rejected.Values.Sum();
}

/// <summary>The four dimensions and the score of one set of <see cref="QualityCounts"/>, each in [0, 1].</summary>
public sealed record class QualityScores(double Completeness, double Validity, double Timeliness, double Consistency, double Score)
{
    /// <summary>
    /// completeness = complete / required events (1 with none); validity = stored / max(received, stored) (1 with neither:
    /// counts ingest never saw — another input path, a crash before the write-behind — cannot push it past 1);
    /// timeliness = stored events within one hour / stored (1 with none); consistency = 1 − (duplicates + out-of-order) /
    /// max(received, stored), at least 0; score = their mean.
    /// </summary>
    public static QualityScores Of(QualityCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var seen = Math.Max(counts.Received, counts.Stored);
        var completeness = Share(counts.CompleteEvents, counts.RequiredEvents);
        var validity = Share(counts.Stored, seen);
        var timeliness = Share(counts.WithinHour, counts.Stored);
        var consistency = seen == 0 ? 1 : Math.Max(0, 1 - (double)(counts.Duplicates + counts.OutOfOrder) / seen);
        return new QualityScores(completeness, validity, timeliness, consistency,
            (completeness + validity + timeliness + consistency) / 4);
    }

    private static double Share(long part, long whole) => whole == 0 ? 1 : (double)part / whole;
}
