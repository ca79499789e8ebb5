using Npgsql;

namespace SampleMind.Identity;

/// <summary>
/// The identity map as the SQL oracles see it. Every oracle reads <c>user_events</c>, whose <c>user_id</c> is the
/// resolved person: a merge moves the merged key's rows in the same transaction that writes its link. So the oracles
/// apply the map by construction, as long as these invariants hold — which <c>reconcile --check</c> verifies.
/// </summary>
public static class IdentityOracle
{
    private const string Sql = """
        SELECT 'events under merged keys', count(*) FROM user_events e JOIN identity_links l ON l.merged_id = e.user_id
        UNION ALL
        SELECT 'links to a merged person', count(*) FROM identity_links l JOIN identity_links p ON p.merged_id = l.person_id
        UNION ALL
        SELECT 'user-index rows of merged keys', count(*) FROM user_index i JOIN identity_links l ON l.merged_id = i.user_id
        """;

    /// <summary>Each invariant of the map with the rows that break it (all zero when the map is sound).</summary>
    public static async Task<IReadOnlyList<(string Invariant, long Violations)>> CheckAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var result = new List<(string, long)>();
        await using var command = dataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        return result;
    }

    /// <summary>How many keys are merged, and into how many people.</summary>
    public static async Task<(long Links, long People)> CountAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*), count(DISTINCT person_id) FROM identity_links");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
