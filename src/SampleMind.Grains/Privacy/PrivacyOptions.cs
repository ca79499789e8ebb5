using System.ComponentModel.DataAnnotations;

namespace SampleMind.Privacy;

/// <summary>The silo's part of the "Privacy" section (client-api reads the same HashKey: both must agree).</summary>
public sealed class ErasureOptions
{
    public const string SectionName = "Privacy";

    /// <summary>The key of the keyed hash (HMAC-SHA256) of erased ids in the tombstones and of people in the read audit.</summary>
    [Required, MinLength(16)]
    public string HashKey { get; set; } = "samplemind-default-privacy-hash-key";

    /// <summary>How PII in events read from Event Hubs is stored (client-api has the same key for its ingest).</summary>
    public Analytics.Privacy.PiiAtRest PiiAtRest { get; set; } = Analytics.Privacy.PiiAtRest.Encrypt;

    /// <summary>The secret the PII keys are derived from: the same on every host and the CLI.</summary>
    [Required, MinLength(16)]
    public string PiiKey { get; set; } = Analytics.Privacy.PiiProtector.DefaultKey;

    /// <summary>Whether an erasure leaves tombstones, so that retried old messages of the erased keys are not stored.</summary>
    public bool Tombstones { get; set; } = true;

    /// <summary>How often each silo looks for pending erasure jobs whose lease ran out.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed job is left to the silo that claimed it before another one takes it over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan JobLease { get; set; } = TimeSpan.FromMinutes(2);
}
