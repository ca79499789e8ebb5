using Npgsql;

namespace SampleMind.Cli.Infrastructure;

/// <summary>The PostgreSQL the CLI works on: --connection, else SAMPLEMIND_PG (./samplemind sets it from deploy/local/postgres.sh).</summary>
internal static class CliDatabase
{
    public static NpgsqlDataSource Open(string? connection)
    {
        var connectionString = connection ?? Environment.GetEnvironmentVariable("SAMPLEMIND_PG");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new CliException("no database: pass --connection or set SAMPLEMIND_PG (./samplemind sets it for the local stack)", 2);
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5, PersistSecurityInfo = true, IncludeErrorDetail = true };
            return NpgsqlDataSource.Create(builder.ConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or FormatException)
        {
            throw new CliException($"SAMPLEMIND_PG is not a valid connection string: {ex.Message}", 2);
        }
    }

    /// <summary>
    /// Drops (closing its connections) and creates <paramref name="database"/> on the server of
    /// <paramref name="baseConnectionString"/>, and returns the connection string for it. Refuses the base connection's
    /// own database and the names of the dev and maintenance databases: only a database of its own may be recreated.
    /// </summary>
    public static async Task<string> RecreateAsync(string baseConnectionString, string database, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(baseConnectionString) { PersistSecurityInfo = true };
        if (string.IsNullOrWhiteSpace(database) || string.Equals(database, builder.Database, StringComparison.Ordinal)
            || database is "samplemind" or "postgres" or "template0" or "template1" || database.Contains('"', StringComparison.Ordinal))
        {
            throw new CliException($"'{database}' is not a database that may be dropped and recreated (name one of its own, e.g. samplemind_test)", 2);
        }
        await using (var admin = NpgsqlDataSource.Create(builder.ConnectionString))
        {
            await RunAsync(admin, async source =>
            {
                await using var drop = source.CreateCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
                await drop.ExecuteNonQueryAsync(cancellationToken);
                await using var create = source.CreateCommand($"CREATE DATABASE \"{database}\"");
                await create.ExecuteNonQueryAsync(cancellationToken);
                return 0;
            });
        }
        builder.Database = database;
        return builder.ConnectionString;
    }

    /// <summary>Runs <paramref name="work"/>, turning database failures into one clear line.</summary>
    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<NpgsqlDataSource, Task<T>> work)
    {
        try
        {
            return await work(dataSource);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException && ex.InnerException is TimeoutException)
        {
            var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            throw new CliException($"PostgreSQL at {builder.Host}:{builder.Port} (database {builder.Database ?? "default"}) did not answer in time: {ex.Message}", 3, ex);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            throw new CliException($"cannot reach PostgreSQL at {builder.Host}:{builder.Port} (database {builder.Database ?? "default"}): {ex.InnerException?.Message ?? ex.Message}", 3, ex);
        }
        catch (PostgresException ex)
        {
            throw new CliException($"PostgreSQL refused: {ex.MessageText} ({ex.SqlState})", 3, ex);
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("schema migration", StringComparison.Ordinal)
            || ex.Message.StartsWith("database schema", StringComparison.Ordinal))
        {
            throw new CliException(ex.Message, 4, ex);
        }
    }
}
