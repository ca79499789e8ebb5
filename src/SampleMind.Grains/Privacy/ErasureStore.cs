using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SampleMind.Analytics.Privacy;

namespace SampleMind.Privacy;

/// <summary>Where an erasure job stands (<c>erasure_jobs.state</c>, deploy/sql/V0091).</summary>
public enum ErasureStage
{
    Queued,
    Erasing,
    Subtracted,
    Done,
}

/// <summary>A job a silo claimed: the person it erases.</summary>
public sealed record class ClaimedErasure(Guid Id, string UserId);

/// <summary>
/// The silo's side of erasure in PostgreSQL: the jobs (claimed under a lease), the tombstones (keyed hashes of the
/// erased keys) and the one transaction that deletes a person's rows from every table that holds their id.
/// </summary>
public sealed class ErasureStore(NpgsqlDataSource dataSource, IOptions<ErasureOptions> options)
{
    private readonly string _hashKey = options.Value.HashKey;

    /// <summary>The keyed hash that stands for <paramref name="key"/> in the tombstones and the jobs.</summary>
    public string HashOf(string key) => PersonHash.Of(_hashKey, key);

    /// <summary>True when <paramref name="key"/> was erased and tombstones are on (its messages are not stored).</summary>
    public async Task<bool> IsTombstonedAsync(string key, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Tombstones)
        {
            return false;
        }
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM erasure_tombstones WHERE user_hash = @h)");
        command.Parameters.AddWithValue("h", HashOf(key));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The anonymous ids (and other keys) merged into <paramref name="personId"/>.</summary>
    public async Task<string[]> MergedKeysAsync(string personId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT merged_id FROM identity_links WHERE person_id = @p ORDER BY merged_id");
        command.Parameters.AddWithValue("p", personId);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }
        return [.. keys];
    }

    /// <summary>
    /// Claims the oldest open job whose lease ran out (or that nobody holds) for <paramref name="owner"/>, or none.
    /// </summary>
    public async Task<ClaimedErasure?> ClaimAsync(string owner, CancellationToken cancellationToken = default)
    {
        const string sql = """
            UPDATE erasure_jobs SET lease_owner = @o, lease_until = now() + @l, attempts = attempts + 1
            WHERE id = (SELECT id FROM erasure_jobs WHERE state <> 'done' AND (lease_until IS NULL OR lease_until < now())
                        ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, user_id
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("o", owner);
        command.Parameters.AddWithValue("l", options.Value.JobLease);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ClaimedErasure(reader.GetGuid(0), reader.GetString(1)) : null;
    }

    /// <summary>
    /// A job for <paramref name="userId"/> requested by <paramref name="requestedBy"/> and held by <paramref name="owner"/>
    /// under the lease (so the runners leave it to the caller, and take it over if the caller dies), or the person's open
    /// job when one exists. The retention job erases inactive people through this.
    /// </summary>
    public async Task<Guid> RequestAsync(string userId, string requestedBy, string owner, CancellationToken cancellationToken = default)
    {
        const string sql = """
            WITH added AS (
                INSERT INTO erasure_jobs (id, user_hash, user_id, state, requested_by, lease_owner, lease_until, attempts)
                VALUES (@id, @h, @u, 'queued', @r, @o, now() + @l, 1)
                ON CONFLICT (user_hash) WHERE state <> 'done' DO NOTHING
                RETURNING id)
            SELECT id FROM added
            UNION ALL
            SELECT id FROM erasure_jobs WHERE user_hash = @h AND state <> 'done' AND NOT EXISTS (SELECT 1 FROM added)
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", Guid.NewGuid());
        command.Parameters.AddWithValue("h", HashOf(userId));
        command.Parameters.AddWithValue("u", userId);
        command.Parameters.AddWithValue("r", requestedBy);
        command.Parameters.AddWithValue("o", owner);
        command.Parameters.AddWithValue("l", options.Value.JobLease);
        return (Guid)(await command.ExecuteScalarAsync(cancellationToken)
            ?? throw new InvalidOperationException($"the erasure job of a retention run was neither added nor found; retry"));
    }

    /// <summary>Gives a failed job back: another attempt after <paramref name="retryAfter"/>, the error kept.</summary>
    public async Task ReleaseAsync(Guid jobId, string error, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE erasure_jobs SET lease_owner = NULL, lease_until = now() + @r, last_error = @e WHERE id = @id AND state <> 'done'");
        command.Parameters.AddWithValue("id", jobId);
        command.Parameters.AddWithValue("r", retryAfter);
        command.Parameters.AddWithValue("e", error.Length <= 500 ? error : error[..500]);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Writes the tombstones of <paramref name="keys"/> (when on) and moves the job from queued to erasing, in one
    /// transaction; returns the stage the job is in now (a re-run finds the stage its last attempt reached).
    /// </summary>
    public async Task<ErasureStage> BeginAsync(Guid jobId, IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (options.Value.Tombstones)
        {
            await using var tombstones = new NpgsqlCommand(
                "INSERT INTO erasure_tombstones (user_hash, job_id) SELECT h, @id FROM unnest(@h) AS t(h) ON CONFLICT (user_hash) DO NOTHING",
                connection, transaction);
            tombstones.Parameters.AddWithValue("id", jobId);
            tombstones.Parameters.AddWithValue("h", keys.Select(HashOf).ToArray());
            await tombstones.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var begin = new NpgsqlCommand(
            "UPDATE erasure_jobs SET state = CASE WHEN state = 'queued' THEN 'erasing' ELSE state END WHERE id = @id RETURNING state",
            connection, transaction);
        begin.Parameters.AddWithValue("id", jobId);
        var stage = await begin.ExecuteScalarAsync(cancellationToken) as string
            ?? throw new InvalidOperationException($"erasure job {jobId} does not exist");
        await transaction.CommitAsync(cancellationToken);
        return Enum.Parse<ErasureStage>(stage, ignoreCase: true);
    }

    /// <summary>Records that every aggregate took the person's negated share (a re-run does not compute it again).</summary>
    public async Task MarkSubtractedAsync(Guid jobId, long events, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE erasure_jobs SET state = 'subtracted', erased_events = @n WHERE id = @id AND state = 'erasing'");
        command.Parameters.AddWithValue("id", jobId);
        command.Parameters.AddWithValue("n", events);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Deletes every row that holds one of <paramref name="keys"/> (the person's id and the keys merged into it) and
    /// marks the job done with the person's id removed from it, in one transaction: the event log, the user-index row,
    /// the grain snapshots, the identity links, retention assignments, outbox deliveries (pending or not) and Stripe
    /// customer mappings. Under the shared side of the index lock, so an index write in flight commits before (and is
    /// deleted here) or after (and finds the person's index row gone, which the grain no longer posts).
    /// </summary>
    public async Task DeleteAsync(Guid jobId, IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        string[] statements =
        [
            "DELETE FROM user_events WHERE user_id = ANY(@k)",
            "DELETE FROM user_index WHERE user_id = ANY(@k)",
            "DELETE FROM orleans.grain_state WHERE grain_type = 'user' AND grain_id_ext = ANY(@k)",
            "DELETE FROM identity_links WHERE merged_id = ANY(@k) OR person_id = ANY(@k)",
            "DELETE FROM retention_assignments WHERE user_id = ANY(@k)",
            "DELETE FROM outbox WHERE kind = 'retention' AND body->>'userId' = ANY(@k)",
            "DELETE FROM stripe_customers WHERE user_id = ANY(@k)",
        ];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var gate = new NpgsqlCommand("SELECT pg_advisory_xact_lock_shared(@l)", connection, transaction))
        {
            gate.Parameters.AddWithValue("l", Identity.PostgresIdentityLinks.IndexLockKey);
            await gate.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var sql in statements)
        {
            await using var delete = new NpgsqlCommand(sql, connection, transaction);
            delete.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys.ToArray() });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var done = new NpgsqlCommand("""
            UPDATE erasure_jobs SET state = 'done', user_id = NULL, erased_keys = @n, finished_at = now(),
                lease_owner = NULL, lease_until = NULL, last_error = NULL
            WHERE id = @id AND state <> 'done'
            """, connection, transaction);
        done.Parameters.AddWithValue("id", jobId);
        done.Parameters.AddWithValue("n", keys.Count);
        await done.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
