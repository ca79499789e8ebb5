using System.ComponentModel.DataAnnotations;

namespace SampleMind.ClientApi.Security;

/// <summary>
/// The "Auth" section: the bearer keys of the <c>/api</c> endpoints and their roles. None by default; the local
/// stack's keys live in appsettings.Development.json.
/// </summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    public const string SectionName = "Auth";

    /// <summary>Accepted keys (<c>Authorization: Bearer &lt;key&gt;</c>); several may hold the same role, so a key can be rotated.</summary>
    public ApiKeyEntry[] ApiKeys { get; set; } = [];

    /// <summary>
    /// A key the dashboard page uses without asking when it is opened from the same machine (loopback). Must be one
    /// of <see cref="ApiKeys"/>; none by default, so elsewhere the page asks for a key.
    /// </summary>
    public string? LoopbackDashboardKey { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < ApiKeys.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(ApiKeys[i].Key))
            {
                yield return new ValidationResult($"Auth:ApiKeys:{i}:Key must not be blank.", [nameof(ApiKeys)]);
            }
            if (!Enum.IsDefined(ApiKeys[i].Role))
            {
                yield return new ValidationResult($"Auth:ApiKeys:{i}:Role must be Read, Growth, Admin or Privacy.", [nameof(ApiKeys)]);
            }
        }
        if (ApiKeys.Select(k => k.Key).Distinct(StringComparer.Ordinal).Count() != ApiKeys.Length)
        {
            yield return new ValidationResult("Auth:ApiKeys holds the same key twice.", [nameof(ApiKeys)]);
        }
        if (!string.IsNullOrEmpty(LoopbackDashboardKey) && !ApiKeys.Any(k => k.Key == LoopbackDashboardKey))
        {
            yield return new ValidationResult("Auth:LoopbackDashboardKey must be one of Auth:ApiKeys.", [nameof(LoopbackDashboardKey)]);
        }
    }
}

/// <summary>One bearer key and its role.</summary>
public sealed class ApiKeyEntry
{
    public string Key { get; set; } = "";

    /// <summary>
    /// The name the read audit records for this key (never the key itself). Default: "key-" and the first 12 hex
    /// digits of the key's SHA-256.
    /// </summary>
    public string? Id { get; set; }

    /// <summary><see cref="Id"/>, or the default derived from the key.</summary>
    public string KeyId => string.IsNullOrWhiteSpace(Id)
        ? "key-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Key)))[..12]
        : Id;

    public ApiRole Role { get; set; }
}
