using System.ComponentModel;
using System.Globalization;
using SampleMind.Analytics.Kpis;
using SampleMind.Cli.Commands.Reconcile;
using SampleMind.Cli.Infrastructure;
using SampleMind.Kpis;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public sealed class ReconcileSettings : ClusterSettings
{
    [CommandOption("--check")]
    [Description("Compare every live aggregate with SQL over the user event log; print each difference; exit 1 if any")]
    public bool Check { get; set; }

    [CommandOption("--fix")]
    [Description("Rewrite the aggregate grains of --from..--to from the event log (after a hard crash)")]
    public bool Fix { get; set; }

    [CommandOption("--from <DATE>")]
    [Description("First UTC day (YYYY-MM-DD); default: the first day in the event log")]
    public string? From { get; set; }

    [CommandOption("--revenue-source <SOURCE>")]
    [Description("What the KPI revenue columns count, as the silos' Revenue:Source: events (default) or stripe")]
    public string RevenueSource { get; set; } = Environment.GetEnvironmentVariable("Revenue__Source") ?? "events";

    [CommandOption("--to <DATE>")]
    [Description("Last UTC day (YYYY-MM-DD); default: the last day in the event log")]
    public string? To { get; set; }

    public override ValidationResult Validate()
    {
        if (Check == Fix)
        {
            return ValidationResult.Error("say --check or --fix");
        }
        if (!Enum.TryParse<Analytics.Users.RevenueSource>(RevenueSource, ignoreCase: true, out _))
        {
            return ValidationResult.Error($"--revenue-source '{RevenueSource}' is not events or stripe");
        }
        if (Fix && (From is null || To is null))
        {
            return ValidationResult.Error("--fix needs --from and --to");
        }
        foreach (var (name, value) in new[] { ("--from", From), ("--to", To) })
        {
            if (value is not null && !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                return ValidationResult.Error($"{name} '{value}' is not a date (YYYY-MM-DD)");
            }
        }
        return ValidationResult.Success();
    }
}

