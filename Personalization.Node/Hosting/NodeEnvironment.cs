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
        Add(env, "Http", options.Http);
        Add(env, "Kafka", options.Kafka);
        Add(env, "Store", options.Store);
        Add(env, "Model", options.Model);
        Add(env, "Cluster", options.Cluster);
        Add(env, "Sessions", options.Sessions);
        Add(env, "Shutdown", options.Shutdown);
        Add(env, "DataQuality", options.DataQuality);
        Add(env, "Filters", options.Filters);
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
