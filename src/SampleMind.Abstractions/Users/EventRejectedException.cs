namespace SampleMind.Users;

/// <summary>
/// The store refused events for a reason that is in the events themselves (PostgreSQL's data, integrity or size
/// errors): sending the same events again will fail the same way. Nothing of the refused append was stored.
/// </summary>
[GenerateSerializer, Alias("sm.event-rejected-exception")]
public sealed class EventRejectedException : Exception
{
    public EventRejectedException()
    {
    }

    public EventRejectedException(string message)
        : base(message)
    {
    }

    public EventRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EventRejectedException(string[] messageIds, string sqlState, string reason)
        : base($"the store refused {messageIds.Length} event(s) ({sqlState}: {reason})")
    {
        MessageIds = messageIds;
        SqlState = sqlState;
        Reason = reason;
    }

    /// <summary>The refused events' messageIds (each cut to 64 characters).</summary>
    [Id(0)] public string[] MessageIds { get; init; } = [];

    /// <summary>The PostgreSQL SQLSTATE of the refusal, e.g. 54000 (index row size).</summary>
    [Id(1)] public string SqlState { get; init; } = "";

    /// <summary>PostgreSQL's message, without row data.</summary>
    [Id(2)] public string Reason { get; init; } = "";
}
