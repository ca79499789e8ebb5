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

    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events) => CaptureOf(events, erase: false);

    /// <summary>The erased events' figures negated (their extremes are restated from the log by the erasure).</summary>
    public IUserRollupCapture BeginErase(UserModel model, IReadOnlyList<EventFacts> events) => CaptureOf(events, erase: true);

    private IUserRollupCapture CaptureOf(IReadOnlyList<EventFacts> events, bool erase)
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
        if (erase)
        {
            foreach (var key in mapped.Keys.ToArray())
            {
                mapped[key] = mapped[key].Negated();
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
