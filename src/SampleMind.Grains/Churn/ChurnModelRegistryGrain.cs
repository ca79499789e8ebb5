using Orleans.Concurrency;

namespace SampleMind.Churn;

/// <summary>Promotes a churn version in the registry table and switches this silo's scorer at once.</summary>
[StatelessWorker]
public sealed class ChurnModelRegistryGrain(ChurnModelStore store, ChurnModelRefresher refresher) : Grain, IChurnModelRegistryGrain
{
    public async Task<ChurnPromotion?> PromoteAsync(int version)
    {
        if (await store.PromoteAsync(version, CancellationToken.None) is not { } at)
        {
            return null;
        }
        await refresher.RefreshAsync(CancellationToken.None);
        return new ChurnPromotion(version, Analytics.Churn.ChurnPredictor.VersionName(version), at);
    }
}
