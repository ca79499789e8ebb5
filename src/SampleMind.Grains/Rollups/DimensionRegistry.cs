using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SampleMind.Analytics.ModelVersions;
using SampleMind.Analytics.Users;
using SampleMind.Database;

namespace SampleMind.Rollups;

/// <summary>The "Cardinality" section: how many distinct values each client-supplied dimension may have.</summary>
public sealed class CardinalityOptions
{
    /// <summary>Distinct <c>model@version</c> keys (each one a model-version grain and a dashboard row).</summary>
    [Range(1, 1_000_000)]
    public int ModelVersions { get; set; } = 1_000;

    /// <summary>Distinct first-touch campaigns (each one a campaign grain and a dashboard row).</summary>
    [Range(1, 1_000_000)]
    public int Campaigns { get; set; } = 1_000;

    /// <summary>Distinct <c>feature_used</c> features (each one a feature grain and a dashboard row).</summary>
    [Range(1, 1_000_000)]
    public int Features { get; set; } = 1_000;

    /// <summary>A value longer than this (in characters) is never admitted: it counts under "(other)".</summary>
    [Range(1, 1_000)]
    public int MaxValueLength { get; set; } = 200;
}

/// <summary>
/// The registry of client-supplied dimension values (table <c>dimension_values</c>): each dimension admits values on
/// first sight up to its ceiling (<see cref="CardinalityOptions"/>); every later value, and any value longer than
/// <see cref="CardinalityOptions.MaxValueLength"/>, maps to <see cref="Other"/>, so it never becomes a grain or a row.
/// </summary>
/// <remarks>
/// User grains call <see cref="ResolveAsync"/> for their events' values before the events are stored; the rollups then
/// map with <see cref="Map"/> (no I/O). Admission runs in one transaction under a per-dimension advisory lock, so two
/// silos seeing new values at once never pass the ceiling. The table only grows and a value's mapping never changes
/// (a refused value finds the dimension full again), so the SQL oracle applies the same mapping by reading the table.
/// Raising a ceiling admits new values from then on; run reconcile --fix to move their earlier events out of "(other)".
/// </remarks>
public sealed partial class DimensionRegistry(NpgsqlDataSource dataSource, IOptions<CardinalityOptions> options, ILogger<DimensionRegistry> logger)
{
    /// <summary>The key every value past the ceiling is counted under.</summary>
    public const string Other = "(other)";

    public const string ModelVersions = "model_version";
    public const string Campaigns = "campaign";
    public const string Features = "feature";

    private readonly ConcurrentDictionary<string, Dimension> _dimensions = new(StringComparer.Ordinal);
    private readonly CardinalityOptions _options = options.Value;

