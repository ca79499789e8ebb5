using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.Streams;
using Orleans.TestingHost;
using SampleMind.Hosting;
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
    public TestDatabase Database { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
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
            silo.Services.AddSingleton<TimeProvider>(Time);
            silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(Database.ConnectionString));
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
