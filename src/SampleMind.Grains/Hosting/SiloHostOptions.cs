using System.ComponentModel.DataAnnotations;

namespace SampleMind.Hosting;

/// <summary>
/// The "Orleans" configuration section of a SampleMind silo. Orleans binds ClusterId and ServiceId from the same keys.
/// </summary>
public sealed class SiloHostOptions
{
    public const string SectionName = "Orleans";

    /// <summary><c>Localhost</c> (one silo, development) or <c>AdoNet</c> (membership table in PostgreSQL).</summary>
    /// <remarks>
    /// Not "Orleans:Clustering": Orleans itself reads that key (with a ProviderType) and fails on a plain value.
    /// </remarks>
    [Required, AllowedValues("Localhost", "AdoNet")]
    public string ClusteringMode { get; set; } = "AdoNet";

    /// <summary><c>AdoNet</c> (grain state and reminders in PostgreSQL) or <c>Memory</c> (development only: lost on restart).</summary>
    [Required, AllowedValues("AdoNet", "Memory")]
    public string PersistenceMode { get; set; } = "AdoNet";

    [Required]
    public string ClusterId { get; set; } = "samplemind-local";

    [Required]
    public string ServiceId { get; set; } = "samplemind";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients use to reach this silo.</summary>
    [Required]
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Running in a Kubernetes pod (deploy/k8s): Orleans' Kubernetes hosting takes the silo name from POD_NAME, the
    /// advertised address from POD_IP (listening on every address), the cluster and service ids from the pod's
    /// orleans/clusterId and orleans/serviceId labels (ORLEANS_CLUSTER_ID, ORLEANS_SERVICE_ID), and deletes the pods of
    /// silos the cluster declared dead. Clustering stays ADO.NET on PostgreSQL.
    /// </summary>
    public bool KubernetesHosting { get; set; }

    public bool UsesAdoNetClustering => string.Equals(ClusteringMode, "AdoNet", StringComparison.OrdinalIgnoreCase);

    public bool UsesAdoNetPersistence => string.Equals(PersistenceMode, "AdoNet", StringComparison.OrdinalIgnoreCase);

    public bool NeedsDatabase => UsesAdoNetClustering || UsesAdoNetPersistence;
}
