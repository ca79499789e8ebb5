using System.Security.Claims;
using SampleMind.ClientApi.Security;
using SampleMind.Users;

namespace SampleMind.ClientApi.Privacy;

/// <summary>
/// Personal data in one person's answers (README "Personal data"): the traits classified as PII and the profile's email
/// are shown to admin and privacy keys and masked (<see cref="Mask"/>) for read and growth keys.
/// </summary>
public static class PiiMasking
{
    /// <summary>What a masked value reads as.</summary>
    public const string Mask = "***";

    /// <summary>The trait keys classified as PII (case-insensitive): contact, identity, address and network details.</summary>
    public static readonly IReadOnlySet<string> TraitKeys = new HashSet<string>(
        ["email", "name", "first_name", "firstName", "last_name", "lastName", "phone", "address", "ip"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="user"/>'s key sees personal data (admin, privacy).</summary>
    public static bool SeesPii(ClaimsPrincipal user) => user.IsInRole(nameof(ApiRole.Admin)) || user.IsInRole(nameof(ApiRole.Privacy));

    /// <summary>The view as <paramref name="user"/> may see it.</summary>
    public static UserView For(ClaimsPrincipal user, UserView view) => SeesPii(user) ? view : Masked(view);

    /// <summary>The view with every PII trait and the profile's email masked.</summary>
    public static UserView Masked(UserView view) => view with
    {
        Traits = view.Traits.ToDictionary(t => t.Key, t => TraitKeys.Contains(t.Key) ? Mask : t.Value, StringComparer.Ordinal),
        Profile = view.Profile with { Email = view.Profile.Email is null ? null : Mask },
    };
}
