using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SampleMind.IntegrationTests.Infrastructure;

namespace SampleMind.IntegrationTests.Database;

/// <summary>Orleans' ADO.NET reminder table against our schema, in a real silo.</summary>
public sealed class AdoNetRemindersTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string ServiceId = "reminder-tests";

    private IHost? _host;

    private IGrainFactory Grains => _host!.Services.GetRequiredService<IGrainFactory>();

    public async ValueTask InitializeAsync()
    {
        var ports = LocalPorts.Take(2);
        _host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(silo => silo
                .UseLocalhostClustering(ports[0], ports[1], serviceId: ServiceId, clusterId: "reminder-tests")
                .UseAdoNetReminderService(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = database.ConnectionString;
                })
                // Production keeps Orleans' one-minute floor; the test needs ticks within seconds.
                .Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1)))
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
    public async Task Reminder_IsStoredInPostgres_AndFires()
    {
        var grain = Grains.GetGrain<IReminderProbeGrain>("fires");
        await grain.StartAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        var grainId = grain.GetGrainId().ToString();
        Assert.Equal(
            [$"{grainId}\ttick\t1000\t0"],
            await database.RowsAsync(
                "SELECT grain_id, reminder_name, period_ms, version FROM orleans.reminders WHERE service_id = @s AND grain_id = @g",
                ("s", ServiceId), ("g", grainId)));
        Assert.Equal(
            unchecked((int)grain.GetGrainId().GetUniformHashCode()),
            await database.ScalarAsync<int>("SELECT grain_hash FROM orleans.reminders WHERE grain_id = @g", ("g", grainId)));

        Assert.True(
            await database.ScalarAsync<bool>(
                "SELECT abs(extract(epoch FROM now() + interval '1 second' - start_time)) < 60 FROM orleans.reminders WHERE grain_id = @g",
                ("g", grainId)),
            "the first tick is stored as the UTC instant one second after registration");

        var ticks = await Eventually.GetAsync(grain.GetTicksAsync, count => count >= 2, TimeSpan.FromSeconds(20));
        Assert.True(ticks >= 2, $"ticks: {ticks}");

        await grain.StopAsync();
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM orleans.reminders WHERE grain_id = @g", ("g", grainId)));
    }

    [Fact]
    public async Task Reregistering_UpdatesTheRow_AndBumpsItsVersion()
    {
        var grain = Grains.GetGrain<IReminderProbeGrain>("updated");
        await grain.StartAsync(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));
        await grain.StartAsync(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));

        Assert.Equal(
            ["tick\t600000\t1"],
            await database.RowsAsync(
                "SELECT reminder_name, period_ms, version FROM orleans.reminders WHERE grain_id = @g",
                ("g", grain.GetGrainId().ToString())));

        await grain.StopAsync();
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM orleans.reminders WHERE grain_id = @g", ("g", grain.GetGrainId().ToString())));
    }
    [Fact]
    public async Task ReminderTable_ReadsRingRanges_IncludingWrappedOnes_AndDeletesOnlyWithTheCurrentETag()
    {
        var table = _host!.Services.GetRequiredService<IReminderTable>();
        // Far enough ahead that no silo of this class tries to fire these grain-less reminders.
        var start = DateTime.UnixEpoch.AddSeconds(Math.Floor((DateTime.UtcNow.AddDays(1) - DateTime.UnixEpoch).TotalSeconds));
        var entries = Enumerable.Range(0, 64)
            .Select(i => new ReminderEntry { GrainId = GrainId.Create("range-probe", $"g{i}"), ReminderName = "r", StartAt = start, Period = TimeSpan.FromMinutes(i + 1) })
            .ToList();
        foreach (var entry in entries)
        {
            Assert.Equal("0", await table.UpsertRow(entry, TestContext.Current.CancellationToken));
        }

        uint[] bounds = [0, 1_000_000_000, int.MaxValue, 2_500_000_000, 4_000_000_000, uint.MaxValue];
        foreach (var begin in bounds)
        {
            foreach (var end in bounds.Where(b => b != begin))
            {
                var expected = entries
                    .Where(e => InRing(e.GrainId.GetUniformHashCode(), begin, end))
                    .Select(e => e.GrainId.ToString())
                    .Order(StringComparer.Ordinal);
                var actual = (await table.ReadRows(begin, end, TestContext.Current.CancellationToken)).Reminders
                    .Where(r => r.GrainId.Type.ToString() == "range-probe")
                    .Select(r => r.GrainId.ToString())
                    .Order(StringComparer.Ordinal);
                Assert.Equal(expected, actual);
            }
        }

        var read = await table.ReadRow(entries[5].GrainId, "r", TestContext.Current.CancellationToken);
        Assert.NotNull(read);
        Assert.Equal((start, TimeSpan.FromMinutes(6), "0"), (read.StartAt, read.Period, read.ETag));
        Assert.False(await table.RemoveRow(entries[5].GrainId, "r", "1", TestContext.Current.CancellationToken));
        Assert.True(await table.RemoveRow(entries[5].GrainId, "r", "0", TestContext.Current.CancellationToken));
        Assert.Null(await table.ReadRow(entries[5].GrainId, "r", TestContext.Current.CancellationToken));
        Assert.Equal(63, await database.ExecuteAsync("DELETE FROM orleans.reminders WHERE grain_id LIKE 'range-probe/%'"));
    }

    // Orleans' ring range (begin, end], wrapping past uint.MaxValue when begin >= end.
    private static bool InRing(uint hash, uint begin, uint end) => begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;
}
