namespace SampleMind.IntegrationTests.Processes;

/// <summary>A silo with bad configuration ends with one clear line on stderr and a non-zero exit code, not a retry loop.</summary>
[Collection(SecondProcessCollection.Name)]
public sealed class BadConfigurationProcessTests
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(45);

    [Theory]
    [InlineData("wrong password", "rejected the login")]
    [InlineData("unknown host", "unknown host")]
    [InlineData("bad syntax", "not a valid PostgreSQL connection string")]
    [InlineData("missing database", "does not exist")]
    public async Task Silo_WithWrongSamplemindPg_ExitsNonZero_WithOneClearLine(string wrong, string expected)
    {
        // Built here, not passed as theory data: test names must not carry connection strings.
        var server = new Npgsql.NpgsqlConnectionStringBuilder(PostgresDatabase.ServerConnectionString);
        var connectionString = wrong switch
        {
            "wrong password" => new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = "not-the-password" }.ConnectionString,
            "unknown host" => "Host=no-such-host.invalid;Username=samplemind;Password=samplemind;Database=samplemind",
            "bad syntax" => "Host=127.0.0.1;Port=not-a-number",
            "missing database" => new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "sm_no_such_database" }.ConnectionString,
            _ => throw new ArgumentOutOfRangeException(nameof(wrong), wrong, null),
        };

        var stderr = await RunSiloToExitAsync(connectionString, migrateOnStart: true);
        Assert.True(stderr.Contains(expected, StringComparison.Ordinal), $"{wrong}: stderr was: {stderr}");
        Assert.DoesNotContain("not-the-password", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silo_WithDatabaseDown_ExitsNonZero_WithOneClearLine()
    {
        var closedPort = BuiltHosts.FreeTcpPort(); // nothing listens there
        var stderr = await RunSiloToExitAsync($"Host=127.0.0.1;Port={closedPort};Username=samplemind;Password=samplemind;Database=samplemind", migrateOnStart: true);
        Assert.Contains("connection refused", stderr, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{closedPort}", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silo_WithMissingSchema_AndMigrateOnStartFalse_ExitsNonZero_AskingForDbMigrate()
    {
        await using var empty = await PostgresDatabase.CreateAsync(migrate: false, TestContext.Current.CancellationToken);
        var stderr = await RunSiloToExitAsync(empty.ConnectionString, migrateOnStart: false);
        Assert.Contains("database schema is not up to date", stderr, StringComparison.Ordinal);
        Assert.Contains("./samplemind db migrate", stderr, StringComparison.Ordinal);
    }

    /// <summary>Runs a silo that must give up; returns its stderr after checking the exit code and the one-line shape.</summary>
    private static async Task<string> RunSiloToExitAsync(string connectionString, bool migrateOnStart)
    {
        var ct = TestContext.Current.CancellationToken;
        var ports = SiloPorts.Free();
        var environment = ProcessCluster.SiloEnvironment(connectionString, $"it-bad-{Guid.NewGuid():N}"[..16], ports);
        environment["Database__MigrateOnStart"] = migrateOnStart ? "true" : "false";
        environment["Database__ConnectTimeoutSeconds"] = "5";

        await using var silo = HostProcess.Start("silo", BuiltHosts.SiloDll, ports.HttpPort, environment);
        var exitCode = await silo.WaitForExitAsync(ExitBound, ct);

        Assert.True(exitCode is not null, $"the silo still runs after {ExitBound.TotalSeconds:0} s\n{silo.Describe()}");
        Assert.NotEqual(0, exitCode);
        var stderr = silo.StandardError;
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("samplemind-silo: error: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        return stderr;
    }
}
