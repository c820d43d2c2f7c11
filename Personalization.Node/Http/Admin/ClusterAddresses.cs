using Akka.Actor;

namespace Personalization.Node.Http.Admin;

/// <summary>Parses cluster member addresses as operators type them; shared by the admin API and the console's parser.</summary>
public static class ClusterAddresses
{
    public static bool TryParse(string text, out Address? address, out string problem)
    {
        address = null;
        problem = "";
        try
        {
            address = Address.Parse(text.Trim());
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            problem = $"\"{text}\" is not a cluster address ({e.Message}); expected akka.tcp://system@host:port";
            return false;
        }

        if (address.Host is null || address.Port is null)
        {
            problem = $"\"{text}\" is not a remote cluster address; expected akka.tcp://system@host:port";
            address = null;
            return false;
        }

        return true;
    }
}
