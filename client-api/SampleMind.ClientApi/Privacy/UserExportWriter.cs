using System.Data;
using System.Text.Json;
using Npgsql;
using SampleMind.Analytics.Privacy;
using SampleMind.Users;

namespace SampleMind.ClientApi.Privacy;

/// <summary>
/// Writes one person's export as one JSON document: the live 360° view (profile, traits, activity, segment path,
/// churn features, risk and its factors, LTV, experiment exposures, Stripe subscriptions), their user-index row,
/// retention-campaign assignments, Stripe customer mappings, identity links (the keys merged into them), and every event of their log in log order. The events are read with a
/// server-side cursor and written as they arrive, flushed every <see cref="FlushEvery"/> rows, so a person with a
/// million events costs a constant amount of memory.
/// </summary>
public sealed class UserExportWriter(NpgsqlDataSource dataSource, PiiProtector pii)
{
    private const int FlushEvery = 1_000;

    /// <summary>Whether the log holds any event of the person (the view is null for someone the grains never saw).</summary>
    public async Task<bool> HasEventsAsync(string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM user_events WHERE user_id = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task WriteAsync(Stream body, string userId, UserView? view, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(body);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        writer.WriteStartObject();
        writer.WriteString("userId", userId);
        writer.WriteString("exportedAt", DateTimeOffset.UtcNow);
        writer.WritePropertyName("person");
        // Serialized to bytes first: JsonSerializer.Serialize(Utf8JsonWriter) flushes synchronously, which Kestrel refuses.
        writer.WriteRawValue(JsonSerializer.SerializeToUtf8Bytes(view is null ? null : PiiMasking.Revealed(view, pii), json), skipInputValidation: true);

        writer.WritePropertyName("index");
        await WriteRowsAsync(writer, connection, single: true, cancellationToken,
            """
            SELECT segment, risk_score, risk_level, ltv, realized_revenue, model_version, last_active_at, scored_at
            FROM user_index WHERE user_id = $1
            """, userId);

        writer.WritePropertyName("retentionAssignments");
        await WriteRowsAsync(writer, connection, single: false, cancellationToken,
            """
            SELECT campaign_id, arm, bucket, segment, risk_level, risk_score, ltv
            FROM retention_assignments WHERE user_id = $1 ORDER BY campaign_id
            """, userId);

        writer.WritePropertyName("stripeCustomers");
        await WriteRowsAsync(writer, connection, single: false, cancellationToken,
            "SELECT customer_id, mapped_by, mapped_at FROM stripe_customers WHERE user_id = $1 ORDER BY customer_id", userId);

        writer.WritePropertyName("identityLinks");
        await WriteRowsAsync(writer, connection, single: false, cancellationToken,
            "SELECT merged_id, via, message_id, moved_events, linked_at FROM identity_links WHERE person_id = $1 ORDER BY merged_id",
            userId);

        writer.WritePropertyName("events");
        writer.WriteStartArray();
        long events = 0;
        await using (var command = new NpgsqlCommand(
            """
            SELECT message_id, seq, type, event, ts, received_at, payload::text
            FROM user_events WHERE user_id = $1 ORDER BY seq, message_id
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = userId });
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                writer.WriteStartObject();
                writer.WriteString("messageId", reader.GetString(0));
                writer.WriteNumber("seq", reader.GetInt64(1));
                writer.WriteString("type", reader.GetString(2));
                if (reader.IsDBNull(3))
                {
                    writer.WriteNull("event");
                }
                else
                {
                    writer.WriteString("event", reader.GetString(3));
                }
                writer.WriteString("timestamp", reader.GetFieldValue<DateTimeOffset>(4));
                writer.WriteString("receivedAt", reader.GetFieldValue<DateTimeOffset>(5));
                writer.WritePropertyName("payload");
                writer.WriteRawValue(pii.RevealEvent(reader.GetString(6)), skipInputValidation: true); // as sent: decrypted
                writer.WriteEndObject();
                if (++events % FlushEvery == 0)
                {
                    await writer.FlushAsync(cancellationToken);
                }
            }
        }
        writer.WriteEndArray();
        writer.WriteNumber("eventCount", events);
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Rows as objects with the column names in camelCase: one object (or null) or an array.</summary>
    private static async Task WriteRowsAsync(Utf8JsonWriter writer, NpgsqlConnection connection, bool single,
        CancellationToken cancellationToken, string sql, string userId)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!single)
        {
            writer.WriteStartArray();
        }
        var any = false;
        while (await reader.ReadAsync(cancellationToken))
        {
            any = true;
            writer.WriteStartObject();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(ToPascal(reader.GetName(i)));
                if (reader.IsDBNull(i))
                {
                    writer.WriteNull(name);
                    continue;
                }
                switch (reader.GetValue(i))
                {
                    case string s:
                        writer.WriteString(name, s);
                        break;
                    case double d:
                        writer.WriteNumber(name, d);
                        break;
                    case int n:
                        writer.WriteNumber(name, n);
                        break;
                    case long n:
                        writer.WriteNumber(name, n);
                        break;
                    case decimal m:
                        writer.WriteNumber(name, m);
                        break;
                    case DateTime t:
                        writer.WriteString(name, new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)));
                        break;
                    case var other:
                        writer.WriteString(name, Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }
            }
            writer.WriteEndObject();
            if (single)
            {
                break;
            }
        }
        if (single && !any)
        {
            writer.WriteNullValue();
        }
        if (!single)
        {
            writer.WriteEndArray();
        }
    }

    private static string ToPascal(string column)
        => string.Concat(column.Split('_').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));
}
