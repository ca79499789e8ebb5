namespace SampleMind.Rollups;

/// <summary>
/// The keys of one kind of aggregate grain (keyed by kind: <see cref="ModelVersions"/>, <see cref="Cohorts"/>), so a
/// list endpoint reads them without scanning activations. Each aggregate grain registers itself once, on its first
/// figures; nothing calls this per event.
/// </summary>
public interface IRollupCatalogGrain : IGrainWithStringKey
{
    public const string ModelVersions = "model-versions";
    public const string Cohorts = "cohorts";
    public const string Segments = "segments";
    public const string MrrMonths = "mrr-months";
    public const string Features = "features";
    public const string ActivityWeeks = "activity-weeks";

    /// <summary>Adds a key (idempotent).</summary>
    Task AddAsync(string key);

    /// <summary>Every key, in ordinal order.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string[]> GetKeysAsync();

    /// <summary>Whether <paramref name="key"/> is known.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<bool> ContainsAsync(string key);
}
