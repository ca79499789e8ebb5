using Microsoft.Extensions.Options;

namespace SampleMind.ClientApi.Privacy;

/// <summary>The keyed hash of a person (<see cref="Analytics.Privacy.PersonHash"/>) under this host's Privacy:HashKey.</summary>
public sealed class PersonHash(IOptions<PrivacyOptions> options)
{
    private readonly string _key = options.Value.HashKey;

    /// <summary>Lower-case hex HMAC-SHA256 of the user id.</summary>
    public string Of(string userId) => Analytics.Privacy.PersonHash.Of(_key, userId);
}
