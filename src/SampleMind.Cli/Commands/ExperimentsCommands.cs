using System.ComponentModel;
using System.Globalization;
using SampleMind.Cli.Infrastructure;
using SampleMind.Experiments;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

/// <summary>A command that talks to the cluster as an Orleans client (through the database's membership table).</summary>
public class ClusterSettings : DbSettings
{
    [CommandOption("--cluster-id <ID>")]
    [DefaultValue("samplemind-local")]
    public string ClusterId { get; set; } = "samplemind-local";

    [CommandOption("--service-id <ID>")]
    [DefaultValue("samplemind")]
    public string ServiceId { get; set; } = "samplemind";
}

public class ExperimentsSettings : ClusterSettings
{
}

public sealed class ExperimentShowSettings : ExperimentsSettings
{
    [CommandArgument(0, "<KEY>")]
    [Description("The experiment's key")]
    public string Key { get; set; } = "";
}

/// <summary><c>samplemind experiments list</c>: every experiment, its status, exposures and winner.</summary>
public sealed class ExperimentsListCommand : AsyncCommand<ExperimentsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ExperimentsSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        await using var cluster = await ClusterConnection.ConnectAsync(dataSource, settings.ClusterId, settings.ServiceId, cancellationToken);
        var specs = (await cluster.Client.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ChangedSinceAsync(-1))?.Specs ?? [];
        var table = new Table().AddColumns("key", "status", "metric", "variants", "exposed", "winner");
        foreach (var spec in specs)
        {
            var view = (await cluster.Client.GetGrain<IExperimentGrain>(spec.Key).GetAsync())!;
            table.AddRow(Markup.Escape(view.Key), view.Status, Markup.Escape($"{view.MetricEvent} ≤ {view.WithinDays} d"),
                view.Variants.Length.ToString(CultureInfo.InvariantCulture), view.Variants.Sum(v => v.Exposed ?? 0).ToString("N0", CultureInfo.InvariantCulture),
                Markup.Escape(view.Winner ?? "—"));
        }
        AnsiConsole.Write(table);
        Console.WriteLine($"{specs.Length} experiment{(specs.Length == 1 ? "" : "s")}");
        return 0;
    }
}

/// <summary><c>samplemind experiments show KEY</c>: per-variant results, the tests against the control, and a chart of the rates.</summary>
public sealed class ExperimentsShowCommand : AsyncCommand<ExperimentShowSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ExperimentShowSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = CliDatabase.Open(settings.Connection);
        await using var cluster = await ClusterConnection.ConnectAsync(dataSource, settings.ClusterId, settings.ServiceId, cancellationToken);
        var view = await cluster.Client.GetGrain<IExperimentGrain>(settings.Key).GetAsync()
            ?? throw new CliException($"no experiment '{settings.Key}' exists (samplemind experiments list)", 1);
        static string P(double? v, string format = "0.0000") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "—";
        var table = new Table();
        foreach (var header in (string[])["variant", "price", "exposed", "conversions", "rate", "diff [95 % CI]", "p", "sequential p", "rev/visitor", "rev p", "churn"])
        {
            table.AddColumn(new TableColumn(new Text(header)));
        }
        foreach (var v in view.Variants)
        {
            string[] cells = [v.Name, v.Price?.ToString(CultureInfo.InvariantCulture) ?? "—",
                v.Exposed?.ToString("N0", CultureInfo.InvariantCulture) ?? "—", v.Conversions?.ToString("N0", CultureInfo.InvariantCulture) ?? "—", P(v.Rate, "0.00%"),
                v.Diff is null ? "—" : $"{P(v.Diff, "+0.00%;-0.00%")} [{P(v.CiLow, "+0.00%;-0.00%")}, {P(v.CiHigh, "+0.00%;-0.00%")}]",
                P(v.PValue), P(v.SequentialPValue), v.RevenuePerVisitor?.ToString("0.00", CultureInfo.InvariantCulture) ?? "—", P(v.RevenuePValue), P(v.Churn, "0.00%")];
            table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)));
        }
        Console.WriteLine($"{view.Key} {view.Status} · metric {view.MetricEvent} within {view.WithinDays} days · {view.Looks} look{(view.Looks == 1 ? "" : "s")}");
        AnsiConsole.Write(table);
        var chart = new BarChart().Label(Markup.Escape("conversion rate, %")).Width(60);
        foreach (var v in view.Variants)
        {
            chart.AddItem(Markup.Escape(v.Name), Math.Round((v.Rate ?? 0) * 100, 2), v.Name == view.Winner ? Color.Green : Color.Grey);
        }
        AnsiConsole.Write(chart);
        foreach (var e in view.Elasticity)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"elasticity {e.FromPrice} → {e.ToPrice}: {e.Elasticity:0.00} [{e.CiLow:0.00}, {e.CiHigh:0.00}]"));
        }
        Console.WriteLine($"sample ratio p {P(view.SrmPValue)}{(view.SampleRatioMismatch ? " MISMATCH" : "")} · winner {view.Winner ?? "none yet"}"
            + (view.RevenueOptimalPrice is { } price ? string.Create(CultureInfo.InvariantCulture, $" · revenue-optimal price {price}") : ""));
        return 0;
    }
}
