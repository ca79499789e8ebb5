using System.Text;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Quality;

namespace SampleMind.UnitTests.Quality;

/// <summary>The source key of an event (read and refused bodies alike) and the quality score's definition.</summary>
public sealed class DataQualityTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 1, 0, 0, TimeSpan.Zero);

    private static string Track(string messageId, string context = "") =>
        $$"""{"type":"track","messageId":"{{messageId}}","userId":"u","event":"login"{{context}}}""";

    [Fact]
    public void Source_IsTheEventsLibraryName_OverTheBatchs_ElseUnknown()
    {
        string[] items =
        [
            Track("m1"),
            Track("m2", ""","context":{"library":{"name":"own"}}"""),
            Track("m3", ""","context":{"library":{"version":"1"}}"""),
            Track("m4", ""","context":{"library":{"name":""}}"""),
            Track("m5", ""","context":{"library":{"name":7}}"""),
        ];
        var body = "{\"batch\":[" + string.Join(',', items) + """],"context":{"library":{"name":"batch-lib"}}}""";

        var result = SegmentBatchReader.Read(Encoding.UTF8.GetBytes(body), SegmentEndpoint.Batch, Now);

        Assert.True(result.IsValid);
        Assert.Equal(["batch-lib", "own", "batch-lib", "unknown", "unknown"], result.Events.Select(e => e.Source));
        Assert.Equal(["unknown"], SegmentBatchReader.Read(Encoding.UTF8.GetBytes(Track("m6")), SegmentEndpoint.Track, Now)
            .Events.Select(e => e.Source));
        Assert.Equal(new string('x', IngestSource.MaxLength), IngestSource.Normalise(new string('x', 100)));
    }

    [Fact]
    public void SourcesOfRefused_CountsEveryItem_AndAnUnreadableBodyOnce()
    {
        var own = Track("m2", ""","context":{"library":{"name":"own"}}""");
        var body = "{\"batch\":[" + Track("m1") + """,{"type":"track"},7,""" + own + """],"context":{"library":{"name":"b"}}}""";

        var counts = SegmentBatchReader.SourcesOfRefused(Encoding.UTF8.GetBytes(body), SegmentEndpoint.Batch);

        Assert.Equal(new Dictionary<string, int> { ["b"] = 3, ["own"] = 1 }, counts);
        Assert.Equal(new Dictionary<string, int> { ["unknown"] = 1 },
            SegmentBatchReader.SourcesOfRefused("{not json"u8, SegmentEndpoint.Batch));
        Assert.Equal(new Dictionary<string, int> { ["unknown"] = 1 },
            SegmentBatchReader.SourcesOfRefused("""{"batch":[]}"""u8, SegmentEndpoint.Batch));
        Assert.Equal(new Dictionary<string, int> { ["s"] = 1 },
            SegmentBatchReader.SourcesOfRefused("""{"context":{"library":{"name":"s"}}}"""u8, SegmentEndpoint.Track));
    }

    [Fact]
    public void Score_IsTheMeanOfCompletenessValidityTimelinessAndConsistency()
    {
        // 10 received (8 accepted, 2 refused), 6 stored, 1 duplicate, 1 out of order; 3 of 4 complete; 4 of 6 in the hour.
        var counts = new QualityCounts(8, new Dictionary<string, long> { ["invalid"] = 2 }, 1, 6, 4, 3, 4, 1, 10, 20);

        var scores = QualityScores.Of(counts);

        Assert.Equal(10, counts.Received);
        Assert.Equal(0.75, scores.Completeness, 12);
        Assert.Equal(0.6, scores.Validity, 12);
        Assert.Equal(4 / 6.0, scores.Timeliness, 12);
        Assert.Equal(0.8, scores.Consistency, 12);
        Assert.Equal((0.75 + 0.6 + 4 / 6.0 + 0.8) / 4, scores.Score, 12);
    }

    [Fact]
    public void Score_OfNothingMissing_IsOne_AndStoredPastReceivedCannotPassOne()
    {
        var empty = new Dictionary<string, long>();
        Assert.Equal(1, QualityScores.Of(new QualityCounts(0, empty, 0, 0, 0, 0, 0, 0, null, null)).Score);
        // Counts ingest never saw (another input path, or a crash before the write-behind): validity stays 1.
        var unseen = QualityScores.Of(new QualityCounts(2, empty, 0, 5, 0, 0, 5, 0, 1, 2));
        Assert.Equal((1.0, 1.0, 1.0), (unseen.Validity, unseen.Consistency, unseen.Score));
        // More duplicates and out-of-order events than events: consistency stops at 0.
        Assert.Equal(0, QualityScores.Of(new QualityCounts(2, empty, 2, 0, 0, 0, 0, 3, null, null)).Consistency);
    }

    [Fact]
    public void Requirements_AsSql_ListEveryEventWithItsProperties()
    {
        var sql = EventRequirements.SqlValues();

        Assert.StartsWith("VALUES ('analysis_completed', ARRAY['model', 'model_version', 'processing_time_ms']::text[]), ", sql);
        Assert.Equal(EventRequirements.Required.Count, sql.Split("::text[])").Length - 1);
    }
}
