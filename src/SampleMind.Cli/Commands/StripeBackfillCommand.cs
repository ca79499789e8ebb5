using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using SampleMind.Analytics.Revenue;
using SampleMind.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;
using Stripe;

namespace SampleMind.Cli.Commands;

public sealed class StripeBackfillSettings : ClusterSettings
{
    [CommandOption("--api-key <KEY>")]
    [Description("Stripe secret or restricted key with read access (default: Stripe__ApiKey, i.e. the Stripe:ApiKey setting)")]
    public string? ApiKey { get; set; } = Environment.GetEnvironmentVariable("Stripe__ApiKey");

    [CommandOption("--api-base <URL>")]
    [Description("Base URL of the Stripe API (default: Stripe__ApiBase, else https://api.stripe.com); for tests and self-hosted mocks")]
    public string? ApiBase { get; set; } = Environment.GetEnvironmentVariable("Stripe__ApiBase");

    [CommandOption("--target <URL>")]
    [Description("Base URL of the client-api whose POST /webhooks/stripe receives the objects as signed events")]
    [DefaultValue("http://127.0.0.1:5080")]
    public string Target { get; set; } = "http://127.0.0.1:5080";

    [CommandOption("--webhook-secret <WHSEC>")]
    [Description("The endpoint's signing secret (default: Stripe__WebhookSecret, else the local stack's whsec_samplemind_dev)")]
    public string WebhookSecret { get; set; } = StripeWebhookSender.DefaultSecret();

    [CommandOption("--page-size <N>")]
    [Description("Objects per list request (Stripe's limit, 1…100)")]
    [DefaultValue(100)]
    public int PageSize { get; set; } = 100;

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            return ValidationResult.Error("no Stripe key: pass --api-key or set Stripe__ApiKey (a restricted key with read access is enough)");
        }
        if (ApiBase is not null && (!Uri.TryCreate(ApiBase, UriKind.Absolute, out var b) || b.Scheme is not ("http" or "https")))
        {
            return ValidationResult.Error($"--api-base must be an http(s) URL, got '{ApiBase}'");
        }
        if (!Uri.TryCreate(Target, UriKind.Absolute, out var t) || t.Scheme is not ("http" or "https"))
        {
            return ValidationResult.Error($"--target must be an http(s) URL, got '{Target}'");
        }
        return PageSize is < 1 or > 100 ? ValidationResult.Error("--page-size must be 1…100") : ValidationResult.Success();
    }
}

/// <summary>
/// <c>samplemind stripe backfill</c>: customers, subscriptions, paid invoices and refunds read through Stripe.net's
/// client with auto-pagination, delivered as signed events to the client-api's webhook endpoint
/// (<see cref="StripeObservedEvents"/>: one event id per observed object state, the object's own timestamps), so a
/// backfill and the webhooks take one path and any mix of them, in any order or repeated, gives the same state.
/// </summary>
public sealed class StripeBackfillCommand : AsyncCommand<StripeBackfillSettings>
{
    private const int InFlight = 4;

