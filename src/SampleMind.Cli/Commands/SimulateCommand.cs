using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using SampleMind.Analytics.Simulation;
using SampleMind.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public sealed class SimulateSettings : IngestTargetSettings
{
    [CommandOption("--users <N>")]
    [Description("Number of simulated users")]
    [DefaultValue(1000)]
    public int Users { get; set; } = 1000;

    [CommandOption("--days <D>")]
    [Description("Days of history ending at --now (some signups lie earlier; their traits come with their first event)")]
    [DefaultValue(60)]
    public int Days { get; set; } = 60;

    [CommandOption("--seed <S>")]
    [Description("Random seed; user ids carry it (u7-000042), so different seeds never collide")]
    [DefaultValue(1L)]
    public long Seed { get; set; } = 1;

    [CommandOption("--now <DATE>")]
    [Description("End of the history, a UTC date (yyyy-MM-dd). Default: today 00:00 UTC, so runs on the same day are byte-identical")]
    public string? Now { get; set; }

    [CommandOption("--start-user <I>")]
    [Description("Index of the first user (to add users to an existing population)")]
    [DefaultValue(0)]
    public int StartUser { get; set; }

    [CommandOption("--out <FILE>")]
    [Description("Write NDJSON to FILE and the ground truth to FILE.truth.json")]
    public string? Out { get; set; }

    [CommandOption("--truth <FILE>")]
    [Description("Where to write the ground truth (default with --out: FILE.truth.json; with --target: none)")]
    public string? Truth { get; set; }

    [CommandOption("--treatment <FILE>")]
    [Description("Users a retention action reached: one user id per line, or the JSON of GET /api/retention-campaigns/{id}/users?arm=treatment")]
    public string? Treatment { get; set; }

    [CommandOption("--treatment-at <TIME>")]
    [Description("When the action took effect (the campaign's startAt), e.g. 2026-06-01 or 2026-06-01T00:00:00Z")]
    public string? TreatmentAt { get; set; }

    [CommandOption("--treatment-effect <P>")]
    [Description("Ground truth of the action: the chance (0…1) that it cancels a treated user's churn planned within the horizon")]
    [DefaultValue(0.5)]
    public double TreatmentEffect { get; set; } = 0.5;

    [CommandOption("--treatment-horizon <DAYS>")]
    [Description("Days after the action in which a planned churn can be cancelled")]
    [DefaultValue(30)]
    public int TreatmentHorizon { get; set; } = 30;

    [CommandOption("--live")]
    [Description("After the history, keep producing events at the current time until Ctrl+C")]
    public bool Live { get; set; }

    [CommandOption("--resume")]
    [Description("With --live: the history was delivered before (same --users, --days, --seed, --now): generate it without sending, then go live. Events sent again are applied once (their messageIds are the same)")]
    public bool Resume { get; set; }

    [CommandOption("--spend-key <KEY>")]
    [Description("With --target: an API key of the growth role; once the history is delivered, each campaign's simulated spend (the truth file's) is recorded with POST /api/campaigns/{id}/spend, once per population (Idempotency-Key)")]
    public string? SpendKey { get; set; }

    [CommandOption("--pricing-test")]
    [Description("Run the simulator's pricing test (README \"Experiments\"): trial starters see one of three prices (list, +15 %, +30 %) with a known demand curve per persona, written to the truth file. With --target it first creates the experiment 'sim-pricing' (POST /api/experiments, starting at the window's start) with --spend-key")]
    public bool PricingTest { get; set; }

    [CommandOption("--stripe")]
    [Description("With --target: also deliver the population's Stripe side (customers, subscriptions, invoices, refunds) to POST /webhooks/stripe as signed webhook events; the Segment stream then leaves out payment_succeeded/payment_failed (Stripe's invoices stand for them). README \"Stripe\"")]
    public bool Stripe { get; set; }

    [CommandOption("--stripe-secret <WHSEC>")]
    [Description("With --stripe: the endpoint's signing secret (default: Stripe__WebhookSecret, else the local stack's whsec_samplemind_dev)")]
    public string StripeSecret { get; set; } = StripeWebhookSender.DefaultSecret();

    [CommandOption("--identity")]
    [Description("Send what browser SDKs send (README \"Identity resolution\"): people who sign up in the window first visit anonymously from their campaign (page with UTM, anonymousId only), identify with anonymousId + userId at signup (some alias instead), and about one in five has a second device with a visit from another campaign. The truth file lists each person's anonymousIds and last-touch campaign. Not with --into-log (merges run in the silo)")]
    public bool Identity { get; set; }

    [CommandOption("--churn <MODEL>")]
    [Description("How people churn: 'scripted' (default, each persona's fate planned up front) or 'realistic' (a daily hazard driven by a latent disengagement process, involuntary churn after three failed payments, quiet weeks; the truth file holds each person's true 30-day churn probability at weekly cut-offs; docs/churn-evaluation.md)")]
    [DefaultValue("scripted")]
    public string Churn { get; set; } = "scripted";

    public override ValidationResult Validate()
    {
        if (Churn is not ("scripted" or "realistic"))
        {
            return ValidationResult.Error($"--churn must be 'scripted' or 'realistic', got '{Churn}'");
        }

        if (Stripe && Target is null)
        {
            return ValidationResult.Error("--stripe needs --target URL (the deliveries go to its /webhooks/stripe)");
        }

        if (Identity && IntoLog)
        {
            return ValidationResult.Error("--identity needs --target or --out: a bulk load into the log does not merge anonymous keys (the silo does)");
        }

        if ((Out is not null ? 1 : 0) + (Target is not null ? 1 : 0) + (IntoLog ? 1 : 0) != 1)
        {
            return ValidationResult.Error("give exactly one of --out FILE, --target URL or --into-log");
        }

        if (IntoLog && Live)
        {
            return ValidationResult.Error("--live needs --target URL (a bulk load into the log has an end)");
        }

        if (Resume && !Live)
        {
            return ValidationResult.Error("--resume goes with --live (it skips sending the history)");
        }

        if (PricingTest && Target is not null && !Resume && SpendKey is null)
        {
            return ValidationResult.Error("--pricing-test with --target needs --spend-key (a growth-role key) to create the experiment before the events");
        }

        if (SpendKey is not null && (Target is null || Resume))
        {
            return ValidationResult.Error("--spend-key needs --target URL and a history that is sent (not --resume)");
        }

        if (Users is < 0 or > 10_000_000 || Days is < 0 or > 3650 || StartUser < 0)
        {
            return ValidationResult.Error("--users must be 0…10000000, --days 0…3650 and --start-user not negative");
        }

        if (Now is not null && !TryParseNow(Now, out _))
        {
            return ValidationResult.Error($"--now must be a UTC date like 2026-06-01, got '{Now}'");
        }

        if ((Treatment is null) != (TreatmentAt is null))
        {
            return ValidationResult.Error("--treatment FILE and --treatment-at TIME go together");
        }

        if (TreatmentAt is not null && !DateTimeOffset.TryParse(TreatmentAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            return ValidationResult.Error($"--treatment-at must be a UTC date or time like 2026-06-01T00:00:00Z, got '{TreatmentAt}'");
        }

        if (TreatmentEffect is < 0 or > 1 || double.IsNaN(TreatmentEffect) || TreatmentHorizon < 0)
        {
            return ValidationResult.Error("--treatment-effect must be 0…1 and --treatment-horizon not negative");
        }

        return base.Validate();
    }

    /// <summary>The treatment from --treatment FILE, or null; a file that cannot be read is a <see cref="CliException"/>.</summary>
    internal SimulationTreatment? ReadTreatment()
    {
        if (Treatment is null || TreatmentAt is null)
        {
            return null;
        }
        string text;
        try
        {
            text = File.ReadAllText(Treatment);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read --treatment {Treatment}: {ex.Message}");
        }
        HashSet<string> users;
        if (text.TrimStart().StartsWith('['))
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(text);
                users = [.. json.RootElement.EnumerateArray().Select(u => u.ValueKind == System.Text.Json.JsonValueKind.String ? u.GetString()! : u.GetProperty("userId").GetString()!)];
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException)
            {
                throw new CliException($"--treatment {Treatment} is not a JSON array of user ids or of {{\"userId\": …}}: {ex.Message}");
            }
        }
        else
        {
            users = [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }
        var at = DateTimeOffset.Parse(TreatmentAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return new SimulationTreatment(users, at, TreatmentEffect, TreatmentHorizon);
    }

    internal DateTimeOffset ResolveNow() =>
        Now is not null && TryParseNow(Now, out var now) ? now : SimulationOptions.DefaultNow(TimeProvider.System);

    private static bool TryParseNow(string text, out DateTimeOffset now)
    {
        var ok = DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
        now = ok ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : default;
        return ok;
    }
}

/// <summary>
/// <c>samplemind simulate</c>: a deterministic population to an NDJSON file or to a client-api, then,
/// with <c>--live</c>, events at wall-clock time until Ctrl+C.
/// </summary>
public sealed class SimulateCommand : AsyncCommand<SimulateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SimulateSettings settings, CancellationToken cancellationToken)
    {
        var options = new SimulationOptions
        {
            Users = settings.Users,
            Days = settings.Days,
            Seed = settings.Seed,
            Now = settings.ResolveNow(),
            StartUserIndex = settings.StartUser,
            Treatment = settings.ReadTreatment(),
            PricingTest = settings.PricingTest ? SimulationPricingTest.Default : null,
            Stripe = settings.Stripe,
            Identity = settings.Identity,
            Churn = settings.Churn == "realistic" ? SimulationChurn.Realistic : SimulationChurn.Scripted,
        };
        var simulator = new PopulationSimulator(options);
        using var stripe = settings.Stripe ? new StripeWebhookSender(new Uri(settings.Target!), settings.StripeSecret) : null;
        // With --resume the history's deliveries were sent before: generated again, not sent.
        Func<bool, Task> deliverStripe = (send) => stripe is null ? Task.CompletedTask : DeliverStripeAsync(simulator, stripe, send, cancellationToken);
        var truthPath = settings.Truth ?? (settings.Out is null ? null : settings.Out + ".truth.json");
        var clock = Stopwatch.StartNew();
        long delivered;
        await using (var sink = settings.Out is null ? await settings.OpenSinkAsync(cancellationToken) : FileSink.Create(settings.Out))
        {
            var description = $"{options.Users:N0} users × {options.Days} days" + (settings.Live ? ", then live (Ctrl+C stops)" : "");
            await EventProgress.RunAsync(description, options.Days, () => simulator.EventsGenerated, settings.Target is null ? null : () => sink.Delivered,
                async setProgress =>
                {
                    if (options.PricingTest is { } pricing && settings.Target is not null && !settings.Resume)
                    {
                        await PricingExperimentCreator.CreateAsync(new Uri(settings.Target), settings.SpendKey!, pricing,
                            simulator.WindowStart, cancellationToken);
                    }
                    await RunHistoryAsync(simulator, settings.Resume ? null : sink, setProgress, settings.Out, () => deliverStripe(!settings.Resume), cancellationToken);
                    if (settings.SpendKey is not null && !cancellationToken.IsCancellationRequested)
                    {
                        await sink.FlushAsync(partial: true);
                        await CampaignSpendRecorder.RecordAsync(new Uri(settings.Target!), settings.SpendKey, simulator, cancellationToken);
                    }

                    if (settings.Live && !cancellationToken.IsCancellationRequested)
                    {
                        await RunLiveAsync(simulator, sink, () => deliverStripe(true), cancellationToken);
                    }

                    if (settings.IntoLog && cancellationToken.IsCancellationRequested)
                    {
                        throw new CliException("interrupted: nothing was loaded into the log", 130);
                    }
                    await WithFileErrors(settings.Out, sink.CompleteAsync);
                });
            delivered = sink.Delivered;
        }

        if (truthPath is not null)
        {
            await WithFileErrors(truthPath, async () =>
            {
                await using var truth = new FileStream(truthPath, FileMode.Create, FileAccess.Write, FileShare.Read);
                simulator.GetGroundTruth().WriteTo(truth);
            });
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var where = settings.Out is not null ? settings.Out + (truthPath is null ? "" : $" (+ {truthPath})") : settings.Target ?? "the user event log";
        Console.WriteLine($"{(settings.Target is not null ? "sent" : settings.IntoLog ? "loaded" : "wrote")} {delivered:N0} events for {options.Users:N0} users " +
            $"({options.WindowDescription()}) to {where} in {seconds:F1} s ({delivered / Math.Max(seconds, 1e-9):N0} ev/s)"
            + (stripe is null ? "" : $"; {stripe.Sent:N0} Stripe events to {settings.Target}/webhooks/stripe ({stripe.Stored:N0} new)"));
        // Ctrl+C ends --live normally; anywhere else it is an interruption.
        return cancellationToken.IsCancellationRequested && !settings.Live ? 130 : 0;
    }

    /// <summary>Generates the history; sends it to <paramref name="sink"/> unless that is null (<c>--resume</c>).</summary>
    private static async Task RunHistoryAsync(PopulationSimulator simulator, IEventSink? sink, Action<double> setProgress, string? file,
        Func<Task> afterDay, CancellationToken cancellationToken)
    {
        await WithFileErrors(file, async () =>
        {
            var day = simulator.NextDay;
            foreach (var e in simulator.Generate())
            {
                if (simulator.NextDay != day)
                {
                    day = simulator.NextDay;
                    setProgress(day);
                    await afterDay();
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                }

                if (sink is not null && sink.Write(e.Json.Span))
                {
                    await sink.FlushAsync(partial: false);
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                }
            }

            setProgress(simulator.NextDay);
            await afterDay();
        });
    }

    /// <summary>Delivers (or, when not <paramref name="send"/>, drops) the Stripe events generated since the last call.</summary>
    private static async Task DeliverStripeAsync(PopulationSimulator simulator, StripeWebhookSender stripe, bool send, CancellationToken cancellationToken)
    {
        var deliveries = simulator.TakeStripeDeliveries();
        if (deliveries.Count == 0 || !send)
        {
            return;
        }
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (d, ct) => await stripe.SendAsync(d.EventId, d.Payload, ct));
    }

    private static async Task RunLiveAsync(PopulationSimulator simulator, IEventSink sink, Func<Task> deliverStripe, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                foreach (var e in simulator.GenerateUntil(simulator.NextDay + 1))
                {
                    var wait = e.TimestampMs - TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
                    if (wait > 0)
                    {
                        // Do not hold events back in a half-full batch while waiting for the clock.
                        await sink.FlushAsync(partial: true);
                        await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
                    }

                    if (sink.Write(e.Json.Span))
                    {
                        await sink.FlushAsync(partial: false);
                    }
                    await deliverStripe();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the caller delivers what is buffered.
        }
    }

    private static async Task WithFileErrors(string? file, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (file is not null && ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {file}: {ex.Message}");
        }
    }
}

internal static class SimulationOptionsExtensions
{
    public static string WindowDescription(this SimulationOptions options) =>
        $"{options.Days} days to {options.Now:yyyy-MM-dd}, seed {options.Seed}";
}
