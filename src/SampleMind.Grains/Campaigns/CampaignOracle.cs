using Npgsql;
using SampleMind.Analytics.Campaigns;

namespace SampleMind.Campaigns;

/// <summary>
/// The oracle: first-touch and last-touch campaign figures computed by SQL from the user event log, by the definitions
/// the user model applies. A touch is an event with a non-empty value of traits.campaign, traits.campaign_id or
/// context.campaign.name (in that order), where traits are the event's traits object, else context.traits.
/// Amounts count when they are JSON numbers (as in the KPI oracle). A campaign not admitted to the registry
/// (<c>dimension_values</c>, see <see cref="Rollups.DimensionRegistry"/>) counts under "(other)", as live.
/// </summary>
public static class CampaignOracle
{
    /// <summary>An identify's created_at counts as a signup when it starts with a date (as in the KPI oracle).</summary>
    private const string DatePattern = @"^\d{4}-\d{2}-\d{2}";

    private static string Text(string json) =>
        $"(CASE jsonb_typeof({json}) WHEN 'string' THEN nullif({json} #>> '{{}}', '') WHEN 'number' THEN {json} #>> '{{}}' END)";

    private static string Number(string property) => Rollups.OracleSql.Number(property, "(payload->'properties')");

    /// <summary>First-touch figures per campaign (campaigns with at least one first-touch person).</summary>
    public static async Task<SortedDictionary<string, CampaignFigures>> CampaignsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var result = new SortedDictionary<string, CampaignFigures>(StringComparer.Ordinal);
        foreach (var (campaign, attribution) in await AttributedAsync(dataSource, cancellationToken))
        {
            if (attribution.FirstTouch.Users > 0)
            {
                result[campaign] = attribution.FirstTouch;
            }
        }
        return result;
    }

    /// <summary>
    /// Both models per campaign. First touch: a person's earliest (timestamp, then messageId) touch. Last touch: the
    /// latest (timestamp, then messageId) touch whose timestamp is at or before the person's first payment_succeeded, or
    /// the latest touch of a person with no payment. <c>user_events.user_id</c> is always the resolved person (a merge
    /// moves the rows in the transaction that writes the link), so this counts people.
    /// </summary>
    public static async Task<SortedDictionary<string, CampaignAttribution>> AttributedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            WITH tr AS (
                SELECT user_id, ts, message_id,
                       coalesce(CASE WHEN jsonb_typeof(payload->'traits') = 'object' THEN payload->'traits' END,
                                CASE WHEN jsonb_typeof(payload->'context'->'traits') = 'object' THEN payload->'context'->'traits' END) AS t,
                       CASE WHEN jsonb_typeof(payload->'context'->'campaign') = 'object' THEN payload->'context'->'campaign' END AS c
                FROM user_events
            ),
            touches AS (
                SELECT user_id, ts, message_id, campaign
                FROM (SELECT user_id, ts, message_id, coalesce({Text("t->'campaign'")}, {Text("t->'campaign_id'")}, {Text("c->'name'")}) AS campaign FROM tr) v
                WHERE campaign IS NOT NULL
            ),
            conversion AS (
                SELECT user_id, min(ts) AS at FROM user_events WHERE type = 'track' AND event = 'payment_succeeded' GROUP BY user_id
            ),
            first_touch AS (
                SELECT DISTINCT ON (user_id) user_id, campaign
                FROM touches
                ORDER BY user_id, ts, message_id COLLATE "C"
            ),
            last_touch AS (
                SELECT DISTINCT ON (t.user_id) t.user_id, t.campaign
                FROM touches t LEFT JOIN conversion USING (user_id)
                WHERE conversion.at IS NULL OR t.ts <= conversion.at
                ORDER BY t.user_id, t.ts DESC, t.message_id COLLATE "C" DESC
            ),
            signup AS (
                SELECT user_id FROM user_events WHERE type = 'track' AND event = 'signup_started'
                UNION
                SELECT user_id FROM (
                    SELECT user_id, coalesce(payload->'traits'->>'created_at', payload->'traits'->>'createdAt',
                                             payload->'context'->'traits'->>'created_at', payload->'context'->'traits'->>'createdAt') AS c
                    FROM user_events WHERE type = 'identify') i
                WHERE c ~ '{DatePattern}'
            ),
            paid AS (
                SELECT user_id, sum(coalesce({Number("amount")}, {Number("revenue")}, 0)) AS revenue
                FROM user_events WHERE type = 'track' AND event = 'payment_succeeded' GROUP BY user_id
            ),
            attributed AS (
                SELECT 0 AS model, user_id, campaign FROM first_touch
                UNION ALL
                SELECT 1, user_id, campaign FROM last_touch
            )
            SELECT CASE WHEN EXISTS (SELECT 1 FROM dimension_values d WHERE d.dimension = 'campaign' AND d.value = attributed.campaign)
                        THEN attributed.campaign ELSE '(other)' END AS campaign, model,
                   count(*), count(signup.user_id), count(paid.user_id), coalesce(sum(paid.revenue), 0)
            FROM attributed LEFT JOIN signup USING (user_id) LEFT JOIN paid USING (user_id)
            GROUP BY 1, 2
            """;
        var result = new SortedDictionary<string, CampaignAttribution>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var campaign = reader.GetString(0);
            if (!result.TryGetValue(campaign, out var attribution))
            {
                result[campaign] = attribution = new CampaignAttribution();
            }
            (reader.GetInt32(1) == 0 ? attribution.FirstTouch : attribution.LastTouch).Add(new CampaignFigures
            {
                Users = (int)reader.GetInt64(2),
                Signups = (int)reader.GetInt64(3),
                Conversions = (int)reader.GetInt64(4),
                Revenue = reader.GetDecimal(5),
            });
        }
        return result;
    }
}
