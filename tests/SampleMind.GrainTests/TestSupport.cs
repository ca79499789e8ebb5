using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.GrainTests;

/// <summary>Helpers the rollup tests share.</summary>
internal static class TestSupport
{
    /// <summary>The wire event for an event's JSON, as the ingest API builds it.</summary>
    public static UserEvent ToEvent(string json)
    {
        var f = EventFacts.Parse(json);
        return new UserEvent(f.MessageId, f.Type, f.Name, f.Timestamp, json);
    }

    /// <summary>
    /// Polls <paramref name="check"/> (null = all figures agree, else the first disagreement) until it agrees or the
    /// generous bound passes (pre-aggregators flush about once a second); asserts that it agreed.
    /// </summary>
    public static async Task EventuallyAsync(Func<Task<string?>> check, int seconds = 40)
    {
        string? problem = "not checked";
        for (var attempt = 0; attempt < seconds * 4 && problem is not null; attempt++)
        {
            problem = await check();
            if (problem is not null)
            {
                await Task.Delay(250);
            }
        }
        Assert.True(problem is null, problem);
    }
}
