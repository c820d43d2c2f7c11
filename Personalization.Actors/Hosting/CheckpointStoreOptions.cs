namespace Personalization.Actors.Hosting;

public enum CheckpointStoreProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>Which Akka.Persistence journal holds the checkpoints.</summary>
public enum CheckpointJournalKind
{
    /// <summary><see cref="Persistence.CheckpointJournal"/>: the latest checkpoint per user, upserted, group committed (the engine's).</summary>
    Latest,

    /// <summary>Akka.Persistence.Sql's append-only journal and snapshot store (the naive baseline's, and the comparison in bench/).</summary>
    AkkaPersistenceSql,
}

/// <summary>Where user checkpoints live: a SQLite file (single node) or PostgreSQL (cluster).</summary>
public sealed record CheckpointStoreOptions(CheckpointStoreProvider Provider, string ConnectionString)
{
    public CheckpointJournalKind Journal { get; init; } = CheckpointJournalKind.Latest;

    public static CheckpointStoreOptions SqliteFile(string path) => new(CheckpointStoreProvider.Sqlite, $"Data Source={path}");

    /// <summary>Parses "sqlite" / "postgresql" (also "postgres", "pg"); anything else is refused with a sentence.</summary>
    public static CheckpointStoreProvider ParseProvider(string value) => value.Trim().ToLowerInvariant() switch
    {
        "sqlite" => CheckpointStoreProvider.Sqlite,
        "postgresql" or "postgres" or "pg" => CheckpointStoreProvider.PostgreSql,
        _ => throw new ArgumentException($"unknown checkpoint store provider \"{value}\": use sqlite or postgresql"),
    };
}
