namespace SampleMind.Alerts;

/// <summary>Windowed alert signals from one silo's pre-aggregator: "signal|subject" → time bucket → count.</summary>
[GenerateSerializer, Immutable, Alias("sm.alert-signal-delta")]
public sealed record class AlertSignalDelta([property: Id(0)] Dictionary<string, Dictionary<long, long>> Counts);

/// <summary>One entry of the alert log, as GET /api/alerts shows it.</summary>
[GenerateSerializer, Immutable, Alias("sm.alert-view")]
public sealed record class AlertView
{
    [Id(0)] public required long Id { get; init; }
    [Id(1)] public required string Rule { get; init; }
    [Id(2)] public required string Subject { get; init; }
    [Id(3)] public required string Severity { get; init; }
    [Id(4)] public required string State { get; init; }
    [Id(5)] public required decimal Value { get; init; }
    [Id(6)] public required decimal Threshold { get; init; }
    [Id(7)] public required string Message { get; init; }
    [Id(8)] public required DateTimeOffset FiredAt { get; init; }
    [Id(9)] public DateTimeOffset? ResolvedAt { get; init; }
}

/// <summary>
/// The alert engine (one grain, key <see cref="Key"/>): it holds the windowed signals, hears from the aggregate grains
/// when they apply a flush, judges the rules after each and about once a second, and keeps the alert log.
/// </summary>
public interface IAlertMonitorGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Adds a silo's signals. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplySignalsAsync(AlertSignalDelta delta, string source, long sequence);

    /// <summary>
    /// A campaign grain's CAC after it changed (null while there is no conversion). Awaited by the caller, so a
    /// grain's reports arrive in order (one-way messages may be reordered).
    /// </summary>
    Task ObserveCampaignAsync(string campaign, decimal? cac);

    /// <summary>A KPI day grain's DAU and users per feature after it applied a flush (awaited, in order).</summary>
    Task ObserveKpiDayAsync(DateOnly date, int dau, Dictionary<string, int> featureUsers);

    /// <summary>Judges every rule now (also done after each flush and on a timer).</summary>
    Task EvaluateAsync();
}

/// <summary>Reads the alert log (any silo; stateless).</summary>
public interface IAlertLogGrain : IGrainWithIntegerKey
{
    /// <summary>Alerts newest first, optionally only those in <paramref name="state"/> ("firing" or "resolved").</summary>
    Task<AlertView[]> ListAsync(string? state, int limit);
}
