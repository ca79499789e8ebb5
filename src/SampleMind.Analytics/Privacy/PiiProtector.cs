using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SampleMind.Analytics.Privacy;

/// <summary>How personal data is stored (<c>Privacy:PiiAtRest</c>).</summary>
public enum PiiAtRest
{
    /// <summary>Encrypted (AES-256-GCM under a key derived from <c>Privacy:PiiKey</c>): admin and privacy keys read it back.</summary>
    Encrypt,

    /// <summary>Replaced by a keyed hash (HMAC-SHA256): equal values stay equal, nobody reads them back.</summary>
    Hash,

    /// <summary>Stored as sent.</summary>
    Plain,
}

/// <summary>
/// Pseudonymisation of personal data before it is stored (issue 17.5): in a normalised event the values of the traits
/// classified as PII (<see cref="TraitKeys"/>, in <c>traits</c> — but a group's traits, which describe the company — and
/// <c>context.traits</c>) and <c>context.ip</c> become <c>"pii:v1:…"</c> (encrypted; the field name is bound to the
/// ciphertext as associated data, so a value moved to another field does not decrypt) or <c>"pii-hash:…"</c>. Everything
/// downstream (the event log, the user grain and its snapshot, the index) then only ever holds the protected form;
/// <see cref="Reveal"/> turns it back at the API edge for the keys allowed to see it.
/// </summary>
public sealed class PiiProtector
{
    public const string EncryptedPrefix = "pii:v1:";

    /// <summary>
    /// The key every host uses when <c>Privacy:PiiKey</c> is not set. It is public (it is in this source), so it keeps
    /// PII out of plain sight in the tables, backups and logs but is no secret: set your own in production, the same on
    /// client-api, the silos and the CLI, and keep it, or what it encrypted can no longer be read back.
    /// </summary>
    public const string DefaultKey = "samplemind-default-pii-key-change-me";
    public const string HashedPrefix = "pii-hash:";

    /// <summary>The trait keys classified as PII (case-insensitive): contact, identity, address and network details.</summary>
    public static readonly IReadOnlySet<string> TraitKeys = new HashSet<string>(
        ["email", "name", "first_name", "firstName", "last_name", "lastName", "phone", "address", "ip"], StringComparer.OrdinalIgnoreCase);

    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const int NonceBytes = 12, TagBytes = 16;

    private readonly byte[] _encryptionKey;
    private readonly byte[] _hashKey;

