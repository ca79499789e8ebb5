using System.Security.Cryptography;
using System.Text;

namespace SampleMind.Analytics.Privacy;

/// <summary>
/// The keyed hash that stands for a person where their id must not be stored: the read audit and the erasure
/// tombstones. Both hosts compute it with the same key (<c>Privacy:HashKey</c>), so a tombstone written by a silo
/// matches an id client-api hashes and the other way round.
/// </summary>
public static class PersonHash
{
    /// <summary>Lower-case hex HMAC-SHA256 of <paramref name="userId"/> under <paramref name="key"/>.</summary>
    public static string Of(string key, string userId)
        => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(userId)));
}
