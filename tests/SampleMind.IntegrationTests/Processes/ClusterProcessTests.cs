using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>Two real silo processes on ADO.NET clustering in PostgreSQL, and client-api in front of them.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ClusterProcessTests
{
    private const int ActiveStatus = 3; // Orleans SiloStatus.Active

    [Fact]
    public async Task TwoSilos_OnAdoNetClustering_AreBothActive_InTheMembershipTable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var portsA = SiloPorts.Free();
        var portsB = SiloPorts.Free();
        var siloA = cluster.StartSilo("silo-a", portsA);
        var siloB = cluster.StartSilo("silo-b", portsB);
        var client = cluster.StartClientApi();

        await Task.WhenAll(
            siloA.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct),
            siloB.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct),
            client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));

        var rows = await ReadMembershipAsync(cluster, ct);
        Assert.Equal(ActiveStatus, Assert.Single(rows, r => r.Port == portsA.SiloPort).Status);
        Assert.Equal(ActiveStatus, Assert.Single(rows, r => r.Port == portsB.SiloPort).Status);
        Assert.Equal(2, rows.Count);

        var health = await client.GetJsonAsync<HealthBody>("/health/ready", ct);
        Assert.Equal("Healthy", health!.Status);
    }

    [Fact]
    public async Task ClientApi_StartedBeforeAnySilo_IsLiveAtOnce_AndBecomesReady_WhenASiloJoins()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var client = cluster.StartClientApi();
        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(5));

        var clock = Stopwatch.StartNew();
        HttpResponseMessage? live = null;
        while (live is null && clock.Elapsed < ProcessCluster.ReadyTimeout)
        {
            Assert.False(client.HasExited, client.Describe());
            try
            {
                live = await http.GetAsync("/health/live", ct);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(250, ct);
            }
        }

        Assert.Equal(System.Net.HttpStatusCode.OK, live?.StatusCode);
        using (var notReady = await http.GetAsync("/health/ready", ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }

        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        await client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
    }

    [Fact]
    public async Task GrainState_WrittenThroughOneSilo_SurvivesKill9_AndIsReadThroughTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var portsA = SiloPorts.Free();
        var portsB = SiloPorts.Free();
        var silos = new Dictionary<int, HostProcess>
        {
            [portsA.SiloPort] = cluster.StartSilo("silo-a", portsA),
            [portsB.SiloPort] = cluster.StartSilo("silo-b", portsB),
        };
        var client = cluster.StartClientApi();
        await Task.WhenAll(silos.Values.Select(s => s.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct))
            .Append(client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct)));

        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(15));
        var key = $"probe-{Guid.NewGuid():N}";
        var value = $"written at {DateTimeOffset.UtcNow:O}";
        using var put = await http.PutAsJsonAsync($"/api/diagnostics/probe/{key}", new { value }, ct);
        Assert.True(put.IsSuccessStatusCode, $"PUT answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync(ct)}");
        var written = (await put.Content.ReadFromJsonAsync<ProbeBody>(ct))!;
        Assert.Equal(value, written.Value);

        var writerPort = SiloPortOf(written.Silo);
        var writer = silos[writerPort];
        var survivorPort = silos.Keys.Single(p => p != writerPort);
        writer.Kill();

        // Until the cluster declares the killed silo dead, calls may fail or time out: retry within a generous bound.
        var clock = Stopwatch.StartNew();
        ProbeBody? read = null;
        var last = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            try
            {
                using var get = await http.GetAsync($"/api/diagnostics/probe/{key}", ct);
                var body = await get.Content.ReadAsStringAsync(ct);
                last = $"{(int)get.StatusCode} {body}";
                if (get.IsSuccessStatusCode)
                {
                    read = System.Text.Json.JsonSerializer.Deserialize<ProbeBody>(body, System.Text.Json.JsonSerializerOptions.Web);
                    break;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = ex.Message;
            }

            await Task.Delay(500, ct);
        }

        Assert.True(read is not null, $"no successful read within 90 s after kill -9 (last: {last})\n{cluster.DescribeAll()}");
        Assert.Equal(value, read.Value);
        Assert.Equal(survivorPort, SiloPortOf(read.Silo));
    }

    private static int SiloPortOf(string siloAddress)
    {
        // "127.0.0.1:11111@154556199" (SiloAddress.ToParsableString)
        var endpoint = siloAddress.Split('@')[0];
        return int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads membership through the providers' own stored query (MembershipReadAllKey in OrleansQuery), so the test
    /// checks what Orleans itself sees, whatever our tables are called.
    /// </summary>
    private static async Task<List<(int Port, int Status)>> ReadMembershipAsync(ProcessCluster cluster, CancellationToken ct)
    {
        await using var dataSource = cluster.Database.CreateDataSource();
        string queryText;
        await using (var query = dataSource.CreateCommand("SELECT querytext FROM orleansquery WHERE querykey = 'MembershipReadAllKey'"))
        {
            queryText = (string)(await query.ExecuteScalarAsync(ct))!;
        }

        await using var command = dataSource.CreateCommand(queryText);
        command.Parameters.Add(new NpgsqlParameter("DeploymentId", cluster.ClusterId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(int Port, int Status)>();
        while (await reader.ReadAsync(ct))
        {
            var port = reader.GetOrdinal("Port");
            if (!reader.IsDBNull(port))
            {
                rows.Add((Convert.ToInt32(reader.GetValue(port), System.Globalization.CultureInfo.InvariantCulture),
                          Convert.ToInt32(reader.GetValue(reader.GetOrdinal("Status")), System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        return rows;
    }

    private sealed record class ProbeBody(string Key, string? Value, string Silo);

    private sealed record class HealthBody(string Status);
}
