using System.ComponentModel.DataAnnotations;

namespace SampleMind.Outbox;

/// <summary>Webhook delivery through the durable outbox (section "Outbox").</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>
    /// Hosts a webhook URL may name (exact, case-insensitive). None by default; the silo's appsettings.json (the local
    /// stack) allows 127.0.0.1 and localhost.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>How often each silo looks for due deliveries (it also wakes when this silo enqueues).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries one silo claims at a time.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Attempts before a delivery is given up (marked failed).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 12;

    /// <summary>The wait after the first failure; it doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a claimed delivery is reserved for its silo; a silo that dies leaves it to another after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The HTTP timeout of one attempt (keep it below <see cref="Lease"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before attempt <paramref name="attempts"/> + 1, after <paramref name="attempts"/> failed ones: initial × 2^(attempts − 1), capped.</summary>
    public TimeSpan BackoffAfter(int attempts)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(MaxBackoff.Ticks, InitialBackoff.Ticks * factor));
    }
}

/// <summary>Which webhook URLs the outbox accepts.</summary>
public static class WebhookUrls
{
    /// <summary>Null when <paramref name="url"/> is an absolute http(s) URL whose host is allowed; otherwise why not.</summary>
    public static string? Problem(string? url, IReadOnlyCollection<string> allowedHosts)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "a webhook URL is required";
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return "the webhook URL must be an absolute http or https URL";
        }
        if (!allowedHosts.Contains(uri.IdnHost, StringComparer.OrdinalIgnoreCase))
        {
            return $"the webhook host '{uri.IdnHost}' is not allowed (Outbox:AllowedHosts: {string.Join(", ", allowedHosts)})";
        }
        return null;
    }
}
