using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace SampleMind.Analytics.Simulation;

/// <summary>Writes <see cref="SimEvent"/>s as Segment-spec JSON (track or identify), one reusable buffer.</summary>
internal sealed class EventEncoder
{
    private const long MsPerDay = 86_400_000L;

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    public EventEncoder()
    {
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>The JSON of one event; valid until the next call.</summary>
    public ReadOnlyMemory<byte> Encode(in SimEvent e, SimUser user)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        var w = _writer;
        w.WriteStartObject();
        var identify = e.Kind is EventKind.Identify or EventKind.DeviceIdentify;
        w.WriteString("type"u8, e.Kind switch
        {
            EventKind.Identify or EventKind.DeviceIdentify => "identify"u8,
            EventKind.AnonymousPage => "page"u8,
            EventKind.Alias => "alias"u8,
            _ => "track"u8,
        });
        if (e.Kind == EventKind.AnonymousPage)
        {
            w.WriteString("name"u8, "landing"u8);
        }
        else if (!identify && e.Kind != EventKind.Alias)
        {
            w.WriteString("event"u8, EventName(e.Kind));
        }

        Span<byte> scratch = stackalloc byte[96];
        var anonymous = e.Kind == EventKind.AnonymousPage;
        w.WriteString("messageId"u8, MessageId(scratch, anonymous ? e.Text! : user.UserId, e.TimeMs, e.Seq));
        if (anonymous)
        {
            w.WriteString("anonymousId"u8, e.Text);
        }
        else
        {
            w.WriteString("userId"u8, user.UserId);
            if (e.Kind is EventKind.Identify or EventKind.DeviceIdentify && e.Text2 is { } anonymousId)
            {
                w.WriteString("anonymousId"u8, anonymousId);
            }
            else if (e.Kind == EventKind.Alias)
            {
                w.WriteString("previousId"u8, e.Text2);
            }
        }
        w.WriteString("timestamp"u8, Timestamp(scratch, e.TimeMs));
        // Identity mode: only the identify that announces the person carries the acquisition traits (a plan change does not).
        var acquisition = e.Kind == EventKind.SignupStarted
            || (e.Kind == EventKind.Identify && (e.Flag || !user.AcquisitionOnFirstIdentifyOnly));
        w.WriteStartObject(identify ? "traits"u8 : "properties"u8);
        WriteProperties(w, e, user, acquisition);
        w.WriteEndObject();

        w.WriteStartObject("context"u8);
        w.WriteStartObject("library"u8);
        w.WriteString("name"u8, "samplemind-sim"u8);
        w.WriteString("version"u8, "1.0.0"u8);
        w.WriteEndObject();
        w.WriteStartObject("device"u8);
        w.WriteString("type"u8, user.Device);
        w.WriteEndObject();
        if (acquisition || e.Kind == EventKind.AnonymousPage)
        {
            var campaign = e.Campaign ?? user.Campaign;
            w.WriteStartObject("campaign"u8);
            w.WriteString("name"u8, campaign.Name);
            w.WriteString("source"u8, campaign.UtmSource);
            w.WriteString("medium"u8, campaign.UtmMedium);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenMemory;
    }

    private static void WriteProperties(Utf8JsonWriter w, in SimEvent e, SimUser user, bool acquisition)
    {
        switch (e.Kind)
        {
            case EventKind.AnonymousPage:
                var c = e.Campaign ?? user.Campaign;
                w.WriteString("path"u8, "/"u8);
                w.WriteString("search"u8, $"?utm_source={c.UtmSource}&utm_medium={c.UtmMedium}&utm_campaign={c.Name}");
                break;
            case EventKind.DeviceIdentify:
                w.WriteString("email"u8, user.Email);
                break;
            case EventKind.Identify when !acquisition:
                w.WriteString("email"u8, user.Email);
                w.WriteString("plan"u8, e.Text);
                break;
            case EventKind.Identify:
                w.WriteString("email"u8, user.Email);
                w.WriteString("plan"u8, e.Text);
                w.WriteString("created_at"u8, Timestamp(stackalloc byte[32], user.CreatedAtMs));
                w.WriteString("acquisition_source"u8, user.Channel);
                w.WriteString("campaign"u8, user.Campaign.Name);
                w.WriteString("utm_source"u8, user.Campaign.UtmSource);
                w.WriteString("utm_medium"u8, user.Campaign.UtmMedium);
                w.WriteString("utm_campaign"u8, user.Campaign.Name);
                w.WriteString("device"u8, user.Device);
                break;
            case EventKind.SignupStarted:
                w.WriteString("source"u8, user.Channel);
                w.WriteString("campaign"u8, user.Campaign.Name);
                w.WriteString("device"u8, user.Device);
                break;
            case EventKind.Login:
                w.WriteString("method"u8, e.Text);
                break;
            case EventKind.SessionStarted:
                w.WriteNumber("session_number"u8, e.Number);
                break;
            case EventKind.SessionEnded:
                w.WriteNumber("session_number"u8, e.Number);
                w.WriteNumber("duration_seconds"u8, e.Number2);
                break;
            case EventKind.SampleUploaded:
                w.WriteNumber("sample_number"u8, e.Number);
                w.WriteString("file_type"u8, e.Text);
                w.WriteNumber("file_size_kb"u8, e.Number2);
                break;
            case EventKind.AnalysisCompleted:
                w.WriteString("analysis_type"u8, e.Model!.AnalysisType);
                w.WriteString("model"u8, e.Model.AnalysisType);
                w.WriteString("model_version"u8, e.Model.Version);
                w.WriteNumber("processing_time_ms"u8, e.Number);
                w.WriteNumber("accuracy"u8, e.Value);
                w.WriteBoolean("error"u8, e.Flag);
                w.WriteNumber("cost_usd"u8, e.Amount);
                w.WriteNumber("sample_number"u8, e.Number2);
                break;
            case EventKind.AnalysisFeedback:
                w.WriteString("analysis_type"u8, e.Model!.AnalysisType);
                w.WriteString("model"u8, e.Model.AnalysisType);
                w.WriteString("model_version"u8, e.Model.Version);
                w.WriteNumber("rating"u8, e.Number);
                w.WriteBoolean("correct"u8, e.Flag);
                w.WriteNumber("sample_number"u8, e.Number2);
                break;
            case EventKind.FeatureUsed:
                w.WriteString("feature"u8, e.Text);
                break;
            case EventKind.TrialStarted:
                w.WriteString("plan"u8, e.Text);
                w.WriteNumber("trial_days"u8, e.Number);
                break;
            case EventKind.PaymentAdded:
                w.WriteString("payment_method"u8, e.Text);
                break;
            case EventKind.ExperimentViewed:
                w.WriteString("experiment_id"u8, e.Text);
                w.WriteString("variation_id"u8, e.Text2);
                break;
            case EventKind.SubscriptionStarted:
                w.WriteString("plan"u8, e.Text);
                w.WriteNumber("amount"u8, e.Amount);
                w.WriteString("currency"u8, "USD"u8);
                w.WriteString("payment_method"u8, "card"u8);
                w.WriteNumber("trial_days"u8, e.Number);
                break;
            case EventKind.SubscriptionRenewed:
            case EventKind.PaymentSucceeded:
                w.WriteString("plan"u8, e.Text);
                w.WriteNumber("amount"u8, e.Amount);
                w.WriteString("currency"u8, "USD"u8);
                break;
            case EventKind.SubscriptionCanceled:
                w.WriteString("plan"u8, e.Text);
                w.WriteNumber("amount"u8, e.Amount);
                w.WriteString("currency"u8, "USD"u8);
                w.WriteString("reason"u8, e.Text2);
                break;
            case EventKind.PaymentFailed:
                w.WriteString("plan"u8, e.Text);
                w.WriteNumber("amount"u8, e.Amount);
                w.WriteString("currency"u8, "USD"u8);
                w.WriteString("reason"u8, e.Text2);
                break;
            case EventKind.SupportTicketOpened:
                w.WriteString("category"u8, e.Text);
                w.WriteString("priority"u8, e.Text2);
                break;
        }
    }

    internal static ReadOnlySpan<byte> EventName(EventKind kind) => kind switch
    {
        EventKind.SignupStarted => "signup_started"u8,
        EventKind.EmailVerified => "email_verified"u8,
        EventKind.Login => "login"u8,
        EventKind.SessionStarted => "session_started"u8,
        EventKind.SessionEnded => "session_ended"u8,
        EventKind.SampleUploaded => "sample_uploaded"u8,
        EventKind.AnalysisCompleted => "analysis_completed"u8,
        EventKind.AnalysisFeedback => "analysis_feedback"u8,
        EventKind.FeatureUsed => "feature_used"u8,
        EventKind.TrialStarted => "trial_started"u8,
        EventKind.PaymentAdded => "payment_added"u8,
        EventKind.ExperimentViewed => "experiment_viewed"u8,
        EventKind.SubscriptionStarted => "subscription_started"u8,
        EventKind.SubscriptionRenewed => "subscription_renewed"u8,
        EventKind.SubscriptionCanceled => "subscription_canceled"u8,
        EventKind.PaymentSucceeded => "payment_succeeded"u8,
        EventKind.PaymentFailed => "payment_failed"u8,
        EventKind.SupportTicketOpened => "support_ticket_opened"u8,
        _ => "identify"u8,
    };

    /// <summary><c>{userId}-{UTC day number}-{seq}</c>: unique per user, day and generation counter.</summary>
    private static ReadOnlySpan<byte> MessageId(Span<byte> into, string userId, long timeMs, int seq)
    {
        var n = Encoding.UTF8.GetBytes(userId, into);
        into[n++] = (byte)'-';
        Utf8Formatter.TryFormat(timeMs / MsPerDay, into[n..], out var written);
        n += written;
        into[n++] = (byte)'-';
        Utf8Formatter.TryFormat(seq, into[n..], out written);
        return into[..(n + written)];
    }

    /// <summary>ISO-8601 UTC with milliseconds, e.g. 2026-11-24T13:45:12.345Z.</summary>
    internal static ReadOnlySpan<byte> Timestamp(Span<byte> into, long unixMs)
    {
        var dt = DateTime.UnixEpoch.AddMilliseconds(unixMs);
        Write4(into, 0, dt.Year);
        into[4] = (byte)'-';
        Write2(into, 5, dt.Month);
        into[7] = (byte)'-';
        Write2(into, 8, dt.Day);
        into[10] = (byte)'T';
        Write2(into, 11, dt.Hour);
        into[13] = (byte)':';
        Write2(into, 14, dt.Minute);
        into[16] = (byte)':';
        Write2(into, 17, dt.Second);
        into[19] = (byte)'.';
        var ms = (int)(((unixMs % 1000) + 1000) % 1000);
        into[20] = (byte)('0' + ms / 100);
        Write2(into, 21, ms % 100);
        into[23] = (byte)'Z';
        return into[..24];
    }

    private static void Write2(Span<byte> into, int at, int value)
    {
        into[at] = (byte)('0' + value / 10);
        into[at + 1] = (byte)('0' + value % 10);
    }

    private static void Write4(Span<byte> into, int at, int value)
    {
        Write2(into, at, value / 100);
        Write2(into, at + 2, value % 100);
    }
}
