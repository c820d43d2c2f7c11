using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Personalization.Actors.Persistence;
using Microsoft.Data.Sqlite;

namespace Personalization.Actors.Hosting;

public static class CheckpointStoreHostingExtensions
{
    /// <summary>
    /// The Akka.Persistence journal that holds user checkpoints on SQLite or PostgreSQL: <see cref="CheckpointJournal"/>
    /// (latest checkpoint per user; no snapshot store needed, so none is asked at recovery), or Akka.Persistence.Sql's
    /// journal and snapshot store.
    /// </summary>
    public static AkkaConfigurationBuilder WithCheckpointStore(this AkkaConfigurationBuilder builder, CheckpointStoreOptions options)
    {
        if (options.Journal == CheckpointJournalKind.Latest)
            return builder.AddHocon(CheckpointJournalHocon(options), HoconAddMode.Prepend);

        var provider = options.Provider switch
        {
            CheckpointStoreProvider.Sqlite => ProviderName.SQLiteMS,
            CheckpointStoreProvider.PostgreSql => ProviderName.PostgreSQL15,
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
        if (options.Provider == CheckpointStoreProvider.Sqlite) PrepareSqlite(options.ConnectionString);
        return builder
            .WithSqlPersistence(
                connectionString: options.ConnectionString,
                providerName: provider,
                mode: PersistenceMode.Both,
                autoInitialize: true)
            .AddHocon(Tuning(options.Provider), HoconAddMode.Prepend);
    }

    /// <summary>
    /// Replay filter off: it spawns an actor per recovery to repair interleaved writers, and this journal replays one
    /// event written by the one writer sharding allows.
    /// </summary>
    internal static string CheckpointJournalHocon(CheckpointStoreOptions options) => $$"""
        akka.persistence.journal.plugin = "{{CheckpointJournal.PluginId}}"
        akka.persistence.snapshot-store.plugin = "akka.persistence.no-snapshot-store"
        akka.persistence.max-concurrent-recoveries = 500
        {{CheckpointJournal.PluginId}} {
          class = "{{typeof(CheckpointJournal).AssemblyQualifiedName}}"
          plugin-dispatcher = "akka.actor.default-dispatcher"
          provider = {{(options.Provider == CheckpointStoreProvider.Sqlite ? "sqlite" : "postgresql")}}
          connection-string = "{{options.ConnectionString.Replace("\\", "\\\\").Replace("\"", "\\\"")}}"
          replay-filter.mode = off
          circuit-breaker.call-timeout = 60s
        }
        """;

    /// <summary>
    /// Store settings for many small writers (one checkpoint per user every T seconds) and many first touches (every new
    /// user recovers first: snapshot load, highest sequence number, replay). Measured with bench/Personalization.LoadTest:
    /// <list type="bullet">
    /// <item>buffer-size: Akka.Persistence.Sql rejects writes once 5,000 rows are queued ("the queue buffer was full").
    /// 31k users that got events in the same second all checkpoint T later; the rejected PersistAsync stops the user
    /// actor (Akka's persist-failure rule), its waiting events are never acknowledged, and the partition's commits stall
    /// until the next restart. Queue up to 200,000 rows instead (~1 KB each): a burst waits, nothing fails.</item>
    /// <item>circuit-breaker call-timeout: a burst of recoveries queued behind those writes exceeded the default 10 s,
    /// the breaker opened and failed every recovery fast ("Circuit Breaker is open"), stopping those users the same way.</item>
    /// <item>SQLite reads: isolation "unspecified" becomes <c>BEGIN IMMEDIATE</c> in Microsoft.Data.Sqlite, i.e. every
    /// read takes the write lock and waits behind checkpoint writes; read-uncommitted maps to a deferred <c>BEGIN</c>, so
    /// with WAL readers do not block (they still read committed data: read_uncommitted only matters with a shared cache).</item>
    /// <item>max-concurrent-recoveries: 50 by default; a recovery is a few round trips, so first touches of thousands of
    /// users per second waited for permits.</item>
    /// </list>
    /// </summary>
    internal static string Tuning(CheckpointStoreProvider provider) =>
        (provider == CheckpointStoreProvider.Sqlite
            ? """
              akka.persistence.journal.sql.read-isolation-level = read-uncommitted
              akka.persistence.snapshot-store.sql.read-isolation-level = read-uncommitted

              """
            : "") +
        """
        akka.persistence.max-concurrent-recoveries = 200
        akka.persistence.journal.sql.buffer-size = 200000
        akka.persistence.journal.sql.circuit-breaker.call-timeout = 60s
        akka.persistence.snapshot-store.sql.circuit-breaker.call-timeout = 60s
        """;

    /// <summary>
    /// Write-ahead logging lets readers run beside the writer and makes batched commits ~2–10× faster (DESIGN.md's
    /// measurements); it is a property of the file, so it is set once before the plugin opens it.
    /// </summary>
    private static void PrepareSqlite(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } path && path != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        }

        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
        command.ExecuteNonQuery();
    }
}
