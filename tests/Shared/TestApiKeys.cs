using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace SampleMind.Testing;

/// <summary>
/// The keys the tests give client-api (the local stack's names; production has none by default) and HTTP clients
/// that send them: a bearer key on <c>/api/*</c> and the write key on <c>/v1/*</c> when a request carries no
/// Authorization header of its own.
/// </summary>
public static class TestApiKeys
{
    public const string Write = "dev-write-key";
    public const string Read = "dev-read-key";
    public const string Growth = "dev-growth-key";
    public const string Admin = "dev-admin-key";
    public const string Privacy = "dev-privacy-key";

    /// <summary>The bearer keys and their roles (the names of the client-api's ApiRole values).</summary>
    public static IReadOnlyList<(string Key, string Role)> Roles { get; } = [(Read, "Read"), (Growth, "Growth"), (Admin, "Admin"), (Privacy, "Privacy")];

    /// <summary>client-api's environment variables for the write key and the four bearer keys.</summary>
    public static Dictionary<string, string?> ClientApiEnvironment()
        => Settings().ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

    /// <summary>The same as configuration keys (Section:Key), for an in-process host.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new("Ingest:WriteKeys:0", Write);
        for (var i = 0; i < Roles.Count; i++)
        {
            yield return new(string.Create(CultureInfo.InvariantCulture, $"Auth:ApiKeys:{i}:Key"), Roles[i].Key);
            yield return new(string.Create(CultureInfo.InvariantCulture, $"Auth:ApiKeys:{i}:Role"), Roles[i].Role);
        }
    }

    public static AuthenticationHeaderValue Bearer(string key) => new("Bearer", key);

    public static AuthenticationHeaderValue Basic(string writeKey) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{writeKey}:")));

    /// <summary>
    /// A client that adds <c>Bearer <paramref name="bearer"/></c> to <c>/api/*</c> requests and, when
    /// <paramref name="writeKeyOnIngest"/>, the write key to <c>/v1/*</c> requests without an Authorization header.
    /// </summary>
    public static HttpClient Client(Uri baseAddress, TimeSpan timeout, string bearer = Admin, bool writeKeyOnIngest = true)
        => new(new KeyHandler(bearer, writeKeyOnIngest) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = baseAddress,
            Timeout = timeout,
        };

    private sealed class KeyHandler(string bearer, bool writeKeyOnIngest) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri?.IsAbsoluteUri == true ? request.RequestUri.AbsolutePath : request.RequestUri?.OriginalString ?? "";
            if (request.Headers.Authorization is null)
            {
                if (path.StartsWith("/api/", StringComparison.Ordinal))
                {
                    request.Headers.Authorization = Bearer(bearer);
                }
                else if (writeKeyOnIngest && path.StartsWith("/v1/", StringComparison.Ordinal))
                {
                    request.Headers.Authorization = Basic(Write);
                }
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
