using System.ComponentModel;
using SampleMind.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

/// <summary>Options shared by commands that send events to a client-api's Segment endpoint.</summary>
public class IngestTargetSettings : CommandSettings
{
    [CommandOption("--target <URL>")]
    [Description("Base URL of a running client-api, e.g. http://127.0.0.1:5080 (events go to /v1/batch)")]
    public string? Target { get; set; }

    [CommandOption("--write-key <KEY>")]
    [Description("Segment write key (HTTP Basic user name, empty password)")]
    public string? WriteKey { get; set; }

    [CommandOption("--into-log")]
    [Description("Bulk-load the events straight into an empty user event log (binary COPY, one transaction; no silo needed): for training sets and benchmarks")]
    public bool IntoLog { get; set; }

    [CommandOption("--connection <CONNECTION>")]
    [Description("With --into-log: the PostgreSQL connection string (default: SAMPLEMIND_PG)")]
    public string? Connection { get; set; }

    [CommandOption("--concurrency <C>")]
    [Description("Batches in flight at once")]
    [DefaultValue(4)]
    public int Concurrency { get; set; } = 4;

    [CommandOption("--rate <EPS>")]
    [Description("Upper bound on events per second sent (default: as fast as the target takes them)")]
    public double? Rate { get; set; }

    [CommandOption("--batch-size <N>")]
    [Description("Events per /v1/batch request (a batch is also capped at 500 KB)")]
    [DefaultValue(100)]
    public int BatchSize { get; set; } = 100;

    public override ValidationResult Validate()
    {
        if (Target is not null)
        {
            if (!Uri.TryCreate(Target, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return ValidationResult.Error($"--target must be an http(s) URL, got '{Target}'");
            }

            if (string.IsNullOrEmpty(WriteKey))
            {
                return ValidationResult.Error("--target needs --write-key");
            }
        }

        if (IntoLog && Target is not null)
        {
            return ValidationResult.Error("give either --target URL or --into-log, not both");
        }

        if (Concurrency is < 1 or > 256)
        {
            return ValidationResult.Error("--concurrency must be between 1 and 256");
        }

        if (BatchSize is < 1 or > 10_000)
        {
            return ValidationResult.Error("--batch-size must be between 1 and 10000");
        }

        return Rate is <= 0 ? ValidationResult.Error("--rate must be positive") : ValidationResult.Success();
    }

    /// <summary>Where the events go: <c>--target</c> (HTTP) or <c>--into-log</c> (COPY); the caller checked that one is given.</summary>
    internal async Task<IEventSink> OpenSinkAsync(CancellationToken cancellationToken)
    {
        if (!IntoLog)
        {
            return new HttpSink(CreateSender());
        }
        return await LogCopySink.OpenAsync(CliDatabase.Open(Connection), cancellationToken);
    }

    internal BatchSender CreateSender() =>
        new(new Uri(Target!.TrimEnd('/') + "/"), WriteKey!, Concurrency, BatchSize, Rate, CancellationToken.None);
}
