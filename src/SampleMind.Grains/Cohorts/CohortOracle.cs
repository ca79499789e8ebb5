using Npgsql;
using SampleMind.Analytics.Cohorts;
using static SampleMind.Rollups.OracleSql;

namespace SampleMind.Cohorts;

/// <summary>
/// The oracle: the signup-month cohorts computed by SQL from the user event log (the seed's cohort query adapted to
/// our table): a user's signup as the KPI oracle defines it, payments = <c>payment_succeeded</c> amounts
/// (<c>amount</c>, else <c>revenue</c>, else 0), months since signup = calendar months between the UTC months.
/// </summary>
public static class CohortOracle
{
    public static async Task<SortedDictionary<string, CohortFigures>> CohortsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var result = new SortedDictionary<string, CohortFigures>(StringComparer.Ordinal);
        CohortFigures For(string cohort) => result.TryGetValue(cohort, out var f) ? f : result[cohort] = new CohortFigures();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var utc = new NpgsqlCommand("SET TIME ZONE 'UTC'", connection))
        {
            await utc.ExecuteNonQueryAsync(cancellationToken);
        }

        var sizes = $"""
            SELECT to_char(signup AT TIME ZONE 'UTC', 'YYYY-MM'), count(*) FROM ({Signups}) u GROUP BY 1
            """;
        await using (var command = new NpgsqlCommand(sizes, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                For(reader.GetString(0)).Size = (int)reader.GetInt64(1);
            }
        }

        var months = $"""
            WITH u AS ({Signups}),
            pay AS (
                SELECT user_id, ts, coalesce({Number("amount")}, {Number("revenue")}, 0) AS amount
                FROM (SELECT user_id, ts, payload->'properties' AS p FROM user_events WHERE type = 'track' AND event = 'payment_succeeded') e
            )
            SELECT to_char(u.signup AT TIME ZONE 'UTC', 'YYYY-MM'),
                   (extract(year FROM pay.ts AT TIME ZONE 'UTC') * 12 + extract(month FROM pay.ts AT TIME ZONE 'UTC'))
                   - (extract(year FROM u.signup AT TIME ZONE 'UTC') * 12 + extract(month FROM u.signup AT TIME ZONE 'UTC')),
                   count(DISTINCT pay.user_id), sum(pay.amount)
            FROM pay JOIN u USING (user_id)
            GROUP BY 1, 2
            """;
        await using (var command = new NpgsqlCommand(months, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                For(reader.GetString(0)).Months[(int)reader.GetDecimal(1)] = new CohortMonthFigures
                {
                    Users = (int)reader.GetInt64(2),
                    Revenue = reader.GetDecimal(3),
                };
            }
        }
        return result;
    }
}
