using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SampleMind.ClientApi.Hosting;

/// <summary>Healthy when the client has connected and the cluster answers a management call.</summary>
public sealed class ClusterHealthCheck(IClusterClient client, IHostApplicationLifetime lifetime) : IHealthCheck
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The Orleans client connects while the host starts; until then a grain call would only fail or wait.
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("connecting to the cluster");
        }

        try
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(CallTimeout, cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s)")
                : HealthCheckResult.Unhealthy("no active silo");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"cluster call failed: {ex.GetBaseException().Message.ReplaceLineEndings(" ")}");
        }
    }
}
