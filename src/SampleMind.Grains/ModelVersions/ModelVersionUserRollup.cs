using SampleMind.Analytics.ModelVersions;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.ModelVersions;

/// <summary>The model-version rollup: every figure is per event, so an ingest's delta is its new events' own figures.</summary>
public sealed class ModelVersionUserRollup(IModelVersionDeltaSink sink) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
    {
        var figures = ModelVersionFigures.Of(events);
        return figures.Count == 0 ? Nothing.Instance : new Capture(sink, figures);
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
