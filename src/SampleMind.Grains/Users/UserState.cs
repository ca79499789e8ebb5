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
}
