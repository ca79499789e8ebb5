using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Users;
using SampleMind.Churn;
using SampleMind.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public sealed class TrainChurnSettings : DbSettings
{
    [CommandOption("--step-days <N>")]
    [Description("Days between two cut-off dates of the training set")]
    [DefaultValue(7)]
    public int StepDays { get; set; } = 7;

    [CommandOption("--trees <N>")]
    [Description("Boosted trees of the churn model")]
    [DefaultValue(200)]
    public int Trees { get; set; } = 200;

    [CommandOption("--promote")]
    [Description("Promote the new version at once (silos switch to it within their poll interval)")]
    public bool Promote { get; set; }

    [CommandOption("--json")]
    [Description("Print the metrics as JSON (auc, prAuc, logLoss, calibration, version, …) instead of tables")]
    public bool Json { get; set; }

    public override ValidationResult Validate()
        => StepDays is < 1 or > 60 || Trees is < 1 or > 5000
            ? ValidationResult.Error("--step-days must be 1…60 and --trees 1…5000")
            : ValidationResult.Success();
}

/// <summary>
/// <c>samplemind train-churn</c>: the churn model from the user event log. Every user's events are replayed through the
/// production user model at past cut-off dates (ChurnTrainingSet), a FastTree model is trained and calibrated
/// (ChurnTrainer), evaluated on held-out users at the latest dates, and registered as the next version in
/// <c>churn_models</c> (silos record its metrics in the <c>churn@N</c> model-version grain).
/// </summary>
public sealed class TrainChurnCommand : AsyncCommand<TrainChurnSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainChurnSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var (events, first, last) = await CliDatabase.RunAsync(dataSource, ds => RangeAsync(ds, cancellationToken));
        if (events == 0)
        {
            throw new CliException("the user event log is empty: nothing to train on (load events first, e.g. ./samplemind simulate --days 90 --target …)");
        }
        var plan = ChurnTrainingSet.Plan(first, last, settings.StepDays);
        var needed = ChurnTrainingSet.MinHistoryDays + ChurnTrainingSet.HorizonDays + settings.StepDays;
        if (plan.Cutoffs.Count < 2)
        {
            throw new CliException($"the user event log spans {last.DayNumber - first.DayNumber + 1} days ({first:yyyy-MM-dd} to {last:yyyy-MM-dd}): "
                + $"too short to train on, train-churn needs at least {needed + 1} days (history, two cut-off dates, 30 days of outcome)");
        }

        var clock = Stopwatch.StartNew();
        var options = new ChurnTrainingOptions { Trees = settings.Trees };
        ChurnTrainingResult? result = null;
        long replayed = 0;
        var examples = new List<ChurnExample>();
        await Progress(async (replay, train) =>
        {
            replay.MaxValue = events;
            examples = await CliDatabase.RunAsync(dataSource, ds => ReplayAsync(ds, plan, n => replay.Value = replayed = n, cancellationToken));
            replay.Value = replay.MaxValue;
            train.IsIndeterminate = true;
            try
            {
                result = await Task.Run(() => ChurnTrainer.Train(examples, options, stage => train.Description = $"training: {stage}"), cancellationToken);
            }
            catch (ChurnTrainingException ex)
            {
                throw new CliException(ex.Message);
            }
            train.IsIndeterminate = false;
            train.Value = train.MaxValue;
        }, () => replayed);

        var store = new ChurnModelStore(dataSource);
        var version = await CliDatabase.RunAsync(dataSource, _ => store.RegisterAsync(result!, cancellationToken));
        var promoted = settings.Promote && await CliDatabase.RunAsync(dataSource, _ => store.PromoteAsync(version, cancellationToken)) is not null;
        var m = result!.Metrics;
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                version,
                modelVersion = ChurnPredictor.VersionName(version),
                promoted,
                m.Auc,
                m.PrAuc,
                m.LogLoss,
                m.Calibration,
                m.TestExamples,
                m.TestPositives,
                m.FitExamples,
                m.CalibrationExamples,
                m.Users,
                m.TrainingCutoffs,
                m.TestCutoffs,
                m.SegmentAccuracy,
                m.SegmentStayAccuracy,
                events,
                seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            }, ChurnModelStore.Json));
            return 0;
        }
        Report(version, promoted, m, events, examples.Count, clock.Elapsed);
        return 0;
    }

    private static async Task Progress(Func<ProgressTask, ProgressTask, Task> body, Func<long> events)
    {
        var console = EventProgress.Console;
        if (!console.Profile.Capabilities.Interactive)
        {
            var replay = new ProgressTask(0, "replay", 1, autoStart: false);
            await body(replay, new ProgressTask(1, "train", 1, autoStart: false));
            return;
        }
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new EventRateColumn(events, null),
                new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context => await body(context.AddTask("replaying users at past dates"), context.AddTask("training", maxValue: 1)));
    }

    private static async Task<(long Events, DateOnly First, DateOnly Last)> RangeAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*), min(ts), max(ts) FROM user_events");
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var count = reader.GetInt64(0);
            return count == 0
                ? (0, default, default)
                : (count, DateOnly.FromDateTime(reader.GetFieldValue<DateTime>(1)), DateOnly.FromDateTime(reader.GetFieldValue<DateTime>(2)));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new CliException("the user event log does not exist yet: run ./samplemind db migrate, then load events");
        }
    }

    /// <summary>Reads the log user by user (one reader) and replays users in parallel (the other cores).</summary>
    private static async Task<List<ChurnExample>> ReplayAsync(NpgsqlDataSource dataSource, ChurnTrainingPlan plan, Action<long> progress, CancellationToken cancellationToken)
    {
        var users = Channel.CreateBounded<(string UserId, List<string> Payloads)>(256);
        var examples = new ConcurrentBag<ChurnExample>();
        var workers = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount)).Select(_ => Task.Run(async () =>
        {
            await foreach (var (userId, payloads) in users.Reader.ReadAllAsync(cancellationToken))
            {
                foreach (var example in ChurnTrainingSet.ForUser(userId, payloads.Select(EventFacts.Parse), plan))
                {
                    examples.Add(example);
                }
            }
        }, cancellationToken)).ToArray();

        try
        {
            await using var command = dataSource.CreateCommand("SELECT user_id, payload::text FROM user_events ORDER BY user_id");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            string? current = null;
            var payloads = new List<string>();
            long read = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                var userId = reader.GetString(0);
                if (userId != current && current is not null)
                {
                    await users.Writer.WriteAsync((current, payloads), cancellationToken);
                    payloads = [];
                }
                current = userId;
                payloads.Add(reader.GetString(1));
                if (++read % 10_000 == 0)
                {
                    progress(read);
                }
            }
            if (current is not null)
            {
                await users.Writer.WriteAsync((current, payloads), cancellationToken);
            }
            progress(read);
        }
        finally
        {
            users.Writer.TryComplete();
        }
        await Task.WhenAll(workers);
        return [.. examples.OrderBy(e => e.UserId, StringComparer.Ordinal).ThenBy(e => e.CutoffDay)];
    }

    private static void Report(int version, bool promoted, ChurnModelMetrics m, long events, int examples, TimeSpan elapsed)
    {
        static string F(double x) => x.ToString("0.0000", CultureInfo.InvariantCulture);
        var summary = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumns("", "");
        summary.AddRow("version", $"[bold]{ChurnPredictor.VersionName(version)}[/]" + (promoted ? " [green](promoted)[/]" : " (promote: POST /api/models/churn/" + version + "/promote)"));
        summary.AddRow("training set", $"{events:N0} events, {m.Users:N0} users, {examples:N0} examples at {m.TrainingCutoffs.Count + m.TestCutoffs.Count} cut-off dates");
        summary.AddRow("trained on", $"{m.FitExamples:N0} examples (+ {m.CalibrationExamples:N0} for calibration), cut-offs {m.TrainingCutoffs[0]:yyyy-MM-dd} … {m.TrainingCutoffs[^1]:yyyy-MM-dd}");
        summary.AddRow("evaluated on", $"{m.TestExamples:N0} examples of held-out users ({m.TestPositives:N0} churned), cut-offs {string.Join(", ", m.TestCutoffs.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))}");
        summary.AddRow("AUC", F(m.Auc));
        summary.AddRow("PR-AUC", F(m.PrAuc));
        summary.AddRow("log loss", F(m.LogLoss));
        summary.AddRow("segment in 30 days", $"{m.SegmentAccuracy:P1} right (staying put: {m.SegmentStayAccuracy:P1})");
        summary.AddRow("time", $"{elapsed.TotalSeconds:F1} s");
        AnsiConsole.Write(summary);

        var calibration = new Table().Border(TableBorder.Rounded).Title("calibration by decile (held-out users)")
            .AddColumns("decile", "examples", "predicted", "observed", "predicted █ / observed ▒");
        foreach (var b in m.Calibration)
        {
            calibration.AddRow(b.Decile.ToString(CultureInfo.InvariantCulture), b.Count.ToString("N0", CultureInfo.InvariantCulture),
                F(b.MeanPredicted), F(b.ObservedRate),
                $"[blue]{new string('█', (int)Math.Round(b.MeanPredicted * 30))}[/]\n[yellow]{new string('▒', (int)Math.Round(b.ObservedRate * 30))}[/]");
        }
        AnsiConsole.Write(calibration);
    }
}
