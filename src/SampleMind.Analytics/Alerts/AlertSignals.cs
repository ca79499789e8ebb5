using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Alerts;

/// <summary>
/// Counts of the events the windowed alert rules read, in time buckets by event timestamp: analyses and failed analyses
/// per model version and payment failures per second (Unix seconds); subscription cancellations per UTC day (day number).
/// Counts are additive, so per-silo deltas merge in any order.
/// </summary>
public sealed class AlertSignals
{
    public const string Analyses = "analyses";
    public const string AnalysisErrors = "analysis_errors";
    public const string PaymentFailures = "payment_failures";
    public const string Cancellations = "cancellations";

    /// <summary>The subject of signals that are not per model version.</summary>
    public const string All = "all";

    /// <summary>"signal|subject" → bucket → count.</summary>
    public Dictionary<string, SortedDictionary<long, long>> Counts { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Counts.Count == 0;

    public static string Key(string signal, string subject) => $"{signal}|{subject}";

    /// <summary>The signals of some events.</summary>
    public static AlertSignals Of(IEnumerable<EventFacts> events)
    {
        var signals = new AlertSignals();
        foreach (var e in events)
        {
            var second = e.Timestamp.ToUnixTimeSeconds();
            switch (e.Name)
            {
                case EventNames.AnalysisCompleted when e.Model is { Length: > 0 } model && e.ModelVersion is { Length: > 0 } version:
                    var subject = $"{model}@{version}";
                    signals.Add(Key(Analyses, subject), second, 1);
                    if (e.Error == true)
                    {
                        signals.Add(Key(AnalysisErrors, subject), second, 1);
                    }
                    break;
                case EventNames.PaymentFailed:
                    signals.Add(Key(PaymentFailures, All), second, 1);
                    break;
                case EventNames.SubscriptionCanceled:
                    signals.Add(Key(Cancellations, All), DayNumber(e.Timestamp), 1);
                    break;
            }
        }
        return signals;
    }

    /// <summary>The counts taken back when their events are erased.</summary>
    public AlertSignals Negated()
    {
        var negated = new AlertSignals();
        foreach (var (key, buckets) in Counts)
        {
            foreach (var (bucket, count) in buckets)
            {
                negated.Add(key, bucket, -count);
            }
        }
        return negated;
    }

    public static long DayNumber(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;

    public void Add(string key, long bucket, long count)
    {
        if (!Counts.TryGetValue(key, out var buckets))
        {
            Counts[key] = buckets = [];
        }
        buckets[bucket] = buckets.GetValueOrDefault(bucket) + count;
    }

    public void Add(AlertSignals other)
    {
        foreach (var (key, buckets) in other.Counts)
        {
            foreach (var (bucket, count) in buckets)
            {
                Add(key, bucket, count);
            }
        }
    }

    /// <summary>The count of <paramref name="key"/> in buckets (<paramref name="after"/>, <paramref name="upTo"/>].</summary>
    public long Sum(string key, long after, long upTo)
        => Counts.TryGetValue(key, out var buckets) ? buckets.Where(b => b.Key > after && b.Key <= upTo).Sum(b => b.Value) : 0;

    /// <summary>The subjects that have a count of <paramref name="signal"/>.</summary>
    public IEnumerable<string> Subjects(string signal)
        => Counts.Keys.Where(k => k.StartsWith(signal + "|", StringComparison.Ordinal)).Select(k => k[(signal.Length + 1)..]);

    /// <summary>Drops second buckets at or before <paramref name="beforeSecond"/> and day buckets at or before <paramref name="beforeDay"/>.</summary>
    public void Prune(long beforeSecond, long beforeDay)
    {
        foreach (var (key, buckets) in Counts.ToList())
        {
            var limit = key.StartsWith(Cancellations + "|", StringComparison.Ordinal) ? beforeDay : beforeSecond;
            foreach (var old in buckets.Keys.TakeWhile(b => b <= limit).ToList())
            {
                buckets.Remove(old);
            }
            if (buckets.Count == 0)
            {
                Counts.Remove(key);
            }
        }
    }
}
