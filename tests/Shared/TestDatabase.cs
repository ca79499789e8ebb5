using System.Diagnostics;
using Npgsql;
using SampleMind.Database;

namespace SampleMind.Testing;

/// <summary>
/// A throwaway PostgreSQL database with the full SampleMind schema, on the server the project's scripts run
/// (SAMPLEMIND_PG when set, else deploy/local/postgres.sh). Dropped on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private TestDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }
    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    public static async Task<TestDatabase> CreateAsync(bool migrate = true)
    {
        var baseConnectionString = ServerConnectionString();
        var name = $"sm_test_{Guid.NewGuid():N}"[..24];
        await using (var admin = new NpgsqlConnection(baseConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(baseConnectionString) { Database = name }.ConnectionString;
        var database = new TestDatabase(baseConnectionString, name, connectionString);
        if (migrate)
        {
            await SchemaMigrator.MigrateAsync(database.DataSource);
        }
        return database;
    }

    /// <summary>The server's connection string: SAMPLEMIND_PG, else what deploy/local/postgres.sh prints.</summary>
    public static string ServerConnectionString()
    {
        if (Environment.GetEnvironmentVariable("SAMPLEMIND_PG") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }
        var script = Path.Combine(RepositoryRoot(), "deploy", "local", "postgres.sh");
        using var process = Process.Start(new ProcessStartInfo(script, "up") { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not run {script}");
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0 || output.Length == 0)
        {
            throw new InvalidOperationException($"{script} failed: {process.StandardError.ReadToEnd()}");
        }
        return output.Split('\n')[^1];
    }

    /// <summary>The folder holding SampleMind.Grains.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SampleMind.Grains.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (SampleMind.Grains.sln) above " + AppContext.BaseDirectory);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
