using System.Diagnostics.Metrics;
using Npgsql;

namespace SampleMind.Database;

/// <summary>Whether a failed write can succeed when it is sent again.</summary>
public enum WriteFailure
{
    /// <summary>The cause passes (connection, deadlock, serialization, resources, shutdown, timeout): retry.</summary>
    Transient,

    /// <summary>The cause is in the rows (too large for an index, bad data, a constraint): the same rows fail again.</summary>
    Permanent,
}

/// <summary>Sorts PostgreSQL failures into <see cref="WriteFailure"/>.</summary>
public static class PostgresErrors
{
    /// <summary>
    /// Permanent: SQLSTATE class 54 (program limit exceeded: 54000 "index row size exceeds maximum"), 22 (data
    /// exception) and 23 (integrity constraint violation; the expected duplicates are absorbed by ON CONFLICT and never
    /// get here). Everything else (08 connection, 40001/40P01, 53 resources, 57P shutdown, timeouts, I/O, and any
    /// error not caused by the rows, such as a missing table) is transient: never blamed on the client.
    /// </summary>
    public static WriteFailure Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return IsPermanent(postgres.SqlState) ? WriteFailure.Permanent : WriteFailure.Transient;
            }
        }
        return WriteFailure.Transient;
    }

    public static bool IsPermanent(string sqlState)
        => sqlState.StartsWith("54", StringComparison.Ordinal)
            || sqlState.StartsWith("22", StringComparison.Ordinal)
            || sqlState.StartsWith("23", StringComparison.Ordinal);

    /// <summary>The SQLSTATE and PostgreSQL's message (without the row's data) of a permanent failure.</summary>
    public static (string SqlState, string Reason) Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return (postgres.SqlState, postgres.MessageText);
            }
        }
        return ("", exception.Message);
    }
}

/// <summary>
/// The meter of the blast-radius defences (<c>SampleMind.Resilience</c>): rows refused by PostgreSQL, split group
/// commits, parked aggregate flushes, dimension values rolled up under "(other)".
/// </summary>
public static class ResilienceMetrics
{
    public const string MeterName = "SampleMind.Resilience";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Event log rows PostgreSQL refused for good; their requests got a 4xx.</summary>
    public static readonly Counter<long> RejectedEvents = Meter.CreateCounter<long>(
        "samplemind.eventlog.rejected_events", unit: "{event}", description: "Events the user event log refused for good (their own request answered 4xx)");

    /// <summary>Group commits that failed for good and were split to find the offending rows.</summary>
    public static readonly Counter<long> GroupSplits = Meter.CreateCounter<long>(
        "samplemind.eventlog.group_splits", unit: "{split}", description: "Event log group commits split after a permanent failure");

    /// <summary>Rows of another batched write (user index, outbox) dropped because PostgreSQL refuses them for good.</summary>
    public static readonly Counter<long> RefusedRows = Meter.CreateCounter<long>(
        "samplemind.batch.refused_rows", unit: "{row}", description: "Rows of a batched write that PostgreSQL refuses for good, set aside");

    /// <summary>Aggregate flushes parked because the grain can never apply them (tag rollup).</summary>
    public static readonly Counter<long> ParkedFlushes = Meter.CreateCounter<long>(
        "samplemind.rollup.parked_flushes", unit: "{flush}", description: "Pre-aggregator flushes parked after repeated failures (the key is retried no more)");

    /// <summary>Dimension values past the configured ceiling, counted under "(other)" (tag dimension).</summary>
    public static readonly Counter<long> OverflowValues = Meter.CreateCounter<long>(
        "samplemind.cardinality.overflow", unit: "{value}", description: "Client-supplied dimension values past the ceiling, counted under (other)");
}
