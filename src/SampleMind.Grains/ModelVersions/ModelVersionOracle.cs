using Npgsql;
using SampleMind.Analytics.ModelVersions;
using static SampleMind.Rollups.OracleSql;

namespace SampleMind.ModelVersions;

/// <summary>
/// The oracle: every model version's figures computed by SQL from the user event log, by the definitions of
/// <see cref="ModelVersionFigures"/>. The latency histogram is PostgreSQL's <c>width_bucket</c> over the same
/// boundaries (passed from <see cref="LatencyHistogram"/>), so the p99 derived from it equals the live one exactly.
/// Properties are read as <see cref="Analytics.Users.EventFacts"/> reads them: numbers as JSON numbers or numeric
/// strings, booleans as JSON booleans, "true"/"false" strings or non-zero numbers. A key not admitted to the
/// registry (<c>dimension_values</c>, see <see cref="Rollups.DimensionRegistry"/>) counts under "(other)", as live.
/// </summary>
public static class ModelVersionOracle
{
    private static readonly string Requests = $"""
        WITH ev AS (
            SELECT ts, event, payload->'properties' AS p FROM user_events
            WHERE type = 'track' AND event IN ('analysis_completed', 'analysis_feedback')
        ),
        x AS (
            SELECT CASE WHEN EXISTS (SELECT 1 FROM dimension_values d WHERE d.dimension = 'model_version' AND d.value = model || '@' || version)
                        THEN model || '@' || version ELSE '(other)' END AS key,
                   ts, event, ms, err, cost, correct, rating FROM (
                SELECT ts, event, {Text("model")} AS model, {Text("model_version")} AS version,
                       {Number("processing_time_ms")} AS ms, {Bool("error")} AS err, {Number("cost_usd")} AS cost, {Bool("correct")} AS correct,
                       {Number("rating")} AS rating
                FROM ev) e
            WHERE model IS NOT NULL AND version IS NOT NULL
        )
        """;

    /// <summary>
    /// The extremes of the requests of <paramref name="keys"/> in the log without the events of
    /// <paramref name="excludedUsers"/> (an erasure's keys, whose rows are still there): what an erasure restates.
    /// </summary>
    public static async Task<Dictionary<string, ModelVersionExtremes>> ExtremesAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<string> keys, IReadOnlyList<string> excludedUsers, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            WITH x AS (
                SELECT CASE WHEN EXISTS (SELECT 1 FROM dimension_values d WHERE d.dimension = 'model_version' AND d.value = model || '@' || version)
                            THEN model || '@' || version ELSE '(other)' END AS key, ts, ms
                FROM (SELECT ts, {Text("model")} AS model, {Text("model_version")} AS version, {Number("processing_time_ms")} AS ms
                      FROM (SELECT ts, payload->'properties' AS p FROM user_events
                            WHERE type = 'track' AND event = 'analysis_completed' AND user_id <> ALL(@excluded)) ev) e
                WHERE model IS NOT NULL AND version IS NOT NULL
            )
            SELECT key, max(ms), min(ts), max(ts) FROM x WHERE key = ANY(@keys) GROUP BY key
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("excluded", excludedUsers.ToArray());
        command.Parameters.AddWithValue("keys", keys.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new Dictionary<string, ModelVersionExtremes>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetString(0)] = new ModelVersionExtremes(
                reader.IsDBNull(1) ? null : reader.GetDecimal(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
        }
        return result;
    }

    /// <summary>The figures of every model version with at least one request or feedback.</summary>
    public static async Task<SortedDictionary<string, ModelVersionFigures>> VersionsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var result = new SortedDictionary<string, ModelVersionFigures>(StringComparer.Ordinal);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        var figures = $"""
            {Requests}
            SELECT key,
                   count(*) FILTER (WHERE event = 'analysis_completed'),
                   count(*) FILTER (WHERE event = 'analysis_completed' AND err),
                   count(ms) FILTER (WHERE event = 'analysis_completed'),
                   coalesce(sum(ms) FILTER (WHERE event = 'analysis_completed'), 0),
                   max(ms) FILTER (WHERE event = 'analysis_completed'),
                   coalesce(sum(cost) FILTER (WHERE event = 'analysis_completed'), 0),
                   count(correct) FILTER (WHERE event = 'analysis_feedback'),
                   count(*) FILTER (WHERE event = 'analysis_feedback' AND correct),
                   min(ts) FILTER (WHERE event = 'analysis_completed'),
                   max(ts) FILTER (WHERE event = 'analysis_completed'),
                   coalesce(sum(rating) FILTER (WHERE event = 'analysis_feedback' AND rating BETWEEN 1 AND 5), 0),
                   count(*) FILTER (WHERE event = 'analysis_feedback' AND rating BETWEEN 1 AND 5)
            FROM x
            GROUP BY key
            """;
        await using (var command = new NpgsqlCommand(figures, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var f = new ModelVersionFigures
                {
                    Requests = reader.GetInt64(1),
                    Errors = reader.GetInt64(2),
                    LatencyCount = reader.GetInt64(3),
                    LatencySumMs = reader.GetDecimal(4),
                    LatencyMaxMs = reader.IsDBNull(5) ? null : reader.GetDecimal(5),
                    CostSumUsd = reader.GetDecimal(6),
                    Feedback = reader.GetInt64(7),
                    FeedbackCorrect = reader.GetInt64(8),
                    FirstRequestAt = reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                    LastRequestAt = reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                    RatingSum = reader.GetDecimal(11),
                    RatingCount = reader.GetInt64(12),
                };
                if (!f.IsZero)
                {
                    result[reader.GetString(0)] = f;
                }
            }
        }

        var histogram = $"""
            {Requests}
            SELECT key, width_bucket(ms, @boundaries), count(*)
            FROM x
            WHERE event = 'analysis_completed' AND ms IS NOT NULL
            GROUP BY 1, 2
            """;
        await using (var command = new NpgsqlCommand(histogram, connection))
        {
            command.Parameters.AddWithValue("boundaries", LatencyHistogram.Boundaries.ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (result.TryGetValue(reader.GetString(0), out var f))
                {
                    f.LatencyBuckets[reader.GetInt32(1)] = reader.GetInt64(2);
                }
            }
        }
        return result;
    }
}
