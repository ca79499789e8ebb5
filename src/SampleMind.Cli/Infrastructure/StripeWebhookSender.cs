using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SampleMind.Cli.Infrastructure;

/// <summary>
/// Delivers Stripe events to a client-api's <c>POST /webhooks/stripe</c> exactly as Stripe does: the
/// <c>Stripe-Signature</c> header <c>t={unix seconds},v1={hex HMAC-SHA256(secret, "{t}.{payload}")}</c>. Retries
/// 5xx, 429 and connection errors with backoff (the endpoint is idempotent by event id); a 4xx is a
/// <see cref="CliException"/> naming the event.
/// </summary>
internal sealed class StripeWebhookSender(Uri target, string secret, TimeProvider? clock = null) : IDisposable
{
    /// <summary>The local stack's signing secret (client-api's appsettings.Development.json).</summary>
    public const string DevelopmentSecret = "whsec_samplemind_dev";

    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private readonly Uri _endpoint = new(new Uri(target.ToString().TrimEnd('/') + "/"), "webhooks/stripe");
    private long _sent;
    private long _stored;

    /// <summary>Deliveries answered 200.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Deliveries the endpoint stored for the first time (the others were duplicates of a stored event id).</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>The secret from <c>Stripe__WebhookSecret</c> (the first of a comma list), else the local stack's.</summary>
    public static string DefaultSecret()
        => (Environment.GetEnvironmentVariable("Stripe__WebhookSecret") ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? DevelopmentSecret;

    public static string Sign(string payload, string secret, long timestamp)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>Delivers one event; true when the endpoint stored it for the first time.</summary>
    public async Task<bool> SendAsync(string eventId, string payload, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            string? retryReason;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
                {
                    Content = new StringContent(payload, Encoding.UTF8, "application/json"),
                };
                var now = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds();
                request.Headers.TryAddWithoutValidation("Stripe-Signature", Sign(payload, secret, now));
                using var response = await _http.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _sent);
                    var stored = IsStored(body);
                    if (stored)
                    {
                        Interlocked.Increment(ref _stored);
                    }
                    return stored;
                }
                if ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    throw new CliException($"{_endpoint} refused Stripe event {eventId} ({(int)response.StatusCode}): {Detail(body)}");
                }
                retryReason = $"{(int)response.StatusCode} {Detail(body)}";
            }
            catch (HttpRequestException ex)
            {
                retryReason = ex.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                retryReason = "timed out";
            }
            if (attempt >= 6)
            {
                throw new CliException($"cannot deliver Stripe event {eventId} to {_endpoint} after {attempt} attempts: {retryReason}", 3);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200 * (1 << attempt)), cancellationToken);
        }
    }

    private static bool IsStored(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("stored", out var stored) && stored.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Detail(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }

    public void Dispose() => _http.Dispose();
}
