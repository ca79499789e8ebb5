using System.ComponentModel.DataAnnotations;

namespace SampleMind.ClientApi.Hosting;

/// <summary>The "Orleans" configuration section of client-api (the same keys as the silo's). Orleans binds ClusterId and ServiceId itself.</summary>
public sealed class ClusterClientOptions
{
    public const string SectionName = "Orleans";

    /// <summary><c>Localhost</c> (the gateway at 127.0.0.1:<see cref="GatewayPort"/>) or <c>AdoNet</c> (gateways from the membership table).</summary>
    [Required, AllowedValues("Localhost", "AdoNet")]
    public string ClusteringMode { get; set; } = "AdoNet";

    [Required]
    public string ClusterId { get; set; } = "samplemind-local";

    [Required]
    public string ServiceId { get; set; } = "samplemind";

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    public bool UsesAdoNetClustering => string.Equals(ClusteringMode, "AdoNet", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The "Database" section; SAMPLEMIND_PG, when set, wins over <see cref="ConnectionString"/>. Used for ADO.NET clustering.</summary>
public sealed class ClientDatabaseOptions
{
    public const string SectionName = "Database";

    public const string ConnectionStringVariable = "SAMPLEMIND_PG";

    [Required(ErrorMessage = "no PostgreSQL connection string: set SAMPLEMIND_PG or Database:ConnectionString")]
    public string ConnectionString { get; set; } = "";

    /// <summary>client-api's share of PostgreSQL's connections: the cluster membership (gateways) and the Stripe webhook store.</summary>
    [Range(1, 100)]
    public int MaxPoolSize { get; set; } = 4;

    /// <summary>The connection string points at PgBouncer in transaction mode (see the silo's Database:PgBouncer).</summary>
    public bool PgBouncer { get; set; }
}
