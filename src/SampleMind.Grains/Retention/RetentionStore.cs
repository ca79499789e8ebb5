using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SampleMind.Analytics.Retention;
using SampleMind.Outbox;
using SampleMind.Users;

namespace SampleMind.Retention;

/// <summary>A campaign as stored (deploy/sql/V0032__retention_campaigns.sql).</summary>
public sealed record class RetentionCampaignDefinition(
    string Id, string? Name, string Action, RetentionTarget Target, decimal HoldoutShare, string WebhookUrl,
    DateTimeOffset StartAt, int OutcomeDays, int ActiveDays, string? IdempotencyKey);

/// <summary>One targeted user with the arm the hash gave them.</summary>
public sealed record class RetentionAssignmentRow(UserIndexEntry User, string Arm, double Bucket);

/// <summary>What a treated user's webhook receives.</summary>
public sealed record class RetentionActionMessage(
    string CampaignId, string? CampaignName, string UserId, string Action, DateTimeOffset StartAt,
    string Segment, string RiskLevel, double RiskScore, decimal Ltv);

/// <summary>Retention campaigns, their assignments and their figures in PostgreSQL.</summary>
public sealed class RetentionStore(NpgsqlDataSource dataSource)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The id of the campaign created with <paramref name="idempotencyKey"/>, if any.</summary>
    public async Task<string?> FindByIdempotencyKeyAsync(string idempotencyKey)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM retention_campaigns WHERE idempotency_key = @key");
        command.Parameters.AddWithValue("key", idempotencyKey);
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>
    /// Records the campaign, its assignments and the treated users' deliveries in one transaction. Returns false (and
    /// records nothing) when another request with the same idempotency key got there first.
    /// </summary>
    public async Task<bool> CreateAsync(RetentionCampaignDefinition campaign, IReadOnlyList<RetentionAssignmentRow> assignments)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO retention_campaigns (id, name, action, target, holdout_share, webhook_url, start_at, outcome_days, active_days, idempotency_key)
            VALUES (@id, @name, @action, @target::jsonb, @holdout, @url, @start, @outcome, @active, @key)
            ON CONFLICT (idempotency_key) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", campaign.Id);
            insert.Parameters.AddWithValue("name", (object?)campaign.Name ?? DBNull.Value);
            insert.Parameters.AddWithValue("action", campaign.Action);
            insert.Parameters.AddWithValue("target", JsonSerializer.Serialize(campaign.Target, Json));
            insert.Parameters.AddWithValue("holdout", campaign.HoldoutShare);
            insert.Parameters.AddWithValue("url", campaign.WebhookUrl);
            insert.Parameters.AddWithValue("start", campaign.StartAt);
            insert.Parameters.AddWithValue("outcome", campaign.OutcomeDays);
            insert.Parameters.AddWithValue("active", campaign.ActiveDays);
            insert.Parameters.AddWithValue("key", (object?)campaign.IdempotencyKey ?? DBNull.Value);
            if (await insert.ExecuteNonQueryAsync() == 0)
            {
                return false;
            }
        }
        await using (var assign = new NpgsqlCommand("""
            INSERT INTO retention_assignments (campaign_id, user_id, arm, bucket, segment, risk_level, risk_score, ltv)
            SELECT @id, u, a, b, s, l, r, v FROM unnest(@users, @arms, @buckets, @segments, @levels, @scores, @ltvs) AS x(u, a, b, s, l, r, v)
            ON CONFLICT (campaign_id, user_id) DO NOTHING
            """, connection, transaction))
        {
            assign.Parameters.AddWithValue("id", campaign.Id);
            assign.Parameters.AddWithValue("users", assignments.Select(a => a.User.UserId).ToArray());
            assign.Parameters.AddWithValue("arms", assignments.Select(a => a.Arm).ToArray());
            assign.Parameters.AddWithValue("buckets", assignments.Select(a => a.Bucket).ToArray());
            assign.Parameters.AddWithValue("segments", assignments.Select(a => a.User.Segment).ToArray());
            assign.Parameters.AddWithValue("levels", assignments.Select(a => a.User.Level).ToArray());
            assign.Parameters.AddWithValue("scores", assignments.Select(a => a.User.Score).ToArray());
            assign.Parameters.Add(new NpgsqlParameter("ltvs", NpgsqlDbType.Array | NpgsqlDbType.Numeric) { Value = assignments.Select(a => a.User.Ltv).ToArray() });
            await assign.ExecuteNonQueryAsync();
        }
        var deliveries = assignments
            .Where(a => a.Arm == RetentionAssignment.Treatment)
            .Select(a => new OutboxMessage(
                $"{campaign.Id}:{a.User.UserId}:{campaign.Action}", OutboxStore.RetentionKind, campaign.Id, campaign.WebhookUrl,
                OutboxStore.Serialize(new RetentionActionMessage(campaign.Id, campaign.Name, a.User.UserId, campaign.Action, campaign.StartAt,
                    a.User.Segment, a.User.Level, a.User.Score, a.User.Ltv))))
            .ToList();
        await OutboxStore.EnqueueAsync(connection, transaction, deliveries, CancellationToken.None);
        await transaction.CommitAsync();
        return true;
    }

    /// <summary>Every campaign id, newest first.</summary>
    public async Task<List<string>> IdsAsync()
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM retention_campaigns ORDER BY created_at DESC, id");
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>A campaign with its assignment, delivery and outcome figures as of <paramref name="now"/>; null when unknown.</summary>
    public async Task<RetentionCampaignView?> GetAsync(string id, DateTimeOffset now)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        RetentionCampaignView? view;
        await using (var command = new NpgsqlCommand("""
            SELECT name, action, target::text, holdout_share, webhook_url, start_at, outcome_days, active_days, created_at
            FROM retention_campaigns WHERE id = @id
            """, connection))
        {
            command.Parameters.AddWithValue("id", id);
            await using var reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                return null;
            }
            var start = reader.GetFieldValue<DateTimeOffset>(5);
            var outcomeDays = reader.GetInt32(6);
            var activeDays = reader.GetInt32(7);
            var end = start.AddDays(outcomeDays);
            view = new RetentionCampaignView
            {
                Id = id,
                Name = reader.IsDBNull(0) ? null : reader.GetString(0),
                Action = reader.GetString(1),
                Target = JsonSerializer.Deserialize<RetentionTarget>(reader.GetString(2), Json)!,
                HoldoutShare = reader.GetDecimal(3),
                WebhookUrl = reader.GetString(4),
                StartAt = start,
                OutcomeDays = outcomeDays,
                ActiveDays = activeDays,
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(8),
                Targeted = 0, Treated = 0, Holdout = 0, Delivered = 0, Failed = 0, Pending = 0,
                Outcome = new RetentionOutcome
                {
                    ActiveFrom = end.AddDays(-activeDays), WindowEnd = end, Complete = now >= end,
                    TreatedRetained = 0, HoldoutRetained = 0, Confidence = 0.95,
                },
            };
        }

        // Retained: any event in [window end − activeDays, min(window end, now)).
        var counts = new Dictionary<string, (int Users, int Retained)>();
        await using (var command = new NpgsqlCommand("""
            SELECT a.arm, count(*)::int,
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM user_events e WHERE e.user_id = a.user_id AND e.ts >= @from AND e.ts < @to))::int
            FROM retention_assignments a WHERE a.campaign_id = @id GROUP BY a.arm
            """, connection))
        {
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("from", view.Outcome.ActiveFrom);
            command.Parameters.AddWithValue("to", now < view.Outcome.WindowEnd ? now : view.Outcome.WindowEnd);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = (reader.GetInt32(1), reader.GetInt32(2));
            }
        }
        var (delivered, failed, pending) = (0, 0, 0);
        await using (var command = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL)::int, count(*) FILTER (WHERE failed_at IS NOT NULL)::int,
                   count(*) FILTER (WHERE delivered_at IS NULL AND failed_at IS NULL)::int
            FROM outbox WHERE kind = @kind AND reference = @id
            """, connection))
        {
            command.Parameters.AddWithValue("kind", OutboxStore.RetentionKind);
            command.Parameters.AddWithValue("id", id);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            (delivered, failed, pending) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        }
        var treated = counts.GetValueOrDefault(RetentionAssignment.Treatment);
        var holdout = counts.GetValueOrDefault(RetentionAssignment.Holdout);
        var uplift = UpliftEstimate.From(treated.Users, treated.Retained, holdout.Users, holdout.Retained);
        return view with
        {
            Targeted = treated.Users + holdout.Users,
            Treated = treated.Users,
            Holdout = holdout.Users,
            Delivered = delivered,
            Failed = failed,
            Pending = pending,
            Outcome = view.Outcome with
            {
                TreatedRetained = treated.Retained,
                HoldoutRetained = holdout.Retained,
                TreatedRate = uplift.TreatedRate,
                HoldoutRate = uplift.HoldoutRate,
                Uplift = uplift.Uplift,
                UpliftLow = uplift.Low,
                UpliftHigh = uplift.High,
            },
        };
    }

    /// <summary>The campaign's assignments ordered by user id, optionally one arm only.</summary>
    public async Task<List<RetentionAssignmentView>> AssignmentsAsync(string id, string? arm)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT user_id, arm, bucket FROM retention_assignments WHERE campaign_id = @id AND (@arm::text IS NULL OR arm = @arm) ORDER BY user_id");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("arm", (object?)arm ?? DBNull.Value);
        var rows = new List<RetentionAssignmentView>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new RetentionAssignmentView(reader.GetString(0), reader.GetString(1), reader.GetDouble(2)));
        }
        return rows;
    }
}
