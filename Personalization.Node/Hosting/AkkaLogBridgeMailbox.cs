using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Akka.Event;

namespace Personalization.Node.Hosting;

/// <summary>
/// The log bridge's mailbox. Akka's own logger mailbox prints the events still queued when a logger stops (the last
/// lines of every shutdown: "Remoting shut down", …) to stdout in Akka's text format, whatever
/// <c>akka.stdout-loglevel</c> says — plain text among the JSON lines of a node in JSON mode. This one writes them
/// where every other line goes, through the node's logger factory. It replaces Akka's for the logger requirement
/// (<see cref="ILoggerMessageQueueSemantics"/>): the node's only logger is the bridge.
/// </summary>
public sealed class AkkaLogBridgeMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<AkkaLogBridgeMailbox.Queue>
{
    public const string ConfigPath = "personalization.log-bridge-mailbox";

    public static string Hocon =>
        $$"""
        {{ConfigPath}}.mailbox-type = "{{typeof(AkkaLogBridgeMailbox).AssemblyQualifiedName}}"
        akka.actor.mailbox.requirements."{{typeof(ILoggerMessageQueueSemantics).FullName}}" = {{ConfigPath}}
        """;

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) =>
        new Queue(system.Settings.Setup.Get<AkkaLogBridgeSetup>().Value?.Factory);

    public sealed class Queue(ILoggerFactory? factory) : IMessageQueue, IUnboundedMessageQueueSemantics, ILoggerMessageQueueSemantics
    {
        private readonly ConcurrentQueue<Envelope> _queue = new();

        public bool HasMessages => !_queue.IsEmpty;

        public int Count => _queue.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope) => _queue.Enqueue(envelope);

        public bool TryDequeue(out Envelope envelope) => _queue.TryDequeue(out envelope);

        /// <summary>The logger stopped: what it had not written yet is written now, the rest goes to dead letters as in any mailbox.</summary>
        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            var writer = new AkkaLogWriter(factory);
            while (_queue.TryDequeue(out var envelope))
            {
                if (envelope.Message is LogEvent log) writer.Write(log, envelope.Sender);
                else deadletters.Enqueue(owner, envelope);
            }
        }
    }
}
