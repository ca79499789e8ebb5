using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SampleMind.ClientApi.Privacy;

/// <summary>The keyed hash that stands for a person where their id must not be stored (the read audit).</summary>
public sealed class PersonHash(IOptions<PrivacyOptions> options)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.HashKey);

    /// <summary>Lower-case hex HMAC-SHA256 of the user id.</summary>
    public string Of(string userId) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(userId)));
}
