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

public sealed class DbRecreateSettings : DbSettings
{
    [CommandOption("--database <NAME>")]
    [Description("The database to drop and create on the server of --connection / SAMPLEMIND_PG (never that connection's own database, samplemind or postgres)")]
    public string Database { get; set; } = "";

    public override ValidationResult Validate()
        => string.IsNullOrWhiteSpace(Database) ? ValidationResult.Error("--database NAME is required") : ValidationResult.Success();
}

/// <summary>
/// <c>samplemind db recreate --database NAME</c>: drops and creates a database of its own next to the configured one
/// and prints its connection string (test.sh gives the JavaScript client tests a database of their own with it).
/// </summary>
public sealed class DbRecreateCommand : AsyncCommand<DbRecreateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DbRecreateSettings settings, CancellationToken cancellationToken)
    {
        var connection = settings.Connection ?? Environment.GetEnvironmentVariable("SAMPLEMIND_PG");
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new CliException("no database: pass --connection or set SAMPLEMIND_PG (./samplemind sets it for the local stack)", 2);
        }
        Console.WriteLine(await CliDatabase.RecreateAsync(connection, settings.Database, cancellationToken));
        return 0;
    }
}