/// <summary><c>samplemind reconcile --check | --fix</c>: the live KPI aggregates against the SQL oracle over the event log.</summary>
public sealed class ReconcileCommand : AsyncCommand<ReconcileSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ReconcileSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var (from, to) = await CliDatabase.RunAsync(dataSource, ds => RangeAsync(ds, settings, cancellationToken));
        if (from > to)
        {
            throw new CliException($"--from {from:yyyy-MM-dd} is after --to {to:yyyy-MM-dd}", 2);
        }
        // A log trimmed by retention holds only part of the days before the cut-off (and of every lifetime figure): --check
        // compares the day figures from the Monday after the cut-off on, and leaves the lifetime figures (see README).
        var retainedFrom = await CliDatabase.RunAsync(dataSource, ds => Privacy.RetentionStore.ReconcileFromAsync(ds, cancellationToken));
        if (settings.Check && retainedFrom is { } floor && from < floor)
        {
            Console.WriteLine($"the event log was trimmed by retention: days before {floor:yyyy-MM-dd} are not compared");
            from = floor;
            to = to < from ? from : to;
        }
        if (settings.Fix && retainedFrom is { } fixFloor && from < fixFloor)
        {
            throw new CliException($"the event log was trimmed by retention: --fix --from must be {fixFloor:yyyy-MM-dd} or later (the days before keep their figures)", 2);
        }
        var days = await CliDatabase.RunAsync(dataSource, ds => KpiOracle.DaysAsync(ds, from, to,
            Enum.Parse<Analytics.Users.RevenueSource>(settings.RevenueSource, ignoreCase: true), cancellationToken));
        var weeks = await CliDatabase.RunAsync(dataSource, ds => KpiOracle.WeeksAsync(ds, from, to, cancellationToken));
        await using var cluster = await ClusterConnection.ConnectAsync(dataSource, settings.ClusterId, settings.ServiceId, cancellationToken);
        var client = cluster.Client;
        var weekKeys = WeeksOf(from, to);

        if (settings.Fix)
        {
            for (var d = from; d <= to; d = d.AddDays(1))
            {
                await client.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(d)).ResetAsync((days.GetValueOrDefault(d) ?? new KpiDayFigures()).ToWire());
            }
            foreach (var week in weekKeys)
            {
                await client.GetGrain<IKpiWeekGrain>(week).ResetAsync(weeks.GetValueOrDefault(week));
            }
            AnsiConsole.MarkupLine($"[green]fixed[/] {to.DayNumber - from.DayNumber + 1} days and {weekKeys.Count} ISO weeks from the event log ({from:yyyy-MM-dd}..{to:yyyy-MM-dd})");
            if (retainedFrom is not null)
            {
                Console.WriteLine("not rewritten after a retention trim (the log no longer holds their whole history): campaigns, funnels, model versions, cohorts, segments, experiments, features");
            }
            else
            {
                await FixLifetimeFiguresAsync(client, dataSource, cancellationToken);
            }
            var mrrFixed = await MrrReconciler.FixAsync(client, dataSource, cancellationToken);
            AnsiConsole.MarkupLine($"[green]fixed[/] {mrrFixed} MRR months from the stored Stripe events");
            return 0;
        }

        var differences = 0;
        for (var d = from; d <= to; d = d.AddDays(1))
        {
            var live = KpiDayRowValues.From(d, (await client.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(d)).GetTotalsAsync()).ToFigures());
            var sql = KpiDayRowValues.From(d, days.GetValueOrDefault(d) ?? new KpiDayFigures());
            foreach (var (field, liveValue, sqlValue) in Fields(live, sql))
            {
                if (liveValue != sqlValue)
                {
                    differences++;
                    Console.WriteLine($"{d:yyyy-MM-dd} {field}: live {liveValue} ≠ sql {sqlValue}");
                }
            }
        }
        foreach (var week in weekKeys)
        {
            var live = (await client.GetGrain<IKpiWeekGrain>(week).GetAsync()).Wap;
            var sql = weeks.GetValueOrDefault(week);
            if (live != sql)
            {
                differences++;
                Console.WriteLine($"{week} wap: live {live} ≠ sql {sql}");
            }
        }
        if (retainedFrom is null)
        {
            differences += await ModelVersionAndCohortReconciler.CheckAsync(client, dataSource, cancellationToken);
            differences += await Reconcile.CampaignFunnelReconciler.CheckAsync(client, dataSource, cancellationToken);
            differences += await SegmentReconciler.CheckAsync(client, dataSource, from, to, cancellationToken);
            differences += await Reconcile.ExperimentReconciler.CheckAsync(client, dataSource, cancellationToken);
            differences += await FeatureReconciler.CheckAsync(client, dataSource, cancellationToken);
        }
        else
        {
            // Their SQL reads each person's whole history (signup, first touch, the segment path), which the trim cut short.
            Console.WriteLine("not compared after a retention trim: model versions, cohorts, campaigns, funnels, segments, experiments, features (lifetime figures)");
        }
        differences += await IdentityReconciler.CheckAsync(dataSource, cancellationToken);
        differences += await MrrReconciler.CheckAsync(client, dataSource, cancellationToken);
        var summary = $"{differences} difference{(differences == 1 ? "" : "s")} over {to.DayNumber - from.DayNumber + 1} days ({from:yyyy-MM-dd}..{to:yyyy-MM-dd}) and {weekKeys.Count} ISO weeks";
        Console.WriteLine(summary);
        return differences == 0 ? 0 : 1;
    }

    /// <summary>Rewrites the figures that span the whole event log (campaigns, funnels, model versions, cohorts, segments, experiments, features).</summary>
    private static async Task FixLifetimeFiguresAsync(IClusterClient client, Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var rewritten = await Reconcile.CampaignFunnelReconciler.FixAsync(client, dataSource, cancellationToken);
        AnsiConsole.MarkupLine($"[green]fixed[/] {rewritten} campaign and funnel grains from the whole event log");
        var (versionsFixed, cohortsFixed) = await ModelVersionAndCohortReconciler.FixAsync(client, dataSource, cancellationToken);
        AnsiConsole.MarkupLine($"[green]fixed[/] {versionsFixed} model versions and {cohortsFixed} cohorts from the whole event log");
        await SegmentReconciler.FixAsync(client, dataSource, cancellationToken);
        AnsiConsole.MarkupLine("[green]fixed[/] the daily segment distribution from the whole event log");
        var experimentsFixed = await Reconcile.ExperimentReconciler.FixAsync(client, dataSource, cancellationToken);
        AnsiConsole.MarkupLine($"[green]fixed[/] {experimentsFixed} experiments from the whole event log");
        var (featuresFixed, activityWeeksFixed) = await FeatureReconciler.FixAsync(client, dataSource, cancellationToken);
        AnsiConsole.MarkupLine($"[green]fixed[/] {featuresFixed} features and {activityWeeksFixed} activity weeks from the whole event log");
    }

    private static IEnumerable<(string Field, string? Live, string? Sql)> Fields(KpiDayRowValues live, KpiDayRowValues sql)
    {
        static string? S<T>(T value) => Reconcile.ReconcileText.Of(value);
        yield return ("dau", S(live.Dau), S(sql.Dau));
        yield return ("wap", S(live.Wap), S(sql.Wap));
        yield return ("new_signups", S(live.NewSignups), S(sql.NewSignups));
        yield return ("avg_session_length", S(live.AvgSessionLength), S(sql.AvgSessionLength));
        yield return ("daily_revenue", S(live.DailyRevenue), S(sql.DailyRevenue));
        yield return ("paying_customers", S(live.PayingCustomers), S(sql.PayingCustomers));
        yield return ("average_transaction", S(live.AverageTransaction), S(sql.AverageTransaction));
        yield return ("arpu", S(live.Arpu), S(sql.Arpu));
        yield return ("total_analyses", S(live.TotalAnalyses), S(sql.TotalAnalyses));
        yield return ("avg_processing_time", S(live.AvgProcessingTime), S(sql.AvgProcessingTime));
        yield return ("avg_accuracy", S(live.AvgAccuracy), S(sql.AvgAccuracy));
        yield return ("features_adopted", S(live.FeaturesAdopted), S(sql.FeaturesAdopted));
        yield return ("conversion_rate", S(live.ConversionRate), S(sql.ConversionRate));
        yield return ("wap_ratio", S(live.WapRatio), S(sql.WapRatio));
        yield return ("revenue_per_signup", S(live.RevenuePerSignup), S(sql.RevenuePerSignup));
        yield return ("ttfv_people", S(live.TtfvPeople), S(sql.TtfvPeople));
        yield return ("ttfv_median_seconds", S(live.TtfvMedianSeconds), S(sql.TtfvMedianSeconds));
        yield return ("ttfv_p90_seconds", S(live.TtfvP90Seconds), S(sql.TtfvP90Seconds));
        yield return ("ratings", S(live.Ratings), S(sql.Ratings));
        yield return ("quality_score", S(live.QualityScore), S(sql.QualityScore));
    }

    private static List<string> WeeksOf(DateOnly from, DateOnly to)
    {
        var weeks = new List<string>();
        for (var d = from; d <= to; d = d.AddDays(1))
        {
            var key = IsoWeek.Of(d.DayNumber).ToString();
            if (weeks.Count == 0 || weeks[^1] != key)
            {
                weeks.Add(key);
            }
        }
        return weeks;
    }

    private static async Task<(DateOnly From, DateOnly To)> RangeAsync(Npgsql.NpgsqlDataSource dataSource, ReconcileSettings settings, CancellationToken cancellationToken)
    {
        DateOnly Parse(string s) => DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (settings.From is not null && settings.To is not null)
        {
            return (Parse(settings.From), Parse(settings.To));
        }
        await using var command = dataSource.CreateCommand(
            "SELECT min((ts AT TIME ZONE 'UTC')::date), max((ts AT TIME ZONE 'UTC')::date) FROM user_events");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.IsDBNull(0))
        {
            throw new CliException("the event log is empty: nothing to reconcile", 0);
        }
        var first = reader.GetFieldValue<DateOnly>(0);
        var last = reader.GetFieldValue<DateOnly>(1).AddDays(6); // WAP of the 6 days after the last analysis
        return (settings.From is null ? first : Parse(settings.From), settings.To is null ? last : Parse(settings.To));
    }
}
