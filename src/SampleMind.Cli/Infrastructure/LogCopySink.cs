using System.Text;
using Npgsql;
using NpgsqlTypes;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Privacy;

namespace SampleMind.Cli.Infrastructure;

/// <summary>
/// Bulk-loads events straight into the user event log with one binary COPY in one transaction: each event is
/// validated and normalised by the same reader as the ingest endpoint, and stored as ingest stores it (per-user
/// <c>seq</c> in file order). Only into an empty log: the table is locked against concurrent ingest for the load, and a
/// bad event, a duplicate messageId or any failure rolls everything back. Rollups are not touched (the log is the
/// source; user grains replay it on activation).
/// </summary>
internal sealed class LogCopySink : IEventSink
{
    private const int ChunkEvents = 500;
    private const int ChunkBytes = 400 * 1024;

    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly NpgsqlBinaryImporter _copy;
    private readonly DateTimeOffset _receivedAt = DateTimeOffset.UtcNow;
    private readonly PiiProtector _pii = Pii();
    private readonly Dictionary<string, long> _seq = new(StringComparer.Ordinal);
    private readonly MemoryStream _chunk = new();
    private int _chunkEvents;
    private long _chunkFirstLine = 1;
    private long _lines;
    private long _written;
    private bool _completed;

    private LogCopySink(NpgsqlDataSource dataSource, NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlBinaryImporter copy)
    {
        _dataSource = dataSource;
        _connection = connection;
        _transaction = transaction;
        _copy = copy;
        StartChunk();
    }

    /// <summary>The hosts' PII protection (Privacy__PiiAtRest, Privacy__PiiKey), so a load stores what ingest would.</summary>
    private static PiiProtector Pii()
    {
        try
        {
            return PiiProtector.FromEnvironment();
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }
    }

    public long Delivered => _completed ? _written : 0;

