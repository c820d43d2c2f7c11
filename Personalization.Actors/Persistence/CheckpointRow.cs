namespace Personalization.Actors.Persistence;

/// <summary>The one stored row of a persistence id: its latest event (a checkpoint), or only its sequence number once deleted.</summary>
public sealed record CheckpointRow(string PersistenceId, long SequenceNr, int SerializerId, string Manifest, byte[]? Payload, long WrittenAt)
{
    public bool IsDeleted => Payload is null;
}
