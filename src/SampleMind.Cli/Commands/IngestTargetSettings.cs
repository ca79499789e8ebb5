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

    internal BatchSender CreateSender() =>
        new(new Uri(Target!.TrimEnd('/') + "/"), WriteKey!, Concurrency, BatchSize, Rate, CancellationToken.None);
}
