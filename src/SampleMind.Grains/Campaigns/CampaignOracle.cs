using Npgsql;
using SampleMind.Analytics.Campaigns;

namespace SampleMind.Campaigns;

/// <summary>
/// The oracle: first-touch campaign figures computed by SQL from the user event log, by the definitions the user model
/// applies. A user's campaign is the earliest (timestamp, then messageId) non-empty value of traits.campaign,
/// traits.campaign_id or context.campaign.name, where traits are the event's traits object, else context.traits.
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

    public static async Task<SortedDictionary<string, CampaignFigures>> CampaignsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            WITH tr AS (
                SELECT user_id, ts, message_id,
                       coalesce(CASE WHEN jsonb_typeof(payload->'traits') = 'object' THEN payload->'traits' END,
                                CASE WHEN jsonb_typeof(payload->'context'->'traits') = 'object' THEN payload->'context'->'traits' END) AS t,
                       CASE WHEN jsonb_typeof(payload->'context'->'campaign') = 'object' THEN payload->'context'->'campaign' END AS c
                FROM user_events
            ),
            touch AS (
                SELECT DISTINCT ON (user_id) user_id, campaign
                FROM (SELECT user_id, ts, message_id, coalesce({Text("t->'campaign'")}, {Text("t->'campaign_id'")}, {Text("c->'name'")}) AS campaign FROM tr) v
                WHERE campaign IS NOT NULL
                ORDER BY user_id, ts, message_id COLLATE "C"
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
            )
            SELECT CASE WHEN EXISTS (SELECT 1 FROM dimension_values d WHERE d.dimension = 'campaign' AND d.value = touch.campaign)
                        THEN touch.campaign ELSE '(other)' END AS campaign,
                   count(*), count(signup.user_id), count(paid.user_id), coalesce(sum(paid.revenue), 0)
            FROM touch LEFT JOIN signup USING (user_id) LEFT JOIN paid USING (user_id)
            GROUP BY 1
            """;
        var result = new SortedDictionary<string, CampaignFigures>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetString(0)] = new CampaignFigures
            {
                Users = (int)reader.GetInt64(1),
                Signups = (int)reader.GetInt64(2),
                Conversions = (int)reader.GetInt64(3),
                Revenue = reader.GetDecimal(4),
            };
        }
        return result;
    }
}
