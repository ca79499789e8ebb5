using System.Diagnostics;
using Npgsql;
using SampleMind.IntegrationTests.Processes;

namespace SampleMind.IntegrationTests.Cli;

/// <summary>`samplemind db migrate|status` as an operator runs it: the built CLI as a real process.</summary>
public sealed class DbCommandTests
{
    [Fact]
    public async Task Migrate_AppliesEveryScriptOnce_AndThenChangesNothing()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false, TestContext.Current.CancellationToken);

        var status = await RunAsync(database.ConnectionString, "db", "status");
        var first = await RunAsync(database.ConnectionString, "db", "migrate");
        var second = await RunAsync(database.ConnectionString, "db", "migrate");
        var after = await RunAsync(database.ConnectionString, "db", "status");

        // The scripts in the repository, in order (the CLI embeds them).
        var versions = Directory.GetFiles(Path.Combine(BuiltHosts.RepositoryRoot, "deploy", "sql"), "V*__*.sql")
            .Select(f => Path.GetFileName(f)[..5]).Order(StringComparer.Ordinal).ToArray();
        Assert.Contains("V0010", versions);
        Assert.Equal((1, $"pending {versions.Length}: {string.Join(", ", versions)} — run ./samplemind db migrate"), (status.ExitCode, status.Stdout));
        Assert.Equal((0, $"applied {versions.Length}: {string.Join(", ", versions)}"), (first.ExitCode, first.Stdout));
        Assert.Equal((0, "up to date: nothing to apply"), (second.ExitCode, second.Stdout));
        Assert.Equal((0, "up to date"), (after.ExitCode, after.Stdout));
        Assert.Equal(versions.Length, await database.ScalarAsync<long>("select count(*) from schema_migrations"));
    }

    [Theory]
    [InlineData("closed-port", 3, "samplemind: cannot reach PostgreSQL at 127.0.0.1:1 (database samplemind): ")]
    [InlineData("wrong-password", 3, "samplemind: PostgreSQL refused: password authentication failed for user ")]
    [InlineData("missing-database", 3, "samplemind: PostgreSQL refused: database \"sm_no_such_db\" does not exist (3D000)")]
    [InlineData("not-a-connection-string", 2, "samplemind: SAMPLEMIND_PG is not a valid connection string: ")]
    public async Task Migrate_WithBadConfiguration_FailsWithOneClearLine(string scenario, int exitCode, string start)
    {
        var server = new NpgsqlConnectionStringBuilder(PostgresDatabase.ServerConnectionString);
        var connection = scenario switch
        {
            "closed-port" => new NpgsqlConnectionStringBuilder(server.ConnectionString) { Port = 1, Database = "samplemind" }.ConnectionString,
            "wrong-password" => new NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = "wrong" }.ConnectionString,
            "missing-database" => new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "sm_no_such_db" }.ConnectionString,
            _ => "garbage=;;",
        };

        var result = await RunAsync(connection, "db", "migrate");

        Assert.Equal(exitCode, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith(start, lines[0], StringComparison.Ordinal);
    }

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string connection, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(BuiltHosts.CliDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["SAMPLEMIND_PG"] = connection;
        info.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }
}
