using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace SampleMind.GrainTests.Resilience;

/// <summary>The test silos' clocks: the product's code on the fake clock, Orleans' request timeouts on real time.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TestClockTests(ClusterFixture fixture)
{
    [Fact]
    public void RequestTimeouts_RunOnRealTime_WhileGrainsSeeTheFakeClock()
    {
        var services = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider;
        Assert.Same(fixture.Time, services.GetRequiredService<TimeProvider>());
        Assert.Same(fixture.Time, services.GetRequiredKeyedService<TimeProvider>(TimeProviderNames.Grains));
        Assert.Same(TimeProvider.System, services.GetRequiredKeyedService<TimeProvider>(TimeProviderNames.Messaging));
    }
}
