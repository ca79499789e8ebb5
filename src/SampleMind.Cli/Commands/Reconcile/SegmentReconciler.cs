using Npgsql;
using SampleMind.Analytics.Segments;
using SampleMind.Cli.Infrastructure;
using SampleMind.Segments;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>
/// reconcile for the daily segment distribution: --check compares every segment count and transition of each day in
/// --from..--to; --fix rewrites the figures of the whole log (each user's path spans all its days, and the days ahead).
/// </summary>
public static class SegmentReconciler
{
    public static async Task<int> CheckAsync(IClusterClient client, NpgsqlDataSource dataSource, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var sql = (await CliDatabase.RunAsync(dataSource, ds => SegmentOracle.FiguresAsync(ds, cancellationToken))).ToRows(from, to);
        var live = await client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).GetDaysAsync(from, to);
        var differences = 0;
        for (var i = 0; i < sql.Length; i++)
        {
            foreach (var segment in SegmentNames.All)
            {
                differences += Compare($"{sql[i].Date:yyyy-MM-dd} segment {segment}", live[i].Counts.GetValueOrDefault(segment) ?? 0, sql[i].Counts.GetValueOrDefault(segment) ?? 0);
            }
            var moves = live[i].Transitions.Select(m => (m.From, m.To)).Union(sql[i].Transitions.Select(m => (m.From, m.To)));
            foreach (var (moveFrom, moveTo) in moves)
            {
                differences += Compare($"{sql[i].Date:yyyy-MM-dd} transitions {moveFrom}→{moveTo}",
                    live[i].Transitions.FirstOrDefault(m => m.From == moveFrom && m.To == moveTo)?.Users ?? 0,
                    sql[i].Transitions.FirstOrDefault(m => m.From == moveFrom && m.To == moveTo)?.Users ?? 0);
            }
        }
        Console.WriteLine($"{differences} difference{(differences == 1 ? "" : "s")} in the segment distribution over {sql.Length} days");
        return differences;
    }

    public static async Task FixAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var figures = await CliDatabase.RunAsync(dataSource, ds => SegmentOracle.FiguresAsync(ds, cancellationToken));
        await client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).ResetAsync(figures.ToWire());
    }

    private static int Compare(string what, int live, int sql)
    {
        if (live == sql)
        {
            return 0;
        }
        Console.WriteLine($"{what}: live {live} ≠ sql {sql}");
        return 1;
    }
}
