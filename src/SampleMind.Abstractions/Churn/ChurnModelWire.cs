namespace SampleMind.Churn;

/// <summary>A promoted churn model version, as <see cref="IChurnModelRegistryGrain.PromoteAsync"/> returns it.</summary>
[GenerateSerializer, Immutable, Alias("sm.churn-promotion")]
public sealed record class ChurnPromotion(
    [property: Id(0)] int Version,
    [property: Id(1)] string ModelVersion,
    [property: Id(2)] DateTimeOffset PromotedAt);

/// <summary>
/// The churn model registry (the <c>churn_models</c> table): promotes a trained version. Every silo polls the
/// promoted version and scores with it; the silo that promotes switches at once, the others within their poll interval.
/// </summary>
public interface IChurnModelRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Makes <paramref name="version"/> the one every silo scores with; null when no such version was trained.</summary>
    Task<ChurnPromotion?> PromoteAsync(int version);
}
