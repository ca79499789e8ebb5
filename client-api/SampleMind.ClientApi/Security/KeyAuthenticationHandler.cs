using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SampleMind.ClientApi.Security;

/// <summary>
/// A scheme that reads one key from the <c>Authorization</c> header and signs the request in when it is one of the
/// configured keys (each compared in constant time). No header is "no result", so the endpoint's policy challenges.
/// </summary>
/// <typeparam name="TGrant">What a key grants (a role, or nothing but ingest).</typeparam>
public abstract class KeyAuthenticationHandler<TGrant>(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IEnumerable<(string Key, TGrant Grant)> keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    private readonly (byte[] Key, TGrant Grant)[] _keys = [.. keys.Select(k => (Encoding.UTF8.GetBytes(k.Key), k.Grant))];

    /// <summary>The key in an <c>Authorization</c> header value, or false with the reason when the value is not this scheme's.</summary>
    protected abstract bool TryReadKey(string header, out byte[] key, out string failure);

    /// <summary>A key the request carries elsewhere than in an <c>Authorization</c> header (none by default).</summary>
    protected virtual bool TryReadKeyWithoutHeader(out byte[] key)
    {
        key = [];
        return false;
    }

    /// <summary>The claims of a request signed in with a key that grants <paramref name="grant"/>.</summary>
    protected abstract IEnumerable<Claim> ClaimsOf(TGrant grant);

    protected sealed override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        byte[] key;
        if (string.IsNullOrEmpty(header))
        {
            if (!TryReadKeyWithoutHeader(out key))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }
        }
        else if (!TryReadKey(header, out key, out var failure))
        {
            return Task.FromResult(AuthenticateResult.Fail(failure));
        }

        if (!TryFind(_keys, key, out var grant))
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown key"));
        }

        var identity = new ClaimsIdentity(ClaimsOf(grant), Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    /// <summary>The grant of <paramref name="key"/> among <paramref name="keys"/>, comparing against every key in constant time.</summary>
    public static bool TryFind(IReadOnlyList<(byte[] Key, TGrant Grant)> keys, ReadOnlySpan<byte> key, out TGrant grant)
    {
        var found = false;
        grant = default!;
        foreach (var (candidate, candidateGrant) in keys)
        {
            // Every key is compared, so the response time does not reveal key prefixes.
            if (CryptographicOperations.FixedTimeEquals(candidate, key))
            {
                (found, grant) = (true, candidateGrant);
            }
        }
        return found;
    }
}
