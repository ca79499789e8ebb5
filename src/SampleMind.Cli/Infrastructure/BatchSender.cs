using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;

namespace SampleMind.Cli.Infrastructure;

/// <summary>
/// Packs Segment events into <c>/v1/batch</c> bodies and POSTs them with bounded concurrency, an optional
/// events/s limit, and retries with backoff on 5xx, 429 and connection errors. A retried batch is the same
/// bytes, so the same messageIds: the API deduplicates, the retry is safe.
/// </summary>
internal sealed class BatchSender : IAsyncDisposable
{
    /// <summary>Segment's limit for one batch request.</summary>
    public const int MaxBatchBytes = 500 * 1024;

    private static readonly byte[] s_open = "{\"batch\":["u8.ToArray();
    private static readonly byte[] s_close = "]}"u8.ToArray();

    private readonly HttpClient _http;
    private readonly Uri _batchUri;
    private readonly int _maxEvents;
    private readonly RateLimiter? _rate;
    private readonly Channel<Batch> _queue;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop;
    private readonly Queue<Batch> _sealed = new();

    private MemoryStream _current = NewBody();
    private int _currentCount;
    private Exception? _failure;
    private long _acknowledged;
    private int _anySucceeded;

    private readonly Action<double, int>? _acknowledgedAfter;

    /// <param name="acknowledgedAfter">Called with (milliseconds from the first attempt to the 2xx, events) for every acknowledged batch.</param>
    public BatchSender(Uri target, string writeKey, int concurrency, int maxEvents, double? eventsPerSecond, CancellationToken cancellationToken,
        Action<double, int>? acknowledgedAfter = null)
    {
        _acknowledgedAfter = acknowledgedAfter;
        _batchUri = new Uri(target, "v1/batch");
        _maxEvents = Math.Max(1, maxEvents);
        _rate = eventsPerSecond is > 0 ? new RateLimiter(eventsPerSecond.Value) : null;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, concurrency),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        // Segment's HTTP API: Basic auth, the write key as user name and an empty password.
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _queue = Channel.CreateBounded<Batch>(new BoundedChannelOptions(Math.Max(1, concurrency) * 2) { SingleWriter = true });
        _workers = Enumerable.Range(0, Math.Max(1, concurrency)).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    /// <summary>Events the API has acknowledged (2xx).</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public bool HasPending => _currentCount > 0 || _sealed.Count > 0;

    /// <summary>Adds one event's JSON; returns true when a full batch is waiting for <see cref="DispatchAsync"/>.</summary>
    public bool Add(ReadOnlySpan<byte> json)
    {
        if (_currentCount > 0 && _current.Length + json.Length + 1 + s_close.Length > MaxBatchBytes)
        {
            Seal();
        }

        if (_currentCount > 0)
        {
            _current.WriteByte((byte)',');
        }

        _current.Write(json);
        if (++_currentCount >= _maxEvents)
        {
            Seal();
        }

        return _sealed.Count > 0;
    }

    /// <summary>Hands sealed batches to the senders (waits when they are all busy). With <paramref name="partial"/>,
    /// the unfinished batch goes too (live mode: do not sit on events while waiting for the clock).</summary>
    public async ValueTask DispatchAsync(bool partial = false)
    {
        if (partial && _currentCount > 0)
        {
            Seal();
        }

        while (_sealed.TryDequeue(out var batch))
        {
            try
            {
                await _queue.Writer.WriteAsync(batch, _stop.Token);
            }
            catch (OperationCanceledException) when (_failure is not null)
            {
                throw _failure;
            }
        }
    }

    /// <summary>Sends what is left and waits for every batch to be acknowledged; throws the first failure.</summary>
    public async Task CompleteAsync()
    {
        await DispatchAsync(partial: true);
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers);
        if (_failure is not null)
        {
            throw _failure;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_workers);
        }
        catch (OperationCanceledException)
        {
            // Stopping is the point.
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private static MemoryStream NewBody()
    {
        var body = new MemoryStream(64 * 1024);
        body.Write(s_open);
        return body;
    }

    private void Seal()
    {
        _current.Write(s_close);
        _sealed.Enqueue(new Batch(_current.ToArray(), _currentCount));
        _current = NewBody();
        _currentCount = 0;
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var batch in _queue.Reader.ReadAllAsync(_stop.Token))
            {
                if (_rate is not null)
                {
                    await _rate.WaitAsync(batch.Count, _stop.Token);
                }

                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await SendAsync(batch);
                Interlocked.Add(ref _acknowledged, batch.Count);
                _acknowledgedAfter?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, batch.Count);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Cancelled by the user or by another worker's failure.
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
            await _stop.CancelAsync();
        }
    }

    private async Task SendAsync(Batch batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            // Before anything has gone through, give up quickly: the target is most likely just not there.
            var maxAttempts = Volatile.Read(ref _anySucceeded) == 1 ? 8 : 3;
            TimeSpan? retryAfter = null;
            string problem;
            try
            {
                using var content = new ByteArrayContent(batch.Body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await _http.PostAsync(_batchUri, content, _stop.Token);
                if (response.IsSuccessStatusCode)
                {
                    Volatile.Write(ref _anySucceeded, 1);
                    return;
                }

                var status = (int)response.StatusCode;
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw new CliException($"{_batchUri} rejected the write key (HTTP {status} {response.ReasonPhrase})");
                }

                if (status < 500 && response.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    var text = await response.Content.ReadAsStringAsync(_stop.Token);
                    throw new CliException($"{_batchUri} refused a batch of {batch.Count} events: HTTP {status} {response.ReasonPhrase} {Shorten(text)}");
                }

                retryAfter = response.Headers.RetryAfter?.Delta;
                problem = $"HTTP {status} {response.ReasonPhrase}";
            }
            catch (HttpRequestException ex)
            {
                problem = ex.Message;
            }
            catch (TaskCanceledException) when (!_stop.IsCancellationRequested)
            {
                problem = "request timed out";
            }

            if (attempt >= maxAttempts)
            {
                throw new CliException($"cannot deliver to {_batchUri} after {attempt} attempts: {problem}");
            }

            var backoff = retryAfter ?? TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, attempt - 1) * (0.75 + 0.5 * Random.Shared.NextDouble())));
            await Task.Delay(backoff, _stop.Token);
        }
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    private sealed record Batch(byte[] Body, int Count);
}

/// <summary>Paces batches so the long-run rate stays at or below the limit (events per second).</summary>
internal sealed class RateLimiter(double eventsPerSecond)
{
    private readonly Lock _lock = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private double _nextFreeSeconds;

    public Task WaitAsync(int events, CancellationToken cancellationToken)
    {
        double startSeconds;
        double nowSeconds;
        lock (_lock)
        {
            nowSeconds = _clock.Elapsed.TotalSeconds;
            startSeconds = Math.Max(nowSeconds, _nextFreeSeconds);
            _nextFreeSeconds = startSeconds + events / eventsPerSecond;
        }

        var wait = startSeconds - nowSeconds;
        return wait > 0.001 ? Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken) : Task.CompletedTask;
    }
}
