using System.Text.Json;

namespace SampleMind.Analytics.Simulation;

/// <summary>One user's latent traits and fate, as the simulator decided them.</summary>
public sealed record UserTruth(
    string UserId,
    Persona Persona,
    double EngagementIndex,
    double AnalysesPerDay,
    double ActiveChance,
    double PaymentRisk,
    double TicketRate,
    int AdoptedFeatures,
    string Channel,
    string Campaign,
    string Device,
    DateTimeOffset CreatedAt,
    bool SignedUpInWindow,
    string PlanAtStart,
    string PlanAtEnd,
    bool TrialStarted,
    bool? TrialConverted,
    bool Churned,
    DateTimeOffset? ChurnedAt,
    string? ChurnReason,
    int SupportTickets,
    int PaymentFailures,
    decimal Revenue,
    long Events,
    DateTimeOffset? LastEventAt,
    bool Treated,
    bool SavedByTreatment,
    IReadOnlyList<string>? AnonymousIds = null,
    string? LastTouchCampaign = null,
    IReadOnlyList<double?>? ChurnProbability30d = null,
    bool? ActiveUntilCancel = null);

/// <summary>
/// Realistic churn: the cut-off dates (each the end of that UTC day) of <see cref="UserTruth.ChurnProbability30d"/>, the
/// true probability of the train-churn label in the 30 days after (paying → a cancellation; otherwise → no event at all).
/// </summary>
public sealed record ChurnTruth(string Model, int HorizonDays, IReadOnlyList<DateOnly> Cutoffs);

/// <summary>Per campaign: acquired users, paying users and the spend that reproduces the seed's CAC.</summary>
public sealed record CampaignTruth(string Channel, string Campaign, int Users, int PayingUsers, decimal Spend);

/// <summary>The ground truth written beside the events (FILE.truth.json).</summary>
public sealed record GroundTruth(
    long Seed,
    int UserCount,
    int Days,
    int StartUserIndex,
    DateTimeOffset WindowStart,
    DateTimeOffset Now,
    int DaysGenerated,
    long Events,
    IReadOnlyList<CampaignTruth> Campaigns,
    IReadOnlyList<UserTruth> Users,
    PricingTruth? Pricing = null,
    ChurnTruth? Churn = null)
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    internal static GroundTruth From(PopulationSimulator simulator, IReadOnlyList<SimUser> users)
    {
        var o = simulator.Options;
        static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
        var realistic = o.Churn == SimulationChurn.Realistic;
        var windowStart = DateOnly.FromDateTime(simulator.WindowStart.UtcDateTime);
        var churn = realistic
            ? new ChurnTruth("realistic", ChurnHazard.HorizonDays,
                simulator.TruthCutoffDays.Where(d => d < simulator.NextDay).Select(d => windowStart.AddDays(d)).ToList())
            : null;
        var truths = users.Select(u => new UserTruth(
            u.UserId, u.Persona, Math.Round(u.EngagementIndex, 4), Math.Round(u.AnalysesPerDay, 4), Math.Round(u.ActiveChance, 4),
            u.PaymentRisk, u.TicketRate, u.AdoptedFeatures, u.Channel, u.Campaign.Name, u.Device, At(u.CreatedAtMs),
            u.SignupDay >= 0, u.PlanAtStart, u.Plan, u.TrialDay >= 0 && u.TrialDay < simulator.NextDay,
            u.TrialDay >= 0 && u.TrialDay + SimulationCatalog.TrialDays < simulator.NextDay ? u.TrialConverts : null,
            u.Churned, u.ChurnedAtMs is { } c ? At(c) : null, u.Churned ? u.ChurnReason : null,
            u.SupportTickets, u.PaymentFailures, u.Revenue, u.EventCount, u.LastEventMs is { } l ? At(l) : null,
            u.Treated, u.SavedByTreatment,
            o.Identity ? u.AnonymousIds : null, o.Identity ? u.LastTouchCampaign : null,
            realistic ? u.ChurnTruth.Select(p => p is { } x ? Math.Round(x, 6) : (double?)null).ToList() : null,
            realistic ? u.ActiveUntilCancel : null)).ToList();

        // Spend is not simulated day by day; it is set so that spend / paying users equals the seed's CAC per channel.
        var campaigns = SimulationCatalog.Channels
            .SelectMany(ch => ch.Campaigns.Select(ca =>
            {
                var acquired = truths.Where(t => t.Channel == ch.Name && t.Campaign == ca.Name).ToList();
                var paying = acquired.Count(t => t.Revenue > 0);
                return new CampaignTruth(ch.Name, ca.Name, acquired.Count, paying, paying * Math.Round(ch.SeedCac, 2));
            }))
            .ToList();

        return new GroundTruth(o.Seed, o.Users, o.Days, o.StartUserIndex, simulator.WindowStart, o.Now,
            simulator.NextDay, simulator.EventsGenerated, campaigns, truths, PricingTruth.From(o.PricingTest, users), churn);
    }

    public void WriteTo(Stream output) => JsonSerializer.Serialize(output, this, s_json);
}
