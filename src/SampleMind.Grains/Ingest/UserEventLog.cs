using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SampleMind.Database;
using SampleMind.Operations;
using SampleMind.Users;

namespace SampleMind.Ingest;

/// <summary>One event on its way into the user event log.</summary>
public sealed record class LogRow(string MessageId, long Seq, string Type, string? Event, DateTimeOffset Timestamp, string Payload);

/// <summary>One event read back from the user event log.</summary>
public sealed record class StoredEvent(string MessageId, long Seq, string Payload);

/// <summary>The user event log: durable, unique per (user, messageId).</summary>
public interface IUserEventLog
{
    /// <summary>
    /// Appends <paramref name="rows"/> for one user. When the task completes the rows are committed. The result says, per
    /// row, whether it was stored now (true) or not (false): its messageId is in the log already (a duplicate), or its
    /// sequence number is taken by a row this writer did not know of (see <see cref="ContainsAsync"/>).
    /// </summary>
    Task<bool[]> AppendAsync(string userId, IReadOnlyList<LogRow> rows, CancellationToken cancellationToken = default);

    /// <summary>The user's events with a sequence number above <paramref name="afterSeq"/>, in sequence order.</summary>
    IAsyncEnumerable<StoredEvent> ReadAfterAsync(string userId, long afterSeq, CancellationToken cancellationToken = default);

    /// <summary>Which of <paramref name="messageIds"/> the user's log holds.</summary>
    Task<HashSet<string>> ContainsAsync(string userId, IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken = default);
}

/// <summary>
/// PostgreSQL user event log with group commit: appends from every grain of the silo are queued and written by a
/// single INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING, so durability costs one round trip per
/// batch, not one per event. While one batch commits, the next one fills.
/// </summary>
public sealed class PostgresUserEventLog : IUserEventLog, IAsyncDisposable
{
    private const string InsertSql = """
        INSERT INTO user_events (user_id, message_id, seq, type, event, ts, payload)
        SELECT * FROM unnest(@u, @m, @s, @t, @e, @ts, @p)
        ON CONFLICT DO NOTHING
        RETURNING user_id, message_id
        """;

    private const string ReadSql = """
        SELECT message_id, seq, payload::text FROM user_events
        WHERE user_id = @u AND seq > @s
        ORDER BY seq, message_id
        """;

    private static readonly KeyValuePair<string, object?> s_logWait = new("stage", "log_wait");

    private const string ContainsSql = "SELECT message_id FROM user_events WHERE user_id = @u AND message_id = ANY(@m)";

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresUserEventLog> _logger;
    private readonly EventLogOptions _options;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _flushSlots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public PostgresUserEventLog(NpgsqlDataSource dataSource, IOptions<EventLogOptions> options, ILogger<PostgresUserEventLog> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _options = options.Value;
        _flushSlots = new SemaphoreSlim(_options.MaxConcurrentFlushes);
        _loop = Task.Run(RunAsync);
    }

