using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SampleMind.Analytics.Churn;

namespace SampleMind.Churn;

/// <summary>A registered version's models.</summary>
public sealed record class StoredChurnModel(int Version, byte[] ChurnModel, byte[]? SegmentModel);

/// <summary>A registered version's metrics, as train-churn wrote them.</summary>
public sealed record class ChurnModelEntry(int Version, DateTimeOffset CreatedAt, ChurnModelMetrics Metrics);

/// <summary>The churn model registry in PostgreSQL (<c>churn_models</c>, deploy/sql/V0020): versions, their models and metrics, and which is promoted.</summary>
public sealed class ChurnModelStore(NpgsqlDataSource dataSource)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Stores a trained version; returns its number (1, 2, …).</summary>
    public async Task<int> RegisterAsync(ChurnTrainingResult result, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO churn_models (metrics, churn_model, segment_model) VALUES (@metrics, @churn, @segment) RETURNING version");
        command.Parameters.Add(new NpgsqlParameter("metrics", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(result.Metrics, Json) });
        command.Parameters.AddWithValue("churn", result.ChurnModel);
        command.Parameters.AddWithValue("segment", result.SegmentModel);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Promotes a version (promoting an older one again rolls back to it); null when it does not exist.</summary>
    public async Task<DateTimeOffset?> PromoteAsync(int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE churn_models SET promoted_at = clock_timestamp() WHERE version = @version RETURNING promoted_at");
        command.Parameters.AddWithValue("version", version);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    /// <summary>The promoted version (the latest promotion); null while none is.</summary>
    public async Task<int?> PromotedVersionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT version FROM churn_models WHERE promoted_at IS NOT NULL ORDER BY promoted_at DESC, version DESC LIMIT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is int version ? version : null;
    }

    public async Task<StoredChurnModel?> LoadAsync(int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT churn_model, segment_model FROM churn_models WHERE version = @version");
        command.Parameters.AddWithValue("version", version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new StoredChurnModel(version, reader.GetFieldValue<byte[]>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1));
    }

    /// <summary>The versions after <paramref name="version"/>, in order, with their metrics.</summary>
    public async Task<IReadOnlyList<ChurnModelEntry>> ListAfterAsync(int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT version, created_at, metrics::text FROM churn_models WHERE version > @version ORDER BY version");
        command.Parameters.AddWithValue("version", version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<ChurnModelEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new ChurnModelEntry(reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1),
                JsonSerializer.Deserialize<ChurnModelMetrics>(reader.GetString(2), Json)!));
        }
        return entries;
    }
}
