using System.Text;

namespace SampleMind.Analytics.Quality;

/// <summary>
/// The properties a vocabulary <c>track</c> event must carry (non-null) to count as complete: the fields the figures
/// built from that event read (DESIGN.md, "Events"). Events not named here require nothing and do not enter completeness.
/// </summary>
public static class EventRequirements
{
    /// <summary>Event name → its required properties.</summary>
    public static IReadOnlyDictionary<string, string[]> Required { get; } = new SortedDictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["analysis_completed"] = ["model", "model_version", "processing_time_ms"],
        ["analysis_feedback"] = ["rating"],
        ["feature_used"] = ["feature"],
        ["payment_failed"] = ["amount"],
        ["payment_succeeded"] = ["amount"],
        ["subscription_canceled"] = ["plan"],
        ["subscription_renewed"] = ["plan", "amount"],
        ["subscription_started"] = ["plan", "amount"],
    };

    /// <summary>
    /// The table as a SQL <c>VALUES</c> list of <c>(event text, props text[])</c>, for a join on the event name; the
    /// names are this class's constants, not input.
    /// </summary>
    public static string SqlValues()
    {
        var sql = new StringBuilder("VALUES ");
        var first = true;
        foreach (var (name, properties) in Required)
        {
            sql.Append(first ? "" : ", ").Append("('").Append(name).Append("', ARRAY[")
                .Append(string.Join(", ", properties.Select(p => $"'{p}'"))).Append("]::text[])");
            first = false;
        }
        return sql.ToString();
    }
}
