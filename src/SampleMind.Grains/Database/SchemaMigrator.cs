using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace SampleMind.Database;

/// <summary>
/// Applies the SQL scripts of deploy/sql (embedded in this assembly, named V####__name.sql) in version order,
/// once each, recording applied versions in schema_migrations. Idempotent; safe to run from several processes.
/// </summary>
public static partial class SchemaMigrator
{
    // Session-level advisory lock shared by every process that migrates this database ("SMSCHEMA" in ASCII).
    private const long AdvisoryLockKey = 0x534D_5343_4845_4D41;

    private const string CreateHistoryTableSql = """
        CREATE TABLE IF NOT EXISTS public.schema_migrations
        (
            version    integer     NOT NULL,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT schema_migrations_pk PRIMARY KEY (version)
        );
        """;

    private static readonly Lazy<IReadOnlyList<MigrationScript>> EmbeddedScripts = new(() => LoadScripts(typeof(SchemaMigrator).Assembly));

    /// <summary>The scripts embedded in this build, in version order.</summary>
    internal static IReadOnlyList<MigrationScript> Scripts => EmbeddedScripts.Value;

    /// <summary>Applies every pending script; returns the versions applied by this call (empty when up to date).</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, CreateHistoryTableSql, cancellationToken).ConfigureAwait(false);

            // Read under the lock: another silo may have applied scripts while we waited for it.
            var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
            var pending = FindPending(applied);

            var appliedNow = new List<string>(pending.Count);
            foreach (var script in pending)
            {
                await ApplyAsync(connection, script, cancellationToken).ConfigureAwait(false);
                appliedNow.Add(script.Version);
            }

            return appliedNow;
        }
        finally
        {
            // Not cancellable: the connection goes back to the pool and must not keep the lock.
            // A broken connection has lost its session, and the lock with it.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The versions that exist in this build but are not applied to the database.</summary>
    public static async Task<IReadOnlyList<string>> GetPendingAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
        return FindPending(applied).Select(s => s.Version).ToList();
    }

    /// <summary>
    /// Throws when the database lacks a script of this build (or an applied script was changed), for hosts
    /// that must not start against a missing schema and must not migrate it themselves.
    /// </summary>
    public static async Task EnsureCurrentAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var pending = await GetPendingAsync(dataSource, cancellationToken).ConfigureAwait(false);
        if (pending.Count > 0)
        {
            throw new InvalidOperationException(
                $"database schema is not up to date: pending {string.Join(", ", pending)} — run ./samplemind db migrate");
        }
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var command = new NpgsqlCommand(script.Sql, connection, transaction))
            {
                command.CommandTimeout = 0;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var record = new NpgsqlCommand(
                "INSERT INTO public.schema_migrations (version, name, checksum) VALUES (@version, @name, @checksum)",
                connection,
                transaction))
            {
                record.Parameters.AddWithValue("version", script.Number);
                record.Parameters.AddWithValue("name", script.ResourceFileName);
                record.Parameters.AddWithValue("checksum", script.Checksum);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new InvalidOperationException($"schema migration {script.ResourceFileName} failed: {ex.MessageText}", ex);
        }
    }

    private static async Task<Dictionary<int, AppliedMigration>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, AppliedMigration>();
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('public.schema_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return applied;
            }
        }

        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM public.schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied.Add(reader.GetInt32(0), new AppliedMigration(reader.GetString(1), reader.GetString(2)));
        }

        return applied;
    }

    private static List<MigrationScript> FindPending(Dictionary<int, AppliedMigration> applied)
    {
        var pending = new List<MigrationScript>();
        foreach (var script in Scripts)
        {
            if (!applied.TryGetValue(script.Number, out var done))
            {
                pending.Add(script);
            }
            else if (!string.Equals(done.Checksum, script.Checksum, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"schema migration {script.ResourceFileName} was changed after it was applied " +
                    $"(applied as {done.Name} with checksum {done.Checksum}, this build has {script.Checksum}); " +
                    "applied scripts are immutable: add a new V####__*.sql script instead");
            }
        }

        // Versions applied to the database but unknown to this build belong to a newer build: they are left alone.
        return pending;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static IReadOnlyList<MigrationScript> LoadScripts(Assembly assembly)
    {
        var scripts = new List<MigrationScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ScriptName().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            // Normalized so that a checkout with CRLF line endings has the same checksum as one with LF.
            var sql = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            scripts.Add(new MigrationScript(int.Parse(match.Groups["number"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["file"].Value, sql, checksum));
        }

        var duplicate = scripts.GroupBy(s => s.Number).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"two schema migrations share version V{duplicate.Key:D4}: {string.Join(", ", duplicate.Select(s => s.ResourceFileName))}");
        }

        return scripts.OrderBy(s => s.Number).ToList();
    }

    [GeneratedRegex(@"(?<file>V(?<number>\d{4})__[A-Za-z0-9_]+\.sql)$", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptName();

    internal sealed record MigrationScript(int Number, string ResourceFileName, string Sql, string Checksum)
    {
        public string Version => $"V{Number:D4}";
    }

    private sealed record AppliedMigration(string Name, string Checksum);
}
