using System.ComponentModel;
using System.Diagnostics;
using SampleMind.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public sealed class ReplaySettings : IngestTargetSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("NDJSON file of Segment events (one per line), e.g. from simulate --out")]
    public string File { get; set; } = "";

    public override ValidationResult Validate() =>
        Target is null && !IntoLog ? ValidationResult.Error("replay needs --target URL and --write-key KEY, or --into-log") : base.Validate();
}

/// <summary><c>samplemind replay FILE --target URL --write-key K</c>: sends a file's events in file order.</summary>
public sealed class ReplayCommand : AsyncCommand<ReplaySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ReplaySettings settings, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            file = new FileStream(settings.File, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot read {settings.File}: {ex.Message}");
        }

        var clock = Stopwatch.StartNew();
        long read = 0;
        await using (file)
        {
            await using var sink = await settings.OpenSinkAsync(cancellationToken);
            await EventProgress.RunAsync(Markup.Escape(Path.GetFileName(settings.File)), file.Length, () => read, settings.IntoLog ? null : () => sink.Delivered, async setProgress =>
            {
                var buffer = new byte[1 << 20];
                var filled = 0;
                while (!cancellationToken.IsCancellationRequested)
                {
                    if (filled == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    var n = await file.ReadAsync(buffer.AsMemory(filled), CancellationToken.None);
                    var eof = n == 0;
                    filled += n;
                    var start = 0;
                    while (true)
                    {
                        var newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start);
                        if (newline < 0)
                        {
                            // At the end of the file the last line may lack its newline.
                            newline = eof && start < filled ? filled : -1;
                        }

                        if (newline < 0)
                        {
                            break;
                        }

                        var line = buffer.AsSpan(start, newline - start).TrimEnd((byte)'\r');
                        start = Math.Min(filled, newline + 1);
                        if (line.IsEmpty)
                        {
                            continue;
                        }

                        read++;
                        if (sink.Write(line))
                        {
                            await sink.FlushAsync(partial: false);
                        }
                    }

                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                    setProgress(file.Position - filled);
                    if (eof)
                    {
                        break;
                    }
                }

                if (settings.IntoLog && cancellationToken.IsCancellationRequested)
                {
                    throw new CliException("interrupted: nothing was loaded into the log", 130);
                }
                await sink.CompleteAsync();
            });
        }

        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{(settings.IntoLog ? "loaded" : "sent")} {read:N0} events from {settings.File} {(settings.IntoLog ? "into the user event log" : "to " + settings.Target)} in {seconds:F1} s ({read / Math.Max(seconds, 1e-9):N0} ev/s)");
        return cancellationToken.IsCancellationRequested ? 130 : 0;
    }
}
