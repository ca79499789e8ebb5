using Npgsql;
using SampleMind.Cli.Infrastructure;
using SampleMind.Identity;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>
/// reconcile --check for the identity map: no event, index row or link left under a merged key (the oracles count
/// <c>user_events.user_id</c> as the person, see <see cref="IdentityOracle"/>).
/// </summary>
public static class IdentityReconciler
{
    public static async Task<int> CheckAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var checks = await CliDatabase.RunAsync(dataSource, ds => IdentityOracle.CheckAsync(ds, cancellationToken));
        var (links, people) = await CliDatabase.RunAsync(dataSource, ds => IdentityOracle.CountAsync(ds, cancellationToken));
        var differences = 0;
        foreach (var (invariant, violations) in checks)
        {
            if (violations != 0)
            {
                differences++;
                Console.WriteLine($"identity map: {violations} {invariant}");
            }
        }
        Console.WriteLine($"{differences} difference{(differences == 1 ? "" : "s")} in the identity map ({links} merged keys into {people} people)");
        return differences;
    }
}
