using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SampleMind.Operations;
using NpgsqlTypes;
using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Segments;
using SampleMind.Churn;
using SampleMind.Database;
using SampleMind.Rollups;

namespace SampleMind.Users;

/// <summary>One user's row of the user index.</summary>
public sealed record class UserIndexRow(
    string UserId,
    string Segment,
    double Score,
    string Level,
    decimal Ltv,
    decimal RealizedRevenue,
    string ModelVersion,
    DateTimeOffset? LastActiveAt,
    DateTimeOffset ScoredAt);

public sealed class UserIndexOptions
{
    /// <summary>How often the refresher looks for rows to re-score.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A row not re-scored for this long is re-scored (risk moves with time: days since the last login, …).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Rows claimed per round; each costs one user-grain call.</summary>
    [Range(1, 100_000)]
    public int RefreshBatch { get; set; } = 2_000;

    /// <summary>Concurrent user-grain calls while refreshing.</summary>
    [Range(1, 1_000)]
    public int RefreshConcurrency { get; set; } = 32;
}

/// <summary>Where user grains post their index rows (latest wins per user).</summary>
public interface IUserIndexSink
{
    void Post(UserIndexRow row);

    /// <summary>
    /// Drops the user's pending row and waits for a write in flight to end, so no row of theirs is written after this
    /// returns (an erasure then deletes the stored one).
    /// </summary>
    Task ForgetAsync(string userId);
}

