using System.Diagnostics;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Simulation;
using SampleMind.Rollups;

namespace SampleMind.Cli.Bench;

/// <summary>
/// PostgreSQL's side: binary COPY into <c>bench_events</c> (the event log's columns, keys and indexes) for the
/// machine's row limit, and the seed's <c>kpi_dashboard</c> as a materialized view over those rows, refreshed at
/// 1M and 10M events. The rows are a simulated population normalised by the ingest reader, repeated under
/// renamed users (round r: user "u1-000042~r") so that more events mean more users over the same days.
/// Both objects are dropped afterwards.
/// </summary>
internal sealed class PostgresBaseline(NpgsqlDataSource dataSource)
{
    private const string Table = "bench_events";

    private readonly List<SegmentEvent> _pool = [];
    private long _rows;

    public long Rows => Interlocked.Read(ref _rows);

    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync($"""
            DROP MATERIALIZED VIEW IF EXISTS bench_kpi_dashboard;
            DROP TABLE IF EXISTS {Table};
            CREATE TABLE {Table} (LIKE user_events INCLUDING ALL);
            """, cancellationToken);
        BuildPool();
    }

    /// <summary>COPYs rows until the table holds <paramref name="totalRows"/>; returns rows per second of this COPY.</summary>
    public async Task<double> CopyUntilAsync(long totalRows, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var first = Rows;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var writer = await connection.BeginBinaryImportAsync(
            $"COPY {Table} (user_id, message_id, seq, type, event, ts, payload) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            while (Rows < totalRows)
            {
                var row = Rows;
                var round = row / _pool.Count;
                var e = _pool[(int)(row % _pool.Count)];
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(round == 0 ? e.UserKey : $"{e.UserKey}~{round}", NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.MessageId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(e.Type, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.Name, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(e.Json, NpgsqlDbType.Jsonb, cancellationToken);
                Interlocked.Increment(ref _rows);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        return (Rows - first) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Creates the view once, then times one REFRESH MATERIALIZED VIEW over everything copied so far.</summary>
    public async Task<double> RefreshMsAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync("ANALYZE bench_events", cancellationToken);
        await ExecuteAsync($"CREATE MATERIALIZED VIEW IF NOT EXISTS bench_kpi_dashboard AS {KpiDashboardSql} WITH NO DATA", cancellationToken);
        var clock = Stopwatch.StartNew();
        await ExecuteAsync("REFRESH MATERIALIZED VIEW bench_kpi_dashboard", cancellationToken);
        return Math.Round(clock.Elapsed.TotalMilliseconds);
    }

    public Task DropAsync(CancellationToken cancellationToken) =>
        ExecuteAsync($"DROP MATERIALIZED VIEW IF EXISTS bench_kpi_dashboard; DROP TABLE IF EXISTS {Table};", cancellationToken);

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>500 users × 60 days (≈ 110,000 events), each read and normalised as /v1/batch would store it.</summary>
    private void BuildPool()
    {
        var simulator = new PopulationSimulator(new SimulationOptions { Users = 500, Days = 60, Seed = 9, Now = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) });
        var body = new MemoryStream();
        var count = 0;
        foreach (var e in simulator.Generate())
        {
            body.Write(count == 0 ? "{\"batch\":["u8 : ","u8);
            body.Write(e.Json.Span);
            if (++count == 100)
            {
                Flush();
            }
        }
        Flush();

        void Flush()
        {
            if (count == 0)
            {
                return;
            }
            body.Write("]}"u8);
            var result = SegmentBatchReader.Read(body.GetBuffer().AsSpan(0, (int)body.Length), SegmentEndpoint.Batch, DateTimeOffset.UtcNow);
            if (!result.IsValid)
            {
                throw new InvalidOperationException("the simulator produced a batch the ingest reader refuses: " + Encoding.UTF8.GetString(body.ToArray()[..200]));
            }
            _pool.AddRange(result.Events);
            body.SetLength(0);
            count = 0;
        }
    }

    /// <summary>The seed's kpi_dashboard (user, revenue and product metrics per day) over the event log's columns.</summary>
    private static readonly string KpiDashboardSql = $"""
        WITH ev AS (
            SELECT user_id, (ts AT TIME ZONE 'UTC')::date AS day, type, event, payload->'properties' AS p FROM {Table}
        ),
        user_metrics AS (
            SELECT day, count(DISTINCT user_id) AS dau,
                   avg({OracleSql.Number("duration_seconds")}) FILTER (WHERE type = 'track' AND event = 'session_ended') AS avg_session_length
            FROM ev GROUP BY day
        ),
        analyses AS (
            SELECT user_id, day, count(*) AS n FROM ev WHERE type = 'track' AND event = 'analysis_completed' GROUP BY 1, 2
        ),
        wap AS (
            SELECT d.day, count(*) AS wap FROM (SELECT DISTINCT day FROM ev) d
            JOIN LATERAL (SELECT user_id FROM analyses a WHERE a.day BETWEEN d.day - 6 AND d.day GROUP BY user_id HAVING sum(n) >= 5) w ON true
            GROUP BY d.day
        ),
        signups AS (
            SELECT (min(ts) AT TIME ZONE 'UTC')::date AS day, user_id FROM {Table}
            WHERE type = 'track' AND event = 'signup_started' GROUP BY user_id
        ),
        revenue_metrics AS (
            SELECT day, sum(coalesce({OracleSql.Number("amount")}, {OracleSql.Number("revenue")}, 0)) AS daily_revenue,
                   count(DISTINCT user_id) AS paying_customers,
                   avg(coalesce({OracleSql.Number("amount")}, {OracleSql.Number("revenue")}, 0)) AS average_transaction
            FROM ev WHERE type = 'track' AND event = 'payment_succeeded' GROUP BY day
        ),
        product_metrics AS (
            SELECT day, count(*) FILTER (WHERE event = 'analysis_completed') AS total_analyses,
                   avg({OracleSql.Number("processing_time_ms")}) FILTER (WHERE event = 'analysis_completed') AS avg_processing_time,
                   avg({OracleSql.Number("accuracy")}) FILTER (WHERE event = 'analysis_completed') AS avg_accuracy,
                   count(DISTINCT p->>'feature') FILTER (WHERE event = 'feature_used') AS features_adopted
            FROM ev WHERE type = 'track' GROUP BY day
        )
        SELECT u.day AS date, u.dau, coalesce(w.wap, 0) AS wap, coalesce(s.new_signups, 0) AS new_signups, u.avg_session_length,
               coalesce(r.daily_revenue, 0) AS daily_revenue, coalesce(r.paying_customers, 0) AS paying_customers,
               r.average_transaction, r.daily_revenue / nullif(r.paying_customers, 0) AS arpu,
               p.total_analyses, p.avg_processing_time, p.avg_accuracy, p.features_adopted,
               r.paying_customers::numeric / u.dau AS conversion_rate, coalesce(w.wap, 0)::numeric / u.dau AS wap_ratio,
               r.daily_revenue / nullif(s.new_signups, 0) AS revenue_per_signup
        FROM user_metrics u
        LEFT JOIN wap w USING (day)
        LEFT JOIN (SELECT day, count(*) AS new_signups FROM signups GROUP BY day) s USING (day)
        LEFT JOIN revenue_metrics r USING (day)
        LEFT JOIN product_metrics p USING (day)
        """;
}
