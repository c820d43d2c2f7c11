using System.ComponentModel.DataAnnotations;
using Personalization.Actors.Hosting;

namespace Personalization.Node.Hosting;

public static class NodeConfiguration
{
    /// <summary>appsettings.json (beside the binaries, then the working directory), an optional file, then the environment.</summary>
    public static NodeOptions Load(string? file)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.GetFullPath("appsettings.json"), optional: true);
        if (file is not null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"settings file {file} not found");
            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }

        var configuration = builder.AddEnvironmentVariables().Build();
        var options = new NodeOptions();
        configuration.GetSection(NodeOptions.Section).Bind(options);
        return options;
    }

    /// <summary>A sentence naming the first wrong setting, or null.</summary>
    public static string? Validate(NodeOptions options)
    {
        if (options.Kafka.Partitions < 1) return "Kafka:Partitions must be at least 1";
        if (string.IsNullOrWhiteSpace(options.Kafka.BootstrapServers)) return "Kafka:BootstrapServers is empty";
        if (options.Http.Port is < 0 or > 65535) return $"Http:Port {options.Http.Port} is not a port";
        // The limits carry their ranges as DataAnnotations attributes, next to their defaults.
        var failures = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options.Http, new ValidationContext(options.Http), failures, validateAllProperties: true))
            return $"Http:{failures[0].MemberNames.FirstOrDefault()}: {failures[0].ErrorMessage}";
        try
        {
            CheckpointStoreOptions.ParseProvider(options.Store.Provider);
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        return null;
    }
}
