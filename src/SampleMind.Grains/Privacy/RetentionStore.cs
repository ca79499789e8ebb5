using Npgsql;
using SampleMind.Analytics.Privacy;

namespace SampleMind.Privacy;

/// <summary>
/// The retention job's side of PostgreSQL: the run records (<c>retention_runs</c>, deploy/sql/V0120), the people it
/// concerns and the one delete a user grain issues for its own rows.
/// </summary>
public sealed class RetentionStore(NpgsqlDataSource dataSource)
{
    /// <summary>The rows of the log the cut-offs delete (<c>a</c>: the analytics day, <c>f</c>: the financial day).</summary>
    private static readonly string s_deleted = $"""
        ((ts < @a::date::timestamp AT TIME ZONE 'UTC' AND NOT {Financial})
         OR (ts < @f::date::timestamp AT TIME ZONE 'UTC' AND {Financial}))
        """;

    private static string Financial => $"(type = 'track' AND coalesce(event, '') IN ({RetentionPolicy.FinancialEventsSql}))";

    private const string RunColumns = """
        id, dry_run, state, analytics_before, financial_before, inactive_before, inactive_action, users_trimmed,
        analytics_events_deleted, financial_events_deleted, inactive_users_erased, inactive_events_erased,
        analytics_events_kept, financial_events_kept, started_at, finished_at, last_error
        """;

