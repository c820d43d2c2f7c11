namespace Personalization.Actors.Hosting;

public enum CheckpointStoreProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>Where user checkpoints live: a SQLite file (single node) or PostgreSQL (cluster).</summary>
public sealed record CheckpointStoreOptions(CheckpointStoreProvider Provider, string ConnectionString)
{
    public static CheckpointStoreOptions SqliteFile(string path) => new(CheckpointStoreProvider.Sqlite, $"Data Source={path}");

    /// <summary>Parses "sqlite" / "postgresql" (also "postgres", "pg"); anything else is refused with a sentence.</summary>
    public static CheckpointStoreProvider ParseProvider(string value) => value.Trim().ToLowerInvariant() switch
    {
        "sqlite" => CheckpointStoreProvider.Sqlite,
        "postgresql" or "postgres" or "pg" => CheckpointStoreProvider.PostgreSql,
        _ => throw new ArgumentException($"unknown checkpoint store provider \"{value}\": use sqlite or postgresql"),
    };
}
