using Npgsql;
using SampleMind.Analytics.Experiments;
using SampleMind.Rollups;

namespace SampleMind.Experiments;

/// <summary>
/// The oracle: an experiment's per-variant figures by SQL over the user event log, by the definitions the user model
/// applies (<see cref="ExperimentFigures.ShareOf"/>). A person's exposure is their earliest (timestamp, then messageId)
/// track <c>experiment_viewed</c> / <c>Experiment Viewed</c> naming the experiment and a variation; it counts when that
/// variation is one of the experiment's and it is not before the experiment's start. Inside [exposure, exposure + N
/// days]: a conversion when the person's first-ever metric event falls there, churn when any subscription_canceled
/// does, revenue the sum of the payment_succeeded amounts there.
/// </summary>
public static class ExperimentOracle
{
    public static async Task<ExperimentFigures> FiguresAsync(NpgsqlDataSource dataSource, ExperimentDefinition experiment, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            WITH viewed AS (
                SELECT DISTINCT ON (user_id) user_id, ts, variant
                FROM (SELECT user_id, ts, message_id, {ExperimentText} AS experiment, {VariationText} AS variant
                      FROM (SELECT user_id, ts, message_id, CASE WHEN jsonb_typeof(payload->'properties') = 'object' THEN payload->'properties' END AS p
                            FROM user_events WHERE type = 'track' AND event IN ('experiment_viewed', 'Experiment Viewed')) e) v
                WHERE experiment = @key AND variant IS NOT NULL
                ORDER BY user_id, ts, message_id COLLATE "C"
            ),
            exposed AS (
                SELECT user_id, ts AS from_ts, ts + make_interval(days => @days) AS to_ts, variant
                FROM viewed WHERE variant = ANY(@variants) AND ts >= @started
            ),
            firsts AS (
                SELECT user_id, min(ts) AS at FROM user_events
                WHERE type = 'track' AND event = @metric AND user_id IN (SELECT user_id FROM exposed) GROUP BY user_id
            ),
            person AS (
                SELECT x.user_id, x.variant,
                       (f.at IS NOT NULL AND f.at BETWEEN x.from_ts AND x.to_ts) AS converted,
                       EXISTS (SELECT 1 FROM user_events c WHERE c.user_id = x.user_id AND c.type = 'track' AND c.event = 'subscription_canceled'
                               AND c.ts BETWEEN x.from_ts AND x.to_ts) AS churned,
                       coalesce((SELECT sum(coalesce({Amount}, {Revenue}, 0))
                                 FROM user_events pay WHERE pay.user_id = x.user_id AND pay.type = 'track' AND pay.event = 'payment_succeeded'
                                 AND pay.ts BETWEEN x.from_ts AND x.to_ts), 0) AS revenue
                FROM exposed x LEFT JOIN firsts f USING (user_id)
            )
            SELECT variant, count(*), count(*) FILTER (WHERE converted), count(*) FILTER (WHERE churned), sum(revenue), sum(revenue * revenue)
            FROM person GROUP BY variant
            """;
        var figures = new ExperimentFigures();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("key", experiment.Key);
        command.Parameters.AddWithValue("days", experiment.Metric.WithinDays);
        command.Parameters.AddWithValue("variants", experiment.Variants.Select(v => v.Name).ToArray());
        command.Parameters.AddWithValue("started", experiment.StartedAt == DateTimeOffset.MinValue ? DateTime.MinValue.ToUniversalTime() : experiment.StartedAt.UtcDateTime);
        command.Parameters.AddWithValue("metric", experiment.Metric.Event);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            figures.Add(reader.GetString(0), new VariantFigures
            {
                Exposed = reader.GetInt64(1),
                Conversions = reader.GetInt64(2),
                Churned = reader.GetInt64(3),
                Revenue = reader.GetDecimal(4),
                RevenueSquares = reader.GetDecimal(5),
            });
        }
        return figures;
    }

    private const string ExperimentText = "CASE WHEN jsonb_typeof(p->'experiment_id') IN ('string', 'number') THEN nullif(p->>'experiment_id', '') END";
    private const string VariationText = "CASE WHEN jsonb_typeof(p->'variation_id') IN ('string', 'number') THEN nullif(p->>'variation_id', '') END";
    private static readonly string Amount = OracleSql.Number("amount", "pay.payload->'properties'");
    private static readonly string Revenue = OracleSql.Number("revenue", "pay.payload->'properties'");
}