    public PiiProtector(PiiAtRest mode, string key)
    {
        if (mode != PiiAtRest.Plain && (key is null || key.Length < 16))
        {
            throw new ArgumentException("Privacy:PiiKey must hold at least 16 characters", nameof(key));
        }
        Mode = mode;
        var secret = Encoding.UTF8.GetBytes(key ?? "");
        _encryptionKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "samplemind pii encryption v1"u8.ToArray());
        _hashKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "samplemind pii hash v1"u8.ToArray());
    }

    /// <summary>Stores everything as sent.</summary>
    public static PiiProtector Plain { get; } = new(PiiAtRest.Plain, "");

    public PiiAtRest Mode { get; }

    /// <summary>
    /// The protector the environment configures (<c>Privacy__PiiAtRest</c>, <c>Privacy__PiiKey</c>), for processes
    /// without a configuration file (the CLI); the hosts bind the same keys from their configuration.
    /// </summary>
    public static PiiProtector FromEnvironment()
    {
        var mode = Environment.GetEnvironmentVariable("Privacy__PiiAtRest") is { Length: > 0 } text
            ? Enum.TryParse<PiiAtRest>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new ArgumentException($"Privacy__PiiAtRest is '{text}'; expected Encrypt, Hash or Plain")
            : PiiAtRest.Encrypt;
        return new PiiProtector(mode, Environment.GetEnvironmentVariable("Privacy__PiiKey") is { Length: > 0 } key ? key : DefaultKey);
    }

    /// <summary>Whether <paramref name="value"/> is a protected form (encrypted or hashed).</summary>
    public static bool IsProtected(string? value)
        => value is not null && (value.StartsWith(EncryptedPrefix, StringComparison.Ordinal) || value.StartsWith(HashedPrefix, StringComparison.Ordinal));

    /// <summary>The normalised event <paramref name="json"/> with its personal data protected; the same string when it holds none.</summary>
    public string Protect(string json)
    {
        if (Mode == PiiAtRest.Plain || !MayHold(json))
        {
            return json;
        }
        if (JsonNode.Parse(json) is not JsonObject root)
        {
            return json;
        }
        var changed = false;
        if (root["type"]?.GetValueKind() == JsonValueKind.String && root["type"]!.GetValue<string>() != "group" && root["traits"] is JsonObject traits)
        {
            changed |= ProtectFields(traits, TraitKeys);
        }
        if (root["context"] is JsonObject context)
        {
            if (context["traits"] is JsonObject contextTraits)
            {
                changed |= ProtectFields(contextTraits, TraitKeys);
            }
            changed |= ProtectFields(context, IpOnly);
        }
        return changed ? root.ToJsonString(WriteOptions) : json;
    }

    /// <summary>
    /// The value as sent, as its JSON text (<c>"a@b.example"</c>, <c>42</c>, an object), of a protected
    /// <paramref name="value"/> stored under <paramref name="field"/>; null when it is not encrypted (a hash or plain
    /// text stays what it is). Throws <see cref="CryptographicException"/> for a ciphertext this key did not write.
    /// </summary>
    public string? RevealJson(string field, string value)
    {
        if (!value.StartsWith(EncryptedPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var sealedBytes = Base64Url.DecodeFromChars(value.AsSpan(EncryptedPrefix.Length));
        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("the protected value is too short");
        }
        var plaintext = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        using var aes = new AesGcm(_encryptionKey, TagBytes);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes, plaintext.Length),
            sealedBytes.AsSpan(NonceBytes + plaintext.Length), plaintext, AssociatedData(field));
        return Encoding.UTF8.GetString(plaintext);
    }

    /// <summary>
    /// A trait value as the user model reads it (a string's text, a number's digits) of a stored
    /// <paramref name="value"/>: encrypted values decrypted, anything else unchanged.
    /// </summary>
    public string Reveal(string field, string value)
    {
        if (RevealJson(field, value) is not { } json)
        {
            return value;
        }
        var node = JsonNode.Parse(json);
        return node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : json;
    }

    /// <summary>A stored event's JSON with every encrypted value decrypted (the export's form of it).</summary>
    public string RevealEvent(string json)
    {
        if (!json.Contains(EncryptedPrefix, StringComparison.Ordinal) || JsonNode.Parse(json) is not JsonObject root)
        {
            return json;
        }
        var changed = RevealFields(root["traits"] as JsonObject);
        if (root["context"] is JsonObject context)
        {
            changed |= RevealFields(context["traits"] as JsonObject);
            changed |= RevealFields(context);
        }
        return changed ? root.ToJsonString(WriteOptions) : json;
    }

    private static readonly IReadOnlySet<string> IpOnly = new HashSet<string>(["ip"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// False when the event cannot hold anything to protect, without parsing it: the reader writes an event without
    /// traits as <c>"traits":{}</c>, so a non-empty <c>traits</c> object (top level or the context's) or an <c>ip</c>
    /// key must appear. Most events (a track from an SDK: context.library, page, userAgent) skip the parse.
    /// </summary>
    private static bool MayHold(string json)
    {
        const string traits = "\"traits\":";
        for (var at = json.IndexOf(traits, StringComparison.Ordinal); at >= 0; at = json.IndexOf(traits, at + traits.Length, StringComparison.Ordinal))
        {
            if (!json.AsSpan(at + traits.Length).StartsWith("{}", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return json.Contains("\"ip\"", StringComparison.OrdinalIgnoreCase);
    }

    private bool ProtectFields(JsonObject fields, IReadOnlySet<string> keys)
    {
        var names = fields.Where(f => keys.Contains(f.Key) && f.Value is not null
            && !(f.Value.GetValueKind() == JsonValueKind.String && IsProtected(f.Value.GetValue<string>()))).Select(f => f.Key).ToArray();
        foreach (var name in names)
        {
            fields[name] = ProtectValue(name, fields[name]!.ToJsonString(WriteOptions));
        }
        return names.Length > 0;
    }

    private bool RevealFields(JsonObject? fields)
    {
        if (fields is null)
        {
            return false;
        }
        var names = fields.Where(f => f.Value?.GetValueKind() == JsonValueKind.String && f.Value.GetValue<string>().StartsWith(EncryptedPrefix, StringComparison.Ordinal))
            .Select(f => f.Key).ToArray();
        foreach (var name in names)
        {
            fields[name] = JsonNode.Parse(RevealJson(name, fields[name]!.GetValue<string>())!);
        }
        return names.Length > 0;
    }

    private string ProtectValue(string field, string json)
    {
        var plaintext = Encoding.UTF8.GetBytes(json);
        if (Mode == PiiAtRest.Hash)
        {
            return HashedPrefix + Base64Url.EncodeToString(HMACSHA256.HashData(_hashKey, plaintext));
        }
        var sealedBytes = new byte[NonceBytes + plaintext.Length + TagBytes];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, NonceBytes));
        using var aes = new AesGcm(_encryptionKey, TagBytes);
        aes.Encrypt(sealedBytes.AsSpan(0, NonceBytes), plaintext, sealedBytes.AsSpan(NonceBytes, plaintext.Length),
            sealedBytes.AsSpan(NonceBytes + plaintext.Length), AssociatedData(field));
        return EncryptedPrefix + Base64Url.EncodeToString(sealedBytes);
    }

    private static byte[] AssociatedData(string field) => Encoding.UTF8.GetBytes(field.ToLowerInvariant());
}
