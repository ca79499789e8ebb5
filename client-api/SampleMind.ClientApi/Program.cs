using SampleMind.ClientApi.Apis;
using SampleMind.ClientApi.Dashboard;
using SampleMind.ClientApi.Hosting;
using SampleMind.ClientApi.Stripe;
using SampleMind.Operations;

// appsettings.json is found next to the DLL whatever the working directory (run.sh, tests, containers).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddSampleMindEnvironment();
builder.UseOrleansClient(client => client.AddSampleMindClient(builder.Configuration));
builder.AddClientApi();
builder.AddIngest();
builder.AddClientRateLimits();
builder.AddApiSecurity();
builder.AddPrivacy();
builder.AddDashboard();
builder.AddDataQuality();
builder.Services.AddSampleMindMetrics(builder.Configuration, "samplemind-client-api");
builder.Services.AddStripeWebhooks();

var app = builder.Build();
app.UseClientApi();
app.MapDashboard();
app.MapIngestApi();
app.MapUsersApi();
app.MapPrivacyApi();
app.MapRiskApi();
app.MapKpisApi();
app.MapSegmentsApi();
app.MapModelsApi();
app.MapChurnModelsApi();
app.MapCohortsApi();
app.MapFeaturesApi();
app.MapRevenueApi();
app.MapForecastsApi();
app.MapCampaignsApi();
app.MapExperimentsApi();
app.MapStripeWebhookApi();
app.MapFunnelsApi();
app.MapAlertsApi();
app.MapRetentionCampaignsApi();
app.MapQualityApi();
app.MapDiagnosticsApi();
app.MapSampleMindMetrics();

app.Run();
