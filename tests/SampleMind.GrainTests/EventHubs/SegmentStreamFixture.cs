using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.Streams;
using Orleans.TestingHost;
using SampleMind.Hosting;
using SampleMind.Ingest;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.EventHubs;

/// <summary>
/// An in-process cluster with the real PostgreSQL event log and grain storage, and Orleans memory streams standing
/// in for Event Hubs: the same <see cref="SampleMind.Ingest.SegmentStream"/> namespace, implicit-only pub/sub as
/// in production, consumed by the real ingest consumer grain.
/// </summary>
public sealed class SegmentStreamFixture : IAsyncLifetime
{
    public const string StreamProvider = "segment-memory";

    public FakeTimeProvider Time { get; } = new(ClusterFixture.Start);
    public PostgresDatabase Database { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    /// <summary>User id → how many of its next event-log appends fail (before touching PostgreSQL).</summary>
    public ConcurrentDictionary<string, int> FailingAppends { get; } = new(StringComparer.Ordinal);

    public async ValueTask InitializeAsync()
    {
        Database = await PostgresDatabase.CreateAsync();
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAdoNetGrainStorage("Default", options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = Database.ConnectionString;
            });
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.AddMemoryStreams(StreamProvider, c => c.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
            silo.Services.AddTestClock(Time);
            silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(Database.ConnectionString));
            silo.Services.AddSingleton<PostgresUserEventLog>();
            silo.Services.AddSingleton<IUserEventLog>(sp => new FaultyUserEventLog(sp.GetRequiredService<PostgresUserEventLog>(), FailingAppends));
            silo.Services.AddSampleMindUsers();
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(StreamProvider, c => c.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly)));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SegmentStreamCollection : ICollectionFixture<SegmentStreamFixture>
{
    public const string Name = "segment-stream";
}

/// <summary>The real event log, except that appends planned in <see cref="SegmentStreamFixture.FailingAppends"/> throw.</summary>
internal sealed class FaultyUserEventLog(IUserEventLog inner, ConcurrentDictionary<string, int> failing) : IUserEventLog
{
    public Task<bool[]> AppendAsync(string userId, IReadOnlyList<LogRow> rows, CancellationToken cancellationToken = default)
    {
        if (failing.TryGetValue(userId, out var left) && left > 0 && failing.TryUpdate(userId, left - 1, left))
        {
            throw new InvalidOperationException($"Injected event log failure for {userId}");
        }

        return inner.AppendAsync(userId, rows, cancellationToken);
    }

    public IAsyncEnumerable<StoredEvent> ReadAfterAsync(string userId, long afterSeq, CancellationToken cancellationToken = default)
        => inner.ReadAfterAsync(userId, afterSeq, cancellationToken);

    public Task<HashSet<string>> ContainsAsync(string userId, IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken = default)
        => inner.ContainsAsync(userId, messageIds, cancellationToken);
}
