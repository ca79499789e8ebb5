using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SampleMind.Analytics.Simulation;

/// <summary>One Stripe event of the simulated population, as Stripe would deliver it to a webhook endpoint.</summary>
public sealed record class StripeDelivery(string EventId, string Type, long Created, string UserId, string Payload);

/// <summary>
/// The Stripe side of the simulated population (<see cref="SimulationOptions.Stripe"/>), in Stripe's object shapes:
/// <c>customer.created</c> with <c>metadata.user_id</c>; a trial → <c>customer.subscription.created</c> (trialing),
/// its conversion → <c>.updated</c> (active), a trial that lapses → <c>.deleted</c>; a subscription started without a
/// trial (or held before the window: sent at the window start, the objects' <c>created</c> at the signup) →
/// <c>.created</c> (active); at some renewals a seat more or less →
/// <c>.updated</c> (upgrade, downgrade: the quantity, drawn from a hash of the user and the renewal so the population's
/// own random streams are untouched); a failed payment → <c>invoice.payment_failed</c> and <c>.updated</c> (past_due),
/// the next paid one back to active; every payment → <c>invoice.paid</c> (price × seats); churn → <c>.deleted</c>, with a
/// full refund (<c>charge.refunded</c>) when the last payment was less than 7 days before. Ids are the user's
/// (<c>cus_{user}</c>, <c>sub_{user}_{n}</c>, <c>evt_sim_{user}_{n}</c>): the same options give the same deliveries.
/// </summary>
internal sealed class SimStripe
{
    private const long Day = 86_400;

    private readonly Dictionary<int, Customer> _customers = [];

    public List<StripeDelivery> Pending { get; } = [];

    private sealed class Customer(string userId)
    {
        public string UserId { get; } = userId;
        public string Id => $"cus_{UserId}";
        public int Events { get; set; }
        public int Subscriptions { get; set; }
        public int Invoices { get; set; }
        public int Renewals { get; set; }
        public string? Subscription { get; set; }
        public string Status { get; set; } = "";
        public string Plan { get; set; } = "";
        public long UnitAmount { get; set; }
        public long Quantity { get; set; } = 1;
        public long Created { get; set; }
        public long? TrialStart { get; set; }
        public long? TrialEnd { get; set; }
        public long StartedAt { get; set; } = -1;
        public string? LastCharge { get; set; }
        public long LastChargeAt { get; set; }
        public long LastChargeAmount { get; set; }
    }

    /// <summary>
    /// A user who pays when the window opens: their customer and subscription keep their real <c>created</c> (the
    /// signup), while the webhooks are sent at the window start (<paramref name="windowStart"/>, Unix seconds) — the
    /// simulated log starts there, so no event of the person lies before the window (see the README's retained horizon).
    /// </summary>
    public void Begin(SimUser user, long windowStart)
    {
        if (user.PlanAtStart is not (SimulationCatalog.Starter or SimulationCatalog.Pro or SimulationCatalog.Studio))
        {
            return;
        }
        var created = user.CreatedAtMs / 1000;
        var sent = Math.Max(created, windowStart);
        var c = CustomerOf(user, created, sent);
        Start(c, created, user.PlanAtStart, Cents(SimulationCatalog.PriceOf(user.PlanAtStart)), "active", null, sent);
    }

    public void Observe(SimEvent e, SimUser user)
    {
        var t = e.TimeMs / 1000;
        switch (e.Kind)
        {
            case EventKind.TrialStarted when user.TrialPlan is { } plan:
            {
                var c = CustomerOf(user, t);
                if (c.Subscription is null)
                {
                    Start(c, t, plan, Cents(SimulationCatalog.PriceOf(plan)), "trialing", t + e.Number * Day);
                }
                break;
            }
            case EventKind.SubscriptionStarted when e.Text is { } plan:
            {
                var c = CustomerOf(user, t);
                c.StartedAt = t;
                if (c.Subscription is not null && c.Status == "trialing")
                {
                    (c.Status, c.Plan, c.UnitAmount) = ("active", plan, Cents(e.Amount));
                    Emit(c, "customer.subscription.updated", t, SubscriptionObject(c, t));
                }
                else if (c.Subscription is null)
                {
                    Start(c, t, plan, Cents(e.Amount), "active", null);
                }
                break;
            }
            case EventKind.PaymentSucceeded:
            {
                var c = CustomerOf(user, t);
                if (c.Subscription is null)
                {
                    Start(c, t, e.Text ?? SimulationCatalog.Pro, Cents(e.Amount), "active", null);
                    c.StartedAt = t;
                }
                var changed = c.Status != "active";
                c.Status = "active";
                if (c.StartedAt != t)
                {
                    // A renewal: now and then a seat more or a seat less.
                    var draw = Draw(c.UserId, ++c.Renewals) % 6;
                    if (draw == 0)
                    {
                        c.Quantity++;
                        changed = true;
                    }
                    else if (draw == 1 && c.Quantity > 1)
                    {
                        c.Quantity--;
                        changed = true;
                    }
                }
                if (changed)
                {
                    Emit(c, "customer.subscription.updated", t, SubscriptionObject(c, t));
                }
                var amount = c.UnitAmount * c.Quantity;
                var invoice = $"in_{c.UserId}_{++c.Invoices}";
                (c.LastCharge, c.LastChargeAt, c.LastChargeAmount) = ($"ch_{c.UserId}_{c.Invoices}", t, amount);
                Emit(c, "invoice.paid", t, Invoice(c, invoice, amount, "paid", t));
                break;
            }
            case EventKind.PaymentFailed:
            {
                var c = CustomerOf(user, t);
                var invoice = $"in_{c.UserId}_{++c.Invoices}";
                Emit(c, "invoice.payment_failed", t, Invoice(c, invoice, c.UnitAmount * c.Quantity, "open", null));
                if (c.Subscription is not null && c.Status == "active")
                {
                    c.Status = "past_due";
                    Emit(c, "customer.subscription.updated", t, SubscriptionObject(c, t));
                }
                break;
            }
            case EventKind.SubscriptionCanceled:
            {
                var c = CustomerOf(user, t);
                End(c, t);
                if (c.LastCharge is { } charge && t - c.LastChargeAt < 7 * Day)
                {
                    Emit(c, "charge.refunded", t + 60, new JsonObject
                    {
                        ["id"] = charge, ["object"] = "charge", ["customer"] = c.Id, ["amount"] = c.LastChargeAmount,
                        ["amount_refunded"] = c.LastChargeAmount, ["currency"] = "usd", ["refunded"] = true, ["paid"] = true,
                        ["status"] = "succeeded", ["created"] = c.LastChargeAt, ["livemode"] = false,
                    });
                    c.LastCharge = null;
                }
                break;
            }
            case EventKind.Identify when e.Text == SimulationCatalog.Free && _customers.TryGetValue(user.Index, out var lapsed) && lapsed.Status == "trialing":
                End(lapsed, t); // the trial ended without a payment
                break;
        }
    }

