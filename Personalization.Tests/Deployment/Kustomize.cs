using Xunit;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Personalization.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Personalization.Tests.Deployment;

/// <summary>
/// Renders a kustomization under k8s/ with <c>kubectl kustomize</c> (offline, no cluster) and parses the result.
/// kubectl is required: without it the deployment tests fail with a message saying how to get it, never skip.
/// </summary>
public static class Kustomize
{
    private static readonly ConcurrentDictionary<string, Lazy<Manifests>> Cache = new();

    /// <summary>k8s/base and every folder under k8s/overlays: a new overlay is tested without touching the tests.</summary>
    public static IReadOnlyList<string> Targets()
    {
        var k8s = Path.Combine(RepositoryPaths.Root, "k8s");
        var overlays = Path.Combine(k8s, "overlays");
        var targets = new List<string> { "base" };
        if (Directory.Exists(overlays))
        {
            targets.AddRange(Directory.GetDirectories(overlays)
                .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")))
                .Select(d => "overlays/" + Path.GetFileName(d))
                .Order(StringComparer.Ordinal));
        }

        return targets;
    }

    public static TheoryData<string> TargetData()
    {
        var data = new TheoryData<string>();
        foreach (var t in Targets()) data.Add(t);
        return data;
    }

    /// <summary>The rendered objects of k8s/&lt;target&gt; (rendered once per test run).</summary>
    public static Manifests Render(string target) =>
        Cache.GetOrAdd(target, t => new Lazy<Manifests>(() => new Manifests(t, ParseYamlStream(RunKubectlKustomize(t))))).Value;

    private static string RunKubectlKustomize(string target)
    {
        var kubectl = FindKubectl();
        var dir = Path.Combine(RepositoryPaths.Root, "k8s", target);
        Assert.True(Directory.Exists(dir), $"no kustomization folder {dir}");
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(dir);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {kubectl}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`kubectl kustomize k8s/{target}` did not finish in 30 s");
        }

        Assert.True(process.ExitCode == 0, $"`kubectl kustomize k8s/{target}` failed (exit {process.ExitCode}):\n{stderr.Result}");
        return stdout.Result;
    }

    /// <summary>$KUBECTL, else kubectl on the PATH.</summary>
    private static string FindKubectl()
    {
        if (Environment.GetEnvironmentVariable("KUBECTL") is { Length: > 0 } configured)
        {
            Assert.True(File.Exists(configured), $"KUBECTL={configured} does not exist");
            return configured;
        }

        var names = OperatingSystem.IsWindows() ? new[] { "kubectl.exe" } : ["kubectl"];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        foreach (var name in names)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }

        Assert.Fail(
            "kubectl was not found on the PATH. The deployment tests render k8s/ offline with `kubectl kustomize` " +
            "(kubectl >= 1.27, which bundles kustomize 5; no cluster needed). Install it " +
            "(https://kubernetes.io/docs/tasks/tools/ — e.g. `curl -LO https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl " +
            "&& install kubectl /usr/local/bin/`) or point KUBECTL at the binary.");
        return null!;
    }

    /// <summary>Every YAML document as JSON; plain scalars that look like numbers/booleans/null become those.</summary>
    public static List<JsonObject> ParseYamlStream(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var objects = new List<JsonObject>();
        foreach (var document in stream.Documents)
        {
            if (ToJson(document.RootNode) is JsonObject o) objects.Add(o);
        }

        return objects;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException($"YAML node {node.GetType().Name}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(text);
        if (text is "" or "~" or "null") return null;
        if (text is "true" or "false") return JsonValue.Create(text == "true");
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        return JsonValue.Create(text);
    }
}

/// <summary>The objects one kustomization renders, with the lookups the tests need.</summary>
public sealed class Manifests(string target, IReadOnlyList<JsonObject> objects)
{
    public string Target { get; } = target;

