using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Privacy;

namespace SampleMind.UnitTests.Privacy;

public sealed class PiiProtectorTests
{
    private const string Key = "a-test-pii-key-of-enough-length";

    private static readonly DateTimeOffset ReceivedAt = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The event as ingest stores it without protection: the reader's normalised JSON.</summary>
    private static string Normalised(string body) => SegmentBatchReader.Read(System.Text.Encoding.UTF8.GetBytes(body), SegmentEndpoint.Batch, ReceivedAt).Events.Single().Json;

    private static readonly string Identify = Normalised("""
        {"batch":[{"type":"identify","userId":"u1","messageId":"m1","timestamp":"2026-12-01T10:00:00Z",
          "traits":{"Email":"ada@example.com","name":"Ada Lovelace","plan":"pro","phone":4420794600,"address":{"street":"12 Zq Crescent","city":"London"},"created_at":"2026-11-01T00:00:00Z"},
          "context":{"ip":"198.51.100.73","traits":{"last_name":"Lovelace","tier":"gold"},"library":{"name":"analytics.js","version":"2.0"}}}]}
        """);

    [Fact]
    public void Encrypt_ReplacesEveryPiiValue_LeavesTheRest_AndRevealsItAsSent()
    {
        var pii = new PiiProtector(PiiAtRest.Encrypt, Key);
        var stored = JsonNode.Parse(pii.Protect(Identify))!;
        var original = JsonNode.Parse(Identify)!;

        foreach (var (parent, field) in new[] { ("traits", "Email"), ("traits", "name"), ("traits", "phone"), ("traits", "address"), ("context", "ip") })
        {
            Assert.StartsWith(PiiProtector.EncryptedPrefix, (string)stored[parent]![field]!, StringComparison.Ordinal);
        }
        Assert.StartsWith(PiiProtector.EncryptedPrefix, (string)stored["context"]!["traits"]!["last_name"]!, StringComparison.Ordinal);
        // Not PII: as sent, and the library's name (not a trait) too.
        Assert.Equal("pro", (string?)stored["traits"]!["plan"]);
        Assert.Equal("2026-11-01T00:00:00Z", (string?)stored["traits"]!["created_at"]);
        Assert.Equal("gold", (string?)stored["context"]!["traits"]!["tier"]);
        Assert.Equal("analytics.js", (string?)stored["context"]!["library"]!["name"]);
        foreach (var plain in new[] { "ada@example.com", "Ada Lovelace", "4420794600", "Zq Crescent", "198.51.100.73", "\"Lovelace\"" })
        {
            Assert.DoesNotContain(plain, stored.ToJsonString(), StringComparison.Ordinal);
        }

        Assert.True(JsonNode.DeepEquals(original, JsonNode.Parse(pii.RevealEvent(stored.ToJsonString()))));
        // As the user model reads a trait: a string's text, a number's digits.
        Assert.Equal("ada@example.com", pii.Reveal("Email", (string)stored["traits"]!["Email"]!));
        Assert.Equal("4420794600", pii.Reveal("phone", (string)stored["traits"]!["phone"]!));
        Assert.Equal("pro", pii.Reveal("plan", "pro"));
    }

    [Fact]
    public void Protect_IsIdempotent_AndEncryptsTheSameValueDifferentlyEachTime()
    {
        var pii = new PiiProtector(PiiAtRest.Encrypt, Key);
        var once = pii.Protect(Identify);
        Assert.Same(once, pii.Protect(once)); // nothing left to protect: the very same string
        var twice = pii.Protect(Identify);
        Assert.NotEqual((string?)JsonNode.Parse(once)!["traits"]!["Email"], (string?)JsonNode.Parse(twice)!["traits"]!["Email"]);
    }

    [Fact]
    public void AnEventWithoutPii_AGroupsTraits_AndPlainMode_AreStoredAsSent()
    {
        var pii = new PiiProtector(PiiAtRest.Encrypt, Key);
        var track = Normalised("""{"batch":[{"type":"track","userId":"u1","messageId":"m2","event":"analysis_completed","properties":{"model":"m"}}]}""");
        Assert.Same(track, pii.Protect(track));
        var sdkTrack = Normalised("""{"batch":[{"type":"track","userId":"u1","messageId":"m4","event":"feature_used","properties":{"name":"mixer"},"context":{"library":{"name":"analytics.js","version":"2.0"},"page":{"name":"Editor","path":"/editor"}}}]}""");
        Assert.Same(sdkTrack, pii.Protect(sdkTrack));
        // The context's traits on a track are protected all the same.
        var withContextTraits = Normalised("""{"batch":[{"type":"track","userId":"u1","messageId":"m5","event":"feature_used","context":{"traits":{"email":"ada@example.com"}}}]}""");
        Assert.StartsWith(PiiProtector.EncryptedPrefix, (string)JsonNode.Parse(pii.Protect(withContextTraits))!["context"]!["traits"]!["email"]!, StringComparison.Ordinal);
        var group = Normalised("""{"batch":[{"type":"group","userId":"u1","groupId":"g1","messageId":"m3","traits":{"name":"Quimby Audio","employees":12}}]}""");
        Assert.Same(group, pii.Protect(group));
        Assert.Same(Identify, PiiProtector.Plain.Protect(Identify));
    }

    [Fact]
    public void Hash_IsKeyedAndStable_AndCannotBeReadBack()
    {
        var a = new PiiProtector(PiiAtRest.Hash, Key);
        var b = new PiiProtector(PiiAtRest.Hash, Key + "-other");
        string EmailOf(PiiProtector p) => (string)JsonNode.Parse(p.Protect(Identify))!["traits"]!["Email"]!;

        Assert.StartsWith(PiiProtector.HashedPrefix, EmailOf(a), StringComparison.Ordinal);
        Assert.Equal(EmailOf(a), EmailOf(a)); // equal values stay equal: counts and joins over them still work
        Assert.NotEqual(EmailOf(a), EmailOf(b));
        Assert.Equal(EmailOf(a), a.Reveal("Email", EmailOf(a)));
        Assert.Null(a.RevealJson("Email", EmailOf(a)));
    }

    [Fact]
    public void ACiphertextOfAnotherKey_ATamperedOne_OrOneMovedToAnotherField_DoesNotDecrypt()
    {
        var pii = new PiiProtector(PiiAtRest.Encrypt, Key);
        var email = (string)JsonNode.Parse(pii.Protect(Identify))!["traits"]!["Email"]!;
        Assert.Throws<AuthenticationTagMismatchException>(() => new PiiProtector(PiiAtRest.Encrypt, Key + "-other").Reveal("Email", email));
        Assert.Throws<AuthenticationTagMismatchException>(() => pii.Reveal("name", email));
        var tampered = email[..^3] + (email[^3] == 'A' ? 'B' : 'A') + email[^2..];
        Assert.ThrowsAny<CryptographicException>(() => pii.Reveal("Email", tampered));
        Assert.Equal("ada@example.com", pii.Reveal("email", email)); // field names compare case-insensitively
    }

    [Fact]
    public void AKeyShorterThan16Characters_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new PiiProtector(PiiAtRest.Encrypt, "short"));
        Assert.StartsWith("Privacy:PiiKey must hold at least 16 characters", error.Message, StringComparison.Ordinal);
    }
}
