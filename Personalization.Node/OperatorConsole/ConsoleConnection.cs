namespace Personalization.Node.OperatorConsole;

/// <summary>Turns the verb's --node/--token values into clients: node URLs checked, the token from the flag or the environment.</summary>
public static class ConsoleConnection
{
    public const string TokenVariable = "PERSONALIZATION_CONSOLE_TOKEN";
    public const string DefaultNode = "http://localhost:8080";

    /// <summary>The clients, or a sentence saying which --node is not a URL.</summary>
    public static (IReadOnlyList<AdminClient> Clients, string? Error) Create(IReadOnlyList<string> nodes, string? token, TimeSpan timeout)
    {
        token = string.IsNullOrWhiteSpace(token) ? Environment.GetEnvironmentVariable(TokenVariable) : token;
        var clients = new List<AdminClient>();
        foreach (var node in nodes.Count == 0 ? [DefaultNode] : nodes.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Uri.TryCreate(node, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                return ([], $"--node \"{node}\" is not an http(s) URL like {DefaultNode}");

            // Request paths are relative ("admin/cluster"): a base without its trailing slash would lose its last segment.
            var baseAddress = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
            clients.Add(new AdminClient(new HttpClient { BaseAddress = baseAddress, Timeout = timeout }, token));
        }

        return (clients, null);
    }
}
