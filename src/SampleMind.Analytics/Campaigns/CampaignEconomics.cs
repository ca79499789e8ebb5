namespace SampleMind.Analytics.Campaigns;

/// <summary>
/// The campaign economics of DESIGN.md "Definitions": CAC = spend / conversions; LTV = realized revenue per converted
/// user; ROI = (LTV × conversions − spend) / spend. Undefined ratios are null: LTV without conversions, CAC and ROI
/// without recorded spend (a campaign whose spend nobody recorded has an unknown CAC, not a CAC of zero).
/// </summary>
public sealed record class CampaignEconomics(decimal? Cac, decimal? Ltv, decimal? Roi)
{
    /// <summary>Decimal places kept in the reported ratios.</summary>
    public const int Decimals = 6;

    /// <summary>
    /// From spend, paying conversions and their realized revenue. ROI uses LTV × conversions = revenue exactly (no
    /// rounding of LTV first), so (revenue − spend) / spend.
    /// </summary>
    public static CampaignEconomics From(decimal spend, int conversions, decimal revenue)
        => new(
            conversions > 0 && spend > 0 ? Round(spend / conversions) : null,
            conversions > 0 ? Round(revenue / conversions) : null,
            spend > 0 ? Round((revenue - spend) / spend) : null);

    /// <summary>The seed's formula with a given LTV.</summary>
    public static decimal? RoiFromLtv(decimal spend, int conversions, decimal ltv)
        => spend > 0 ? Round((ltv * conversions - spend) / spend) : null;

    private static decimal Round(decimal value) => Math.Round(value, Decimals, MidpointRounding.AwayFromZero);
}
