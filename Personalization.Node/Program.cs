using System.CommandLine;
using Personalization.Node.Cli;

// Every command gets SIGINT/SIGTERM as its cancellation token and finishes its own clean-up (a node's coordinated
// shutdown, local-cluster's children): no timeout of System.CommandLine's returns from Main half-way through.
using var signals = new TerminationSignals();
return await NodeCli.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token);
