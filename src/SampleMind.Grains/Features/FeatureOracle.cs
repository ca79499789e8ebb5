using Npgsql;
using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Rollups;

namespace SampleMind.Features;

/// <summary>
/// The oracle of feature analytics: per feature and adoption week, SQL over the user event log (the seed's
/// <c>feature_analytics</c> view adapted to our table). A use is a <c>track</c> <c>feature_used</c> event whose
/// <c>feature</c> property is a non-empty string or a number; weeks are ISO weeks in UTC. A feature the registry did
/// not admit (<c>dimension_values</c>, past <see cref="Rollups.CardinalityOptions.Features"/>) counts under "(other)".
/// </summary>
public static class FeatureOracle
{
    // The people, uses, active weeks and revenue every query here starts from.
    private static readonly string Facts = $"""
        WITH ev AS (
            SELECT user_id, ts, type, event, payload->'properties' AS p FROM user_events
        ),
        raw_uses AS (
            SELECT user_id, {OracleSql.Text("feature")} AS feature, ts
            FROM ev WHERE type = 'track' AND event = 'feature_used'
        ),
        uses AS ( -- a feature not admitted to the registry (past the ceiling) counts under "(other)", as live
            SELECT user_id, CASE WHEN feature IS NULL THEN NULL
                                 WHEN EXISTS (SELECT 1 FROM dimension_values d WHERE d.dimension = 'feature' AND d.value = feature) THEN feature
                                 ELSE '(other)' END AS feature, ts
            FROM raw_uses
        ),
        adopters AS (
            SELECT feature, user_id, date_trunc('week', min(ts))::date AS week, count(*) AS uses
            FROM uses WHERE feature IS NOT NULL GROUP BY feature, user_id
        ),
        active_weeks AS (
            SELECT DISTINCT user_id, date_trunc('week', ts)::date AS week FROM ev
        ),
        revenue AS (
            SELECT user_id, sum(coalesce({OracleSql.Number("amount")}, {OracleSql.Number("revenue")}, 0)) AS amount
            FROM ev WHERE type = 'track' AND event = 'payment_succeeded' GROUP BY user_id
        )
        """;

    private static readonly string Sql = $"""
        {Facts},
        adopted AS (
            SELECT a.feature, a.week, count(*) AS adopters, sum(a.uses) AS uses,
                   count(w.user_id) AS retained, coalesce(sum(r.amount), 0) AS revenue
            FROM adopters a
            LEFT JOIN active_weeks w ON w.user_id = a.user_id AND w.week = a.week + 28
            LEFT JOIN revenue r ON r.user_id = a.user_id
            GROUP BY a.feature, a.week
        ),
        others AS (
            SELECT d.feature, d.week, count(*) AS people, count(later.user_id) AS retained
            FROM adopted d
            JOIN active_weeks w ON w.week = d.week
            LEFT JOIN active_weeks later ON later.user_id = w.user_id AND later.week = d.week + 28
            WHERE NOT EXISTS (SELECT 1 FROM adopters x WHERE x.feature = d.feature AND x.user_id = w.user_id AND x.week <= d.week)
            GROUP BY d.feature, d.week
        )
        SELECT d.feature, d.week, d.adopters, d.uses, d.retained, d.revenue,
               coalesce(o.people, 0), coalesce(o.retained, 0)
        FROM adopted d
        LEFT JOIN others o ON o.feature = d.feature AND o.week = d.week
        ORDER BY d.feature, d.week
        """;

