using System.Globalization;

namespace Personalization.Node.Hosting;

/// <summary>
/// The environment contract of a node (what a Kubernetes pod gets from its ConfigMap and Secrets): every
/// <see cref="NodeOptions"/> setting as a <c>Personalization__Section__Key</c> variable. `local-cluster` and the
/// cluster tests start their nodes with exactly this.
/// </summary>
public static class NodeEnvironment
{
    public static Dictionary<string, string> From(NodeOptions options)
    {
        var env = new Dictionary<string, string>();
        // Every section, so a section added to NodeOptions reaches node processes without being listed here too.
        foreach (var section in typeof(NodeOptions).GetProperties())
            if (section.GetValue(options) is { } settings && settings.GetType().DeclaringType == typeof(NodeOptions)) Add(env, section.Name, settings);
        return env;
    }

    private static void Add(Dictionary<string, string> env, string section, object settings)
    {
        foreach (var property in settings.GetType().GetProperties())
        {
            if (!property.CanWrite) continue; // derived values (SeedNodeList, DeadLetterTopic) are not settings
            var value = property.GetValue(settings);
            if (value is null) continue;
            if (value is IDictionary<string, string> map)
            {
                // librdkafka properties (Kafka:Config): one variable each; the dotted key is a valid name for a
                // child process's environment and a Kubernetes env entry.
                foreach (var (key, item) in map) env[$"{NodeOptions.Section}__{section}__{property.Name}__{key}"] = item;
                continue;
            }

            if (value.GetType().DeclaringType == typeof(NodeOptions))
            {
                Add(env, $"{section}__{property.Name}", value); // a nested section (Cluster:Tls)
                continue;
            }

            env[$"{NodeOptions.Section}__{section}__{property.Name}"] = Convert.ToString(value, CultureInfo.InvariantCulture)!;
        }
    }
}
