using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 8, "Must show": every endpoint at every role boundary against a real silo and client-api. Without a key or
/// with an unknown one: 401 ProblemDetails with <c>WWW-Authenticate: Bearer</c>; with a role below the endpoint's: 403
/// ProblemDetails; with its role and every role above: the endpoint's own answer. Write keys open ingest only, bearer
/// keys never open ingest. The table must list exactly the operations of the OpenAPI document.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class ApiRolesProcessTests(BadInputStack stack) : IClassFixture<BadInputStack>
{
    private const string Write = "write";
    private const string Anonymous = "anonymous";

    /// <summary>Method, path, who may call it (a role, the write key, or anyone), the status its caller gets, and a body.</summary>
    public static TheoryData<string, string, string, int, string?> Endpoints { get; } = new()
    {
        { "GET", "/api/users/{id}", "Read", 404, null },
        { "GET", "/api/users/{id}/risk", "Read", 404, null },
        { "GET", "/api/users/{id}/export", "Privacy", 404, null },
        { "DELETE", "/api/users/{id}", "Privacy", 404, null }, // nothing held about role-test: no job
        { "GET", "/api/erasures/{id}", "Privacy", 400, null }, // role-test is no job id
        { "GET", "/api/audit", "Admin", 200, null },
        { "GET", "/api/kpis", "Read", 200, null },
        { "GET", "/api/kpis/weekly", "Read", 200, null },
        { "GET", "/api/models", "Read", 200, null },
        { "GET", "/api/models/{name}/{version}", "Read", 404, null },
        { "POST", "/api/models/churn/{version}/promote", "Admin", 404, null },
        { "GET", "/api/segments", "Read", 200, null },
        { "GET", "/api/risk", "Read", 200, null },
        { "GET", "/api/risk/summary", "Read", 200, null },
        { "GET", "/api/cohorts", "Read", 200, null },
        { "GET", "/api/features", "Read", 200, null },
        { "GET", "/api/features/{feature}", "Read", 404, null },
        { "GET", "/api/revenue/mrr", "Read", 200, null },
        { "GET", "/api/revenue/summary", "Read", 200, null },
        { "GET", "/api/forecasts/mrr", "Read", 422, null }, // no history: ProblemDetails naming the 28 days needed
        { "GET", "/api/forecasts/users", "Read", 422, null },
        { "GET", "/api/funnels/{name}", "Read", 404, null },
        { "GET", "/api/campaigns", "Read", 200, null },
        { "GET", "/api/campaigns/{id}", "Read", 404, null },
        { "POST", "/api/campaigns/{id}/spend", "Growth", 400, """{"amount": -1}""" },
        { "GET", "/api/diagnostics/probe/{key}", "Admin", 200, null },
        { "PUT", "/api/diagnostics/probe/{key}", "Admin", 400, "{}" },
        { "GET", "/api/alerts", "Read", 200, null },
        { "GET", "/api/quality", "Read", 200, null },
        { "POST", "/api/retention-campaigns", "Growth", 400, "{}" },
        { "GET", "/api/retention-campaigns", "Growth", 200, null },
        { "GET", "/api/retention-campaigns/{id}", "Growth", 404, null },
        { "GET", "/api/retention-campaigns/{id}/users", "Growth", 404, null },
        { "GET", "/api/live", "Read", 200, null },
        { "GET", "/api/experiments", "Read", 200, null },
        { "POST", "/api/experiments", "Growth", 400, "{}" },
        { "GET", "/api/experiments/{key}", "Read", 404, null },
        { "GET", "/api/experiments/{key}/assignment", "Read", 400, null },
        { "POST", "/api/experiments/{key}/stop", "Growth", 404, null },
        { "POST", "/webhooks/stripe", Anonymous, 400, """{"id":"evt_unsigned","object":"event"}""" },
        { "GET", "/api/dashboard/config", Anonymous, 200, null },
        { "POST", "/v1/batch", Write, 400, """{"batch":[{"type":"track"}]}""" },
        { "POST", "/v1/track", Write, 400, """{"type":"track"}""" },
        { "POST", "/v1/identify", Write, 400, """{"type":"identify"}""" },
        { "POST", "/v1/page", Write, 400, """{"type":"page"}""" },
        { "POST", "/v1/screen", Write, 400, """{"type":"screen"}""" },
        { "POST", "/v1/group", Write, 400, """{"type":"group"}""" },
        { "POST", "/v1/alias", Write, 400, """{"type":"alias"}""" },
        { "POST", "/v1/b", Write, 400, """{"batch":[{"type":"track"}]}""" },
        { "POST", "/v1/t", Write, 400, """{"type":"track"}""" },
        { "POST", "/v1/i", Write, 400, """{"type":"identify"}""" },
        { "POST", "/v1/p", Write, 400, """{"type":"page"}""" },
        { "POST", "/v1/s", Write, 400, """{"type":"screen"}""" },
        { "POST", "/v1/g", Write, 400, """{"type":"group"}""" },
        { "POST", "/v1/a", Write, 400, """{"type":"alias"}""" },
        { "POST", "/beacon/v1/batch", Write, 400, """{"batch":[{"type":"track"}]}""" },
    };

    /// <summary>Whether a key of role <paramref name="held"/> may call an endpoint for <paramref name="needed"/>: read ⊂ growth ⊂
    /// admin, and privacy = read + the privacy endpoints (issue 17), nothing of growth's.</summary>
    private static bool Admits(string held, string needed) => held switch
    {
        "Admin" => true,
        "Privacy" => needed is "Read" or "Privacy",
        "Growth" => needed is "Read" or "Growth",
        _ => needed == held,
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_AnswersEachCaller_ByRole(string method, string path, string access, int expected, string? body)
    {
        var ct = TestContext.Current.CancellationToken;
        var url = path.Replace("{id}", "role-test", StringComparison.Ordinal).Replace("{key}", "role-test", StringComparison.Ordinal)
            .Replace("{name}", "no-such", StringComparison.Ordinal).Replace("{version}", "0", StringComparison.Ordinal)
            .Replace("{feature}", "no-such", StringComparison.Ordinal);

        // A plain client: exactly the Authorization header of each case, nothing added.
        using var http = new HttpClient { BaseAddress = stack.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        async Task<HttpResponseMessage> SendAsync(AuthenticationHeaderValue? auth)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            request.Headers.Authorization = auth;
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }
            // Headers only: /api/live streams for as long as it is read.
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }

        var callers = new List<(string Caller, AuthenticationHeaderValue? Auth, int Status)>();
        var bearerUnauthorized = access == Write ? 401 : access == Anonymous ? expected : 401;
        callers.Add(("no key", null, access == Anonymous ? expected : 401));
        callers.Add(("unknown bearer key", TestApiKeys.Bearer("not-a-key"), bearerUnauthorized));
        callers.Add(("write key as bearer", TestApiKeys.Bearer(TestApiKeys.Write), bearerUnauthorized));
        callers.Add(("unknown write key", TestApiKeys.Basic("not-a-key"), access == Anonymous ? expected : 401));
        callers.Add(("write key", TestApiKeys.Basic(TestApiKeys.Write), access is Write or Anonymous ? expected : 401));
        foreach (var (key, role) in TestApiKeys.Roles)
        {
            var status = access switch
            {
                Anonymous => expected,
                Write => 401,
                _ => Admits(role, access) ? expected : 403,
            };
            callers.Add(($"{role} key", TestApiKeys.Bearer(key), status));
        }

        var failures = new List<string>();
        foreach (var (caller, auth, status) in callers)
        {
            using var response = await SendAsync(auth);
            var problem = await DescribeAsync(response, status, ct);
            if (problem is not null)
            {
                failures.Add($"{method} {url} as {caller}: {problem}");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task TheTable_ListsEveryOperationOfTheOpenApiDocument()
    {
        var document = JsonNode.Parse(await stack.Http.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var documented = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .Where(o => !o.Contains("/health/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var tested = Endpoints.Select(row => $"{row.Data.Item1} {row.Data.Item2}").Order(StringComparer.Ordinal);
        Assert.Equal(tested, documented);
    }

    /// <summary>null when the response is what the caller should get; otherwise what was wrong.</summary>
    private static async Task<string?> DescribeAsync(HttpResponseMessage response, int expected, CancellationToken ct)
    {
        if ((int)response.StatusCode != expected)
        {
            var text = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "(event stream)" : await response.Content.ReadAsStringAsync(ct);
            return $"expected {expected}, got {(int)response.StatusCode} {text}";
        }
        if (expected is 401 or 403)
        {
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return $"{expected} without ProblemDetails ({response.Content.Headers.ContentType})";
            }
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (problem.RootElement.GetProperty("status").GetInt32() != expected)
            {
                return $"ProblemDetails status {problem.RootElement.GetProperty("status")}";
            }
            if (expected == 401 && response.Headers.WwwAuthenticate.Count == 0)
            {
                return "401 without WWW-Authenticate";
            }
        }
        return null;
    }
}
