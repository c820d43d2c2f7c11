using Personalization.Actors.Filters;
using Personalization.Actors.Kafka.Availability;
using Personalization.Actors.Kafka.Producers;

namespace Personalization.Node.Hosting;

public static class FiltersHosting
{
    /// <summary>
    /// The business filters of answers (docs/DESIGN.md, "Business filters"): the item catalog (read now, so a bad file
    /// stops the start with its line and reason), the availability snapshot and the reader that keeps it current
    /// (a hosted service, readiness check <c>availability</c>), and the producer behind <c>/admin/items/…</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The catalog file is refused (the sentence names the file, line and reason).</exception>
    public static IServiceCollection AddBusinessFilters(this IServiceCollection services, NodeOptions options)
    {
        ItemCatalog? catalog = null;
        if (!string.IsNullOrWhiteSpace(options.Filters.CatalogPath) &&
            ItemCatalogFile.TryLoad(options.Filters.CatalogPath, out catalog) is { } problem)
            throw new ArgumentException($"Filters:CatalogPath: {problem}", nameof(options));
        services.AddSingleton<ItemAvailability>();
        services.AddSingleton(sp => new BusinessFilters(sp.GetRequiredService<ItemAvailability>(), catalog));
        services.AddSingleton(_ => new ItemAvailabilityProducer(options.Kafka.BootstrapServers, options.Kafka.AvailabilityTopic, options.Kafka.Config));
        services.AddSingleton<ItemAvailabilityService>();
        services.AddHostedService(sp => sp.GetRequiredService<ItemAvailabilityService>());
        services.AddReadiness<ItemAvailabilityService>(ItemAvailabilityService.CheckName);
        return services;
    }
}

/// <summary>
/// Runs the availability reader for the node's lifetime. Ready once the reader has read the topic up to the end
/// offsets it had at start, so a node never serves an item that was withdrawn before it started.
/// </summary>
public sealed class ItemAvailabilityService(NodeOptions options, ItemAvailability availability, BusinessFilters filters, ILogger<ItemAvailabilityService> logger)
    : IHostedService, IReadinessCheck, IDisposable
{
    public const string CheckName = "availability";

    private DeadLetterProducer? _deadLetters;
    private ItemAvailabilityReader? _reader;
    private int _disposed;

    public string Name => CheckName;

    /// <summary>The running reader (null before the host starts it).</summary>
    public ItemAvailabilityReader? Reader => _reader;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var kafka = options.Kafka;
        _deadLetters = new DeadLetterProducer(kafka.BootstrapServers, properties: kafka.Config);
        _reader = new ItemAvailabilityReader(
            new ItemAvailabilityReaderSettings { BootstrapServers = kafka.BootstrapServers, Topic = kafka.AvailabilityTopic, Properties = kafka.Config },
            availability, _deadLetters, logger);
        _reader.Start();
        logger.LogInformation("Following item availability in {Topic} (every partition, from the start); item catalog: {Catalog}",
            kafka.AvailabilityTopic, filters.Catalog is { } c ? $"{c.Count} items, attributes {string.Join(", ", c.AttributeNames)}, from {c.Source}" : "none");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public (bool Ready, string Detail) Check() => _reader?.Check() ?? (false, "starting");

    /// <summary>Idempotent: the host stops it, DI disposes it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _reader?.Dispose();
        _deadLetters?.Dispose();
    }
}
