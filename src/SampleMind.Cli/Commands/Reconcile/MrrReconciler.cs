using Npgsql;
using SampleMind.Analytics.Revenue;
using SampleMind.Cli.Infrastructure;
using SampleMind.Revenue;
using SampleMind.Rollups;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>
/// reconcile for the MRR movement months: every month SQL over the stored Stripe events or the catalogue knows. The
/// movements span all time (MRR is their running sum), so --from/--to do not narrow them.
/// </summary>
public static class MrrReconciler
{
    public static async Task<int> CheckAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var sql = await CliDatabase.RunAsync(dataSource, ds => MrrOracle.DaysAsync(ds, cancellationToken));
        var (months, live) = await LiveAsync(client, sql);
        var differences = 0;
        foreach (var day in live.Keys.Union(sql.Keys).Order())
        {
            var l = live.GetValueOrDefault(day) ?? new MrrDayFigures();
            var s = sql.GetValueOrDefault(day) ?? new MrrDayFigures();
            foreach (var (field, lv, sv) in new (string, object, object)[]
            {
                ("new", l.New, s.New), ("expansion", l.Expansion, s.Expansion), ("contraction", l.Contraction, s.Contraction),
                ("churn", l.Churn, s.Churn), ("reactivation", l.Reactivation, s.Reactivation),
                ("new_customers", l.NewCustomers, s.NewCustomers), ("reactivated_customers", l.ReactivatedCustomers, s.ReactivatedCustomers),
                ("churned_customers", l.ChurnedCustomers, s.ChurnedCustomers),
            })
            {
                var (a, b) = (ReconcileText.Of(lv), ReconcileText.Of(sv));
                if (a != b)
                {
                    differences++;
                    Console.WriteLine($"mrr {DateOnly.FromDayNumber(day):yyyy-MM-dd} {field}: live {a} ≠ sql {b}");
                }
            }
        }
        Console.WriteLine($"{differences} difference{(differences == 1 ? "" : "s")} over {months.Count} MRR months");
        return differences;
    }

    public static async Task<int> FixAsync(IClusterClient client, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var sql = await CliDatabase.RunAsync(dataSource, ds => MrrOracle.DaysAsync(ds, cancellationToken));
        var (months, _) = await LiveAsync(client, sql);
        foreach (var month in months)
        {
            var figures = new MrrMonthFigures();
            foreach (var (day, f) in sql.Where(p => MrrMapping.MonthOf(p.Key) == month))
            {
                figures.Add(day, f);
            }
            await client.GetGrain<IMrrMonthGrain>(month).ResetAsync(figures.ToWire());
        }
        return months.Count;
    }

    private static async Task<(SortedSet<string> Months, Dictionary<int, MrrDayFigures> Live)> LiveAsync(
        IClusterClient client, SortedDictionary<int, MrrDayFigures> sql)
    {
        var months = new SortedSet<string>(sql.Keys.Select(MrrMapping.MonthOf)
            .Concat(await client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.MrrMonths).GetKeysAsync()), StringComparer.Ordinal);
        var live = new Dictionary<int, MrrDayFigures>();
        foreach (var month in months)
        {
            foreach (var (day, totals) in (await client.GetGrain<IMrrMonthGrain>(month).GetTotalsAsync()).Days)
            {
                live[day] = totals.ToFigures();
            }
        }
        return (months, live);
    }
}
