using Npgsql;
using SampleMind.Analytics.Experiments;
using SampleMind.Experiments;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>
/// Experiment grains against their SQL oracle (<see cref="ExperimentOracle"/>), every experiment in the catalogue.
/// Lifetime figures: --from/--to do not narrow them.
/// </summary>
public static class ExperimentReconciler
{
    /// <summary>Prints every difference; returns how many there are.</summary>
    public static async Task<int> CheckAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var differences = 0;
        var specs = await SpecsAsync(client);
        foreach (var spec in specs)
        {
            var definition = spec.ToDefinition();
            var sql = await ExperimentOracle.FiguresAsync(dataSource, definition, cancellationToken);
            var live = (await client.GetGrain<IExperimentGrain>(spec.Key).GetTotalsAsync()).ToFigures();
            foreach (var variant in live.Variants.Keys.Union(sql.Variants.Keys).Order(StringComparer.Ordinal))
            {
                var (l, s) = (live.Of(variant), sql.Of(variant));
                foreach (var (field, a, b) in new (string, decimal, decimal)[]
                {
                    ("exposed", l.Exposed, s.Exposed), ("conversions", l.Conversions, s.Conversions), ("churned", l.Churned, s.Churned),
                    ("revenue", l.Revenue, s.Revenue), ("revenue²", l.RevenueSquares, s.RevenueSquares),
                })
                {
                    if (a != b)
                    {
                        differences++;
                        Console.WriteLine($"experiment {spec.Key} {variant} {field}: live {a} ≠ sql {b}");
                    }
                }
            }
        }
        Console.WriteLine($"{differences} experiment difference{(differences == 1 ? "" : "s")} over {specs.Length} experiment{(specs.Length == 1 ? "" : "s")}");
        return differences;
    }

    /// <summary>Rewrites every experiment's totals from the event log; returns how many were rewritten.</summary>
    public static async Task<int> FixAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var specs = await SpecsAsync(client);
        foreach (var spec in specs)
        {
            var figures = await ExperimentOracle.FiguresAsync(dataSource, spec.ToDefinition(), cancellationToken);
            await client.GetGrain<IExperimentGrain>(spec.Key).ResetAsync(figures.ToWire());
        }
        return specs.Length;
    }

    private static async Task<ExperimentSpec[]> SpecsAsync(IClusterClient client)
        => (await client.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ChangedSinceAsync(-1))?.Specs ?? [];
}
