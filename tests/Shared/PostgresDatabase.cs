using System.Diagnostics;
using Npgsql;
using SampleMind.Database;

namespace SampleMind.Testing;

/// <summary>
/// A throwaway PostgreSQL database with a random name on the test server, migrated to this build's schema
/// unless asked otherwise, and dropped on dispose. Use it as a class fixture (<c>IClassFixture&lt;PostgresDatabase&gt;</c>)
/// or create one per test with <see cref="CreateAsync"/>.
/// </summary>
/// <remarks>
/// The server comes from <c>SAMPLEMIND_PG</c> when set, else from <c>deploy/local/postgres.sh url</c>
/// (run <c>deploy/local/postgres.sh</c> once to start it). The role needs CREATEDB.
/// </remarks>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private static readonly Lazy<string> ServerConnection = new(ResolveServerConnectionString);

    private NpgsqlDataSource? _dataSource;

    /// <summary>The connection string of the server's maintenance database (SAMPLEMIND_PG or postgres.sh).</summary>
    public static string ServerConnectionString => ServerConnection.Value;

    public string Name { get; } = $"sm_test_{Guid.NewGuid():N}";

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("the database is not created yet");

    /// <summary>The versions the fixture's own migration applied (empty when created unmigrated).</summary>
    public IReadOnlyList<string> AppliedVersions { get; private set; } = [];

    /// <summary>Creates a database; migrated to this build's schema when <paramref name="migrate"/> is true.</summary>
    public static async Task<PostgresDatabase> CreateAsync(bool migrate = true, CancellationToken cancellationToken = default)
    {
        var database = new PostgresDatabase();
        await database.CreateCoreAsync(migrate, cancellationToken);
        return database;
    }

    public async ValueTask InitializeAsync() => await CreateCoreAsync(migrate: true, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is null)
        {
            return;
        }

        await _dataSource.DisposeAsync();
        _dataSource = null;
        // Orleans providers open their own pooled connections from the connection string; drop them first.
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(connection);
        }

        // FORCE cannot end an autovacuum worker busy on the database (it runs as the superuser): wait for it.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var admin = new NpgsqlConnection(ServerConnectionString);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>A new data source on this database, for tests that need connections of their own.</summary>
    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default! : (T)result;
    }

    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Rows of a query as tab-separated text lines, for exact comparisons.</summary>
    public async Task<IReadOnlyList<string>> RowsAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var fields = new string[reader.FieldCount];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            }

            rows.Add(string.Join('\t', fields));
        }

        return rows;
    }

    private async Task CreateCoreAsync(bool migrate, CancellationToken cancellationToken)
    {
        await using (var admin = new NpgsqlConnection(ServerConnectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
            // A session time zone far from UTC: any timestamp written without its zone shows up as hours off.
            await using var zone = new NpgsqlCommand($"ALTER DATABASE \"{Name}\" SET timezone TO 'Asia/Kathmandu'", admin);
            await zone.ExecuteNonQueryAsync(cancellationToken);
        }

        // Small pools: several clusters and hosts share one local server in a test run (max_connections).
        ConnectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = Name, MaxPoolSize = 20 }.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
        if (migrate)
        {
            AppliedVersions = await SchemaMigrator.MigrateAsync(_dataSource, cancellationToken);
        }
    }

    private static string ResolveServerConnectionString()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SAMPLEMIND_PG");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
        }

        var script = Path.Combine(FindRepositoryRoot(), "deploy", "local", "postgres.sh");
        var start = new ProcessStartInfo("bash", [script, "url"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {script}");
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || string.IsNullOrWhiteSpace(output))
        {
            throw new InvalidOperationException($"{script} url failed ({process.ExitCode}): {error}");
        }

        return output.Trim();
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SampleMind.Grains.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"SampleMind.Grains.sln not found above {AppContext.BaseDirectory}; set SAMPLEMIND_PG");
    }
}
