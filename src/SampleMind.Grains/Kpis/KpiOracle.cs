using Npgsql;
using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;

namespace SampleMind.Kpis;

/// <summary>
/// The oracle: the KPI figures computed by SQL from the user event log (the seed's <c>kpi_dashboard</c> adapted to
/// our table), by the same definitions the user grains apply. Every live figure must equal these.
/// Numbers inside properties count when they are JSON numbers.
/// </summary>
public static class KpiOracle
{
    private const string Events = """
        WITH ev AS (
            SELECT user_id, (ts AT TIME ZONE 'UTC')::date AS day, type, event, payload->'properties' AS p
            FROM user_events
        )
        """;

    private static string Number(string property) => OracleSql.Number(property);

    /// <summary>The figures of every day from <paramref name="from"/> to <paramref name="to"/> (inclusive); days without any figure are absent.</summary>
    public static Task<SortedDictionary<DateOnly, KpiDayFigures>> DaysAsync(NpgsqlDataSource dataSource, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
        => DaysAsync(dataSource, from, to, RevenueSource.Events, cancellationToken);

    /// <summary>As <see cref="DaysAsync(NpgsqlDataSource, DateOnly, DateOnly, CancellationToken)"/>, the revenue columns from <paramref name="source"/>.</summary>
    public static async Task<SortedDictionary<DateOnly, KpiDayFigures>> DaysAsync(NpgsqlDataSource dataSource, DateOnly from, DateOnly to,
        RevenueSource source, CancellationToken cancellationToken = default)
    {
        var result = new SortedDictionary<DateOnly, KpiDayFigures>();
        KpiDayFigures For(DateOnly day) => result.TryGetValue(day, out var f) ? f : result[day] = new KpiDayFigures();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var utc = new NpgsqlCommand("SET TIME ZONE 'UTC'", connection))
        {
            await utc.ExecuteNonQueryAsync(cancellationToken);
        }

        var payment = source == RevenueSource.Stripe
            ? $"type = 'track' AND event = 'payment_succeeded' AND {OracleSql.Text("source")} = 'stripe'"
            : "type = 'track' AND event = 'payment_succeeded'";
        var perDay = $"""
            {Events}
            SELECT day,
                   count(DISTINCT user_id),
                   count(*) FILTER (WHERE type = 'track' AND event = 'session_ended' AND s IS NOT NULL AND s >= 0),
                   coalesce(sum(round(s)) FILTER (WHERE type = 'track' AND event = 'session_ended' AND s >= 0), 0),
                   coalesce(sum(coalesce({Number("amount")}, {Number("revenue")}, 0)) FILTER (WHERE {payment}), 0),
                   count(*) FILTER (WHERE {payment}),
                   count(DISTINCT user_id) FILTER (WHERE {payment}),
                   count(*) FILTER (WHERE type = 'track' AND event = 'analysis_completed'),
                   coalesce(sum({Number("processing_time_ms")}) FILTER (WHERE type = 'track' AND event = 'analysis_completed'), 0),
                   count({Number("processing_time_ms")}) FILTER (WHERE type = 'track' AND event = 'analysis_completed'),
                   coalesce(sum({Number("accuracy")}) FILTER (WHERE type = 'track' AND event = 'analysis_completed'), 0),
                   count({Number("accuracy")}) FILTER (WHERE type = 'track' AND event = 'analysis_completed')
            FROM (SELECT ev.*, coalesce({Number("duration_seconds")}, {Number("duration")}, {Number("duration_ms")} / 1000) AS s FROM ev) e
            WHERE day BETWEEN @from AND @to
            GROUP BY day
            """;
        await using (var command = new NpgsqlCommand(perDay, connection))
        {
            command.Parameters.AddWithValue("from", from);
            command.Parameters.AddWithValue("to", to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var f = For(reader.GetFieldValue<DateOnly>(0));
                f.Dau = (int)reader.GetInt64(1);
                f.Sessions = (int)reader.GetInt64(2);
                f.SessionSeconds = (long)reader.GetDecimal(3);
                f.Revenue = reader.GetDecimal(4);
                f.Payments = (int)reader.GetInt64(5);
                f.PayingCustomers = (int)reader.GetInt64(6);
                f.Analyses = (int)reader.GetInt64(7);
                f.ProcessingTimeSum = reader.GetDecimal(8);
                f.ProcessingTimeCount = (int)reader.GetInt64(9);
                f.AccuracySum = reader.GetDecimal(10);
                f.AccuracyCount = (int)reader.GetInt64(11);
            }
        }

        if (source == RevenueSource.Stripe)
        {
            // A charge's refunds of a day: its largest amount refunded so far on that day minus before it (Stripe reports
            // the cumulative amount), as UserModel.RefundsOn.
            var refunds = $"""
                {Events},
                r AS (
                    SELECT user_id, {OracleSql.Text("charge_id")} AS charge, day, max(coalesce({Number("amount")}, {Number("revenue")})) AS m
                    FROM ev
                    WHERE type = 'track' AND event = 'payment_refunded' AND {OracleSql.Text("charge_id")} IS NOT NULL
                      AND coalesce({Number("amount")}, {Number("revenue")}) IS NOT NULL
                    GROUP BY 1, 2, 3
                ),
                inc AS (
                    SELECT day, greatest(m - greatest(coalesce(max(m) OVER (PARTITION BY user_id, charge ORDER BY day
                                                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0), 0) AS refunded
                    FROM r
                )
                SELECT day, sum(refunded) FROM inc WHERE day BETWEEN @from AND @to GROUP BY day
                """;
            await ReadAsync(connection, refunds, from, to, reader => For(reader.GetFieldValue<DateOnly>(0)).Revenue -= reader.GetDecimal(1), cancellationToken);
        }

        var features = $"""
            {Events}
            SELECT day, p->>'feature', count(DISTINCT user_id)
            FROM ev
            WHERE type = 'track' AND event = 'feature_used' AND jsonb_typeof(p->'feature') IN ('string', 'number') AND p->>'feature' <> ''
              AND day BETWEEN @from AND @to
            GROUP BY 1, 2
            """;
        await ReadAsync(connection, features, from, to, reader => For(reader.GetFieldValue<DateOnly>(0)).FeatureUsers[reader.GetString(1)] = (int)reader.GetInt64(2), cancellationToken);

        // A user's signup: the earliest of signup_started and an identify's created_at trait.
        var signups = $"""
            SELECT (signup AT TIME ZONE 'UTC')::date AS day, count(*) FROM ({OracleSql.Signups}) u
            WHERE (signup AT TIME ZONE 'UTC')::date BETWEEN @from AND @to GROUP BY 1
            """;
        await ReadAsync(connection, signups, from, to, reader => For(reader.GetFieldValue<DateOnly>(0)).NewSignups = (int)reader.GetInt64(1), cancellationToken);

        // Time to First Value: per signup day, the people per whole seconds from signup to their earliest analysis_completed
        // (0 when it came first), as TimeToFirstValue.
        var ttfv = $"""
            SELECT (u.signup AT TIME ZONE 'UTC')::date,
                   greatest(0, floor(extract(epoch FROM a.first - u.signup)))::bigint, count(*)
            FROM ({OracleSql.Signups}) u
            JOIN (SELECT user_id, min(ts) AS first FROM user_events WHERE type = 'track' AND event = 'analysis_completed'
                  GROUP BY user_id) a USING (user_id)
            WHERE (u.signup AT TIME ZONE 'UTC')::date BETWEEN @from AND @to
            GROUP BY 1, 2
            """;
        await ReadAsync(connection, ttfv, from, to,
            reader => For(reader.GetFieldValue<DateOnly>(0)).TtfvSeconds[reader.GetInt64(1)] = (int)reader.GetInt64(2), cancellationToken);

        // The AI Analysis Quality Score's ratings: analysis_feedback whose rating is a number from 1 to 5, as QualityScore.
        var ratings = $"""
            {Events}
            SELECT day, sum(r), count(*) FROM (SELECT day, {Number("rating")} AS r FROM ev
                                                WHERE type = 'track' AND event = 'analysis_feedback') f
            WHERE r BETWEEN 1 AND 5 AND day BETWEEN @from AND @to
            GROUP BY day
            """;
        await ReadAsync(connection, ratings, from, to, reader =>
        {
            var f = For(reader.GetFieldValue<DateOnly>(0));
            f.RatingSum = reader.GetDecimal(1);
            f.RatingCount = (int)reader.GetInt64(2);
        }, cancellationToken);

        var wap = $"""
            {Events},
            ud AS (SELECT user_id, day, count(*) AS n FROM ev WHERE type = 'track' AND event = 'analysis_completed'
                   AND day BETWEEN @from::date - 6 AND @to GROUP BY 1, 2),
            days AS (SELECT generate_series(@from::date, @to::date, interval '1 day')::date AS d)
            SELECT d, count(*) FROM (
                SELECT days.d, ud.user_id FROM days JOIN ud ON ud.day BETWEEN days.d - 6 AND days.d
                GROUP BY days.d, ud.user_id HAVING sum(ud.n) >= 5) w
            GROUP BY d
            """;
        await ReadAsync(connection, wap, from, to, reader => For(reader.GetFieldValue<DateOnly>(0)).Wap = (int)reader.GetInt64(1), cancellationToken);

        foreach (var (day, f) in result.ToList())
        {
            if (f.IsZero)
            {
                result.Remove(day);
            }
        }
        return result;
    }

    /// <summary>WAP per ISO week for the weeks that touch [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public static async Task<SortedDictionary<string, int>> WeeksAsync(NpgsqlDataSource dataSource, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        var result = new SortedDictionary<string, int>(StringComparer.Ordinal);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var sql = """
            SELECT to_char(week, 'IYYY-"W"IW'), count(*) FROM (
                SELECT date_trunc('week', (ts AT TIME ZONE 'UTC')::date)::date AS week, user_id
                FROM user_events
                WHERE type = 'track' AND event = 'analysis_completed'
                  AND (ts AT TIME ZONE 'UTC')::date BETWEEN date_trunc('week', @from::date)::date AND date_trunc('week', @to::date)::date + 6
                GROUP BY 1, 2 HAVING count(*) >= 5) w
            GROUP BY week
            """;
        await ReadAsync(connection, sql, from, to, reader => result[reader.GetString(0)] = (int)reader.GetInt64(1), cancellationToken);
        return result;
    }

    private static async Task ReadAsync(NpgsqlConnection connection, string sql, DateOnly from, DateOnly to, Action<NpgsqlDataReader> row, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            row(reader);
        }
    }
}
