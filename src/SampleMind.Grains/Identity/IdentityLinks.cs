using Npgsql;

namespace SampleMind.Identity;

/// <summary>One merge as committed: every row the merged key had (its payloads, in log order) and how many reached the person.</summary>
/// <param name="Payloads">The merged key's events before the merge, in log order: its share of the rollups to take back.</param>
/// <param name="MovedEvents">The rows stored under the person (a messageId the person already had is not stored twice).</param>
public sealed record class IdentityMerge(IReadOnlyList<string> Payloads, int MovedEvents);

/// <summary>
/// The identity map (<c>identity_links</c>, see deploy/sql/V0080): which person a merged key belongs to, and the merge
/// itself. A merge is one transaction, so a crash leaves it either done (link written and rows moved) or not begun; the
/// client's retry of the identify or alias runs it again, and a merge already done is a no-op.
/// </summary>
public interface IIdentityLinks
{
    /// <summary>The person <paramref name="key"/> was merged into, or <c>null</c> when it is not merged (a root).</summary>
    Task<string?> PersonOfAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Merges <paramref name="mergedId"/> into <paramref name="personId"/>: writes the link, re-points every link that
    /// named <paramref name="mergedId"/> as its person, moves its log rows (sequence numbers from
    /// <paramref name="firstSeq"/>) and drops its user-index row.
    /// </summary>
    Task<IdentityMerge> MergeAsync(string mergedId, string personId, long firstSeq, string via, string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims the pair (<paramref name="a"/>, <paramref name="b"/>) for one merge across the cluster, or returns
    /// <c>null</c> when a merge of the same two keys (either way round) holds it: two grains that each wait on the
    /// other's turn (a→b and b→a at once) would deadlock, so the second one fails fast and its client retries.
    /// </summary>
    Task<IAsyncDisposable?> TryClaimPairAsync(string a, string b, CancellationToken cancellationToken = default);
}

/// <summary>The identity map in PostgreSQL.</summary>
public sealed class PostgresIdentityLinks(NpgsqlDataSource dataSource, MergeCrashHook crashHook) : IIdentityLinks
{
    /// <summary>
    /// The advisory lock between merges (shared side, held until the merge commits) and the user-index writer (exclusive
    /// side): an index write never re-creates the row of a key a concurrent merge is removing.
    /// </summary>
    public const long IndexLockKey = 0x534D_4944_4E54; // "SMIDNT"

    private const string PersonOfSql = "SELECT person_id FROM identity_links WHERE merged_id = @k";

    // The merged key's rows leave its log and join the person's in one statement; the payloads of all of them come back
    // (the merged grain takes back their share), with whether each one was stored under the person.
    private const string MoveSql = """
        WITH moved AS (
            DELETE FROM user_events WHERE user_id = @m
            RETURNING message_id, seq, type, event, ts, received_at, payload
        ),
        stored AS (
            INSERT INTO user_events (user_id, message_id, seq, type, event, ts, received_at, payload)
            SELECT @p, message_id, @first + row_number() OVER (ORDER BY seq, message_id COLLATE "C") - 1, type, event, ts, received_at, payload
            FROM moved
            ON CONFLICT (user_id, message_id) DO NOTHING
            RETURNING message_id
        )
        SELECT moved.payload::text, stored.message_id IS NOT NULL
        FROM moved LEFT JOIN stored USING (message_id)
        ORDER BY moved.seq, moved.message_id COLLATE "C"
        """;

    private const string LinkSql = """
        INSERT INTO identity_links (merged_id, person_id, via, message_id, moved_events)
        VALUES (@m, @p, @via, @msg, @moved)
        ON CONFLICT (merged_id) DO UPDATE SET person_id = excluded.person_id, via = excluded.via,
            message_id = excluded.message_id, moved_events = excluded.moved_events, linked_at = now();
        UPDATE identity_links SET person_id = @p WHERE person_id = @m;
        DELETE FROM user_index WHERE user_id = @m;
        """;

    public async Task<IAsyncDisposable?> TryClaimPairAsync(string a, string b, CancellationToken cancellationToken = default)
    {
        var (first, second) = string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var claim = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext(@a), hashtext(@b))", connection);
            claim.Parameters.AddWithValue("a", first);
            claim.Parameters.AddWithValue("b", second);
            if (await claim.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new PairClaim(connection, first, second);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>A session-level advisory lock, released (and its connection returned) on dispose.</summary>
    private sealed class PairClaim(NpgsqlConnection connection, string first, string second) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext(@a), hashtext(@b))", connection);
                release.Parameters.AddWithValue("a", first);
                release.Parameters.AddWithValue("b", second);
                await release.ExecuteScalarAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    public async Task<string?> PersonOfAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PersonOfSql);
        command.Parameters.AddWithValue("k", key);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<IdentityMerge> MergeAsync(string mergedId, string personId, long firstSeq, string via, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(mergedId);
        ArgumentException.ThrowIfNullOrEmpty(personId);
        if (mergedId == personId)
        {
            throw new ArgumentException("a key cannot be merged into itself", nameof(personId));
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var gate = new NpgsqlCommand("SELECT pg_advisory_xact_lock_shared(@k)", connection, transaction))
        {
            gate.Parameters.AddWithValue("k", IndexLockKey);
            await gate.ExecuteNonQueryAsync(cancellationToken);
        }
        var payloads = new List<string>();
        var moved = 0;
        await using (var move = new NpgsqlCommand(MoveSql, connection, transaction))
        {
            move.Parameters.AddWithValue("m", mergedId);
            move.Parameters.AddWithValue("p", personId);
            move.Parameters.AddWithValue("first", firstSeq);
            await using var reader = await move.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                payloads.Add(reader.GetString(0));
                moved += reader.GetBoolean(1) ? 1 : 0;
            }
        }
        await using (var link = new NpgsqlCommand(LinkSql, connection, transaction))
        {
            link.Parameters.AddWithValue("m", mergedId);
            link.Parameters.AddWithValue("p", personId);
            link.Parameters.AddWithValue("via", via);
            link.Parameters.AddWithValue("msg", messageId);
            link.Parameters.AddWithValue("moved", moved);
            await link.ExecuteNonQueryAsync(cancellationToken);
        }
        crashHook.Reached(MergeStep.LinkUncommitted);
        await transaction.CommitAsync(cancellationToken);
        return new IdentityMerge(payloads, moved);
    }
}