    /// <summary>
    /// Deletes <paramref name="userId"/>'s rows the cut-offs remove, at or below <paramref name="appliedSeq"/>; returns
    /// (raw, financial).
    /// </summary>
    public async Task<(long Analytics, long Financial)> DeleteBeforeAsync(
        string userId, long appliedSeq, DateOnly analyticsBefore, DateOnly financialBefore, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH gone AS (DELETE FROM user_events WHERE user_id = @u AND seq <= @s AND {s_deleted} RETURNING type, event)
            SELECT count(*) FILTER (WHERE NOT {Financial}), count(*) FILTER (WHERE {Financial}) FROM gone
            """);
        command.Parameters.AddWithValue("u", userId);
        command.Parameters.AddWithValue("s", appliedSeq);
        command.Parameters.AddWithValue("a", analyticsBefore);
        command.Parameters.AddWithValue("f", financialBefore);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The people with rows the cut-offs remove, and how many of each class (a dry run's figures).</summary>
    public async Task<List<(string UserId, long Analytics, long Financial)>> TrimCandidatesAsync(
        DateOnly analyticsBefore, DateOnly financialBefore, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT user_id, count(*) FILTER (WHERE NOT {Financial}), count(*) FILTER (WHERE {Financial})
            FROM user_events WHERE {s_deleted} GROUP BY user_id ORDER BY user_id
            """);
        command.Parameters.AddWithValue("a", analyticsBefore);
        command.Parameters.AddWithValue("f", financialBefore);
        var users = new List<(string, long, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }
        return users;
    }

    /// <summary>The people whose last logged event is before <paramref name="inactiveBefore"/>, with their event counts.</summary>
    public async Task<List<(string UserId, long Events)>> InactiveAsync(DateTimeOffset inactiveBefore, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT user_id, count(*) FROM user_events GROUP BY user_id HAVING max(ts) < @i ORDER BY user_id");
        command.Parameters.AddWithValue("i", inactiveBefore);
        var users = new List<(string, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        return users;
    }

    /// <summary>The log's events per class: (raw, financial).</summary>
    public async Task<(long Analytics, long Financial)> KeptAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT count(*) FILTER (WHERE NOT {Financial}), count(*) FILTER (WHERE {Financial}) FROM user_events");
        return await ReadClassesAsync(command, cancellationToken);
    }

    /// <summary>The events per class (raw, financial) of <paramref name="userIds"/>.</summary>
    public async Task<(long Analytics, long Financial)> ClassesOfAsync(string[] userIds, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT count(*) FILTER (WHERE NOT {Financial}), count(*) FILTER (WHERE {Financial}) FROM user_events WHERE user_id = ANY(@u)");
        command.Parameters.AddWithValue("u", userIds);
        return await ReadClassesAsync(command, cancellationToken);
    }

    private static async Task<(long Analytics, long Financial)> ReadClassesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Writes a run's row as 'running', before it removes anything; a run still 'running' is one whose silo died (the one
    /// grain runs one run at a time) and is marked 'failed' as interrupted: this run does what it left.
    /// </summary>
    public async Task StartAsync(
        Guid runId, bool dryRun, RetentionCutoffs cutoffs, InactiveUserAction action, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            WITH interrupted AS (
                UPDATE retention_runs SET state = 'failed', finished_at = now(),
                    last_error = 'interrupted (its silo stopped mid-run); a later run finished its work'
                WHERE state = 'running')
            INSERT INTO retention_runs (id, dry_run, state, analytics_before, financial_before, inactive_before, inactive_action)
            VALUES (@id, @d, 'running', @a, @f, @i, @x)
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("d", dryRun);
        command.Parameters.AddWithValue("a", cutoffs.AnalyticsBefore);
        command.Parameters.AddWithValue("f", cutoffs.FinancialBefore);
        command.Parameters.AddWithValue("i", cutoffs.InactiveBefore);
        command.Parameters.AddWithValue("x", action.ToString().ToLowerInvariant());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a run's counts and its end state ('done', or 'failed' with the error).</summary>
    public async Task FinishAsync(Guid runId, RetentionRunResult figures, string? error, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE retention_runs SET state = @st, finished_at = now(), users_trimmed = @ut, analytics_events_deleted = @ad,
                financial_events_deleted = @fd, inactive_users_erased = @ie, inactive_events_erased = @iv,
                analytics_events_kept = @ak, financial_events_kept = @fk, last_error = @e
            WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("st", error is null ? "done" : "failed");
        command.Parameters.AddWithValue("ut", figures.UsersTrimmed);
        command.Parameters.AddWithValue("ad", figures.AnalyticsEventsDeleted);
        command.Parameters.AddWithValue("fd", figures.FinancialEventsDeleted);
        command.Parameters.AddWithValue("ie", figures.InactiveUsersErased);
        command.Parameters.AddWithValue("iv", figures.InactiveEventsErased);
        command.Parameters.AddWithValue("ak", (object?)figures.AnalyticsEventsKept ?? DBNull.Value);
        command.Parameters.AddWithValue("fk", (object?)figures.FinancialEventsKept ?? DBNull.Value);
        command.Parameters.AddWithValue("e", error is null ? DBNull.Value : error.Length <= 500 ? error : error[..500]);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The latest <paramref name="count"/> runs, newest first.</summary>
    public async Task<RetentionRunResult[]> RecentAsync(int count, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {RunColumns} FROM retention_runs ORDER BY started_at DESC, id LIMIT @n");
        command.Parameters.AddWithValue("n", count);
        var runs = new List<RetentionRunResult>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new RetentionRunResult(
                reader.GetGuid(0), reader.GetBoolean(1), reader.GetString(2), reader.GetFieldValue<DateOnly>(3),
                reader.GetFieldValue<DateOnly>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6), reader.GetInt32(7),
                reader.GetInt64(8), reader.GetInt64(9), reader.GetInt32(10), reader.GetInt64(11),
                reader.IsDBNull(12) ? null : reader.GetInt64(12), reader.IsDBNull(13) ? null : reader.GetInt64(13),
                reader.GetFieldValue<DateTimeOffset>(14), reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15),
                reader.IsDBNull(16) ? null : reader.GetString(16)));
        }
        return [.. runs];
    }

    /// <summary>
    /// The first day reconcile can compare day figures on: the Monday after the latest cut-off a run trimmed the log to
    /// (a run that deleted events, or one that never finished and may have); null when the log was never trimmed.
    /// </summary>
    public static async Task<DateOnly?> ReconcileFromAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT max(analytics_before) FROM retention_runs
            WHERE NOT dry_run AND (state <> 'done' OR analytics_events_deleted + financial_events_deleted > 0)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.IsDBNull(0) ? null : new RetentionCutoffs(reader.GetFieldValue<DateOnly>(0), default, default).ReconcileFrom;
    }
}
