namespace Personalization.Actors.Persistence;

/// <summary>
/// Storage of <see cref="CheckpointJournal"/>: one row per persistence id, upserted. Every call is made from one loop at a
/// time (one writer, one reader), so implementations keep their connection and prepared commands.
/// </summary>
public interface ICheckpointTable : IAsyncDisposable
{
    Task EnsureCreatedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes the rows in one transaction, in order. A row whose sequence number is not above the stored one is not written
    /// (a stale writer): its index is returned, so that write is rejected rather than reported durable.
    /// </summary>
    Task<IReadOnlyCollection<int>> UpsertAsync(IReadOnlyList<CheckpointRow> rows, CancellationToken cancellationToken);

    /// <summary>The stored rows of those ids (absent ids are absent from the result).</summary>
    Task<IReadOnlyDictionary<string, CheckpointRow>> ReadAsync(IReadOnlyCollection<string> persistenceIds, CancellationToken cancellationToken);

    /// <summary>Drops the payload when the stored event is at or below <paramref name="toSequenceNr"/>; the sequence number stays.</summary>
    Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken);
}
