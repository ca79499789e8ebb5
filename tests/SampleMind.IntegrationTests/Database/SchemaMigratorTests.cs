using System.Reflection;
using Npgsql;
using SampleMind.Database;
using SampleMind.IntegrationTests.Infrastructure;

namespace SampleMind.IntegrationTests.Database;

public sealed class SchemaMigratorTests : IAsyncLifetime
{
    /// <summary>The scripts in the repository's deploy/sql, in order: what the migrator must have embedded.</summary>
    private static readonly string[] ScriptFiles = [.. Directory.GetFiles(Path.Combine(Processes.BuiltHosts.RepositoryRoot, "deploy", "sql"), "V*__*.sql")
        .Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static readonly string[] AllVersions = [.. ScriptFiles.Select(f => f[..5])];

    // Everything a migration can change, rendered as text: tables and columns, constraints, indexes, functions,
    // the providers' query texts and the migration history itself.
    private const string CatalogSnapshotSql = """
        SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
          FROM information_schema.columns WHERE table_schema IN ('public', 'orleans')
        UNION ALL
        SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, 'orleans'::regnamespace)
        UNION ALL
        SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname IN ('public', 'orleans')
        UNION ALL
        SELECT 'function ' || md5(pg_get_functiondef(p.oid)) || ' ' || p.oid::regprocedure
          FROM pg_proc p WHERE p.pronamespace IN ('public'::regnamespace, 'orleans'::regnamespace)
        UNION ALL
        SELECT 'query ' || querykey || ' ' || md5(querytext) FROM orleansquery
        UNION ALL
        SELECT 'migration ' || version || ' ' || name || ' ' || checksum || ' ' || applied_at FROM schema_migrations
        ORDER BY 1
        """;

    private readonly List<PostgresDatabase> _databases = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Migrate_OnEmptyDatabase_AppliesEveryScriptInOrder_AndRecordsItsChecksum()
    {
        var database = await CreateAsync(migrate: false);

        var applied = await SchemaMigrator.MigrateAsync(database.DataSource, TestContext.Current.CancellationToken);

        Assert.Equal(AllVersions, applied);
        var expected = SchemaMigrator.Scripts.Select(s => $"{s.Number}\t{s.ResourceFileName}\t{s.Checksum}").ToArray();
        Assert.Equal(
            ScriptFiles.Select(f => $"{int.Parse(f[1..5], System.Globalization.CultureInfo.InvariantCulture)}\t{f}"),
            expected.Select(e => string.Join('\t', e.Split('\t').Take(2))));
        Assert.Contains("V0010__user_event_log.sql", ScriptFiles);
        Assert.Equal(expected, await database.RowsAsync("SELECT version, name, checksum FROM schema_migrations ORDER BY version"));
        Assert.Empty(await SchemaMigrator.GetPendingAsync(database.DataSource, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Migrate_Twice_AppliesNothing_AndChangesNothing()
    {
        var database = await CreateAsync(migrate: true);
        Assert.Equal(AllVersions, database.AppliedVersions);
        var before = await database.RowsAsync(CatalogSnapshotSql);

        var second = await SchemaMigrator.MigrateAsync(database.DataSource, TestContext.Current.CancellationToken);

        Assert.Empty(second);
        Assert.Equal(before, await database.RowsAsync(CatalogSnapshotSql));
        Assert.Contains(before, line => line.StartsWith("column orleans.grain_state.payload bytea", StringComparison.Ordinal));
        Assert.Equal(AllVersions.Length, before.Count(line => line.StartsWith("migration ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Migrate_FromSeveralProcessesAtOnce_AppliesEachScriptExactlyOnce()
    {
        var database = await CreateAsync(migrate: false);
        var sources = Enumerable.Range(0, 4).Select(_ => database.CreateDataSource()).ToList();
        try
        {
            var results = await Task.WhenAll(sources.Select(s => SchemaMigrator.MigrateAsync(s, TestContext.Current.CancellationToken)));

            Assert.Equal(AllVersions, results.SelectMany(r => r).Order());
            Assert.Equal(1, results.Count(r => r.Count == AllVersions.Length));
            Assert.Equal(3, results.Count(r => r.Count == 0));
            Assert.Equal(AllVersions.Length, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Migrate_WhenAnAppliedScriptChanged_FailsWithAClearMessage()
    {
        var database = await CreateAsync(migrate: true);
        await database.ExecuteAsync("UPDATE schema_migrations SET checksum = 'not-the-script' WHERE version = 2");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => SchemaMigrator.MigrateAsync(database.DataSource, TestContext.Current.CancellationToken));

        Assert.StartsWith(
            "schema migration V0002__orleans_clustering.sql was changed after it was applied (applied as V0002__orleans_clustering.sql with checksum not-the-script, this build has ",
            error.Message);
        Assert.EndsWith("applied scripts are immutable: add a new V####__*.sql script instead", error.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => SchemaMigrator.EnsureCurrentAsync(database.DataSource, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task EnsureCurrent_NamesThePendingVersions_AndPassesOnceMigrated()
    {
        var database = await CreateAsync(migrate: false);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => SchemaMigrator.EnsureCurrentAsync(database.DataSource, TestContext.Current.CancellationToken));
        Assert.Equal($"database schema is not up to date: pending {string.Join(", ", AllVersions)} — run ./samplemind db migrate", error.Message);

        await SchemaMigrator.MigrateAsync(database.DataSource, TestContext.Current.CancellationToken);
        await database.ExecuteAsync("DELETE FROM schema_migrations WHERE version >= 3");
        Assert.Equal(AllVersions[2..], await SchemaMigrator.GetPendingAsync(database.DataSource, TestContext.Current.CancellationToken));
        error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => SchemaMigrator.EnsureCurrentAsync(database.DataSource, TestContext.Current.CancellationToken));
        Assert.Equal($"database schema is not up to date: pending {string.Join(", ", AllVersions[2..])} — run ./samplemind db migrate", error.Message);
    }

    [Fact]
    public async Task Migrate_WhenAScriptFails_RollsItBackAndRecordsNothingForIt()
    {
        var database = await CreateAsync(migrate: false);
        // A table the clustering script is about to create makes V0002 fail half-way.
        await database.ExecuteAsync("CREATE SCHEMA orleans; CREATE TABLE orleans.membership_version (x int)");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => SchemaMigrator.MigrateAsync(database.DataSource, TestContext.Current.CancellationToken));

        Assert.StartsWith("schema migration V0002__orleans_clustering.sql failed: relation \"membership_version\" already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal(["1"], await database.RowsAsync("SELECT version FROM schema_migrations ORDER BY version"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'membership'"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM orleansquery"));
    }

    [Fact]
    public async Task OrleansQuery_HoldsEveryKeyThatTheProvidersRequire()
    {
        var database = await CreateAsync(migrate: true);
        var keys = await database.RowsAsync("SELECT querykey FROM orleansquery ORDER BY querykey");

        // Clustering and reminders validate their keys against the properties of their internal DbStoredQueries class;
        // grain storage names its keys in its public initialization query.
        string[] storageKeys = ["ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey"];
        Assert.All(storageKeys, key => Assert.Contains($"'{key}'", Orleans.Storage.AdoNetGrainStorage.DefaultInitializationQuery, StringComparison.Ordinal));
        var required = new[] { "Orleans.Clustering.AdoNet", "Orleans.Reminders.AdoNet" }
            .SelectMany(assembly => Assembly.Load(assembly).GetTypes().Where(t => t.Name == "DbStoredQueries"))
            .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic).Select(p => p.Name))
            .Concat(storageKeys)
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(20, required.Length);
        Assert.Equal(required, keys.Order(StringComparer.Ordinal));
    }

    private async Task<PostgresDatabase> CreateAsync(bool migrate)
    {
        var database = await PostgresDatabase.CreateAsync(migrate, TestContext.Current.CancellationToken);
        _databases.Add(database);
        return database;
    }
}
