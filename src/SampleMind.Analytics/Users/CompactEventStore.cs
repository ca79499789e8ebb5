using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace SampleMind.Analytics.Users;

/// <summary>
/// A whole event log held in memory, user by user, as compact bytes instead of objects (≈ 60–90 bytes an event
/// against ≈ 400 for an <see cref="EventFacts"/> with its strings): what <c>train-churn</c> reads the log into when
/// the log is read in table order rather than sorted by user. Repeating strings (types, names, plans, features,
/// models, trait keys and values, acquisition fields) are kept once in a shared pool. <see cref="Add"/> is safe for
/// concurrent writers of <em>different</em> users; <see cref="Read"/> is for after the writing.
/// </summary>
public sealed class CompactEventStore
{
    private readonly ConcurrentDictionary<string, UserBuffer> _users = new(StringComparer.Ordinal);
    private readonly StringPool _pool = new();

    public int Users => _users.Count;

    public IEnumerable<string> UserIds => _users.Keys;

    /// <summary>Appends one event of <paramref name="userId"/>; one writer per user at a time.</summary>
    public void Add(string userId, EventFacts e)
    {
        var buffer = _users.GetOrAdd(userId, static _ => new UserBuffer());
        buffer.Write(e, _pool);
    }

    /// <summary>The events of <paramref name="userId"/> in the order they were added.</summary>
    public List<EventFacts> Read(string userId)
    {
        var events = new List<EventFacts>();
        if (_users.TryGetValue(userId, out var buffer))
        {
            buffer.ReadAll(events, _pool);
        }
        return events;
    }

    /// <summary>Drops a user's bytes (after replaying them) so memory falls as the work goes on.</summary>
    public void Release(string userId) => _users.TryRemove(userId, out _);

    [Flags]
    private enum Fields : uint
    {
        Name = 1 << 0,
        Plan = 1 << 1,
        Amount = 1 << 2,
        Feature = 1 << 3,
        Model = 1 << 4,
        ModelVersion = 1 << 5,
        AnalysisType = 1 << 6,
        ProcessingTimeMs = 1 << 7,
        Accuracy = 1 << 8,
        Error = 1 << 9,
        CostUsd = 1 << 10,
        Rating = 1 << 11,
        Correct = 1 << 12,
        DurationSeconds = 1 << 13,
        Traits = 1 << 14,
        CreatedAt = 1 << 15,
        Email = 1 << 16,
        Source = 1 << 17,
        Campaign = 1 << 18,
        UtmSource = 1 << 19,
        UtmMedium = 1 << 20,
        UtmCampaign = 1 << 21,
        Device = 1 << 22,
        ExperimentId = 1 << 23,
        VariationId = 1 << 24,
        FromStripe = 1 << 25,
        ChargeId = 1 << 26,
        StripeSubscription = 1 << 27,
        MergeFrom = 1 << 28,
    }

    private sealed class StringPool
    {
        private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<int, string> _strings = new();
        private readonly Lock _gate = new();

        public int Id(string value)
        {
            if (_ids.TryGetValue(value, out var id))
            {
                return id;
            }
            lock (_gate)
            {
                if (!_ids.TryGetValue(value, out id))
                {
                    id = _strings.Count;
                    _strings[id] = value;
                    _ids[value] = id;
                }
                return id;
            }
        }

        public string Get(int id) => _strings[id];
    }

    private sealed class UserBuffer
    {
        private byte[] _bytes = new byte[256];
        private int _length;

