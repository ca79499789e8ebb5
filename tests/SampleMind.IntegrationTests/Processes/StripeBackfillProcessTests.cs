using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Simulation;
using SampleMind.IntegrationTests.Cli;
using SampleMind.Testing;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 15.7 with real processes: <c>samplemind stripe backfill</c> reads a local server answering in Stripe's list
/// shapes (several pages per resource) through Stripe.net and delivers the objects to the real webhook endpoint; the
/// subscriptions, MRR per person and the MRR rows equal the hand computation below; a second run changes nothing; a
/// signed webhook of objects the backfill already read is stored and applied once and changes no figure. Then 15.8:
/// <c>simulate --stripe</c> of 40 users (seed 15) delivers the population's Stripe side as signed webhooks; August's
/// MRR rows equal an independent computation over the simulator's own deliveries, and reconcile agrees on every
/// figure. A bad key and an unreachable API each give one error line.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class StripeBackfillProcessTests
{
    private const string Secret = "whsec_test_backfill";
    private const string ApiKey = "sk_test_backfill_42";
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    private static long At(int day, int hour, int minute = 0) => Start.AddDays(day - 1).AddHours(hour).AddMinutes(minute).ToUnixTimeSeconds();

    private static JsonObject Customer(string id, string? user, long created) => new()
    {
        ["id"] = id, ["object"] = "customer", ["created"] = created, ["email"] = $"{id}@example.com", ["livemode"] = false,
        ["metadata"] = user is null ? new JsonObject() : new JsonObject { ["user_id"] = user },
    };

    private static JsonObject Subscription(string id, string customer, string status, long created, long unitAmount, long quantity = 1,
        string interval = "month", string? user = null, long? trialEnd = null, long? endedAt = null, decimal? percentOff = null, bool cancelAtPeriodEnd = false)
    {
        var s = new JsonObject
        {
            ["id"] = id, ["object"] = "subscription", ["customer"] = customer, ["status"] = status, ["currency"] = "usd",
            ["created"] = created, ["start_date"] = created, ["livemode"] = false, ["cancel_at_period_end"] = cancelAtPeriodEnd,
            ["trial_start"] = trialEnd is null ? null : created, ["trial_end"] = trialEnd,
            ["ended_at"] = endedAt, ["canceled_at"] = endedAt,
            ["items"] = new JsonObject
            {
                ["object"] = "list", ["has_more"] = false, ["url"] = $"/v1/subscription_items?subscription={id}",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = $"si_{id}", ["object"] = "subscription_item", ["created"] = created, ["quantity"] = quantity, ["subscription"] = id,
                    ["price"] = new JsonObject
                    {
                        ["id"] = $"price_{unitAmount}_{interval}", ["object"] = "price", ["currency"] = "usd", ["unit_amount"] = unitAmount,
                        ["lookup_key"] = $"plan_{interval}", ["type"] = "recurring",
                        ["recurring"] = new JsonObject { ["interval"] = interval, ["interval_count"] = 1 },
                    },
                }),
            },
            ["metadata"] = user is null ? new JsonObject() : new JsonObject { ["user_id"] = user },
        };
        if (percentOff is not null)
        {
            s["discount"] = new JsonObject
            {
                ["id"] = $"di_{id}", ["object"] = "discount", ["start"] = created, ["subscription"] = id,
                ["coupon"] = new JsonObject { ["id"] = $"pct{percentOff}", ["object"] = "coupon", ["duration"] = "forever", ["percent_off"] = percentOff },
            };
        }
        return s;
    }

    private static JsonObject Invoice(string id, string customer, long amount, string status, long paidAt) => new()
    {
        ["id"] = id, ["object"] = "invoice", ["customer"] = customer, ["amount_due"] = amount, ["amount_paid"] = status == "paid" ? amount : 0,
        ["currency"] = "usd", ["status"] = status, ["created"] = paidAt - 60, ["livemode"] = false,
        ["status_transitions"] = new JsonObject { ["finalized_at"] = paidAt - 60, ["paid_at"] = status == "paid" ? paidAt : null },
    };

    private static JsonObject Charge(string id, string customer, long amount, long refunded, long created) => new()
    {
        ["id"] = id, ["object"] = "charge", ["customer"] = customer, ["amount"] = amount, ["amount_refunded"] = refunded,
        ["currency"] = "usd", ["created"] = created, ["paid"] = true, ["status"] = "succeeded", ["refunded"] = refunded >= amount, ["livemode"] = false,
    };

    private static JsonObject Refund(string id, string charge, long amount, long created) => new()
    {
        ["id"] = id, ["object"] = "refund", ["charge"] = charge, ["amount"] = amount, ["currency"] = "usd", ["status"] = "succeeded", ["created"] = created,
    };

    /// <summary>What Stripe's API holds: 5 customers, 7 subscriptions, 4 paid and 1 open invoice, 3 refunds of 2 charges.</summary>
    private static Dictionary<string, List<JsonObject>> Account() => new(StringComparer.Ordinal)
    {
        ["customers"] =
        [
            Customer("cus_b1", "bf-1", At(1, 8)), Customer("cus_b2", "bf-2", At(2, 9)), Customer("cus_b3", "bf-3", At(3, 0)),
            Customer("cus_b4", "bf-4", At(5, 14)), Customer("cus_b5", null, At(7, 6)),
        ],
        ["subscriptions"] =
        [
            // bf-1: 2 seats × $30 from day 1, plus a past_due $15 subscription from day 10 (past_due still counts).
            Subscription("sub_b1", "cus_b1", "active", At(1, 9), 3000, quantity: 2),
            Subscription("sub_b6", "cus_b1", "past_due", At(10, 8), 1500),
            // bf-2: a trial from day 2 that converted on day 16 to $600/year (50 a month).
            Subscription("sub_b2", "cus_b2", "active", At(2, 10), 60000, interval: "year", trialEnd: At(16, 10)),
            // bf-3: $20 from day 3, canceled on day 20, back on a $25 subscription on day 25.
            Subscription("sub_b3", "cus_b3", "canceled", At(3, 0, 30), 2000, endedAt: At(20, 22)),
            Subscription("sub_b7", "cus_b3", "active", At(25, 12), 2500),
            // bf-4: $100 with 25 % off forever from day 5, set to cancel at the period end (still counts).
            Subscription("sub_b4", "cus_b4", "active", At(5, 15), 10000, percentOff: 25m, cancelAtPeriodEnd: true),
            // bf-5: $10 a week from day 7; mapped by the subscription's metadata (its customer has none).
            Subscription("sub_b5", "cus_b5", "active", At(7, 7), 1000, interval: "week", user: "bf-5"),
        ],
        ["invoices"] =
        [
            Invoice("in_b1", "cus_b1", 6000, "paid", At(1, 9, 1)), Invoice("in_b2", "cus_b2", 60000, "paid", At(16, 10, 1)),
            Invoice("in_b3", "cus_b3", 2000, "paid", At(3, 0, 31)), Invoice("in_b4", "cus_b4", 7500, "paid", At(5, 15, 1)),
            Invoice("in_b5", "cus_b1", 1500, "open", At(10, 8, 1)),
        ],
        ["refunds"] =
        [
            Refund("re_b1", "ch_b1", 1000, At(2, 9)), Refund("re_b2", "ch_b1", 500, At(4, 9)), Refund("re_b3", "ch_b3", 2000, At(21, 9)),
        ],
        ["charges"] = [Charge("ch_b1", "cus_b1", 6000, 1500, At(1, 9, 1)), Charge("ch_b3", "cus_b3", 2000, 2000, At(3, 0, 31))],
    };

    /// <summary>Each person's subscriptions' MRR from a time on, worked out by hand from the objects above.</summary>
    private static readonly (string Person, string Subscription, long At, decimal Mrr)[] Intended =
    [
        ("bf-1", "sub_b1", At(1, 9), 60m), ("bf-1", "sub_b6", At(10, 8), 15m),
        ("bf-2", "sub_b2", At(16, 10), 50m),
        ("bf-3", "sub_b3", At(3, 0, 30), 20m), ("bf-3", "sub_b3", At(20, 22), 0m), ("bf-3", "sub_b7", At(25, 12), 25m),
        ("bf-4", "sub_b4", At(5, 15), 75m),
        ("bf-5", "sub_b5", At(7, 7), 43.33m),
    ];

    /// <summary>The independent computation: end-of-day MRR per person, ChartMogul's rules between days, running totals.</summary>
    private static string ExpectedRows(int days)
    {
        var rows = new StringBuilder();
        var previous = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var paid = new HashSet<string>(StringComparer.Ordinal);
        decimal mrr = 0;
        var customers = 0;
        for (var day = 1; day <= days; day++)
        {
            var endOfDay = Start.AddDays(day).ToUnixTimeSeconds();
            decimal n = 0, exp = 0, con = 0, churn = 0, react = 0;
            foreach (var person in Intended.Select(i => i.Person).Distinct())
            {
                var now = Intended.Where(i => i.Person == person && i.At < endOfDay).GroupBy(i => i.Subscription).Sum(g => g.MaxBy(i => i.At).Mrr);
                var before = previous.GetValueOrDefault(person);
                var change = now - before;
                if (change != 0)
                {
                    if (before == 0) { if (paid.Contains(person)) { react += change; } else { n += change; } customers++; }
                    else if (now == 0) { churn += change; customers--; }
                    else if (change > 0) { exp += change; }
                    else { con += change; }
                }
                if (now > 0) { paid.Add(person); }
                previous[person] = now;
            }
            var net = n + exp + con + churn + react;
            mrr += net;
            rows.Append(CultureInfo.InvariantCulture, $"{Start.AddDays(day - 1):yyyy-MM-dd} mrr {mrr} new {n} exp {exp} con {con} churn {churn} react {react} net {net} customers {customers}\n");
        }
        return rows.ToString();
    }

    private static string LiveRows(JsonElement rows)
    {
        var text = new StringBuilder();
        foreach (var r in rows.EnumerateArray())
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{r.GetProperty("date").GetString()} mrr {r.GetProperty("mrr").GetDecimal()} new {r.GetProperty("new").GetDecimal()} exp {r.GetProperty("expansion").GetDecimal()} con {r.GetProperty("contraction").GetDecimal()} churn {r.GetProperty("churn").GetDecimal()} react {r.GetProperty("reactivation").GetDecimal()} net {r.GetProperty("net").GetDecimal()} customers {r.GetProperty("customers").GetInt32()}\n");
        }
        return text.ToString();
    }

    private static async Task<string> WaitForRowsAsync(HttpClient api, string expected, CancellationToken ct)
    {
        var live = "";
        for (var attempt = 0; attempt < 60 && live != expected; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(500, ct);
            }
            live = LiveRows(await api.GetFromJsonAsync<JsonElement>("/api/revenue/mrr?from=2026-10-01&to=2026-10-31", ct));
        }
        return live;
    }

    /// <summary>Per person: MRR, the subscriptions' id:status:mrr, payments, lifetime revenue, refunded.</summary>
    private static async Task<string> PeopleAsync(HttpClient api, CancellationToken ct)
    {
        var text = new StringBuilder();
        foreach (var person in new[] { "bf-1", "bf-2", "bf-3", "bf-4", "bf-5" })
        {
            var p = await api.GetFromJsonAsync<JsonElement>($"/api/users/{person}", ct);
            var subscriptions = string.Join(",", p.GetProperty("stripeSubscriptions").EnumerateArray().Select(s => string.Create(CultureInfo.InvariantCulture,
                $"{s.GetProperty("id").GetString()}:{s.GetProperty("status").GetString()}:{s.GetProperty("mrr").GetDecimal()}{(s.GetProperty("cancelAtPeriodEnd").GetBoolean() ? ":ending" : "")}")));
            text.Append(CultureInfo.InvariantCulture,
                $"{person} mrr {p.GetProperty("mrr").GetDecimal()} [{subscriptions}] payments {p.GetProperty("payments").GetInt32()} revenue {p.GetProperty("lifetimeRevenue").GetDecimal()} refunded {p.GetProperty("refunded").GetDecimal()}\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// The independent computation over the simulator's deliveries: each subscription's MRR from each subscription event
    /// (unit_amount × quantity in dollars while active or past_due, monthly prices only), the person's MRR at the end of
    /// every day with a change, ChartMogul's rules between them, and the rows of <paramref name="from"/>..<paramref name="to"/>.
    /// </summary>
    private static string SimulatedRows(List<StripeDelivery> deliveries, DateOnly from, DateOnly to)
    {
        var observations = new List<(string Person, string Subscription, long At, decimal Mrr)>();
        foreach (var d in deliveries.Where(d => d.Type.StartsWith("customer.subscription.", StringComparison.Ordinal)))
        {
            var s = JsonNode.Parse(d.Payload)!["data"]!["object"]!;
            var status = (string)s["status"]!;
            var item = s["items"]!["data"]![0]!;
            Assert.Equal("month", (string)item["price"]!["recurring"]!["interval"]!);
            var mrr = d.Type != "customer.subscription.deleted" && status is "active" or "past_due"
                ? (long)item["price"]!["unit_amount"]! * (long)item["quantity"]! / 100m
                : 0m;
            observations.Add(((string)s["metadata"]!["user_id"]!, (string)s["id"]!, d.Created, mrr));
        }
        var days = new SortedDictionary<int, decimal[]>();
        foreach (var person in observations.GroupBy(o => o.Person))
        {
            decimal previous = 0;
            var paidBefore = false;
            foreach (var day in person.Select(o => DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(o.At).UtcDateTime).DayNumber).Distinct().Order())
            {
                var endOfDay = DateOnly.FromDayNumber(day + 1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                var end = new DateTimeOffset(endOfDay).ToUnixTimeSeconds();
                var now = person.Where(o => o.At < end).GroupBy(o => o.Subscription).Sum(g => g.Last().Mrr); // deliveries are in time order
                if (now != previous)
                {
                    var f = days.TryGetValue(day, out var x) ? x : days[day] = new decimal[6];
                    var (kind, customers) = previous == 0 ? (paidBefore ? 4 : 0, 1) : now == 0 ? (3, -1) : now > previous ? (1, 0) : (2, 0);
                    f[kind] += now - previous;
                    f[5] += customers;
                }
                paidBefore |= now > 0;
                previous = now;
            }
        }
        decimal total = days.Where(d => d.Key < from.DayNumber).Sum(d => d.Value[0] + d.Value[1] + d.Value[2] + d.Value[3] + d.Value[4]);
        var count = days.Where(d => d.Key < from.DayNumber).Sum(d => d.Value[5]);
        var rows = new StringBuilder();
        for (var day = from.DayNumber; day <= to.DayNumber; day++)
        {
            var f = days.GetValueOrDefault(day) ?? new decimal[6];
            var net = f[0] + f[1] + f[2] + f[3] + f[4];
            total += net;
            count += f[5];
            rows.Append(CultureInfo.InvariantCulture,
                $"{DateOnly.FromDayNumber(day):yyyy-MM-dd} mrr {total} new {f[0]} exp {f[1]} con {f[2]} churn {f[3]} react {f[4]} net {net} customers {count}\n");
        }
        return rows.ToString();
    }

    private static string StripeBase(MockStripeApi stripe) => stripe.BaseAddress.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task Backfill_ThroughStripeNetsPagination_GivesTheHandComputedState_AndIsIdempotentWithTheWebhooks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var client = cluster.StartClientApi(settings: new Dictionary<string, string?> { ["Stripe__WebhookSecret"] = Secret });
        await using var stripe = await MockStripeApi.StartAsync(ApiKey, Account(), ct);
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var api = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30));
        string[] Args(string key, string? apiBase = null) => ["stripe", "backfill", "--api-key", key, "--api-base", apiBase ?? StripeBase(stripe),
            "--target", client.BaseAddress.ToString(), "--webhook-secret", Secret, "--page-size", "2"];

        // A wrong key and an unreachable API: one clear line each, nothing delivered.
        var (badKeyExit, badKey) = await cluster.RunCliAsync(ct, Args("sk_test_wrong"));
        Assert.True(badKeyExit == 2, badKey);
        Assert.StartsWith($"samplemind: Stripe at {StripeBase(stripe)} refused the API key: Invalid API Key provided", badKey.Split('\n')[0], StringComparison.Ordinal);
        var (offlineExit, offline) = await cluster.RunCliAsync(ct, Args(ApiKey, $"http://127.0.0.1:{BuiltHosts.FreeTcpPort()}"));
        Assert.True(offlineExit == 3, offline);
        Assert.StartsWith("samplemind: cannot reach the Stripe API at http://127.0.0.1:", offline.Split('\n')[0], StringComparison.Ordinal);
        Assert.Equal(0, await cluster.Database.ScalarAsync<long>("select count(*) from stripe_events"));

        // The backfill: 5 customers, 8 subscription states (the canceled one also as it ran), 4 paid invoices, 3 refunds.
        var (exit, output) = await cluster.RunCliAsync(ct, Args(ApiKey));
        Assert.True(exit == 0, output);
        Assert.Contains("read 5 customers, 7 subscriptions, 4 paid invoices, 3 refunds from Stripe; delivered 20 events", output, StringComparison.Ordinal);
        Assert.Contains("(20 new, 0 already stored)", output, StringComparison.Ordinal);
        Assert.Equal((3, 4, 2, 2), (stripe.Pages["customers"], stripe.Pages["subscriptions"], stripe.Pages["invoices"], stripe.Pages["refunds"]));

        var expected = ExpectedRows(31);
        Assert.Equal(expected, await WaitForRowsAsync(api, expected, ct));
        Assert.EndsWith("2026-10-31 mrr 268.33 new 0 exp 0 con 0 churn 0 react 0 net 0 customers 5\n", expected, StringComparison.Ordinal);
        const string people = """
            bf-1 mrr 75 [sub_b1:active:60,sub_b6:past_due:15] payments 1 revenue 60 refunded 15
            bf-2 mrr 50 [sub_b2:active:50] payments 1 revenue 600 refunded 0
            bf-3 mrr 25 [sub_b3:canceled:0,sub_b7:active:25] payments 1 revenue 20 refunded 20
            bf-4 mrr 75 [sub_b4:active:75:ending] payments 1 revenue 75 refunded 0
            bf-5 mrr 43.33 [sub_b5:active:43.33] payments 0 revenue 0 refunded 0

            """;
        Assert.Equal(people.ReplaceLineEndings("\n"), await PeopleAsync(api, ct));
        var storedEvents = await cluster.Database.ScalarAsync<long>("select count(*) from stripe_events");
        var logRows = await cluster.Database.ScalarAsync<long>("select count(*) from user_events");
        Assert.Equal(20, storedEvents);

        // Again: every object is known as it is; nothing is stored or applied twice.
        (exit, output) = await cluster.RunCliAsync(ct, Args(ApiKey));
        Assert.True(exit == 0, output);
        Assert.Contains("(0 new, 12 already stored)", output, StringComparison.Ordinal);
        Assert.Equal((storedEvents, logRows), (await cluster.Database.ScalarAsync<long>("select count(*) from stripe_events"),
            await cluster.Database.ScalarAsync<long>("select count(*) from user_events")));

        // Stripe's own webhooks for objects the backfill read: stored (new event ids), the same payment and the same state.
        var account = Account();
        var canceled = StripeEvents.Envelope("evt_live_sub_b3", "customer.subscription.deleted", At(20, 22), account["subscriptions"][3]);
        var paid = StripeEvents.Envelope("evt_live_in_b1", "invoice.paid", At(1, 9, 3), account["invoices"][0]);
        using var http = new HttpClient { BaseAddress = client.BaseAddress };
        foreach (var payload in new[] { canceled, paid, paid })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeEvents.Sign(payload, Secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(storedEvents + 2, await cluster.Database.ScalarAsync<long>("select count(*) from stripe_events"));
        Assert.Equal(expected, await WaitForRowsAsync(api, expected, ct));
        Assert.Equal(people.ReplaceLineEndings("\n"), await PeopleAsync(api, ct));
        Assert.Equal(1, await cluster.Database.ScalarAsync<long>("select count(*) from user_events where user_id = 'bf-1' and event = 'payment_succeeded'"));

        // 15.8: a simulated population's Stripe side through the same endpoint (August, before the backfill's October).
        var options = new SimulationOptions { Users = 40, Days = 31, Seed = 15, Now = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero), Stripe = true };
        var simulator = new PopulationSimulator(options);
        foreach (var _ in simulator.Generate())
        {
        }
        var deliveries = simulator.TakeStripeDeliveries();
        var simulated = await DbCommandTests.RunAsync(cluster.Database.ConnectionString, "simulate", "--users", "40", "--days", "31", "--seed", "15",
            "--now", "2026-09-01", "--target", client.BaseAddress.ToString(), "--write-key", TestApiKeys.Write, "--stripe", "--stripe-secret", Secret);
        Assert.True(simulated.ExitCode == 0, simulated.Stdout + simulated.Stderr);
        Assert.Contains($"; {deliveries.Count:N0} Stripe events to ", simulated.Stdout, StringComparison.Ordinal);
        Assert.Contains($"({deliveries.Count:N0} new)", simulated.Stdout, StringComparison.Ordinal);
        var expectedAugust = SimulatedRows(deliveries, new DateOnly(2026, 8, 1), new DateOnly(2026, 8, 31));
        TestContext.Current.TestOutputHelper?.WriteLine($"{deliveries.Count} simulated Stripe deliveries ({string.Join(", ", deliveries.GroupBy(d => d.Type).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}); August:\n{expectedAugust}");
        var liveAugust = "";
        for (var attempt = 0; attempt < 60 && liveAugust != expectedAugust; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(500, ct);
            }
            liveAugust = LiveRows(await api.GetFromJsonAsync<JsonElement>("/api/revenue/mrr?from=2026-08-01&to=2026-08-31", ct));
        }
        Assert.Equal(expectedAugust, liveAugust);
        Assert.Contains(deliveries, d => d.Type == "invoice.payment_failed");

        var reconciled = await cluster.AssertReconciledAsync(ct);
        Assert.Contains("0 differences over ", reconciled, StringComparison.Ordinal);
    }
}