    public override async Task<int> ExecuteAsync(CommandContext context, StripeBackfillSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var stored = await CliDatabase.RunAsync(dataSource, ds => StoredSubscriptionsAsync(ds, cancellationToken));
        var client = new StripeClient(settings.ApiKey, httpClient: new SystemNetHttpClient(maxNetworkRetries: 1), apiBase: settings.ApiBase?.TrimEnd('/'));
        using var sender = new StripeWebhookSender(new Uri(settings.Target), settings.WebhookSecret);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal) { ["customers"] = 0, ["subscriptions"] = 0, ["paid invoices"] = 0, ["refunds"] = 0 };
        long read = 0;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var clock = Stopwatch.StartNew();
        try
        {
            await EventProgress.RunAsync("Stripe backfill: customers, subscriptions, invoices, refunds", 4, () => Interlocked.Read(ref read), () => sender.Sent,
                async setProgress =>
                {
                    var limit = settings.PageSize;
                    await DeliverAsync(sender, Objects(new CustomerService(client).ListAutoPagingAsync(new CustomerListOptions { Limit = limit }, cancellationToken: cancellationToken)),
                        o => StripeObservedEvents.Customer(o), () => { Interlocked.Increment(ref read); counts["customers"]++; }, cancellationToken);
                    setProgress(1);
                    var subscriptions = new SubscriptionListOptions { Limit = limit, Status = "all" };
                    subscriptions.AddExpand("data.discounts");
                    await DeliverAsync(sender, Objects(new SubscriptionService(client).ListAutoPagingAsync(subscriptions, cancellationToken: cancellationToken)),
                        o => (IEnumerable<ObservedStripeEvent>)StripeObservedEvents.Subscription(o, now, stored.GetValueOrDefault(o.GetProperty("id").GetString()!)),
                        () => { Interlocked.Increment(ref read); counts["subscriptions"]++; }, cancellationToken);
                    setProgress(2);
                    await DeliverAsync(sender, Objects(new InvoiceService(client).ListAutoPagingAsync(new InvoiceListOptions { Limit = limit, Status = "paid" }, cancellationToken: cancellationToken)),
                        StripeObservedEvents.InvoicePaid, () => { Interlocked.Increment(ref read); counts["paid invoices"]++; }, cancellationToken);
                    setProgress(3);
                    var refunds = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
                    await foreach (var refund in Objects(new RefundService(client).ListAutoPagingAsync(new RefundListOptions { Limit = limit }, cancellationToken: cancellationToken)))
                    {
                        Interlocked.Increment(ref read);
                        counts["refunds"]++;
                        if (refund.TryGetProperty("charge", out var charge) && (charge.ValueKind == JsonValueKind.String ? charge.GetString() : null) is { } chargeId)
                        {
                            (refunds.TryGetValue(chargeId, out var list) ? list : refunds[chargeId] = []).Add(refund);
                        }
                    }
                    var charges = new ChargeService(client);
                    var refundEvents = new List<ObservedStripeEvent>();
                    foreach (var (chargeId, ofCharge) in refunds.OrderBy(r => r.Key, StringComparer.Ordinal))
                    {
                        var charge = Json(await charges.GetAsync(chargeId, cancellationToken: cancellationToken));
                        refundEvents.AddRange(StripeObservedEvents.Refunds(charge, ofCharge));
                    }
                    await SendAllAsync(sender, refundEvents, cancellationToken);
                    setProgress(4);
                });
        }
        catch (StripeException ex)
        {
            var where = settings.ApiBase?.TrimEnd('/') ?? "https://api.stripe.com";
            throw ex.HttpStatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden
                ? new CliException($"Stripe at {where} refused the API key: {OneLine(ex)}", 2, ex)
                : ex.HttpStatusCode == 0
                    ? new CliException($"cannot reach the Stripe API at {where}: {OneLine(ex)}", 3, ex)
                    : new CliException($"Stripe at {where} answered {(int)ex.HttpStatusCode}: {OneLine(ex)}", 3, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the Stripe API at {settings.ApiBase?.TrimEnd('/') ?? "https://api.stripe.com"}: {ex.Message}", 3, ex);
        }

        Console.WriteLine($"read {string.Join(", ", counts.Select(c => $"{c.Value:N0} {c.Key}"))} from Stripe; " +
            $"delivered {sender.Sent:N0} events to {settings.Target} ({sender.Stored:N0} new, {sender.Sent - sender.Stored:N0} already stored) " +
            $"in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static string OneLine(StripeException ex) => (ex.StripeError?.Message ?? ex.Message).ReplaceLineEndings(" ");

    /// <summary>The objects as Stripe sent them (the raw JSON of the response, else Stripe.net's own serialization).</summary>
    private static async IAsyncEnumerable<JsonElement> Objects<T>(IAsyncEnumerable<T> items) where T : StripeEntity
    {
        await foreach (var item in items)
        {
            yield return Json(item);
        }
    }

    private static JsonElement Json(StripeEntity entity)
    {
        if (entity.RawJsonElement is { ValueKind: JsonValueKind.Object } raw)
        {
            return raw.Clone();
        }
        using var document = JsonDocument.Parse(entity.ToJson());
        return document.RootElement.Clone();
    }

    private static Task DeliverAsync(StripeWebhookSender sender, IAsyncEnumerable<JsonElement> objects, Func<JsonElement, ObservedStripeEvent?> toEvent,
        Action onRead, CancellationToken cancellationToken)
        => DeliverAsync(sender, objects, o => toEvent(o) is { } e ? [e] : [], onRead, cancellationToken);

    private static async Task DeliverAsync(StripeWebhookSender sender, IAsyncEnumerable<JsonElement> objects, Func<JsonElement, IEnumerable<ObservedStripeEvent>> toEvents,
        Action onRead, CancellationToken cancellationToken)
    {
        var page = new List<ObservedStripeEvent>(100);
        await foreach (var o in objects)
        {
            onRead();
            page.AddRange(toEvents(o));
            if (page.Count >= 100)
            {
                await SendAllAsync(sender, page, cancellationToken);
                page.Clear();
            }
        }
        await SendAllAsync(sender, page, cancellationToken);
    }

    private static Task SendAllAsync(StripeWebhookSender sender, IReadOnlyList<ObservedStripeEvent> events, CancellationToken cancellationToken)
        => Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken },
            async (e, ct) => await sender.SendAsync(e.Id, e.Payload, ct));

    /// <summary>The latest stored observation of each subscription (webhooks and earlier backfills), by the MRR model's order.</summary>
    private static async Task<Dictionary<string, StoredSubscriptionState>> StoredSubscriptionsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var latest = new Dictionary<string, StoredSubscriptionState>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand("""
            SELECT id, type, extract(epoch FROM created)::bigint, payload->'data'->'object' FROM stripe_events
            WHERE type IN ('customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, type) = (reader.GetString(0), reader.GetString(1));
            using var document = JsonDocument.Parse(reader.GetString(3));
            var facts = StripeSubscriptions.Read(document.RootElement, type);
            var state = new StoredSubscriptionState(reader.GetInt64(2), StripeSubscriptions.RankOf(type), id, facts);
            if (!latest.TryGetValue(facts.SubscriptionId, out var known) || known.IsBefore(state))
            {
                latest[facts.SubscriptionId] = state;
            }
        }
        return latest;
    }
}
