using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Diagnostics;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET/PUT /api/diagnostics/probe/{key}: a persistent probe grain for operators and process tests.</summary>
public static class DiagnosticsApi
{
    public static IEndpointRouteBuilder MapDiagnosticsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/diagnostics").WithTags("Diagnostics").RequireApiRole(ApiRole.Admin);

        group.MapGet("/probe/{key}", GetProbeAsync)
            .WithName("GetProbe")
            .WithSummary("Reads the probe grain's stored value and the silo that answered.");

        group.MapPut("/probe/{key}", SetProbeAsync)
            .WithName("SetProbe")
            .WithSummary("Stores a value in the probe grain's persistent state (durable when this returns).");

        return app;
    }

    private static async Task<Ok<ProbeResponse>> GetProbeAsync(string key, IClusterClient client)
    {
        var reading = await client.GetGrain<IProbeGrain>(key).GetAsync();
        return TypedResults.Ok(ProbeResponse.From(key, reading));
    }

    private static async Task<Results<Ok<ProbeResponse>, ValidationProblem>> SetProbeAsync(string key, ProbeRequest request, IClusterClient client)
    {
        if (request.Value is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["value"] = ["value is required"] });
        }

        var grain = client.GetGrain<IProbeGrain>(key);
        await grain.SetAsync(request.Value);
        return TypedResults.Ok(ProbeResponse.From(key, await grain.GetAsync()));
    }
}

public sealed record class ProbeRequest(string? Value);

public sealed record class ProbeResponse(string Key, string? Value, string Silo, DateTimeOffset? WrittenAt)
{
    public static ProbeResponse From(string key, ProbeReading reading) => new(key, reading.Value, reading.Silo, reading.WrittenAt);
}
