using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SampleMind.ClientApi.Apis;
using SampleMind.ClientApi.Hosting;
using SampleMind.Cohorts;
using SampleMind.ModelVersions;
using SampleMind.Rollups;

namespace SampleMind.IntegrationTests.Apis;

/// <summary>GET /api/models and /api/cohorts over real HTTP, with the catalogue and aggregate grains faked.</summary>
public sealed class ModelsAndCohortsApiTests : IAsyncLifetime
{
    private WebApplication? _app;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(TestApiKeys.Settings().Append(new("urls", "http://127.0.0.1:0")));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddApiSecurity();
        builder.AddPrivacy();
        builder.Services.AddSingleton(DispatchProxy.Create<IClusterClient, FakeRollupCluster>());
        _app = builder.Build();
        _app.MapModelsApi();
        _app.MapCohortsApi();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _http = TestApiKeys.Client(new Uri(address), TimeSpan.FromSeconds(20), TestApiKeys.Read);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Models_ListsEveryCataloguedVersion()
    {
        var rows = await _http.GetFromJsonAsync<ModelVersionRow[]>("/api/models", TestContext.Current.CancellationToken);
        Assert.Equal(["genre_classification@2.1", "mood_detection@1.0"], rows!.Select(r => $"{r.Model}@{r.Version}"));
    }

    [Fact]
    public async Task Model_ReturnsTheVersionsFigures()
    {
        var row = await _http.GetFromJsonAsync<ModelVersionRow>("/api/models/genre_classification/2.1", TestContext.Current.CancellationToken);
        Assert.Equal(("genre_classification", "2.1", 7L), (row!.Model, row.Version, row.Requests));
    }

    [Fact]
    public async Task UnknownModelVersion_Is404ProblemDetails()
    {
        var response = await _http.GetAsync("/api/models/genre_classification/9.9", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(TestContext.Current.CancellationToken);
        Assert.Equal(404, problem!.Status);
        Assert.Contains("9.9", problem.Detail);
    }

    [Fact]
    public async Task Cohorts_ListsCataloguedCohorts_WithoutEmptyOnes()
    {
        var rows = await _http.GetFromJsonAsync<CohortRow[]>("/api/cohorts", TestContext.Current.CancellationToken);
        var cohort = Assert.Single(rows!);
        Assert.Equal(("2026-05", 8), (cohort.Cohort, cohort.Size));
        Assert.Equal(12.5m, Assert.Single(cohort.Months).RevenuePerUser);
    }
}

// Not sealed: DispatchProxy derives a runtime type from it.
public class FakeRollupCluster : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod is not { Name: "GetGrain", IsGenericMethod: true } || args is not [string key, ..])
        {
            throw new NotSupportedException($"FakeRollupCluster does not implement {targetMethod}");
        }
        var type = targetMethod.GetGenericArguments()[0];
        if (type == typeof(IRollupCatalogGrain))
        {
            string[] keys = key == IRollupCatalogGrain.ModelVersions ? ["genre_classification@2.1", "mood_detection@1.0"] : ["2026-04", "2026-05"];
            return new FakeCatalog(keys);
        }
        if (type == typeof(IModelVersionGrain))
        {
            var at = key.LastIndexOf('@');
            return new FakeModelVersion(new ModelVersionRow { Model = key[..at], Version = key[(at + 1)..], Requests = 7, Feedback = 0 });
        }
        if (type == typeof(ICohortGrain))
        {
            var row = key == "2026-05"
                ? new CohortRow { Cohort = key, Size = 8, Months = [new CohortMonthRow { MonthsSinceSignup = 0, Users = 6, TotalRevenue = 75m, RevenuePerUser = 12.5m }] }
                : new CohortRow { Cohort = key, Size = 0, Months = [] };
            return new FakeCohort(row);
        }
        throw new NotSupportedException($"FakeRollupCluster has no {type.Name}");
    }

    private sealed class FakeCatalog(string[] keys) : IRollupCatalogGrain
    {
        public Task AddAsync(string key) => throw new NotSupportedException();
        public Task<string[]> GetKeysAsync() => Task.FromResult(keys);
        public Task<bool> ContainsAsync(string key) => Task.FromResult(keys.Contains(key));
    }

    private sealed class FakeModelVersion(ModelVersionRow row) : IModelVersionGrain
    {
        public Task ApplyAsync(ModelVersionTotals delta, string source, long sequence) => throw new NotSupportedException();
        public Task<ModelVersionRow> GetAsync() => Task.FromResult(row);
        public Task<ModelVersionTotals> GetTotalsAsync() => throw new NotSupportedException();
        public Task ResetAsync(ModelVersionTotals totals) => throw new NotSupportedException();
        public Task SetTrainingAsync(ModelTraining training) => throw new NotSupportedException();
        public Task BeginRestateAsync(Guid restate) => throw new NotSupportedException();
        public Task<bool> CompleteRestateAsync(Guid restate, ModelVersionExtremes remaining) => throw new NotSupportedException();
    }

    private sealed class FakeCohort(CohortRow row) : ICohortGrain
    {
        public Task ApplyAsync(CohortTotals delta, string source, long sequence) => throw new NotSupportedException();
        public Task<CohortRow> GetAsync() => Task.FromResult(row);
        public Task<CohortTotals> GetTotalsAsync() => throw new NotSupportedException();
        public Task ResetAsync(CohortTotals totals) => throw new NotSupportedException();
    }
}