    public Task<bool[]> AppendAsync(string userId, IReadOnlyList<LogRow> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0)
        {
            return Task.FromResult(Array.Empty<bool>());
        }
        var pending = new PendingAppend(userId, rows);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("the user event log is shutting down");
        }
        return pending.Completion.Task;
    }

    public async IAsyncEnumerable<StoredEvent> ReadAfterAsync(string userId, long afterSeq, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(ReadSql);
        command.Parameters.AddWithValue("u", userId);
        command.Parameters.AddWithValue("s", afterSeq);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredEvent(reader.GetString(0), reader.GetInt64(1), reader.GetString(2));
        }
    }

    public async Task<HashSet<string>> ContainsAsync(string userId, IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken = default)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (messageIds.Count == 0)
        {
            return found;
        }
        await using var command = _dataSource.CreateCommand(ContainsSql);
        command.Parameters.AddWithValue("u", userId);
        command.Parameters.Add(new NpgsqlParameter("m", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = messageIds.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add(reader.GetString(0));
        }
        return found;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>();
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                await _flushSlots.WaitAsync(_stopping.Token);
                var rows = 0;
                while (rows < _options.MaxBatchRows && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                    rows += pending.Rows.Count;
                }
                if (batch.Count == 0)
                {
                    _flushSlots.Release();
                    continue;
                }
                var taken = batch.ToArray();
                batch.Clear();
                _ = FlushAsync(taken, rows);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        while (reader.TryRead(out var left))
        {
            left.Completion.TrySetException(new InvalidOperationException("the user event log is shutting down"));
        }
    }

    private async Task FlushAsync(PendingAppend[] appends, int rowCount)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var append in appends)
        {
            SampleMindMetrics.IngestStageDuration.Record(Stopwatch.GetElapsedTime(append.Queued, started).TotalSeconds, s_logWait);
        }
        SampleMindMetrics.EventLogCommitRows.Record(rowCount);
        try
        {
            await CommitAsync(appends);
            SampleMindMetrics.RecordStage("log_commit", started);
        }
        finally
        {
            _flushSlots.Release();
        }
    }

    /// <summary>
    /// Commits <paramref name="appends"/> as one statement. When PostgreSQL refuses it for good (a row too large for
    /// the index, bad data) the group is split in halves and each half committed on its own, down to single appends:
    /// only the appends that hold an offending row fail (with <see cref="EventRejectedException"/>), every other grain's
    /// rows are stored. A transient failure fails the group as it is: nothing was committed, every caller retries.
    /// </summary>
    private async Task CommitAsync(ArraySegment<PendingAppend> appends)
    {
        try
        {
            var inserted = await InsertAsync(appends);
            foreach (var append in appends)
            {
                var result = new bool[append.Rows.Count];
                for (var r = 0; r < result.Length; r++)
                {
                    result[r] = inserted.Contains((append.UserId, append.Rows[r].MessageId));
                }
                append.Completion.TrySetResult(result);
            }
        }
        catch (Exception exception) when (PostgresErrors.Classify(exception) == WriteFailure.Permanent)
        {
            if (appends.Count == 1)
            {
                await RejectAsync(appends[0], exception);
                return;
            }
            ResilienceMetrics.GroupSplits.Add(1);
            _logger.LogDebug("Group commit of {Appends} appends refused ({Error}); split in halves", appends.Count, exception.Message);
            var half = appends.Count / 2;
            await CommitAsync(appends[..half]);
            await CommitAsync(appends[half..]);
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Group commit of {Rows} event log rows failed", appends.Sum(a => a.Rows.Count));
            foreach (var append in appends)
            {
                append.Completion.TrySetException(exception);
            }
        }
    }

    private async Task<HashSet<(string, string)>> InsertAsync(IReadOnlyCollection<PendingAppend> appends)
    {
        var rowCount = appends.Sum(a => a.Rows.Count);
        var users = new string[rowCount];
        var messages = new string[rowCount];
        var seqs = new long[rowCount];
        var types = new string[rowCount];
        var events = new string?[rowCount];
        var timestamps = new DateTime[rowCount];
        var payloads = new string[rowCount];
        var i = 0;
        foreach (var append in appends)
        {
            foreach (var row in append.Rows)
            {
                users[i] = append.UserId;
                messages[i] = row.MessageId;
                seqs[i] = row.Seq;
                types[i] = row.Type;
                events[i] = row.Event;
                timestamps[i] = row.Timestamp.UtcDateTime;
                payloads[i] = row.Payload;
                i++;
            }
        }

        var inserted = new HashSet<(string, string)>();
        await using var command = _dataSource.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = users });
        command.Parameters.Add(new NpgsqlParameter("m", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = messages });
        command.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = seqs });
        command.Parameters.Add(new NpgsqlParameter("t", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = types });
        command.Parameters.Add(new NpgsqlParameter("e", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events });
        command.Parameters.Add(new NpgsqlParameter("ts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = timestamps });
        command.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = payloads });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            inserted.Add((reader.GetString(0), reader.GetString(1)));
        }
        return inserted;
    }

    /// <summary>
    /// Fails one append that PostgreSQL refuses for good, naming its offending rows: each row is tried alone inside a
    /// transaction that is rolled back (nothing of the append is stored), up to 100 rows; when no single row fails (or
    /// the probe itself fails) every row of the append is named.
    /// </summary>
    private async Task RejectAsync(PendingAppend append, Exception exception)
    {
        var (sqlState, reason) = PostgresErrors.Describe(exception);
        var offending = new List<string>();
        if (append.Rows.Count == 1)
        {
            offending.Add(append.Rows[0].MessageId);
        }
        else
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                foreach (var row in append.Rows.Take(100))
                {
                    await transaction.SaveAsync("probe");
                    try
                    {
                        await using var probe = new NpgsqlCommand("""
                            INSERT INTO user_events (user_id, message_id, seq, type, event, ts, payload)
                            VALUES (@u, @m, @s, @t, @e, @ts, @p::jsonb) ON CONFLICT DO NOTHING
                            """, connection, transaction);
                        probe.Parameters.AddWithValue("u", append.UserId);
                        probe.Parameters.AddWithValue("m", row.MessageId);
                        probe.Parameters.AddWithValue("s", row.Seq);
                        probe.Parameters.AddWithValue("t", row.Type);
                        probe.Parameters.AddWithValue("e", (object?)row.Event ?? DBNull.Value);
                        probe.Parameters.AddWithValue("ts", row.Timestamp.UtcDateTime);
                        probe.Parameters.AddWithValue("p", row.Payload);
                        await probe.ExecuteNonQueryAsync();
                    }
                    catch (PostgresException probeError) when (PostgresErrors.IsPermanent(probeError.SqlState))
                    {
                        offending.Add(row.MessageId);
                        await transaction.RollbackAsync("probe");
                    }
                }
                await transaction.RollbackAsync();
            }
            catch (Exception probeError) when (probeError is NpgsqlException or TimeoutException)
            {
                _logger.LogDebug(probeError, "Probing the refused rows of {UserId} failed", Cut(append.UserId));
            }
            if (offending.Count == 0)
            {
                offending.AddRange(append.Rows.Select(r => r.MessageId));
            }
        }

        ResilienceMetrics.RejectedEvents.Add(offending.Count);
        _logger.LogInformation("The event log refused {Events} event(s) of user {UserId} for good ({SqlState}: {Reason}); first messageId {MessageId}",
            offending.Count, Cut(append.UserId), sqlState, reason, Cut(offending[0]));
        append.Completion.TrySetException(new EventRejectedException([.. offending.Select(Cut)], sqlState, reason));
    }

    /// <summary>A client-supplied id cut to 64 characters for logs and answers.</summary>
    private static string Cut(string value) => value.Length <= 64 ? value : $"{value[..61]}...";

    public async ValueTask DisposeAsync()
    {
        // Drain: everything queued is still written; only a stuck database makes us give up.
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_loop, Task.Delay(TimeSpan.FromSeconds(30))) != _loop)
        {
            await _stopping.CancelAsync();
        }
        for (var i = 0; i < _options.MaxConcurrentFlushes; i++)
        {
            await _flushSlots.WaitAsync(TimeSpan.FromSeconds(30));
        }
        _stopping.Dispose();
    }

    private sealed class PendingAppend(string userId, IReadOnlyList<LogRow> rows)
    {
        public long Queued { get; } = Stopwatch.GetTimestamp();

        public string UserId { get; } = userId;
        public IReadOnlyList<LogRow> Rows { get; } = rows;
        public TaskCompletionSource<bool[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
