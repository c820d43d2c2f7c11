namespace Personalization.Node.Hosting;

/// <summary>One part's say in /healthz/live: false only when the process should be replaced (restarting will not help otherwise).</summary>
public interface ILivenessCheck
{
    string Name { get; }

    (bool Live, string Detail) Check();
}
