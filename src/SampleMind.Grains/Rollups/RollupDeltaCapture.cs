namespace SampleMind.Rollups;

/// <summary>
/// Holds the deltas that user rollups report while it is current, instead of the per-silo pre-aggregators, and sends
/// them to the aggregate grains under a source of its own, one sequence per key. An erasure sends the person's negated
/// share this way under <c>erasure/{jobId}</c>: the grains' flush ledgers accept it once, so a job re-run after a crash
/// (which computes the same deltas from the same log) never subtracts twice, and a delta that was lost is sent again.
/// </summary>
/// <remarks>Current for the synchronous block between <see cref="Start"/> and <see cref="Dispose"/> on one flow.</remarks>
public sealed class RollupDeltaCapture : IDisposable
{
    private static readonly AsyncLocal<RollupDeltaCapture?> s_current = new();

    private readonly Dictionary<object, ICaptured> _byAggregator = [];

    private RollupDeltaCapture()
    {
    }

    /// <summary>The capture that takes deltas on this flow, if any.</summary>
    internal static RollupDeltaCapture? Current => s_current.Value;

    /// <summary>Makes a new capture current until it is disposed.</summary>
    public static RollupDeltaCapture Start()
    {
        var capture = new RollupDeltaCapture();
        s_current.Value = capture;
        return capture;
    }

    /// <summary>How many aggregate grains the captured deltas go to (zero deltas are not sent).</summary>
    public int Keys => _byAggregator.Values.Sum(c => c.Keys);

    internal void Add<TKey, TDelta>(PreAggregator<TKey, TDelta> owner, TKey key, TDelta delta)
        where TKey : notnull
    {
        if (!_byAggregator.TryGetValue(owner, out var captured))
        {
            _byAggregator[owner] = captured = new Captured<TKey, TDelta>(owner);
        }
        ((Captured<TKey, TDelta>)captured).Add(key, delta);
    }

    /// <summary>Sends every captured delta with (<paramref name="source"/>, 1); a grain that has it already ignores it.</summary>
    public Task SendAsync(string source) => Task.WhenAll(_byAggregator.Values.Select(c => c.SendAsync(source)));

    public void Dispose()
    {
        if (ReferenceEquals(s_current.Value, this))
        {
            s_current.Value = null;
        }
    }

    private interface ICaptured
    {
        int Keys { get; }

        Task SendAsync(string source);
    }

    private sealed class Captured<TKey, TDelta>(PreAggregator<TKey, TDelta> owner) : ICaptured
        where TKey : notnull
    {
        private readonly Dictionary<TKey, TDelta> _deltas = [];

        public int Keys => _deltas.Values.Count(d => !owner.IsZero(d));

        public void Add(TKey key, TDelta delta)
        {
            if (!_deltas.TryGetValue(key, out var into))
            {
                _deltas[key] = into = owner.Create();
            }
            owner.Merge(into, delta);
        }

        public Task SendAsync(string source)
            => Task.WhenAll(_deltas.Where(d => !owner.IsZero(d.Value)).Select(d => owner.SendAsync(d.Key, d.Value, source, 1)));
    }
}
