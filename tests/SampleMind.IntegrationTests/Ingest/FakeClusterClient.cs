using System.Collections.Concurrent;
using System.Reflection;
using SampleMind.Ingest;
using SampleMind.Users;

namespace SampleMind.IntegrationTests.Ingest;

/// <summary>
/// An <see cref="IClusterClient"/> whose ingest router is the real fan-out and whose user grains only record what <c>IngestAsync</c> received (and fail for
/// chosen users), so the HTTP layer is tested over real sockets without a silo.
/// </summary>
// Not sealed: DispatchProxy derives a runtime type from it.
public class FakeClusterClient : DispatchProxy
{
    public ConcurrentDictionary<string, ConcurrentQueue<UserEvent>> Received { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, bool> FailingUsers { get; } = new(StringComparer.Ordinal);

    public int Calls => _calls;

    private int _calls;

    public static (IClusterClient Client, FakeClusterClient Fake) Create()
    {
        var client = DispatchProxy.Create<IClusterClient, FakeClusterClient>();
        return (client, (FakeClusterClient)(object)client);
    }

    public void Reset()
    {
        Received.Clear();
        FailingUsers.Clear();
        _calls = 0;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod is { Name: "GetGrain", IsGenericMethod: true }
            && targetMethod.GetGenericArguments()[0] == typeof(IUserGrain)
            && args is [string key, ..])
        {
            var grain = DispatchProxy.Create<IUserGrain, FakeUserGrain>();
            ((FakeUserGrain)(object)grain).Attach(this, key);
            return grain;
        }

        if (targetMethod is { Name: "GetGrain", IsGenericMethod: true }
            && targetMethod.GetGenericArguments()[0] == typeof(IUserIngestRouterGrain))
        {
            // The real fan-out over this client's fake user grains: what the silo-local router does.
            var router = DispatchProxy.Create<IUserIngestRouterGrain, FakeIngestRouter>();
            ((FakeIngestRouter)(object)router).Attach((IGrainFactory)(object)this);
            return router;
        }

        throw new NotSupportedException($"FakeClusterClient does not implement {targetMethod}");
    }

    internal Task<IngestResult> IngestAsync(string key, UserEvent[] events)
    {
        Interlocked.Increment(ref _calls);
        if (FailingUsers.ContainsKey(key))
        {
            return Task.FromException<IngestResult>(new TimeoutException($"grain {key} timed out"));
        }

        var queue = Received.GetOrAdd(key, _ => new ConcurrentQueue<UserEvent>());
        foreach (var e in events)
        {
            queue.Enqueue(e);
        }

        return Task.FromResult(new IngestResult(events.Length, events.Length, 0, queue.Count));
    }
}

// Not sealed: DispatchProxy derives a runtime type from it.
public class FakeUserGrain : DispatchProxy
{
    private FakeClusterClient? _cluster;
    private string _key = "";

    internal void Attach(FakeClusterClient cluster, string key)
    {
        _cluster = cluster;
        _key = key;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
    {
        nameof(IUserGrain.IngestAsync) => _cluster!.IngestAsync(_key, (UserEvent[])args![0]!),
        _ => throw new NotSupportedException($"FakeUserGrain does not implement {targetMethod}"),
    };
}

// Not sealed: DispatchProxy derives a runtime type from it.
public class FakeIngestRouter : DispatchProxy
{
    private IGrainFactory? _grains;

    internal void Attach(IGrainFactory grains) => _grains = grains;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
    {
        nameof(IUserIngestRouterGrain.IngestAsync) => UserIngestFanOut.IngestAsync(_grains!, (UserEventBatch[])args![0]!, (int)args[1]!),
        _ => throw new NotSupportedException($"FakeIngestRouter does not implement {targetMethod}"),
    };
}
