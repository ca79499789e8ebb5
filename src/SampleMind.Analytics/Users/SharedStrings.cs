using System.Collections.Concurrent;

namespace SampleMind.Analytics.Users;

/// <summary>
/// A process-wide pool for the small vocabularies every user model repeats (trait keys, plan and feature names,
/// acquisition sources, campaigns, devices, a day's set of features), so that 100,000 live users hold one copy of
/// "pro" instead of 100,000. Bounded: past <see cref="Capacity"/> entries (hostile or unexpectedly varied input) values
/// are kept as they are, which costs memory but never correctness.
/// </summary>
public static class SharedStrings
{
    public const int Capacity = 50_000;

    /// <summary>Longer strings are not pooled (free text, not vocabulary).</summary>
    public const int MaxLength = 64;

    private static readonly ConcurrentDictionary<string, string> s_strings = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string[], string[]> s_sets = new(FeatureSetComparer.Instance);

    /// <summary>The pooled instance equal to <paramref name="value"/>, adding it while the pool has room.</summary>
    public static string Intern(string value)
    {
        if (s_strings.TryGetValue(value, out var pooled))
        {
            return pooled;
        }
        return value.Length <= MaxLength && s_strings.Count < Capacity ? s_strings.GetOrAdd(value, value) : value;
    }

    /// <summary>The pooled instance equal to <paramref name="value"/> if there is one (values that are rarely shared, e.g. any trait).</summary>
    public static string Reuse(string value) => s_strings.TryGetValue(value, out var pooled) ? pooled : value;

    /// <summary>The set <paramref name="set"/> (sorted ordinal, distinct) plus <paramref name="name"/>, as a shared array; never mutate it.</summary>
    public static string[] WithFeature(string[]? set, string name)
    {
        set ??= [];
        var at = Array.BinarySearch(set, name, StringComparer.Ordinal);
        if (at >= 0)
        {
            return set;
        }
        at = ~at;
        var grown = new string[set.Length + 1];
        set.AsSpan(0, at).CopyTo(grown);
        grown[at] = Intern(name);
        set.AsSpan(at).CopyTo(grown.AsSpan(at + 1));
        return InternSet(grown);
    }

    /// <summary>The pooled array equal to <paramref name="set"/> (sorted ordinal, distinct, names interned).</summary>
    public static string[] InternSet(string[] set)
    {
        if (s_sets.TryGetValue(set, out var pooled))
        {
            return pooled;
        }
        return s_sets.Count < Capacity ? s_sets.GetOrAdd(set, set) : set;
    }

    private sealed class FeatureSetComparer : IEqualityComparer<string[]>
    {
        public static readonly FeatureSetComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y, StringComparer.Ordinal);

        public int GetHashCode(string[] set)
        {
            var hash = new HashCode();
            foreach (var s in set)
            {
                hash.Add(s, StringComparer.Ordinal);
            }
            return hash.ToHashCode();
        }
    }
}
