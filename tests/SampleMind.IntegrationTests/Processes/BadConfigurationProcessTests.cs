namespace SampleMind.IntegrationTests.Processes;

/// <summary>A silo with bad configuration ends with one clear line on stderr and a non-zero exit code, not a retry loop.</summary>
[Collection(ProcessCollection.Name)]
public sealed class BadConfigurationProcessTests
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(45);

    public static TheoryData<string, string, string> WrongConnectionStrings()
    {
        var server = new Npgsql.NpgsqlConnectionStringBuilder(TestDatabase.ServerConnectionString);
        return new()
        {
            { "wrong password", new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = "not-the-password" }.ConnectionString, "rejected the login" },
            { "unknown host", "Host=no-such-host.invalid;Username=samplemind;Password=samplemind;Database=samplemind", "unknown host" },
            { "bad syntax", "Host=127.0.0.1;Port=not-a-number", "not a valid PostgreSQL connection string" },
            { "missing database", new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "sm_no_such_database" }.ConnectionString, "does not exist" },
        };
    }

    [Theory]
    [MemberData(nameof(WrongConnectionStrings))]
    public async Task Silo_WithWrongSamplemindPg_ExitsNonZero_WithOneClearLine(string @case, string connectionString, string expected)
    {
        var stderr = await RunSiloToExitAsync(connectionString, migrateOnStart: true);
        Assert.True(stderr.Contains(expected, StringComparison.Ordinal), $"{@case}: stderr was: {stderr}");
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
        await using var empty = await TestDatabase.CreateAsync(migrate: false, TestContext.Current.CancellationToken);
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
