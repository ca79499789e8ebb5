namespace SampleMind.Users;

/// <summary>
/// The persisted snapshot of a user grain: the user model (System.Text.Json, UTF-8) and the highest event-log
/// sequence number it reflects. Written behind; the log tail after <see cref="AppliedSeq"/> is replayed on activation.
/// </summary>
[GenerateSerializer, Alias("sm.user-state")]
public sealed class UserState
{
    [Id(0)] public long AppliedSeq { get; set; }
    [Id(1)] public byte[]? Model { get; set; }

    /// <summary>The retention cut-off of raw events this user's log was trimmed to (older ones are refused); null: never trimmed.</summary>
    [Id(2)] public DateOnly? AnalyticsBefore { get; set; }

    /// <summary>The retention cut-off of financial events this user's log was trimmed to; null: never trimmed.</summary>
    [Id(3)] public DateOnly? FinancialBefore { get; set; }
}
