using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;
using SampleMind.Users;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/users/{id}/export (privacy) and GET /api/audit (admin): a person's data, and who read it.</summary>
public static class PrivacyApi
{
    private const int MaxUserIdLength = 256;

    public static IEndpointRouteBuilder MapPrivacyApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/users").WithTags("Privacy").RequireApiRole(ApiRole.Privacy)
            .MapGet("/{id}/export", ExportAsync)
            .WithPersonReadAudit()
            .WithName("ExportUser")
            .WithSummary("Everything held about one person as one JSON document (streamed): the 360° view, the user-index row, "
                + "retention assignments, Stripe customer mappings and every event of their log.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var erasure = app.MapGroup("/api").WithTags("Privacy").RequireApiRole(ApiRole.Privacy);
        erasure.MapDelete("/users/{id}", EraseAsync)
            .WithName("EraseUser")
            .WithSummary("Erases a person (and the anonymous ids merged into them) as a durable job: 200 with the job when it "
                + "finished within Privacy:ErasureWait, else 202 with its URL in Location. Their later messages are acked as duplicates.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        erasure.MapGet("/erasures/{id}", GetErasureAsync)
            .WithName("GetErasure")
            .WithSummary("An erasure job: queued, erasing, subtracted or done, with what it erased.");

        app.MapGroup("/api/audit").WithTags("Privacy").RequireApiRole(ApiRole.Admin)
            .MapGet("/", GetAuditAsync)
            .WithName("GetReadAudit")
            .WithSummary("The recorded reads of people's data, oldest first: of one person (userId), in [from, to).");

        return app;
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult, ValidationProblem>> ExportAsync(
        string id, IClusterClient client, UserExportWriter exporter, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        HttpContext http)
    {
        if (Validate(id) is { } problem)
        {
            return problem;
        }
        var view = await client.GetGrain<IUserGrain>(id).GetAsync();
        if (view is null && !await exporter.HasEventsAsync(id, http.RequestAborted))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "User not found",
                detail: $"nothing is held about user '{id}'");
        }
        var options = json.Value.SerializerOptions;
        return TypedResults.Stream(body => exporter.WriteAsync(body, id, view, options, http.RequestAborted), "application/json",
            fileDownloadName: null);
    }

    private static async Task<Results<Ok<ErasureJobView>, Accepted<ErasureJobView>, ProblemHttpResult, ValidationProblem>> EraseAsync(
        string id, IClusterClient client, UserExportWriter exporter, ErasureJobs jobs, IOptions<PrivacyOptions> options,
        HttpContext http)
    {
        if (Validate(id) is { } problem)
        {
            return problem;
        }
        if (await client.GetGrain<IUserGrain>(id).GetAsync() is null && !await exporter.HasEventsAsync(id, http.RequestAborted))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "User not found",
                detail: $"nothing is held about user '{id}'");
        }
        var keyId = http.User.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value ?? "unknown";
        var job = await jobs.RequestAsync(id, keyId, http.RequestAborted);
        var waitUntil = DateTimeOffset.UtcNow + options.Value.ErasureWait;
        while (job.State != "done" && DateTimeOffset.UtcNow < waitUntil)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), http.RequestAborted);
            job = await jobs.GetAsync(job.Id, http.RequestAborted) ?? job;
        }
        return job.State == "done" ? TypedResults.Ok(job) : TypedResults.Accepted($"/api/erasures/{job.Id}", job);
    }

    private static async Task<Results<Ok<ErasureJobView>, ProblemHttpResult, ValidationProblem>> GetErasureAsync(
        string id, ErasureJobs jobs, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var jobId))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["an erasure job id is a UUID"] });
        }
        return await jobs.GetAsync(jobId, cancellationToken) is { } job
            ? TypedResults.Ok(job)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Erasure job not found",
                detail: $"there is no erasure job '{jobId}'");
    }

    private static async Task<Results<Ok<ReadAuditPage>, ValidationProblem>> GetAuditAsync(
        ReadAuditLog audit, CancellationToken cancellationToken, string? userId = null, DateTimeOffset? from = null,
        DateTimeOffset? to = null)
    {
        if (userId is not null && Validate(userId) is { } problem)
        {
            return problem;
        }
        if (from is { } f && to is { } t && t < f)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["must not be before from"] });
        }
        var rows = await audit.QueryAsync(userId, from, to, cancellationToken);
        return TypedResults.Ok(new ReadAuditPage(userId, rows.Count == ReadAuditLog.MaxRows, rows));
    }

    private static ValidationProblem? Validate(string id)
        => string.IsNullOrWhiteSpace(id) || id.Length > MaxUserIdLength
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["id"] = [$"a user id is 1 to {MaxUserIdLength} characters"],
            })
            : null;
}

/// <summary>An answer of GET /api/audit; <c>Truncated</c> when more rows matched than one answer holds.</summary>
public sealed record class ReadAuditPage(string? UserId, bool Truncated, IReadOnlyList<ReadAuditEntry> Reads);
