namespace SampleMind.Rollups;

/// <summary>
/// SQL fragments that read an event's properties (<c>p</c>, a jsonb object) the way
/// <see cref="Analytics.Users.EventFacts"/> reads them, so the oracles count the same values as the user grains.
/// </summary>
public static class OracleSql
{
    /// <summary>A non-empty string or a number's text, as EventFacts' strings.</summary>
    public static string Text(string property) =>
        $"CASE WHEN jsonb_typeof(p->'{property}') IN ('string', 'number') THEN nullif(p->>'{property}', '') END";

    /// <summary>
    /// A JSON number or a numeric string, as EventFacts' decimals; <paramref name="properties"/> is the jsonb object
    /// holding it. A value past the decimal range (stored before ingest refused such values) is absent, as the model
    /// reads it, so one such row neither overflows the oracle nor differs from the grains.
    /// </summary>
    public static string Number(string property, string properties = "p")
    {
        var value = $"""
            CASE jsonb_typeof({properties}->'{property}')
                WHEN 'number' THEN ({properties}->>'{property}')::numeric
                WHEN 'string' THEN CASE WHEN {properties}->>'{property}' ~ '^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$' THEN btrim({properties}->>'{property}')::numeric END
            END
            """;
        return $"CASE WHEN abs({value}) <= 79228162514264337593543950335 THEN {value} END";
    }

    /// <summary>A JSON boolean, a "true"/"false" string or a number (non-zero is true), as EventFacts' booleans.</summary>
    public static string Bool(string property) => $"""
        CASE jsonb_typeof(p->'{property}')
            WHEN 'boolean' THEN (p->>'{property}')::boolean
            WHEN 'number' THEN (p->>'{property}')::numeric <> 0
            WHEN 'string' THEN CASE lower(btrim(p->>'{property}')) WHEN 'true' THEN true WHEN 'false' THEN false END
        END
        """;

    /// <summary>
    /// (user_id, signup): a user's signup, the earliest of signup_started and an identify's created_at trait (as the
    /// KPI oracle's new_signups). Needs the session time zone UTC.
    /// </summary>
    public const string Signups = """
        SELECT user_id, min(at) AS signup FROM (
            SELECT user_id, min(ts) AS at FROM user_events WHERE type = 'track' AND event = 'signup_started' GROUP BY user_id
            UNION ALL
            SELECT user_id, min(c::timestamptz) FROM (
                SELECT user_id, coalesce(payload->'traits'->>'created_at', payload->'traits'->>'createdAt',
                                         payload->'context'->'traits'->>'created_at', payload->'context'->'traits'->>'createdAt') AS c
                FROM user_events WHERE type = 'identify') t
            WHERE c ~ '^\d{4}-\d{2}-\d{2}' GROUP BY user_id
        ) s
        GROUP BY user_id
        """;
}
