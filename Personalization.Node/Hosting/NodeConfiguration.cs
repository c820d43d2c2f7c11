using System.ComponentModel.DataAnnotations;
using Personalization.Actors.Hosting;
using Personalization.Actors.Kafka;

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

        return FromConfiguration(builder.AddEnvironmentVariables().Build());
    }

    /// <summary>Binds the "Personalization" section; Kafka:Config is read as librdkafka properties (any accepted key spelling, nested sections joined with '.').</summary>
    public static NodeOptions FromConfiguration(IConfiguration configuration)
    {
        var options = new NodeOptions();
        var section = configuration.GetSection(NodeOptions.Section);
        section.Bind(options);
        options.Kafka.Config = KafkaClientProperties.Normalize(section.GetSection("Kafka:Config").AsEnumerable(makePathsRelative: true));
        return options;
    }

    /// <summary>A sentence naming the first wrong setting, or null.</summary>
    public static string? Validate(NodeOptions options)
    {
        if (options.Kafka.Partitions < 1) return "Kafka:Partitions must be at least 1";
        if (string.IsNullOrWhiteSpace(options.Kafka.BootstrapServers)) return "Kafka:BootstrapServers is empty";
        if (options.Http.Port is < 0 or > 65535) return $"Http:Port {options.Http.Port} is not a port";
        if (ValidateAvailabilityTopic(options.Kafka) is { } availability) return availability;
        if (options.Serving.IngestNice is < 0 or > 19) return $"Serving:IngestNice {options.Serving.IngestNice} must be from 0 (serving's priority) to 19 (lowest)";
        if (options.Sessions.SuppressIgnoredAfter is < 0 or > 100)
            return $"Sessions:SuppressIgnoredAfter {options.Sessions.SuppressIgnoredAfter} must be from 0 (off) to 100 answers";
        if (!(options.Experiments.AttributionWindowMinutes > 0 && options.Experiments.AttributionWindowMinutes <= 7 * 24 * 60))
            return $"Experiments:AttributionWindowMinutes {options.Experiments.AttributionWindowMinutes} must be more than 0 and at most a week (10080)";
        if (options.Experiments.Impressions && string.IsNullOrWhiteSpace(options.Experiments.ImpressionsTopic))
            return "Experiments:ImpressionsTopic is empty; name the topic or set Experiments:Impressions to false";
        if (options.Serving.IngestThreads is < 0 or > 256) return $"Serving:IngestThreads {options.Serving.IngestThreads} must be from 0 (one per core) to 256";
        if (options.Http.AdminPort is < 0 or > 65535) return $"Http:AdminPort {options.Http.AdminPort} is not a port";
        if (options.Http.AdminPort > 0 && options.Http.AdminPort == options.Http.Port)
            return $"Http:AdminPort {options.Http.AdminPort} is the public port: give the admin API a port of its own, or 0 to serve it on the public one";
        if (ValidateShutdown(options.Shutdown) is { } shutdown) return shutdown;
        if (options.DataQuality.ToSettings().Problem() is { } quality) return quality;
        if (ClusterFormation.Validate(options) is { } formation) return formation;
        if (KafkaClientProperties.Refusal(options.Kafka.Config, KafkaClientProperties.ConsumerOwned, "consumer") is { } consumer) return consumer;
        if (KafkaClientProperties.Refusal(options.Kafka.Config, KafkaClientProperties.ProducerOwned, "producers") is { } producer) return producer;
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

    /// <summary>The availability topic is a Kafka topic name of its own, or a sentence saying why not.</summary>
    public static string? ValidateAvailabilityTopic(NodeOptions.KafkaOptions kafka)
    {
        var topic = kafka.AvailabilityTopic;
        if (string.IsNullOrEmpty(topic) || topic.Length > 249 || topic is "." or ".." ||
            topic.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") >= 0)
            return $"Kafka:AvailabilityTopic \"{topic}\" is not a Kafka topic name (1 to 249 letters, digits, '.', '_' or '-')";
        if (topic == kafka.Topic || topic == kafka.DeadLetterTopic)
            return $"Kafka:AvailabilityTopic \"{topic}\" is the events topic or its dead-letter topic: give item availability a topic of its own";
        return null;
    }

    /// <summary>The shutdown settings nest (drain inside service-unbind, phases inside the total), or a sentence saying which does not.</summary>
    public static string? ValidateShutdown(NodeOptions.ShutdownOptions s)
    {
        const double close = NodeOptions.ShutdownOptions.ConsumerCloseSeconds;
        const double leave = NodeOptions.ShutdownOptions.LeaveSeconds;
        if (s.DrainTimeoutSeconds <= 0) return $"Shutdown:DrainTimeoutSeconds must be positive (is {s.DrainTimeoutSeconds})";
        if (s.ShardHandOffTimeoutSeconds <= 0) return $"Shutdown:ShardHandOffTimeoutSeconds must be positive (is {s.ShardHandOffTimeoutSeconds})";
        if (s.ServiceUnbindTimeoutSeconds <= s.DrainTimeoutSeconds + close)
            return $"Shutdown:ServiceUnbindTimeoutSeconds ({s.ServiceUnbindTimeoutSeconds}) must exceed Shutdown:DrainTimeoutSeconds ({s.DrainTimeoutSeconds}) + {close} s to commit and close the consumer, or coordinated shutdown cuts the Kafka drain short";
        var phases = s.ServiceUnbindTimeoutSeconds + s.ShardHandOffTimeoutSeconds + leave;
        if (s.TotalSeconds < phases)
            return $"Shutdown:TotalSeconds ({s.TotalSeconds}) must be at least Shutdown:ServiceUnbindTimeoutSeconds ({s.ServiceUnbindTimeoutSeconds}) + Shutdown:ShardHandOffTimeoutSeconds ({s.ShardHandOffTimeoutSeconds}) + {leave} s to leave the cluster = {phases} s";
        return null;
    }
}
