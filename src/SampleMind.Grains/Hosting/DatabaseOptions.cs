using System.ComponentModel.DataAnnotations;

namespace SampleMind.Hosting;

/// <summary>The "Database" configuration section. The environment variable SAMPLEMIND_PG, when set, wins over <see cref="ConnectionString"/>.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>The environment variable (and configuration key) that overrides the connection string.</summary>
    public const string ConnectionStringVariable = "SAMPLEMIND_PG";

    [Required(ErrorMessage = "no PostgreSQL connection string: set SAMPLEMIND_PG or Database:ConnectionString")]
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending schema migrations before the silo starts; when false, a silo refuses to start on an outdated schema.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>How long the start-up check waits for PostgreSQL before giving up.</summary>
    [Range(1, 300)]
    public int ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// The silo's share of PostgreSQL's connections (Npgsql's pool ceiling; a Maximum Pool Size in the connection
    /// string wins). README "Connection budget": N silos × this + client-apis × theirs + the CLI must stay under
    /// max_connections, or under PgBouncer's default_pool_size.
    /// </summary>
    [Range(2, 1000)]
    public int MaxPoolSize { get; set; } = 40;

    /// <summary>
    /// The connection string points at PgBouncer in transaction mode: nothing session-level is relied on (no reset on
    /// close, no auto-prepared statements). Needs <see cref="MigrateOnStart"/> false: migrations take a session-level
    /// advisory lock, so `samplemind db migrate` runs on a direct connection (deploy/k8s: the migration Job).
    /// </summary>
    public bool PgBouncer { get; set; }
}
