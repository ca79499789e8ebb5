using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace SampleMind.Outbox;

/// <summary>One delivery to enqueue: sent as a JSON POST with the header Idempotency-Key: <see cref="IdempotencyKey"/>.</summary>
public sealed record class OutboxMessage(string IdempotencyKey, string Kind, string? Reference, string Url, string Body);

/// <summary>A claimed delivery.</summary>
public sealed record class OutboxDelivery(long Id, string IdempotencyKey, string Kind, string Url, string Body, int Attempts);

/// <summary>The outbox table (deploy/sql/V0030__outbox.sql).</summary>
public static class OutboxStore
{
    public const string RetentionKind = "retention";
    public const string AlertKind = "alert";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A body serialised the way every outbox message is (camelCase JSON).</summary>
    public static string Serialize<T>(T body) => JsonSerializer.Serialize(body, Json);

    /// <summary>Adds messages in the caller's transaction; a key already in the outbox adds nothing. Returns how many were added.</summary>
    public static async Task<int> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return 0;
        }
        const string sql = """
            INSERT INTO outbox (idempotency_key, kind, reference, url, body)
            SELECT k, kind, r, u, b::jsonb FROM unnest(@keys, @kinds, @refs, @urls, @bodies) AS m(k, kind, r, u, b)
            ON CONFLICT (idempotency_key) DO NOTHING
            """;
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("keys", messages.Select(m => m.IdempotencyKey).ToArray());
        command.Parameters.AddWithValue("kinds", messages.Select(m => m.Kind).ToArray());
        command.Parameters.Add(new NpgsqlParameter("refs", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = messages.Select(m => (object?)m.Reference ?? DBNull.Value).ToArray() });
        command.Parameters.AddWithValue("urls", messages.Select(m => m.Url).ToArray());
        command.Parameters.AddWithValue("bodies", messages.Select(m => m.Body).ToArray());
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reserves up to <paramref name="limit"/> due deliveries for <paramref name="lease"/> and counts the attempt.</summary>
    public static async Task<List<OutboxDelivery>> ClaimAsync(NpgsqlDataSource dataSource, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE outbox o SET attempts = o.attempts + 1, locked_until = now() + @lease
            FROM (
                SELECT id FROM outbox
                WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                  AND (locked_until IS NULL OR locked_until < now())
                ORDER BY next_attempt_at, id
                LIMIT @limit
                FOR UPDATE SKIP LOCKED
            ) due
            WHERE o.id = due.id
            RETURNING o.id, o.idempotency_key, o.kind, o.url, o.body::text, o.attempts
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("limit", limit);
        var claimed = new List<OutboxDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new OutboxDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5)));
        }
        return claimed;
    }

    public static async Task MarkDeliveredAsync(NpgsqlDataSource dataSource, long id, int status, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE outbox SET delivered_at = now(), locked_until = NULL, last_status = @status, last_error = NULL WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("status", status);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deliveries waiting: neither delivered nor given up (the partial index outbox_due holds exactly these).</summary>
    public static async Task<long> BacklogAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Records a failed attempt: retried after <paramref name="retryAfter"/>, or given up when it is null.</summary>
    public static async Task MarkFailedAttemptAsync(NpgsqlDataSource dataSource, long id, int? status, string error, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE outbox SET locked_until = NULL, last_status = @status, last_error = @error,
                   next_attempt_at = CASE WHEN @give_up THEN next_attempt_at ELSE now() + @retry END,
                   failed_at = CASE WHEN @give_up THEN now() END
            WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("status", status is { } s ? s : DBNull.Value);
        command.Parameters.AddWithValue("error", error.Length > 500 ? error[..500] : error);
        command.Parameters.AddWithValue("give_up", retryAfter is null);
        command.Parameters.AddWithValue("retry", retryAfter ?? TimeSpan.Zero);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
