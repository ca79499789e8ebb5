using Npgsql;
using SampleMind.Analytics.Campaigns;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Campaigns;
using SampleMind.FunnelMetrics;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>
/// Campaign (both attribution models) and funnel grains against their SQL oracles. Both are lifetime figures over the whole event log, so
/// --from/--to do not narrow them: --check compares every campaign and funnel, --fix rewrites them all (spend is kept:
/// it is recorded only in the campaign grains).
/// </summary>
public static class CampaignFunnelReconciler
{
    /// <summary>Prints every difference; returns how many there are.</summary>
    public static async Task<int> CheckAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var differences = 0;
        var campaigns = await CampaignOracle.AttributedAsync(dataSource, cancellationToken);
        var listed = await client.GetGrain<ICampaignCatalogGrain>(ICampaignCatalogGrain.Key).ListAsync();
        foreach (var id in campaigns.Keys.Union(listed, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var expected = campaigns.GetValueOrDefault(id) ?? new CampaignAttribution();
            foreach (var model in new[] { AttributionModel.FirstTouch, AttributionModel.LastTouch })
            {
                var live = (await client.GetGrain<ICampaignGrain>(id).GetAttributedTotalsAsync(model)).ToFigures();
                var sql = model == AttributionModel.LastTouch ? expected.LastTouch : expected.FirstTouch;
                foreach (var (field, l, s) in new (string, decimal, decimal)[]
                {
                    ("users", live.Users, sql.Users), ("signups", live.Signups, sql.Signups),
                    ("conversions", live.Conversions, sql.Conversions), ("revenue", live.Revenue, sql.Revenue),
                })
                {
                    if (l != s)
                    {
                        differences++;
                        Console.WriteLine($"campaign {id} {model.Name()} {field}: live {l} ≠ sql {s}");
                    }
                }
            }
            if (!listed.Contains(id, StringComparer.Ordinal))
            {
                differences++;
                Console.WriteLine($"campaign {id}: missing from the catalogue");
            }
        }
        foreach (var name in FunnelFigures.Names)
        {
            var sql = await FunnelOracle.FunnelAsync(dataSource, name, cancellationToken);
            var live = (await client.GetGrain<IFunnelGrain>(name).GetTotalsAsync()).ToFigures(sql.StepUsers.Length);
            var steps = FunnelFigures.StepsOf(name)!;
            for (var k = 0; k < steps.Count; k++)
            {
                if (live.StepUsers[k] != sql.StepUsers[k])
                {
                    differences++;
                    Console.WriteLine($"funnel {name} {steps[k]} users: live {live.StepUsers[k]} ≠ sql {sql.StepUsers[k]}");
                }
                if (k > 0)
                {
                    for (var b = 0; b < DurationHistogram.BucketCount; b++)
                    {
                        if (live.Durations[k - 1][b] != sql.Durations[k - 1][b])
                        {
                            differences++;
                            Console.WriteLine($"funnel {name} {steps[k - 1]}→{steps[k]} bucket {b}: live {live.Durations[k - 1][b]} ≠ sql {sql.Durations[k - 1][b]}");
                        }
                    }
                }
            }
        }
        Console.WriteLine($"{differences} campaign/funnel difference{(differences == 1 ? "" : "s")} over {campaigns.Count} campaigns (first and last touch) and {FunnelFigures.Names.Count} funnels");
        return differences;
    }

    /// <summary>Rewrites every campaign's user figures and every funnel from the event log; returns the number of grains reset.</summary>
    public static async Task<int> FixAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var campaigns = await CampaignOracle.AttributedAsync(dataSource, cancellationToken);
        var listed = await client.GetGrain<ICampaignCatalogGrain>(ICampaignCatalogGrain.Key).ListAsync();
        var ids = campaigns.Keys.Union(listed, StringComparer.Ordinal).ToList();
        foreach (var id in ids)
        {
            var figures = campaigns.GetValueOrDefault(id) ?? new CampaignAttribution();
            await client.GetGrain<ICampaignGrain>(id).ResetAsync(figures.FirstTouch.ToWire(), figures.LastTouch.ToWire());
        }
        foreach (var name in FunnelFigures.Names)
        {
            await client.GetGrain<IFunnelGrain>(name).ResetAsync((await FunnelOracle.FunnelAsync(dataSource, name, cancellationToken)).ToWire());
        }
        return ids.Count + FunnelFigures.Names.Count;
    }
}
