using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Campaigns;

/// <summary>
/// Additive figures of one campaign (first touch): a delta from one user or a silo's pre-aggregator, or a campaign
/// grain's totals. A user belongs to the campaign of their earliest campaign value (<see cref="UserModel.Campaign"/>).
/// </summary>
public sealed class CampaignFigures
{
    /// <summary>Users whose first touch is the campaign.</summary>
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

    /// <summary>One user's share of their first-touch campaign; null when the user has no campaign.</summary>
    public static (string Campaign, CampaignFigures Share)? Of(UserModel model)
    {
        if (model.Campaign is not { } campaign)
        {
            return null;
        }
        return (campaign.Value, new CampaignFigures
        {
            Users = 1,
            Signups = model.SignupAt is null ? 0 : 1,
            Conversions = model.Payments.IsEmpty ? 0 : 1,
            Revenue = model.LifetimeRevenue,
        });
    }

    /// <summary>
    /// The change from a user's share before some events to the share after: the old campaign loses the old share and
    /// the new one gains the new share (a late, earlier identify can move a user's first touch).
    /// </summary>
    public static IReadOnlyList<(string Campaign, CampaignFigures Delta)> Difference((string Campaign, CampaignFigures Share)? before, (string Campaign, CampaignFigures Share)? after)
    {
        var deltas = new Dictionary<string, CampaignFigures>(StringComparer.Ordinal);
        if (before is { } b)
        {
            deltas[b.Campaign] = new CampaignFigures();
            deltas[b.Campaign].Add(b.Share, -1);
        }
        if (after is { } a)
        {
            if (!deltas.TryGetValue(a.Campaign, out var d))
            {
                deltas[a.Campaign] = d = new CampaignFigures();
            }
            d.Add(a.Share);
        }
        return [.. deltas.Where(p => !p.Value.IsZero).Select(p => (p.Key, p.Value))];
    }
}
