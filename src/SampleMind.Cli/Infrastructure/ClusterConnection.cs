using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

namespace SampleMind.Cli.Infrastructure;

/// <summary>An Orleans client for operator commands: ADO.NET clustering on the same PostgreSQL as the silos.</summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterConnection(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    public static async Task<ClusterConnection> ConnectAsync(NpgsqlDataSource dataSource, string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = dataSource.ConnectionString;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            host.Dispose();
            throw new CliException(
                $"cannot connect to the SampleMind cluster '{clusterId}' (service '{serviceId}'): {ex.Message.ReplaceLineEndings(" ")} — is a silo running? (./run.sh up)", 3, ex);
        }
        return new ClusterConnection(host);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            _host.Dispose();
        }
    }
}
