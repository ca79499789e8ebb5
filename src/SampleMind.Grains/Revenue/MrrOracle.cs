using Npgsql;
using SampleMind.Analytics.Revenue;

namespace SampleMind.Revenue;

/// <summary>
/// The oracle of the MRR movements: SQL straight over the stored Stripe webhooks (<c>stripe_events</c>) and the
/// customer → person map (<c>stripe_customers</c>), not over the user event log the grains read, so it checks the
/// normalisation (<see cref="StripeSubscriptions"/>) as well as the movements (<see cref="MrrMovements"/>): the same
/// rules, written again in SQL. Supports up to three percent-off coupons per subscription (the C# side any number).
/// </summary>
public static class MrrOracle
{
    private const string AsText = "#>> '{}'";

    private static string Str(string json) => $"CASE WHEN jsonb_typeof({json}) = 'string' THEN nullif({json} {AsText}, '') END";

    private static string Num(string json) => $"""
        CASE jsonb_typeof({json})
            WHEN 'number' THEN ({json} {AsText})::numeric
            WHEN 'string' THEN CASE WHEN {json} {AsText} ~ '^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$' THEN btrim({json} {AsText})::numeric END
        END
        """;

    /// <summary>An amount per <paramref name="interval"/> × <paramref name="count"/> as an amount per month (as <see cref="StripeSubscriptions.ToMonth"/>).</summary>
    private static string ToMonth(string amount, string interval, string count) => $"""
        ({amount} * CASE {interval} WHEN 'week' THEN 52 WHEN 'day' THEN 365 ELSE 1 END
            / (CASE WHEN {interval} IN ('year', 'week', 'day') THEN 12 ELSE 1 END * greatest(1, {count})))
        """;

    /// <summary>(user_id, subscription_id, created, rank, event_id, mrr): each stored subscription event of a mapped customer.</summary>
    public static string Observations => $"""
        WITH ev AS (
            SELECT e.id, e.created, c.user_id, e.payload->'data'->'object' AS s,
                   CASE e.type WHEN 'customer.subscription.created' THEN 0 WHEN 'customer.subscription.deleted' THEN 2 ELSE 1 END AS rank,
                   CASE WHEN e.type = 'customer.subscription.deleted' THEN 'canceled'
                        ELSE coalesce({Str("e.payload->'data'->'object'->'status'")}, 'active') END AS status
            FROM stripe_events e
            JOIN stripe_customers c ON c.customer_id = e.payload->'data'->'object'->>'customer'
            WHERE e.type IN ('customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted')
        ),
        item AS (
            SELECT ev.id, x.ord, x.price, trunc(coalesce({Num("x.holder->'quantity'")}, 1)) AS qty
            FROM ev, LATERAL (
                SELECT a.i AS holder, coalesce(CASE WHEN jsonb_typeof(a.i->'price') = 'object' THEN a.i->'price' END,
                                               CASE WHEN jsonb_typeof(a.i->'plan') = 'object' THEN a.i->'plan' END) AS price, a.o AS ord
                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(ev.s->'items'->'data') = 'array' THEN ev.s->'items'->'data' ELSE '[]'::jsonb END)
                     WITH ORDINALITY a(i, o)
                UNION ALL
                SELECT ev.s, ev.s->'plan', 1
                WHERE jsonb_typeof(ev.s->'plan') = 'object'
                  AND NOT (jsonb_typeof(ev.s->'items'->'data') = 'array' AND jsonb_array_length(ev.s->'items'->'data') > 0)
            ) x
            WHERE jsonb_typeof(x.price) = 'object'
        ),
        priced AS (
            SELECT id, ord, qty, price,
                   coalesce({Num("price->'unit_amount'")}, {Num("price->'unit_amount_decimal'")}, {Num("price->'amount'")}, 0) AS unit,
                   coalesce({Str("price->'recurring'->'interval'")}, {Str("price->'interval'")}) AS iv,
                   trunc(coalesce({Num("price->'recurring'->'interval_count'")}, {Num("price->'interval_count'")}, 1)) AS ic
            FROM item
        ),
        firstitem AS (
            SELECT DISTINCT ON (id) id, iv, ic, lower({Str("price->'currency'")}) AS currency FROM priced ORDER BY id, ord
        ),
        gross AS (
            SELECT id, sum({ToMonth("unit * qty", "iv", "ic")}) AS monthly FROM priced GROUP BY id
        ),
        coupon AS (
            SELECT ev.id, c.coupon, c.o
            FROM ev, LATERAL (
                SELECT ev.s->'discount'->'coupon' AS coupon, 0::bigint AS o
                WHERE jsonb_typeof(ev.s->'discount') = 'object'
                UNION ALL
                SELECT d->'coupon', n FROM jsonb_array_elements(CASE WHEN jsonb_typeof(ev.s->'discounts') = 'array' THEN ev.s->'discounts' ELSE '[]'::jsonb END)
                     WITH ORDINALITY a(d, n)
                WHERE jsonb_typeof(ev.s->'discount') IS DISTINCT FROM 'object' AND jsonb_typeof(d) = 'object'
            ) c
            WHERE jsonb_typeof(c.coupon) = 'object' AND {Str("c.coupon->'duration'")} IS DISTINCT FROM 'once'
        ),
        off AS (
            SELECT id,
                   (array_agg({Num("coupon->'percent_off'")} ORDER BY o) FILTER (WHERE {Num("coupon->'percent_off'")} IS NOT NULL)) AS percents,
                   coalesce(sum({Num("coupon->'amount_off'")}), 0) AS amount_off
            FROM coupon GROUP BY id
        ),
        sub AS (
            SELECT ev.user_id, ev.s->>'id' AS subscription_id, ev.created, ev.rank, ev.id AS event_id, ev.status,
                   coalesce(f.currency, lower({Str("ev.s->'currency'")}), 'usd') AS currency,
                   greatest(0,
                       coalesce(g.monthly, 0)
                       * (100 - coalesce(o.percents[1], 0)) / 100
                       * (100 - coalesce(o.percents[2], 0)) / 100
                       * (100 - coalesce(o.percents[3], 0)) / 100
                       - {ToMonth("coalesce(o.amount_off, 0)", "f.iv", "coalesce(f.ic, 1)")}) AS monthly_minor
            FROM ev
            LEFT JOIN firstitem f ON f.id = ev.id
            LEFT JOIN gross g ON g.id = ev.id
            LEFT JOIN off o ON o.id = ev.id
            WHERE {Str("ev.s->'id'")} IS NOT NULL
        )
        SELECT user_id, subscription_id, created, rank, event_id,
               CASE WHEN status IN ('active', 'past_due')
                    THEN round(CASE WHEN currency IN ('bif','clp','djf','gnf','jpy','kmf','krw','mga','pyg','rwf','ugx','vnd','vuv','xaf','xof','xpf')
                                    THEN monthly_minor ELSE monthly_minor / 100 END, 2)
                    ELSE 0 END AS mrr
        FROM sub
        """;

