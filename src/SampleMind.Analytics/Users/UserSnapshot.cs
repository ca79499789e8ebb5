using System.Text.Json;
using SampleMind.Analytics.Revenue;
using SampleMind.Analytics.Segments;

namespace SampleMind.Analytics.Users;

/// <summary>
/// The persisted form of a <see cref="UserModel"/> (System.Text.Json, <see cref="UserModelJsonContext"/>): instants as
/// UTC ticks, short property names, canonical order (a model built from the same events in any order writes the same
/// bytes). <see cref="Format"/> names the shape; a snapshot of another shape is not read (<see cref="UserSnapshots.Read"/>).
/// </summary>
public sealed class UserSnapshot
{
    /// <summary>
    /// The shape written by this code. Format 1 was the model's own JSON (before the compact model); format 2 had no
    /// campaign <see cref="Touches"/> (last-touch attribution), format 3 no <see cref="FeatureUses"/> and
    /// <see cref="ActiveWeeks"/> (feature analytics), so their users are rebuilt from the log.
    /// </summary>
    public const int CurrentFormat = 4;

    public int Format { get; set; }
    public long EventsApplied { get; set; }
    public TraitSnapshot[] Traits { get; set; } = [];
    public StampedSnapshot? Email { get; set; }
    public StampedSnapshot? Device { get; set; }
    public StampedSnapshot? Source { get; set; }
    public StampedSnapshot? Campaign { get; set; }
    public StampedSnapshot? UtmSource { get; set; }
    public StampedSnapshot? UtmMedium { get; set; }
    public StampedSnapshot? UtmCampaign { get; set; }
    public long? SignupAt { get; set; }
    public long? FirstSeenAt { get; set; }
    public long? LastActiveAt { get; set; }
    public long? LastLoginAt { get; set; }
    public StampedSnapshot[] PlanLog { get; set; } = [];
    /// <summary>Campaign touches at or before the first payment (last-touch attribution), in time order.</summary>
    public StampedSnapshot[] Touches { get; set; } = [];
    public DaySnapshot[] Days { get; set; } = [];
    public string[] Features { get; set; } = [];
    public long[] FeatureFirstUse { get; set; } = [];
    /// <summary>Uses of each of <see cref="Features"/> (same order).</summary>
    public int[] FeatureUses { get; set; } = [];
    /// <summary>The Mondays (day numbers) of every ISO week with activity, ascending.</summary>
    public int[] ActiveWeeks { get; set; } = [];
    public long[] SupportTickets { get; set; } = [];
    public long[] PaymentFailures { get; set; } = [];
    public PaymentSnapshot[] Payments { get; set; } = [];
    public long[] Cancellations { get; set; } = [];
    public ExposureSnapshot[] Exposures { get; set; } = [];
    public SubscriptionStatus? Subscription { get; set; }
    /// <summary>Stripe subscription observations (absent in snapshots written before they existed: none then).</summary>
    public SubscriptionObservation[]? StripeSubscriptions { get; set; }
    public RefundSnapshot[]? Refunds { get; set; }

    /// <summary>Each funnel's step times in step order (null: not reached).</summary>
    public long?[] Activation { get; set; } = [];
    public long?[] Monetization { get; set; } = [];
    public long? FirstSession { get; set; }
    public long? SecondSession { get; set; }
    public SegmentChange[] SegmentHistory { get; set; } = [];
    public int? TimelineDirtyFrom { get; set; }
    public int? TimelineThrough { get; set; }
    public SegmentStep[] SegmentPath { get; set; } = [];
    public int? PathDirtyFrom { get; set; }
}

public sealed record class StampedSnapshot(string V, long T, string M);

public sealed record class TraitSnapshot(string K, string V, long T, string M);

/// <summary>A payment: T time (ticks), A amount, S from Stripe.</summary>
public sealed record class PaymentSnapshot(long T, decimal A, bool S = false);

/// <summary>A refund: C charge, T time (ticks), R refunded so far, M messageId.</summary>
public sealed record class RefundSnapshot(string C, long T, decimal R, string M);

/// <summary>An experiment exposure: X experiment, V variant, T time (ticks), M messageId.</summary>
public sealed record class ExposureSnapshot(string X, string V, long T, string M);

/// <summary>One day bucket: D day number, E events, A analyses, U uploads, S sessions, SS session seconds, L logins,
/// FU feature uses, T last event (ticks), SE sessions ended, PS/PC processing-time sum/count, AS/AC accuracy sum/count,
/// F features.</summary>
public sealed record class DaySnapshot(int D, int E, int A, int U, int S, long SS, int L, int FU, long T, int SE,
    decimal PS, int PC, decimal AS, int AC, string[]? F);

/// <summary>Writes and reads user snapshots.</summary>
public static class UserSnapshots
{
    public static byte[] Write(UserModel model)
        => JsonSerializer.SerializeToUtf8Bytes(model.ToSnapshot(), UserModelJsonContext.Default.UserSnapshot);

    /// <summary>
    /// The model of a snapshot, or null when the bytes are not a snapshot of <see cref="UserSnapshot.CurrentFormat"/>
    /// (an older shape, or damaged): the caller then rebuilds the user from the event log.
    /// </summary>
    public static UserModel? Read(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var snapshot = JsonSerializer.Deserialize(bytes, UserModelJsonContext.Default.UserSnapshot);
            return snapshot is { Format: UserSnapshot.CurrentFormat } ? UserModel.FromSnapshot(snapshot) : null;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
