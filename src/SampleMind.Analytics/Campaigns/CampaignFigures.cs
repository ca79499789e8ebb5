using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Campaigns;

/// <summary>
/// Additive figures of one campaign under one attribution model (<see cref="CampaignAttribution"/>): a delta from one
/// person or a silo's pre-aggregator, or a campaign grain's totals.
/// </summary>
public sealed class CampaignFigures
{
    /// <summary>People attributed to the campaign.</summary>
    public int Users { get; set; }

    /// <summary>Of those, users who signed up (signup_started, or an identify's created_at).</summary>
    public int Signups { get; set; }

    /// <summary>Of those, paying conversions: users with at least one payment_succeeded (any amount, signed up or not).</summary>
    public int Conversions { get; set; }

    /// <summary>Realized revenue: the sum of every payment_succeeded amount of the campaign's users.</summary>
    public decimal Revenue { get; set; }

    public bool IsZero => Users == 0 && Signups == 0 && Conversions == 0 && Revenue == 0m;

    public void Add(CampaignFigures other, int sign = 1)
    {
        Users += sign * other.Users;
        Signups += sign * other.Signups;
        Conversions += sign * other.Conversions;
        Revenue += sign * other.Revenue;
    }

    /// <summary>One person's figures, whichever campaign they are attributed to.</summary>
    public static CampaignFigures PersonOf(UserModel model) => new()
    {
        Users = 1,
        Signups = model.SignupAt is null ? 0 : 1,
        Conversions = model.Payments.IsEmpty ? 0 : 1,
        Revenue = model.LifetimeRevenue,
    };
}

/// <summary>
/// A campaign's figures under both attribution models: <see cref="FirstTouch"/> (the person's earliest campaign touch,
/// <see cref="UserModel.Campaign"/>) and <see cref="LastTouch"/> (the latest touch at or before the first payment,
/// <see cref="UserModel.LastTouch"/>). Additive, like every rollup delta.
/// </summary>
public sealed class CampaignAttribution
{
    public CampaignFigures FirstTouch { get; init; } = new();

    public CampaignFigures LastTouch { get; init; } = new();

    public bool IsZero => FirstTouch.IsZero && LastTouch.IsZero;

    public void Add(CampaignAttribution other, int sign = 1)
    {
        FirstTouch.Add(other.FirstTouch, sign);
        LastTouch.Add(other.LastTouch, sign);
    }

    /// <summary>
    /// One person's shares by campaign (campaign names through <paramref name="map"/>, e.g. the dimension registry's
    /// ceiling): the whole person under the first-touch campaign and under the last-touch one; none without a touch.
    /// </summary>
    public static Dictionary<string, CampaignAttribution> SharesOf(UserModel model, Func<string, string> map)
    {
        var shares = new Dictionary<string, CampaignAttribution>(StringComparer.Ordinal);
        if (model.Campaign is null && model.LastTouch is null)
        {
            return shares;
        }
        var person = CampaignFigures.PersonOf(model);
        if (model.Campaign is { } first)
        {
            At(shares, map(first.Value)).FirstTouch.Add(person);
        }
        if (model.LastTouch is { } last)
        {
            At(shares, map(last.Value)).LastTouch.Add(person);
        }
        return shares;
    }

    /// <summary>The change from a person's shares before some events to the shares after, per campaign (zeros left out).</summary>
    public static IReadOnlyList<(string Campaign, CampaignAttribution Delta)> Difference(
        Dictionary<string, CampaignAttribution> before, Dictionary<string, CampaignAttribution> after)
    {
        var deltas = new Dictionary<string, CampaignAttribution>(StringComparer.Ordinal);
        foreach (var (campaign, share) in before)
        {
            At(deltas, campaign).Add(share, -1);
        }
        foreach (var (campaign, share) in after)
        {
            At(deltas, campaign).Add(share);
        }
        return [.. deltas.Where(p => !p.Value.IsZero).Select(p => (p.Key, p.Value))];
    }

    private static CampaignAttribution At(Dictionary<string, CampaignAttribution> shares, string campaign)
    {
        if (!shares.TryGetValue(campaign, out var share))
        {
            shares[campaign] = share = new CampaignAttribution();
        }
        return share;
    }
}