        public void Write(EventFacts e, StringPool pool)
        {
            var mask = MaskOf(e);
            WriteUInt((uint)mask);
            WriteRaw(e.MessageId);
            WriteVar((uint)pool.Id(e.Type));
            WriteTime(e.Timestamp);
            Pooled(mask, Fields.Name, e.Name, pool);
            Pooled(mask, Fields.Plan, e.Plan, pool);
            Money(mask, Fields.Amount, e.Amount);
            Pooled(mask, Fields.Feature, e.Feature, pool);
            Pooled(mask, Fields.Model, e.Model, pool);
            Pooled(mask, Fields.ModelVersion, e.ModelVersion, pool);
            Pooled(mask, Fields.AnalysisType, e.AnalysisType, pool);
            Money(mask, Fields.ProcessingTimeMs, e.ProcessingTimeMs);
            Money(mask, Fields.Accuracy, e.Accuracy);
            Flag(mask, Fields.Error, e.Error);
            Money(mask, Fields.CostUsd, e.CostUsd);
            Real(mask, Fields.Rating, e.Rating);
            Flag(mask, Fields.Correct, e.Correct);
            Real(mask, Fields.DurationSeconds, e.DurationSeconds);
            if (mask.HasFlag(Fields.Traits))
            {
                WriteVar((uint)e.Traits.Count);
                foreach (var (key, value) in e.Traits)
                {
                    WriteVar((uint)pool.Id(key));
                    WriteVar((uint)pool.Id(value));
                }
            }
            if (e.CreatedAt is { } created)
            {
                WriteTime(created);
            }
            if (e.Email is { } email)
            {
                WriteRaw(email);
            }
            Pooled(mask, Fields.Source, e.Source, pool);
            Pooled(mask, Fields.Campaign, e.Campaign, pool);
            Pooled(mask, Fields.UtmSource, e.UtmSource, pool);
            Pooled(mask, Fields.UtmMedium, e.UtmMedium, pool);
            Pooled(mask, Fields.UtmCampaign, e.UtmCampaign, pool);
            Pooled(mask, Fields.Device, e.Device, pool);
            Pooled(mask, Fields.ExperimentId, e.ExperimentId, pool);
            Pooled(mask, Fields.VariationId, e.VariationId, pool);
            Pooled(mask, Fields.ChargeId, e.ChargeId, pool);
            if (e.StripeSubscription is { } o)
            {
                WriteVar((uint)pool.Id(o.SubscriptionId));
                BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), o.AtTicks);
                WriteVar((uint)o.Rank);
                WriteRaw(o.EventId);
                WriteVar((uint)pool.Id(o.Status));
                Money(Fields.StripeSubscription, Fields.StripeSubscription, o.Mrr);
                foreach (var text in new[] { o.Plan, o.PriceId, o.Interval, o.Coupon, o.Currency })
                {
                    WriteVar(text is null ? 0u : (uint)pool.Id(text) + 1);
                }
                BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), o.Quantity);
                Reserve(1)[0] = o.CancelAtPeriodEnd ? (byte)1 : (byte)0;
            }
            Pooled(mask, Fields.MergeFrom, e.MergeFrom, pool);
        }

        public void ReadAll(List<EventFacts> events, StringPool pool)
        {
            var reader = new Reader(_bytes.AsSpan(0, _length), pool);
            while (!reader.AtEnd)
            {
                events.Add(reader.Next());
            }
        }

        private static Fields MaskOf(EventFacts e)
        {
            Fields mask = 0;
            void Set(Fields field, bool present)
            {
                if (present)
                {
                    mask |= field;
                }
            }
            Set(Fields.Name, e.Name is not null);
            Set(Fields.Plan, e.Plan is not null);
            Set(Fields.Amount, e.Amount is not null);
            Set(Fields.Feature, e.Feature is not null);
            Set(Fields.Model, e.Model is not null);
            Set(Fields.ModelVersion, e.ModelVersion is not null);
            Set(Fields.AnalysisType, e.AnalysisType is not null);
            Set(Fields.ProcessingTimeMs, e.ProcessingTimeMs is not null);
            Set(Fields.Accuracy, e.Accuracy is not null);
            Set(Fields.Error, e.Error is not null);
            Set(Fields.CostUsd, e.CostUsd is not null);
            Set(Fields.Rating, e.Rating is not null);
            Set(Fields.Correct, e.Correct is not null);
            Set(Fields.DurationSeconds, e.DurationSeconds is not null);
            Set(Fields.Traits, e.Traits.Count > 0);
            Set(Fields.CreatedAt, e.CreatedAt is not null);
            Set(Fields.Email, e.Email is not null);
            Set(Fields.Source, e.Source is not null);
            Set(Fields.Campaign, e.Campaign is not null);
            Set(Fields.UtmSource, e.UtmSource is not null);
            Set(Fields.UtmMedium, e.UtmMedium is not null);
            Set(Fields.UtmCampaign, e.UtmCampaign is not null);
            Set(Fields.Device, e.Device is not null);
            Set(Fields.ExperimentId, e.ExperimentId is not null);
            Set(Fields.VariationId, e.VariationId is not null);
            Set(Fields.FromStripe, e.FromStripe);
            Set(Fields.ChargeId, e.ChargeId is not null);
            Set(Fields.StripeSubscription, e.StripeSubscription is not null);
            Set(Fields.MergeFrom, e.MergeFrom is not null);
            return mask;
        }

        private void Pooled(Fields mask, Fields field, string? value, StringPool pool)
        {
            if (mask.HasFlag(field))
            {
                WriteVar((uint)pool.Id(value!));
            }
        }

        private void Money(Fields mask, Fields field, decimal? value)
        {
            if (mask.HasFlag(field))
            {
                Span<int> bits = stackalloc int[4];
                decimal.GetBits(value!.Value, bits);
                foreach (var part in bits)
                {
                    WriteUInt((uint)part);
                }
            }
        }

        private void Real(Fields mask, Fields field, double? value)
        {
            if (mask.HasFlag(field))
            {
                BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value!.Value);
            }
        }

        private void Flag(Fields mask, Fields field, bool? value)
        {
            if (mask.HasFlag(field))
            {
                Reserve(1)[0] = value!.Value ? (byte)1 : (byte)0;
            }
        }

        private void WriteTime(DateTimeOffset value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value.UtcTicks);
            BinaryPrimitives.WriteInt16LittleEndian(Reserve(2), (short)value.Offset.TotalMinutes);
        }

        private void WriteRaw(string value)
        {
            var count = Encoding.UTF8.GetByteCount(value);
            WriteVar((uint)count);
            Encoding.UTF8.GetBytes(value, Reserve(count));
        }

        private void WriteUInt(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

        private void WriteVar(uint value)
        {
            while (value >= 0x80)
            {
                Reserve(1)[0] = (byte)(value | 0x80);
                value >>= 7;
            }
            Reserve(1)[0] = (byte)value;
        }

        private Span<byte> Reserve(int count)
        {
            if (_length + count > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + count));
            }
            var span = _bytes.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes, StringPool pool)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public readonly bool AtEnd => _at >= _bytes.Length;

        public EventFacts Next()
        {
            var mask = (Fields)ReadUInt();
            var messageId = ReadRaw();
            var type = pool.Get((int)ReadVar());
            var timestamp = ReadTime();
            var name = Pooled(mask, Fields.Name);
            var plan = Pooled(mask, Fields.Plan);
            var amount = Money(mask, Fields.Amount);
            var feature = Pooled(mask, Fields.Feature);
            var model = Pooled(mask, Fields.Model);
            var modelVersion = Pooled(mask, Fields.ModelVersion);
            var analysisType = Pooled(mask, Fields.AnalysisType);
            var processingTimeMs = Money(mask, Fields.ProcessingTimeMs);
            var accuracy = Money(mask, Fields.Accuracy);
            var error = Flag(mask, Fields.Error);
            var costUsd = Money(mask, Fields.CostUsd);
            var rating = Real(mask, Fields.Rating);
            var correct = Flag(mask, Fields.Correct);
            var durationSeconds = Real(mask, Fields.DurationSeconds);
            Dictionary<string, string>? traits = null;
            if (mask.HasFlag(Fields.Traits))
            {
                var count = (int)ReadVar();
                traits = new Dictionary<string, string>(count, StringComparer.Ordinal);
                for (var i = 0; i < count; i++)
                {
                    var key = pool.Get((int)ReadVar());
                    traits[key] = pool.Get((int)ReadVar());
                }
            }
            DateTimeOffset? createdAt = mask.HasFlag(Fields.CreatedAt) ? ReadTime() : null;
            var email = mask.HasFlag(Fields.Email) ? ReadRaw() : null;
            var facts = new EventFacts
            {
                MessageId = messageId,
                Type = type,
                Name = name,
                Timestamp = timestamp,
                Plan = plan,
                Amount = amount,
                Feature = feature,
                Model = model,
                ModelVersion = modelVersion,
                AnalysisType = analysisType,
                ProcessingTimeMs = processingTimeMs,
                Accuracy = accuracy,
                Error = error,
                CostUsd = costUsd,
                Rating = rating,
                Correct = correct,
                DurationSeconds = durationSeconds,
                CreatedAt = createdAt,
                Email = email,
                Source = Pooled(mask, Fields.Source),
                Campaign = Pooled(mask, Fields.Campaign),
                UtmSource = Pooled(mask, Fields.UtmSource),
                UtmMedium = Pooled(mask, Fields.UtmMedium),
                UtmCampaign = Pooled(mask, Fields.UtmCampaign),
                Device = Pooled(mask, Fields.Device),
                ExperimentId = Pooled(mask, Fields.ExperimentId),
                VariationId = Pooled(mask, Fields.VariationId),
                FromStripe = mask.HasFlag(Fields.FromStripe),
                ChargeId = Pooled(mask, Fields.ChargeId),
                StripeSubscription = mask.HasFlag(Fields.StripeSubscription) ? Subscription() : null,
                MergeFrom = Pooled(mask, Fields.MergeFrom),
            };
            return traits is null ? facts : facts with { Traits = traits };
        }

        private string? Pooled(Fields mask, Fields field) => mask.HasFlag(field) ? pool.Get((int)ReadVar()) : null;

        private Revenue.SubscriptionObservation Subscription()
        {
            var id = pool.Get((int)ReadVar());
            var at = BinaryPrimitives.ReadInt64LittleEndian(_bytes.Slice(_at, 8));
            _at += 8;
            var rank = (int)ReadVar();
            var eventId = ReadRaw();
            var status = pool.Get((int)ReadVar());
            var mrr = Money(Fields.StripeSubscription, Fields.StripeSubscription)!.Value;
            var texts = new string?[5];
            for (var i = 0; i < texts.Length; i++)
            {
                var v = ReadVar();
                texts[i] = v == 0 ? null : pool.Get((int)v - 1);
            }
            var quantity = BinaryPrimitives.ReadInt64LittleEndian(_bytes.Slice(_at, 8));
            _at += 8;
            var cancel = _bytes[_at++] == 1;
            return new Revenue.SubscriptionObservation(id, at, rank, eventId, status, mrr, texts[0], texts[1], quantity, texts[2], cancel, texts[3], texts[4]);
        }

        private decimal? Money(Fields mask, Fields field)
        {
            if (!mask.HasFlag(field))
            {
                return null;
            }
            Span<int> bits = [(int)ReadUInt(), (int)ReadUInt(), (int)ReadUInt(), (int)ReadUInt()];
            return new decimal(bits);
        }

        private double? Real(Fields mask, Fields field)
        {
            if (!mask.HasFlag(field))
            {
                return null;
            }
            var value = BinaryPrimitives.ReadDoubleLittleEndian(_bytes.Slice(_at, 8));
            _at += 8;
            return value;
        }

        private bool? Flag(Fields mask, Fields field) => mask.HasFlag(field) ? _bytes[_at++] != 0 : null;

        private DateTimeOffset ReadTime()
        {
            var ticks = BinaryPrimitives.ReadInt64LittleEndian(_bytes.Slice(_at, 8));
            var offset = BinaryPrimitives.ReadInt16LittleEndian(_bytes.Slice(_at + 8, 2));
            _at += 10;
            var offsetSpan = TimeSpan.FromMinutes(offset);
            return new DateTimeOffset(ticks + offsetSpan.Ticks, offsetSpan);
        }

        private string ReadRaw()
        {
            var count = (int)ReadVar();
            var value = Encoding.UTF8.GetString(_bytes.Slice(_at, count));
            _at += count;
            return value;
        }

        private uint ReadUInt()
        {
            var value = BinaryPrimitives.ReadUInt32LittleEndian(_bytes.Slice(_at, 4));
            _at += 4;
            return value;
        }

        private uint ReadVar()
        {
            uint value = 0;
            var shift = 0;
            while (true)
            {
                var b = _bytes[_at++];
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
                shift += 7;
            }
        }
    }
}
