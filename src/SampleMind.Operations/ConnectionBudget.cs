using System.Text.RegularExpressions;
using Npgsql;

namespace SampleMind.Operations;

/// <summary>
/// Each host's share of PostgreSQL's connections, set explicitly instead of Npgsql's default ceiling of 100 per
/// process: <c>Database:MaxPoolSize</c> (unless the connection string names its own Maximum Pool Size), and
/// <c>Database:PgBouncer</c> for a PgBouncer in transaction mode (a server connection changes hands between
/// transactions: no session state is reset on return, nothing is auto-prepared). README "Connection budget".
/// </summary>
public static partial class ConnectionBudget
{
    public static void Apply(NpgsqlConnectionStringBuilder builder, string connectionString, int maxPoolSize, bool pgBouncer)
    {
        if (!PoolSizeGiven().IsMatch(connectionString))
        {
            builder.MaxPoolSize = maxPoolSize;
        }
        if (pgBouncer)
        {
            builder.NoResetOnClose = true;
            builder.MaxAutoPrepare = 0;
        }
    }

    [GeneratedRegex(@"max(imum)?\s*pool\s*size", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PoolSizeGiven();
}
