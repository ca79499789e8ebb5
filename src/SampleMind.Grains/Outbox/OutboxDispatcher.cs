using SampleMind.Operations;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SampleMind.Outbox;

/// <summary>
/// Delivers the outbox on every silo: claims due rows (FOR UPDATE SKIP LOCKED, with a lease, so silos never send the
/// same row at once and a dead silo's claims expire), POSTs each body with its Idempotency-Key, and records the
/// outcome: 2xx delivered; a network error, timeout, 408, 429 or 5xx is retried with exponential backoff until
/// MaxAttempts; another 4xx or a host no longer allowed is given up at once. A crash between the receiver's 2xx and
/// the delivered mark sends the row again after the lease: at least once, never lost; receivers drop repeats by key.
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(OutboxDispatcher), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>Looks for due deliveries now rather than at the next poll (after this silo enqueued some).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // already woken
        }
    }

    /// <summary>Claims and sends one batch; returns how many rows it claimed.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var batch = await OutboxStore.ClaimAsync(dataSource, o.BatchSize, o.Lease, cancellationToken);
        await Task.WhenAll(batch.Select(d => DeliverAsync(d, o, cancellationToken)));
        SampleMindMetrics.SetGauge(SampleMindMetrics.OutboxBacklog, await OutboxStore.BacklogAsync(dataSource, cancellationToken));
        return batch.Count;
    }

    private async Task DeliverAsync(OutboxDelivery delivery, OutboxOptions o, CancellationToken cancellationToken)
    {
        if (WebhookUrls.Problem(delivery.Url, o.AllowedHosts) is { } problem)
        {
            await OutboxStore.MarkFailedAttemptAsync(dataSource, delivery.Id, null, problem, null, cancellationToken);
            SampleMindMetrics.OutboxFailures.Add(1, new KeyValuePair<string, object?>("final", true));
            logger.LogWarning("Outbox {Key} given up: {Problem}", delivery.IdempotencyKey, problem);
            return;
        }
        int? status = null;
        string error;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(o.RequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", delivery.IdempotencyKey);
            request.Headers.Add("X-SampleMind-Kind", delivery.Kind);
            using var response = await _http.SendAsync(request, timeout.Token);
            status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                await OutboxStore.MarkDeliveredAsync(dataSource, delivery.Id, status.Value, CancellationToken.None);
                return;
            }
            error = $"HTTP {status}";
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            error = ex is OperationCanceledException ? $"timed out after {o.RequestTimeout.TotalSeconds:0.#} s" : ex.Message;
        }

        var retryable = status is null or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500;
        var retryAfter = retryable && delivery.Attempts < o.MaxAttempts ? o.BackoffAfter(delivery.Attempts) : (TimeSpan?)null;
        await OutboxStore.MarkFailedAttemptAsync(dataSource, delivery.Id, status, error, retryAfter, CancellationToken.None);
        SampleMindMetrics.OutboxFailures.Add(1, new KeyValuePair<string, object?>("final", retryAfter is null));
        if (retryAfter is null)
        {
            logger.LogWarning("Outbox {Key} given up after {Attempts} attempts: {Error}", delivery.IdempotencyKey, delivery.Attempts, error);
        }
        else
        {
            logger.LogInformation("Outbox {Key} attempt {Attempts} failed ({Error}); next in {Backoff}", delivery.IdempotencyKey, delivery.Attempts, error, retryAfter);
        }
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                // A full batch means more may be due: go again at once.
                if (await DeliverDueAsync(token) >= options.Value.BatchSize)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return; // what was claimed is sent again after its lease
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Outbox poll failed; trying again");
            }
            try
            {
                await _wake.WaitAsync(options.Value.PollInterval, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _stopping.Dispose();
        _wake.Dispose();
    }
}
