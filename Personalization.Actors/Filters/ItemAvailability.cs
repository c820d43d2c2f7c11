namespace Personalization.Actors.Filters;

/// <summary>
/// The node's current <see cref="AvailabilitySnapshot"/>: written by the availability reader's thread, read by every
/// query. One reference, swapped whole, so the hot path reads it with one volatile load and no lock.
/// </summary>
public sealed class ItemAvailability
{
    private AvailabilitySnapshot _current = AvailabilitySnapshot.Empty;

    public AvailabilitySnapshot Current => Volatile.Read(ref _current);

    public void Publish(AvailabilitySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Volatile.Write(ref _current, snapshot);
    }
}
