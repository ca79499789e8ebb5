namespace SampleMind.ClientApi.Security;

/// <summary>
/// What an API key may do. Read ⊂ growth ⊂ admin; privacy is a branch beside growth: read plus the endpoints about one
/// person's rights (export, erasure), nothing of growth's. Admin may do everything. <see cref="ApiRoles.Admits"/> is
/// the rule.
/// </summary>
public enum ApiRole
{
    /// <summary>The product APIs: users, KPIs, cohorts, funnels, campaigns, models, the live dashboard stream.</summary>
    Read = 1,

    /// <summary>Also retention campaigns and campaign spend.</summary>
    Growth = 2,

    /// <summary>Everything: model promotion, reconcile-type operations, diagnostics, the read audit.</summary>
    Admin = 3,

    /// <summary>Read, plus one person's export and erasure (a data-protection officer's key).</summary>
    Privacy = 4,
}

public static class ApiRoles
{
    /// <summary>Whether a key holding <paramref name="held"/> may call an endpoint that needs <paramref name="needed"/>.</summary>
    public static bool Admits(this ApiRole held, ApiRole needed) => held switch
    {
        ApiRole.Admin => true,
        ApiRole.Privacy => needed is ApiRole.Read or ApiRole.Privacy,
        ApiRole.Growth => needed is ApiRole.Read or ApiRole.Growth,
        ApiRole.Read => needed is ApiRole.Read,
        _ => false,
    };
}
