using Spectre.Console.Cli;

namespace SampleMind.Cli.Infrastructure;

/// <summary>An expected failure: its message is what the operator sees, on one line, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

internal static class CliErrors
{
    public static int Report(Exception ex)
    {
        var (message, code) = ex switch
        {
            CliException cli => (cli.Message, cli.ExitCode),
            CommandParseException or CommandRuntimeException => (ex.Message, 2),
            OperationCanceledException => ("cancelled", 130),
            IOException or UnauthorizedAccessException => (ex.Message, 1),
            _ => ($"unexpected {ex.GetType().Name}: {ex.Message}", 1),
        };
        Console.Error.WriteLine($"samplemind: {message.ReplaceLineEndings(" ")}");
        if (Environment.GetEnvironmentVariable("SAMPLEMIND_TRACE") == "1")
        {
            Console.Error.WriteLine(ex.ToString()); // SAMPLEMIND_TRACE=1: the whole exception, for a bug report
        }
        return code;
    }
}
