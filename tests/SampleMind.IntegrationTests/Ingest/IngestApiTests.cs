using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Apis;
using SampleMind.ClientApi.Hosting;
using SampleMind.ClientApi.Ingest;

namespace SampleMind.IntegrationTests.Ingest;

/// <summary>The /v1/* endpoints over real HTTP (Kestrel on loopback), with user grains faked.</summary>
public sealed class IngestApiFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public FakeClusterClient Cluster { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public static WebApplication Build(IEnumerable<KeyValuePair<string, string?>> settings, IClusterClient cluster)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        // Only these settings: the client-api's appsettings.json (copied beside the tests) must not add keys.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.Append(new("urls", "http://127.0.0.1:0")));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddIngest();
        builder.Services.AddSingleton(cluster);
        var app = builder.Build();
        app.MapIngestApi();
        return app;
    }

    public async ValueTask InitializeAsync()
    {
        var (client, fake) = FakeClusterClient.Create();
        Cluster = fake;
        _app = Build(
            [new("Ingest:WriteKeys:0", "dev-write-key"), new("Ingest:WriteKeys:1", "rotated-key")],
            client);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class IngestApiCollection : ICollectionFixture<IngestApiFixture>
{
    public const string Name = "ingest-api";
}

[Collection(IngestApiCollection.Name)]
public sealed class IngestApiTests
{
    private readonly IngestApiFixture _fixture;

    public IngestApiTests(IngestApiFixture fixture)
    {
        _fixture = fixture;
        _fixture.Cluster.Reset();
    }

    private static string Track(string messageId, string userId, string eventName = "login") =>
        $$"""{"type":"track","messageId":"{{messageId}}","userId":"{{userId}}","event":"{{eventName}}"}""";

    private static AuthenticationHeaderValue Basic(string user, string password = "") =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> PostAsync(string path, HttpContent content, AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Authorization = auth ?? Basic("dev-write-key");
        return await _fixture.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json, AuthenticationHeaderValue? auth = null) =>
        PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), auth);

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var problem = JsonDocument.Parse(json).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    [Fact]
    public async Task Batch_IsAnswered200Success_OnlyAfterEveryUsersGrainHasItsEvents()
    {
        var body = $$"""{"batch":[{{Track("m1", "u1")}},{{Track("m2", "u2", "feature_used")}},{{Track("m3", "u1", "logout")}}]}""";

        using var response = await PostAsync("/v1/batch", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"success":true}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(2, _fixture.Cluster.Calls);
        Assert.Equal(["m1", "m3"], _fixture.Cluster.Received["u1"].Select(e => e.MessageId));
        Assert.Equal(["feature_used"], _fixture.Cluster.Received["u2"].Select(e => e.Name));
        var stored = _fixture.Cluster.Received["u1"].First();
        Assert.Equal("track", stored.Type);
        Assert.Equal("u1", JsonDocument.Parse(stored.Json).RootElement.GetProperty("userId").GetString());
    }

    [Theory]
    [InlineData("track", "track")]
    [InlineData("identify", "identify")]
    [InlineData("page", "page")]
    [InlineData("screen", "screen")]
    [InlineData("group", "group")]
    [InlineData("alias", "alias")]
    public async Task SingleEndpoint_StoresOneEvent_OfThePathsType(string path, string type)
    {
        using var response = await PostAsync($"/v1/{path}",
            """{"messageId":"s1","userId":"u9","event":"login","groupId":"g1","previousId":"a1"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, Assert.Single(_fixture.Cluster.Received["u9"]).Type);
    }

    [Fact]
    public async Task RotatedSecondWriteKey_IsAccepted()
    {
        using var response = await PostAsync("/v1/track", Track("k1", "u1"), Basic("rotated-key"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task BasicPassword_IsIgnored_AsSegmentDoes()
    {
        using var response = await PostAsync("/v1/track", Track("k2", "u1"), Basic("dev-write-key", "whatever"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("")]
    [InlineData(null)]
    public async Task UnknownOrMissingWriteKey_Is401_WithAWwwAuthenticateChallenge(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch")
        {
            Content = new StringContent($$"""{"batch":[{{Track("m1", "u1")}}]}""", Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = Basic(key);
        }

        using var response = await _fixture.Http.SendAsync(request, TestContext.Current.CancellationToken);

        await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(0, _fixture.Cluster.Calls);
    }

    [Fact]
    public async Task BearerToken_IsNotAWriteKey()
    {
        using var response = await PostAsync("/v1/track", Track("m1", "u1"), new AuthenticationHeaderValue("Bearer", "dev-write-key"));

        await ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task InvalidBatch_Is400ValidationProblem_NamingEveryBadIndex_AndNothingIsStored()
    {
        var body = $$"""{"batch":[{{Track("m1", "u1")}},{"type":"track","userId":"u1","event":"x"},{"type":"track","messageId":"m3","event":"x"}]}""";

        using var response = await PostAsync("/v1/batch", body);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["is required"], problem.GetProperty("errors").GetProperty("batch[1].messageId").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["userId or anonymousId is required"], problem.GetProperty("errors").GetProperty("batch[2].userId").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([1, 2], problem.GetProperty("invalidIndexes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("Invalid events at index 1, 2; nothing was stored.", problem.GetProperty("detail").GetString());
        Assert.Equal(0, _fixture.Cluster.Calls);
    }

    [Theory]
    [InlineData("{not json", "NotJson")]
    [InlineData("[1,2]", "NotABatch")]
    public async Task MalformedBody_Is400ValidationProblem_NamingTheProblem(string body, string kind)
    {
        using var response = await PostAsync("/v1/batch", body);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(kind, problem.GetProperty("problem").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("body", out _));
    }

    [Fact]
    public async Task InvalidUtf8_Is400()
    {
        var bytes = Encoding.UTF8.GetBytes($$"""{"batch":[{{Track("m1", "u1")}}]}""");
        bytes[30] = 0xFF;

        using var response = await PostAsync("/v1/batch", new ByteArrayContent(bytes));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("InvalidUtf8", problem.GetProperty("problem").GetString());
    }

    [Fact]
    public async Task BodyOver500KB_Is413_ByContentLength()
    {
        var body = $$"""{"batch":[{{Track("m1", "u1")}}]}""" + new string(' ', 512_000);

        using var response = await PostAsync("/v1/batch", body);

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, _fixture.Cluster.Calls);
    }

    [Fact]
    public async Task ChunkedBodyOver500KB_Is413_WithoutAContentLength()
    {
        var bytes = Encoding.UTF8.GetBytes($$"""{"batch":[{{Track("m1", "u1")}}]}""" + new string(' ', 600_000));
        var content = new StreamContent(new MemoryStream(bytes));
        content.Headers.ContentLength = null;

        using var response = await PostAsync("/v1/batch", content);

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task GzippedBody_IsAccepted_AsRudderStackSendsIt()
    {
        using var response = await PostAsync("/v1/batch", Gzip($$"""{"batch":[{{Track("g1", "u1")}}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("g1", Assert.Single(_fixture.Cluster.Received["u1"]).MessageId);
    }

    [Fact]
    public async Task GzippedBody_ThatInflatesBeyond500KB_Is413()
    {
        using var response = await PostAsync("/v1/batch", Gzip($$"""{"batch":[{{Track("g1", "u1")}}]}""" + new string(' ', 5_000_000)));

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task CorruptGzip_Is400()
    {
        var content = new ByteArrayContent([0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02, 0x03]);
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await PostAsync("/v1/batch", content);

        await ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnyFailingGrainCall_Is503_AfterEveryUsersCallWasMade()
    {
        _fixture.Cluster.FailingUsers["u2"] = true;
        var body = $$"""{"batch":[{{Track("m1", "u1")}},{{Track("m2", "u2")}},{{Track("m3", "u3")}}]}""";

        using var response = await PostAsync("/v1/batch", body);

        var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("same messageIds", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.Equal(3, _fixture.Cluster.Calls);
        Assert.Equal(["u1", "u3"], _fixture.Cluster.Received.Keys.Order());
    }

    [Fact]
    public async Task EmptyWriteKeys_FailValidationAtStart()
    {
        var (client, _) = FakeClusterClient.Create();
        await using var app = IngestApiFixture.Build([new("Ingest:MaxConcurrentGrainCalls", "4")], client);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Ingest:WriteKeys needs at least one write key.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapIngestApi_Throws_WhenAddIngestWasNotCalled()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapIngestApi());

        Assert.Contains("AddIngest", error.Message, StringComparison.Ordinal);
    }

    private static ByteArrayContent Gzip(string json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        return content;
    }
}
