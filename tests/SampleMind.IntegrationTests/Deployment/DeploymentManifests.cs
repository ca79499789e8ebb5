using System.Collections;
using System.Diagnostics;
using System.Reflection;
using SampleMind.IntegrationTests.Processes;
using YamlDotNet.RepresentationModel;

namespace SampleMind.IntegrationTests.Deployment;

/// <summary>
/// deploy/k8s rendered with <c>kubectl kustomize</c> (the real kustomize; no cluster needed) and read as YAML, and
/// deploy/docker's Dockerfiles: what the tests hold against the hosts' code.
/// </summary>
public static class DeploymentManifests
{
    public static readonly string[] Overlays = ["local", "production"];

    public static string K8sDirectory => Path.Combine(BuiltHosts.RepositoryRoot, "deploy", "k8s");

    /// <summary>Every object of the overlay, rendered.</summary>
    public static IReadOnlyList<YamlMappingNode> Render(string overlay)
    {
        var info = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("kustomize");
        info.ArgumentList.Add(Path.Combine(K8sDirectory, "overlays", overlay));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("kubectl did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {overlay} failed ({process.ExitCode}): {error}");
        }
        var stream = new YamlStream();
        stream.Load(new StringReader(output.Result));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    public static string Kind(this YamlMappingNode node) => node.Scalar("kind");

    public static string Name(this YamlMappingNode node) => node.Map("metadata").Scalar("name");

    public static string Scalar(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode s ? s.Value ?? "" : throw new KeyNotFoundException($"no scalar '{key}'");

    public static string? ScalarOrNull(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode s ? s.Value : null;

    public static YamlMappingNode Map(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode m ? m : throw new KeyNotFoundException($"no mapping '{key}'");

    public static YamlMappingNode? MapOrNull(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode m ? m : null;

    public static IEnumerable<YamlMappingNode> Seq(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode seq ? seq.Children.Cast<YamlMappingNode>() : [];

    public static IEnumerable<string> Strings(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode seq ? seq.Children.Cast<YamlScalarNode>().Select(s => s.Value ?? "") : [];

    public static Dictionary<string, string> Pairs(this YamlMappingNode? node) =>
        node is null ? [] : node.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value ?? "");

    /// <summary>The pod spec of a Deployment, StatefulSet or Job.</summary>
    public static YamlMappingNode PodSpec(this YamlMappingNode workload) => workload.Map("spec").Map("template").Map("spec");

    /// <summary>A container's environment: its env values (null when from a secret or field) over its envFrom config maps.</summary>
    public static Dictionary<string, string?> Environment(this YamlMappingNode container, IReadOnlyList<YamlMappingNode> objects)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var from in container.Seq("envFrom"))
        {
            var name = from.Map("configMapRef").Scalar("name");
            var map = objects.Single(o => o.Kind() == "ConfigMap" && o.Name() == name);
            foreach (var (key, value) in map.MapOrNull("data").Pairs())
            {
                environment[key] = value;
            }
        }
        foreach (var variable in container.Seq("env"))
        {
            environment[variable.Scalar("name")] = variable.ScalarOrNull("value");
        }
        return environment;
    }

    /// <summary>The Dockerfile's instructions of its final stage by name (ENV, EXPOSE, HEALTHCHECK, ENTRYPOINT, CMD, USER), continuation lines joined.</summary>
    public static ILookup<string, string> DockerfileFinalStage(string name)
    {
        var text = File.ReadAllText(Path.Combine(BuiltHosts.RepositoryRoot, "deploy", "docker", name)).Replace("\\\n", " ", StringComparison.Ordinal);
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var final = lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal));
        return lines.Skip(final).Select(l => (Instruction: l.Split(' ', 2)[0], Arguments: l.Split(' ', 2).ElementAtOrDefault(1) ?? ""))
            .ToLookup(x => x.Instruction, x => x.Arguments);
    }
}

/// <summary>
/// Whether a configuration key given as an environment variable (Section__Key__0__Sub) names a property of the options
/// class the host binds that section to.
/// </summary>
public sealed class HostConfiguration(string host, IReadOnlyDictionary<string, Type> sections)
{
    public string Host { get; } = host;

    /// <summary>Null when the key binds; otherwise why not.</summary>
    public string? Problem(string variable)
    {
        var parts = variable.Split("__");
        if (!sections.TryGetValue(parts[0], out var type))
        {
            return $"{Host}: no configuration section '{parts[0]}' (for {variable})";
        }
        foreach (var part in parts.Skip(1))
        {
            if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
            {
                if (!int.TryParse(part, out _))
                {
                    return $"{Host}: {variable}: '{part}' is not an index of {type.Name}";
                }
                type = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().Last();
                continue;
            }
            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.SetMethod is null && !typeof(IEnumerable).IsAssignableFrom(property.PropertyType))
            {
                return $"{Host}: {variable}: {type.Name} has no settable property '{part}'";
            }
            type = property.PropertyType;
        }
        return null;
    }
}
