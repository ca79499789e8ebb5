using Microsoft.ML;
using Microsoft.ML.Data;
using SampleMind.Analytics.Churn;

namespace SampleMind.UnitTests.Churn;

/// <summary>
/// A stored version trained on an older, narrower feature vector (18 features before issue 19's part 2) is refused when
/// it is loaded, with the reason, instead of failing every score afterwards.
/// </summary>
public sealed class ChurnModelMismatchTests
{
    private sealed class OldRow
    {
        [VectorType(18)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    [Fact]
    public void Predictor_RefusesAVersionOfAnotherFeatureWidth_SayingWhy()
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 200).Select(i => new OldRow { Features = [.. Enumerable.Range(0, 18).Select(j => (float)((i * 7 + j) % 11))], Label = i % 3 == 0 });
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 2, minimumExampleCountPerLeaf: 5).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);

        var refused = Assert.Throws<ChurnModelMismatchException>(() => new ChurnPredictor("churn@3", stream.ToArray(), null));

        Assert.Equal($"churn@3 was trained on 18 features; this build's model reads {ChurnRow.Length}: train a new version", refused.Message);
    }
}
