using Akka.Actor;
using Akka.Configuration;
using Personalization.Actors.Scheduling;
using Xunit;

namespace Personalization.Tests.Scheduling;

public sealed class IngestDispatcherTests : Akka.TestKit.Xunit2.TestKit
{
    public IngestDispatcherTests() : base(ConfigurationFactory.ParseString(IngestDispatcher.Hocon(threads: 2, nice: 7)))
    {
    }

    private sealed class ReportsItsThread : ReceiveActor
    {
        public ReportsItsThread() => ReceiveAny(_ => Sender.Tell((Thread.CurrentThread.Name, OsThreadPriority.CurrentThreadNice())));
    }

    [Fact]
    public void Actors_on_the_ingest_dispatcher_run_on_its_own_threads_that_many_nice_steps_below_the_process()
    {
        var actor = Sys.ActorOf(Props.Create(() => new ReportsItsThread()).WithDispatcher(IngestDispatcher.Id));

        actor.Tell("where?");
        var (thread, nice) = ExpectMsg<(string?, int?)>();

        Assert.StartsWith(IngestDispatcher.Id, thread);
        if (OperatingSystem.IsLinux()) Assert.Equal(Math.Min(19, OsThreadPriority.ProcessNice()!.Value + 7), nice);
    }

    [Fact]
    public void Actors_elsewhere_keep_the_processes_priority()
    {
        var actor = Sys.ActorOf(Props.Create(() => new ReportsItsThread()));

        actor.Tell("where?");
        var (thread, nice) = ExpectMsg<(string?, int?)>();

        Assert.False(thread?.StartsWith(IngestDispatcher.Id) ?? false);
        if (OperatingSystem.IsLinux()) Assert.Equal(OsThreadPriority.ProcessNice(), nice);
    }

    [Fact]
    public void A_thread_cannot_be_given_a_nice_value_outside_the_OS_range() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => OsThreadPriority.SetCurrentThreadNice(20));
}