/// <summary>
/// The user index in PostgreSQL (<c>user_index</c>): reads for queries over many users, and the per-silo write-behind
/// that user grains post to. Rows are coalesced per user in memory and upserted in one statement about once a second
/// (driven by the rollup flush service, so a graceful stop writes what is pending); an older score never overwrites a
/// newer one.
/// </summary>
/// <remarks>
/// An erased person's row is never written again: a row posted before the erasure (on another silo, by the activation
/// the person had before their grain moved) that reaches PostgreSQL after the erasure's deletion is dropped, because
/// the person's key has a tombstone (<c>erasure_tombstones</c>, the keyed hash of <see cref="Privacy.ErasureOptions.HashKey"/>).
/// </remarks>
public sealed class PostgresUserIndex(
    NpgsqlDataSource dataSource,
    ILogger<PostgresUserIndex> logger,
    Microsoft.Extensions.Options.IOptions<Privacy.ErasureOptions>? erasure = null) : IUserIndexSink, IRollupFlushTarget
{
    private const string UpsertSql = """
        INSERT INTO user_index AS i (user_id, segment, risk_score, risk_level, ltv, realized_revenue, model_version, last_active_at, scored_at)
        SELECT r.user_id, r.segment, r.risk_score, r.risk_level, r.ltv, r.realized_revenue, r.model_version, r.last_active_at, r.scored_at
        FROM unnest(@u, @s, @r, @l, @v, @rr, @m, @a, @t, @h)
             AS r(user_id, segment, risk_score, risk_level, ltv, realized_revenue, model_version, last_active_at, scored_at, user_hash)
        WHERE NOT EXISTS (SELECT 1 FROM identity_links l WHERE l.merged_id = r.user_id) -- a merged key has no row of its own
          AND NOT EXISTS (SELECT 1 FROM erasure_tombstones t WHERE t.user_hash = r.user_hash) -- nor an erased one
        ON CONFLICT (user_id) DO UPDATE SET
            segment = excluded.segment, risk_score = excluded.risk_score, risk_level = excluded.risk_level, ltv = excluded.ltv,
            realized_revenue = excluded.realized_revenue, model_version = excluded.model_version,
            last_active_at = excluded.last_active_at, scored_at = excluded.scored_at
        WHERE i.scored_at <= excluded.scored_at
        """;

    // Without the erasure options (tombstones off, or a host without erasure) no row is fenced.
    private readonly string? _hashKey = erasure?.Value is { Tombstones: true } options ? options.HashKey : null;
    private readonly Lock _lock = new();
    private Dictionary<string, UserIndexRow> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private long _pendingSince; // Stopwatch timestamp of the oldest row not yet written; 0: none

    public void Post(UserIndexRow row)
    {
        lock (_lock)
        {
            if (_pendingSince == 0)
            {
                _pendingSince = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            _pending[row.UserId] = row;
        }
    }

    public async Task ForgetAsync(string userId)
    {
        lock (_lock)
        {
            _pending.Remove(userId);
        }
        await _flushing.WaitAsync();
        _flushing.Release();
    }

    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count == 0;
            }
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            Dictionary<string, UserIndexRow> batch;
            long batchSince;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    return;
                }
                batch = _pending;
                _pending = new(StringComparer.Ordinal);
                batchSince = _pendingSince;
                _pendingSince = 0;
            }
            try
            {
                await UpsertOrSplitAsync(batch.Values.ToArray(), cancellationToken);
            }
            catch (Exception exception)
            {
                lock (_lock)
                {
                    foreach (var (user, row) in batch)
                    {
                        _pending.TryAdd(user, row); // a newer row posted meanwhile wins
                    }
                    _pendingSince = batchSince;
                }
                logger.LogWarning(exception, "user index: writing {Count} rows failed; retried on the next flush", batch.Count);
            }
            long oldest;
            lock (_lock)
            {
                oldest = _pendingSince;
            }
            SampleMindMetrics.SetGauge(SampleMindMetrics.UserIndexLag, oldest == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(oldest).TotalSeconds);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>
    /// Upserts <paramref name="rows"/>; when PostgreSQL refuses the statement for good the rows are split in halves and
    /// written apart, so one row it can never take (a key too large for the index) is set aside with one error line
    /// and the <c>samplemind.batch.refused_rows</c> counter instead of holding back every other user's row forever.
    /// A transient failure throws: the caller keeps the rows for the next flush.
    /// </summary>
    private async Task UpsertOrSplitAsync(ArraySegment<UserIndexRow> rows, CancellationToken cancellationToken)
    {
        try
        {
            await UpsertAsync([.. rows], cancellationToken);
        }
        catch (Exception exception) when (PostgresErrors.Classify(exception) == WriteFailure.Permanent)
        {
            if (rows.Count == 1)
            {
                var (sqlState, reason) = PostgresErrors.Describe(exception);
                ResilienceMetrics.RefusedRows.Add(1, new KeyValuePair<string, object?>("table", "user_index"));
                logger.LogError("user index: the row of user {UserId} is refused for good ({SqlState}: {Reason}); set aside",
                    rows[0].UserId.Length <= 64 ? rows[0].UserId : rows[0].UserId[..64], sqlState, reason);
                return;
            }
            var half = rows.Count / 2;
            await UpsertOrSplitAsync(rows[..half], cancellationToken);
            await UpsertOrSplitAsync(rows[half..], cancellationToken);
        }
    }

    private async Task UpsertAsync(UserIndexRow[] rows, CancellationToken cancellationToken)
    {
        // Under the exclusive side of the index lock, so a merge in flight (which holds the shared side until it commits)
        // is either seen (its link hides the merged key's row) or comes after (and deletes the row it finds).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var gate = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", connection, transaction))
        {
            gate.Parameters.AddWithValue("k", Identity.PostgresIdentityLinks.IndexLockKey);
            await gate.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var command = new NpgsqlCommand(UpsertSql, connection, transaction);
        Add(command, "u", NpgsqlDbType.Text, rows.Select(r => r.UserId));
        Add(command, "s", NpgsqlDbType.Text, rows.Select(r => r.Segment));
        Add(command, "r", NpgsqlDbType.Double, rows.Select(r => r.Score));
        Add(command, "l", NpgsqlDbType.Text, rows.Select(r => r.Level));
        Add(command, "v", NpgsqlDbType.Numeric, rows.Select(r => r.Ltv));
        Add(command, "rr", NpgsqlDbType.Numeric, rows.Select(r => r.RealizedRevenue));
        Add(command, "m", NpgsqlDbType.Text, rows.Select(r => r.ModelVersion));
        Add(command, "a", NpgsqlDbType.TimestampTz, rows.Select(r => r.LastActiveAt));
        Add(command, "t", NpgsqlDbType.TimestampTz, rows.Select(r => r.ScoredAt));
        Add(command, "h", NpgsqlDbType.Text, rows.Select(r => _hashKey is null ? "" : Analytics.Privacy.PersonHash.Of(_hashKey, r.UserId)));
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static void Add<T>(NpgsqlCommand command, string name, NpgsqlDbType type, IEnumerable<T> values)
        => command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values.ToArray() });

    /// <summary>A page of users, riskiest first, from the index.</summary>
    public async Task<UserIndexPage> QueryAsync(UserIndexQuery query, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT user_id, segment, risk_score, risk_level, ltv, model_version, scored_at FROM user_index i
            WHERE (@level::text IS NULL OR risk_level = @level)
              AND (@segment::text IS NULL OR segment = @segment)
              AND (@min_ltv::numeric IS NULL OR ltv >= @min_ltv)
              AND (@min_score::float8 IS NULL OR risk_score >= @min_score)
              AND (@after::text IS NULL OR EXISTS (
                   SELECT 1 FROM user_index a WHERE a.user_id = @after
                   AND (i.risk_score < a.risk_score OR i.risk_score = a.risk_score AND i.user_id > a.user_id)))
            ORDER BY risk_score DESC, user_id
            LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter("level", NpgsqlDbType.Text) { Value = (object?)query.Level ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("segment", NpgsqlDbType.Text) { Value = (object?)query.Segment ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("min_ltv", NpgsqlDbType.Numeric) { Value = (object?)query.MinLtv ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("min_score", NpgsqlDbType.Double) { Value = (object?)query.MinScore ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Text) { Value = (object?)query.After ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", query.Limit + 1);
        var items = new List<UserIndexEntry>(Math.Min(query.Limit + 1, 1_000));
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new UserIndexEntry(reader.GetString(0), reader.GetString(1), reader.GetDouble(2), reader.GetString(3),
                    reader.GetDecimal(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }
        var more = items.Count > query.Limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }
        return new UserIndexPage([.. items], more ? items[^1].UserId : null);
    }

    /// <summary>Users per risk level, overall and per segment.</summary>
    public async Task<RiskSummary> SummaryAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        var byLevel = RiskLevelCounts();
        var bySegment = SegmentNames.All.ToDictionary(s => s, _ => RiskLevelCounts(), StringComparer.Ordinal);
        long total = 0;
        await using var command = dataSource.CreateCommand("SELECT segment, risk_level, count(*) FROM user_index GROUP BY 1, 2");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (segment, level, count) = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
            total += count;
            byLevel[level] = byLevel.GetValueOrDefault(level) + count;
            if (!bySegment.TryGetValue(segment, out var levels))
            {
                bySegment[segment] = levels = RiskLevelCounts();
            }
            levels[level] = levels.GetValueOrDefault(level) + count;
        }
        return new RiskSummary(total, byLevel, bySegment, asOf);
    }

    private static Dictionary<string, long> RiskLevelCounts()
        => new(StringComparer.Ordinal) { [RiskLevels.High] = 0, [RiskLevels.Medium] = 0, [RiskLevels.Low] = 0 };

    /// <summary>
    /// Claims up to <paramref name="limit"/> rows scored before <paramref name="staleBefore"/> or by another model version
    /// than <paramref name="modelVersion"/>, marking them scored at <paramref name="now"/> so that other silos skip them,
    /// and returns their user ids.
    /// </summary>
    public async Task<string[]> ClaimStaleAsync(DateTimeOffset staleBefore, string modelVersion, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE user_index SET scored_at = @now
            WHERE user_id IN (SELECT user_id FROM user_index WHERE scored_at < @stale OR (model_version <> @version AND scored_at < @now)
                              ORDER BY scored_at LIMIT @limit FOR UPDATE SKIP LOCKED)
            RETURNING user_id
            """);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("stale", staleBefore);
        command.Parameters.AddWithValue("version", modelVersion);
        command.Parameters.AddWithValue("limit", limit);
        var users = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(reader.GetString(0));
        }
        return [.. users];
    }
}

/// <summary>
/// Re-scores users whose index row went stale (no events for a while, so their risk moved without them): every
/// <see cref="UserIndexOptions.RefreshInterval"/>, claims the stalest rows and asks their grains to write a fresh row.
/// Several silos share the work (claims skip locked rows).
/// </summary>
public sealed class UserIndexRefresher(
    PostgresUserIndex index,
    IChurnScorer scorer,
    IGrainFactory grains,
    TimeProvider time,
    IOptions<UserIndexOptions> options,
    ILogger<UserIndexRefresher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(UserIndexRefresher), ServiceLifecycleStage.Active, _ =>
        {
            _loop = Task.Run(RunAsync, CancellationToken.None);
            return Task.CompletedTask;
        }, async _ =>
        {
            await _stopping.CancelAsync();
            if (_loop is not null)
            {
                await _loop;
            }
        });

    /// <summary>One round: re-scores up to one batch of stale rows; returns how many users were refreshed.</summary>
    public async Task<int> RefreshStaleAsync(CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var users = await index.ClaimStaleAsync(now - o.StaleAfter, scorer.Version, now, o.RefreshBatch, cancellationToken);
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = o.RefreshConcurrency, CancellationToken = cancellationToken },
            async (user, _) => await grains.GetGrain<IUserGrain>(user).RefreshIndexAsync());
        return users.Length;
    }

    private async Task RunAsync()
    {
        // Look every few seconds; run a round when the interval has passed or the scorer's model version changed (a
        // promotion re-scores the whole index within seconds, not at the next interval).
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Min(5, options.Value.RefreshInterval.TotalSeconds)));
        var lastRound = DateTimeOffset.UtcNow;
        var lastVersion = scorer.Version;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var now = DateTimeOffset.UtcNow; // a real-time schedule; "now" for scores comes from the TimeProvider
                if (now - lastRound < options.Value.RefreshInterval && scorer.Version == lastVersion)
                {
                    continue;
                }
                (lastRound, lastVersion) = (now, scorer.Version);
                try
                {
                    while (await RefreshStaleAsync(_stopping.Token) == options.Value.RefreshBatch)
                    {
                        // a full batch: there may be more
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.LogWarning(exception, "user index refresh failed; trying again in {Interval}", options.Value.RefreshInterval);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }
}

/// <summary>Serves index reads to client-api.</summary>
[Orleans.Concurrency.StatelessWorker]
public sealed class UserIndexGrain(PostgresUserIndex index, TimeProvider time) : Grain, IUserIndexGrain
{
    public Task<UserIndexPage> QueryAsync(UserIndexQuery query) => index.QueryAsync(query);

    public Task<RiskSummary> SummaryAsync() => index.SummaryAsync(time.GetUtcNow());
}
