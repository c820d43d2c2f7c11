namespace Personalization.Actors.Delivery;

/// <summary>What an arriving event is to the user that receives it (<see cref="UserDelivery.Classify"/>).</summary>
public enum Arrival
{
    /// <summary>Next in order: apply it.</summary>
    Fresh,

    /// <summary>Its offset is already applied (a redelivery): acknowledge it, apply nothing.</summary>
    Duplicate,

    /// <summary>Its predecessor never arrived: drop it unacknowledged and ask the source to read the partition again.</summary>
    Gap,
}
