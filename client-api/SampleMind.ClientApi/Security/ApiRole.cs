namespace SampleMind.ClientApi.Security;

/// <summary>What an API key may do. Each role includes the ones below it: admin ⊇ growth ⊇ read.</summary>
public enum ApiRole
{
    /// <summary>The product APIs: users, KPIs, cohorts, funnels, campaigns, models, the live dashboard stream.</summary>
    Read = 1,

    /// <summary>Also retention campaigns and campaign spend.</summary>
    Growth = 2,

    /// <summary>Everything: model promotion, reconcile-type operations, diagnostics.</summary>
    Admin = 3,
}
