using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SampleMind.Operations;

/// <summary>
/// The product's own instruments (meter <see cref="MeterName"/>), exported with Orleans' meters on each host's
/// <c>/metrics</c> (Prometheus names: dots become underscores, counters end in <c>_total</c>, seconds in
/// <c>_seconds</c>). Counters and histograms are recorded where the work happens; the gauges read values the
/// components publish here (<see cref="SetGauge"/>), so a scrape never waits for a grain or the database.
/// </summary>
public static class SampleMindMetrics
{
    public const string MeterName = "SampleMind";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly ConcurrentDictionary<(string Gauge, string? Tag), double> s_gauges = new();

    /// <summary>Events acknowledged by ingest (HTTP 200: durable). Tag <c>source</c>: http, event_hubs.</summary>
    public static readonly Counter<long> EventsIngested = s_meter.CreateCounter<long>(
        "samplemind.ingest.events", "{event}", "Events acknowledged durable by ingest");

    /// <summary>Ingest requests answered with an error. Tag <c>reason</c>: invalid, too_large, encoding, unavailable.</summary>
    public static readonly Counter<long> IngestRejected = s_meter.CreateCounter<long>(
        "samplemind.ingest.rejected", "{request}", "Ingest requests refused or not stored, by reason");

    /// <summary>Stripe webhook deliveries. Tag <c>outcome</c>: stored, duplicate, unhandled, bad_signature, not_an_event.</summary>
    public static readonly Counter<long> StripeWebhooks = s_meter.CreateCounter<long>(
        "samplemind.stripe.webhooks", "{delivery}", "Stripe webhook deliveries by outcome");

    /// <summary>From a request's body read to every event durable (the cluster's acknowledgement).</summary>
    public static readonly Histogram<double> DurableAckDuration = s_meter.CreateHistogram<double>(
        "samplemind.ingest.durable_ack.duration", "s", "Time from a read request body to all its events durable");

    /// <summary>
    /// Where an ingest request's time goes, stage by stage (tag <c>stage</c>): <c>cluster_call</c> (client-api: the one
    /// call to the cluster for a request), <c>fan_out</c> (silo: every user grain of a request done), <c>user_grain</c>
    /// (one user grain's ingest call, inside its activation), <c>activation</c> (a user grain's activation: identity,
    /// snapshot and log tail), <c>log_wait</c> (an append queued until its group commit starts), <c>log_commit</c> (one
    /// group commit), <c>apply</c> (a user grain applying its events and reporting its rollup shares).
    /// </summary>
    public static readonly Histogram<double> IngestStageDuration = s_meter.CreateHistogram<double>(
        "samplemind.ingest.stage.duration", "s", "Wall-clock time of each stage of ingest");

    /// <summary>Rows written by one group commit of the user event log.</summary>
    public static readonly Histogram<long> EventLogCommitRows = s_meter.CreateHistogram<long>(
        "samplemind.event_log.commit.rows", "{row}", "Rows written by one group commit of the user event log");

    /// <summary>Records <paramref name="started"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) until now under <paramref name="stage"/>.</summary>
    public static void RecordStage(string stage, long started)
        => IngestStageDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>One flush of a silo's pre-aggregated rollup deltas to their aggregate grains. Tag <c>rollup</c>.</summary>
    public static readonly Histogram<double> RollupFlushDuration = s_meter.CreateHistogram<double>(
        "samplemind.rollup.flush.duration", "s", "Duration of one rollup flush to the aggregate grains");

    /// <summary>
    /// Freshness of the live figures: the age of the oldest delta of a flush when every grain had acknowledged it
    /// (an event applied at its user grain → visible in the aggregate grains). Tag <c>rollup</c>.
    /// </summary>
    public static readonly Histogram<double> RollupFreshness = s_meter.CreateHistogram<double>(
        "samplemind.rollup.freshness", "s", "Age of the oldest delta of a rollup flush when its aggregate grains acknowledged it");

    /// <summary>Aggregate grain calls of a flush that failed (resent with the same sequence). Tag <c>rollup</c>.</summary>
    public static readonly Counter<long> RollupFlushFailures = s_meter.CreateCounter<long>(
        "samplemind.rollup.flush.failures", "{call}", "Aggregate grain calls of a rollup flush that failed");

    /// <summary>Outbox deliveries that failed an attempt (tag <c>final</c>: true when given up).</summary>
    public static readonly Counter<long> OutboxFailures = s_meter.CreateCounter<long>(
        "samplemind.outbox.failures", "{attempt}", "Outbox delivery attempts that failed");

    // Gauges: the value last published by the component that knows it.

    /// <summary>Gauge: age of the oldest delta not yet flushed to its aggregate grain, per rollup (0 when all are flushed): how stale the live figures are.</summary>
    public const string RollupPendingAge = "samplemind.rollup.pending_age";

    /// <summary>Gauge: age of the oldest user-index row not yet written to PostgreSQL (0 when none waits).</summary>
    public const string UserIndexLag = "samplemind.user_index.lag";

    /// <summary>Gauge: outbox deliveries waiting (neither delivered nor given up).</summary>
    public const string OutboxBacklog = "samplemind.outbox.backlog";

    /// <summary>Gauge: alerts firing, per rule.</summary>
    public const string AlertsFiring = "samplemind.alerts.firing";

    /// <summary>Gauge: the churn model version this silo scores with (0 = the rule-based rules@1).</summary>
    public const string ChurnModelVersion = "samplemind.churn.model_version";

    static SampleMindMetrics()
    {
        Observe(RollupPendingAge, "s", "Age of the oldest rollup delta not yet flushed to its aggregate grain", "rollup");
        Observe(UserIndexLag, "s", "Age of the oldest user-index row not yet written", null);
        Observe(OutboxBacklog, "{delivery}", "Outbox deliveries neither delivered nor given up", null);
        Observe(AlertsFiring, "{alert}", "Alerts firing, per rule", "rule");
        Observe(ChurnModelVersion, "{version}", "The churn model version in use (0 = rules@1)", null);
    }

    /// <summary>Publishes a gauge's value (with its one tag's value, when the gauge has a tag).</summary>
    public static void SetGauge(string gauge, double value, string? tag = null) => s_gauges[(gauge, tag)] = value;

    /// <summary>The value a gauge would export now (null before any was published); for tests and diagnostics.</summary>
    public static double? GaugeValue(string gauge, string? tag = null) => s_gauges.TryGetValue((gauge, tag), out var v) ? v : null;

    private static void Observe(string name, string unit, string description, string? tagName) =>
        s_meter.CreateObservableGauge(name, () => s_gauges
            .Where(g => g.Key.Gauge == name)
            .Select(g => tagName is null || g.Key.Tag is null
                ? new Measurement<double>(g.Value)
                : new Measurement<double>(g.Value, new KeyValuePair<string, object?>(tagName, g.Key.Tag)))
            .ToList(), unit, description);
}
