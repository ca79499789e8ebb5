using System.Text.Json.Serialization;

namespace SampleMind.Analytics.Users;

/// <summary>Source-generated JSON for user snapshots (fast, trimming-safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UserSnapshot))]
public sealed partial class UserModelJsonContext : JsonSerializerContext;
