namespace SampleMind.Analytics.Ingest;

/// <summary>The Segment HTTP Tracking API endpoint a body was posted to: <c>/v1/{endpoint}</c>.</summary>
public enum SegmentEndpoint
{
    /// <summary><c>/v1/batch</c>: <c>{"batch":[…], "context":…, "sentAt":…}</c>; each item carries its own <c>type</c>.</summary>
    Batch,

    /// <summary><c>/v1/track</c>: one event, type <c>track</c>.</summary>
    Track,

    /// <summary><c>/v1/identify</c>: one event, type <c>identify</c>.</summary>
    Identify,

    /// <summary><c>/v1/page</c>: one event, type <c>page</c>.</summary>
    Page,

    /// <summary><c>/v1/screen</c>: one event, type <c>screen</c>.</summary>
    Screen,

    /// <summary><c>/v1/group</c>: one event, type <c>group</c>.</summary>
    Group,

    /// <summary><c>/v1/alias</c>: one event, type <c>alias</c>.</summary>
    Alias,
}

/// <summary>Why a whole body was refused before (or instead of) looking at its events.</summary>
public enum SegmentBodyProblem
{
    /// <summary>The body was read; see <see cref="SegmentReadResult.Errors"/> for per-event problems.</summary>
    None,

    /// <summary>The bytes are not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The body is not JSON (or is empty).</summary>
    NotJson,

    /// <summary>JSON nests deeper than <see cref="SegmentBatchReader.MaxDepth"/>.</summary>
    TooDeep,

    /// <summary>The body is JSON but not an object (single endpoints) or not <c>{"batch":[…]}</c> (<c>/v1/batch</c>).</summary>
    NotABatch,

    /// <summary>The body is larger than <see cref="SegmentBatchReader.MaxBatchBytes"/>.</summary>
    TooLarge,

    /// <summary>The body is well formed but at least one event in it is invalid; the whole body is refused.</summary>
    InvalidEvents,
}

/// <summary>
/// One validated Segment-spec event. <see cref="Json"/> is the normalised, compact event (resolved
/// <c>timestamp</c>, <c>receivedAt</c>, merged <c>context</c>, <c>properties</c>/<c>traits</c> always present):
/// it is what the user event log stores and what a user grain re-parses.
/// </summary>
/// <param name="Index">Position in the batch (0 for single-event endpoints).</param>
/// <param name="UserKey">The grain key: <c>userId</c>, else <c>anonymousId</c>.</param>
/// <param name="Type">track, identify, page, screen, group or alias.</param>
/// <param name="Name">The <c>event</c> of a track; the <c>name</c> of a page or screen; otherwise <c>null</c>.</param>
/// <param name="Timestamp">The resolved timestamp (UTC), corrected for client clock skew when <c>sentAt</c> was sent.</param>
/// <param name="MessageId">The client's idempotency key.</param>
/// <param name="Json">The normalised event as compact UTF-8 JSON text.</param>
public sealed record class SegmentEvent(
    int Index,
    string UserKey,
    string Type,
    string? Name,
    DateTimeOffset Timestamp,
    string MessageId,
    string Json)
{
    /// <summary>The event's <c>context.library.name</c> as data quality keys it (<see cref="Quality.IngestSource"/>).</summary>
    public string Source { get; init; } = Quality.IngestSource.Unknown;
}

/// <summary>The events of one user within a body, in body order.</summary>
public sealed record class SegmentUserBatch(string UserKey, IReadOnlyList<SegmentEvent> Events);

/// <summary>
/// The outcome of <see cref="SegmentBatchReader.Read"/>: either every event is valid, or nothing is and
/// <see cref="Errors"/> names every bad field (<c>batch[3].messageId</c>, <c>timestamp</c>, <c>body</c>).
/// </summary>
public sealed class SegmentReadResult
{
    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    internal SegmentReadResult(
        SegmentBodyProblem problem,
        IReadOnlyList<SegmentEvent> events,
        IReadOnlyDictionary<string, string[]>? errors,
        IReadOnlyList<int> invalidIndexes)
    {
        Problem = problem;
        Events = events;
        Errors = errors ?? NoErrors;
        InvalidIndexes = invalidIndexes;
    }

    /// <summary><see cref="SegmentBodyProblem.None"/> when every event is valid.</summary>
    public SegmentBodyProblem Problem { get; }

    /// <summary>True when the body is accepted as a whole.</summary>
    public bool IsValid => Problem == SegmentBodyProblem.None;

    /// <summary>The validated events in body order; empty unless <see cref="IsValid"/>.</summary>
    public IReadOnlyList<SegmentEvent> Events { get; }

    /// <summary>Field path → problems, in the shape of ASP.NET's <c>ValidationProblem</c>; empty when valid.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The batch indexes of the invalid events, ascending (for single endpoints: <c>[0]</c>).</summary>
    public IReadOnlyList<int> InvalidIndexes { get; }

    /// <summary>The events grouped by <see cref="SegmentEvent.UserKey"/>, users in order of first appearance.</summary>
    public IReadOnlyList<SegmentUserBatch> GroupByUser()
    {
        var order = new List<string>();
        var byUser = new Dictionary<string, List<SegmentEvent>>(StringComparer.Ordinal);
        foreach (var e in Events)
        {
            if (!byUser.TryGetValue(e.UserKey, out var list))
            {
                list = [];
                byUser.Add(e.UserKey, list);
                order.Add(e.UserKey);
            }

            list.Add(e);
        }

        return order.Select(key => new SegmentUserBatch(key, byUser[key])).ToArray();
    }
}
