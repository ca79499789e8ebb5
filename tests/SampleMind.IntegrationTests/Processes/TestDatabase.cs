using Npgsql;
using SampleMind.Database;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>A throwaway PostgreSQL database on the server of SAMPLEMIND_PG (or the local stack's), dropped at the end.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    /// <summary>The local stack's server (deploy/local/postgres.sh) when SAMPLEMIND_PG is not set.</summary>
    public const string LocalConnectionString = "Host=127.0.0.1;Port=55432;Username=samplemind;Password=samplemind;Database=samplemind";

    private readonly string _adminConnectionString;

    private TestDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("SAMPLEMIND_PG") is { Length: > 0 } pg ? pg : LocalConnectionString;

    /// <summary>Creates an empty database; with <paramref name="migrate"/>, applies our schema to it.</summary>
    public static async Task<TestDatabase> CreateAsync(bool migrate, CancellationToken cancellationToken)
    {
        var admin = ServerConnectionString;
        var name = $"sm_it_{Guid.NewGuid():N}"[..22];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        var database = new TestDatabase(admin, name, connectionString);
        if (migrate)
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await SchemaMigrator.MigrateAsync(dataSource, cancellationToken);
        }

        return database;
    }

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
