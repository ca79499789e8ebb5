using System.Globalization;

namespace SampleMind.Cli.Commands.Reconcile;

/// <summary>How reconcile prints and compares a figure: invariant culture, decimals by value (801.0 is 801).</summary>
internal static class ReconcileText
{
    public static string? Of(object? value) => value switch
    {
        null => null,
        decimal d => d.ToString("G29", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
