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

    /// <summary>
    /// The browser origins (<c>https://app.example.com</c>) whose pages may send to <c>/v1/*</c> and <c>/beacon/*</c>.
    /// Empty (the default): any origin, since a browser's write key is public anyway. A request or preflight that
    /// carries an <c>Origin</c> outside the list is refused with 403; requests without <c>Origin</c> (server libraries)
    /// are not affected.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

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

        foreach (var origin in AllowedOrigins)
        {
            // An origin is scheme://host[:port], nothing more: a path or a trailing slash would never equal a browser's Origin header.
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https")
                || !string.Equals(origin, uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
            {
                yield return new ValidationResult(
                    $"Ingest:AllowedOrigins: '{origin}' is not an origin (scheme://host[:port], no path or trailing slash).",
                    [nameof(AllowedOrigins)]);
            }
        }
    }
}
