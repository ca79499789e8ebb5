using Microsoft.Extensions.Options;
using SampleMind.Analytics.Alerts;
using SampleMind.Outbox;

namespace SampleMind.Alerts;

/// <summary>The alert rules (section "Alerts": ErrorRate, PaymentFailures, DailyChurn, Cac, FeatureAdoption, FeatureLaunches) and where alerts go.</summary>
public sealed class AlertOptions : AlertRuleSet
{
    public const string SectionName = "Alerts";

    /// <summary>Where each firing and each resolution is POSTed through the outbox; none when empty.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>How often the rules are judged besides after every flush (so a window that empties resolves its alert).</summary>
    public TimeSpan EvaluateInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Checks the rules and that the webhook URL is allowed by the outbox, at start.</summary>
public sealed class AlertOptionsValidator(IOptions<OutboxOptions> outbox) : IValidateOptions<AlertOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertOptions options)
    {
        var problems = options.Problems().ToList();
        if (!string.IsNullOrEmpty(options.WebhookUrl) && WebhookUrls.Problem(options.WebhookUrl, outbox.Value.AllowedHosts) is { } url)
        {
            problems.Add($"Alerts:WebhookUrl: {url}");
        }
        if (options.EvaluateInterval < TimeSpan.FromMilliseconds(50) || options.EvaluateInterval > TimeSpan.FromMinutes(10))
        {
            problems.Add("Alerts:EvaluateInterval must be between 50 ms and 10 minutes");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
