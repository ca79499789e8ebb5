using System.ComponentModel.DataAnnotations;

namespace SampleMind.ClientApi.Dashboard;

/// <summary>The "Dashboard" section: what the page links to.</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Dashboard";

    /// <summary>The silo's Orleans dashboard, linked from the page (run.sh sets it to its silo's web port).</summary>
    [Required, Url]
    public string OrleansDashboardUrl { get; set; } = "http://127.0.0.1:5081/dashboard";
}
