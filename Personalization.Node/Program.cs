using Personalization.Node.Cli;

return await NodeCli.Build().Parse(args).InvokeAsync();
