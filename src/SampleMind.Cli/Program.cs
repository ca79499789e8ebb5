using SampleMind.Cli;

return await CliApp.RunAsync(args);
