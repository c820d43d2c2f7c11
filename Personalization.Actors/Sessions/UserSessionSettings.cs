using Personalization.Actors.Persistence;

namespace Personalization.Actors.Sessions;

/// <summary>Tuning of user actors. Defaults suit production; tests shorten the intervals.</summary>
public sealed record UserSessionSettings
{
    /// <summary>How many recent items a session keeps (and excludes from recommendations).</summary>
    public int RecentItems { get; init; } = 50;

    /// <summary>A checkpoint is persisted at most this long after the first event it covers (bounds Kafka replay).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>…or after this many events, whichever comes first.</summary>
    public int CheckpointEveryEvents { get; init; } = 200;

    /// <summary>A user that received nothing through its shard for this long is passivated: it checkpoints and stops.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How many items a cached ranking holds (answers any k up to it without a model run).</summary>
    public int CachedRankingSize { get; init; } = 50;

    /// <summary>Events that queued while a step ran go to the model together, up to this many.</summary>
    public int MaxEventsPerStep { get; init; } = 64;

    /// <summary>The user's recent items are never recommended back (off: a surface that replays favourites).</summary>
    public bool ExcludeSeen { get; init; } = true;

    /// <summary>
    /// An item shown in this many answers whose next play was another item is held back from the user's answers, until
    /// the user plays it or <see cref="AttributionWindow"/> passes since it was last shown. 0: off (the default; nodes
    /// then tell the user's actor only experiments' answers).
    /// </summary>
    public int SuppressIgnoredAfter { get; init; }

    /// <summary>An experiment impression is scored by the user's first play within this time after it (by the event's time).</summary>
    public TimeSpan AttributionWindow { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Wait before retrying a failed model step (the events stay queued, in order).</summary>
    public TimeSpan StepRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The journal that holds user checkpoints, by plugin id: the user actor names it rather than taking the system's
    /// default, because <see cref="CheckpointJournal"/> keeps only the latest event of each id, which only a stream
    /// of whole-state checkpoints can live with.
    /// </summary>
    public string JournalPluginId { get; init; } = CheckpointJournal.PluginId;

    /// <summary>No snapshots: a checkpoint is the whole state, so there is nothing to compact.</summary>
    public string SnapshotPluginId { get; init; } = "akka.persistence.no-snapshot-store";
}
