namespace Personalization.Actors.Quality;

/// <summary>
/// The class of a dead-letter reason: a bounded label (<c>personalization_dlq_records_total{reason}</c>) for the
/// free-text sentence the record carries in its <c>dlq-reason</c> header. Every class but
/// <see cref="InternalError"/> is a schema violation (the record's bytes are not a listening event).
/// </summary>
public enum DeadLetterReason
{
    /// <summary>No value, or an empty one (a tombstone, whitespace only).</summary>
    Empty,

    /// <summary>Not UTF-8: a UTF-16/32 byte order mark, an invalid byte, an unpaired surrogate escape.</summary>
    Encoding,

    /// <summary>Not one JSON object: a syntax error, another JSON type, data after the object, nesting too deep.</summary>
    MalformedJson,

    /// <summary><c>user</c>, <c>item</c> or <c>type</c> is absent.</summary>
    MissingField,

    /// <summary>A field appears more than once.</summary>
    DuplicateField,

    /// <summary>A field has the wrong form: an id that is a float, blank, too long, with control characters; a bad <c>ts</c>.</summary>
    InvalidField,

    /// <summary><c>type</c> is not play, skip, like or add_to_playlist.</summary>
    UnknownType,

    /// <summary>The record's key is not the event's user.</summary>
    KeyMismatch,

    /// <summary>Handling the record threw (a bug of ours): dead-lettered with the exception, not a schema violation.</summary>
    InternalError,

    /// <summary>A reason no rule above recognises (a new decoder message: <c>DeadLetterReasonsTests</c> keeps this empty).</summary>
    Other,
}

/// <summary>Classifies the reason sentences of <c>KafkaRecordDecoder</c> / <c>ListeningEventJson</c>. Pure; runs only for dead-lettered records.</summary>
public static class DeadLetterReasons
{
    public static readonly DeadLetterReason[] All = Enum.GetValues<DeadLetterReason>();

    /// <summary>Starts the reason of a record whose handling threw (<c>IngestRecordHandler</c>).</summary>
    public const string InternalErrorPrefix = "internal error: ";

    public static string LabelOf(DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.Empty => "empty",
        DeadLetterReason.Encoding => "encoding",
        DeadLetterReason.MalformedJson => "malformed_json",
        DeadLetterReason.MissingField => "missing_field",
        DeadLetterReason.DuplicateField => "duplicate_field",
        DeadLetterReason.InvalidField => "invalid_field",
        DeadLetterReason.UnknownType => "unknown_type",
        DeadLetterReason.KeyMismatch => "key_mismatch",
        DeadLetterReason.InternalError => "internal_error",
        DeadLetterReason.Other => "other",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    public static bool IsSchemaViolation(DeadLetterReason reason) => reason != DeadLetterReason.InternalError;

    public static DeadLetterReason Classify(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        const StringComparison ordinal = StringComparison.Ordinal;
        if (reason.StartsWith(InternalErrorPrefix, ordinal) || reason.StartsWith(Ingest.KafkaRecordDecoder.DecoderFailure, ordinal))
            return DeadLetterReason.InternalError;
        if (reason.StartsWith("tombstone", ordinal) || reason.StartsWith("empty ", ordinal)) return DeadLetterReason.Empty;
        if (reason.StartsWith("UTF-16 or UTF-32", ordinal) || reason.StartsWith("not valid UTF-8", ordinal) || reason.Contains("unpaired UTF-16 surrogate", ordinal))
            return DeadLetterReason.Encoding;
        if (reason.StartsWith("malformed JSON", ordinal) || reason.StartsWith("expected a JSON", ordinal) || reason.StartsWith("unexpected data after", ordinal))
            return DeadLetterReason.MalformedJson;
        if (reason.StartsWith("missing \"", ordinal)) return DeadLetterReason.MissingField;
        if (reason.EndsWith("appears more than once", ordinal)) return DeadLetterReason.DuplicateField;
        if (reason.StartsWith("unknown \"type\"", ordinal)) return DeadLetterReason.UnknownType;
        if (reason.StartsWith("key \"", ordinal)) return DeadLetterReason.KeyMismatch;
        if (reason.StartsWith('"')) return DeadLetterReason.InvalidField;
        return DeadLetterReason.Other;
    }
}
