using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 5, "Must show" (bad input) against a real silo and client-api: a negative, zero, non-numeric or missing spend
/// is a 400 ValidationProblem and records nothing; an unknown campaign or funnel is a 404 ProblemDetails.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CampaignFunnelApiProcessTests(BadInputStack stack) : IClassFixture<BadInputStack>
{
    [Theory]
    [InlineData("negative", """{"amount": -5}""", "amount")]
    [InlineData("zero", """{"amount": 0}""", "amount")]
    [InlineData("string", """{"amount": "12.5"}""", "amount")]
    [InlineData("text", """{"amount": "lots"}""", "amount")]
    [InlineData("missing", """{"date": "2026-11-01"}""", "amount")]
    [InlineData("null", """{"amount": null}""", "amount")]
    [InlineData("bad-date", """{"amount": 10, "date": "01/11/2026"}""", "date")]
    [InlineData("not-json", """{"amount": 10""", "body")]
    [InlineData("array", """[10]""", "body")]
    public async Task BadSpend_Is400ValidationProblem_AndRecordsNothing(string name, string body, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var id = $"bad-spend-{name}";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await stack.Http.PostAsync($"/api/campaigns/{id}/spend", content, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), problem.RootElement.ToString());

        using var get = await stack.Http.GetAsync($"/api/campaigns/{id}", ct);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        var list = await stack.Http.GetFromJsonAsync<JsonElement>("/api/campaigns", ct);
        Assert.DoesNotContain(list.EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Spend_WithTheSameIdempotencyKey_CountsOnce_AndIsListed()
    {
        var ct = TestContext.Current.CancellationToken;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/campaigns/api-spend/spend")
            {
                Content = new StringContent("""{"amount": 1234.5, "date": "2026-11-01"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", "retry-1");
            using var response = await stack.Http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var other = new StringContent("""{"amount": 0.5}""", Encoding.UTF8, "application/json"))
        {
            using var response = await stack.Http.PostAsync("/api/campaigns/api-spend/spend", other, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var campaign = await stack.Http.GetFromJsonAsync<JsonElement>("/api/campaigns/api-spend", ct);
        Assert.Equal(1235m, campaign.GetProperty("spend").GetDecimal());
        Assert.Equal(0, campaign.GetProperty("conversions").GetInt32());
        Assert.Equal(JsonValueKind.Null, campaign.GetProperty("cac").ValueKind);
        var list = await stack.Http.GetFromJsonAsync<JsonElement>("/api/campaigns", ct);
        Assert.Contains(list.EnumerateArray(), c => c.GetProperty("id").GetString() == "api-spend");
    }

    [Theory]
    [InlineData("/api/campaigns/no-such-campaign", "Campaign not found")]
    [InlineData("/api/funnels/no-such-funnel", "Funnel not found")]
    [InlineData("/api/funnels/Activation", "Funnel not found")]
    public async Task Unknown_Is404ProblemDetails(string path, string title)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await stack.Http.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal(title, problem.RootElement.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("activation", "signup_started", "second_session")]
    [InlineData("monetization", "free_user", "subscription_renewed")]
    public async Task KnownFunnel_ListsItsSteps(string name, string first, string last)
    {
        var funnel = await stack.Http.GetFromJsonAsync<JsonElement>($"/api/funnels/{name}", TestContext.Current.CancellationToken);

        var steps = funnel.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetString()).ToArray();
        Assert.Equal(5, steps.Length);
        Assert.Equal((first, last), (steps[0], steps[^1]));
    }
}
