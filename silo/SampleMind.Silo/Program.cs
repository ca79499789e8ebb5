using Orleans.Dashboard;
using SampleMind.Diagnostics;
using SampleMind.Hosting;

// appsettings.json is found next to the DLL whatever the working directory (run.sh, tests, containers).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddSampleMindSilo();

var app = builder.Build();
app.MapSampleMindHealth();
app.MapOrleansDashboard("/dashboard");
app.MapSiloDiagnostics();

return await app.RunSiloAsync();
