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

    /// <summary>
    /// Runs <paramref name="body"/> under a progress bar (value 0 … <paramref name="maxValue"/>, set through the
    /// callback it gets). When stderr is not a terminal there is no bar: logs get the final summary line only.
    /// </summary>
    public static async Task RunAsync(string description, double maxValue, Func<long> events, Func<long>? acknowledged, Func<Action<double>, Task> body)
    {
        if (!Console.Profile.Capabilities.Interactive)
        {
            await body(_ => { });
            return;
        }

        await Create(events, acknowledged).StartAsync(async context =>
        {
            var task = context.AddTask(description, maxValue: Math.Max(1, maxValue));
            await body(value => task.Value = value);
            task.Value = task.MaxValue;
        });
    }

    private static Progress Create(Func<long> events, Func<long>? acknowledged) =>
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

/// <summary>How far a task is, and its rate (from Spectre's own speed estimate).</summary>
internal sealed class CountAndRateColumn : ProgressColumn
{
    protected override bool NoWrap => true;

    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        => task.IsIndeterminate && task.Value == 0
            ? Text.Empty
            : new Markup($"[blue]{task.Value:N0}[/] [grey]{(task.Speed is { } speed ? $"{speed:N0}/s" : "")}[/]");
}
