using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.TestingHost;
using SampleMind.Hosting;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests;

/// <summary>
/// One in-process Orleans cluster for the grain tests, with the real PostgreSQL event log and grain storage on a
/// throwaway database, and a fake clock the tests move.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Start);
    public PostgresDatabase Database { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    /// <summary>How many silos the cluster starts with.</summary>
    protected virtual short Silos => 1;

    /// <summary>Services a derived fixture adds or configures after the product's own.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async ValueTask InitializeAsync()
    {
        Database = await PostgresDatabase.CreateAsync();
        var builder = new InProcessTestClusterBuilder(initialSilosCount: Silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAdoNetGrainStorage("Default", options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = Database.ConnectionString;
            });
            silo.Services.AddTestClock(Time);
            silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(Database.ConnectionString));
            silo.Services.Configure<UserGrainOptions>(o => o.SnapshotEveryEvents = 500);
            silo.Services.AddSampleMindUsers();
            ConfigureServices(silo.Services);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Deactivates every idle grain, so the next call activates it again from its snapshot and the log.</summary>
    public Task DeactivateAllAsync()
        => Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
    }
}

/// <summary>Two silos: for what only happens when an activation moves between silos (migration, a silo leaving).</summary>
public sealed class TwoSiloClusterFixture : ClusterFixture
{
    protected override short Silos => 2;
}

[CollectionDefinition(Name)]
public sealed class TwoSiloClusterCollection : ICollectionFixture<TwoSiloClusterFixture>
{
    public const string Name = "two-silo-cluster";
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>A cluster of its own for tests that compare aggregates with SQL over the whole event log.</summary>
[CollectionDefinition(Name)]
public sealed class KpiClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "kpi-cluster";
}
