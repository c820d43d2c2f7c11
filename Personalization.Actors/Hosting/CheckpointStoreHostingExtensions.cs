using Akka.Hosting;
using Personalization.Actors.Persistence;

namespace Personalization.Actors.Hosting;

public static class CheckpointStoreHostingExtensions
{
    /// <summary>
    /// The journal that holds user checkpoints on SQLite or PostgreSQL: <see cref="CheckpointJournal"/> (the latest
    /// checkpoint per user, group committed; docs/DESIGN.md, "Checkpoints"). It is registered under its plugin id, not
    /// as the system's default journal: user actors name it (<see cref="Sessions.UserSessionSettings.JournalPluginId"/>),
    /// and any other persistent actor must choose a journal that keeps its history.
    /// </summary>
    public static AkkaConfigurationBuilder WithCheckpointStore(this AkkaConfigurationBuilder builder, CheckpointStoreOptions options) =>
        builder.AddHocon(CheckpointJournalHocon(options), HoconAddMode.Prepend);

    /// <summary>
    /// Replay filter off: it spawns an actor per recovery to repair interleaved writers, and this journal replays one
    /// event written by the one writer sharding allows. Call and recovery timeouts of 60 s: above the 45 s for which
    /// reads and writes ride out a database outage (<see cref="Persistence.TransientDatabaseErrors"/>), so a recovery
    /// waiting for the database is not failed by Akka first (default recovery-event-timeout: 30 s).
    /// </summary>
    internal static string CheckpointJournalHocon(CheckpointStoreOptions options) => $$"""
        akka.persistence.max-concurrent-recoveries = 500
        {{CheckpointJournal.PluginId}} {
          class = "{{typeof(CheckpointJournal).AssemblyQualifiedName}}"
          plugin-dispatcher = "akka.actor.default-dispatcher"
          provider = {{(options.Provider == CheckpointStoreProvider.Sqlite ? "sqlite" : "postgresql")}}
          connection-string = "{{options.ConnectionString.Replace("\\", "\\\\").Replace("\"", "\\\"")}}"
          replay-filter.mode = off
          circuit-breaker.call-timeout = 60s
          recovery-event-timeout = 60s
        }
        """;
}
