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
}
