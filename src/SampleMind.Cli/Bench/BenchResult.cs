using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SampleMind.Cli.Bench;

/// <summary>One bench run: the JSON written with --json, key for key as issue #9 names them.</summary>
internal sealed record class BenchResult
{
    public required string Mode { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required BenchMachine Machine { get; init; }
    public required LimitFigures Limits { get; init; }
    public required IngestFigures Ingest { get; init; }
    public required LatencyFigures RiskQuery { get; init; }
    public required LatencyFigures RiskQueryUnderIngest { get; init; }
    public required FreshnessFigures Freshness { get; init; }
    public required MemoryFigures Memory { get; init; }
    public required SqlBaselineFigures SqlBaseline { get; init; }

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>The figures beside issue 20's goals (ratios to this run's own limits where the figure depends on the machine).</summary>
    public Table ToTable()
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"samplemind bench ({Mode}, {StartedAt:yyyy-MM-dd HH:mm} UTC, {Machine.Cores} cores)");
        table.AddColumns("figure", "value", "goal");
        Row(table, "limits.grainCallsPerSec", $"{Limits.GrainCallsPerSec:N0}", "");
        Row(table, "limits.pgCopyRowsPerSec", $"{Limits.PgCopyRowsPerSec:N0}", "");
        Row(table, "ingest.eventsPerSec", $"{Ingest.EventsPerSec:N0}", "");
        Row(table, "  ratio to grain calls / to COPY", $"{Ingest.RatioToGrainCalls:P0} / {Ingest.RatioToPgCopy:P0}", Goal(Ingest.RatioToPgCopy >= 0.5, "COPY ratio ≥ 50 %"));
        Row(table, "  silo / client-api CPU (100 % = 1 core)", $"{Ingest.SiloCpuPercent:N0} % / {Ingest.ApiCpuPercent:N0} %", "");
        Row(table, $"riskQuery p50 / p99 / p99.9 ms ({RiskQuery.RatePerSec:N0}/s)", Ms(RiskQuery), "");
        Row(table, $"riskQueryUnderIngest ({RiskQueryUnderIngest.IngestEventsPerSec:N0} ev/s)", Ms(RiskQueryUnderIngest), Goal(RiskQueryUnderIngest.P99Ms <= 10 && RiskQueryUnderIngest.P999Ms <= 25, "p99 ≤ 10, p99.9 ≤ 25 ms"));
        Row(table, "freshness p50 / p99 ms", $"{Freshness.P50Ms:N0} / {Freshness.P99Ms:N0} ({Freshness.Samples} samples)", Goal(Freshness.P99Ms <= 250, "p99 ≤ 250 ms"));
        Row(table, "memory.bytesPerActiveUser", $"{Memory.BytesPerActiveUser:N0} ({Memory.ActiveUsers:N0} users)", Goal(Memory.BytesPerActiveUser <= 3072, "≤ 3 KB"));
        Row(table, "  per user reached by ingest (with events)", $"{Memory.BytesPerIngestedUser:N0} ({Memory.IngestedUsers:N0} users)", "");
        foreach (var (events, ms) in SqlBaseline.RefreshMs)
        {
            Row(table, $"sqlBaseline.refreshMs ({events} events)", ms is null ? $"not measured ({Mode})" : $"{ms:N0}", "");
        }
        return table;
    }

    private static string Ms(LatencyFigures f) =>
        $"{f.P50Ms:N1} / {f.P99Ms:N1} / {f.P999Ms:N1}" + (f.Errors > 0 ? $" ({f.Errors} errors)" : "");

    private static string Goal(bool met, string goal) => met ? $"[green]{Markup.Escape(goal)} ✓[/]" : $"[red]{Markup.Escape(goal)} ✗[/]";

    private static void Row(Table table, string figure, string value, string goal) =>
        table.AddRow(new Markup(Markup.Escape(figure)), new Markup(Markup.Escape(value)), new Markup(goal));
}

internal sealed record class BenchMachine(int Cores, string Os, string Runtime, bool OwnStack);

internal sealed record class LimitFigures(double GrainCallsPerSec, double PgCopyRowsPerSec);

internal sealed record class FreshnessFigures(double? P50Ms, double? P99Ms, int Samples, long Errors);

/// <summary>
/// Managed heap per active user grain after every user of the population was activated (<see cref="ActiveUsers"/>; those
/// ingest did not reach have no events), and per user grain right after ingest (<see cref="IngestedUsers"/>, all with events).
/// </summary>
internal sealed record class MemoryFigures(long? BytesPerActiveUser, int ActiveUsers, int IngestedUsers, long? BytesPerIngestedUser,
    long HeapBytesBefore, long HeapBytesAfter);

internal sealed record class SqlBaselineFigures([property: JsonPropertyName("refreshMs")] IReadOnlyDictionary<string, double?> RefreshMs)
{
    /// <summary>"20k", "1M", "10M": the key of a refresh over that many events.</summary>
    public static string Label(long events) => events >= 1_000_000 ? $"{events / 1_000_000}M" : $"{events / 1_000}k";
}
