using Microsoft.Extensions.DependencyInjection;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SampleMind.Database;

namespace SampleMind.Hosting;

/// <summary>A start-up failure the operator can fix; its message is the one line printed on stderr.</summary>
public sealed class StartupConfigurationException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>
/// Runs before Orleans starts: reaches PostgreSQL with a short timeout, then migrates the schema or checks
/// that it is up to date, so that bad configuration ends in one clear line instead of provider retry loops.
/// </summary>
public static class DatabaseStartupCheck
{
    public static async Task RunAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        NpgsqlDataSource dataSource;
        try
        {
            dataSource = services.GetRequiredService<NpgsqlDataSource>();
        }
        catch (ArgumentException ex)
        {
            throw new StartupConfigurationException($"SAMPLEMIND_PG is not a valid PostgreSQL connection string: {OneLine(ex.Message)}", ex);
        }

        var target = Describe(dataSource.ConnectionString);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.ConnectTimeoutSeconds));
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(timeout.Token);
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or SocketException or TimeoutException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new StartupConfigurationException(ExplainConnectionFailure(ex, target, options.ConnectTimeoutSeconds), ex);
        }

        try
        {
            if (options.MigrateOnStart)
            {
                var applied = await SchemaMigrator.MigrateAsync(dataSource, cancellationToken);
                if (applied.Count > 0)
                {
                    logger.LogInformation("Applied schema migrations {Versions} to {Database}", string.Join(", ", applied), target);
                }
                else
                {
                    logger.LogInformation("Database schema of {Database} is up to date", target);
                }
            }
            else
            {
                var pending = await SchemaMigrator.GetPendingAsync(dataSource, cancellationToken);
                if (pending.Count > 0)
                {
                    throw new StartupConfigurationException(
                        $"database schema is not up to date ({target}: {pending.Count} pending migration(s): {string.Join(", ", pending)}); run ./samplemind db migrate");
                }
            }
        }
        catch (Exception ex) when (ex is not StartupConfigurationException && !cancellationToken.IsCancellationRequested)
        {
            var what = options.MigrateOnStart ? "migrate" : "check";
            throw new StartupConfigurationException($"could not {what} the database schema of {target}: {OneLine(ex.GetBaseException().Message)}", ex);
        }
    }

    public static string ExplainConnectionFailure(Exception ex, string target, int timeoutSeconds)
    {
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                    $"PostgreSQL at {target} rejected the login: {OneLine(pg.MessageText)} (check the user and password in SAMPLEMIND_PG)",
                PostgresErrorCodes.InvalidCatalogName =>
                    $"PostgreSQL at {target}: {OneLine(pg.MessageText)} (create it, or fix Database= in SAMPLEMIND_PG)",
                _ => $"PostgreSQL at {target} refused the connection: {pg.SqlState} {OneLine(pg.MessageText)}",
            };
        }

        var socket = FindInner<SocketException>(ex);
        if (socket is not null)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused =>
                    $"cannot connect to PostgreSQL at {target}: connection refused (is the database running? ./deploy/local/postgres.sh starts the local one)",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain =>
                    $"cannot connect to PostgreSQL at {target}: unknown host (check Host= in SAMPLEMIND_PG)",
                _ => $"cannot connect to PostgreSQL at {target}: {OneLine(socket.Message)}",
            };
        }

        if (ex is OperationCanceledException || FindInner<TimeoutException>(ex) is not null)
        {
            return $"cannot connect to PostgreSQL at {target}: no answer within {timeoutSeconds} s (is the host and port right, is the database running?)";
        }

        return $"cannot connect to PostgreSQL at {target}: {OneLine(ex.GetBaseException().Message)}";
    }

    /// <summary>Host:port/database of a connection string, never its password.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }
    }

    public static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static T? FindInner<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T match)
            {
                return match;
            }
        }

        return null;
    }
}
