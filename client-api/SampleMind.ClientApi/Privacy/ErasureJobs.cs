using Npgsql;

namespace SampleMind.ClientApi.Privacy;

/// <summary>An erasure job as <c>GET /api/erasures/{id}</c> answers it: state queued → erasing → subtracted → done.</summary>
public sealed record class ErasureJobView(
    Guid Id,
    string State,
    string UserHash,
    DateTimeOffset RequestedAt,
    DateTimeOffset? FinishedAt,
    int Attempts,
    int? ErasedKeys,
    long? ErasedEvents,
    string? LastError);

/// <summary>client-api's side of <c>erasure_jobs</c> (deploy/sql/V0091): it writes a job, a silo's runner does it.</summary>
public sealed class ErasureJobs(NpgsqlDataSource dataSource, PersonHash hash)
{
    private const string Columns
        = "id, state, user_hash, requested_at, finished_at, attempts, erased_keys, erased_events, last_error";

    /// <summary>A new queued job for <paramref name="userId"/>, or the person's open one when a job runs already.</summary>
    public async Task<ErasureJobView> RequestAsync(string userId, string requestedBy, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH added AS (
                INSERT INTO erasure_jobs (id, user_hash, user_id, state, requested_by) VALUES ($1, $2, $3, 'queued', $4)
                ON CONFLICT (user_hash) WHERE state <> 'done' DO NOTHING
                RETURNING {Columns})
            SELECT {Columns} FROM added
            UNION ALL
            SELECT {Columns} FROM erasure_jobs WHERE user_hash = $2 AND state <> 'done' AND NOT EXISTS (SELECT 1 FROM added)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
        command.Parameters.Add(new NpgsqlParameter { Value = hash.Of(userId) });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = requestedBy });
        return await ReadOneAsync(command, cancellationToken)
            ?? throw new InvalidOperationException("the erasure job was neither added nor found; retry");
    }

    /// <summary>The job, or null when there is none with that id.</summary>
    public async Task<ErasureJobView?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM erasure_jobs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await ReadOneAsync(command, cancellationToken);
    }

    private static async Task<ErasureJobView?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new ErasureJobView(
            reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt32(5),
            reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
            reader.IsDBNull(8) ? null : reader.GetString(8));
    }
}
