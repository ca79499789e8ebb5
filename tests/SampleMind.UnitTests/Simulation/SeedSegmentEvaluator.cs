using System.Text.Json;

namespace SampleMind.UnitTests.Simulation;

/// <summary>
/// A deliberately independent reading of the seed's segment rules over NDJSON, so the simulator is checked
/// against the definitions (DESIGN.md "Definitions") and not against the production rules.
/// </summary>
internal sealed class SeedSegmentEvaluator
{
    private static readonly HashSet<string> s_paidPlans = ["starter", "pro", "studio"];

    private readonly Dictionary<string, UserFacts> _users = new();
    private readonly DateTimeOffset _now;

    public SeedSegmentEvaluator(DateTimeOffset now)
    {
        _now = now;
    }

    public HashSet<string> EventNames { get; } = [];

    public int Lines { get; private set; }

    public void Add(string line)
    {
        Lines++;
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var userId = root.GetProperty("userId").GetString()!;
        var type = root.GetProperty("type").GetString()!;
        var at = DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        if (!_users.TryGetValue(userId, out var u))
        {
            u = new UserFacts();
            _users[userId] = u;
        }

        u.LastActive = at > u.LastActive ? at : u.LastActive;
        if (type == "identify")
        {
            var traits = root.GetProperty("traits");
            u.Plan = traits.GetProperty("plan").GetString()!;
            u.CreatedAt = DateTimeOffset.Parse(traits.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            return;
        }

        var name = root.GetProperty("event").GetString()!;
        EventNames.Add(name);
        var props = root.GetProperty("properties");
        switch (name)
        {
            case "analysis_completed" when at >= _now.AddDays(-7):
                u.AnalysesLast7Days++;
                break;
            case "feature_used":
                u.Features.Add(props.GetProperty("feature").GetString()!);
                break;
            case "payment_succeeded":
                u.Revenue += props.GetProperty("amount").GetDecimal();
                break;
            case "trial_started":
                u.TrialStartedAt = at;
                break;
            case "subscription_started" when u.TrialStartedAt is not null:
                u.ConvertedFromTrial = true;
                break;
        }
    }

    public Dictionary<string, int> Segments()
    {
        var counts = new Dictionary<string, int>
        {
            ["power_users"] = 0, ["regulars"] = 0, ["explorers"] = 0, ["dormant"] = 0, ["unclassified"] = 0,
        };
        foreach (var u in _users.Values)
        {
            counts[Classify(u)]++;
        }

        return counts;
    }

    /// <summary>The segment of one user by the seed's rules (unclassified for a user never seen).</summary>
    public string SegmentOf(string userId) => _users.TryGetValue(userId, out var u) ? Classify(u) : "unclassified";

    /// <summary>The users seen, in no particular order.</summary>
    public IEnumerable<string> UserIds => _users.Keys;

    /// <summary>Trials old enough to have ended (14 days) before <c>now</c>, and how many of them converted.</summary>
    public (int Trials, int Converted) TrialConversion()
    {
        var decided = _users.Values.Where(u => u.TrialStartedAt is { } t && t <= _now.AddDays(-14)).ToList();
        return (decided.Count, decided.Count(u => u.ConvertedFromTrial));
    }

    private string Classify(UserFacts u)
    {
        var ageDays = (_now - u.CreatedAt).TotalDays;
        var a = u.AnalysesLast7Days;
        if (_now - u.LastActive > TimeSpan.FromDays(30) && u.Revenue > 0)
        {
            return "dormant";
        }

        if (a > 50 && u.Features.Count > 10 && u.Plan is "pro" or "studio")
        {
            return "power_users";
        }

        if (a is >= 5 and <= 50 && ageDays > 90 && s_paidPlans.Contains(u.Plan))
        {
            return "regulars";
        }

        if (a is >= 1 and <= 5 && ageDays < 90 && u.Plan is "free" or "trial")
        {
            return "explorers";
        }

        return "unclassified";
    }

    private sealed class UserFacts
    {
        public string Plan { get; set; } = "free";
        public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.MaxValue;
        public DateTimeOffset LastActive { get; set; } = DateTimeOffset.MinValue;
        public int AnalysesLast7Days { get; set; }
        public HashSet<string> Features { get; } = [];
        public decimal Revenue { get; set; }
        public DateTimeOffset? TrialStartedAt { get; set; }
        public bool ConvertedFromTrial { get; set; }
    }
}
