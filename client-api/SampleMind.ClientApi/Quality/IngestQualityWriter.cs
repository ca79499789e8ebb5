using Npgsql;
using NpgsqlTypes;

namespace SampleMind.ClientApi.Quality;

/// <summary>
/// Writes <see cref="IngestQualityCounters"/> behind ingest: every <see cref="Interval"/> and once more on shutdown, one
/// additive upsert into <c>ingest_quality</c> (deploy/sql/V0130), so several client-api instances add up and the ingest
/// path never waits on the database. A failed write puts its counts back for the next one; a crash loses at most one
/// interval's counts (the report then shows stored above received: see README "Data quality").
/// </summary>
public sealed partial class IngestQualityWriter(
    IngestQualityCounters counters,
    NpgsqlDataSource dataSource,
    ILogger<IngestQualityWriter> logger) : BackgroundService
{
    /// <summary>How often the counts are written.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Writes every count taken so far; true when there was nothing to write or the write committed.</summary>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var counts = counters.Drain();
            if (counts.Count == 0)
            {
                return true;
            }
            try
            {
                await WriteAsync(counts, cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
            {
                counters.Restore(counts);
                LogWriteFailed(logger, ex, counts.Count);
                return false;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync writes the rest.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(CancellationToken.None);
    }

    private async Task WriteAsync(
        IReadOnlyDictionary<IngestQualityKey, long> counts, CancellationToken cancellationToken)
    {
        var keys = counts.Keys.ToArray();
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO ingest_quality (day, source, kind, reason, events)
            SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::bigint[])
            ON CONFLICT (day, source, kind, reason) DO UPDATE SET events = ingest_quality.events + excluded.events
            """);
        Add(keys.Select(k => k.Day).ToArray(), NpgsqlDbType.Date);
        Add(keys.Select(k => k.Source).ToArray(), NpgsqlDbType.Text);
        Add(keys.Select(k => k.Kind).ToArray(), NpgsqlDbType.Text);
        Add(keys.Select(k => k.Reason).ToArray(), NpgsqlDbType.Text);
        Add(keys.Select(k => counts[k]).ToArray(), NpgsqlDbType.Bigint);
        await command.ExecuteNonQueryAsync(cancellationToken);

        void Add<T>(T[] values, NpgsqlDbType type) =>
            command.Parameters.Add(new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Keys} ingest quality counts failed; they are kept for the next write")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int keys);
}
