using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using SampleMind.Database;
using SampleMind.IntegrationTests.Processes;
using SampleMind.Operations;

namespace SampleMind.IntegrationTests.Deployment;

/// <summary>
/// The Grafana dashboard in deploy/grafana as the tests read it: its panels, the PromQL of every target, the metric
/// families and grouping labels those queries name; and the Prometheus names our own instruments export under.
/// </summary>
internal static partial class GrafanaDashboard
{
    public static string Path => System.IO.Path.Combine(BuiltHosts.RepositoryRoot, "deploy", "grafana", "samplemind.json");

    public sealed record Panel(int Id, string Type, string Title, JsonElement Element);

    public sealed record Query(string Panel, string Expression);

    public static JsonDocument Load() => JsonDocument.Parse(File.ReadAllText(Path));

    public static IReadOnlyList<Panel> Panels(JsonDocument dashboard) =>
        [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Select(p => new Panel(p.GetProperty("id").GetInt32(), p.GetProperty("type").GetString()!, p.GetProperty("title").GetString()!, p))];

    public static IReadOnlyList<Query> Queries(JsonDocument dashboard) =>
        [.. Panels(dashboard).Where(p => p.Type != "row")
            .SelectMany(p => p.Element.GetProperty("targets").EnumerateArray()
                .Select(t => new Query(p.Title, t.GetProperty("expr").GetString()!)))];

    /// <summary>The metric names a query reads (PromQL functions, keywords and label names excluded).</summary>
    public static IEnumerable<string> Metrics(string expression) =>
        MetricName().Matches(StripLabelLists(expression)).Select(m => m.Value).Distinct();

    /// <summary>The labels of every <c>by (…)</c> clause in a query.</summary>
    public static IEnumerable<string> GroupingLabels(string expression) =>
        ByClause().Matches(expression).SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private static string StripLabelLists(string expression) => ByClause().Replace(expression, "");

    /// <summary>
    /// The Prometheus series names of the instruments our meters define (SampleMind and SampleMind.Resilience),
    /// named the way the OpenTelemetry Prometheus exporter names them: dots → underscores, the unit as a suffix
    /// (s → _seconds; {annotations} dropped), counters + _total, histograms as _bucket/_sum/_count.
    /// Every instrument is listed, also those that have recorded nothing yet and so are absent from a scrape.
    /// </summary>
    public static IReadOnlyDictionary<string, string> OwnInstrumentSeries()
    {
        RuntimeHelpers.RunClassConstructor(typeof(SampleMindMetrics).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(ResilienceMetrics).TypeHandle);
        var series = new Dictionary<string, string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is not (SampleMindMetrics.MeterName or ResilienceMetrics.MeterName))
                {
                    return;
                }
                var baseName = instrument.Name.Replace('.', '_') + instrument.Unit switch
                {
                    "s" => "_seconds",
                    "ms" => "_milliseconds",
                    "By" => "_bytes",
                    _ => "",
                };
                var kind = instrument.GetType().GetGenericTypeDefinition();
                if (kind == typeof(Counter<>) || kind == typeof(ObservableCounter<>))
                {
                    series[baseName + "_total"] = instrument.Name;
                }
                else if (kind == typeof(Histogram<>))
                {
                    foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
                    {
                        series[baseName + suffix] = instrument.Name;
                    }
                }
                else
                {
                    series[baseName] = instrument.Name;
                }
            },
        };
        listener.Start();
        return series;
    }

    /// <summary>Series name → the label names its samples carry, from a Prometheus text exposition.</summary>
    public static Dictionary<string, HashSet<string>> SeriesLabels(string exposition)
    {
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var name = SampleName().Match(line).Value;
            if (name.Length == 0)
            {
                continue;
            }
            if (!result.TryGetValue(name, out var labels))
            {
                result[name] = labels = [];
            }
            foreach (Match label in SampleLabel().Matches(line[name.Length..]))
            {
                labels.Add(label.Groups[1].Value);
            }
        }
        return result;
    }

    [GeneratedRegex(@"\b(?:samplemind|orleans|dotnet|http_server|kestrel|aspnetcore)_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\b(?:by|without)\s*\(([^)]*)\)")]
    private static partial Regex ByClause();

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""")]
    private static partial Regex SampleLabel();
}
