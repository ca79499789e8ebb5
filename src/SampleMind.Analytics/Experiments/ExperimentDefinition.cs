using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Experiments;

/// <summary>One arm of an experiment: its name, its share of assignments and, for a pricing test, its price.</summary>
public sealed record class VariantDefinition(string Name, double Weight, decimal? Price = null);

/// <summary>
/// What an experiment measures: people who do <see cref="Event"/> for the first time within <see cref="WithinDays"/> days
/// of their first exposure convert (see <see cref="ExperimentMetrics"/> for the events a person's model can date).
/// </summary>
public sealed record class ExperimentMetric(string Event, int WithinDays);

/// <summary>
/// An A/B (or pricing) experiment. The first variant is the control. Assignment is a pure function of the key and the
/// person (<see cref="Assign"/>), so every silo, every restart and every client gets the same variant.
/// </summary>
public sealed record class ExperimentDefinition(string Key, IReadOnlyList<VariantDefinition> Variants, ExperimentMetric Metric, string? Segment)
{
    public const int MaxKeyBytes = 100;

    /// <summary>When the experiment was created: earlier exposures are not counted (they could not have been caused by it).</summary>
    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.MinValue;
    public const int MaxVariants = 10;
    public const int MaxWithinDays = 365;

    public VariantDefinition Control => Variants[0];

    public bool HasVariant(string name) => Variants.Any(v => v.Name == name);

    /// <summary>
    /// The variant of <paramref name="userId"/>: the first 8 bytes of SHA-256("{key}\n{userId}") as a fraction of 2⁶⁴,
    /// placed on the variants' cumulative weights. Stable across processes (no randomised string hashing).
    /// </summary>
    public VariantDefinition Assign(string userId)
    {
        var point = UnitPoint(Key, userId);
        var total = Variants.Sum(v => v.Weight);
        var cumulative = 0.0;
        foreach (var variant in Variants)
        {
            cumulative += variant.Weight / total;
            if (point < cumulative)
            {
                return variant;
            }
        }
        return Variants[^1];
    }

    /// <summary>A uniform point in [0, 1) for (key, person).</summary>
    public static double UnitPoint(string key, string userId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\n{userId}"), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>The messageId of the exposure the assignment endpoint records: the same for every call, so it is stored once.</summary>
    public static string ExposureMessageId(string key, string userId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"exposure\n{key}\n{userId}"), hash);
        return "exposure-" + Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>Every problem with this definition, as (field, message); empty when it is valid.</summary>
    public IEnumerable<(string Field, string Message)> Problems()
    {
        if (string.IsNullOrWhiteSpace(Key))
        {
            yield return ("key", "is required");
        }
        else if (Encoding.UTF8.GetByteCount(Key) > MaxKeyBytes || Key.Any(c => char.IsControl(c) || c == '/'))
        {
            yield return ("key", $"must be at most {MaxKeyBytes} bytes, without '/' or control characters");
        }
        if (Variants is not { Count: >= 2 and <= MaxVariants })
        {
            yield return ("variants", $"must hold 2 to {MaxVariants} variants (the first is the control)");
        }
        else
        {
            for (var i = 0; i < Variants.Count; i++)
            {
                var v = Variants[i];
                if (string.IsNullOrWhiteSpace(v.Name) || Encoding.UTF8.GetByteCount(v.Name) > 100)
                {
                    yield return ($"variants[{i}].name", "is required, at most 100 bytes");
                }
                if (!double.IsFinite(v.Weight) || v.Weight <= 0)
                {
                    yield return ($"variants[{i}].weight", "must be a positive number");
                }
                if (v.Price is { } price && price <= 0)
                {
                    yield return ($"variants[{i}].price", "must be positive when given");
                }
            }
            if (Variants.Select(v => v.Name).Distinct(StringComparer.Ordinal).Count() != Variants.Count)
            {
                yield return ("variants", "names must be distinct");
            }
            if (Variants.Any(v => v.Price is not null) && Variants.Any(v => v.Price is null))
            {
                yield return ("variants", "a pricing test gives every variant a price");
            }
        }
        if (Metric is null || !ExperimentMetrics.IsKnown(Metric.Event))
        {
            yield return ("metric.event", $"must be one of {string.Join(", ", ExperimentMetrics.Events)}");
        }
        if (Metric is { WithinDays: < 1 or > MaxWithinDays })
        {
            yield return ("metric.withinDays", $"must be 1 to {MaxWithinDays}");
        }
        if (Segment is not null && !Segments.SegmentNames.All.Contains(Segment))
        {
            yield return ("segment", $"must be one of {string.Join(", ", Segments.SegmentNames.All)}");
        }
    }
}

/// <summary>The conversion events an experiment can measure: those whose first occurrence a person's model dates.</summary>
public static class ExperimentMetrics
{
    private static readonly Dictionary<string, Func<UserModel, DateTimeOffset?>> s_first = new(StringComparer.Ordinal)
    {
        [EventNames.SignupStarted] = m => m.FunnelStepAt(Funnels.Activation, 0),
        [EventNames.EmailVerified] = m => m.FunnelStepAt(Funnels.Activation, 1),
        [EventNames.SampleUploaded] = m => m.FunnelStepAt(Funnels.Activation, 2),
        [EventNames.AnalysisCompleted] = m => m.FunnelStepAt(Funnels.Activation, 3),
        [EventNames.TrialStarted] = m => m.FunnelStepAt(Funnels.Monetization, 1),
        [EventNames.PaymentAdded] = m => m.FunnelStepAt(Funnels.Monetization, 2),
        [EventNames.SubscriptionStarted] = m => m.FunnelStepAt(Funnels.Monetization, 3),
        [EventNames.SubscriptionRenewed] = m => m.FunnelStepAt(Funnels.Monetization, 4),
        [EventNames.PaymentSucceeded] = m => m.Payments.IsEmpty ? null : new DateTimeOffset(m.Payments[0].AtTicks, TimeSpan.Zero),
    };

    public static IEnumerable<string> Events => s_first.Keys.Order(StringComparer.Ordinal);

    public static bool IsKnown(string? name) => name is not null && s_first.ContainsKey(name);

    /// <summary>When the person first did <paramref name="name"/> (null: never).</summary>
    public static DateTimeOffset? FirstAt(UserModel model, string name) => s_first[name](model);
}
