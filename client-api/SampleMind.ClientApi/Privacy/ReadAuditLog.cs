using Npgsql;
using NpgsqlTypes;

namespace SampleMind.ClientApi.Privacy;

/// <summary>One recorded read of one person's data, as <c>GET /api/audit</c> answers it.</summary>
public sealed record class ReadAuditEntry(
    long Id,
    string UserHash,
    string KeyId,
    string Role,
    DateTimeOffset At,
    string Method,
    string Route,
    string? Purpose);

/// <summary>The read audit table (deploy/sql/V0090__read_audit.sql).</summary>
public sealed class ReadAuditLog(NpgsqlDataSource dataSource, PersonHash hash)
{
    /// <summary>The most rows one query answers.</summary>
    public const int MaxRows = 10_000;

    /// <summary>Records one read; returns when the row is committed.</summary>
    public async Task RecordAsync(string userId, string keyId, string role, string method, string route, string? purpose,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO read_audit (user_hash, key_id, role, method, route, purpose) VALUES ($1, $2, $3, $4, $5, $6)");
        command.Parameters.Add(new NpgsqlParameter { Value = hash.Of(userId) });
        command.Parameters.Add(new NpgsqlParameter { Value = keyId });
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        command.Parameters.Add(new NpgsqlParameter { Value = method });
        command.Parameters.Add(new NpgsqlParameter { Value = route });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)purpose ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The reads in [from, to), of one person when <paramref name="userId"/> is given, oldest first.</summary>
    public async Task<IReadOnlyList<ReadAuditEntry>> QueryAsync(string? userId, DateTimeOffset? from, DateTimeOffset? to,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT id, user_hash, key_id, role, at, method, route, purpose FROM read_audit
            WHERE ($1::text IS NULL OR user_hash = $1) AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
            ORDER BY at, id LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = userId is null ? DBNull.Value : hash.Of(userId), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = MaxRows });
        var rows = new List<ReadAuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ReadAuditEntry(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return rows;
    }
}
