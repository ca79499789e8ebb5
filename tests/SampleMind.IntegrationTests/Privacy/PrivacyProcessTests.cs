using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Privacy;
using SampleMind.IntegrationTests.Infrastructure;
using SampleMind.IntegrationTests.Processes;

namespace SampleMind.IntegrationTests.Privacy;

/// <summary>
/// Issue 17 with real processes (a silo, client-api, PostgreSQL): one person with 2,500 events, traits, an experiment
/// exposure, a retention assignment and a Stripe customer mapping. The export (privacy key) is compared field by
/// field with the database; every read path of one person's data leaves one read-audit row with the key id, role,
/// route and purpose, and the audit holds a keyed hash, never the id.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class PrivacyProcessTests
{
    private const string Person = "privacy-person-1";
    private const string Anonymous = "privacy-anon-1";
    private const int Events = 2_500;
    private const string DefaultHashKey = "samplemind-default-privacy-hash-key";

    // What the person sends as personal data (traits and context.ip), searched for in the tables and the host logs.
    private static readonly string[] PiiValues = ["ada@example.com", "Ada Lovelace", "7946 0000", "Zq Crescent", "198.51.100.73"];

    // The hosts run with the default PII key (README "Personal data at rest").
    private static readonly PiiProtector Pii = new(PiiAtRest.Encrypt, PiiProtector.DefaultKey);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>The read audit's default key id of a bearer key (client-api's ApiKeyEntry.KeyId).</summary>
    private static string KeyIdOf(string key) => "key-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];

    private static string HashOf(string userId)
        => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(DefaultHashKey), Encoding.UTF8.GetBytes(userId)));

    [Fact]
    public async Task Export_EqualsTheDatabase_AndEveryRead_IsAudited()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var growth = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(60), bearer: TestApiKeys.Growth);
        using var privacy = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(120), bearer: TestApiKeys.Privacy);
        using var admin = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(60), bearer: TestApiKeys.Admin);
        using var read = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(60), bearer: TestApiKeys.Read);
        var db = cluster.Database;

        // An anonymous visit first; the identify below merges it into the person (an identity link, its event moved).
        using (var visit = await growth.PostAsync("/v1/batch", Json(
            $$$"""{"batch":[{"type":"page","anonymousId":"{{{Anonymous}}}","messageId":"a-0","name":"pricing","timestamp":"{{{DateTimeOffset.Parse("2026-10-01T07:00:00Z", CultureInfo.InvariantCulture):O}}}"}]}"""), ct))
        {
            Assert.Equal(HttpStatusCode.OK, visit.StatusCode);
        }

        // The person: an identify with traits, then 2,499 tracks (a mix of the seed's events) over 40 days.
        var start = new DateTimeOffset(2026, 10, 1, 8, 0, 0, TimeSpan.Zero);
        var sent = new List<string>
        {
            $$$"""{"type":"identify","userId":"{{{Person}}}","anonymousId":"{{{Anonymous}}}","messageId":"m-0","timestamp":"{{{start:O}}}","traits":{"email":"ada@example.com","name":"Ada Lovelace","plan":"pro","phone":"+44 20 7946 0000","address":"12 Zq Crescent, Marylebone"},"context":{"ip":"198.51.100.73"}}""",
        };
        string[] names = ["login", "analysis_completed", "feature_used", "sample_uploaded", "session_started"];
        for (var i = 1; i < Events; i++)
        {
            var at = start.AddMinutes(i * 23);
            var name = names[i % names.Length];
            var properties = name switch
            {
                "analysis_completed" => """{"analysis_type":"genre","model":"genre_classification","model_version":"2.1","processing_time_ms":120,"accuracy":0.9}""",
                "feature_used" => $$"""{"feature":"f{{i % 7}}"}""",
                _ => "{}",
            };
            sent.Add($$$"""{"type":"track","userId":"{{{Person}}}","messageId":"m-{{{i}}}","event":"{{{name}}}","timestamp":"{{{at:O}}}","properties":{{{properties}}}}""");
        }
        foreach (var batch in sent.Chunk(250))
        {
            using var response = await growth.PostAsync("/v1/batch", Json($"{{\"batch\":[{string.Join(',', batch)}]}}"), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A rejected batch carrying the same PII (no userId nor anonymousId): 400, and its body is not logged.
        using (var rejected = await growth.PostAsync("/v1/batch", Json(
            """{"batch":[{"type":"identify","messageId":"bad-0","traits":{"email":"ada@example.com","name":"Ada Lovelace","phone":"+44 20 7946 0000"}}]}"""), ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        }

        // An experiment exposure, a Stripe customer mapping and a retention assignment.
        using (var created = await growth.PostAsync("/api/experiments", Json(
            """{"key":"privacy-exp","variants":[{"name":"a","weight":1},{"name":"b","weight":1}],"metric":{"event":"subscription_started","withinDays":14}}"""), ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var assignment = await growth.GetFromJsonAsync<JsonElement>($"/api/experiments/privacy-exp/assignment?userId={Person}", ct);
        var variant = assignment.GetProperty("variant").GetString();
        await db.ExecuteAsync("INSERT INTO stripe_customers (customer_id, user_id, mapped_by) VALUES ('cus_privacy1', @u, 'metadata.user_id')", ("u", Person));
        await db.ExecuteAsync(
            """
            INSERT INTO retention_campaigns (id, action, target, holdout_share, webhook_url, start_at, outcome_days, active_days)
            VALUES ('rc-privacy', 'discount_offer', '{}', 0.1, 'http://127.0.0.1:9/hook', now(), 14, 7)
            """);
        await db.ExecuteAsync(
            """
            INSERT INTO retention_assignments (campaign_id, user_id, arm, bucket, segment, risk_level, risk_score, ltv)
            VALUES ('rc-privacy', @u, 'treatment', 0.25, 'regulars', 'HIGH', 0.81, 412.5)
            """, ("u", Person));
        // The user index is written behind (about once a second): wait for the row that holds the person's last event
        // (the experiment exposure, dated now), so the export and the database below read the same row.
        var indexed = await Eventually.GetAsync(() => db.ScalarAsync<long>(
                "SELECT count(*) FROM user_index WHERE user_id = @u AND last_active_at = (SELECT max(ts) FROM user_events WHERE user_id = @u)",
                ("u", Person)),
            n => n == 1, TimeSpan.FromSeconds(60));
        Assert.Equal(1, indexed);

        // Roles: read and growth may not export (403, and nothing is recorded for them); unknown people are 404.
        using (var forbidden = await read.GetAsync($"/api/users/{Person}/export", ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        using (var forbidden = await growth.GetAsync($"/api/users/{Person}/export", ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        using (var missing = await privacy.GetAsync("/api/users/nobody-at-all/export", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        }

        // The export, read as a stream.
        JsonNode export;
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{Person}/export"))
        {
            request.Headers.Add("X-Purpose", "GDPR access request #42");
            using var response = await privacy.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Null(response.Content.Headers.ContentLength);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            try
            {
                export = (await JsonNode.ParseAsync(body, cancellationToken: ct))!;
            }
            catch (HttpIOException ex)
            {
                throw new InvalidOperationException(client.Describe(), ex);
            }
        }
        Assert.Equal(Person, (string?)export["userId"]);

        // Every event of the log, in log order, field by field.
        var logged = new List<(string MessageId, long Seq, string Type, string? Event, DateTimeOffset Ts, DateTimeOffset Received, string Payload)>();
        await using (var command = db.DataSource.CreateCommand(
            "SELECT message_id, seq, type, event, ts, received_at, payload::text FROM user_events WHERE user_id = $1 ORDER BY seq, message_id"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Person });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                logged.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6)));
            }
        }
        // Every event sent, plus the experiment exposure recorded in the person's log.
        Assert.Equal(Events, logged.Count(e => e.MessageId.StartsWith("m-", StringComparison.Ordinal)));
        var exported = export["events"]!.AsArray();
        Assert.Equal(logged.Count, exported.Count);
        Assert.Equal(logged.Count, (int)export["eventCount"]!);
        for (var i = 0; i < logged.Count; i++)
        {
            var (messageId, seq, type, name, ts, received, payload) = logged[i];
            var e = exported[i]!;
            Assert.Equal(messageId, (string?)e["messageId"]);
            Assert.Equal(seq, (long)e["seq"]!);
            Assert.Equal(type, (string?)e["type"]);
            Assert.Equal(name, (string?)e["event"]);
            Assert.Equal(ts, DateTimeOffset.Parse((string)e["timestamp"]!, CultureInfo.InvariantCulture));
            Assert.Equal(received, DateTimeOffset.Parse((string)e["receivedAt"]!, CultureInfo.InvariantCulture));
            // The log holds PII encrypted; the export gives it back as sent.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Pii.RevealEvent(payload)), e["payload"]), $"payload of {messageId}");
        }
        var stored = JsonNode.Parse(logged.Single(e => e.MessageId == "m-0").Payload)!;
        var asSent = exported.Single(e => (string?)e!["messageId"] == "m-0")!["payload"]!;
        foreach (var (field, value) in new[] { ("email", "ada@example.com"), ("name", "Ada Lovelace"), ("phone", "+44 20 7946 0000"), ("address", "12 Zq Crescent, Marylebone") })
        {
            Assert.StartsWith(PiiProtector.EncryptedPrefix, (string?)stored["traits"]![field], StringComparison.Ordinal);
            Assert.Equal(value, (string?)asSent["traits"]![field]);
        }
        Assert.StartsWith(PiiProtector.EncryptedPrefix, (string?)stored["context"]!["ip"], StringComparison.Ordinal);
        Assert.Equal("198.51.100.73", (string?)asSent["context"]!["ip"]);
        Assert.Equal("pro", (string?)stored["traits"]!["plan"]); // not PII: stored as sent

        // The user-index row, the Stripe mapping and the retention assignment.
        var index = (await db.RowsAsync(
            "SELECT segment, risk_score, risk_level, ltv, realized_revenue, model_version, last_active_at, scored_at FROM user_index WHERE user_id = @u",
            ("u", Person))).Single().Split('\t');
        var exportedIndex = export["index"]!;
        Assert.Equal(index[0], (string?)exportedIndex["segment"]);
        Assert.Equal(double.Parse(index[1], CultureInfo.InvariantCulture), (double)exportedIndex["riskScore"]!);
        Assert.Equal(index[2], (string?)exportedIndex["riskLevel"]);
        Assert.Equal(decimal.Parse(index[3], CultureInfo.InvariantCulture), (decimal)exportedIndex["ltv"]!);
        Assert.Equal(decimal.Parse(index[4], CultureInfo.InvariantCulture), (decimal)exportedIndex["realizedRevenue"]!);
        Assert.Equal(index[5], (string?)exportedIndex["modelVersion"]);
        var lastActive = await db.ScalarAsync<DateTime>("SELECT last_active_at FROM user_index WHERE user_id = @u", ("u", Person));
        Assert.Equal(new DateTimeOffset(DateTime.SpecifyKind(lastActive, DateTimeKind.Utc)),
            DateTimeOffset.Parse((string)exportedIndex["lastActiveAt"]!, CultureInfo.InvariantCulture));

        var stripe = export["stripeCustomers"]!.AsArray();
        var stripeRow = (await db.RowsAsync("SELECT customer_id, mapped_by FROM stripe_customers WHERE user_id = @u", ("u", Person))).Single().Split('\t');
        Assert.Single(stripe);
        Assert.Equal(stripeRow[0], (string?)stripe[0]!["customerId"]);
        Assert.Equal(stripeRow[1], (string?)stripe[0]!["mappedBy"]);

        var link = export["identityLinks"]!.AsArray().Single()!;
        Assert.Equal(Anonymous, (string?)link["mergedId"]);
        Assert.Equal("identify", (string?)link["via"]);
        Assert.Equal("m-0", (string?)link["messageId"]);
        Assert.Equal(1, (int)link["movedEvents"]!);
        Assert.Single(logged, e => e.MessageId == "a-0");

        var retention = export["retentionAssignments"]!.AsArray();
        Assert.Single(retention);
        Assert.Equal("rc-privacy", (string?)retention[0]!["campaignId"]);
        Assert.Equal("treatment", (string?)retention[0]!["arm"]);
        Assert.Equal(0.25, (double)retention[0]!["bucket"]!);
        Assert.Equal("regulars", (string?)retention[0]!["segment"]);
        Assert.Equal("HIGH", (string?)retention[0]!["riskLevel"]);
        Assert.Equal(0.81, (double)retention[0]!["riskScore"]!);
        Assert.Equal(412.5m, (decimal)retention[0]!["ltv"]!);

        // The person: traits as sent, the events applied, the experiment exposure (variant as assigned), the derived
        // figures (segment and its path, risk with its factors, LTV) equal to the 360° view's.
        var person = export["person"]!;
        Assert.Equal(logged.Count, (long)person["eventsApplied"]!);
        Assert.Equal("ada@example.com", (string?)person["traits"]!["email"]);
        Assert.Equal("Ada Lovelace", (string?)person["traits"]!["name"]);
        Assert.Equal("+44 20 7946 0000", (string?)person["traits"]!["phone"]);
        var exposure = person["experiments"]!.AsArray().Single()!;
        Assert.Equal("privacy-exp", (string?)exposure["experiment"]);
        Assert.Equal(variant, (string?)exposure["variant"]);
        Assert.Single(logged, e => e.MessageId == (string?)exposure["messageId"]);
        Assert.Equal(Events + 2, logged.Count); // the sent events, the anonymous page view, the exposure
        var view = await privacy.GetFromJsonAsync<JsonNode>($"/api/users/{Person}", ct);
        foreach (var field in new[] { "segment", "segmentHistory", "ltv", "traits", "profile", "activity", "featuresUsed", "lifetimeRevenue", "experiments" })
        {
            Assert.True(JsonNode.DeepEquals(view![field], person[field]), field);
        }
        Assert.Equal((string?)view!["risk"]!["level"], (string?)person["risk"]!["level"]);
        Assert.True(JsonNode.DeepEquals(view["risk"]!["factors"], person["risk"]!["factors"]), "risk factors");
        Assert.Equal(index[0], (string?)person["segment"]);

        // The read audit: the export, the 360° view above, the risk read and the dashboard's lookup (the same request
        // its page sends: the 360° view with X-Purpose "dashboard user lookup"); the 403s and the 404 for an unknown
        // person's export are not reads of this person.
        using (var risk = await read.GetAsync($"/api/users/{Person}/risk", ct))
        {
            Assert.Equal(HttpStatusCode.OK, risk.StatusCode);
        }
        using (var lookup = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{Person}"))
        {
            lookup.Headers.Add("X-Purpose", "dashboard user lookup");
            lookup.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApiKeys.Read);
            using var response = await read.SendAsync(lookup, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // A read key sees the PII traits and the email masked.
            var masked = await response.Content.ReadFromJsonAsync<JsonNode>(ct);
            Assert.Equal(("***", "***", "***", "***", "pro", "***"),
                ((string?)masked!["traits"]!["email"], (string?)masked["traits"]!["name"], (string?)masked["traits"]!["phone"],
                 (string?)masked["traits"]!["address"], (string?)masked["traits"]!["plan"], (string?)masked["profile"]!["email"]));
        }
        using (var tooLong = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{Person}/risk"))
        {
            tooLong.Headers.Add("X-Purpose", new string('x', 201));
            using var response = await read.SendAsync(tooLong, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        using (var forbidden = await privacy.GetAsync($"/api/audit?userId={Person}", ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        var audit = await admin.GetFromJsonAsync<JsonNode>($"/api/audit?userId={Person}", ct);
        var reads = audit!["reads"]!.AsArray()
            .Select(r => ((string?)r!["keyId"], (string?)r["role"], (string?)r["method"], (string?)r["route"], (string?)r["purpose"], (string?)r["userHash"]))
            .ToArray();
        (string?, string?, string?, string?, string?, string?)[] expected =
        [
            (KeyIdOf(TestApiKeys.Privacy), "Privacy", "GET", "/api/users/{id}/export", "GDPR access request #42", HashOf(Person)),
            (KeyIdOf(TestApiKeys.Privacy), "Privacy", "GET", "/api/users/{id}", null, HashOf(Person)),
            (KeyIdOf(TestApiKeys.Read), "Read", "GET", "/api/users/{id}/risk", null, HashOf(Person)),
            (KeyIdOf(TestApiKeys.Read), "Read", "GET", "/api/users/{id}", "dashboard user lookup", HashOf(Person)),
        ];
        Assert.Equal(expected, reads);
        Assert.Equal(Person, (string?)audit["userId"]);

        // The time window: nothing before the first read, everything up to now; the table never holds the id.
        var first = DateTimeOffset.Parse((string)audit["reads"]![0]!["at"]!, CultureInfo.InvariantCulture);
        var before = await admin.GetFromJsonAsync<JsonNode>($"/api/audit?userId={Person}&to={Uri.EscapeDataString(first.ToString("O"))}", ct);
        Assert.Empty(before!["reads"]!.AsArray());
        var window = await admin.GetFromJsonAsync<JsonNode>(
            $"/api/audit?userId={Person}&from={Uri.EscapeDataString(first.ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}", ct);
        Assert.Equal(4, window!["reads"]!.AsArray().Count);
        // Five rows in all: these four and the export attempt for the unknown person.
        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT count(*) FROM read_audit"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM read_audit WHERE user_hash = @h", ("h", HashOf("nobody-at-all"))));
        Assert.Equal(0L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM read_audit r WHERE position(@u in row_to_json(r)::text) > 0", ("u", Person)));
        using (var badWindow = await admin.GetAsync("/api/audit?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badWindow.StatusCode);
        }

        // PII at rest: not one table holds any of the person's personal data as sent (the log, the grain snapshot of
        // 2,500 events, the index, the audit, …).
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM orleans.grain_state WHERE grain_id_ext = @u", ("u", Person)) > 0,
            "no snapshot of the person to search");
        foreach (var pii in PiiValues)
        {
            Assert.Empty(await TableScan.RowsHoldingAsync(db, pii));
        }
        // The scan finds what is there: the person's id in the log, the index and the snapshot.
        var holdingId = await TableScan.RowsHoldingAsync(db, Person);
        foreach (var column in new[] { "public.user_events.user_id", "public.user_index.user_id", "orleans.grain_state.grain_id_ext" })
        {
            Assert.Contains(holdingId, r => r.StartsWith(column + ": ", StringComparison.Ordinal));
        }

        // No PII in either host's log output (stdout and stderr, as captured since start).
        foreach (var host in new[] { silo, client })
        {
            var output = host.StandardOutput + host.StandardError;
            Assert.True(output.Length > 0, $"{host.Name} logged nothing: the scan would prove nothing");
            foreach (var pii in PiiValues)
            {
                Assert.False(output.Contains(pii, StringComparison.OrdinalIgnoreCase), $"{host.Name} logged '{pii}'");
            }
        }
    }
}
