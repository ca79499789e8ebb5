using System.Globalization;
using Npgsql;
using SampleMind.Analytics.Cohorts;
using SampleMind.Analytics.ModelVersions;
using SampleMind.Cli.Infrastructure;
using SampleMind.Cohorts;
using SampleMind.ModelVersions;
using SampleMind.Rollups;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>
/// reconcile for the AI-model-version and signup-month cohort grains. Their figures span the whole event log (a
/// version's or a cohort's lifetime), so --from/--to do not narrow them: --check compares every version and cohort
/// that SQL or the catalogue knows, --fix rewrites all of them from SQL.
/// </summary>
public static class ModelVersionAndCohortReconciler
{
    /// <summary>Prints each difference between the live grains and SQL; returns how many there are.</summary>
    public static async Task<int> CheckAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var (versions, cohorts) = await OracleAsync(dataSource, cancellationToken);
        var differences = 0;
        void Compare(string what, string field, object? live, object? sql)
        {
            var (l, s) = (Text(live), Text(sql));
            if (l != s)
            {
                differences++;
                Console.WriteLine($"{what} {field}: live {l} ≠ sql {s}");
            }
        }

        var versionKeys = await KeysAsync(client, IRollupCatalogGrain.ModelVersions, versions.Keys);
        foreach (var key in versionKeys)
        {
            var live = ModelVersionValues.From((await client.GetGrain<IModelVersionGrain>(key).GetTotalsAsync()).ToFigures());
            var sql = ModelVersionValues.From(versions.GetValueOrDefault(key) ?? new ModelVersionFigures());
            Compare(key, "requests", live.Requests, sql.Requests);
            Compare(key, "avg_latency_ms", live.AvgLatencyMs, sql.AvgLatencyMs);
            Compare(key, "p99_latency_ms", live.P99LatencyMs, sql.P99LatencyMs);
            Compare(key, "requests_per_second", live.RequestsPerSecond, sql.RequestsPerSecond);
            Compare(key, "error_rate", live.ErrorRate, sql.ErrorRate);
            Compare(key, "feedback", live.Feedback, sql.Feedback);
            Compare(key, "feedback_accuracy", live.FeedbackAccuracy, sql.FeedbackAccuracy);
            Compare(key, "cost_per_request", live.CostPerRequestUsd, sql.CostPerRequestUsd);
            Compare(key, "ratings", live.Ratings, sql.Ratings);
            Compare(key, "quality_score", live.QualityScore, sql.QualityScore);
        }

        var cohortKeys = await KeysAsync(client, IRollupCatalogGrain.Cohorts, cohorts.Keys);
        foreach (var key in cohortKeys)
        {
            var live = (await client.GetGrain<ICohortGrain>(key).GetTotalsAsync()).ToFigures();
            var sql = cohorts.GetValueOrDefault(key) ?? new CohortFigures();
            Compare($"cohort {key}", "size", live.Size, sql.Size);
            foreach (var offset in live.Months.Keys.Union(sql.Months.Keys).Order())
            {
                var l = CohortMonthValues.From(offset, live.Months.GetValueOrDefault(offset) ?? new CohortMonthFigures());
                var s = CohortMonthValues.From(offset, sql.Months.GetValueOrDefault(offset) ?? new CohortMonthFigures());
                Compare($"cohort {key} month {offset}", "users", l.Users, s.Users);
                Compare($"cohort {key} month {offset}", "total_revenue", l.TotalRevenue, s.TotalRevenue);
                Compare($"cohort {key} month {offset}", "revenue_per_user", l.RevenuePerUser, s.RevenuePerUser);
            }
        }
        Console.WriteLine($"{differences} difference{(differences == 1 ? "" : "s")} over {versionKeys.Count} model versions and {cohortKeys.Count} cohorts");
        return differences;
    }

    /// <summary>Rewrites every model version and cohort from SQL (those SQL no longer has are emptied); returns how many.</summary>
    public static async Task<(int Versions, int Cohorts)> FixAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var (versions, cohorts) = await OracleAsync(dataSource, cancellationToken);
        var versionKeys = await KeysAsync(client, IRollupCatalogGrain.ModelVersions, versions.Keys);
        foreach (var key in versionKeys)
        {
            await client.GetGrain<IModelVersionGrain>(key).ResetAsync((versions.GetValueOrDefault(key) ?? new ModelVersionFigures()).ToWire());
        }
        var cohortKeys = await KeysAsync(client, IRollupCatalogGrain.Cohorts, cohorts.Keys);
        foreach (var key in cohortKeys)
        {
            await client.GetGrain<ICohortGrain>(key).ResetAsync((cohorts.GetValueOrDefault(key) ?? new CohortFigures()).ToWire());
        }
        return (versionKeys.Count, cohortKeys.Count);
    }

    private static async Task<(SortedDictionary<string, ModelVersionFigures> Versions, SortedDictionary<string, CohortFigures> Cohorts)> OracleAsync(
        NpgsqlDataSource dataSource, CancellationToken cancellationToken)
        => (await CliDatabase.RunAsync(dataSource, ds => ModelVersionOracle.VersionsAsync(ds, cancellationToken)),
            await CliDatabase.RunAsync(dataSource, ds => CohortOracle.CohortsAsync(ds, cancellationToken)));

    private static async Task<SortedSet<string>> KeysAsync(IClusterClient client, string catalogue, IEnumerable<string> sqlKeys)
        => new(sqlKeys.Concat(await client.GetGrain<IRollupCatalogGrain>(catalogue).GetKeysAsync()), StringComparer.Ordinal);

    private static string? Text(object? value) => ReconcileText.Of(value);
}
