using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace SampleMind.GrainTests;

/// <summary>The fake clock a test cluster's silos run on.</summary>
internal static class TestClock
{
    /// <summary>
    /// Makes <paramref name="time"/> the silo's default clock (the product's code and grain timers follow it), but keeps
    /// Orleans' request-timeout tracking on real time.
    /// </summary>
    /// <remarks>
    /// Orleans 10 resolves each runtime area's clock as a keyed <see cref="TimeProvider"/> that falls back to the default
    /// one, so with a fake default the silo's response-timeout timer only ticks when a test moves the fake clock: a
    /// silo-to-grain call whose answer never came (a pre-aggregator's flush under load) then waited forever, the flush
    /// loop with it, and the silo's shutdown after it (a CI run hung 70 minutes that way).
    /// </remarks>
    public static IServiceCollection AddTestClock(this IServiceCollection services, FakeTimeProvider time)
    {
        services.AddSingleton<TimeProvider>(time);
        services.AddKeyedSingleton(TimeProviderNames.Messaging, TimeProvider.System);
        return services;
    }
}
