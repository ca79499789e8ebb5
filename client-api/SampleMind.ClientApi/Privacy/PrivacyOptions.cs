using System.ComponentModel.DataAnnotations;
using SampleMind.Analytics.Privacy;

namespace SampleMind.ClientApi.Privacy;

/// <summary>The "Privacy" section of client-api.</summary>
public sealed class PrivacyOptions
{
    public const string SectionName = "Privacy";

    /// <summary>
    /// The key of the keyed hash (HMAC-SHA256) that stands for a person in the read audit. The default is public
    /// (it is in this source): set your own in production, and keep it, or older audit rows no longer match.
    /// </summary>
    [Required, MinLength(16)]
    public string HashKey { get; set; } = "samplemind-default-privacy-hash-key";

    /// <summary>How traits classified as PII and <c>context.ip</c> are stored: encrypted (default), as a keyed hash, or as sent.</summary>
    public PiiAtRest PiiAtRest { get; set; } = PiiAtRest.Encrypt;

    /// <summary>The secret the PII encryption and hash keys are derived from (<see cref="PiiProtector.DefaultKey"/>: public, set your own).</summary>
    [Required, MinLength(16)]
    public string PiiKey { get; set; } = PiiProtector.DefaultKey;

    /// <summary>The longest <c>X-Purpose</c> header the audit records (longer ones are refused with 400).</summary>
    [Range(1, 1000)]
    public int MaxPurposeLength { get; set; } = 200;

    /// <summary>
    /// k of the aggregation threshold: a group figure over 1 to k-1 people is withheld from non-admin keys (README
    /// "Small groups"). 1 turns the threshold off.
    /// </summary>
    [Range(1, 1000)]
    public int MinGroupSize { get; set; } = 5;

    /// <summary>How long DELETE /api/users/{id} waits for its job to finish: 200 when it did, else 202 with the job's URL.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ErasureWait { get; set; } = TimeSpan.FromSeconds(5);
}
