using Npgsql;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Analytics.Users;

namespace SampleMind.FunnelMetrics;

/// <summary>
/// The oracle: both funnels computed by SQL from the user event log. A step's time is the earliest track event of its
/// kind (signup_started also gives free_user; sample_uploaded is first_upload, analysis_completed first_analysis,
/// subscription_started subscription_active); second_session is the second-earliest session_started. A user is at
/// step k when steps 0…k all have a time; durations are bucketed with <c>width_bucket</c> over
/// <see cref="DurationHistogram.BoundariesMs"/>, numbered as the live histogram numbers them.
/// </summary>
public static class FunnelOracle
{
    private static readonly IReadOnlyDictionary<string, string> StepEvents = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["signup_started"] = EventNames.SignupStarted,
        ["email_verified"] = EventNames.EmailVerified,
        ["first_upload"] = EventNames.SampleUploaded,
        ["first_analysis"] = EventNames.AnalysisCompleted,
        ["free_user"] = EventNames.SignupStarted,
        ["trial_started"] = EventNames.TrialStarted,
        ["payment_added"] = EventNames.PaymentAdded,
        ["subscription_active"] = EventNames.SubscriptionStarted,
        ["subscription_renewed"] = EventNames.SubscriptionRenewed,
    };

    public static async Task<FunnelFigures> FunnelAsync(NpgsqlDataSource dataSource, string funnel, CancellationToken cancellationToken = default)
    {
        var steps = FunnelFigures.StepsOf(funnel) ?? throw new ArgumentException($"unknown funnel {funnel}", nameof(funnel));
        string Column(string step) => step == "second_session"
            ? "second_session.ts"
            : $"min(e.ts) FILTER (WHERE e.event = '{StepEvents[step]}')";
        var times = string.Join(",\n       ", steps.Select((s, k) => $"{Column(s)} AS s{k}"));
        var sql = $"""
            WITH second_session AS (
                SELECT user_id, ts FROM (
                    SELECT user_id, ts, row_number() OVER (PARTITION BY user_id ORDER BY ts) AS n
                    FROM user_events WHERE type = 'track' AND event = 'session_started') s
                WHERE n = 2
            ),
            u AS (
                SELECT e.user_id,
                       {times}
                FROM user_events e LEFT JOIN second_session USING (user_id)
                WHERE e.type = 'track'
                GROUP BY e.user_id, second_session.ts
            )
            SELECT k, bucket, count(*) FROM (
                {string.Join("\n    UNION ALL\n    ", steps.Select((_, k) => Reached(k)))}
            ) r
            GROUP BY k, bucket
            """;
        string Reached(int k)
        {
            var all = string.Join(" AND ", Enumerable.Range(0, k + 1).Select(i => $"s{i} IS NOT NULL"));
            var bucket = k == 0 ? "-1" : $"width_bucket((extract(epoch FROM s{k}) - extract(epoch FROM s{k - 1})) * 1000, @boundaries)";
            return $"SELECT {k} AS k, {bucket} AS bucket FROM u WHERE {all}";
        }

        var figures = new FunnelFigures(steps.Count);
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("boundaries", DurationHistogram.BoundariesMs.Select(b => (decimal)b).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var k = reader.GetInt32(0);
            var bucket = reader.GetInt32(1);
            var count = reader.GetInt64(2);
            figures.StepUsers[k] += count;
            if (k > 0)
            {
                figures.Durations[k - 1][bucket] += count;
            }
        }
        return figures;
    }
}
