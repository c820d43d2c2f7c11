using Personalization.Actors.Delivery;
using Personalization.Actors.Events;

namespace Personalization.Actors.Sessions;

/// <summary>
/// What a user's session holds and checkpoints: counters, the recent-item ring, the Kafka offsets already applied, and
/// the model's opaque state vector. <see cref="Apply"/> records an event; the model step that goes with it is computed
/// elsewhere and handed in with <see cref="SetModelState"/>. The rules that decide what to apply live in
/// <see cref="UserSession"/>.
/// </summary>
public sealed class SessionRecord
{
    public SessionRecord(string userId, int recentCapacity)
    {
        UserId = userId;
        Recent = new RecentItems(recentCapacity);
    }

    public string UserId { get; }

    /// <summary>
    /// The model's state after <see cref="ModelSteps"/> steps; null until the first step (a new state is zeros). One
    /// array for the session's life, written in place by <see cref="SetModelState"/> (a new one only when the model's
    /// state size changes): a new array per step would live until the user's next event, long enough for the GC to
    /// promote it, and promoted garbage is what makes its pauses long (docs/DESIGN.md, "Serving while ingesting").
    /// Whoever needs it beyond the current message takes a copy (checkpoints, rankings off the actor).
    /// </summary>
    public float[]? State { get; private set; }

    public string? ModelName { get; private set; }

    public string? ModelVersion { get; private set; }

    /// <summary>How many model steps <see cref="State"/> reflects.</summary>
    public long ModelSteps { get; private set; }

    public long EventCount { get; private set; }

    public long Plays { get; private set; }

    public long Skips { get; private set; }

    public long Likes { get; private set; }

    public long PlaylistAdds { get; private set; }

    public long FirstEventAt { get; private set; }

    public long LastEventAt { get; private set; }

    public RecentItems Recent { get; private set; }

    public PartitionOffsets AppliedOffsets { get; private set; } = new();

    /// <summary>Records the event (offset, counters, recent items). The caller has classified it fresh (<see cref="Delivery.UserDelivery.Classify"/>).</summary>
    public void Apply(string itemId, EventType type, long timestamp, int partition, long offset)
    {
        if (offset >= 0) AppliedOffsets.Advance(partition, offset);
        EventCount++;
        switch (type)
        {
            case EventType.Play: Plays++; break;
            case EventType.Skip: Skips++; break;
            case EventType.Like: Likes++; break;
            case EventType.AddToPlaylist: PlaylistAdds++; break;
        }

        if (EventCount == 1) FirstEventAt = timestamp;
        LastEventAt = Math.Max(LastEventAt, timestamp);
        Recent.Add(new RecentItem(itemId, type, timestamp));
    }

    /// <summary>The state after more model steps (or a rebuilt one under another model: then <paramref name="steps"/> is the new total).</summary>
    public void SetModelState(float[] state, string modelName, string modelVersion, long steps)
    {
        if (State is not null && State.Length == state.Length) state.AsSpan().CopyTo(State);
        else State = state;
        ModelName = modelName;
        ModelVersion = modelVersion;
        ModelSteps = steps;
    }

    /// <summary>The session as of now; its state is a copy (it is written after this call returns, while the store writes).</summary>
    public UserCheckpoint ToCheckpoint() => new(
        (float[]?)State?.Clone(), ModelName, ModelVersion, ModelSteps, EventCount, Plays, Skips, Likes, PlaylistAdds,
        FirstEventAt, LastEventAt, Recent.ToList(), AppliedOffsets.Entries().ToArray());

    public static SessionRecord FromCheckpoint(string userId, int recentCapacity, UserCheckpoint checkpoint, Func<string, string>? intern = null)
    {
        var session = new SessionRecord(userId, recentCapacity)
        {
            State = checkpoint.State,
            ModelName = checkpoint.ModelName,
            ModelVersion = checkpoint.ModelVersion,
            ModelSteps = checkpoint.ModelSteps,
            EventCount = checkpoint.EventCount,
            Plays = checkpoint.Plays,
            Skips = checkpoint.Skips,
            Likes = checkpoint.Likes,
            PlaylistAdds = checkpoint.PlaylistAdds,
            FirstEventAt = checkpoint.FirstEventAt,
            LastEventAt = checkpoint.LastEventAt,
        };
        session.Recent.Reserve(checkpoint.Recent.Count);
        foreach (var item in checkpoint.Recent)
            session.Recent.Add(intern is null ? item : item with { ItemId = intern(item.ItemId) });
        foreach (var (partition, offset) in checkpoint.AppliedOffsets) session.AppliedOffsets.Advance(partition, offset);
        return session;
    }
}

/// <summary>What a user persists: the whole session at one point, including the offsets it covers (docs/DESIGN.md, invariant 1).</summary>
public sealed record UserCheckpoint(
    float[]? State,
    string? ModelName,
    string? ModelVersion,
    long ModelSteps,
    long EventCount,
    long Plays,
    long Skips,
    long Likes,
    long PlaylistAdds,
    long FirstEventAt,
    long LastEventAt,
    IReadOnlyList<RecentItem> Recent,
    IReadOnlyList<(int Partition, long Offset)> AppliedOffsets);
