using System.Text;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Simulation;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Churn;

/// <summary>A simulated population's event log per user, as the ingest path stores it (normalised by SegmentBatchReader).</summary>
internal static class SimulatedLog
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static Dictionary<string, List<EventFacts>> Generate(int users, int days, long seed) =>
        Generate(new PopulationSimulator(new SimulationOptions { Users = users, Days = days, Seed = seed, Now = Now }));

    public static Dictionary<string, List<EventFacts>> Generate(PopulationSimulator simulator)
    {
        var log = new Dictionary<string, List<EventFacts>>(StringComparer.Ordinal);
        var batch = new List<string>(100);
        void Flush()
        {
            var result = SegmentBatchReader.Read(Encoding.UTF8.GetBytes("{\"batch\":[" + string.Join(',', batch) + "]}"), SegmentEndpoint.Batch, Now);
            Assert.True(result.IsValid, result.Problem.ToString());
            foreach (var e in result.Events)
            {
                if (!log.TryGetValue(e.UserKey, out var events))
                {
                    log[e.UserKey] = events = [];
                }
                events.Add(EventFacts.Parse(e.Json));
            }
            batch.Clear();
        }
        foreach (var e in simulator.Generate())
        {
            batch.Add(Encoding.UTF8.GetString(e.Json.Span));
            if (batch.Count == 100)
            {
                Flush();
            }
        }
        if (batch.Count > 0)
        {
            Flush();
        }
        return log;
    }
}
