using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Campaigns;
using SampleMind.ClientApi.Apis;
using SampleMind.ClientApi.Privacy;
using SampleMind.Cohorts;
using SampleMind.Experiments;
using SampleMind.FunnelMetrics;
using SampleMind.Kpis;
using SampleMind.ModelVersions;
using SampleMind.Revenue;

namespace SampleMind.ClientApi.Dashboard;

/// <summary>
/// The KPI tiles of today (UTC). MRR: with <c>Revenue:Source = stripe</c>, Stripe's subscriptions normalised to a month
/// at the end of today (<see cref="MrrSource"/> "stripe"); otherwise the revenue of the trailing 30 days, today included
/// ("trailing-30d"). Time to First Value: median and p90 seconds of today's signups; Quality Score: today's mean
/// feedback rating (5-point).
/// </summary>
public sealed record class LiveTiles(
    DateOnly Date,
    int Dau,
    int Wap,
    int Signups,
    decimal Revenue,
    decimal Mrr,
    decimal? Arpu,
    decimal? ConversionRate,
    string MrrSource,
    long? TtfvMedianSeconds,
    long? TtfvP90Seconds,
    decimal? QualityScore);

/// <summary>Everything the live dashboard shows from the aggregate grains, as of <see cref="At"/>.</summary>
public sealed record class LiveSnapshot(
    DateTimeOffset At,
    LiveTiles Tiles,
    KpiDayRow[] Days,
    ModelVersionRow[] Models,
    CampaignView[] Campaigns,
    FunnelView[] Funnels,
    CohortRow[] Cohorts,
    ExperimentView[] Experiments,
    MrrRow[] Mrr,
    IReadOnlyDictionary<string, ExperimentTotals> ExperimentTotals)
{
    /// <summary>The snapshot as a non-admin key may see it: the group lists with their small groups withheld.</summary>
    public LiveSnapshot Suppressed(SmallGroups groups) => this with
    {
        Campaigns = [.. Campaigns.Select(groups.Campaign)],
        Funnels = [.. Funnels.Select(groups.Funnel)],
        Cohorts = [.. Cohorts.Select(groups.Cohort)],
        Experiments = [.. Experiments.Select(e => groups.Experiment(e, ExperimentTotals.GetValueOrDefault(e.Key) ?? new ExperimentTotals([])))],
    };
}

/// <summary>
/// Reads the live snapshot from the grains at most four times a second, however many dashboards are open: every
/// <c>/api/live</c> stream shares the snapshot taken in the last <see cref="MaxAge"/> (short, so a stream's
/// once-a-second round is never much older than the grains).
/// </summary>
public sealed class LiveSnapshotSource(IClusterClient client, TimeProvider time, IConfiguration configuration)
{
    private readonly bool _stripeRevenue = string.Equals(configuration["Revenue:Source"], "stripe", StringComparison.OrdinalIgnoreCase);

    /// <summary>Days in the DAU/WAP series and in MRR.</summary>
    public const int Days = 30;

    private static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(250);

    private readonly Lock _gate = new();
    private Task<LiveSnapshot>? _current;
    private long _takenAt;

    public Task<LiveSnapshot> GetAsync()
    {
        lock (_gate)
        {
            if (_current is null || _current.IsFaulted || time.GetElapsedTime(_takenAt) >= MaxAge)
            {
                _takenAt = time.GetTimestamp();
                _current = TakeAsync();
            }
            return _current;
        }
    }

    private async Task<LiveSnapshot> TakeAsync()
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var days = KpisApi.GetDayRowsAsync(client, today.AddDays(1 - Days), today);
        var models = ModelsApi.GetAllAsync(client);
        var campaigns = CampaignsApi.ListAsync(client);
        var cohorts = CohortsApi.GetAllAsync(client);
        var funnels = Task.WhenAll(FunnelFigures.Names.Select(n => client.GetGrain<IFunnelGrain>(n).GetAsync()));
        var experiments = ExperimentsApi.ListAsync(client);
        var mrr = RevenueApi.RowsAsync(client, today.AddDays(1 - Days), today);
        await Task.WhenAll(days, models, campaigns, cohorts, funnels, experiments, mrr);
        var experimentViews = (await experiments).Value!;
        var experimentTotals = await Task.WhenAll(experimentViews.Select(e => client.GetGrain<IExperimentGrain>(e.Key).GetTotalsAsync()));

        var rows = await days;
        var last = rows[^1];
        var mrrRows = await mrr;
        var tiles = new LiveTiles(today, last.Dau, last.Wap, last.NewSignups, last.DailyRevenue,
            _stripeRevenue ? mrrRows[^1].Mrr : rows.Sum(r => r.DailyRevenue), last.Arpu, last.ConversionRate,
            _stripeRevenue ? "stripe" : "trailing-30d", last.TtfvMedianSeconds, last.TtfvP90Seconds, last.QualityScore);
        return new LiveSnapshot(now, tiles, rows, (await models).Value!, (await campaigns).Value!, await funnels, (await cohorts).Value!,
            experimentViews, mrrRows, experimentViews.Select((e, i) => (e.Key, experimentTotals[i])).ToDictionary(p => p.Key, p => p.Item2, StringComparer.Ordinal));
    }
}
