namespace SampleMind.Users;

/// <summary>A query over the user index: filters, page size and the user id the previous page ended with.</summary>
[GenerateSerializer, Immutable, Alias("sm.user-index-query")]
public sealed record class UserIndexQuery
{
    /// <summary>HIGH, MEDIUM or LOW; null for any.</summary>
    [Id(0)] public string? Level { get; init; }
    /// <summary>A segment name; null for any.</summary>
    [Id(1)] public string? Segment { get; init; }
    /// <summary>Only users whose LTV is at least this.</summary>
    [Id(2)] public decimal? MinLtv { get; init; }
    /// <summary>Only users whose risk score is at least this.</summary>
    [Id(3)] public double? MinScore { get; init; }
    [Id(4)] public int Limit { get; init; } = 100;
    /// <summary>The last user id of the previous page (pages are ordered by score descending, then user id).</summary>
    [Id(5)] public string? After { get; init; }
}

/// <summary>One user as the index has it.</summary>
[GenerateSerializer, Immutable, Alias("sm.user-index-entry")]
public sealed record class UserIndexEntry(
    [property: Id(0)] string UserId,
    [property: Id(1)] string Segment,
    [property: Id(2)] double Score,
    [property: Id(3)] string Level,
    [property: Id(4)] decimal Ltv,
    [property: Id(5)] string ModelVersion,
    [property: Id(6)] DateTimeOffset ScoredAt);

/// <summary>A page of index entries; <see cref="Next"/> is the <c>after</c> of the next page, null on the last.</summary>
[GenerateSerializer, Immutable, Alias("sm.user-index-page")]
public sealed record class UserIndexPage(
    [property: Id(0)] UserIndexEntry[] Items,
    [property: Id(1)] string? Next);

/// <summary>How many users are at each risk level, overall and per segment.</summary>
[GenerateSerializer, Immutable, Alias("sm.risk-summary")]
public sealed record class RiskSummary(
    [property: Id(0)] long Total,
    [property: Id(1)] Dictionary<string, long> ByLevel,
    [property: Id(2)] Dictionary<string, Dictionary<string, long>> BySegment,
    [property: Id(3)] DateTimeOffset AsOf);

/// <summary>Reads the user index for client-api (a stateless worker on the silos, which own the database access).</summary>
public interface IUserIndexGrain : IGrainWithIntegerKey
{
    Task<UserIndexPage> QueryAsync(UserIndexQuery query);

    Task<RiskSummary> SummaryAsync();
}
