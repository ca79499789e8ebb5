using Npgsql;

namespace SampleMind.Database;

/// <summary>
/// Applies the SQL scripts of deploy/sql (embedded in this assembly, named V####__name.sql) in version order,
/// once each, recording applied versions in schema_migrations. Idempotent; safe to run from several processes.
/// </summary>
public static class SchemaMigrator
{
    /// <summary>Applies every pending script; returns the versions applied by this call (empty when up to date).</summary>
    public static Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
        => throw new NotImplementedException("issue 2: schema migrator");

    /// <summary>The versions that exist in this build but are not applied to the database.</summary>
    public static Task<IReadOnlyList<string>> GetPendingAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
        => throw new NotImplementedException("issue 2: schema migrator");
}
