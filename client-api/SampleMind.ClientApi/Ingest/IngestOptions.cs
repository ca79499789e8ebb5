using System.ComponentModel.DataAnnotations;

namespace SampleMind.ClientApi.Ingest;

/// <summary>Settings of the Segment-compatible <c>/v1/*</c> ingest endpoints, bound from the "Ingest" section.</summary>
public sealed class IngestOptions : IValidatableObject
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Ingest";

    /// <summary>
    /// The accepted write keys (HTTP Basic user name, empty password). Several may be valid at once, so a key
    /// can be rotated without downtime.
    /// </summary>
    [Required]
    [MinLength(1, ErrorMessage = "Ingest:WriteKeys needs at least one write key.")]
    public string[] WriteKeys { get; set; } = [];

    /// <summary>How many user grains one request calls at the same time.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentGrainCalls { get; set; } = 64;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WriteKeys.Any(string.IsNullOrWhiteSpace))
        {
            yield return new ValidationResult("Ingest:WriteKeys must not contain blank keys.", [nameof(WriteKeys)]);
        }

        if (WriteKeys.Any(k => k.Contains(':', StringComparison.Ordinal)))
        {
            // HTTP Basic splits user name and password at the first colon; such a key could never match.
            yield return new ValidationResult("Ingest:WriteKeys must not contain ':'.", [nameof(WriteKeys)]);
        }
    }
}
