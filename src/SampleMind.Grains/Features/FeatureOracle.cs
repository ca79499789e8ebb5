using Npgsql;
using SampleMind.Rollups;

namespace SampleMind.Features;

/// <summary>The figures of one feature and adoption week, computed by <see cref="FeatureOracle"/>.</summary>
/// <param name="Feature">The <c>feature</c> property of the <c>feature_used</c> events.</param>
/// <param name="AdoptionWeek">The Monday (UTC) of the ISO week of the adopters' first use.</param>
/// <param name="Adopters">People whose first use of the feature falls in that week.</param>
/// <param name="Uses">All uses of the feature by those adopters, at any time.</param>
/// <param name="RetainedAdopters">Adopters with any event in the ISO week four weeks after the adoption week.</param>
/// <param name="AdopterRevenue">The <c>payment_succeeded</c> amounts of those adopters, at any time.</param>
/// <param name="NonAdopters">People with any event in the adoption week who had not used the feature by its end.</param>
/// <param name="RetainedNonAdopters">Those non-adopters with any event in the ISO week four weeks after.</param>
public sealed record class FeatureWeekFigures(
    string Feature, DateOnly AdoptionWeek, long Adopters, long Uses, long RetainedAdopters, decimal AdopterRevenue,
    long NonAdopters, long RetainedNonAdopters)
{
    /// <summary>Uses per adopter, rounded to 6 decimals.</summary>
    public decimal AverageUsage => Math.Round((decimal)Uses / Adopters, 6);

    /// <summary>The share of adopters retained four weeks on, rounded to 6 decimals.</summary>
    public decimal Retention => Math.Round((decimal)RetainedAdopters / Adopters, 6);

    /// <summary>
    /// The retention impact: adopters' four-week retention minus the non-adopters' of the same week, rounded to 6
    /// decimals; null without non-adopters.
    /// </summary>
    public decimal? RetentionImpact => NonAdopters == 0
        ? null
        : Math.Round((decimal)RetainedAdopters / Adopters - (decimal)RetainedNonAdopters / NonAdopters, 6);
}

/// <summary>
/// The oracle of feature analytics: per feature and adoption week, SQL over the user event log (the seed's
/// <c>feature_analytics</c> view adapted to our table). A use is a <c>track</c> <c>feature_used</c> event whose
/// <c>feature</c> property is a non-empty string or a number; weeks are ISO weeks in UTC.
/// </summary>
public static class FeatureOracle
{
    private static readonly string Sql = $"""
        WITH ev AS (
            SELECT user_id, ts, type, event, payload->'properties' AS p FROM user_events
        ),
        uses AS (
            SELECT user_id, {OracleSql.Text("feature")} AS feature, ts
            FROM ev WHERE type = 'track' AND event = 'feature_used'
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
        ),
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

    /// <summary>Every feature's figures per adoption week, ordered by feature and week.</summary>
    public static async Task<IReadOnlyList<FeatureWeekFigures>> WeeksAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var utc = new NpgsqlCommand("SET TIME ZONE 'UTC'", connection))
        {
            await utc.ExecuteNonQueryAsync(cancellationToken);
        }

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
    /// The seed's feature value of one adoption week: its adopters × the feature's revenue impact, the mean revenue
    /// per adopter over all the feature's adoption weeks; rounded to 6 decimals.
    /// </summary>
    public static decimal FeatureValue(FeatureWeekFigures week, IEnumerable<FeatureWeekFigures> featureWeeks)
    {
        var all = featureWeeks.Where(w => w.Feature == week.Feature).ToList();
        var impact = all.Sum(w => w.AdopterRevenue) / all.Sum(w => w.Adopters);
        return Math.Round(week.Adopters * impact, 6);
    }
}
