namespace SampleMind.Analytics.Users;

/// <summary>
/// The day buckets, stored packed: 56 bytes a day instead of <see cref="DayBucket"/>'s 96 (counts as 16-bit, the decimal
/// sums as a 64-bit mantissa and a scale byte — bit for bit the same decimal —, the day and its last event in one long).
/// A day whose values do not fit (more than 65,535 events of a kind, a sum past 64 bits of mantissa) is kept unpacked
/// in a side dictionary instead: rarer, never different.
/// </summary>
public sealed partial class UserModel
{
    private PackedDay[] _days = [];
    private int _dayCount;
    private Dictionary<int, DayBucket>? _wideDays;

    /// <summary>Retained day buckets.</summary>
    public int DayCount => _dayCount;

    /// <summary>The retained day buckets, oldest first.</summary>
    public IEnumerable<DayBucket> Days
    {
        get
        {
            for (var i = 0; i < _dayCount; i++)
            {
                yield return Unpack(i);
            }
        }
    }

    /// <summary>The day number of the retained bucket at <paramref name="index"/> (0 … <see cref="DayCount"/> − 1, oldest first).</summary>
    public int RetainedDay(int index) => _days[index].Day;

    public int NewestDay => _dayCount == 0 ? int.MinValue : _days[_dayCount - 1].Day;

    /// <summary>The bucket of <paramref name="day"/>, if it is retained.</summary>
    public bool TryGetDay(int day, out DayBucket bucket)
    {
        var i = FindDay(day);
        bucket = i >= 0 ? Unpack(i) : default;
        return i >= 0;
    }

    public bool HasDay(int day) => FindDay(day) >= 0;

    /// <summary>The analyses of <paramref name="day"/> (0 when the day has no retained bucket), without unpacking the bucket.</summary>
    public int AnalysesOn(int day) => FindDay(day) is var i and >= 0 ? AnalysesAt(i) : 0;

    private int AnalysesAt(int i) => _days[i].IsWide ? _wideDays![_days[i].Day].Analyses : _days[i].Analyses;

    private int SessionsAt(int i) => _days[i].IsWide ? _wideDays![_days[i].Day].Sessions : _days[i].Sessions;

    private DateTimeOffset LastAtOf(int i) => _days[i].IsWide ? _wideDays![_days[i].Day].LastAt : new(_days[i].LastAtTicks, TimeSpan.Zero);

    private int FindDay(int day)
    {
        int lo = 0, hi = _dayCount - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var d = _days[mid].Day;
            if (d == day)
            {
                return mid;
            }
            if (d < day)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return ~lo;
    }

    /// <summary>The index of <paramref name="day"/>'s bucket, created if needed; −1 when the day is older than what we keep.</summary>
    private int BucketFor(int day)
    {
        var i = FindDay(day);
        if (i >= 0)
        {
            return i;
        }
        var newest = NewestDay;
        if (_dayCount > 0 && day <= newest - RetainedDays)
        {
            return -1; // older than what we keep: counted in lifetime figures, not in daily buckets
        }
        i = ~i;
        if (_dayCount == _days.Length)
        {
            Array.Resize(ref _days, Math.Max(4, _dayCount + _dayCount / 4 + 1));
        }
        Array.Copy(_days, i, _days, i + 1, _dayCount - i);
        _dayCount++;
        Store(i, new DayBucket { Day = day, LastAtTicks = (long)day * TimeSpan.TicksPerDay });
        if (day > newest && _dayCount > 1)
        {
            var cutoff = day - RetainedDays;
            var old = 0;
            while (_days[old].Day <= cutoff)
            {
                _wideDays?.Remove(_days[old].Day);
                old++;
            }
            if (old > 0)
            {
                Array.Copy(_days, old, _days, 0, _dayCount - old);
                Array.Clear(_days, _dayCount - old, old);
                _dayCount -= old;
                i -= old;
            }
        }
        return i;
    }

    private DayBucket Unpack(int i)
    {
        ref readonly var p = ref _days[i];
        return p.IsWide ? _wideDays![p.Day] : new DayBucket
        {
            Day = p.Day,
            Events = p.Events,
            Analyses = p.Analyses,
            Uploads = p.Uploads,
            Sessions = p.Sessions,
            SessionSeconds = p.SessionSeconds,
            Logins = p.Logins,
            FeatureUses = p.FeatureUses,
            LastAtTicks = p.LastAtTicks,
            SessionsEnded = p.SessionsEnded,
            ProcessingTimeSum = UnpackDecimal(p.ProcessingTimeSum, p.ProcessingTimeScale),
            ProcessingTimeCount = p.ProcessingTimeCount,
            AccuracySum = UnpackDecimal(p.AccuracySum, p.AccuracyScale),
            AccuracyCount = p.AccuracyCount,
            Features = p.Features,
        };
    }

