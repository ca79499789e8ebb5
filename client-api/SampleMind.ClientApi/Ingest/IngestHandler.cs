using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Privacy;
using SampleMind.Analytics.Quality;
using SampleMind.ClientApi.Quality;
using SampleMind.ClientApi.Security;
using SampleMind.ClientApi.Stripe;
using SampleMind.Ingest;
using SampleMind.Operations;
using SampleMind.Users;

namespace SampleMind.ClientApi.Ingest;

/// <summary>What Segment answers to an accepted call: <c>{"success": true}</c>.</summary>
public sealed record class IngestAccepted(bool Success);

/// <summary>
/// One <c>/v1/*</c> call: read the body under Segment's cap, validate it whole, then hand each user's events to
/// that user's grain (through the silo-local <see cref="IUserIngestRouterGrain"/>), all users concurrently. 200 only once
/// every grain call returned, i.e. every event is durable, and every identify carrying the trait
/// <c>stripe_customer_id</c> has mapped that Stripe customer to its person (<see cref="StripeEventApplier.MapByTraitAsync"/>;
/// in a host with the Stripe webhooks, i.e. client-api).
/// </summary>
public sealed class IngestHandler(
    IClusterClient cluster,
    IOptions<IngestOptions> options,
    TimeProvider time,
    ILogger<IngestHandler> logger,
    PiiProtector pii,
    IngestQualityCounters quality,
    StripeEventApplier? stripe = null)
{
    private readonly (byte[] Key, bool Grant)[] _writeKeys = [.. options.Value.WriteKeys.Select(k => (Encoding.UTF8.GetBytes(k), true))];

    /// <summary>Handles a POST to <paramref name="endpoint"/>.</summary>
    public async Task<Results<Ok<IngestAccepted>, ValidationProblem, ProblemHttpResult, ChallengeHttpResult>> HandleAsync(
        SegmentEndpoint endpoint,
        HttpRequest request,
        CancellationToken cancellationToken)
    {
        using var body = await BoundedBody.ReadAsync(request, SegmentBatchReader.MaxBatchBytes, cancellationToken);
        switch (body.Status)
        {
            case BodyReadStatus.TooLarge:
                return TooLarge();
            case BodyReadStatus.UnsupportedEncoding:
                Rejected("encoding");
                CountRefused("encoding");
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status415UnsupportedMediaType,
                    title: "Unsupported Content-Encoding",
                    detail: $"Content-Encoding '{request.Headers.ContentEncoding}' is not supported; use gzip, deflate, br or none.");
            case BodyReadStatus.CorruptEncoding:
                Rejected("encoding");
                CountRefused("encoding");
                return Invalid(endpoint, "body", $"is not valid {request.Headers.ContentEncoding} data", SegmentBodyProblem.NotJson, []);
        }

        // No key in the headers or query (the policy let it through): analytics.js's writeKey in the body, checked
        // before the events are looked at. A body that is not JSON falls through to the reader's 400.
        var authenticated = request.HttpContext.User.Identity?.AuthenticationType == WriteKeyAuthenticationHandler.SchemeName;
        if (!authenticated && SegmentBatchReader.FindWriteKey(body.Span, out var bodyKey) != BodyWriteKey.Unreadable)
        {
            if (bodyKey is null || !KeyAuthenticationHandler<bool>.TryFind(_writeKeys, Encoding.UTF8.GetBytes(bodyKey), out _))
            {
                return Unauthorized();
            }
            authenticated = true;
        }

        var receivedAt = time.GetUtcNow();
        var result = SegmentBatchReader.Read(body.Span, endpoint, receivedAt);
        if (result.Problem == SegmentBodyProblem.TooLarge)
        {
            return TooLarge();
        }

        if (!result.IsValid)
        {
            Rejected("invalid");
            quality.Add(DayOf(receivedAt), SegmentBatchReader.SourcesOfRefused(body.Span, endpoint),
                IngestQualityCounters.Rejected, "invalid");
            logger.LogInformation("Refused {Endpoint} body ({Problem}) with invalid indexes {Indexes}",
                endpoint, result.Problem, result.InvalidIndexes);
            return Invalid(result);
        }

        if (!authenticated)
        {
            return Unauthorized(); // not reached for a body the reader accepts: kept so nothing without a verified key is stored
        }

        var started = time.GetTimestamp();
        var users = result.GroupByUser();
        // One call into the cluster per request: a silo-local router calls each user's grain, every one even when
        // another fails, so a retry finds as much as possible already durable. Not the request's token: once the
        // cluster has the events it finishes durably either way.
        var callStarted = Stopwatch.GetTimestamp();
        var outcome = await cluster.GetGrain<IUserIngestRouterGrain>(0).IngestAsync(
            [.. users.Select(u => new UserEventBatch(u.UserKey, ToUserEvents(u)))], options.Value.MaxConcurrentGrainCalls);
        SampleMindMetrics.RecordStage("cluster_call", callStarted);
        if (outcome.FailedUsers > 0)
        {
            Rejected("unavailable");
            quality.Add(DayOf(receivedAt), IngestQualityCounters.BySource(result.Events.Select(e => e.Source)),
                IngestQualityCounters.Rejected, "unavailable");
            if (outcome.RejectedUsers > 0)
            {
                logger.LogInformation("The store refused events of {RejectedUsers} users for good: {Rejected}", outcome.RejectedUsers, Describe(outcome.Rejected));
            }
            logger.LogWarning("Ingest failed for {FailedUsers} of {Users} users ({Events} events); the client will retry. First error: {Error}",
                outcome.FailedUsers, users.Count, result.Events.Count, outcome.FirstError);
            request.HttpContext.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Events not stored",
                detail: "Some events could not be made durable. Retry the same request (same messageIds): duplicates are dropped.");
        }

        if (outcome.RejectedUsers > 0)
        {
            // Refused for good (by the store, not the reader): a retry fails the same way, so no Retry-After and no 5xx.
            Rejected("refused_by_store");
            CountHandedOver(DayOf(receivedAt), users, outcome, [.. outcome.Rejected.Select(r => r.MessageId)]);
            logger.LogInformation("The store refused events of {RejectedUsers} of {Users} users for good: {Rejected}",
                outcome.RejectedUsers, users.Count, Describe(outcome.Rejected));
            return TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Events refused by the store",
                detail: $"The event store refused {Describe(outcome.Rejected)}. This will not succeed on retry: change the events. "
                    + "The other users' events of this request were stored (sending them again is harmless: duplicates are dropped); "
                    + "nothing of a refused user's events was stored.",
                extensions: new Dictionary<string, object?>
                {
                    ["problem"] = "RefusedByStore",
                    ["refused"] = outcome.Rejected.Select(r => new { messageId = r.MessageId, sqlState = r.SqlState, reason = r.Reason }).ToArray(),
                });
        }

        CountHandedOver(DayOf(receivedAt), users, outcome, refused: null); // the events are durable from here on
        if (!await MapStripeCustomersAsync(result.Events))
        {
            Rejected("unavailable");
            request.HttpContext.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Stripe customer not mapped",
                detail: "The events are stored, but an identify's stripe_customer_id could not be mapped to its person yet. "
                    + "Retry the same request (same messageIds): duplicates are dropped and the mapping completes.");
        }

        SampleMindMetrics.DurableAckDuration.Record(time.GetElapsedTime(started).TotalSeconds);
        SampleMindMetrics.EventsIngested.Add(result.Events.Count, new KeyValuePair<string, object?>("source", "http"));
        return TypedResults.Ok(new IngestAccepted(true));
    }

    /// <summary>Maps the Stripe customer of each stored identify with the trait; false when the store or cluster failed.</summary>
    private async Task<bool> MapStripeCustomersAsync(IReadOnlyList<SegmentEvent> events)
    {
        if (stripe is null)
        {
            return true;
        }
        foreach (var e in events)
        {
            if (e.Type != "identify" || StripeEventApplier.CustomerOfIdentify(e.Json) is not { } customer)
            {
                continue;
            }
            try
            {
                await stripe.MapByTraitAsync(customer, e.UserKey, e.MessageId, CancellationToken.None);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OrleansException or SiloUnavailableException)
            {
                logger.LogWarning(ex, "Stripe customer {Customer} of identify {MessageId} not mapped yet; the client will retry", customer, e.MessageId);
                return false;
            }
        }
        return true;
    }

    private ChallengeHttpResult Unauthorized()
    {
        Rejected("unauthorized");
        CountRefused("unauthorized");
        // The write-key scheme's challenge: 401 ProblemDetails and WWW-Authenticate, as for a wrong Authorization header.
        return TypedResults.Challenge(authenticationSchemes: [WriteKeyAuthenticationHandler.SchemeName]);
    }

    private static void Rejected(string reason) =>
        SampleMindMetrics.IngestRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A body refused before its events were read: one event of an unknown source.</summary>
    private void CountRefused(string reason) =>
        quality.Add(DayOf(time.GetUtcNow()), IngestSource.Unknown, IngestQualityCounters.Rejected, reason, 1);

    /// <summary>
    /// The events the cluster took, per source: accepted, and the duplicates among them (a user's duplicates go to the
    /// source of their first event); a user with an event in <paramref name="refused"/> had nothing stored: rejected.
    /// </summary>
    private void CountHandedOver(
        DateOnly day, IReadOnlyList<SegmentUserBatch> users, UserIngestOutcome outcome, HashSet<string>? refused)
    {
        var accepted = new Dictionary<string, int>(1, StringComparer.Ordinal);
        var duplicates = new Dictionary<string, int>(1, StringComparer.Ordinal);
        var refusedBySource = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < users.Count; i++)
        {
            var user = users[i];
            var wasRefused = refused is not null && user.Events.Any(e => refused.Contains(e.MessageId));
            var target = wasRefused ? refusedBySource : accepted;
            foreach (var e in user.Events)
            {
                target[e.Source] = target.GetValueOrDefault(e.Source) + 1;
            }
            if (target == accepted && i < outcome.Duplicates.Length && outcome.Duplicates[i] > 0)
            {
                var source = user.Events[0].Source;
                duplicates[source] = duplicates.GetValueOrDefault(source) + outcome.Duplicates[i];
            }
        }
        quality.Add(day, accepted, IngestQualityCounters.Accepted, "");
        quality.Add(day, duplicates, IngestQualityCounters.Duplicate, "");
        quality.Add(day, refusedBySource, IngestQualityCounters.Rejected, "refused_by_store");
    }

    private static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);

    private static string Describe(RejectedEvent[] rejected) =>
        string.Join("; ", rejected.Take(5).Select(r => $"event '{r.MessageId}' ({r.SqlState}: {r.Reason})"))
        + (rejected.Length > 5 ? $" and {rejected.Length - 5} more" : "");

    // Personal data is protected here, before anything stores or logs the event (README "Personal data at rest").
    private UserEvent[] ToUserEvents(SegmentUserBatch user) =>
        [.. user.Events.Select(e => new UserEvent(e.MessageId, e.Type, e.Name, e.Timestamp, pii.Protect(e.Json)))];

    private ProblemHttpResult TooLarge()
    {
        Rejected("too_large");
        CountRefused("too_large");
        return TypedResults.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Body too large",
            detail: $"The body is larger than {SegmentBatchReader.MaxBatchBytes} bytes, Segment's limit for one request.");
    }

    private static ValidationProblem Invalid(SegmentReadResult result)
    {
        var detail = result.Problem switch
        {
            SegmentBodyProblem.InvalidUtf8 => "The body is not valid UTF-8.",
            SegmentBodyProblem.NotJson => "The body is not valid JSON.",
            SegmentBodyProblem.TooDeep => $"The body nests deeper than {SegmentBatchReader.MaxDepth} levels.",
            SegmentBodyProblem.NotABatch => "The body is not a Segment batch or event object.",
            _ when result.InvalidIndexes.Count > 0 =>
                $"Invalid events at index {string.Join(", ", result.InvalidIndexes)}; nothing was stored.",
            _ => "The batch is invalid; nothing was stored.",
        };
        return TypedResults.ValidationProblem(
            result.Errors.ToDictionary(e => e.Key, e => e.Value),
            detail: detail,
            title: "Invalid Segment payload",
            extensions: new Dictionary<string, object?>
            {
                ["problem"] = result.Problem.ToString(),
                ["invalidIndexes"] = result.InvalidIndexes,
            });
    }

    private static ValidationProblem Invalid(SegmentEndpoint endpoint, string key, string message, SegmentBodyProblem problem, int[] indexes) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [key] = [message] },
            detail: $"The {endpoint.ToString().ToLowerInvariant()} body could not be decoded.",
            title: "Invalid Segment payload",
            extensions: new Dictionary<string, object?> { ["problem"] = problem.ToString(), ["invalidIndexes"] = indexes });
}
