using System.Globalization;
using Npgsql;
using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Rollups;

namespace SampleMind.Features;

/// <summary>
/// The feature grains against <see cref="FeatureOracle"/> (reconcile --check and --fix). Their figures span the whole
/// event log (an adoption week's adopters use and pay at any time), so a check compares every feature SQL or the
/// catalogue knows and a fix rewrites every feature and activity-week grain.
/// </summary>
public static class FeatureReconciliation
{
    /// <summary>Each figure of an adoption week where the live row and SQL differ, one line each ("feature week field: live … ≠ sql …").</summary>
    public static async Task<(List<string> Differences, int Features)> CheckAsync(
        IGrainFactory grains, NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var sql = (await FeatureOracle.WeeksAsync(dataSource, cancellationToken)).GroupBy(w => w.Feature)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var keys = await KeysAsync(grains, IRollupCatalogGrain.Features, sql.Keys);
        var differences = new List<string>();
        foreach (var feature in keys)
        {
            var live = await grains.GetGrain<IFeatureGrain>(feature).GetAsync();
            var oracle = FeatureMapping.ToRow(feature, sql.GetValueOrDefault(feature) ?? []);
            void Compare(string what, string field, object? l, object? s)
            {
                var (lt, st) = (Text(l), Text(s));
                if (lt != st)
                {
                    differences.Add($"{what} {field}: live {lt ?? "none"} ≠ sql {st ?? "none"}");
                }
            }
            Compare($"feature {feature}", "revenue_impact", live.RevenueImpact, oracle.RevenueImpact);
            var weeks = live.Weeks.Select(w => w.AdoptionWeek).Union(oracle.Weeks.Select(w => w.AdoptionWeek)).Order();
            foreach (var week in weeks)
            {
                var l = live.Weeks.FirstOrDefault(w => w.AdoptionWeek == week);
                var s = oracle.Weeks.FirstOrDefault(w => w.AdoptionWeek == week);
                var what = $"feature {feature} week {week:yyyy-MM-dd}";
                Compare(what, "adopters", l?.Adopters ?? 0, s?.Adopters ?? 0);
                Compare(what, "uses", l?.Uses, s?.Uses);
                Compare(what, "average_usage", l?.AverageUsage, s?.AverageUsage);
                Compare(what, "retained_adopters", l?.RetainedAdopters, s?.RetainedAdopters);
                Compare(what, "adopter_revenue", l?.AdopterRevenue, s?.AdopterRevenue);
                Compare(what, "non_adopters", l?.NonAdopters, s?.NonAdopters);
                Compare(what, "retained_non_adopters", l?.RetainedNonAdopters, s?.RetainedNonAdopters);
                Compare(what, "retention_impact", l?.RetentionImpact, s?.RetentionImpact);
                Compare(what, "feature_value", l?.FeatureValue, s?.FeatureValue);
            }
        }
        return (differences, keys.Count);
    }

    /// <summary>Rewrites every feature and activity-week grain from SQL (those SQL no longer has are emptied); returns how many.</summary>
    public static async Task<(int Features, int Weeks)> FixAsync(
        IGrainFactory grains, NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var (features, weeks) = await FeatureOracle.TotalsAsync(dataSource, cancellationToken);
        var featureKeys = await KeysAsync(grains, IRollupCatalogGrain.Features, features.Keys);
        foreach (var feature in featureKeys)
        {
            await grains.GetGrain<IFeatureGrain>(feature).ResetAsync((features.GetValueOrDefault(feature) ?? new FeatureFigures()).ToWire());
        }
        var weekKeys = await KeysAsync(grains, IRollupCatalogGrain.ActivityWeeks, weeks.Keys.Select(FeatureMapping.WeekKey));
        foreach (var key in weekKeys)
        {
            var week = DateOnly.ParseExact(key, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber;
            await grains.GetGrain<IActivityWeekGrain>(key).ResetAsync((weeks.GetValueOrDefault(week) ?? new ActivityWeekFigures()).ToWire());
        }
        return (featureKeys.Count, weekKeys.Count);
    }

    private static async Task<SortedSet<string>> KeysAsync(IGrainFactory grains, string catalogue, IEnumerable<string> sqlKeys)
        => new(sqlKeys.Concat(await grains.GetGrain<IRollupCatalogGrain>(catalogue).GetKeysAsync()), StringComparer.Ordinal);

    private static string? Text(object? value) => value switch
    {
        null => null,
        decimal d => d.ToString("G29", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
