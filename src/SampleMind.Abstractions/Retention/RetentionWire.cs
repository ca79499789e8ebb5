namespace SampleMind.Retention;

/// <summary>Who a retention campaign targets, from the user index (at least one criterion).</summary>
[GenerateSerializer, Immutable, Alias("sm.retention-target")]
public sealed record class RetentionTarget
{
    /// <summary>A segment name (power_users, regulars, explorers, dormant, unclassified).</summary>
    [Id(0)] public string? Segment { get; init; }
    /// <summary>HIGH, MEDIUM or LOW.</summary>
    [Id(1)] public string? RiskLevel { get; init; }
    [Id(2)] public decimal? MinLtv { get; init; }
    [Id(3)] public double? MinScore { get; init; }
    /// <summary>At most this many users, riskiest first.</summary>
    [Id(4)] public int? MaxUsers { get; init; }
}

/// <summary>POST /api/retention-campaigns.</summary>
[GenerateSerializer, Immutable, Alias("sm.retention-campaign-request")]
public sealed record class RetentionCampaignRequest
{
    [Id(0)] public string? Name { get; init; }
    [Id(1)] public RetentionTarget? Target { get; init; }
    /// <summary>One of RetentionActions.All (discount_20, tutorial_email, card_update_reminder, support_callback, reengagement_email).</summary>
    [Id(2)] public string? Action { get; init; }
    /// <summary>The share of targets held out (no action), in [0, 0.5].</summary>
    [Id(3)] public decimal? HoldoutShare { get; init; }
    [Id(4)] public string? WebhookUrl { get; init; }
    /// <summary>When the action takes effect: now by default; a past instant for a back-test on history.</summary>
    [Id(5)] public DateTimeOffset? StartAt { get; init; }
    /// <summary>The outcome window: N days after <see cref="StartAt"/> (default 14).</summary>
    [Id(6)] public int? OutcomeDays { get; init; }
    /// <summary>A user is retained when active in the last this-many days of the outcome window (default 7).</summary>
    [Id(7)] public int? ActiveDays { get; init; }
    /// <summary>The POST's Idempotency-Key: a repeat returns the campaign created first.</summary>
    [Id(8)] public string? IdempotencyKey { get; init; }
}

/// <summary>Treatment against holdout, measured over the outcome window.</summary>
[GenerateSerializer, Immutable, Alias("sm.retention-outcome")]
public sealed record class RetentionOutcome
{
    /// <summary>Activity counts from here …</summary>
    [Id(0)] public required DateTimeOffset ActiveFrom { get; init; }
    /// <summary>… to here (exclusive): the end of the outcome window.</summary>
    [Id(1)] public required DateTimeOffset WindowEnd { get; init; }
    /// <summary>Whether the window has ended; before, the figures are so far.</summary>
    [Id(2)] public required bool Complete { get; init; }
    [Id(3)] public required int TreatedRetained { get; init; }
    [Id(4)] public required int HoldoutRetained { get; init; }
    [Id(5)] public double? TreatedRate { get; init; }
    [Id(6)] public double? HoldoutRate { get; init; }
    /// <summary>Treated rate − holdout rate.</summary>
    [Id(7)] public double? Uplift { get; init; }
    /// <summary>The 95 % Wald interval of the uplift.</summary>
    [Id(8)] public double? UpliftLow { get; init; }
    [Id(9)] public double? UpliftHigh { get; init; }
    [Id(10)] public required double Confidence { get; init; }
}

/// <summary>A retention campaign with its delivery and outcome figures.</summary>
[GenerateSerializer, Immutable, Alias("sm.retention-campaign-view")]
public sealed record class RetentionCampaignView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public string? Name { get; init; }
    [Id(2)] public required string Action { get; init; }
    [Id(3)] public required RetentionTarget Target { get; init; }
    [Id(4)] public required decimal HoldoutShare { get; init; }
    [Id(5)] public required string WebhookUrl { get; init; }
    [Id(6)] public required DateTimeOffset StartAt { get; init; }
    [Id(7)] public required int OutcomeDays { get; init; }
    [Id(8)] public required int ActiveDays { get; init; }
    [Id(9)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(10)] public required int Targeted { get; init; }
    [Id(11)] public required int Treated { get; init; }
    [Id(12)] public required int Holdout { get; init; }
    /// <summary>Treated users whose action the webhook accepted.</summary>
    [Id(13)] public required int Delivered { get; init; }
    /// <summary>Deliveries given up (attempts exhausted or a permanent refusal).</summary>
    [Id(14)] public required int Failed { get; init; }
    /// <summary>Deliveries still being tried.</summary>
    [Id(15)] public required int Pending { get; init; }
    [Id(16)] public required RetentionOutcome Outcome { get; init; }
}

/// <summary>What POST returns: the campaign, or the problems with the request (nothing recorded or sent).</summary>
[GenerateSerializer, Immutable, Alias("sm.retention-campaign-created")]
public sealed record class RetentionCampaignCreated(
    [property: Id(0)] RetentionCampaignView? Campaign,
    [property: Id(1)] bool Replayed,
    [property: Id(2)] Dictionary<string, string[]>? Errors);

/// <summary>A targeted user's arm in a campaign.</summary>
[GenerateSerializer, Immutable, Alias("sm.retention-assignment")]
public sealed record class RetentionAssignmentView(
    [property: Id(0)] string UserId,
    [property: Id(1)] string Arm,
    [property: Id(2)] double Bucket);

/// <summary>Retention campaigns (a stateless worker on the silos, which own the database and the user index).</summary>
public interface IRetentionCampaignsGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Validates, selects the targets from the user index, assigns each to treatment or holdout (hash of campaign and
    /// user), records the campaign, the assignments and one outbox delivery per treated user in one transaction.
    /// </summary>
    Task<RetentionCampaignCreated> CreateAsync(RetentionCampaignRequest request);

    /// <summary>One campaign with its figures; null when unknown.</summary>
    Task<RetentionCampaignView?> GetAsync(string id);

    /// <summary>Every campaign, newest first.</summary>
    Task<RetentionCampaignView[]> ListAsync();

    /// <summary>The campaign's targets and their arms, ordered by user id; null when the campaign is unknown.</summary>
    Task<RetentionAssignmentView[]?> AssignmentsAsync(string id, string? arm);
}
