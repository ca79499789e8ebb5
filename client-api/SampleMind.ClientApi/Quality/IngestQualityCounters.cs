namespace SampleMind.ClientApi.Quality;

/// <summary>One counter of <see cref="IngestQualityCounters"/>: a UTC day of receipt, a source, a kind and a reason.</summary>
public readonly record struct IngestQualityKey(DateOnly Day, string Source, string Kind, string Reason);

/// <summary>
/// What ingest learns about data quality that never reaches the log — events of refused bodies and duplicates — and how
/// many events it handed to the cluster, counted in memory per (day, source, kind, reason); sources are
/// <c>SampleMind.Analytics.Quality.IngestSource</c> names. The hot path takes a lock for a few dictionary adds per request; <see cref="IngestQualityWriter"/> drains the counts to PostgreSQL behind it.
/// </summary>
public sealed class IngestQualityCounters
{
    /// <summary>Events of bodies handed to the cluster (stored, or acked as duplicates).</summary>
    public const string Accepted = "accepted";

    /// <summary>Events of refused bodies (the reason says why).</summary>
    public const string Rejected = "rejected";

    /// <summary>Accepted events the log already held.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Past this many distinct keys between two drains, new sources count as <see cref="OtherSource"/>.</summary>
    public const int MaxKeys = 10_000;

    /// <summary>The source of the counts past <see cref="MaxKeys"/>.</summary>
    public const string OtherSource = "(other)";

    private readonly Lock _lock = new();
    private Dictionary<IngestQualityKey, long> _counts = [];

    /// <summary>Adds <paramref name="events"/> to one counter.</summary>
    public void Add(DateOnly day, string source, string kind, string reason, long events)
    {
        if (events <= 0)
        {
            return;
        }
        lock (_lock)
        {
            AddLocked(new IngestQualityKey(day, source, kind, reason), events);
        }
    }

    /// <summary>Adds one count per source of <paramref name="bySource"/> under one kind and reason.</summary>
    public void Add(DateOnly day, IReadOnlyDictionary<string, int> bySource, string kind, string reason)
    {
        ArgumentNullException.ThrowIfNull(bySource);
        if (bySource.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            foreach (var (source, events) in bySource)
            {
                if (events > 0)
                {
                    AddLocked(new IngestQualityKey(day, source, kind, reason), events);
                }
            }
        }
    }

    /// <summary>Takes every count, leaving none.</summary>
    public IReadOnlyDictionary<IngestQualityKey, long> Drain()
    {
        lock (_lock)
        {
            var drained = _counts;
            _counts = [];
            return drained;
        }
    }

    /// <summary>Puts drained counts back (their write failed): the next drain writes them with what came since.</summary>
    public void Restore(IReadOnlyDictionary<IngestQualityKey, long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        lock (_lock)
        {
            foreach (var (key, events) in counts)
            {
                // Already keys once: not subject to the cap again.
                _counts[key] = _counts.GetValueOrDefault(key) + events;
            }
        }
    }

    private void AddLocked(IngestQualityKey key, long events)
    {
        if (!_counts.ContainsKey(key) && _counts.Count >= MaxKeys)
        {
            key = key with { Source = OtherSource };
        }
        _counts[key] = _counts.GetValueOrDefault(key) + events;
    }

    /// <summary>The events of <paramref name="sources"/> counted per source (one source: no dictionary per event).</summary>
    public static IReadOnlyDictionary<string, int> BySource(IEnumerable<string> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var counts = new Dictionary<string, int>(1, StringComparer.Ordinal);
        foreach (var source in sources)
        {
            counts[source] = counts.GetValueOrDefault(source) + 1;
        }
        return counts;
    }
}
