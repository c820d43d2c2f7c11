using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData.Durable;
using Akka.Event;
using Akka.Serialization;
using Microsoft.Data.Sqlite;

namespace Personalization.Actors.Experiments;

/// <summary>
/// Akka.DistributedData's durable store in a SQLite file: the replicated keys named durable survive the node (and a
/// restart of the whole cluster). Ours because the served Akka.DistributedData.LightningDB 1.5.73 was built against
/// LightningDB 0.16 and fails against the only LightningDB served (0.23: a method it calls is gone); SQLite is here
/// already for checkpoints. One file per node: <c>dir</c> ending in "ddata" gets the system name and remoting port
/// appended, as Akka's LMDB store does. Runs on the replicator's pinned dispatcher, so its blocking writes stall no
/// one else; writes are few (a change of an experiment, a flush of counts every few seconds).
/// </summary>
public sealed class SqliteDurableStore : ReceiveActor
{
    private readonly SerializerWithStringManifest _serializer;
    private readonly string _manifest;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private SqliteConnection? _connection;

    public SqliteDurableStore(Config config)
    {
        var dir = config.GetString("sqlite.dir", "ddata");
        _serializer = (SerializerWithStringManifest)Context.System.Serialization.FindSerializerForType(typeof(DurableDataEnvelope));
        _manifest = _serializer.Manifest(new DurableDataEnvelope(Akka.DistributedData.GCounter.Empty));
        Path = dir.EndsWith("ddata", StringComparison.Ordinal)
            ? System.IO.Path.GetFullPath($"{dir}-{Context.System.Name}-{Self.Path.Parent.Name}-{Akka.Cluster.Cluster.Get(Context.System).SelfAddress.Port}.db")
            : System.IO.Path.GetFullPath(dir);

        Receive<LoadAll>(_ => Load());
    }

    public string Path { get; }

    protected override void PostStop() => _connection?.Dispose();

    private SqliteConnection Open()
    {
        if (_connection is not null) return _connection;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS ddata (key TEXT PRIMARY KEY, value BLOB NOT NULL);";
        create.ExecuteNonQuery();
        _log.Info("Durable replicated data in {0}", Path);
        return _connection = connection;
    }

    private void Load()
    {
        try
        {
            var data = new Dictionary<string, DurableDataEnvelope>(StringComparer.Ordinal);
            using (var select = Open().CreateCommand())
            {
                select.CommandText = "SELECT key, value FROM ddata";
                using var reader = select.ExecuteReader();
                while (reader.Read())
                    data[reader.GetString(0)] = (DurableDataEnvelope)_serializer.FromBinary((byte[])reader.GetValue(1), _manifest);
            }

            if (data.Count > 0) Sender.Tell(new LoadData(data.ToImmutableDictionary()));
            Sender.Tell(LoadAllCompleted.Instance);
            Become(Active);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException or System.Runtime.Serialization.SerializationException)
        {
            throw new LoadFailedException($"could not load durable replicated data from {Path}: {e.Message}", e);
        }
    }

    private void Active() => Receive<Store>(store =>
    {
        try
        {
            using var upsert = Open().CreateCommand();
            upsert.CommandText = "INSERT INTO ddata (key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
            upsert.Parameters.AddWithValue("$key", store.Key);
            upsert.Parameters.AddWithValue("$value", _serializer.ToBinary(store.Data));
            upsert.ExecuteNonQuery();
            store.Reply?.ReplyTo.Tell(store.Reply.SuccessMessage);
        }
        catch (Exception e) when (e is SqliteException or IOException)
        {
            _log.Error(e, "Could not store replicated key {0} in {1}", store.Key, Path);
            store.Reply?.ReplyTo.Tell(store.Reply.FailureMessage);
        }
    });
}
