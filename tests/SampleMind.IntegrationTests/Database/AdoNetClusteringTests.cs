using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SampleMind.IntegrationTests.Infrastructure;

namespace SampleMind.IntegrationTests.Database;

/// <summary>Orleans' ADO.NET membership and gateway list against our schema: a real silo and a real client.</summary>
public sealed class AdoNetClusteringTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const int Active = 3;
    private const int Dead = 6;

    [Fact]
    public async Task Silo_JoinsAsActive_AndAClientFindsItThroughTheGatewayList()
    {
        var clusterId = $"cluster-{Guid.NewGuid():N}";
        var ports = LocalPorts.Take(2);
        using var silo = BuildSilo(clusterId, ports[0], ports[1]);
        await silo.StartAsync(TestContext.Current.CancellationToken);

        var members = await MembersAsync(clusterId);
        Assert.Equal([$"127.0.0.1\t{ports[0]}\t{Active}\t{ports[1]}"], members.Select(m => string.Join('\t', m.Split('\t').Take(4))));
        Assert.True(
            await database.ScalarAsync<bool>(
                "SELECT bool_and(abs(extract(epoch FROM now() - start_time)) < 120 AND abs(extract(epoch FROM now() - i_am_alive_time)) < 120) FROM orleans.membership WHERE deployment_id = @c",
                ("c", clusterId)),
            "start and I-am-alive times are stored as the UTC instants the silo sent");
        // Insert (Joining) and the update to Active each moved the table version on.
        Assert.True(await database.ScalarAsync<int>("SELECT version FROM orleans.membership_version WHERE deployment_id = @c", ("c", clusterId)) >= 2);

        using var client = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .UseOrleansClient(c => c
                .UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = database.ConnectionString;
                })
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = "clustering-tests";
                }))
            .Build();
        await client.StartAsync(TestContext.Current.CancellationToken);

        var echo = client.Services.GetRequiredService<IClusterClient>().GetGrain<IEchoGrain>(7);
        Assert.Equal($"hello@{ports[0]}", await echo.EchoAsync("hello"));

        await client.StopAsync(TestContext.Current.CancellationToken);
        await silo.StopAsync(TestContext.Current.CancellationToken);

        var afterStop = await MembersAsync(clusterId);
        Assert.Equal([$"127.0.0.1\t{ports[0]}\t{Dead}\t{ports[1]}"], afterStop.Select(m => string.Join('\t', m.Split('\t').Take(4))));
    }

    [Fact]
    public async Task SecondSilo_JoinsTheFirst_AndBothAreActiveInTheTable()
    {
        var clusterId = $"cluster-{Guid.NewGuid():N}";
        var ports = LocalPorts.Take(4);
        using var first = BuildSilo(clusterId, ports[0], ports[1]);
        using var second = BuildSilo(clusterId, ports[2], ports[3]);
        await first.StartAsync(TestContext.Current.CancellationToken);
        await second.StartAsync(TestContext.Current.CancellationToken);

        var members = await Eventually.GetAsync(
            () => MembersAsync(clusterId),
            rows => rows.Count == 2 && rows.All(r => r.Split('\t')[2] == $"{Active}"));
        Assert.Equal(
            new[] { $"127.0.0.1\t{ports[0]}\t{Active}\t{ports[1]}", $"127.0.0.1\t{ports[2]}\t{Active}\t{ports[3]}" }.Order(),
            members.Select(m => string.Join('\t', m.Split('\t').Take(4))).Order());

        // Each silo sees the other through the membership table: a grain call from one lands wherever it is placed.
        var grains = second.Services.GetRequiredService<IGrainFactory>();
        var replies = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => grains.GetGrain<IEchoGrain>(i).EchoAsync("x")));
        Assert.All(replies, r => Assert.True(r == $"x@{ports[0]}" || r == $"x@{ports[2]}", r));

        await second.StopAsync(TestContext.Current.CancellationToken);
        await first.StopAsync(TestContext.Current.CancellationToken);
    }

    private IHost BuildSilo(string clusterId, int siloPort, int gatewayPort) =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(silo => silo
                .UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = database.ConnectionString;
                })
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = "clustering-tests";
                })
                .ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: false))
            .Build();

    /// <summary>address, port, status, proxy port, silo name, start time (one line per silo).</summary>
    private Task<IReadOnlyList<string>> MembersAsync(string clusterId) =>
        database.RowsAsync(
            "SELECT address, port, status, proxy_port, silo_name, start_time FROM orleans.membership WHERE deployment_id = @c ORDER BY port",
            ("c", clusterId));
}
