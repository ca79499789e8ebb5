namespace SampleMind.Campaigns;

/// <summary>Additive first-touch figures of one campaign (a pre-aggregated delta, or a campaign grain's totals).</summary>
[GenerateSerializer, Immutable, Alias("sm.campaign-totals")]
public sealed record class CampaignTotals
{
    [Id(0)] public int Users { get; init; }
    [Id(1)] public int Signups { get; init; }
    [Id(2)] public int Conversions { get; init; }
    [Id(3)] public decimal Revenue { get; init; }
}

/// <summary>One recorded spend.</summary>
[GenerateSerializer, Immutable, Alias("sm.campaign-spend")]
public sealed record class CampaignSpend(
    [property: Id(0)] decimal Amount,
    [property: Id(1)] DateOnly? Date,
    [property: Id(2)] string? IdempotencyKey,
    [property: Id(3)] DateTimeOffset RecordedAt);

/// <summary>A campaign's economics: first-touch signups and paying conversions, realized revenue, spend, CAC, LTV, ROI.</summary>
[GenerateSerializer, Immutable, Alias("sm.campaign-view")]
public sealed record class CampaignView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required int Users { get; init; }
    [Id(2)] public required int Signups { get; init; }
    [Id(3)] public required int Conversions { get; init; }
    [Id(4)] public required decimal Revenue { get; init; }
    [Id(5)] public required decimal Spend { get; init; }
    [Id(6)] public decimal? Cac { get; init; }
    [Id(7)] public decimal? Ltv { get; init; }
    [Id(8)] public decimal? Roi { get; init; }
}

/// <summary>One campaign, keyed by campaign id (the users' first-touch campaign value).</summary>
public interface ICampaignGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(CampaignTotals delta, string source, long sequence);

    /// <summary>
    /// Records a spend durably (amount &gt; 0). A repeated <paramref name="idempotencyKey"/> records nothing more.
    /// Returns the campaign with the spend applied.
    /// </summary>
    Task<CampaignView> AddSpendAsync(decimal amount, DateOnly? date, string? idempotencyKey);

    /// <summary>The campaign, or null when nothing is known about it (no user, no spend).</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CampaignView?> GetAsync();

    /// <summary>The additive user figures.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CampaignTotals> GetTotalsAsync();

    /// <summary>Replaces the user figures (reconcile --fix, from the event log); spend is kept.</summary>
    Task ResetAsync(CampaignTotals totals);
}

/// <summary>The catalogue of campaign ids (one grain, key <see cref="Key"/>), so listing never scans activations.</summary>
public interface ICampaignCatalogGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Adds a campaign id (called once per campaign by the campaign grain).</summary>
    Task RegisterAsync(string campaignId);

    /// <summary>Every known campaign id, ordinal order.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string[]> ListAsync();
}
