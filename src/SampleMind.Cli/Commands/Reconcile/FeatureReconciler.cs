using Npgsql;
using SampleMind.Cli.Infrastructure;
using SampleMind.Features;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>
/// reconcile for the feature analytics grains (<see cref="FeatureReconciliation"/>): every feature's adoption weeks
/// against <see cref="FeatureOracle"/> over the whole event log; --from/--to do not narrow them.
/// </summary>
public static class FeatureReconciler
{
    /// <summary>Prints each difference between the live feature rows and SQL; returns how many there are.</summary>
    public static async Task<int> CheckAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var (differences, features) = await CliDatabase.RunAsync(dataSource, ds => FeatureReconciliation.CheckAsync(client, ds, cancellationToken));
        foreach (var line in differences)
        {
            Console.WriteLine(line);
        }
        Console.WriteLine($"{differences.Count} difference{(differences.Count == 1 ? "" : "s")} over {features} features");
        return differences.Count;
    }

    /// <summary>Rewrites every feature and activity-week grain from SQL; returns how many.</summary>
    public static Task<(int Features, int Weeks)> FixAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
        => CliDatabase.RunAsync(dataSource, ds => FeatureReconciliation.FixAsync(client, ds, cancellationToken));
}
