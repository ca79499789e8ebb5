using System.ComponentModel;
using SampleMind.Cli.Infrastructure;
using SampleMind.Database;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public class DbSettings : CommandSettings
{
    [CommandOption("--connection <CONNECTION>")]
    [Description("PostgreSQL connection string (default: SAMPLEMIND_PG)")]
    public string? Connection { get; set; }
}

/// <summary><c>samplemind db migrate</c>: applies the pending schema scripts; changes nothing when up to date.</summary>
public sealed class DbMigrateCommand : AsyncCommand<DbSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DbSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var applied = await CliDatabase.RunAsync(dataSource, ds => SchemaMigrator.MigrateAsync(ds, cancellationToken));
        AnsiConsole.MarkupLine(applied.Count == 0
            ? "[green]up to date[/]: nothing to apply"
            : $"[green]applied[/] {applied.Count}: {string.Join(", ", applied)}");
        return 0;
    }
}

/// <summary><c>samplemind db status</c>: the pending scripts; exit 1 when any.</summary>
public sealed class DbStatusCommand : AsyncCommand<DbSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DbSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var pending = await CliDatabase.RunAsync(dataSource, ds => SchemaMigrator.GetPendingAsync(ds, cancellationToken));
        if (pending.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]up to date[/]");
            return 0;
        }
        AnsiConsole.MarkupLine($"[yellow]pending[/] {pending.Count}: {string.Join(", ", pending)} — run ./samplemind db migrate");
        return 1;
    }
}

/// <summary>
/// <c>samplemind db events</c>: prints how many events the user event log holds (0 before the schema exists).
/// <c>./run.sh</c> loads the demo population only into an empty log.
/// </summary>
public sealed class DbEventsCommand : AsyncCommand<DbSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DbSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        var count = await CliDatabase.RunAsync(dataSource, async ds =>
        {
            await using var command = ds.CreateCommand("SELECT count(*) FROM user_events");
            command.CommandTimeout = 0; // an exact count of a log of tens of millions of rows takes a while
            try
            {
                return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
            {
                return 0L;
            }
        });
        Console.WriteLine(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }
}