    /// <summary>The movement figures of every UTC day with a movement (day number → figures).</summary>
    public static async Task<SortedDictionary<int, MrrDayFigures>> DaysAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            WITH obs AS ({Observations}),
            o AS (SELECT *, (created AT TIME ZONE 'UTC')::date AS day FROM obs),
            days AS (SELECT DISTINCT user_id, day FROM o),
            subs AS (SELECT DISTINCT user_id, subscription_id FROM o),
            eod AS (
                SELECT d.user_id, d.day, coalesce(sum(l.mrr), 0) AS mrr
                FROM days d
                JOIN subs s ON s.user_id = d.user_id
                LEFT JOIN LATERAL (
                    SELECT o.mrr FROM o
                    WHERE o.user_id = d.user_id AND o.subscription_id = s.subscription_id AND o.day <= d.day
                    ORDER BY o.created DESC, o.rank DESC, o.event_id COLLATE "C" DESC
                    LIMIT 1
                ) l ON true
                GROUP BY d.user_id, d.day
            ),
            seq AS (
                SELECT day, mrr,
                       coalesce(lag(mrr) OVER w, 0) AS prev,
                       coalesce(bool_or(mrr > 0) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS paid_before
                FROM eod
                WINDOW w AS (PARTITION BY user_id ORDER BY day)
            )
            SELECT day,
                   coalesce(sum(mrr - prev) FILTER (WHERE prev = 0 AND mrr > 0 AND NOT paid_before), 0),
                   coalesce(sum(mrr - prev) FILTER (WHERE prev > 0 AND mrr > prev), 0),
                   coalesce(sum(mrr - prev) FILTER (WHERE prev > 0 AND mrr > 0 AND mrr < prev), 0),
                   coalesce(sum(mrr - prev) FILTER (WHERE prev > 0 AND mrr = 0), 0),
                   coalesce(sum(mrr - prev) FILTER (WHERE prev = 0 AND mrr > 0 AND paid_before), 0),
                   count(*) FILTER (WHERE prev = 0 AND mrr > 0 AND NOT paid_before),
                   count(*) FILTER (WHERE prev = 0 AND mrr > 0 AND paid_before),
                   count(*) FILTER (WHERE prev > 0 AND mrr = 0)
            FROM seq
            WHERE mrr <> prev
            GROUP BY day
            """;
        var result = new SortedDictionary<int, MrrDayFigures>();
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetFieldValue<DateOnly>(0).DayNumber] = new MrrDayFigures
            {
                New = reader.GetDecimal(1),
                Expansion = reader.GetDecimal(2),
                Contraction = reader.GetDecimal(3),
                Churn = reader.GetDecimal(4),
                Reactivation = reader.GetDecimal(5),
                NewCustomers = (int)reader.GetInt64(6),
                ReactivatedCustomers = (int)reader.GetInt64(7),
                ChurnedCustomers = (int)reader.GetInt64(8),
            };
        }
        return result;
    }
}
