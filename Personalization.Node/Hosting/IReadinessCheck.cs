namespace Personalization.Node.Hosting;

/// <summary>One part's say in /healthz/ready (model loaded, Kafka consuming, …).</summary>
public interface IReadinessCheck
{
    string Name { get; }

    (bool Ready, string Detail) Check();
}