    /// <summary>Writes bucket <paramref name="b"/> at index <paramref name="i"/>, packed when it fits.</summary>
    private void Store(int i, in DayBucket b)
    {
        var tickOfDay = b.LastAtTicks - (long)b.Day * TimeSpan.TicksPerDay;
        if (b.Day >= 0 && tickOfDay is >= 0 and < TimeSpan.TicksPerDay
            && Fits(b.Events) && Fits(b.Analyses) && Fits(b.Uploads) && Fits(b.Sessions) && Fits(b.Logins) && Fits(b.FeatureUses)
            && Fits(b.SessionsEnded) && Fits(b.ProcessingTimeCount) && Fits(b.AccuracyCount) && b.SessionSeconds is >= 0 and <= uint.MaxValue
            && TryPackDecimal(b.ProcessingTimeSum, out var processing, out var processingScale)
            && TryPackDecimal(b.AccuracySum, out var accuracy, out var accuracyScale))
        {
            _days[i] = new PackedDay
            {
                DayAndLastAt = ((long)b.Day << PackedDay.DayShift) | tickOfDay,
                Events = (ushort)b.Events,
                Analyses = (ushort)b.Analyses,
                Uploads = (ushort)b.Uploads,
                Sessions = (ushort)b.Sessions,
                SessionSeconds = (uint)b.SessionSeconds,
                Logins = (ushort)b.Logins,
                FeatureUses = (ushort)b.FeatureUses,
                SessionsEnded = (ushort)b.SessionsEnded,
                ProcessingTimeSum = processing,
                ProcessingTimeScale = processingScale,
                ProcessingTimeCount = (ushort)b.ProcessingTimeCount,
                AccuracySum = accuracy,
                AccuracyScale = accuracyScale,
                AccuracyCount = (ushort)b.AccuracyCount,
                Features = b.Features,
            };
            _wideDays?.Remove(b.Day);
            return;
        }
        (_wideDays ??= [])[b.Day] = b;
        _days[i] = new PackedDay { DayAndLastAt = (long)b.Day << PackedDay.DayShift, ProcessingTimeScale = PackedDay.Wide };
    }

    private static bool Fits(int count) => count is >= 0 and <= ushort.MaxValue;

    /// <summary>A decimal whose 96-bit mantissa fits in 64 bits, as that mantissa and a byte of scale (bit 7: negative).</summary>
    private static bool TryPackDecimal(decimal value, out long mantissa, out byte scale)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        mantissa = ((long)bits[1] << 32) | (uint)bits[0];
        scale = (byte)(((bits[3] >> 16) & 0x7F) | (bits[3] < 0 ? 0x80 : 0));
        return bits[2] == 0;
    }

    private static decimal UnpackDecimal(long mantissa, byte scale)
        => new((int)mantissa, (int)(mantissa >> 32), 0, (scale & 0x80) != 0, (byte)(scale & 0x7F));

    /// <summary>One day bucket as stored (see the class remarks).</summary>
    private struct PackedDay
    {
        public const int DayShift = 40; // a day has 864,000,000,000 ticks < 2^40; day numbers fit in the 23 bits above
        public const byte Wide = 0xFF;  // in ProcessingTimeScale (a scale is at most 28): the bucket is in _wideDays

        public long DayAndLastAt;
        public long ProcessingTimeSum;
        public long AccuracySum;
        public string[]? Features;
        public uint SessionSeconds;
        public ushort Events, Analyses, Uploads, Sessions, Logins, FeatureUses, SessionsEnded, ProcessingTimeCount, AccuracyCount;
        public byte ProcessingTimeScale, AccuracyScale;

        public readonly int Day => (int)(DayAndLastAt >> DayShift);
        public readonly long LastAtTicks => (long)Day * TimeSpan.TicksPerDay + (DayAndLastAt & ((1L << DayShift) - 1));
        public readonly bool IsWide => ProcessingTimeScale == Wide;
    }
}
