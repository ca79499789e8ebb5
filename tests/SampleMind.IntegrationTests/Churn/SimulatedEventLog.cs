using System.Text;
using Npgsql;
using NpgsqlTypes;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Simulation;

namespace SampleMind.IntegrationTests.Churn;

/// <summary>Writes a simulated population straight into <c>user_events</c> as the ingest path stores it (user grains replay it on activation).</summary>
internal static class SimulatedEventLog
{
    public static async Task<long> InsertAsync(NpgsqlDataSource dataSource, int users, int days, long seed, CancellationToken cancellationToken)
    {
        var now = SimulationOptions.DefaultNow(TimeProvider.System);
        var simulator = new PopulationSimulator(new SimulationOptions { Users = users, Days = days, Seed = seed, Now = now });
        var seq = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY user_events (user_id, message_id, seq, type, event, ts, payload) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var chunk in simulator.Generate().Select(e => Encoding.UTF8.GetString(e.Json.Span)).Chunk(100))
        {
            var read = SegmentBatchReader.Read(Encoding.UTF8.GetBytes("{\"batch\":[" + string.Join(',', chunk) + "]}"), SegmentEndpoint.Batch, now);
            foreach (var e in read.Events)
            {
                seq[e.UserKey] = seq.GetValueOrDefault(e.UserKey) + 1;
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(e.UserKey, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(e.MessageId, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(seq[e.UserKey], NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(e.Type, NpgsqlDbType.Text, cancellationToken);
                if (e.Name is null)
                {
                    await copy.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await copy.WriteAsync(e.Name, NpgsqlDbType.Text, cancellationToken);
                }
                await copy.WriteAsync(e.Timestamp, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(e.Json, NpgsqlDbType.Jsonb, cancellationToken);
            }
        }
        return (long)await copy.CompleteAsync(cancellationToken);
    }
}
