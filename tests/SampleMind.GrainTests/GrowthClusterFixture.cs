using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.TestingHost;
using SampleMind.Alerts;
using SampleMind.Hosting;
using SampleMind.Outbox;

namespace SampleMind.GrainTests;

/// <summary>
/// A cluster of its own for the alert and retention tests: real PostgreSQL (alert log, outbox), a fake clock the tests move, the
/// seed's rules with a launched feature and a lower daily-churn minimum, and a real local webhook receiver.
/// </summary>
public sealed class GrowthClusterFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Launched 30 days before <see cref="Start"/>: its adoption is judged on the KPI day 23 days before (no other test is active then).</summary>
    public const string LaunchedFeature = "stem_splitter";

    public static readonly DateOnly Launch = DateOnly.FromDateTime(Start.UtcDateTime).AddDays(-30);

    public FakeTimeProvider Time { get; } = new(Start);
    public PostgresDatabase Database { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public WebhookReceiver Receiver { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        Database = await PostgresDatabase.CreateAsync();
        Receiver = await WebhookReceiver.StartAsync();
        Receiver.FailFirstAttempts = 1;
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAdoNetGrainStorage("Default", options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = Database.ConnectionString;
            });
            silo.Services.AddTestClock(Time);
            silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(Database.ConnectionString));
            silo.Services.AddSampleMindUsers();
            silo.Services.Configure<AlertOptions>(o =>
            {
                o.WebhookUrl = Receiver.Url;
                o.DailyChurn.MinCount = 3;
                o.FeatureLaunches[LaunchedFeature] = Launch;
            });
            silo.Services.Configure<OutboxOptions>(o =>
            {
                o.AllowedHosts = ["127.0.0.1"];
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                o.InitialBackoff = TimeSpan.FromMilliseconds(200);
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Receiver.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AlertClusterCollection : ICollectionFixture<GrowthClusterFixture>
{
    public const string Name = "alert-cluster";
}

[CollectionDefinition(Name)]
public sealed class RetentionClusterCollection : ICollectionFixture<GrowthClusterFixture>
{
    public const string Name = "retention-cluster";
}
