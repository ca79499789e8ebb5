using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SampleMind.IntegrationTests.Cli;
using SampleMind.IntegrationTests.Infrastructure;
using SampleMind.IntegrationTests.Processes;

namespace SampleMind.IntegrationTests.Churn;

/// <summary>
/// Issue 6, "Must show", against a real silo and client-api: before any model exists the rule-based score answers;
/// train-churn registers a version; promoting it changes the live scores (same shape, modelVersion churn@1) with no
/// restart, the 360° view shows the segment in 30 days, and /api/models carries the version's metrics.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ChurnPromotionProcessTests
{
    private static readonly string[] s_users = ["u71-000003", "u71-000010", "u71-000042", "u71-000100", "u71-000250"];

    [Fact]
    public async Task PromotingATrainedVersion_ChangesLiveScores_WithoutARestart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        await SimulatedEventLog.InsertAsync(cluster.Database.DataSource, users: 800, days: 75, seed: 71, ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var api = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), api.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = TestApiKeys.Client(api.BaseAddress, TimeSpan.FromSeconds(30));

        var before = new Dictionary<string, JsonElement>();
        foreach (var user in s_users)
        {
            before[user] = await http.GetFromJsonAsync<JsonElement>($"/api/users/{user}/risk", ct);
            Assert.Equal("rules@1", before[user].GetProperty("modelVersion").GetString());
        }
        var view = await http.GetFromJsonAsync<JsonElement>($"/api/users/{s_users[0]}", ct);
        Assert.Equal(JsonValueKind.Null, view.GetProperty("segmentIn30Days").ValueKind);

        var trained = await DbCommandTests.RunAsync(cluster.Database.ConnectionString, "train-churn", "--json");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        using var metrics = JsonDocument.Parse(trained.Stdout);
        Assert.Equal(1, metrics.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(10, metrics.RootElement.GetProperty("calibration").GetArrayLength());
        var auc = metrics.RootElement.GetProperty("auc").GetDouble();

        using (var unknown = await http.PostAsync("/api/models/churn/2/promote", null, ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal("rules@1", (await http.GetFromJsonAsync<JsonElement>($"/api/users/{s_users[0]}/risk", ct)).GetProperty("modelVersion").GetString());

        using (var promote = await http.PostAsync("/api/models/churn/1/promote", null, ct))
        {
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
            Assert.Equal("churn@1", (await promote.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("modelVersion").GetString());
        }

        var after = new Dictionary<string, JsonElement>();
        foreach (var user in s_users)
        {
            after[user] = await Eventually.GetAsync(() => http.GetFromJsonAsync<JsonElement>($"/api/users/{user}/risk", ct),
                r => r.GetProperty("modelVersion").GetString() == "churn@1", TimeSpan.FromSeconds(30));
            Assert.Equal("churn@1", after[user].GetProperty("modelVersion").GetString());
            // The same shape as the rule-based answer.
            Assert.Equal(Names(before[user]), Names(after[user]));
            Assert.InRange(after[user].GetProperty("factors").GetArrayLength(), 0, 3);
        }
        Assert.Contains(s_users, u => after[u].GetProperty("score").GetDouble() != before[u].GetProperty("score").GetDouble());

        // The user index follows the promotion without new events: the rows (written when the grains replayed their log
        // at activation, under rules@1) are all re-scored by churn@1.
        var indexed = await Eventually.GetAsync(() => http.GetFromJsonAsync<JsonElement>("/api/risk?limit=1000", ct),
            page => page.GetProperty("items").EnumerateArray().All(i => i.GetProperty("modelVersion").GetString() == "churn@1"),
            TimeSpan.FromSeconds(60));
        var items = indexed.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(s_users.Order(StringComparer.Ordinal), items.Select(i => i.GetProperty("userId").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(items, i => Assert.Equal("churn@1", i.GetProperty("modelVersion").GetString()));
        Assert.False(silo.HasExited);

        view = await http.GetFromJsonAsync<JsonElement>($"/api/users/{s_users[0]}", ct);
        Assert.Equal("churn@1", view.GetProperty("segmentIn30Days").GetProperty("modelVersion").GetString());
        Assert.Equal("churn@1", view.GetProperty("risk").GetProperty("modelVersion").GetString());

        // The row appears with the first flushed requests; its training comes with the refresher's next poll: wait for both.
        var row = await Eventually.GetAsync(() => GetOrNullAsync(http, "/api/models/churn/1", ct),
            r => r is { } found && found.GetProperty("training").ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(30));
        Assert.True(row.HasValue, silo.Describe());
        Assert.Equal(auc, row.Value.GetProperty("training").GetProperty("auc").GetDouble());
        Assert.Equal(10, row.Value.GetProperty("training").GetProperty("calibration").GetArrayLength());
        // Issue 19.2: the version's global feature importance (FastTree gain), as train-churn reported it, and its other metrics.
        var training = row.Value.GetProperty("training");
        static (string, double)[] Weights(JsonElement list) =>
            list.EnumerateArray().Select(f => (f.GetProperty("feature").GetString()!, f.GetProperty("importance").GetDouble())).ToArray();
        Assert.Equal(Weights(metrics.RootElement.GetProperty("featureImportance")), Weights(training.GetProperty("featureImportance")));
        Assert.Equal(33, training.GetProperty("featureImportance").GetArrayLength());
        Assert.Equal(metrics.RootElement.GetProperty("featureImportanceMethod").GetString(), training.GetProperty("featureImportanceMethod").GetString());
        Assert.Equal(metrics.RootElement.GetProperty("ece").GetDouble(), training.GetProperty("ece").GetDouble());
        Assert.Equal(metrics.RootElement.GetProperty("brier").GetDouble(), training.GetProperty("brier").GetDouble());
        Assert.False(training.GetProperty("outOfTime").GetBoolean()); // 75 days: too short for out-of-time, and it says so
    }

    private static string[] Names(JsonElement e) => e.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();

    private static async Task<JsonElement?> GetOrNullAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>(ct) : null;
    }
}
