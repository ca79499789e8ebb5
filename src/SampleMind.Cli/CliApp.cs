using System.Runtime.InteropServices;
using SampleMind.Cli.Commands;
using SampleMind.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace SampleMind.Cli;

/// <summary>The <c>samplemind</c> command tree. Add a command: a class in Commands/ and one line here.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Action<PosixSignalContext> stop = signal =>
        {
            // First Ctrl+C / SIGTERM: stop gracefully (deliver what is in flight); a second one kills the process.
            if (!cancellation.IsCancellationRequested)
            {
                signal.Cancel = true;
                cancellation.Cancel();
            }
        };
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, stop);

        if (Console.IsOutputRedirected)
        {
            // A pipe or a file reads whole lines: do not wrap them at a made-up terminal width of 80.
            Spectre.Console.AnsiConsole.Profile.Width = 4096;
        }
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("samplemind");
            config.SetExceptionHandler((ex, _) => CliErrors.Report(ex));
            config.AddCommand<SimulateCommand>("simulate")
                .WithDescription("Generate a deterministic SampleMind population as Segment events (to a file or a running client-api).")
                .WithExample("simulate", "--users", "2000", "--days", "60", "--seed", "7", "--out", "a.ndjson")
                .WithExample("simulate", "--users", "500", "--days", "30", "--target", "http://127.0.0.1:5080", "--write-key", "dev", "--live");
            config.AddCommand<ReplayCommand>("replay")
                .WithDescription("Send an NDJSON event file to a running client-api (/v1/batch).")
                .WithExample("replay", "a.ndjson", "--target", "http://127.0.0.1:5080", "--write-key", "dev");
            config.AddCommand<ReconcileCommand>("reconcile")
                .WithDescription("Check the live KPI aggregates against SQL over the event log (--check), or rewrite them from it (--fix).")
                .WithExample("reconcile", "--check")
                .WithExample("reconcile", "--fix", "--from", "2026-10-01", "--to", "2026-11-24");
            config.AddCommand<BenchCommand>("bench")
                .WithDescription("Measure ingest throughput, risk-query latency, freshness, heap per user and the SQL baseline against this machine's limits.")
                .WithExample("bench", "--quick", "--json", "bench.json")
                .WithExample("bench", "--target", "http://127.0.0.1:5080");
            config.AddCommand<SampleMind.Cli.Soak.SoakCommand>("soak")
                .WithDescription("Run 3 silos and 2 client-apis on loopback under half-capacity ingest through a kill -9, a restart and a rolling restart; report lost and doubled events, aggregate differences and latency per phase.")
                .WithExample("soak", "--minutes", "10", "--json", "soak.json");
            config.AddCommand<TrainChurnCommand>("train-churn")
                .WithDescription("Train the churn model on the user event log at past dates, evaluate it on held-out users at later dates, register the version.")
                .WithExample("train-churn")
                .WithExample("train-churn", "--json", "--promote");
            config.AddCommand<ForecastCommand>("forecast")
                .WithDescription("Backtest the MRR, DAU and signup forecasts (ETS, weekly season) on the event log's history: MAPE against seasonal-naive and 85 % interval coverage.")
                .WithExample("forecast", "--backtest")
                .WithExample("forecast", "--backtest", "--series", "dau", "--horizon", "28", "--json");
            config.AddBranch("experiments", experiments =>
            {
                experiments.SetDescription("A/B and pricing experiments (created through POST /api/experiments).");
                experiments.AddCommand<ExperimentsListCommand>("list").WithDescription("Every experiment: status, metric, exposures, winner.");
                experiments.AddCommand<ExperimentsShowCommand>("show").WithDescription("One experiment's live results per variant, the tests against the control and a chart.")
                    .WithExample("experiments", "show", "price-q4");
            });
            config.AddBranch("stripe", stripe =>
            {
                stripe.SetDescription("Stripe as the source of truth for revenue (README \"Stripe\").");
                stripe.AddCommand<StripeBackfillCommand>("backfill")
                    .WithDescription("Read customers, subscriptions, paid invoices and refunds from Stripe's API and deliver them to POST /webhooks/stripe as signed events (idempotent with the webhooks).")
                    .WithExample("stripe", "backfill", "--api-key", "rk_live_…", "--target", "http://127.0.0.1:5080");
            });
            config.AddBranch("retention", retention =>
            {
                retention.SetDescription("The retention policies (Privacy:Retention): raw events past the analytics horizon, financial events past 7 years, inactive people.");
                retention.AddCommand<RetentionRunCommand>("run")
                    .WithDescription("Run the silos' retention job now and print what it removed and kept per class (--dry-run: count only).")
                    .WithExample("retention", "run", "--dry-run");
                retention.AddCommand<RetentionRunsCommand>("runs").WithDescription("The latest retention runs' records, newest first.");
            });
            config.AddBranch("db", db =>
            {
                db.SetDescription("The PostgreSQL schema (Orleans providers and the user event log).");
                db.AddCommand<DbMigrateCommand>("migrate").WithDescription("Apply the pending schema scripts (idempotent).");
                db.AddCommand<DbStatusCommand>("status").WithDescription("List the pending schema scripts; exit 1 when any.");
                db.AddCommand<DbRecreateCommand>("recreate").WithDescription("Drop and create a database of its own (--database NAME) next to SAMPLEMIND_PG's and print its connection string.");
                db.AddCommand<DbEventsCommand>("events").WithDescription("Print the number of events in the user event log (0 before the schema exists).");
            });
        });
        return await app.RunAsync(args, cancellation.Token);
    }
}
