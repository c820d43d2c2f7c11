using System.Data.Common;
using Microsoft.Data.Sqlite;
using Prometheus;

namespace Personalization.Actors.Persistence;

/// <summary>
/// Database errors that go away on their own (server restarting, connection refused or cut, timeout, disk full), and
/// the retry that rides them out. A failed checkpoint write or recovery read stops its user's actor (Akka.Persistence's
/// rule), and while the database is down its restart fails too; retrying here instead makes the user wait for the
/// database, with ingest held at its in-flight bound (docs/DESIGN.md, "Checkpoints").
/// </summary>
internal static class TransientDatabaseErrors
{
    /// <summary>How long an operation is tried again by default: below the journal's call-timeout and recovery timeout (60 s).</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(45);

    /// <summary>
    /// The provider's own verdict (Npgsql: I/O, socket, timeout, "cannot connect now"…), plus PostgreSQL's
    /// operator-intervention class 57P (admin shutdown, crash shutdown, starting up) and connection class 08, and
    /// SQLite's "database or disk is full" (space can come back; SQLite leaves the database intact).
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        SqliteException { SqliteErrorCode: 13 } => true, // SQLITE_FULL
        DbException db => db.IsTransient || db.SqlState is { } state && (state.StartsWith("57P", StringComparison.Ordinal) || state.StartsWith("08", StringComparison.Ordinal)),
        TimeoutException => true,
        _ => e.InnerException is { } inner && IsTransient(inner),
    };

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, fails with an error that is not transient, or
    /// <paramref name="window"/> has passed (then the last error is thrown); backoff 100 ms doubling to 2 s.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> attempt, TimeSpan window, Counter? retries = null)
    {
        var deadline = DateTime.UtcNow + window;
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow + backoff < deadline)
            {
                retries?.Inc();
                await Task.Delay(backoff).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }
}
