using System.Globalization;
using System.Text.Json;

namespace SampleMind.Analytics.Revenue;

/// <summary>
/// A Stripe subscription as one <c>customer.subscription.*</c> event shows it, with its MRR normalised to a month
/// (in the currency's major unit, rounded to cents half away from zero, as PostgreSQL's <c>round(numeric, 2)</c>).
/// </summary>
public sealed record class StripeSubscriptionFacts(
    string SubscriptionId,
    string Status,
    decimal Mrr,
    string Currency,
    string? Plan,
    string? PriceId,
    long Quantity,
    string? Interval,
    int IntervalCount,
    bool CancelAtPeriodEnd,
    string? Coupon);

/// <summary>
/// Reads Stripe subscription objects (API reference shapes: <c>items.data[].price</c> with <c>unit_amount</c> and
/// <c>recurring.interval</c>/<c>interval_count</c>, the legacy <c>plan</c>, <c>discount</c>/<c>discounts[]</c> with a
/// <c>coupon</c>). MRR rules (ChartMogul's): Σ unit amount × quantity per item, normalised to a month (year / 12,
/// week × 52 / 12, day × 365 / 12, each divided by the interval count); percent-off coupons then amount-off coupons
/// (amount per billing interval, normalised the same way) unless the coupon's duration is <c>once</c>; floored at 0.
/// Only <c>active</c> and <c>past_due</c> subscriptions carry MRR: trialing, paused, incomplete, unpaid and canceled
/// count 0 (a subscription set to cancel at the period end keeps its MRR until Stripe deletes it).
/// </summary>
public static class StripeSubscriptions
{
    /// <summary>Statuses whose subscription counts toward MRR.</summary>
    public static bool CountsTowardMrr(string status) => status is "active" or "past_due";

    /// <summary>The order of event types at the same <c>created</c> second: created, updated, deleted.</summary>
    public static int RankOf(string eventType) => eventType switch
    {
        "customer.subscription.created" => 0,
        "customer.subscription.deleted" => 2,
        _ => 1,
    };

    public static StripeSubscriptionFacts Read(JsonElement subscription, string eventType)
    {
        var id = Text(subscription, "id") ?? "";
        var status = eventType == "customer.subscription.deleted" ? "canceled" : Text(subscription, "status") ?? "active";
        var currency = (Text(subscription, "currency") ?? "usd").ToLowerInvariant();
        decimal monthlyMinor = 0;
        long quantity = 0;
        string? plan = null, priceId = null, interval = null;
        var intervalCount = 1;
        var first = true;
        foreach (var (price, itemQuantity) in Items(subscription))
        {
            var (itemInterval, count) = IntervalOf(price);
            if (first)
            {
                first = false;
                (interval, intervalCount) = (itemInterval, count);
                priceId = Text(price, "id");
                plan = Text(price, "lookup_key") ?? Text(price, "nickname") ?? priceId;
                currency = (Text(price, "currency") ?? currency).ToLowerInvariant();
            }
            quantity += itemQuantity;
            monthlyMinor += ToMonth(UnitAmount(price) * itemQuantity, itemInterval, count);
        }
        string? couponId = null;
        var coupons = Coupons(subscription).Where(c => Text(c, "duration") != "once").ToList();
        foreach (var coupon in coupons)
        {
            couponId ??= Text(coupon, "id");
            if (Number(coupon, "percent_off") is { } percent)
            {
                monthlyMinor = monthlyMinor * (100m - percent) / 100m;
            }
        }
        foreach (var coupon in coupons)
        {
            if (Number(coupon, "amount_off") is { } amountOff)
            {
                monthlyMinor -= ToMonth(amountOff, interval, intervalCount);
            }
        }
        monthlyMinor = Math.Max(0, monthlyMinor);
        var major = ZeroDecimal(currency) ? monthlyMinor : monthlyMinor / 100m;
        var mrr = CountsTowardMrr(status) ? Math.Round(major, 2, MidpointRounding.AwayFromZero) : 0m;
        return new StripeSubscriptionFacts(id, status, mrr, currency.ToUpperInvariant(), plan, priceId, quantity, interval, intervalCount,
            Bool(subscription, "cancel_at_period_end"), couponId);
    }

    /// <summary>An amount per billing interval as an amount per month (multiplied, then divided, so halves stay exact).</summary>
    public static decimal ToMonth(decimal amount, string? interval, int count)
    {
        var (multiply, divide) = interval switch
        {
            "year" => (1m, 12m),
            "week" => (52m, 12m),
            "day" => (365m, 12m),
            _ => (1m, 1m),
        };
        return amount * multiply / (divide * Math.Max(1, count));
    }

    /// <summary>Currencies Stripe counts in their major unit (no cents).</summary>
    public static bool ZeroDecimal(string currency) => currency.ToLowerInvariant() is "bif" or "clp" or "djf" or "gnf" or "jpy" or "kmf"
        or "krw" or "mga" or "pyg" or "rwf" or "ugx" or "vnd" or "vuv" or "xaf" or "xof" or "xpf";

    private static IEnumerable<(JsonElement Price, long Quantity)> Items(JsonElement subscription)
    {
        if (subscription.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object
            && items.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0)
        {
            foreach (var item in data.EnumerateArray())
            {
                var price = Object(item, "price") ?? Object(item, "plan");
                if (price is { } p)
                {
                    yield return (p, (long)(Number(item, "quantity") ?? 1));
                }
            }
            yield break;
        }
        if (Object(subscription, "plan") is { } plan)
        {
            yield return (plan, (long)(Number(subscription, "quantity") ?? 1));
        }
    }

    private static (string? Interval, int Count) IntervalOf(JsonElement price)
    {
        var recurring = Object(price, "recurring");
        var interval = (recurring is { } r ? Text(r, "interval") : null) ?? Text(price, "interval");
        var count = (recurring is { } r2 ? Number(r2, "interval_count") : null) ?? Number(price, "interval_count") ?? 1;
        return (interval, (int)count);
    }

    private static decimal UnitAmount(JsonElement price)
        => Number(price, "unit_amount") ?? Number(price, "unit_amount_decimal") ?? Number(price, "amount") ?? 0;

    /// <summary>The legacy single <c>discount</c> when present, else the expanded objects of <c>discounts</c> (ids alone say nothing).</summary>
    private static IEnumerable<JsonElement> Coupons(JsonElement subscription)
    {
        if (Object(subscription, "discount") is { } discount)
        {
            if (Object(discount, "coupon") is { } coupon)
            {
                yield return coupon;
            }
            yield break;
        }
        if (subscription.TryGetProperty("discounts", out var discounts) && discounts.ValueKind == JsonValueKind.Array)
        {
            foreach (var d in discounts.EnumerateArray())
            {
                if (d.ValueKind == JsonValueKind.Object && Object(d, "coupon") is { } c)
                {
                    yield return c;
                }
            }
        }
    }

    private static JsonElement? Object(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Text(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            && v.GetString() is { Length: > 0 } s ? s : null;

    private static bool Bool(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static decimal? Number(JsonElement parent, string name)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var v))
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetDecimal(out var d) => d,
            JsonValueKind.String when decimal.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }
}
