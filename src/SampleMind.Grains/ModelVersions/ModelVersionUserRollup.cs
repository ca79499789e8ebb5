using SampleMind.Analytics.ModelVersions;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.ModelVersions;

/// <summary>The model-version rollup: every figure is per event, so an ingest's delta is its new events' own figures.</summary>
/// <remarks>Keys past the model-version ceiling are counted under "(other)" (<see cref="DimensionRegistry"/>).</remarks>
public sealed class ModelVersionUserRollup(IModelVersionDeltaSink sink, DimensionRegistry registry) : IUserRollup
{
    /// <summary>Per-event figures: a merge moves none of them.</summary>
    public bool CountsPeople => false;

    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
    {
        var figures = ModelVersionFigures.Of(events);
        if (figures.Count == 0)
        {
            return Nothing.Instance;
        }
        var mapped = new Dictionary<string, ModelVersionFigures>(StringComparer.Ordinal);
        foreach (var (key, f) in figures)
        {
            var into = registry.Map(DimensionRegistry.ModelVersions, key);
            if (mapped.TryGetValue(into, out var sum))
            {
                sum.Add(f);
            }
            else
            {
                mapped[into] = f;
            }
        }
        return new Capture(sink, mapped);
    }

    private sealed class Capture(IModelVersionDeltaSink sink, Dictionary<string, ModelVersionFigures> figures) : IUserRollupCapture
    {
        public void Complete(UserModel model) => sink.Add(figures);
    }

    private sealed class Nothing : IUserRollupCapture
    {
        public static readonly Nothing Instance = new();

        public void Complete(UserModel model)
        {
        }
    }
}
