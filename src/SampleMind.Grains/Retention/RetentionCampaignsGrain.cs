using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Retention;
using SampleMind.Outbox;
using SampleMind.Users;

namespace SampleMind.Retention;

/// <summary>
/// Creates and reads retention campaigns. Creating one is a single PostgreSQL transaction (campaign, assignments,
/// outbox deliveries), so a crash leaves either all of it or nothing; the outbox dispatchers then deliver each treated
/// user's action at least once, with its Idempotency-Key.
/// </summary>
[Orleans.Concurrency.StatelessWorker]
public sealed class RetentionCampaignsGrain(
    RetentionStore store,
    PostgresUserIndex index,
    OutboxDispatcher outbox,
    IOptions<OutboxOptions> outboxOptions,
    TimeProvider time,
    ILogger<RetentionCampaignsGrain> logger) : Grain, IRetentionCampaignsGrain
{
    private const int PageSize = 1_000;

    public async Task<RetentionCampaignCreated> CreateAsync(RetentionCampaignRequest request)
    {
        var now = time.GetUtcNow();
        var errors = RetentionCampaignValidator.Validate(request, outboxOptions.Value.AllowedHosts, now);
        if (errors.Count > 0)
        {
            return new RetentionCampaignCreated(null, false, errors);
        }
        if (request.IdempotencyKey is { } key && await store.FindByIdempotencyKeyAsync(key) is { } existing)
        {
            return new RetentionCampaignCreated(await store.GetAsync(existing, now), true, null);
        }

        // An idempotency key fixes the id (and so every user's arm): a retried or replayed creation assigns alike.
        var id = request.IdempotencyKey is { } k
            ? "rc-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(k)))[..12]
            : $"rc-{Guid.NewGuid():N}"[..15];
        var target = request.Target!;
        var holdout = request.HoldoutShare!.Value;
        var users = await TargetsAsync(target);
        if (users.Count == 0)
        {
            return new RetentionCampaignCreated(null, false, new() { ["target"] = ["the target matches no user in the index"] });
        }
        var assignments = users.Select(u =>
        {
            var bucket = RetentionAssignment.Bucket(id, u.UserId);
            return new RetentionAssignmentRow(u, RetentionAssignment.Arm(bucket, holdout), bucket);
        }).ToList();
        var campaign = new RetentionCampaignDefinition(id, request.Name, request.Action!, target, holdout, request.WebhookUrl!,
            request.StartAt ?? now, request.OutcomeDays ?? RetentionCampaignValidator.DefaultOutcomeDays,
            request.ActiveDays ?? RetentionCampaignValidator.DefaultActiveDays, request.IdempotencyKey);
        if (!await store.CreateAsync(campaign, assignments))
        {
            var first = await store.FindByIdempotencyKeyAsync(request.IdempotencyKey!);
            return new RetentionCampaignCreated(await store.GetAsync(first!, now), true, null);
        }
        outbox.Wake();
        logger.LogInformation("Retention campaign {Id} ({Action}): {Targeted} targeted, {Treated} treated",
            id, campaign.Action, assignments.Count, assignments.Count(a => a.Arm == RetentionAssignment.Treatment));
        return new RetentionCampaignCreated(await store.GetAsync(id, now), false, null);
    }

    public Task<RetentionCampaignView?> GetAsync(string id) => store.GetAsync(id, time.GetUtcNow());

    public async Task<RetentionCampaignView[]> ListAsync()
    {
        var now = time.GetUtcNow();
        var views = new List<RetentionCampaignView>();
        foreach (var id in await store.IdsAsync())
        {
            if (await store.GetAsync(id, now) is { } view)
            {
                views.Add(view);
            }
        }
        return [.. views];
    }

    public async Task<RetentionAssignmentView[]?> AssignmentsAsync(string id, string? arm)
        => await store.GetAsync(id, time.GetUtcNow()) is null ? null : [.. await store.AssignmentsAsync(id, arm)];

    /// <summary>The index's users matching the target, riskiest first, up to MaxUsers.</summary>
    private async Task<List<UserIndexEntry>> TargetsAsync(RetentionTarget target)
    {
        var max = target.MaxUsers ?? RetentionCampaignValidator.MaxTargets;
        var users = new List<UserIndexEntry>();
        string? after = null;
        do
        {
            var page = await index.QueryAsync(new UserIndexQuery
            {
                Segment = target.Segment,
                Level = target.RiskLevel,
                MinLtv = target.MinLtv,
                MinScore = target.MinScore,
                Limit = Math.Min(PageSize, max - users.Count),
                After = after,
            });
            users.AddRange(page.Items);
            after = page.Next;
        }
        while (after is not null && users.Count < max);
        return users;
    }
}
