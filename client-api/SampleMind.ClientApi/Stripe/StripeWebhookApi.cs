using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using SampleMind.Operations;
using Stripe;

namespace SampleMind.ClientApi.Stripe;

/// <summary>The "Stripe" section: the webhook endpoint's signing secrets (several during a rotation).</summary>
public sealed class StripeOptions
{
    /// <summary>One secret, or several separated by commas (old and new during a rotation).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Further secrets as an array (Stripe:WebhookSecrets:0, …).</summary>
    public string[] WebhookSecrets { get; set; } = [];

    public IReadOnlyList<string> Secrets => [.. (WebhookSecret ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Concat(WebhookSecrets.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim())).Distinct(StringComparer.Ordinal)];
}

/// <summary>
/// <c>POST /webhooks/stripe</c> (README "Stripe"): the raw body's <c>Stripe-Signature</c> verified by Stripe.net
/// (<see cref="EventUtility.ConstructEvent(string, string, string, long, bool)"/>, 300 s tolerance, any API version),
/// then the event stored in <c>stripe_events</c> under Stripe's own id before the 200, so Stripe's retries are kept once.
/// </summary>
public static class StripeWebhookApi
{
    /// <summary>The event types the revenue model reads; others are answered 200, counted and not stored.</summary>
    public static readonly IReadOnlySet<string> HandledTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "customer.created", "customer.updated",
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "invoice.paid", "invoice.payment_failed", "charge.refunded",
    };

    private const int MaxBodyBytes = 512 * 1024;
    private const long ToleranceSeconds = 300;

    public static IServiceCollection AddStripeWebhooks(this IServiceCollection services)
    {
        services.AddOptions<StripeOptions>().BindConfiguration("Stripe");
        services.AddSingleton<StripeEventApplier>();
        return services;
    }

    public static IEndpointRouteBuilder MapStripeWebhookApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/stripe", ReceiveAsync)
            .WithTags("Stripe")
            .WithName("StripeWebhook")
            .WithSummary("A Stripe webhook delivery: verified by its Stripe-Signature (Stripe:WebhookSecret), stored once by event id before the 200.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpRequest request, IOptions<StripeOptions> options, NpgsqlDataSource dataSource,
        StripeEventApplier applier, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(StripeWebhookApi));
        var secrets = options.Value.Secrets;
        if (secrets.Count == 0)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Stripe webhooks are not configured", "set Stripe:WebhookSecret to the endpoint's signing secret (whsec_…)", "unconfigured");
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"a Stripe event is at most {MaxBodyBytes / 1024} KB here", "too_large");
        }
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        }
        if (Encoding.UTF8.GetByteCount(body) > MaxBodyBytes)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"a Stripe event is at most {MaxBodyBytes / 1024} KB here", "too_large");
        }
        if (!request.Headers.TryGetValue("Stripe-Signature", out var signature) || string.IsNullOrWhiteSpace(signature))
        {
            return Problem(StatusCodes.Status400BadRequest, "Missing Stripe-Signature", "the request has no Stripe-Signature header: only Stripe's signed deliveries are accepted", "bad_signature");
        }

        Event? stripeEvent = null;
        string? failure = null;
        foreach (var secret in secrets)
        {
            try
            {
                stripeEvent = EventUtility.ConstructEvent(body, signature.ToString(), secret, ToleranceSeconds, throwOnApiVersionMismatch: false);
                break;
            }
            catch (StripeException ex)
            {
                failure = ex.Message;
            }
            catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or System.Text.Json.JsonException or ArgumentException or FormatException)
            {
                // Signed correctly, but not a Stripe event.
                return Problem(StatusCodes.Status400BadRequest, "Not a Stripe event", $"the signed body is not a Stripe event: {ex.Message}", "not_an_event");
            }
        }
        if (stripeEvent is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid Stripe-Signature", $"the signature does not verify with any configured secret within {ToleranceSeconds} s: {failure}", "bad_signature");
        }
        if (string.IsNullOrEmpty(stripeEvent.Id) || string.IsNullOrEmpty(stripeEvent.Type) || stripeEvent.Created == default)
        {
            return Problem(StatusCodes.Status400BadRequest, "Not a Stripe event", "the signed body has no id, type or created time", "not_an_event");
        }
        if (!HandledTypes.Contains(stripeEvent.Type))
        {
            SampleMindMetrics.StripeWebhooks.Add(1, new KeyValuePair<string, object?>("outcome", "unhandled"));
            return Results.Ok(new { received = true, stored = false, type = stripeEvent.Type });
        }

        bool inserted;
        try
        {
            await using var command = dataSource.CreateCommand("""
                INSERT INTO stripe_events (id, type, created, livemode, api_version, payload)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb)
                ON CONFLICT (id) DO NOTHING
                """);
            command.Parameters.AddWithValue(stripeEvent.Id);
            command.Parameters.AddWithValue(stripeEvent.Type);
            command.Parameters.AddWithValue(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc));
            command.Parameters.AddWithValue(stripeEvent.Livemode);
            command.Parameters.AddWithValue((object?)stripeEvent.ApiVersion ?? DBNull.Value);
            command.Parameters.AddWithValue(body);
            inserted = await command.ExecuteNonQueryAsync(request.HttpContext.RequestAborted) == 1;
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            return Problem(StatusCodes.Status400BadRequest, "Event refused by the store", $"PostgreSQL refuses this event ({ex.SqlState}: {ex.MessageText})", "not_an_event");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(ex, "Stripe event {EventId} could not be stored; Stripe will retry", stripeEvent.Id);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Event not stored", "the event could not be made durable; Stripe retries the delivery", "unavailable");
        }
        // Applied on every delivery (idempotent: one messageId per Stripe event), so a delivery answered 503 below is
        // applied by Stripe's retry; a customer not mapped yet is applied when its mapping arrives.
        try
        {
            using var parsed = System.Text.Json.JsonDocument.Parse(body);
            await applier.ApplyAsync(parsed.RootElement, request.HttpContext.RequestAborted);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OrleansException or SiloUnavailableException)
        {
            logger.LogWarning(ex, "Stripe event {EventId} stored but not applied yet; Stripe will retry", stripeEvent.Id);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Event not applied", "the event is stored but could not be applied to its person yet; Stripe retries the delivery", "unavailable");
        }
        SampleMindMetrics.StripeWebhooks.Add(1, new KeyValuePair<string, object?>("outcome", inserted ? "stored" : "duplicate"));
        logger.LogInformation("Stripe event {EventId} ({Type}) {Outcome}", stripeEvent.Id, stripeEvent.Type, inserted ? "stored" : "already stored");
        return Results.Ok(new { received = true, stored = inserted, duplicate = !inserted, type = stripeEvent.Type });
    }

    private static IResult Problem(int status, string title, string detail, string outcome)
    {
        SampleMindMetrics.StripeWebhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        return Results.Problem(statusCode: status, title: title, detail: detail);
    }
}
