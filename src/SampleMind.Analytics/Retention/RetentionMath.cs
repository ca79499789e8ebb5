using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SampleMind.Analytics.Retention;

/// <summary>Deterministic treatment/holdout assignment of a campaign's targets.</summary>
public static class RetentionAssignment
{
    public const string Treatment = "treatment";
    public const string Holdout = "holdout";

    /// <summary>
    /// A number in [0, 1) fixed by (campaign, user): the first 8 bytes of SHA-256("{campaign}\n{user}") over 2^64.
    /// Independent across campaigns, so a user's arm in one campaign says nothing about another.
    /// </summary>
    public static double Bucket(string campaignId, string userId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{campaignId}\n{userId}"), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Holdout when the bucket is below the holdout share, treatment otherwise.</summary>
    public static string Arm(double bucket, decimal holdoutShare) => bucket < (double)holdoutShare ? Holdout : Treatment;
}

/// <summary>Retention of the treated users against the holdout, with the uplift and its confidence interval.</summary>
public sealed record class UpliftEstimate(
    int Treated,
    int TreatedRetained,
    int Holdout,
    int HoldoutRetained,
    double? TreatedRate,
    double? HoldoutRate,
    double? Uplift,
    double? Low,
    double? High,
    double Confidence)
{
    /// <summary>z of a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// The uplift is the difference of two independent proportions, p_t − p_h, where p_t = retained treated / treated
    /// and p_h = retained holdout / holdout. Its interval is the Wald interval
    /// (p_t − p_h) ± z · √(p_t(1 − p_t)/n_t + p_h(1 − p_h)/n_h), z = 1.96 for 95 %, clipped to [−1, 1].
    /// Undefined (null) while either arm is empty.
    /// </summary>
    public static UpliftEstimate From(int treated, int treatedRetained, int holdout, int holdoutRetained, double z = Z95)
    {
        double? pt = treated > 0 ? (double)treatedRetained / treated : null;
        double? ph = holdout > 0 ? (double)holdoutRetained / holdout : null;
        if (pt is not { } t || ph is not { } h)
        {
            return new(treated, treatedRetained, holdout, holdoutRetained, pt, ph, null, null, null, 0.95);
        }
        var uplift = t - h;
        var se = Math.Sqrt(t * (1 - t) / treated + h * (1 - h) / holdout);
        return new(treated, treatedRetained, holdout, holdoutRetained, Round(t), Round(h), Round(uplift),
            Round(Math.Max(-1, uplift - z * se)), Round(Math.Min(1, uplift + z * se)), 0.95);
    }

    private static double Round(double value) => Math.Round(value, 6);
}
