using System.ComponentModel.DataAnnotations;

namespace SampleMind.Churn;

/// <summary>How a silo follows the churn model registry (configuration section <c>Churn</c>).</summary>
public sealed class ChurnModelOptions
{
    public const string SectionName = "Churn";

    /// <summary>How often the silo asks PostgreSQL which version is promoted (and which versions are new).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
