using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Storage;
using SampleMind.IntegrationTests.Infrastructure;

namespace SampleMind.IntegrationTests.Database;

/// <summary>Orleans' ADO.NET grain storage against our schema, in a real silo.</summary>
public sealed class AdoNetGrainStorageTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string ServiceId = "storage-tests";

    private IHost? _host;

    private IGrainFactory Grains => _host!.Services.GetRequiredService<IGrainFactory>();

    public async ValueTask InitializeAsync()
    {
        var ports = LocalPorts.Take(2);
        _host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(silo => silo
                .UseLocalhostClustering(ports[0], ports[1], serviceId: ServiceId, clusterId: "storage-tests")
                .AddAdoNetGrainStorage("Default", o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = database.ConnectionString;
                })
                .AddAdoNetGrainStorage("Deleting", o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = database.ConnectionString;
                    o.DeleteStateOnClear = true;
                }))
            .Build();
        await _host.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }
    }

    [Fact]
    public async Task State_SurvivesDeactivation_WithTheVersionAsETag()
    {
        var grain = Grains.GetGrain<IStorageProbeGrain>("survives");

        Assert.Equal(new ProbeSnapshot(null, null, false), await grain.GetAsync("kept"));
        Assert.Equal(new ProbeSnapshot("one", "1", true), await grain.WriteAsync("kept", "one"));
        Assert.Equal(new ProbeSnapshot("two", "2", true), await grain.WriteAsync("kept", "two"));
        await grain.DeactivateAsync();

        Assert.Equal(new ProbeSnapshot("two", "2", true), await grain.GetAsync("kept"));
        var row = await RowAsync("survives", "kept");
        Assert.Equal(2, row.Version);
        Assert.Contains("\"two\"", row.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_WithAStaleETag_RaisesInconsistentState_AndLeavesTheRowAlone()
    {
        var grain = Grains.GetGrain<IStorageProbeGrain>("stale");
        Assert.Equal(new ProbeSnapshot("mine", "1", true), await grain.WriteAsync("kept", "mine"));

        // Another writer (say, a duplicate activation after a partition) got there first.
        Assert.Equal(1, await database.ExecuteAsync(
            "UPDATE orleans.grain_state SET version = version + 1 WHERE service_id = @s AND grain_id_ext = 'stale' AND grain_type = 'kept'",
            ("s", ServiceId)));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.WriteAsync("kept", "lost update"));
        var row = await RowAsync("stale", "kept");
        Assert.Equal(2, row.Version);
        Assert.Contains("\"mine\"", row.Payload, StringComparison.Ordinal);

        await grain.DeactivateAsync();
        Assert.Equal(new ProbeSnapshot("mine", "2", true), await grain.GetAsync("kept"));
        Assert.Equal(new ProbeSnapshot("again", "3", true), await grain.WriteAsync("kept", "again"));
    }

    [Fact]
    public async Task FirstWrite_WhenAnotherWriterInsertedTheRow_RaisesInconsistentState()
    {
        var grain = Grains.GetGrain<IStorageProbeGrain>("raced");
        Assert.Equal(new ProbeSnapshot(null, null, false), await grain.GetAsync("kept"));
        await database.ExecuteAsync(
            """
            INSERT INTO orleans.grain_state (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext, grain_id_hash, grain_type_hash, payload, version)
            VALUES (@s, 'kept', 0, 0, 'raced', 0, 0, NULL, 1)
            """,
            ("s", ServiceId));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.WriteAsync("kept", "late"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM orleans.grain_state WHERE grain_id_ext = 'raced'"));
    }

    [Fact]
    public async Task Clear_KeepsTheRowWithoutPayload_AndTheVersionKeepsGrowing()
    {
        var grain = Grains.GetGrain<IStorageProbeGrain>("cleared");
        await grain.WriteAsync("kept", "one");

        Assert.Equal(new ProbeSnapshot(null, "2", false), await grain.ClearAsync("kept"));
        var row = await RowAsync("cleared", "kept");
        Assert.Equal((2, "NULL"), (row.Version, row.Payload));

        await grain.DeactivateAsync();
        Assert.Equal(new ProbeSnapshot(null, "2", false), await grain.GetAsync("kept"));
        Assert.Equal(new ProbeSnapshot("after", "3", true), await grain.WriteAsync("kept", "after"));
    }

    [Fact]
    public async Task Clear_WithDeleteStateOnClear_RemovesTheRow_AndTheNextWriteStartsOver()
    {
        var grain = Grains.GetGrain<IStorageProbeGrain>("deleted");
        Assert.Equal(new ProbeSnapshot("one", "1", true), await grain.WriteAsync("deleted", "one"));
        Assert.Equal(new ProbeSnapshot("two", "2", true), await grain.WriteAsync("deleted", "two"));

        Assert.Equal(new ProbeSnapshot(null, null, false), await grain.ClearAsync("deleted"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM orleans.grain_state WHERE grain_id_ext = 'deleted'"));

        Assert.Equal(new ProbeSnapshot("three", "1", true), await grain.WriteAsync("deleted", "three"));
        await grain.DeactivateAsync();
        Assert.Equal(new ProbeSnapshot("three", "1", true), await grain.GetAsync("deleted"));
    }

    [Fact]
    public async Task States_OfOneGrain_AndOfGrainsWithOtherKeys_AreSeparateRows()
    {
        var first = Grains.GetGrain<IStorageProbeGrain>("separate-1");
        var second = Grains.GetGrain<IStorageProbeGrain>("separate-2");
        await first.WriteAsync("kept", "a");
        await first.WriteAsync("deleted", "b");
        await second.WriteAsync("kept", "c");

        Assert.Equal(
            ["kept\tseparate-1\t1", "deleted\tseparate-1\t1", "kept\tseparate-2\t1"],
            await database.RowsAsync(
                "SELECT grain_type, grain_id_ext, version FROM orleans.grain_state WHERE grain_id_ext LIKE 'separate-%' ORDER BY grain_id_ext, id"));
    }

    private async Task<(int Version, string Payload)> RowAsync(string key, string stateName)
    {
        var rows = await database.RowsAsync(
            "SELECT version, coalesce(convert_from(payload, 'UTF8'), 'NULL') FROM orleans.grain_state WHERE service_id = @s AND grain_type = @t AND grain_id_ext = @k",
            ("s", ServiceId), ("t", stateName), ("k", key));
        var fields = Assert.Single(rows).Split('\t');
        return (int.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture), fields[1]);
    }
}
