using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Users;

namespace SampleMind.Testing;

/// <summary>
/// Builds Segment-spec event JSON the way the ingest path stores it. messageIds are "{prefix}-m000001", … with the user
/// id as the prefix unless <paramref name="messagePrefix"/> names another (a second builder for the same user).
/// </summary>
public sealed class EventBuilder(string userId, string? messagePrefix = null)
{
    private int _counter;

    public string Track(string name, DateTimeOffset at, object? properties = null)
        => Build("track", at, new JsonObject
        {
            ["event"] = name,
            ["properties"] = properties is null ? new JsonObject() : JsonSerializer.SerializeToNode(properties),
        });

    public string Identify(DateTimeOffset at, object traits)
        => Build("identify", at, new JsonObject { ["traits"] = JsonSerializer.SerializeToNode(traits) });

    private string Build(string type, DateTimeOffset at, JsonObject body)
    {
        body["type"] = type;
        body["messageId"] = $"{messagePrefix ?? userId}-m{++_counter:D6}";
        body["userId"] = userId;
        body["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return body.ToJsonString();
    }

    public static EventFacts Facts(string json) => EventFacts.Parse(json);

    /// <summary>Seventy days of a plausible user's events ending before <paramref name="now"/>: signup, trial, pro subscription, payments, daily use.</summary>
    public static string[] RealisticHistory(string userId, int seed, DateTimeOffset now)
    {
        var events = new EventBuilder(userId);
        var random = new Random(seed);
        var start = now.AddDays(-70);
        var list = new List<string>
        {
            events.Identify(start, new { plan = "free", email = $"{userId}@example.com", created_at = start.ToString("O") }),
            events.Track("signup_started", start.AddMinutes(1)),
            events.Track("email_verified", start.AddMinutes(5)),
            events.Track("trial_started", start.AddDays(2)),
            events.Track("payment_added", start.AddDays(10)),
            events.Track("subscription_started", start.AddDays(12), new { plan = "pro", amount = 34.99 }),
            events.Track("payment_succeeded", start.AddDays(12).AddMinutes(1), new { amount = 34.99 }),
            events.Track("payment_failed", start.AddDays(42), new { amount = 34.99 }),
            events.Track("payment_succeeded", start.AddDays(43), new { amount = 34.99 }),
            events.Track("subscription_renewed", start.AddDays(43).AddMinutes(1), new { plan = "pro", amount = 34.99 }),
            events.Track("support_ticket_opened", start.AddDays(50)),
        };
        for (var d = 0; d < 70; d++)
        {
            if (random.NextDouble() < 0.3)
            {
                continue;
            }
            var day = start.AddDays(d).AddHours(8);
            list.Add(events.Track("login", day));
            list.Add(events.Track("session_started", day.AddMinutes(1)));
            for (var a = 0; a < random.Next(0, 6); a++)
            {
                list.Add(events.Track("sample_uploaded", day.AddMinutes(2 + a * 3)));
                list.Add(events.Track("analysis_completed", day.AddMinutes(3 + a * 3), new { model = "genre_classification", model_version = "2.1", processing_time_ms = 800 + a }));
            }
            list.Add(events.Track("feature_used", day.AddMinutes(30), new { feature = $"feature_{random.Next(0, 14)}" }));
            list.Add(events.Track("session_ended", day.AddMinutes(40), new { duration_seconds = 2340 }));
        }
        return [.. list];
    }

}