    public IReadOnlyList<JsonObject> Objects { get; } = objects;

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Str(o, "kind") == kind);

    public JsonObject Single(string kind)
    {
        var all = OfKind(kind).ToList();
        Assert.True(all.Count == 1, $"k8s/{Target}: expected one {kind}, found {all.Count}");
        return all[0];
    }

    public JsonObject? Named(string kind, string name) => OfKind(kind).FirstOrDefault(o => Name(o) == name);

    public JsonObject StatefulSet => Single("StatefulSet");

    public JsonObject PodSpec => Obj(StatefulSet, "spec.template.spec");

    public JsonObject Container
    {
        get
        {
            var containers = Arr(PodSpec, "containers").OfType<JsonObject>().ToList();
            Assert.True(containers.Count == 1, $"k8s/{Target}: expected one container in the StatefulSet, found {containers.Count}");
            return containers[0];
        }
    }

    public int Replicas => (int)Long(StatefulSet, "spec.replicas");

    /// <summary>containerPort of a named port of the container.</summary>
    public int ContainerPort(string name) =>
        (int)Long(Arr(Container, "ports").OfType<JsonObject>().Single(p => Str(p, "name") == name), "containerPort");

    /// <summary>A probe's or a Service's port: a number, or the name of a container port.</summary>
    public int ResolvePort(JsonNode? port) => port switch
    {
        null => throw new InvalidOperationException("no port"),
        _ when port.GetValueKind() == System.Text.Json.JsonValueKind.Number => port.GetValue<int>(),
        _ => ContainerPort(port.GetValue<string>()),
    };

    /// <summary>The container's environment as Kubernetes builds it: envFrom first (in order), then env (wins).</summary>
    public IReadOnlyList<EnvVar> Environment()
    {
        var result = new List<EnvVar>();
        foreach (var source in Arr(Container, "envFrom").OfType<JsonObject>())
        {
            var prefix = Str(source, "prefix") ?? "";
            if (source["configMapRef"] is JsonObject cmRef)
            {
                var cm = Named("ConfigMap", Str(cmRef, "name")!);
                Assert.True(cm is not null, $"k8s/{Target}: envFrom ConfigMap {Str(cmRef, "name")} is not rendered");
                foreach (var (key, value) in (cm!["data"] as JsonObject) ?? [])
                    result.Add(new EnvVar(prefix + key, EnvSource.ConfigMap, value?.ToString(), Str(cmRef, "name"), key));
            }
            else if (source["secretRef"] is JsonObject)
            {
                Assert.Fail($"k8s/{Target}: envFrom secretRef hides which settings come from the Secret; use env + secretKeyRef");
            }
        }

        foreach (var e in Arr(Container, "env").OfType<JsonObject>())
        {
            var name = Str(e, "name")!;
            result.RemoveAll(v => v.Name == name);
            if (e["valueFrom"] is JsonObject from)
            {
                if (from["secretKeyRef"] is JsonObject s)
                    result.Add(new EnvVar(name, EnvSource.Secret, null, Str(s, "name"), Str(s, "key")));
                else if (from["configMapKeyRef"] is JsonObject c)
                    result.Add(new EnvVar(name, EnvSource.ConfigMap, Str(Named("ConfigMap", Str(c, "name")!)!, "data." + Str(c, "key")), Str(c, "name"), Str(c, "key")));
                else if (from["fieldRef"] is JsonObject f)
                    result.Add(new EnvVar(name, EnvSource.Field, null, null, Str(f, "fieldPath")));
                else
                    result.Add(new EnvVar(name, EnvSource.Other, null, null, null));
            }
            else
            {
                result.Add(new EnvVar(name, EnvSource.Literal, Str(e, "value") ?? "", null, null));
            }
        }

        return result;
    }

    // --- JSON path helpers ("a.b.c"; keys may contain '/', never '.').

    public static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (node is not JsonObject o) return null;
            node = o[part];
        }

        return node;
    }

    public static string? Str(JsonNode? node, string path) => At(node, path) is { } n ? n.ToString() : null;

    public static long Long(JsonNode? node, string path) =>
        At(node, path) is { } n ? long.Parse(n.ToString(), CultureInfo.InvariantCulture) : throw new Xunit.Sdk.XunitException($"missing {path}");

    public static JsonObject Obj(JsonNode? node, string path) =>
        At(node, path) as JsonObject ?? throw new Xunit.Sdk.XunitException($"missing object {path}");

    public static JsonArray Arr(JsonNode? node, string path) => At(node, path) as JsonArray ?? [];

    public static string? Name(JsonNode? node) => Str(node, "metadata.name");

    public static IReadOnlyDictionary<string, string> Map(JsonNode? node, string path) =>
        (At(node, path) as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "") ?? new Dictionary<string, string>();
}

public enum EnvSource
{
    Literal,
    ConfigMap,
    Secret,
    Field,
    Other,
}

/// <summary>One environment variable of the container and where its value comes from.</summary>
public sealed record EnvVar(string Name, EnvSource Source, string? Value, string? RefName, string? RefKey);
