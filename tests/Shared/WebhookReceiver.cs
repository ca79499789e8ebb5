using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SampleMind.Testing;

/// <summary>One POST the receiver saw.</summary>
public sealed record class WebhookCall(string? IdempotencyKey, string? Kind, JsonElement Body, int Status, DateTimeOffset At);

/// <summary>
/// A real local HTTP receiver (Kestrel on a free 127.0.0.1 port) for webhook tests: it records every POST, and answers
/// 503 to the first <see cref="FailFirstAttempts"/> attempts of each idempotency key (and to every attempt while
/// <see cref="FailAll"/> is set), 200 otherwise; <see cref="Delay"/> slows each answer.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<WebhookCall> _calls = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public int FailFirstAttempts { get; set; }

    public bool FailAll { get; set; }

    public TimeSpan Delay { get; set; }

    public string Url { get; private set; } = "";

    public IReadOnlyList<WebhookCall> Calls => [.. _calls];

    /// <summary>Calls answered 2xx, one per idempotency key (the receiver's deduplicated view).</summary>
    public IReadOnlyDictionary<string, WebhookCall> Accepted
        => _calls.Where(c => c.Status == 200 && c.IdempotencyKey is not null)
            .GroupBy(c => c.IdempotencyKey!)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    public static async Task<WebhookReceiver> StartAsync(string path = "/hook")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost(path, (Delegate)receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + path;
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        var key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var kind = context.Request.Headers["X-SampleMind-Kind"].FirstOrDefault();
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }
        var attempt = _attempts.AddOrUpdate(key ?? "", 1, (_, n) => n + 1);
        var status = FailAll || attempt <= FailFirstAttempts ? 503 : 200;
        _calls.Enqueue(new WebhookCall(key, kind, body.RootElement.Clone(), status, DateTimeOffset.UtcNow));
        return Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
