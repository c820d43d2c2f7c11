using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Personalization.Actors.Hosting;

namespace Personalization.LoadTest.Infra;

/// <summary>
/// Akka.Persistence.Sql's append-only journal and snapshot store, as the system default: the naive baseline's store
/// and the comparison row of the journal ceilings. Not a product option: on this workload it cost ~78 KB per write and
/// three linq2db queries per recovery (bench/README.md), so the engine keeps its own <c>CheckpointJournal</c>.
/// </summary>
public static class AkkaPersistenceSqlStore
{
    public static AkkaConfigurationBuilder WithAkkaPersistenceSql(this AkkaConfigurationBuilder builder, CheckpointStoreProvider store, string connectionString)
    {
        var provider = store switch
        {
            CheckpointStoreProvider.Sqlite => ProviderName.SQLiteMS,
            CheckpointStoreProvider.PostgreSql => ProviderName.PostgreSQL15,
            _ => throw new ArgumentOutOfRangeException(nameof(store)),
        };
        if (store == CheckpointStoreProvider.Sqlite) PrepareSqlite(connectionString);
        return builder
            .WithSqlPersistence(
                connectionString: connectionString,
                providerName: provider,
                mode: PersistenceMode.Both,
                autoInitialize: true)
            .AddHocon(Tuning(store), HoconAddMode.Prepend);
    }

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
    /// Write-ahead logging lets readers run beside the writer and makes batched commits ~2–10× faster (the first design draft's
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
