using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Segments;
using SampleMind.Outbox;

namespace SampleMind.Retention;

/// <summary>The checks of a retention campaign request: each problem under the JSON field it concerns.</summary>
public static class RetentionCampaignValidator
{
    public const int DefaultOutcomeDays = 14;
    public const int DefaultActiveDays = 7;
    public const int MaxOutcomeDays = 180;
    public const int MaxTargets = 200_000;
    public const int MaxNameLength = 200;
    public const int MaxIdempotencyKeyLength = 256;

    public static Dictionary<string, string[]> Validate(RetentionCampaignRequest request, IReadOnlyCollection<string> allowedHosts, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Action is null || !RetentionActions.All.Contains(request.Action))
        {
            errors["action"] = [$"'{request.Action}' is not a retention action ({string.Join(", ", RetentionActions.All)})"];
        }
        if (request.HoldoutShare is not { } holdout || holdout < 0 || holdout > 0.5m)
        {
            errors["holdoutShare"] = ["holdoutShare is a number from 0 to 0.5"];
        }
        if (WebhookUrls.Problem(request.WebhookUrl, allowedHosts) is { } url)
        {
            errors["webhookUrl"] = [url];
        }
        if (request.Target is not { } target)
        {
            errors["target"] = ["a target is required: at least one of segment, riskLevel, minLtv, minScore"];
        }
        else
        {
            if (target.Segment is null && target.RiskLevel is null && target.MinLtv is null && target.MinScore is null)
            {
                errors["target"] = ["the target is empty: give at least one of segment, riskLevel, minLtv, minScore"];
            }
            if (target.Segment is not null && !SegmentNames.All.Contains(target.Segment))
            {
                errors["target.segment"] = [$"'{target.Segment}' is not a segment ({string.Join(", ", SegmentNames.All)})"];
            }
            if (target.RiskLevel is not (null or RiskLevels.High or RiskLevels.Medium or RiskLevels.Low))
            {
                errors["target.riskLevel"] = [$"'{target.RiskLevel}' is not a risk level (HIGH, MEDIUM, LOW)"];
            }
            if (target.MinLtv is < 0)
            {
                errors["target.minLtv"] = ["minLtv must not be negative"];
            }
            if (target.MinScore is { } score && (double.IsNaN(score) || score < 0 || score > 1))
            {
                errors["target.minScore"] = ["minScore is a number from 0 to 1"];
            }
            if (target.MaxUsers is < 1 or > MaxTargets)
            {
                errors["target.maxUsers"] = [$"maxUsers is 1 to {MaxTargets}"];
            }
        }
        if (request.OutcomeDays is < 1 or > MaxOutcomeDays)
        {
            errors["outcomeDays"] = [$"outcomeDays is 1 to {MaxOutcomeDays}"];
        }
        if (request.ActiveDays is { } active && (active < 1 || active > (request.OutcomeDays ?? DefaultOutcomeDays)))
        {
            errors["activeDays"] = ["activeDays is at least 1 and at most outcomeDays"];
        }
        if (request.StartAt is { } start && (start > now || start < now.AddDays(-366)))
        {
            errors["startAt"] = ["startAt is at most now (omit it to start now) and at most 366 days ago"];
        }
        if (request.Name is { Length: > MaxNameLength })
        {
            errors["name"] = [$"a name is at most {MaxNameLength} characters"];
        }
        if (request.IdempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            errors["Idempotency-Key"] = [$"an idempotency key is 1 to {MaxIdempotencyKeyLength} characters"];
        }
        return errors;
    }
}
