using System.ComponentModel.DataAnnotations;

namespace SampleMind.Ingest.EventHubs;

/// <summary>
/// Configuration section <c>Ingest:EventHubs</c>: the production ingest path. Nothing is registered unless
/// <see cref="Enabled"/> is true.
/// </summary>
public sealed class EventHubsIngestOptions
{
    public const string Section = "Ingest:EventHubs";

    /// <summary>Turns the Event Hubs stream provider and its receivers on for this silo.</summary>
    public bool Enabled { get; set; }

    /// <summary>The Orleans stream provider name.</summary>
    [Required]
    public string ProviderName { get; set; } = "segment-eventhubs";

    /// <summary>The Event Hubs namespace connection string (<c>Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…</c>).</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>The event hub (entity path) producers write Segment JSON to.</summary>
    [Required]
    public string EventHubName { get; set; } = "";

    /// <summary>The consumer group this cluster reads with; give it one of its own.</summary>
    [Required]
    public string ConsumerGroup { get; set; } = "$Default";

    /// <summary>
    /// The grain storage that keeps per-partition checkpoints (through Orleans' checkpoint grain). The silo's
    /// <c>Default</c> storage is ADO.NET on PostgreSQL, so checkpoints live next to everything else.
    /// </summary>
    [Required]
    public string CheckpointStorage { get; set; } = "Default";

    /// <summary>How often a partition's checkpoint is written at most; a crash replays at most this much (deduplicated).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where a partition without a checkpoint starts: false (default) = the oldest retained event, so the first
    /// deployment loses nothing; replays are dropped by messageId.
    /// </summary>
    public bool StartFromNow { get; set; }

    /// <summary>How long delivery of one message to its consumer is retried (e.g. while PostgreSQL is down) before it is skipped.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan MaxEventDeliveryTime { get; set; } = TimeSpan.FromMinutes(30);
}
