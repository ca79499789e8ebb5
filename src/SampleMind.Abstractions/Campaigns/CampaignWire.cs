namespace SampleMind.Campaigns;

/// <summary>
/// Which campaign a person is attributed to. <see cref="FirstTouch"/>: the earliest campaign touch over all the person's
/// events (merged anonymous visits included). <see cref="LastTouch"/>: the latest campaign touch timestamped at or before
/// the person's first payment_succeeded (the paying conversion), or the latest touch while they have not paid.
/// </summary>
[GenerateSerializer, Alias("sm.attribution-model")]
public enum AttributionModel
{
    FirstTouch = 0,
    LastTouch = 1,
}

/// <summary>The names the API uses for <see cref="AttributionModel"/>: <c>first_touch</c>, <c>last_touch</c>.</summary>
public static class AttributionModels
{
    public const string FirstTouch = "first_touch";
    public const string LastTouch = "last_touch";

    public static string Name(this AttributionModel model) => model == AttributionModel.LastTouch ? LastTouch : FirstTouch;

    public static bool TryParse(string? name, out AttributionModel model)
    {
        (var ok, model) = name switch
        {
            null or "" or FirstTouch => (true, AttributionModel.FirstTouch),
            LastTouch => (true, AttributionModel.LastTouch),
            _ => (false, AttributionModel.FirstTouch),
        };
        return ok;
    }
}

/// <summary>Additive figures of one campaign under one attribution model (a pre-aggregated delta, or a campaign grain's totals).</summary>
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

/// <summary>
/// A campaign's economics under one attribution model (<see cref="Attribution"/>): attributed people, their signups,
/// paying conversions and realized revenue, spend, CAC, LTV, ROI.
/// </summary>
[GenerateSerializer, Immutable, Alias("sm.campaign-view")]
public sealed record class CampaignView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required int? Users { get; init; }
    [Id(2)] public required int? Signups { get; init; }
    [Id(3)] public required int? Conversions { get; init; }
    [Id(4)] public required decimal? Revenue { get; init; }
    [Id(5)] public required decimal Spend { get; init; }
    [Id(6)] public decimal? Cac { get; init; }
    [Id(7)] public decimal? Ltv { get; init; }
    [Id(8)] public decimal? Roi { get; init; }
    /// <summary>The attribution model of the figures: <c>first_touch</c> or <c>last_touch</c>.</summary>
    [Id(9)] public string Attribution { get; init; } = AttributionModels.FirstTouch;
    /// <summary>Some figures are withheld (null) because they cover fewer people than the small-group threshold.</summary>
    [Id(10)] public bool Suppressed { get; init; }
}

/// <summary>One campaign, keyed by campaign id (the users' first-touch campaign value).</summary>
public interface ICampaignGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds a pre-aggregated delta of both attribution models. <paramref name="sequence"/> increases per source; a
    /// repeated one is ignored.
    /// </summary>
    Task ApplyAsync(CampaignTotals firstTouch, CampaignTotals lastTouch, string source, long sequence);

    /// <summary>
    /// Records a spend durably (amount &gt; 0). A repeated <paramref name="idempotencyKey"/> records nothing more.
    /// Returns the campaign with the spend applied.
    /// </summary>
    Task<CampaignView> AddSpendAsync(decimal amount, DateOnly? date, string? idempotencyKey);

    /// <summary>The campaign under first-touch attribution, or null when nothing is known about it (no user, no spend).</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CampaignView?> GetAsync();

    /// <summary>The campaign under <paramref name="model"/>, or null when nothing is known about it (no user, no spend).</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CampaignView?> GetAttributedAsync(AttributionModel model);

    /// <summary>The additive first-touch figures.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CampaignTotals> GetTotalsAsync();

    /// <summary>The additive figures under <paramref name="model"/>.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CampaignTotals> GetAttributedTotalsAsync(AttributionModel model);

    /// <summary>Replaces the figures of both models (reconcile --fix, from the event log); spend is kept.</summary>
    Task ResetAsync(CampaignTotals firstTouch, CampaignTotals lastTouch);
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
