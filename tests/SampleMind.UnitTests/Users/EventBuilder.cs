using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Users;

/// <summary>Builds Segment-spec event JSON the way the ingest path stores it.</summary>
internal sealed class EventBuilder(string userId)
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
        body["messageId"] = $"{userId}-m{++_counter:D6}";
        body["userId"] = userId;
        body["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return body.ToJsonString();
    }

    public static EventFacts Facts(string json) => EventFacts.Parse(json);
}