    private Customer CustomerOf(SimUser user, long t, long? sent = null)
    {
        if (!_customers.TryGetValue(user.Index, out var c))
        {
            c = _customers[user.Index] = new Customer(user.UserId);
            Emit(c, "customer.created", sent ?? t, new JsonObject
            {
                ["id"] = c.Id, ["object"] = "customer", ["created"] = t, ["email"] = user.Email, ["livemode"] = false,
                ["metadata"] = new JsonObject { ["user_id"] = user.UserId },
            });
        }
        return c;
    }

    /// <summary>A new subscription created at <paramref name="t"/>; its webhook sent at <paramref name="sent"/> (default: then).</summary>
    private void Start(Customer c, long t, string plan, long unitAmount, string status, long? trialEnd, long? sent = null)
    {
        c.Subscription = $"sub_{c.UserId}_{++c.Subscriptions}";
        (c.Status, c.Plan, c.UnitAmount, c.Quantity, c.Created) = (status, plan, unitAmount, 1, t);
        c.TrialStart = trialEnd is null ? null : t;
        c.TrialEnd = trialEnd;
        Emit(c, "customer.subscription.created", sent ?? t, SubscriptionObject(c, t));
    }

    private void End(Customer c, long t)
    {
        if (c.Subscription is null)
        {
            return;
        }
        c.Status = "canceled";
        var s = SubscriptionObject(c, t);
        s["ended_at"] = t;
        s["canceled_at"] = t;
        Emit(c, "customer.subscription.deleted", t, s);
        c.Subscription = null;
    }

    private static JsonObject SubscriptionObject(Customer c, long t) => new()
    {
        ["id"] = c.Subscription, ["object"] = "subscription", ["customer"] = c.Id, ["status"] = c.Status, ["currency"] = "usd",
        ["created"] = c.Created, ["start_date"] = c.Created, ["livemode"] = false, ["cancel_at_period_end"] = false,
        ["trial_start"] = c.TrialStart, ["trial_end"] = c.TrialEnd, ["ended_at"] = null, ["canceled_at"] = null,
        ["items"] = new JsonObject
        {
            ["object"] = "list", ["has_more"] = false, ["url"] = $"/v1/subscription_items?subscription={c.Subscription}",
            ["data"] = new JsonArray(new JsonObject
            {
                ["id"] = $"si_{c.Subscription}", ["object"] = "subscription_item", ["created"] = c.Created, ["quantity"] = c.Quantity,
                ["subscription"] = c.Subscription,
                ["price"] = new JsonObject
                {
                    ["id"] = $"price_{c.Plan}_{c.UnitAmount}", ["object"] = "price", ["currency"] = "usd", ["unit_amount"] = c.UnitAmount,
                    ["lookup_key"] = c.Plan, ["type"] = "recurring",
                    ["recurring"] = new JsonObject { ["interval"] = "month", ["interval_count"] = 1 },
                },
            }),
        },
        ["metadata"] = new JsonObject { ["user_id"] = c.UserId },
    };

    private static JsonObject Invoice(Customer c, string id, long amount, string status, long? paidAt) => new()
    {
        ["id"] = id, ["object"] = "invoice", ["customer"] = c.Id, ["subscription"] = c.Subscription, ["currency"] = "usd",
        ["amount_due"] = amount, ["amount_paid"] = status == "paid" ? amount : 0, ["status"] = status, ["livemode"] = false,
        ["charge"] = status == "paid" ? $"ch_{c.UserId}_{c.Invoices}" : null,
        ["status_transitions"] = new JsonObject { ["paid_at"] = paidAt },
    };

    private void Emit(Customer c, string type, long created, JsonObject data)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"evt_sim_{c.UserId}_{++c.Events}");
        var payload = new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = "2024-06-20",
            ["created"] = created,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = type,
            ["data"] = new JsonObject { ["object"] = data },
        }.ToJsonString();
        Pending.Add(new StripeDelivery(id, type, created, c.UserId, payload));
    }

    private static long Cents(decimal amount) => (long)Math.Round(amount * 100m, MidpointRounding.AwayFromZero);

    /// <summary>FNV-1a of "{user}/{renewal}": a draw of its own, so the population's random streams are untouched.</summary>
    private static ulong Draw(string userId, int renewal)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{userId}/{renewal}")))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }
}
