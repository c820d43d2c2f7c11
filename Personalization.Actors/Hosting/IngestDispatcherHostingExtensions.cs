using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Scheduling;

namespace Personalization.Actors.Hosting;

public static class IngestDispatcherHostingExtensions
{
    /// <summary>
    /// Defines <see cref="IngestDispatcher"/>: user actors and the Kafka stream then run on <paramref name="threads"/>
    /// dedicated threads at nice <paramref name="nice"/>, apart from the thread pool that serves HTTP (docs/DESIGN.md,
    /// "Serving while ingesting"). Without it they run on Akka's default dispatcher.
    /// </summary>
    public static AkkaConfigurationBuilder WithIngestDispatcher(this AkkaConfigurationBuilder builder, int threads, int nice) =>
        builder.AddHocon(IngestDispatcher.Hocon(threads, nice), HoconAddMode.Prepend);

    /// <summary>The ingest dispatcher's id when the system defines it, else null (Akka's default).</summary>
    public static string? IngestDispatcherOf(ActorSystem system) =>
        system.Settings.Config.HasPath(IngestDispatcher.Id + ".type") ? IngestDispatcher.Id : null;
}
