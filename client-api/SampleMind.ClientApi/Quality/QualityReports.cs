using Npgsql;
using NpgsqlTypes;
using SampleMind.Analytics.Quality;

namespace SampleMind.ClientApi.Quality;

/// <summary>The data quality of one source on one UTC day of receipt, as <c>GET /api/quality</c> answers it.</summary>
public sealed record class QualityRow(
    DateOnly Day,
    string Source,
    long Received,
    long Accepted,
    long Stored,
    IReadOnlyDictionary<string, long> Rejected,
    long Duplicates,
    long OutOfOrder,
    long RequiredEvents,
    long CompleteEvents,
    long WithinHour,
    double? LagP50Seconds,
    double? LagP95Seconds,
    double Completeness,
    double Validity,
    double Timeliness,
    double Consistency,
    double Score);

/// <summary>An answer of <c>GET /api/quality</c>: the days <see cref="From"/>–<see cref="To"/> (inclusive), rows by day and source.</summary>
public sealed record class QualityReport(DateOnly From, DateOnly To, QualityRow[] Rows);

/// <summary>
/// Joins ingest's counts (<c>ingest_quality</c>) with SQL over the log (<c>user_events</c>, by received_at's UTC day and
/// the payload's <c>context.library.name</c>) into <see cref="QualityRow"/>s; the maths is <see cref="QualityScores"/>.
/// </summary>
public sealed class QualityReports(NpgsqlDataSource dataSource)
{
    // The log's side: completeness against EventRequirements, lag of received_at after the event's timestamp, and
    // out-of-order — a row stored (a higher seq of the same person) after a row with a later timestamp, both in range.
    private static readonly string LogSql = $"""
        WITH req(event, props) AS ({EventRequirements.SqlValues()}),
        e AS (
            SELECT e.user_id, e.seq, e.ts, e.type, e.event, e.payload->'properties' AS properties,
                   (e.received_at AT TIME ZONE 'UTC')::date AS day,
                   {IngestSource.SqlExpression} AS source,
                   extract(epoch FROM e.received_at - e.ts)::float8 AS lag
            FROM user_events e
            WHERE e.received_at >= $1 AND e.received_at < $2
        ),
        o AS (
            SELECT e.*, max(e.ts) OVER (PARTITION BY e.user_id ORDER BY e.seq
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_max_ts
            FROM e
        )
        SELECT o.day, o.source, count(*),
               count(r.event),
               count(*) FILTER (WHERE r.event IS NOT NULL
                                AND jsonb_typeof(o.properties) = 'object' AND jsonb_strip_nulls(o.properties) ?& r.props),
               count(*) FILTER (WHERE o.lag <= 3600),
               count(*) FILTER (WHERE o.earlier_max_ts > o.ts),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY o.lag),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY o.lag)
        FROM o LEFT JOIN req r ON o.type = 'track' AND o.event = r.event
        GROUP BY o.day, o.source
        """;

    /// <summary>The rows of the days <paramref name="from"/>–<paramref name="to"/> (inclusive), by day then source.</summary>
    public async Task<QualityReport> GetAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var counted = await ReadCountsAsync(from, to, cancellationToken);
        var logged = await ReadLogAsync(from, to, cancellationToken);
        var rows = counted.Keys.Union(logged.Keys)
            .OrderBy(key => key.Item1)
            .ThenBy(key => key.Item2, StringComparer.Ordinal)
            .Select(key => RowOf(key, counted.GetValueOrDefault(key), logged.GetValueOrDefault(key)))
            .ToArray();
        return new QualityReport(from, to, rows);
    }

    private static QualityRow RowOf((DateOnly Day, string Source) key, Counted? counted, Logged? logged)
    {
        var counts = new QualityCounts(
            counted?.Accepted ?? 0,
            counted?.Rejected ?? new SortedDictionary<string, long>(StringComparer.Ordinal),
            counted?.Duplicates ?? 0,
            logged?.Stored ?? 0,
            logged?.RequiredEvents ?? 0,
            logged?.CompleteEvents ?? 0,
            logged?.WithinHour ?? 0,
            logged?.OutOfOrder ?? 0,
            logged?.LagP50Seconds,
            logged?.LagP95Seconds);
        var scores = QualityScores.Of(counts);
        return new QualityRow(key.Day, key.Source, counts.Received, counts.Accepted, counts.Stored, counts.Rejected,
            counts.Duplicates, counts.OutOfOrder, counts.RequiredEvents, counts.CompleteEvents, counts.WithinHour,
            counts.LagP50Seconds, counts.LagP95Seconds, scores.Completeness, scores.Validity, scores.Timeliness,
            scores.Consistency, scores.Score);
    }

    private async Task<Dictionary<(DateOnly, string), Counted>> ReadCountsAsync(
        DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT day, source, kind, reason, events FROM ingest_quality WHERE day >= $1 AND day <= $2");
        command.Parameters.Add(new NpgsqlParameter { Value = from, NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter { Value = to, NpgsqlDbType = NpgsqlDbType.Date });
        var counted = new Dictionary<(DateOnly, string), Counted>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetFieldValue<DateOnly>(0), reader.GetString(1));
            if (!counted.TryGetValue(key, out var row))
            {
                counted[key] = row = new Counted();
            }
            var events = reader.GetInt64(4);
            switch (reader.GetString(2))
            {
                case IngestQualityCounters.Accepted:
                    row.Accepted += events;
                    break;
                case IngestQualityCounters.Duplicate:
                    row.Duplicates += events;
                    break;
                case IngestQualityCounters.Rejected:
                    var reason = reader.GetString(3);
                    row.Rejected[reason] = row.Rejected.GetValueOrDefault(reason) + events;
                    break;
            }
        }
        return counted;
    }

    private async Task<Dictionary<(DateOnly, string), Logged>> ReadLogAsync(
        DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(LogSql);
        command.Parameters.Add(new NpgsqlParameter { Value = StartOf(from), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = StartOf(to.AddDays(1)), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var logged = new Dictionary<(DateOnly, string), Logged>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            logged[(reader.GetFieldValue<DateOnly>(0), reader.GetString(1))] = new Logged(
                reader.GetInt64(2),
                reader.GetInt64(3),
                reader.GetInt64(4),
                reader.GetInt64(5),
                reader.GetInt64(6),
                reader.IsDBNull(7) ? null : reader.GetDouble(7),
                reader.IsDBNull(8) ? null : reader.GetDouble(8));
        }
        return logged;
    }

    private static DateTimeOffset StartOf(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private sealed class Counted
    {
        public long Accepted { get; set; }

        public long Duplicates { get; set; }

        public SortedDictionary<string, long> Rejected { get; } = new(StringComparer.Ordinal);
    }

    private sealed record class Logged(
        long Stored,
        long RequiredEvents,
        long CompleteEvents,
        long WithinHour,
        long OutOfOrder,
        double? LagP50Seconds,
        double? LagP95Seconds);
}
