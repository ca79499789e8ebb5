using System.Net.Http.Json;
using System.Text.Json;
using SampleMind.ClientApi.Privacy;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.IntegrationTests.Privacy;

/// <summary>
/// GET /api/users/{id} over real HTTP and a real user grain: the PII traits (email, name, phone, address, ip) and the
/// profile's email are masked for read and growth keys, shown to admin and privacy keys; other traits stay.
/// </summary>
public sealed class PiiMaskingTests(SmallGroupThresholdTests.Host host) : IClassFixture<SmallGroupThresholdTests.Host>
{
    public const string Person = "pii-person";

    public static readonly Dictionary<string, string> Traits = new()
    {
        ["email"] = "zq-masking-7731@example.org",
        ["name"] = "Zoltan Quimby",
        ["phone"] = "+44 20 7946 0771",
        ["address"] = "17 Quimby Lane, Leeds",
        ["ip"] = "203.0.113.77",
        ["plan"] = "pro",
        ["company"] = "Quimby Audio",
    };

    [Theory]
    [InlineData(TestApiKeys.Admin)]
    [InlineData(TestApiKeys.Privacy)]
    public async Task AdminAndPrivacyKeys_SeePii(string key)
    {
        var view = await GetAsync(key);
        Assert.Equal(Traits.OrderBy(t => t.Key, StringComparer.Ordinal), view.Traits.Where(t => Traits.ContainsKey(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal));
        Assert.Equal(Traits["email"], view.Profile.Email);
    }

    [Theory]
    [InlineData(TestApiKeys.Read)]
    [InlineData(TestApiKeys.Growth)]
    public async Task ReadAndGrowthKeys_SeePiiMasked_AndEverythingElseAsAdminDoes(string key)
    {
        var admin = await GetAsync(TestApiKeys.Admin);
        var view = await GetAsync(key);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["email"] = PiiMasking.Mask, ["name"] = PiiMasking.Mask, ["phone"] = PiiMasking.Mask, ["address"] = PiiMasking.Mask,
                ["ip"] = PiiMasking.Mask, ["plan"] = "pro", ["company"] = "Quimby Audio",
            }.OrderBy(t => t.Key, StringComparer.Ordinal),
            view.Traits.Where(t => Traits.ContainsKey(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal));
        Assert.Equal(PiiMasking.Mask, view.Profile.Email);
        var expected = admin with
        {
            Traits = admin.Traits.ToDictionary(t => t.Key, t => Traits.ContainsKey(t.Key) && t.Key is not "plan" and not "company" ? PiiMasking.Mask : t.Value),
            Profile = admin.Profile with { Email = PiiMasking.Mask },
            // Read a moment later: the churn features (days since the last login…) and the score built on them move
            // with the clock, not with the key's role; they are compared by what does not move.
            AsOf = view.AsOf,
            ChurnFeatures = view.ChurnFeatures,
            Risk = view.Risk,
        };
        Assert.Equal((admin.Risk.Segment, admin.Risk.ModelVersion, admin.Risk.Ltv, admin.Risk.Factors.Length),
            (view.Risk.Segment, view.Risk.ModelVersion, view.Risk.Ltv, view.Risk.Factors.Length));
        Assert.Equal(JsonSerializer.Serialize(expected, JsonSerializerOptions.Web), JsonSerializer.Serialize(view, JsonSerializerOptions.Web));
        foreach (var value in Traits.Where(t => t.Key is not "plan" and not "company").Select(t => t.Value))
        {
            Assert.DoesNotContain(value, JsonSerializer.Serialize(view, JsonSerializerOptions.Web), StringComparison.Ordinal);
        }
    }

    private async Task<UserView> GetAsync(string key)
    {
        using var http = TestApiKeys.Client(host.Address, TimeSpan.FromSeconds(30), key);
        return (await http.GetFromJsonAsync<UserView>($"/api/users/{Person}", JsonSerializerOptions.Web, TestContext.Current.CancellationToken))!;
    }
}
