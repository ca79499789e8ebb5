using System.ComponentModel;
using System.Globalization;
using SampleMind.Cli.Infrastructure;
using SampleMind.Privacy;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public sealed class RetentionRunSettings : ClusterSettings
{
    [CommandOption("--dry-run")]
    [Description("Count what the run would remove and keep; delete nothing")]
    public bool DryRun { get; set; }
}

/// <summary>
/// <c>samplemind retention run [--dry-run]</c>: runs the silos' retention job now (the one its daily reminder runs) and
/// prints what it removed and kept per class. Safe to rerun: a second run at the same cut-offs removes nothing.
/// </summary>
public sealed class RetentionRunCommand : AsyncCommand<RetentionRunSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RetentionRunSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        await using var cluster = await ClusterConnection.ConnectAsync(dataSource, settings.ClusterId, settings.ServiceId, cancellationToken);
        RetentionRunResult run;
        try
        {
            run = await cluster.Client.GetGrain<IRetentionPolicyGrain>(IRetentionPolicyGrain.Key).RunAsync(settings.DryRun);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not CliException)
        {
            throw new CliException($"the retention run failed: {ex.GetBaseException().Message} (a rerun finishes its work)", 1, ex);
        }
        foreach (var line in Describe(run))
        {
            Console.WriteLine(line);
        }
        return 0;
    }

    /// <summary>The lines the command prints (a dry run says "would").</summary>
    public static IEnumerable<string> Describe(RetentionRunResult run)
    {
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        var (verb, kept) = run.DryRun ? ("would delete", "would keep") : ("deleted", "kept");
        yield return $"retention run {run.RunId:N}{(run.DryRun ? " (dry run: nothing deleted)" : "")}";
        yield return $"cut-offs: raw events before {run.AnalyticsBefore:yyyy-MM-dd} (a Monday), financial events before {run.FinancialBefore:yyyy-MM-dd}, "
            + $"inactive: last event before {run.InactiveBefore.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} ({run.InactiveAction})";
        yield return $"inactive people: {(run.DryRun ? "would erase" : "erased")} {N(run.InactiveUsersErased)} ({N(run.InactiveEventsErased)} events)";
        yield return $"raw events: {verb} {N(run.AnalyticsEventsDeleted)}, {kept} {N(run.AnalyticsEventsKept ?? 0)}";
        yield return $"financial events: {verb} {N(run.FinancialEventsDeleted)}, {kept} {N(run.FinancialEventsKept ?? 0)}";
        yield return $"users trimmed: {N(run.UsersTrimmed)}";
    }
}

/// <summary><c>samplemind retention runs</c>: the latest runs' records (retention_runs), newest first.</summary>
public sealed class RetentionRunsCommand : AsyncCommand<DbSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DbSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var runs = await CliDatabase.RunAsync(dataSource, ds => new RetentionStore(ds).RecentAsync(20, cancellationToken));
        foreach (var run in runs)
        {
            var error = run.LastError is { } e ? $"; error: {e}" : "";
            var (delete, erase) = run.DryRun ? ("would delete", "would erase") : ("deleted", "erased");
            var head = string.Create(CultureInfo.InvariantCulture,
                $"{run.StartedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} {run.State}{(run.DryRun ? " dry-run" : "")} raw<{run.AnalyticsBefore:yyyy-MM-dd}");
            var counts = string.Create(CultureInfo.InvariantCulture,
                $"{delete} {run.AnalyticsEventsDeleted} raw, {run.FinancialEventsDeleted} financial; {erase} {run.InactiveUsersErased} inactive");
            Console.WriteLine($"{head} {counts}{error}");
        }
        Console.WriteLine($"{runs.Length} run{(runs.Length == 1 ? "" : "s")}");
        return 0;
    }
}
