using SampleMind.Cli.Infrastructure;
using Spectre.Console;

namespace SampleMind.Cli.Bench;

/// <summary>One bar per phase on stderr, its live figure in the description; plain lines when stderr is not a terminal.</summary>
internal sealed class BenchProgress
{
    private readonly ProgressContext? _context;
    private readonly string _tool;

    private BenchProgress(ProgressContext? context, string tool)
    {
        _context = context;
        _tool = tool;
    }

    /// <param name="tool">The prefix of the plain lines (no terminal): the command's name.</param>
    public static async Task RunAsync(Func<BenchProgress, Task> body, string tool = "bench")
    {
        var console = EventProgress.Console;
        if (!console.Profile.Capabilities.Interactive)
        {
            await body(new BenchProgress(null, tool));
            return;
        }

        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(context => body(new BenchProgress(context, tool)));
    }

    /// <summary>A phase expected to take about <paramref name="seconds"/>.</summary>
    public BenchPhase Start(string name, double seconds) => new(name, _context?.AddTask(Markup.Escape(name), maxValue: Math.Max(1, seconds)), _tool);
}

internal sealed class BenchPhase(string name, ProgressTask? task, string tool)
{
    public void Update(double seconds, string detail)
    {
        if (task is not null)
        {
            task.Value = Math.Min(seconds, task.MaxValue * 0.99);
            task.Description = Markup.Escape($"{name}: {detail}");
        }
    }

    public void Done(string summary)
    {
        if (task is null)
        {
            EventProgress.Console.WriteLine($"{tool}: {name}: {summary}");
            return;
        }
        task.Description = Markup.Escape($"{name}: {summary}");
        task.Value = task.MaxValue;
        task.StopTask();
    }
}
