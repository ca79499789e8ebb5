using SampleMind.Alerts;
using SampleMind.Analytics.Campaigns;
using SampleMind.Rollups;

namespace SampleMind.Campaigns;

[GenerateSerializer, Alias("sm.campaign-state")]
public sealed class CampaignState
{
    [Id(0)] public CampaignTotals Totals { get; set; } = new();
    [Id(1)] public List<CampaignSpend> Spend { get; set; } = [];

    /// <summary>The last sequence applied per source (a silo incarnation's pre-aggregator), so retried flushes count once.</summary>
    [Id(2)] public FlushLedger Applied { get; set; } = new();

    [Id(3)] public bool Registered { get; set; }

    /// <summary>The last-touch figures (<see cref="Totals"/> are the first-touch ones).</summary>
    [Id(4)] public CampaignTotals LastTouch { get; set; } = new();
}

/// <summary>
/// One campaign: first-touch and last-touch people figures from the pre-aggregators, and the spend recorded through the
/// API (the same spend under both models).
/// </summary>
public sealed class CampaignGrain(
    [PersistentState("campaign", "Default")] IPersistentState<CampaignState> state,
    TimeProvider time) : Grain, ICampaignGrain
{
    public async Task ApplyAsync(CampaignTotals firstTouch, CampaignTotals lastTouch, string source, long sequence)
    {
        if (!state.State.Applied.Accept(source, sequence))
        {
            return;
        }
        state.State.Totals = Added(state.State.Totals, firstTouch);
        state.State.LastTouch = Added(state.State.LastTouch, lastTouch);
        await RegisterAsync();
        await this.WriteOrDeactivateAsync(state);
        await ReportAsync();
    }

    public async Task<CampaignView> AddSpendAsync(decimal amount, DateOnly? date, string? idempotencyKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        if (idempotencyKey is null || !state.State.Spend.Exists(s => s.IdempotencyKey == idempotencyKey))
        {
            state.State.Spend.Add(new CampaignSpend(amount, date, idempotencyKey, time.GetUtcNow()));
            await RegisterAsync();
            await this.WriteOrDeactivateAsync(state);
            await ReportAsync();
        }
        return View();
    }

    public Task<CampaignView?> GetAsync() => GetAttributedAsync(AttributionModel.FirstTouch);

    public Task<CampaignView?> GetAttributedAsync(AttributionModel model)
        => Task.FromResult(state.State.Registered || state.State.Spend.Count > 0 || !state.State.Totals.ToFigures().IsZero
            || !state.State.LastTouch.ToFigures().IsZero ? View(model) : null);

    public Task<CampaignTotals> GetTotalsAsync() => Task.FromResult(state.State.Totals);

    public Task<CampaignTotals> GetAttributedTotalsAsync(AttributionModel model)
        => Task.FromResult(model == AttributionModel.LastTouch ? state.State.LastTouch : state.State.Totals);

    public async Task ResetAsync(CampaignTotals firstTouch, CampaignTotals lastTouch)
    {
        state.State.Totals = firstTouch;
        state.State.LastTouch = lastTouch;
        if (!firstTouch.ToFigures().IsZero || !lastTouch.ToFigures().IsZero)
        {
            await RegisterAsync();
        }
        await this.WriteOrDeactivateAsync(state);
        await ReportAsync();
    }

    /// <summary>Tells the alert monitor the CAC after a change.</summary>
    private Task ReportAsync()
        => GrainFactory.ReportToAlertsAsync(m => m.ObserveCampaignAsync(this.GetPrimaryKeyString(), View().Cac));

    private async Task RegisterAsync()
    {
        if (!state.State.Registered)
        {
            await GrainFactory.GetGrain<ICampaignCatalogGrain>(ICampaignCatalogGrain.Key).RegisterAsync(this.GetPrimaryKeyString());
            state.State.Registered = true;
        }
    }

    private static CampaignTotals Added(CampaignTotals totals, CampaignTotals delta)
    {
        var figures = totals.ToFigures();
        figures.Add(delta.ToFigures());
        return figures.ToWire();
    }

    private CampaignView View(AttributionModel model = AttributionModel.FirstTouch)
    {
        var t = model == AttributionModel.LastTouch ? state.State.LastTouch : state.State.Totals;
        var spend = state.State.Spend.Sum(s => s.Amount);
        var economics = CampaignEconomics.From(spend, t.Conversions, t.Revenue);
        return new CampaignView
        {
            Id = this.GetPrimaryKeyString(),
            Users = t.Users,
            Signups = t.Signups,
            Conversions = t.Conversions,
            Revenue = t.Revenue,
            Spend = spend,
            Cac = economics.Cac,
            Ltv = economics.Ltv,
            Roi = economics.Roi,
            Attribution = model.Name(),
        };
    }
}

[GenerateSerializer, Alias("sm.campaign-catalog-state")]
public sealed class CampaignCatalogState
{
    [Id(0)] public SortedSet<string> Ids { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Every campaign id; each campaign grain registers itself once.</summary>
public sealed class CampaignCatalogGrain(
    [PersistentState("campaign-catalog", "Default")] IPersistentState<CampaignCatalogState> state) : Grain, ICampaignCatalogGrain
{
    public async Task RegisterAsync(string campaignId)
    {
        if (state.State.Ids.Add(campaignId))
        {
            await this.WriteOrDeactivateAsync(state);
        }
    }

    public Task<string[]> ListAsync() => Task.FromResult(state.State.Ids.ToArray());
}

/// <summary>Between the analytics figures and their wire form.</summary>
public static class CampaignMapping
{
    public static CampaignTotals ToWire(this CampaignFigures f)
        => new() { Users = f.Users, Signups = f.Signups, Conversions = f.Conversions, Revenue = f.Revenue };

    public static CampaignFigures ToFigures(this CampaignTotals t)
        => new() { Users = t.Users, Signups = t.Signups, Conversions = t.Conversions, Revenue = t.Revenue };
}
