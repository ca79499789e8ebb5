using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SampleMind.Cli.Infrastructure;

/// <summary>The progress bar on stderr (stdout stays clean for results and pipes).</summary>
internal static class EventProgress
{
    public static IAnsiConsole Console { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(System.Console.Error),
    });

    public static Progress Create(Func<long> events, Func<long>? acknowledged = null) =>
        Console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new EventRateColumn(events, acknowledged),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn());
}

/// <summary>Events so far and events per second (smoothed over about a second).</summary>
internal sealed class EventRateColumn(Func<long> events, Func<long>? acknowledged) : ProgressColumn
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastSeconds;
    private long _lastEvents;
    private double _rate;

    protected override bool NoWrap => true;

    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        var now = _clock.Elapsed.TotalSeconds;
        var count = acknowledged?.Invoke() ?? events();
        if (now - _lastSeconds >= 0.5)
        {
            _rate = (count - _lastEvents) / (now - _lastSeconds);
            _lastSeconds = now;
            _lastEvents = count;
        }

        var text = acknowledged is null
            ? $"{count:N0} events {_rate:N0} ev/s"
            : $"{events():N0} generated {count:N0} sent {_rate:N0} ev/s";
        return new Markup($"[blue]{Markup.Escape(text)}[/]");
    }
}
