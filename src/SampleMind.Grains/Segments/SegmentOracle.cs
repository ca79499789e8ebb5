using Npgsql;
using SampleMind.Analytics.Segments;
using static SampleMind.Rollups.OracleSql;

namespace SampleMind.Segments;

/// <summary>
/// The oracle: every user's end-of-day segment computed by SQL from the user event log — the seed's rules over the
/// trailing-7-day analyses, distinct features used, the plan in force (a trial lapses after 14 days), account age,
/// days since the last event and lifetime revenue, each as of the end of the UTC day — from the user's first day to the
/// same horizon the user grains use (after which nothing changes without new events). The change points of each user's
/// days add up to the same <see cref="SegmentFigures"/> as the segments grain's.
/// </summary>
public static class SegmentOracle
{
    private static readonly string Sql = $"""
        WITH e AS (
            SELECT user_id, ts, (ts AT TIME ZONE 'UTC')::date AS day, type, event, message_id, payload->'properties' AS p, payload
            FROM user_events
        ),
        u AS (SELECT user_id, min(day) AS first_day, min(ts) AS first_ts, max(ts) AS last_ts FROM e GROUP BY user_id),
        s AS ({Signups}),
        users AS (
            SELECT u.user_id, u.first_day, coalesce(s.signup, u.first_ts) AS signup,
                   greatest((u.last_ts AT TIME ZONE 'UTC')::date + 32, (coalesce(s.signup, u.first_ts) AT TIME ZONE 'UTC')::date + 92) AS horizon
            FROM u LEFT JOIN s USING (user_id)
        ),
        daily AS (
            SELECT user_id, day,
                   count(*) FILTER (WHERE type = 'track' AND event = 'analysis_completed') AS analyses,
                   coalesce(sum(coalesce({Number("amount")}, {Number("revenue")}, 0)) FILTER (WHERE type = 'track' AND event = 'payment_succeeded'), 0) AS revenue,
                   max(ts) AS last_ts
            FROM e GROUP BY user_id, day
        ),
        features AS (
            SELECT user_id, day, count(*) AS new_features FROM (
                SELECT user_id, min(day) AS day FROM (
                    SELECT user_id, day, {Text("feature")} AS feature FROM e WHERE type = 'track' AND event = 'feature_used'
                ) f WHERE feature IS NOT NULL GROUP BY user_id, feature
            ) g GROUP BY user_id, day
        ),
        plan_changes AS (
            SELECT user_id, ts, message_id, day, CASE WHEN btrim(plan) = '' THEN 'free' ELSE lower(btrim(plan)) END AS plan FROM (
                SELECT user_id, ts, message_id, day,
                       CASE
                           WHEN type = 'identify' THEN coalesce({Text("plan")}, (SELECT {Text("plan")} FROM (SELECT
                                CASE WHEN jsonb_typeof(payload->'traits') = 'object' THEN payload->'traits'
                                     WHEN jsonb_typeof(payload->'context'->'traits') = 'object' THEN payload->'context'->'traits' END AS p) t))
                           WHEN type = 'track' AND event = 'trial_started' THEN 'trial'
                           WHEN type = 'track' AND event = 'subscription_started' THEN coalesce({Text("plan")}, 'starter')
                           WHEN type = 'track' AND event = 'subscription_renewed' THEN {Text("plan")}
                           WHEN type = 'track' AND event = 'subscription_canceled' THEN 'free'
                       END AS plan
                FROM e
            ) c WHERE plan IS NOT NULL
        ),
        daily_plan AS (
            SELECT DISTINCT ON (user_id, day) user_id, day, plan, ts
            FROM plan_changes ORDER BY user_id, day, ts DESC, message_id COLLATE "C" DESC
        ),
        grid AS (
            SELECT users.user_id, g::date AS day, users.signup
            FROM users, generate_series(users.first_day, users.horizon, interval '1 day') g
        ),
        running AS (
            SELECT grid.user_id, grid.day, grid.signup,
                   sum(coalesce(d.analyses, 0)) OVER week AS analyses_week,
                   sum(coalesce(f.new_features, 0)) OVER upto AS features,
                   sum(coalesce(d.revenue, 0)) OVER upto AS revenue,
                   max(d.last_ts) OVER upto AS last_ts,
                   dp.plan AS plan_today, dp.ts AS plan_ts_today,
                   count(dp.ts) OVER upto AS plan_group
            FROM grid
            LEFT JOIN daily d USING (user_id, day)
            LEFT JOIN features f USING (user_id, day)
            LEFT JOIN daily_plan dp USING (user_id, day)
            WINDOW upto AS (PARTITION BY grid.user_id ORDER BY grid.day ROWS UNBOUNDED PRECEDING),
                   week AS (PARTITION BY grid.user_id ORDER BY grid.day ROWS 6 PRECEDING)
        ),
        with_plan AS (
            SELECT *, (day + 1)::timestamptz AS day_end,
                   first_value(plan_today) OVER (PARTITION BY user_id, plan_group ORDER BY day) AS plan_raw,
                   first_value(plan_ts_today) OVER (PARTITION BY user_id, plan_group ORDER BY day) AS plan_at
            FROM running
        ),
        inputs AS (
            SELECT user_id, day, analyses_week, features, revenue, last_ts, signup, day_end,
                   CASE WHEN plan_raw IS NULL THEN 'free'
                        WHEN plan_raw = 'trial' AND plan_at < day_end - interval '14 days' THEN 'free'
                        ELSE plan_raw END AS plan
            FROM with_plan
        ),
        segments AS (
            SELECT user_id, day,
                   CASE
                       WHEN last_ts < day_end - interval '30 days' AND revenue > 0 THEN 'dormant'
                       WHEN analyses_week > 50 AND features > 10 AND plan IN ('pro', 'studio') THEN 'power_users'
                       WHEN analyses_week BETWEEN 5 AND 50 AND signup < day_end - interval '90 days' AND plan IN ('starter', 'pro', 'studio') THEN 'regulars'
                       WHEN analyses_week BETWEEN 1 AND 5 AND signup >= day_end - interval '90 days' AND plan IN ('free', 'trial') THEN 'explorers'
                       ELSE 'unclassified'
                   END AS segment
            FROM inputs
        )
        SELECT user_id, day, segment FROM (
            SELECT user_id, day, segment, lag(segment) OVER (PARTITION BY user_id ORDER BY day) AS previous FROM segments
        ) z
        WHERE previous IS DISTINCT FROM segment
        ORDER BY user_id, day
        """;

    /// <summary>Every user's end-of-day segment path, added up.</summary>
    public static async Task<SegmentFigures> FiguresAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var utc = new NpgsqlCommand("SET TIME ZONE 'UTC'", connection))
        {
            await utc.ExecuteNonQueryAsync(cancellationToken);
        }
        var figures = new SegmentFigures();
        var path = new List<SegmentStep>();
        string? user = null;
        await using var command = new NpgsqlCommand(Sql, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            if (id != user)
            {
                figures.AddPath(path, +1);
                path.Clear();
                user = id;
            }
            path.Add(new SegmentStep(reader.GetFieldValue<DateOnly>(1).DayNumber, reader.GetString(2)));
        }
        figures.AddPath(path, +1);
        return figures;
    }
}
