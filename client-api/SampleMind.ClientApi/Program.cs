using SampleMind.ClientApi.Apis;
using SampleMind.ClientApi.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddSampleMindEnvironment();
builder.UseOrleansClient(client => client.AddSampleMindClient(builder.Configuration));
builder.AddClientApi();

var app = builder.Build();
app.UseClientApi();
app.MapIngestApi();
app.MapUsersApi();
app.MapDiagnosticsApi();

app.Run();
