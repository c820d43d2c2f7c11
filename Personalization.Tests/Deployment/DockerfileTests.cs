using System.Globalization;
using System.Reflection;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Cli;
using Personalization.Node.Hosting;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Deployment;

/// <summary>
/// The Dockerfile cannot be built here (no daemon), so it is checked statically against the code and the manifests:
/// entrypoint = the node assembly, CMD = a real verb, ports = the node's defaults = the pod's container ports,
/// non-root, every COPY source exists and is not excluded by .dockerignore, and the publish layout it relies on.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly string Root = RepositoryPaths.Root;

    private static readonly List<(string Instruction, string Arguments)> Instructions = Parse(File.ReadAllText(Path.Combine(Root, "Dockerfile")));

    private static List<(string Instruction, string Arguments)> FinalStage =>
        Instructions.Skip(Instructions.FindLastIndex(i => i.Instruction == "FROM")).ToList();

    [Fact]
    public void Builds_with_the_sdk_and_runs_on_the_aspnet_image_of_the_target_framework()
    {
        var framework = typeof(NodeOptions).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName; // .NETCoreApp,Version=v10.0
        var version = framework[(framework.LastIndexOf('v') + 1)..];
        var froms = Instructions.Where(i => i.Instruction == "FROM").Select(i => StripFlags(i.Arguments)).ToList();
        Assert.True(froms.Count >= 2, "expected a multi-stage build");
        Assert.StartsWith($"mcr.microsoft.com/dotnet/sdk:{version}", froms[0], StringComparison.Ordinal);
        Assert.StartsWith($"mcr.microsoft.com/dotnet/aspnet:{version}", froms[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Entrypoint_runs_the_node_assembly_and_cmd_is_the_run_verb()
    {
        var assembly = typeof(NodeOptions).Assembly.GetName().Name + ".dll";
        var entrypoint = JsonArgs(FinalStage, "ENTRYPOINT");
        Assert.Equal(["dotnet", assembly], entrypoint);
        var cmd = JsonArgs(FinalStage, "CMD");
        Assert.Equal(["run"], cmd);
        Assert.Contains(NodeCli.Build().Subcommands, c => c.Name == cmd[0]);
    }

    [Fact]
    public void Exposes_the_nodes_http_and_remoting_ports_which_the_pods_use()
    {
        var exposed = FinalStage.Where(i => i.Instruction == "EXPOSE")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture))
            .ToHashSet();
        var defaults = new NodeOptions();
        Assert.Contains(defaults.Http.Port, exposed);
        Assert.Contains(defaults.Cluster.Port, exposed);
        Assert.Contains(defaults.Cluster.Bootstrap.ManagementPort, exposed);

        var m = Kustomize.Render("base");
        Assert.Contains(m.ContainerPort("http"), exposed);
        Assert.Contains(m.ContainerPort("remoting"), exposed);
        Assert.Contains(m.ContainerPort("management"), exposed);
    }

    [Fact]
    public void Runs_as_a_non_root_user_matching_the_pods_security_context()
    {
        var user = FinalStage.LastOrDefault(i => i.Instruction == "USER").Arguments?.Trim();
        Assert.False(string.IsNullOrEmpty(user), "the runtime stage sets no USER: the container would run as root");
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        var podUid = Manifests.Long(Kustomize.Render("base").PodSpec, "securityContext.runAsUser");
        Assert.True(user == "$APP_UID" || user == "${APP_UID}" || user == podUid.ToString(CultureInfo.InvariantCulture),
            $"USER {user}: use $APP_UID (1654 in the mcr.microsoft.com/dotnet images), the UID the pod runs as ({podUid})");
    }

    [Fact]
    public void Publishes_the_node_where_the_runtime_stage_copies_from_with_model_and_librdkafka()
    {
        var publish = Instructions.Single(i => i.Instruction == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal)).Arguments;
        Assert.Contains("Personalization.Node", publish, StringComparison.Ordinal);
        Assert.Contains("-c Release", publish, StringComparison.Ordinal);
        var output = Regex.Match(publish, @"(?:-o|--output)\s+(\S+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(output), "dotnet publish has no -o");
        var copy = FinalStage.Single(i => i.Instruction == "COPY" && i.Arguments.Contains("--from=", StringComparison.Ordinal)).Arguments;
        Assert.Equal(output, StripFlags(copy).Split(' ', StringSplitOptions.RemoveEmptyEntries)[0].TrimEnd('/'));

        // The paths the build checks are the ones the code loads: LibrdkafkaLoader's first candidate, the default model.
        Assert.Contains($"{output}/librdkafka/linux-x64/{LibrdkafkaLoader.Centos8FileName}", publish, StringComparison.Ordinal);
        Assert.Contains($"{output}/{new NodeOptions().Model.Path}/manifest.json", publish, StringComparison.Ordinal);
        // ...and a build of the Node project really lays them out so (this test's own output has the same items).
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "librdkafka", "linux-x64", LibrdkafkaLoader.Centos8FileName)),
            "the build no longer places the centos8 librdkafka under librdkafka/linux-x64/");
    }

    [Fact]
    public void Every_copied_path_exists_and_is_not_dockerignored()
    {
        var ignore = File.ReadAllLines(Path.Combine(Root, ".dockerignore"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        var sources = Instructions
            .Where(i => i.Instruction == "COPY" && !i.Arguments.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(i =>
            {
                var parts = StripFlags(i.Arguments).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts[..^1];
            })
            .ToList();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = source.TrimEnd('/');
            Assert.True(File.Exists(Path.Combine(Root, path)) || Directory.Exists(Path.Combine(Root, path)), $"COPY {source}: not in the repository");
            var excludedBy = ignore.FirstOrDefault(p => !p.StartsWith('!') && IgnoreMatches(p, path));
            Assert.True(excludedBy is null, $"COPY {source}: excluded from the build context by .dockerignore pattern '{excludedBy}'");
        }

        // The projects the node needs are all copied (a new project reference would otherwise break the image build).
        foreach (var project in new[] { "Personalization.Actors", "Personalization.Node" })
            Assert.Contains(sources, s => s.TrimEnd('/') == project);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static List<(string, string)> Parse(string dockerfile)
    {
        var joined = Regex.Replace(dockerfile, @"\\\r?\n", " ");
        return joined.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l =>
            {
                var space = l.IndexOf(' ', StringComparison.Ordinal);
                return space < 0 ? (l.ToUpperInvariant(), "") : (l[..space].ToUpperInvariant(), l[(space + 1)..].Trim());
            })
            .ToList();
    }

    private static string StripFlags(string arguments) =>
        string.Join(' ', arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(a => a.StartsWith("--", StringComparison.Ordinal)));

    private static string[] JsonArgs(List<(string Instruction, string Arguments)> stage, string instruction)
    {
        var (_, arguments) = stage.LastOrDefault(i => i.Instruction == instruction);
        Assert.True(arguments is not null, $"the runtime stage has no {instruction}");
        Assert.True(arguments.StartsWith('['), $"{instruction} must use the exec (JSON) form, so SIGTERM reaches dotnet directly");
        return JsonSerializer.Deserialize<string[]>(arguments)!;
    }

    /// <summary>Docker's .dockerignore matching, simplified: a pattern excludes a path or any of its parent folders.</summary>
    private static bool IgnoreMatches(string pattern, string path)
    {
        var regex = "^" + Regex.Escape(pattern.TrimEnd('/'))
            .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal) + "$";
        var segments = path.Split('/');
        for (var n = 1; n <= segments.Length; n++)
            if (Regex.IsMatch(string.Join('/', segments.Take(n)), regex)) return true;
        return false;
    }
}
