using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SampleMind.Users;

namespace SampleMind.Diagnostics;

/// <summary>The silo's managed heap and activation counts, for <c>samplemind bench</c> (bytes per active user).</summary>
public sealed record class SiloRuntimeReading(
    long ManagedHeapBytes,
    long GcHeapSizeBytes,
    int ActiveUserGrains,
    int Activations,
    int Gen2Collections,
    double ProcessCpuSeconds,
    bool ForcedFullGc);

public static class RuntimeDiagnostics
{
    /// <summary>
    /// <c>GET /diagnostics/runtime[?gc=full]</c> on the silo's web port: managed heap bytes (after a forced, compacting
    /// full collection with <c>gc=full</c>), active user grains and all activations on this silo, CPU seconds used.
    /// </summary>
    public static IEndpointRouteBuilder MapSiloDiagnostics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/diagnostics/runtime", async (string? gc, IServiceProvider services) =>
        {
            var full = string.Equals(gc, "full", StringComparison.OrdinalIgnoreCase);
            if (full)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            }

            var silo = services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var management = services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
            var statistics = await management.GetSimpleGrainStatistics([silo]);
            var userType = typeof(UserGrain).FullName!;
            var process = System.Diagnostics.Process.GetCurrentProcess();
            return Results.Ok(new SiloRuntimeReading(
                ManagedHeapBytes: GC.GetTotalMemory(forceFullCollection: false),
                GcHeapSizeBytes: GC.GetGCMemoryInfo().HeapSizeBytes,
                ActiveUserGrains: statistics.Where(s => s.GrainType.Contains(userType, StringComparison.Ordinal)).Sum(s => s.ActivationCount),
                Activations: statistics.Sum(s => s.ActivationCount),
                Gen2Collections: GC.CollectionCount(2),
                ProcessCpuSeconds: process.TotalProcessorTime.TotalSeconds,
                ForcedFullGc: full));
        })
        .ExcludeFromDescription();
        return app;
    }
}
