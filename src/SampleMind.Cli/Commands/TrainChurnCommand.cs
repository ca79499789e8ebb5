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

    [CommandOption("--fit-step-days <N>")]
    [Description("Days between two cut-off dates the trees fit on (default: --step-days); test and calibration dates stay on the --step-days grid")]
    public int? FitStepDays { get; set; }

    [CommandOption("--trees <N>")]
    [Description("Boosted trees of the churn model")]
    [DefaultValue(300)]
    public int Trees { get; set; } = 300;

    [CommandOption("--leaves <N>")]
    [Description("Leaves of each tree")]
    [DefaultValue(8)]
    public int Leaves { get; set; } = 8;

    [CommandOption("--learning-rate <R>")]
    [Description("Learning rate (shrinkage) of the boosted trees")]
    [DefaultValue(0.05)]
    public double LearningRate { get; set; } = 0.05;

    [CommandOption("--min-leaf <N>")]
    [Description("The fewest training examples a leaf may hold")]
    [DefaultValue(100)]
    public int MinLeaf { get; set; } = 100;

    [CommandOption("--calibration <METHOD>")]
    [Description("platt (a sigmoid of the trees' score) or isotonic (a monotone step function), fitted on the calibration slice")]
    [DefaultValue("platt")]
    public string Calibration { get; set; } = "platt";

    [CommandOption("--promote")]
    [Description("Promote the new version at once (silos switch to it within their poll interval)")]
    public bool Promote { get; set; }

    [CommandOption("--json")]
    [Description("Print the metrics as JSON (auc, prAuc, logLoss, calibration, version, …) instead of tables")]
    public bool Json { get; set; }

    [CommandOption("--truth <FILE>")]
    [Description("A simulated population's truth file (simulate --churn realistic --truth FILE): the oracle AUC (its true 30-day churn probabilities ranked) and the model's share of it")]
    public string? Truth { get; set; }

    [CommandOption("--chart <FILE>")]
    [Description("Write the reliability diagram (model and, with --truth, oracle; ten equal-count bins) to FILE as SVG")]
    public string? Chart { get; set; }

    [CommandOption("--predictions <FILE>")]
    [Description("Write every test example's probability (and with --truth the true one) to FILE as CSV: where the model errs")]
    public string? Predictions { get; set; }

    public override ValidationResult Validate()
        => StepDays is < 1 or > 60 || Trees is < 1 or > 5000 || FitStepDays is { } fit && (fit < 1 || fit > StepDays)
            ? ValidationResult.Error("--step-days must be 1…60, --fit-step-days 1…--step-days and --trees 1…5000")
            : Leaves is < 2 or > 1024 || MinLeaf is < 1 or > 100_000 || !(LearningRate is > 0 and <= 1)
                ? ValidationResult.Error("--leaves must be 2…1024, --min-leaf 1…100000 and --learning-rate in (0, 1]")
                : Calibration is not ("platt" or "isotonic")
                    ? ValidationResult.Error("--calibration must be platt or isotonic")
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
        var (estimate, first, last) = await CliDatabase.RunAsync(dataSource, ds => RangeAsync(ds, cancellationToken));
        if (first is null || last is null)
        {
            throw new CliException("the user event log is empty: nothing to train on (load events first, e.g. ./samplemind simulate --days 90 --target …)");
        }
        var plan = ChurnTrainingSet.Plan(first.Value, last.Value, settings.StepDays, settings.FitStepDays);
        var needed = ChurnTrainingSet.MinHistoryDays + ChurnTrainingSet.HorizonDays + settings.StepDays;
        if (plan.Cutoffs.Count < 2)
        {
            throw new CliException($"the user event log spans {last.Value.DayNumber - first.Value.DayNumber + 1} days ({first:yyyy-MM-dd} to {last:yyyy-MM-dd}): "
                + $"too short to train on, train-churn needs at least {needed + 1} days (history, two cut-off dates, 30 days of outcome)");
        }

        var truth = settings.Truth is null ? null : ReadTruth(settings.Truth);
        var clock = Stopwatch.StartNew();
        var options = new ChurnTrainingOptions
        {
            Trees = settings.Trees,
            Leaves = settings.Leaves,
            LearningRate = settings.LearningRate,
            MinExamplesPerLeaf = settings.MinLeaf,
            Calibration = settings.Calibration == "isotonic" ? ChurnCalibration.Isotonic : ChurnCalibration.Platt,
        };
        ChurnTrainingResult? result = null;
        var examples = new List<ChurnExample>();
        var log = new LogRead(0, 0);
        var stages = new List<(string Stage, double Seconds)>();
        await Progress(async (read, replay, train) =>
        {
            read.MaxValue = Math.Max(1, estimate);
            read.IsIndeterminate = estimate == 0;
            var store = new CompactEventStore();
            log = await CliDatabase.RunAsync(dataSource, ds => ReadLogAsync(ds, store, read, cancellationToken));
            read.MaxValue = read.Value = Math.Max(1, log.Events);
            read.IsIndeterminate = false;
            stages.Add(("read the log", clock.Elapsed.TotalSeconds));

            replay.MaxValue = Math.Max(1, store.Users);
            examples = await Task.Run(() => Replay(store, plan, replay, cancellationToken), cancellationToken);
            stages.Add(("replay users at past dates", clock.Elapsed.TotalSeconds - stages.Sum(x => x.Seconds)));

            train.StartTask();
            train.IsIndeterminate = true;
            try
            {
                result = await Task.Run(() => ChurnTrainer.Train(examples, options, stage => train.Description = $"training: {stage}", truth), cancellationToken);
            }
            catch (ChurnTrainingException ex)
            {
                throw new CliException(ex.Message);
            }
            train.IsIndeterminate = false;
            train.Value = train.MaxValue;
            stages.Add(("train, calibrate, evaluate", clock.Elapsed.TotalSeconds - stages.Sum(x => x.Seconds)));
        });
        var events = log.Events;

        var store = new ChurnModelStore(dataSource);
        var version = await CliDatabase.RunAsync(dataSource, _ => store.RegisterAsync(result!, cancellationToken));
        var promoted = settings.Promote && await CliDatabase.RunAsync(dataSource, _ => store.PromoteAsync(version, cancellationToken)) is not null;
        var m = result!.Metrics;
        if (settings.Chart is not null)
        {
            try
            {
                await File.WriteAllTextAsync(settings.Chart, ReliabilityChart.Svg(m), cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot write --chart {settings.Chart}: {ex.Message}");
            }
        }
        if (settings.Predictions is not null)
        {
            try
            {
                await File.WriteAllLinesAsync(settings.Predictions, ["user_id,cutoff,paid,churned,probability,true_probability",
                    .. result.TestPredictions.Select(p => string.Create(CultureInfo.InvariantCulture,
                        $"{Csv(p.UserId)},{p.Cutoff:yyyy-MM-dd},{(p.Paid ? 1 : 0)},{(p.Churned ? 1 : 0)},{p.Probability},{p.TrueProbability}"))], cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot write --predictions {settings.Predictions}: {ex.Message}");
            }
        }
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
                m.Brier,
                m.Ece,
                eceBinning = "10 equal-count bins by predicted probability (the calibration deciles), weighted by size",
                m.TopDecileCapture,
                m.TopDecileLift,
                m.OracleAuc,
                m.OracleShare,
                m.OracleExamples,
                m.OutOfTime,
                m.Split,
                m.Calibration,
                m.FeatureImportance,
                featureImportanceMethod = ChurnTrainer.FeatureImportanceMethod,
                m.Oracle,
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
                stageSeconds = stages.ToDictionary(x => x.Stage, x => Math.Round(x.Seconds, 1)),
            }, ChurnModelStore.Json));
            return 0;
        }
        Report(version, promoted, m, events, examples.Count, clock.Elapsed, stages);
        return 0;
    }

    /// <summary>A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.</summary>
    private static string Csv(string value)
        => value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    /// <summary>(user, cut-off day number) → the true 30-day churn probability, from a simulator truth file.</summary>
    private static Dictionary<(string, int), double> ReadTruth(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var json = JsonDocument.Parse(stream);
            if (!json.RootElement.TryGetProperty("churn", out var churn) || churn.ValueKind != JsonValueKind.Object)
            {
                throw new CliException($"--truth {path} holds no churn truth: simulate it with --churn realistic");
            }
            var cutoffs = churn.GetProperty("cutoffs").EnumerateArray().Select(c => DateOnly.ParseExact(c.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber).ToArray();
            var map = new Dictionary<(string, int), double>();
            foreach (var user in json.RootElement.GetProperty("users").EnumerateArray())
            {
                var id = user.GetProperty("user_id").GetString()!;
                var i = 0;
                foreach (var p in user.GetProperty("churn_probability30d").EnumerateArray())
                {
                    if (p.ValueKind == JsonValueKind.Number)
                    {
                        map[(id, cutoffs[i])] = p.GetDouble();
                    }
                    i++;
                }
            }
            return map;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CliException($"cannot read --truth {path}: {ex.Message}");
        }
    }

    private static async Task Progress(Func<ProgressTask, ProgressTask, ProgressTask, Task> body)
    {
        var console = EventProgress.Console;
        if (!console.Profile.Capabilities.Interactive)
        {
            await body(new ProgressTask(0, "read", 1, autoStart: false), new ProgressTask(1, "replay", 1, autoStart: false),
                new ProgressTask(2, "train", 1, autoStart: false));
            return;
        }
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new CountAndRateColumn(),
                new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context => await body(
                context.AddTask("reading the log (events)"),
                context.AddTask("replaying users at past dates (users)", autoStart: false),
                context.AddTask("training", autoStart: false, maxValue: 1)));
    }

    /// <summary>The first and last day of the log (null when empty), and the planner's estimate of its rows (0: unknown).</summary>
    private static async Task<(long Estimate, DateOnly? First, DateOnly? Last)> RangeAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        // min/max come from the ts index; count(*) would scan the whole log once more.
        await using var command = dataSource.CreateCommand("""
            SELECT (SELECT min(ts) FROM user_events), (SELECT max(ts) FROM user_events),
                   (SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'user_events'::regclass)
            """);
        command.CommandTimeout = 300; // the first read after a bulk load may set hint bits
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return reader.IsDBNull(0)
                ? (0, null, null)
                : (reader.GetInt64(2), DateOnly.FromDateTime(reader.GetFieldValue<DateTime>(0)), DateOnly.FromDateTime(reader.GetFieldValue<DateTime>(1)));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new CliException("the user event log does not exist yet: run ./samplemind db migrate, then load events");
        }
    }

    private sealed record class LogRead(long Events, int Users);

    /// <summary>
    /// Reads the whole log in table order (one sequential scan: no sort of the log by user, which spills to disk at
    /// tens of millions of events) into <paramref name="store"/>, parsing on every core; each user's events go to one
    /// parser (by hash), so a user's bytes have one writer.
    /// </summary>
    private static async Task<LogRead> ReadLogAsync(NpgsqlDataSource dataSource, CompactEventStore store, ProgressTask progress, CancellationToken cancellationToken)
    {
        const int BatchSize = 512;
        var parsers = Math.Max(1, Environment.ProcessorCount);
        var queues = Enumerable.Range(0, parsers).Select(_ => Channel.CreateBounded<List<(string User, string Json)>>(16)).ToArray();
        var workers = queues.Select(queue => Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in queue.Reader.ReadAllAsync(cancellationToken))
                {
                    foreach (var (user, json) in batch)
                    {
                        store.Add(user, EventFacts.Parse(json));
                    }
                }
            }
            catch (Exception ex)
            {
                queue.Writer.TryComplete(ex); // the reader's next write to this parser fails instead of waiting forever
                throw;
            }
        }, cancellationToken)).ToArray();

        long read = 0;
        try
        {
            var pending = queues.Select(_ => new List<(string, string)>(BatchSize)).ToArray();
            await using var command = dataSource.CreateCommand("SELECT user_id, payload::text FROM user_events");
            command.CommandTimeout = 0; // one long stream: tens of millions of rows

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var user = reader.GetString(0);
                var to = (int)((uint)StringComparer.Ordinal.GetHashCode(user) % (uint)parsers);
                pending[to].Add((user, reader.GetString(1)));
                if (pending[to].Count == BatchSize)
                {
                    await queues[to].Writer.WriteAsync(pending[to], cancellationToken);
                    pending[to] = new List<(string, string)>(BatchSize);
                }
                if (++read % 10_000 == 0)
                {
                    progress.MaxValue = Math.Max(progress.MaxValue, read);
                    progress.Value = read;
                }
            }
            for (var i = 0; i < parsers; i++)
            {
                await queues[i].Writer.WriteAsync(pending[i], cancellationToken);
            }
        }
        catch (ChannelClosedException)
        {
            // A parser failed: its own exception below says why.
        }
        finally
        {
            foreach (var queue in queues)
            {
                queue.Writer.TryComplete();
            }
        }
        await Task.WhenAll(workers);
        return new LogRead(read, store.Users);
    }

    /// <summary>Replays every user through the production user model at the cut-off dates, users in parallel.</summary>
    private static List<ChurnExample> Replay(CompactEventStore store, ChurnTrainingPlan plan, ProgressTask progress, CancellationToken cancellationToken)
    {
        progress.StartTask();
        var examples = new ConcurrentBag<List<ChurnExample>>();
        long done = 0;
        Parallel.ForEach(store.UserIds.ToArray(), new ParallelOptions { CancellationToken = cancellationToken }, userId =>
        {
            var events = store.Read(userId);
            store.Release(userId);
            examples.Add(ChurnTrainingSet.ForUser(userId, events, plan));
            if (Interlocked.Increment(ref done) % 100 == 0)
            {
                progress.Value = done;
            }
        });
        progress.Value = progress.MaxValue;
        return [.. examples.SelectMany(x => x).OrderBy(e => e.UserId, StringComparer.Ordinal).ThenBy(e => e.CutoffDay)];
    }

    private static void Report(int version, bool promoted, ChurnModelMetrics m, long events, int examples, TimeSpan elapsed, List<(string Stage, double Seconds)> stages)
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
        summary.AddRow("Brier", F(m.Brier));
        summary.AddRow("ECE (10 equal-count bins)", F(m.Ece));
        summary.AddRow("top decile", $"captures {m.TopDecileCapture:P1} of churners (lift {m.TopDecileLift:0.00})");
        summary.AddRow("split", Markup.Escape(m.Split ?? ""));
        if (m.OracleAuc is { } oracleAuc)
        {
            summary.AddRow("oracle AUC", $"{F(oracleAuc)} (true probabilities, {m.OracleExamples:N0} test examples); model / oracle {m.OracleShare:0.0000}");
        }
        if (m.FeatureImportance is { } importance)
        {
            summary.AddRow("feature importance (FastTree gain)", string.Join(", ", importance.Take(6).Select(f => $"{f.Feature} {f.Importance:0.000}")));
        }
        summary.AddRow("segment in 30 days", $"{m.SegmentAccuracy:P1} right (staying put: {m.SegmentStayAccuracy:P1})");
        summary.AddRow("time", $"{elapsed.TotalSeconds:F1} s (" + string.Join(", ", stages.Select(x => $"{x.Stage} {x.Seconds:F1} s")) + ")");
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
