using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using SampleMind.Analytics.Forecasts;
using SampleMind.Analytics.Revenue;
using SampleMind.Cli.Infrastructure;
using SampleMind.Kpis;
using SampleMind.Revenue;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public sealed class ForecastSettings : DbSettings
{
    [CommandOption("--backtest")]
    [Description("Rolling-origin evaluation over the event log's history: MAPE against seasonal-naive, 85 % interval coverage")]
    public bool Backtest { get; set; }

    [CommandOption("--series <LIST>")]
    [Description("Comma-separated series: mrr, dau, signups (default all three)")]
    public string Series { get; set; } = "mrr,dau,signups";

    [CommandOption("--horizon <DAYS>")]
    [Description("Days forecast from each origin (default 14)")]
    public int Horizon { get; set; } = 14;

    [CommandOption("--step <DAYS>")]
    [Description("Days between origins (default 1: every day)")]
    public int Step { get; set; } = 1;

    [CommandOption("--to <DATE>")]
    [Description("Last day of history (YYYY-MM-DD); default the log's last day, yesterday at the latest (today is not over)")]
    public string? To { get; set; }

    [CommandOption("--revenue-source <SOURCE>")]
    [Description("events (the trailing 30 days' revenue) or stripe (Stripe's MRR); stripe also when Stripe MRR is stored")]
    public string RevenueSource { get; set; } = Environment.GetEnvironmentVariable("Revenue__Source") ?? "events";

    [CommandOption("--json")]
    [Description("Print the figures as one JSON object (the last line)")]
    public bool Json { get; set; }

    internal string[] SeriesNames => [.. Series.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public override ValidationResult Validate()
    {
        if (!Backtest)
        {
            return ValidationResult.Error("say --backtest (the live forecasts are GET /api/forecasts/mrr and /api/forecasts/users)");
        }
        if (SeriesNames.Length == 0 || SeriesNames.FirstOrDefault(s => s is not ("mrr" or "dau" or "signups")) is { } bad)
        {
            return ValidationResult.Error($"--series '{Series}' is not a list of mrr, dau, signups");
        }
        if (Horizon is < 1 or > Forecaster.Horizon)
        {
            return ValidationResult.Error($"--horizon {Horizon} is not within 1–{Forecaster.Horizon}");
        }
        if (Step < 1)
        {
            return ValidationResult.Error($"--step {Step} is below 1");
        }
        if (To is not null && !DateOnly.TryParseExact(To, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return ValidationResult.Error($"--to '{To}' is not a date (YYYY-MM-DD)");
        }
        if (!Enum.TryParse<Analytics.Users.RevenueSource>(RevenueSource, ignoreCase: true, out _))
        {
            return ValidationResult.Error($"--revenue-source '{RevenueSource}' is not events or stripe");
        }
        return ValidationResult.Success();
    }
}

/// <summary>
/// <c>samplemind forecast --backtest</c>: the forecast method (ETS(A,Ad,A), weekly) against seasonal-naive on the
/// series the API forecasts, rebuilt by SQL from the event log (the KPI oracle, Stripe's MRR oracle), from every
/// origin with at least four weeks of history.
/// </summary>
public sealed class ForecastCommand : AsyncCommand<ForecastSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ForecastSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var series = await CliDatabase.RunAsync(dataSource, ds => LoadAsync(ds, settings, cancellationToken));
        var results = new Dictionary<string, BacktestResult>(StringComparer.Ordinal);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        void RunAll(Func<string, int, Action<int>> progressOf)
        {
            foreach (var (name, (_, s)) in series)
            {
                cancellationToken.ThrowIfCancellationRequested();
                results[name] = Backtest.Run(s.Values, settings.Horizon, settings.Step, progressOf(name, OriginCount(s)));
            }
        }
        if (EventProgress.Console.Profile.Capabilities.Interactive)
        {
            await EventProgress.Console.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new CountAndRateColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(progress =>
                {
                    var tasks = series.ToDictionary(p => p.Key,
                        p => progress.AddTask($"{p.Key} origins", maxValue: Math.Max(1, OriginCount(p.Value.Series))));
                    RunAll((name, _) => done => tasks[name].Value = done);
                    foreach (var task in tasks.Values)
                    {
                        task.Value = task.MaxValue;
                    }
                    return Task.CompletedTask;
                });
        }
        else
        {
            RunAll((_, _) => _ => { });
        }

        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                method = Forecaster.Method,
                coverageTarget = Forecaster.Coverage,
                settings.Horizon,
                settings.Step,
                minHistory = Forecaster.MinHistory,
                seconds = Math.Round(clock.Elapsed.TotalSeconds, 2),
                series = series.Select(p => new
                {
                    name = p.Key,
                    source = p.Value.Source,
                    start = p.Value.Series.Start,
                    end = p.Value.Series.End,
                    days = p.Value.Series.Values.Length,
                    origins = results[p.Key].Origins.Count,
                    pairs = results[p.Key].Pairs,
                    mapePairs = results[p.Key].MapePairs,
                    methodMape = results[p.Key].MethodMape,
                    naiveMape = results[p.Key].NaiveMape,
                    coverage = results[p.Key].Coverage,
                    byOrigin = results[p.Key].Origins.Select(o => new
                    {
                        history = o.History, methodMape = o.MethodMape, naiveMape = o.NaiveMape, covered = o.Covered,
                    }),
                }),
            }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
            return results.Values.Any(r => r.Origins.Count > 0) ? 0 : 1;
        }

        static string F(double? v, string format) => v?.ToString(format, CultureInfo.InvariantCulture) ?? "—";
        var table = new Table().AddColumns("series", "source", "history", "origins", "pairs", "MAPE ETS %", "MAPE seasonal-naive %",
            "85 % coverage");
        foreach (var (name, (source, s)) in series)
        {
            var r = results[name];
            table.AddRow(name, source, s.Values.Length == 0 ? "none" : $"{s.Values.Length} days ({s.Start:yyyy-MM-dd}..{s.End:yyyy-MM-dd})",
                r.Origins.Count == 0 ? $"0 (needs {Forecaster.MinHistory + settings.Horizon} days)" : r.Origins.Count.ToString(CultureInfo.InvariantCulture),
                r.Pairs.ToString(CultureInfo.InvariantCulture), F(r.MethodMape, "0.00"), F(r.NaiveMape, "0.00"),
                r.Coverage is { } c ? (c * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "—");
        }
        Console.WriteLine($"ETS (A,N,A or A,Ad,A by AICc, m = 7) vs seasonal-naive (same weekday of the last week): horizon {settings.Horizon} days, "
            + $"an origin every {settings.Step} day{(settings.Step == 1 ? "" : "s")} from day {Forecaster.MinHistory}");
        AnsiConsole.Write(table);
        var chart = new BarChart().Label("MAPE %, ETS (green) vs seasonal-naive (grey); lower is better").Width(80);
        foreach (var (name, r) in results.Where(p => p.Value.MethodMape is not null))
        {
            chart.AddItem($"{name} ETS", Math.Round(r.MethodMape!.Value, 2), Color.Green);
            chart.AddItem($"{name} naive", Math.Round(r.NaiveMape!.Value, 2), Color.Grey);
        }
        AnsiConsole.Write(chart);
        return results.Values.Any(r => r.Origins.Count > 0) ? 0 : 1;

        int OriginCount(DailySeries s) => Backtest.OriginsOf(s.Values.Length, settings.Horizon, settings.Step).Count();
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    /// <summary>The requested series over the log's days, built as GET /api/forecasts/* builds them from the live rows.</summary>
    private static async Task<List<KeyValuePair<string, (string Source, DailySeries Series)>>> LoadAsync(
        NpgsqlDataSource dataSource, ForecastSettings settings, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT min((ts AT TIME ZONE 'UTC')::date), max((ts AT TIME ZONE 'UTC')::date) FROM user_events");
        DateOnly first, last;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            if (reader.IsDBNull(0))
            {
                throw new CliException("the event log is empty: nothing to backtest", 1);
            }
            // Today (UTC) is not over: history ends yesterday at the latest, as the API's does.
            var yesterday = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
            (first, last) = (reader.GetFieldValue<DateOnly>(0), Min(reader.GetFieldValue<DateOnly>(1), yesterday));
        }
        if (settings.To is not null)
        {
            last = DateOnly.ParseExact(settings.To, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        if (last < first)
        {
            throw new CliException($"no complete day of history before {last.AddDays(1):yyyy-MM-dd}", 1);
        }
        var source = Enum.Parse<Analytics.Users.RevenueSource>(settings.RevenueSource, ignoreCase: true);
        var kpis = await KpiOracle.DaysAsync(dataSource, first, last, source, cancellationToken);
        var days = Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).Select(i => first.AddDays(i))
            .Select(d => kpis.GetValueOrDefault(d) ?? new Analytics.Kpis.KpiDayFigures()).ToArray();
        double[] dau = [.. days.Select(d => (double)d.Dau)];

        var result = new List<KeyValuePair<string, (string, DailySeries)>>();
        foreach (var name in settings.SeriesNames.Distinct())
        {
            (string, DailySeries) built = name switch
            {
                "dau" => ("events", ForecastSeries.SinceFirstActive(first, dau, dau)),
                "signups" => ("events", ForecastSeries.SinceFirstActive(first, [.. days.Select(d => (double)d.NewSignups)], dau)),
                _ => await MrrAsync(),
            };
            result.Add(new(name, built));
        }
        return result;

        async Task<(string, DailySeries)> MrrAsync()
        {
            var stripeDays = await MrrOracle.DaysAsync(dataSource, cancellationToken);
            var rows = MrrReport.Rows(stripeDays, first.DayNumber, last.DayNumber);
            if (source == Analytics.Users.RevenueSource.Stripe || rows.Any(r => r.Mrr != 0))
            {
                return ("stripe", ForecastSeries.StripeMrr(first, [.. rows.Select(r => (double)r.Mrr)]));
            }
            return ("events, trailing 30 days", ForecastSeries.TrailingRevenue(first, [.. days.Select(d => (double)d.Revenue)], dau));
        }
    }
}
