using Npgsql;
using SampleMind.Analytics.Alerts;
using SampleMind.Outbox;

namespace SampleMind.Alerts;

/// <summary>
/// The alert log in PostgreSQL (deploy/sql/V0031__alerts.sql). Each firing and each resolution is written in one
/// transaction with its webhook delivery in the outbox (key "alert-{id}-{state}"), so an alert is never logged without
/// being sent, nor sent without being logged.
/// </summary>
public sealed class AlertLog(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, rule, subject, severity, state, value, threshold, message, fired_at, resolved_at";

    public async Task<List<AlertView>> ListAsync(string? state, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM alerts WHERE @state::text IS NULL OR state = @state ORDER BY fired_at DESC, id DESC LIMIT @limit");
        command.Parameters.AddWithValue("state", (object?)state ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<List<AlertView>> FiringAsync(CancellationToken cancellationToken = default)
        => await ListAsync("firing", int.MaxValue, cancellationToken);

    /// <summary>Logs a new firing alert (and its webhook delivery when <paramref name="webhookUrl"/> is set).</summary>
    public async Task<AlertView> FireAsync(AlertCondition condition, DateTimeOffset at, string? webhookUrl, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO alerts (rule, subject, severity, state, value, threshold, message, fired_at)
            VALUES (@rule, @subject, @severity, 'firing', @value, @threshold, @message, @at)
            RETURNING {Columns}
            """, connection, transaction);
        command.Parameters.AddWithValue("rule", condition.Rule);
        command.Parameters.AddWithValue("subject", condition.Subject);
        command.Parameters.AddWithValue("severity", condition.Severity);
        command.Parameters.AddWithValue("value", condition.Value);
        command.Parameters.AddWithValue("threshold", condition.Threshold);
        command.Parameters.AddWithValue("message", condition.Message);
        command.Parameters.AddWithValue("at", at);
        var alert = (await ReadAsync(command, cancellationToken))[0];
        await SendAsync(connection, transaction, alert, webhookUrl, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return alert;
    }

    /// <summary>A firing alert's latest value and message (no delivery: only transitions are sent).</summary>
    public async Task<AlertView> UpdateAsync(long id, decimal value, string message, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"UPDATE alerts SET value = @value, message = @message WHERE id = @id RETURNING {Columns}");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("value", value);
        command.Parameters.AddWithValue("message", message);
        return (await ReadAsync(command, cancellationToken))[0];
    }

    /// <summary>Marks a firing alert resolved with the value that cleared it.</summary>
    public async Task<AlertView> ResolveAsync(long id, decimal value, string message, DateTimeOffset at, string? webhookUrl, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            UPDATE alerts SET state = 'resolved', value = @value, message = @message, resolved_at = @at
            WHERE id = @id
            RETURNING {Columns}
            """, connection, transaction);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("value", value);
        command.Parameters.AddWithValue("message", message);
        command.Parameters.AddWithValue("at", at);
        var alert = (await ReadAsync(command, cancellationToken))[0];
        await SendAsync(connection, transaction, alert, webhookUrl, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return alert;
    }

    private static async Task SendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AlertView alert, string? webhookUrl, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(webhookUrl))
        {
            var message = new OutboxMessage($"alert-{alert.Id}-{alert.State}", OutboxStore.AlertKind, alert.Rule, webhookUrl, OutboxStore.Serialize(alert));
            await OutboxStore.EnqueueAsync(connection, transaction, [message], cancellationToken);
        }
    }

    private static async Task<List<AlertView>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var alerts = new List<AlertView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            alerts.Add(new AlertView
            {
                Id = reader.GetInt64(0),
                Rule = reader.GetString(1),
                Subject = reader.GetString(2),
                Severity = reader.GetString(3),
                State = reader.GetString(4),
                Value = reader.GetDecimal(5),
                Threshold = reader.GetDecimal(6),
                Message = reader.GetString(7),
                FiredAt = reader.GetFieldValue<DateTimeOffset>(8),
                ResolvedAt = reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
            });
        }
        return alerts;
    }
}
