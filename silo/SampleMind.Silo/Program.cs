using Orleans.Dashboard;
using SampleMind.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddSampleMindSilo();

var app = builder.Build();
app.MapSampleMindHealth();
app.MapOrleansDashboard("/dashboard");

return await app.RunSiloAsync();