    /// <summary>Opens the COPY; the sink owns <paramref name="dataSource"/> from here on.</summary>
    public static async Task<LogCopySink> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = await CliDatabase.RunAsync(dataSource, ds => ds.OpenConnectionAsync(cancellationToken).AsTask());
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockAndCheck = new NpgsqlCommand(
                "LOCK TABLE user_events IN SHARE ROW EXCLUSIVE MODE; SELECT EXISTS (SELECT 1 FROM user_events)", connection, transaction))
            {
                if (await lockAndCheck.ExecuteScalarAsync(cancellationToken) is true)
                {
                    throw new CliException("the user event log already holds events: --into-log loads only into an empty log "
                        + "(send to a running stack with --target instead, or load into a fresh database)");
                }
            }
            // Empty and locked: truncating it in this transaction lets COPY write the rows frozen, so the first reader
            // after a load of millions of rows does not rewrite every page to set hint bits.
            await using (var truncate = new NpgsqlCommand("TRUNCATE user_events", connection, transaction))
            {
                await truncate.ExecuteNonQueryAsync(cancellationToken);
            }
            var copy = await connection.BeginBinaryImportAsync(
                "COPY user_events (user_id, message_id, seq, type, event, ts, payload) FROM STDIN (FORMAT BINARY, FREEZE)", cancellationToken);
            copy.Timeout = TimeSpan.Zero; // a load of millions of rows outlasts any per-operation timeout
            return new LogCopySink(dataSource, connection, transaction, copy);
        }
        catch (Exception ex)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            await dataSource.DisposeAsync();
            throw ex switch
            {
                PostgresException { SqlState: PostgresErrorCodes.UndefinedTable } =>
                    new CliException("the user event log does not exist yet: run ./samplemind db migrate first"),
                NpgsqlException => Refused(ex),
                _ => ex,
            };
        }
    }

    public bool Write(ReadOnlySpan<byte> json)
    {
        if (_chunkEvents > 0)
        {
            _chunk.WriteByte((byte)',');
        }
        _chunk.Write(json);
        _chunkEvents++;
        _lines++;
        return _chunkEvents >= ChunkEvents || _chunk.Length >= ChunkBytes;
    }

    public async ValueTask FlushAsync(bool partial)
    {
        try
        {
            await CopyChunkAsync();
        }
        catch (NpgsqlException ex)
        {
            throw Refused(ex);
        }
    }

    private async Task CopyChunkAsync()
    {
        if (_chunkEvents == 0)
        {
            return;
        }
        _chunk.Write("]}"u8);
        var read = SegmentBatchReader.Read(_chunk.GetBuffer().AsSpan(0, (int)_chunk.Length), SegmentEndpoint.Batch, _receivedAt);
        if (!read.IsValid)
        {
            var (field, problems) = read.Errors.First();
            var line = read.InvalidIndexes.Count > 0 ? _chunkFirstLine + read.InvalidIndexes[0] : _chunkFirstLine;
            throw new CliException($"event {line:N0} is not a valid Segment event ({field}: {string.Join("; ", problems)}); nothing was loaded");
        }
        foreach (var e in read.Events)
        {
            var seq = _seq[e.UserKey] = _seq.GetValueOrDefault(e.UserKey) + 1;
            await _copy.StartRowAsync();
            await _copy.WriteAsync(e.UserKey, NpgsqlDbType.Text);
            await _copy.WriteAsync(e.MessageId, NpgsqlDbType.Text);
            await _copy.WriteAsync(seq, NpgsqlDbType.Bigint);
            await _copy.WriteAsync(e.Type, NpgsqlDbType.Text);
            if (e.Name is null)
            {
                await _copy.WriteNullAsync();
            }
            else
            {
                await _copy.WriteAsync(e.Name, NpgsqlDbType.Text);
            }
            await _copy.WriteAsync(e.Timestamp, NpgsqlDbType.TimestampTz);
            await _copy.WriteAsync(_pii.Protect(e.Json), NpgsqlDbType.Jsonb); // as client-api stores it
            _written++;
        }
        _chunkFirstLine = _lines + 1;
        StartChunk();
    }

    public async Task CompleteAsync()
    {
        await FlushAsync(partial: true);
        try
        {
            await _copy.CompleteAsync();
            await _copy.DisposeAsync();
            // The loaded events' model versions and campaigns enter the cardinality registry as live ingest would admit them.
            await Rollups.DimensionRegistry.AdmitFromLogAsync(_connection, _transaction, Rollups.DimensionRegistry.FromEnvironment());
            await _transaction.CommitAsync();
        }
        catch (NpgsqlException ex)
        {
            throw Refused(ex);
        }
        _completed = true;
        try
        {
            // Planner statistics for the new rows (a sample; seconds even for tens of millions of rows).
            await using var analyze = new NpgsqlCommand("ANALYZE user_events", _connection) { CommandTimeout = 0 };
            await analyze.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            // The load is committed; autovacuum analyzes the table later.
            Console.Error.WriteLine($"samplemind: loaded, but ANALYZE user_events failed ({ex.Message}); autovacuum will analyze it later");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Without CompleteAsync the COPY is cancelled and the transaction rolled back: nothing is loaded.
        await _copy.DisposeAsync();
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    private static CliException Refused(Exception ex) => ex switch
    {
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg =>
            new CliException($"two events share a user and messageId: {pg.Detail ?? pg.MessageText}; nothing was loaded", 3, ex),
        PostgresException pg => new CliException($"PostgreSQL refused: {pg.MessageText} ({pg.SqlState}); nothing was loaded", 3, ex),
        _ => new CliException($"lost the connection to PostgreSQL: {ex.InnerException?.Message ?? ex.Message}; nothing was loaded", 3, ex),
    };

    private void StartChunk()
    {
        _chunk.SetLength(0);
        _chunk.Write("{\"batch\":["u8);
        _chunkEvents = 0;
    }
}