    // The additive figures the live grains hold (FeatureTotals): per feature and week, the adopters' cells and the
    // active-adopted cells of every week an adopter was active in from their adoption week on.
    private static readonly string TotalsSql = $"""
        {Facts},
        cells AS (
            SELECT a.feature, a.week, 1 AS adopters, a.uses, (w.user_id IS NOT NULL)::int AS retained,
                   coalesce(r.amount, 0) AS revenue, 0 AS active_adopted, 0 AS retained_active
            FROM adopters a
            LEFT JOIN active_weeks w ON w.user_id = a.user_id AND w.week = a.week + 28
            LEFT JOIN revenue r ON r.user_id = a.user_id
            UNION ALL
            SELECT a.feature, w.week, 0, 0, 0, 0, 1, (later.user_id IS NOT NULL)::int
            FROM adopters a
            JOIN active_weeks w ON w.user_id = a.user_id AND w.week >= a.week
            LEFT JOIN active_weeks later ON later.user_id = a.user_id AND later.week = w.week + 28
        )
        SELECT feature, week, sum(adopters), sum(uses), sum(retained), sum(revenue), sum(active_adopted), sum(retained_active)
        FROM cells GROUP BY feature, week ORDER BY feature, week
        """;

    private static readonly string ActivitySql = $"""
        {Facts}
        SELECT w.week, count(*), count(later.user_id)
        FROM active_weeks w
        LEFT JOIN active_weeks later ON later.user_id = w.user_id AND later.week = w.week + 28
        GROUP BY w.week ORDER BY w.week
        """;

    /// <summary>Every feature's figures per adoption week, ordered by feature and week.</summary>
    public static async Task<IReadOnlyList<FeatureWeekFigures>> WeeksAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenUtcAsync(dataSource, cancellationToken);
        var result = new List<FeatureWeekFigures>();
        await using var command = new NpgsqlCommand(Sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new FeatureWeekFigures(
                reader.GetString(0), DateOnly.FromDateTime(reader.GetDateTime(1)), reader.GetInt64(2),
                Convert.ToInt64(reader.GetValue(3)), reader.GetInt64(4), reader.GetDecimal(5),
                reader.GetInt64(6), reader.GetInt64(7)));
        }
        return result;
    }

    /// <summary>
    /// The additive figures the live grains hold, from the event log: per feature its week cells, and everyone's activity
    /// per week (the Monday's day number). reconcile --fix writes these into the feature and activity-week grains.
    /// </summary>
    public static async Task<(SortedDictionary<string, FeatureFigures> Features, SortedDictionary<int, ActivityWeekFigures> Weeks)> TotalsAsync(
        NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var features = new SortedDictionary<string, FeatureFigures>(StringComparer.Ordinal);
        var weeks = new SortedDictionary<int, ActivityWeekFigures>();
        await using var connection = await OpenUtcAsync(dataSource, cancellationToken);
        await using (var command = new NpgsqlCommand(TotalsSql, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var feature = reader.GetString(0);
                if (!features.TryGetValue(feature, out var figures))
                {
                    features[feature] = figures = new FeatureFigures();
                }
                figures.Weeks[DateOnly.FromDateTime(reader.GetDateTime(1)).DayNumber] = new FeatureWeekCell
                {
                    Adopters = Convert.ToInt64(reader.GetValue(2)),
                    Uses = Convert.ToInt64(reader.GetValue(3)),
                    RetainedAdopters = Convert.ToInt64(reader.GetValue(4)),
                    AdopterRevenue = reader.GetDecimal(5),
                    ActiveAdopted = Convert.ToInt64(reader.GetValue(6)),
                    RetainedActiveAdopted = Convert.ToInt64(reader.GetValue(7)),
                };
            }
        }
        await using (var command = new NpgsqlCommand(ActivitySql, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                weeks[DateOnly.FromDateTime(reader.GetDateTime(0)).DayNumber] = new ActivityWeekFigures
                {
                    Active = reader.GetInt64(1),
                    Retained = reader.GetInt64(2),
                };
            }
        }
        return (features, weeks);
    }

    private static async Task<NpgsqlConnection> OpenUtcAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var utc = new NpgsqlCommand("SET TIME ZONE 'UTC'", connection);
        await utc.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// The seed's feature value of one adoption week: its adopters × the feature's revenue impact, the mean revenue
    /// per adopter over all the feature's adoption weeks; rounded to 6 decimals.
    /// </summary>
    public static decimal FeatureValue(FeatureWeekFigures week, IEnumerable<FeatureWeekFigures> featureWeeks)
        => FeatureReport.FeatureValue(week, featureWeeks.Where(w => w.Feature == week.Feature));
}
