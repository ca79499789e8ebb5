using Orleans.Dashboard;
using SampleMind.Diagnostics;
using SampleMind.Hosting;
using SampleMind.Operations;

// appsettings.json is found next to the DLL whatever the working directory (run.sh, tests, containers).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddSampleMindSilo();
builder.Services.AddSampleMindMetrics(builder.Configuration, "samplemind-silo");

var app = builder.Build();
app.UseSiloAdminGate(); // before the dashboard and diagnostics: key or loopback; /health stays open
app.MapSampleMindHealth();
app.MapOrleansDashboard("/dashboard");
app.MapSiloDiagnostics();
app.MapSampleMindMetrics();

return await app.RunSiloAsync();
