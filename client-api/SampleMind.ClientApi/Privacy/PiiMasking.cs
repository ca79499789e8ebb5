using System.Security.Claims;
using SampleMind.Analytics.Privacy;
using SampleMind.ClientApi.Security;
using SampleMind.Users;

namespace SampleMind.ClientApi.Privacy;

/// <summary>
/// Personal data in one person's answers (README "Personal data"): the traits classified as PII and the profile's email
/// are shown to admin and privacy keys (decrypted: they are stored protected, <see cref="PiiProtector"/>) and masked
/// (<see cref="Mask"/>) for read and growth keys.
/// </summary>
public static class PiiMasking
{
    /// <summary>What a masked value reads as.</summary>
    public const string Mask = "***";

    /// <summary>The trait keys classified as PII (case-insensitive): contact, identity, address and network details.</summary>
    public static IReadOnlySet<string> TraitKeys => PiiProtector.TraitKeys;

    /// <summary>Whether <paramref name="user"/>'s key sees personal data (admin, privacy).</summary>
    public static bool SeesPii(ClaimsPrincipal user) => user.IsInRole(nameof(ApiRole.Admin)) || user.IsInRole(nameof(ApiRole.Privacy));

    /// <summary>The view as <paramref name="user"/> may see it.</summary>
    public static UserView For(ClaimsPrincipal user, UserView view, PiiProtector pii) => SeesPii(user) ? Revealed(view, pii) : Masked(view);

    /// <summary>The view with every encrypted value decrypted (a hashed one stays a hash: it cannot be read back).</summary>
    public static UserView Revealed(UserView view, PiiProtector pii) => view with
    {
        Traits = view.Traits.ToDictionary(t => t.Key, t => pii.Reveal(t.Key, t.Value), StringComparer.Ordinal),
        Profile = view.Profile with { Email = view.Profile.Email is { } email ? pii.Reveal("email", email) : null },
    };

    /// <summary>The view with every PII trait and the profile's email masked.</summary>
    public static UserView Masked(UserView view) => view with
    {
        Traits = view.Traits.ToDictionary(t => t.Key, t => TraitKeys.Contains(t.Key) ? Mask : t.Value, StringComparer.Ordinal),
        Profile = view.Profile with { Email = view.Profile.Email is null ? null : Mask },
    };
}