    /// <summary>The ceiling of <paramref name="dimension"/>.</summary>
    public int CeilingOf(string dimension) => dimension switch
    {
        ModelVersions => _options.ModelVersions,
        Campaigns => _options.Campaigns,
        Features => _options.Features,
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "not a registered dimension"),
    };

    /// <summary>The dimension values of a user's new events and current model that the rollups will map.</summary>
    /// <remarks>Event values are counted by the overflow metric when they fall under "(other)"; the model's current campaign is not (it was counted with its event).</remarks>
    public static IEnumerable<(string Dimension, string Value, bool FromEvent)> ValuesOf(UserModel model, IEnumerable<EventFacts> events)
    {
        if (model.Campaign is { Value: { } current })
        {
            yield return (Campaigns, current, false);
        }
        // Every feature of the person, not only the new events': the feature rollup maps their whole feature set.
        foreach (var feature in model.FeaturesUsed)
        {
            yield return (Features, feature, false);
        }
        foreach (var e in events)
        {
            if (e is { Type: "track", Name: EventNames.FeatureUsed, Feature: { Length: > 0 } feature })
            {
                yield return (Features, feature, true);
            }
            if (ModelVersionFigures.KeyOf(e) is { } key)
            {
                yield return (ModelVersions, key, true);
            }
            if (e.Campaign is { Length: > 0 } campaign)
            {
                yield return (Campaigns, campaign, true);
            }
        }
    }

    /// <summary>Makes sure every value is known to this silo (admitted or refused), admitting first-seen ones while there is room.</summary>
    public async ValueTask ResolveAsync(IEnumerable<(string Dimension, string Value, bool FromEvent)> values, CancellationToken cancellationToken = default)
    {
        Dictionary<string, HashSet<string>>? unknown = null;
        foreach (var (name, value, fromEvent) in values)
        {
            var dimension = _dimensions.GetOrAdd(name, n => new Dimension());
            if (!IsCandidate(value))
            {
                if (fromEvent)
                {
                    Refused(name, dimension, 1, CeilingOf(name));
                }
                continue;
            }
            if (dimension.Loaded && dimension.Admitted.ContainsKey(value))
            {
                continue;
            }
            if (dimension.Loaded && dimension.Full)
            {
                if (fromEvent)
                {
                    Refused(name, dimension, 1, CeilingOf(name));
                }
                continue;
            }
            unknown ??= new(StringComparer.Ordinal);
            if (!unknown.TryGetValue(name, out var set))
            {
                unknown[name] = set = new(StringComparer.Ordinal);
            }
            set.Add(value);
        }
        if (unknown is null)
        {
            return;
        }
        foreach (var (name, set) in unknown)
        {
            await AdmitAsync(name, _dimensions[name], set, cancellationToken);
        }
    }

    /// <summary>The key <paramref name="value"/> is counted under: itself when admitted, else <see cref="Other"/>.</summary>
    public string Map(string dimension, string value)
        => IsCandidate(value) && _dimensions.TryGetValue(dimension, out var d) && d.Admitted.ContainsKey(value) ? value : Other;

    /// <summary>How many values of <paramref name="dimension"/> this silo knows as admitted.</summary>
    public int AdmittedCount(string dimension) => _dimensions.TryGetValue(dimension, out var d) ? d.Admitted.Count : 0;

    /// <summary>
    /// Admits the dimension values of events loaded straight into the log (<c>--into-log</c>), in order of their first
    /// timestamp, while each dimension has room, inside <paramref name="transaction"/> and under the same advisory lock
    /// as live admission; so the rollups that <c>reconcile --fix</c> builds over such a load list them as live ingest
    /// would have. Values past the ceiling stay out: "(other)".
    /// </summary>
    public static async Task AdmitFromLogAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CardinalityOptions options, CancellationToken cancellationToken = default)
    {
        var modelVersion = $"""
            SELECT key AS value, min(ts) AS first FROM (
                SELECT ts, {OracleSql.Text("model")} || '@' || {OracleSql.Text("model_version")} AS key
                FROM (SELECT ts, payload->'properties' AS p FROM user_events WHERE type = 'track') e) k
            WHERE key IS NOT NULL GROUP BY key
            """;
        var campaign = """
            SELECT value, min(ts) AS first FROM (
                SELECT ts, coalesce(c(t->'campaign'), c(t->'campaign_id'), c(cp->'name')) AS value FROM (
                    SELECT ts,
                           coalesce(CASE WHEN jsonb_typeof(payload->'traits') = 'object' THEN payload->'traits' END,
                                    CASE WHEN jsonb_typeof(payload->'context'->'traits') = 'object' THEN payload->'context'->'traits' END) AS t,
                           CASE WHEN jsonb_typeof(payload->'context'->'campaign') = 'object' THEN payload->'context'->'campaign' END AS cp
                    FROM user_events) e) v
            WHERE value IS NOT NULL GROUP BY value
            """.Replace("c(t->'campaign')", Json("t->'campaign'"), StringComparison.Ordinal)
               .Replace("c(t->'campaign_id')", Json("t->'campaign_id'"), StringComparison.Ordinal)
               .Replace("c(cp->'name')", Json("cp->'name'"), StringComparison.Ordinal);
        var feature = $"""
            SELECT value, min(ts) AS first FROM (
                SELECT ts, {OracleSql.Text("feature")} AS value
                FROM (SELECT ts, payload->'properties' AS p FROM user_events WHERE type = 'track' AND event = 'feature_used') e) f
            WHERE value IS NOT NULL GROUP BY value
            """;
        foreach (var (name, sql, ceiling) in new[]
                 {
                     (ModelVersions, modelVersion, options.ModelVersions), (Campaigns, campaign, options.Campaigns), (Features, feature, options.Features),
                 })
        {
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('samplemind.dimension:' || @d))", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("d", name);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var admit = new NpgsqlCommand($"""
                INSERT INTO dimension_values (dimension, value)
                SELECT @d, value FROM ({sql}) candidates
                WHERE length(value) <= @max AND value <> '(other)'
                  AND NOT EXISTS (SELECT 1 FROM dimension_values d WHERE d.dimension = @d AND d.value = candidates.value)
                ORDER BY first, value COLLATE "C"
                LIMIT greatest(@ceiling - (SELECT count(*) FROM dimension_values WHERE dimension = @d), 0)
                ON CONFLICT DO NOTHING
                """, connection, transaction) { CommandTimeout = 0 };
            admit.Parameters.AddWithValue("d", name);
            admit.Parameters.AddWithValue("max", options.MaxValueLength);
            admit.Parameters.AddWithValue("ceiling", (long)ceiling);
            await admit.ExecuteNonQueryAsync(cancellationToken);
        }

        static string Json(string json) =>
            $"(CASE jsonb_typeof({json}) WHEN 'string' THEN nullif({json} #>> '{{}}', '') WHEN 'number' THEN {json} #>> '{{}}' END)";
    }

    /// <summary>The ceilings as the silos see them, from SAMPLEMIND_Cardinality__* environment variables (else the defaults).</summary>
    public static CardinalityOptions FromEnvironment()
    {
        var options = new CardinalityOptions();
        if (int.TryParse(Environment.GetEnvironmentVariable("SAMPLEMIND_Cardinality__ModelVersions"), out var versions))
        {
            options.ModelVersions = versions;
        }
        if (int.TryParse(Environment.GetEnvironmentVariable("SAMPLEMIND_Cardinality__Campaigns"), out var campaigns))
        {
            options.Campaigns = campaigns;
        }
        if (int.TryParse(Environment.GetEnvironmentVariable("SAMPLEMIND_Cardinality__Features"), out var features))
        {
            options.Features = features;
        }
        if (int.TryParse(Environment.GetEnvironmentVariable("SAMPLEMIND_Cardinality__MaxValueLength"), out var length))
        {
            options.MaxValueLength = length;
        }
        return options;
    }

    private bool IsCandidate(string value) => value.Length <= _options.MaxValueLength && value != Other;

    private async Task AdmitAsync(string name, Dimension dimension, HashSet<string> values, CancellationToken cancellationToken)
    {
        var ceiling = CeilingOf(name);
        await dimension.Gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            if (!dimension.Loaded)
            {
                await using var load = new NpgsqlCommand("SELECT value FROM dimension_values WHERE dimension = @d", connection);
                load.Parameters.AddWithValue("d", name);
                await using (var reader = await load.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        dimension.Admitted.TryAdd(reader.GetString(0), 0);
                    }
                }
                dimension.Full = dimension.Admitted.Count >= ceiling;
                dimension.Loaded = true;
            }
            values.RemoveWhere(v => dimension.Admitted.ContainsKey(v));
            if (values.Count == 0 || dimension.Full)
            {
                Refused(name, dimension, values.Count, ceiling); // (each distinct value once per resolve)
                return;
            }

            // Under the lock: what is in the table, how much room is left, and the first-seen values that fit.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('samplemind.dimension:' || @d))", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("d", name);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }
            var ordered = values.Order(StringComparer.Ordinal).ToArray();
            await using var admit = new NpgsqlCommand("""
                WITH known AS (
                    SELECT value FROM dimension_values WHERE dimension = @d AND value = ANY(@v)
                ),
                room AS (
                    SELECT greatest(@ceiling - count(*), 0) AS n FROM dimension_values WHERE dimension = @d
                ),
                fresh AS (
                    SELECT v FROM unnest(@v) WITH ORDINALITY AS u(v, o)
                    WHERE v NOT IN (SELECT value FROM known)
                    ORDER BY o LIMIT (SELECT n FROM room)
                ),
                added AS (
                    INSERT INTO dimension_values (dimension, value) SELECT @d, v FROM fresh
                    ON CONFLICT DO NOTHING RETURNING value
                )
                SELECT value, false FROM known UNION ALL SELECT value, true FROM added
                UNION ALL SELECT NULL, (SELECT n FROM room) <= (SELECT count(*) FROM fresh)
                """, connection, transaction);
            admit.Parameters.AddWithValue("d", name);
            admit.Parameters.AddWithValue("v", ordered);
            admit.Parameters.AddWithValue("ceiling", (long)ceiling);
            var admitted = new List<string>();
            var full = false;
            await using (var reader = await admit.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (reader.IsDBNull(0))
                    {
                        full = reader.GetBoolean(1);
                    }
                    else
                    {
                        admitted.Add(reader.GetString(0));
                    }
                }
            }
            await transaction.CommitAsync(cancellationToken);
            foreach (var value in admitted)
            {
                dimension.Admitted.TryAdd(value, 0);
            }
            if (full)
            {
                dimension.Full = true;
            }
            Refused(name, dimension, values.Count - admitted.Count, ceiling);
        }
        finally
        {
            dimension.Gate.Release();
        }
    }

    private void Refused(string name, Dimension dimension, int refused, int ceiling)
    {
        if (refused <= 0)
        {
            return;
        }
        ResilienceMetrics.OverflowValues.Add(refused, new KeyValuePair<string, object?>("dimension", name));
        if (!dimension.Warned && dimension.Full)
        {
            dimension.Warned = true;
            LogFull(logger, name, ceiling);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dimension {Dimension} reached its ceiling of {Ceiling} values (Cardinality options): new values are counted under (other)")]
    private static partial void LogFull(ILogger logger, string dimension, int ceiling);

    private sealed class Dimension
    {
        public ConcurrentDictionary<string, byte> Admitted { get; } = new(StringComparer.Ordinal);
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public volatile bool Loaded;
        public volatile bool Full;
        public volatile bool Warned;
    }
}
