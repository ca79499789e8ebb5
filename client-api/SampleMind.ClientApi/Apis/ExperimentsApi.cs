using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Analytics.Experiments;
using SampleMind.Analytics.Ingest;
using System.Security.Claims;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;
using SampleMind.Experiments;

namespace SampleMind.ClientApi.Apis;

/// <summary>
/// Experiments (README "Experiments"): POST /api/experiments and /api/experiments/{key}/stop (growth role);
/// GET /api/experiments, /api/experiments/{key} and /api/experiments/{key}/assignment?userId= (read role).
/// </summary>
public static class ExperimentsApi
{
    public static IEndpointRouteBuilder MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        var experiments = app.MapGroup("/api/experiments").WithTags("Experiments").RequireApiRole(ApiRole.Read);

        experiments.MapGet("/", ListForCallerAsync)
            .WithName("ListExperiments")
            .WithSummary("Every experiment with its live results.");

        experiments.MapPost("/", CreateAsync)
            .WithName("CreateExperiment")
            .WithSummary("Creates an experiment: {key, variants: [{name, weight, price?}], metric: {event, withinDays}, segment?, startAt?} (startAt: a past instant, to back-test on history; default now). The first variant is the control. 201 created, 200 when the same definition exists, 409 when another one holds the key.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireApiRole(ApiRole.Growth);

        experiments.MapGet("/{key}", GetAsync)
            .WithName("GetExperiment")
            .WithSummary("Per variant: exposed, conversions, rate, revenue per visitor, churn; against the control: difference with a 95 % interval, z, p and the always-valid sequential p; the sample-ratio check and the winner.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        experiments.MapGet("/{key}/assignment", AssignAsync)
            .WithName("AssignExperiment")
            .WithSummary("The person's sticky variant (a hash of key and person); records the exposure once while the experiment runs. A stopped experiment answers the same variant and records nothing.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        experiments.MapPost("/{key}/stop", StopAsync)
            .WithName("StopExperiment")
            .WithSummary("Stops recording new exposures; people already exposed keep counting inside their windows.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireApiRole(ApiRole.Growth);

        return app;
    }

    private static async Task<Ok<ExperimentView[]>> ListForCallerAsync(IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        var views = (await ListAsync(client)).Value!;
        return TypedResults.Ok(policy.For(user) is { } groups ? await Task.WhenAll(views.Select(v => SuppressAsync(client, groups, v))) : views);
    }

    /// <summary>The view with its small groups withheld (the churned counts come from the grain's totals).</summary>
    internal static async Task<ExperimentView> SuppressAsync(IClusterClient client, SmallGroups groups, ExperimentView view)
        => groups.Experiment(view, await client.GetGrain<IExperimentGrain>(view.Key).GetTotalsAsync());

    internal static async Task<Ok<ExperimentView[]>> ListAsync(IClusterClient client)
    {
        var catalog = await client.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ChangedSinceAsync(-1);
        var views = await Task.WhenAll((catalog?.Specs ?? []).Select(s => client.GetGrain<IExperimentGrain>(s.Key).GetAsync()));
        return TypedResults.Ok(views.OfType<ExperimentView>().ToArray());
    }

    private static async Task<Results<Ok<ExperimentView>, ProblemHttpResult>> GetAsync(
        string key, IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        if (await client.GetGrain<IExperimentGrain>(key).GetAsync() is not { } view)
        {
            return NotFound(key);
        }
        return TypedResults.Ok(policy.For(user) is { } groups ? await SuppressAsync(client, groups, view) : view);
    }

    private static async Task<Results<Ok<ExperimentView>, ProblemHttpResult>> StopAsync(
        string key, IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        if (await client.GetGrain<IExperimentGrain>(key).StopAsync() is not { } view)
        {
            return NotFound(key);
        }
        return TypedResults.Ok(policy.For(user) is { } groups ? await SuppressAsync(client, groups, view) : view);
    }

    private static async Task<Results<Ok<ExperimentAssignment>, ProblemHttpResult, ValidationProblem>> AssignAsync(string key, string? userId, IClusterClient client)
    {
        if (string.IsNullOrEmpty(userId) || Encoding.UTF8.GetByteCount(userId) > IngestLimits.MaxIdBytes || userId.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') >= 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["userId"] = [$"userId is required: 1 to {IngestLimits.MaxIdBytes} bytes, no control characters"],
            });
        }
        return await client.GetGrain<IExperimentGrain>(key).AssignAsync(userId) is { } assignment ? TypedResults.Ok(assignment) : NotFound(key);
    }

    private static async Task<Results<Created<ExperimentView>, Ok<ExperimentView>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        HttpRequest request, IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        ExperimentSpec? spec;
        Dictionary<string, string[]> errors;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            (spec, errors) = Read(body.RootElement);
        }
        catch (JsonException)
        {
            (spec, errors) = (null, new Dictionary<string, string[]> { ["body"] = ["the body is not JSON"] });
        }
        if (spec is null || errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "Invalid experiment.");
        }
        var grain = client.GetGrain<IExperimentGrain>(spec.Key);
        switch (await grain.CreateAsync(spec))
        {
            case ExperimentCreation.Conflict:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Experiment exists",
                    detail: $"experiment '{spec.Key}' exists with another definition; choose another key");
            case ExperimentCreation.CatalogueFull:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too many experiments",
                    detail: $"the catalogue holds {IExperimentCatalogGrain.MaxExperiments} experiments, its ceiling");
            case ExperimentCreation.Unchanged:
                // The same definition again answers the live results: the threshold applies to them.
                var existing = (await grain.GetAsync())!;
                return TypedResults.Ok(policy.For(user) is { } groups ? await SuppressAsync(client, groups, existing) : existing);
            default:
                return TypedResults.Created($"/api/experiments/{Uri.EscapeDataString(spec.Key)}", (await grain.GetAsync())!);
        }
    }

    /// <summary>The body as a spec, or the errors naming each bad field (types here, meaning in <see cref="ExperimentDefinition.Problems"/>).</summary>
    private static (ExperimentSpec?, Dictionary<string, string[]>) Read(JsonElement root)
    {
        var errors = new Dictionary<string, string[]>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["the body is a JSON object {key, variants: [{name, weight, price?}], metric: {event, withinDays}, segment?}"];
            return (null, errors);
        }
        string? String(JsonElement parent, string name, string field)
        {
            if (!parent.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (v.ValueKind != JsonValueKind.String)
            {
                errors[field] = [$"{field} must be a string"];
                return null;
            }
            return v.GetString();
        }
        double? Number(JsonElement parent, string name, string field)
        {
            if (!parent.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (v.ValueKind != JsonValueKind.Number)
            {
                errors[field] = [$"{field} must be a number"];
                return null;
            }
            return v.GetDouble();
        }

        var key = String(root, "key", "key") ?? "";
        var variants = new List<VariantDefinition>();
        if (root.TryGetProperty("variants", out var vs) && vs.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var v in vs.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Object)
                {
                    errors[$"variants[{i}]"] = ["a variant is an object {name, weight, price?}"];
                }
                else
                {
                    var price = Number(v, "price", $"variants[{i}].price");
                    variants.Add(new VariantDefinition(String(v, "name", $"variants[{i}].name") ?? "",
                        Number(v, "weight", $"variants[{i}].weight") ?? double.NaN, price is { } p && double.IsFinite(p) && Math.Abs(p) < 1e9 ? (decimal)p : price is null ? null : -1));
                }
                i++;
            }
        }
        var metricEvent = "";
        var withinDays = 0;
        if (root.TryGetProperty("metric", out var metric) && metric.ValueKind == JsonValueKind.Object)
        {
            metricEvent = String(metric, "event", "metric.event") ?? "";
            if (Number(metric, "withinDays", "metric.withinDays") is { } days)
            {
                withinDays = days == Math.Floor(days) && Math.Abs(days) <= ExperimentDefinition.MaxWithinDays * 10 ? (int)days : -1;
            }
        }
        else
        {
            errors["metric"] = ["metric is required: {event, withinDays}"];
        }
        var segment = String(root, "segment", "segment");
        DateTimeOffset startAt = default;
        if (String(root, "startAt", "startAt") is { } start)
        {
            var now = DateTimeOffset.UtcNow;
            if (!DateTimeOffset.TryParse(start, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out startAt)
                || startAt > now.AddMinutes(1) || startAt < now.AddDays(-366))
            {
                errors["startAt"] = ["startAt is an instant (ISO 8601) from 366 days ago to now: it back-tests on history; the default is now"];
            }
        }
        var definition = new ExperimentDefinition(key, variants, new ExperimentMetric(metricEvent, withinDays), segment);
        foreach (var group in definition.Problems().Where(p => p.Field != "metric.event" || !errors.ContainsKey("metric")).GroupBy(p => p.Field))
        {
            errors.TryAdd(group.Key, [.. group.Select(p => $"{group.Key} {p.Message}")]);
        }
        return errors.Count > 0 ? (null, errors)
            : (new ExperimentSpec(key, [.. variants.Select(v => new VariantSpec(v.Name, v.Weight, v.Price))], metricEvent, withinDays, segment) { StartedAt = startAt }, errors);
    }

    private static ProblemHttpResult NotFound(string key)
        => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Experiment not found", detail: $"no experiment '{key}' exists");
}
