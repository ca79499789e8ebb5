namespace SampleMind.IntegrationTests.Infrastructure;

/// <summary>Polls a condition until it holds or a generous bound passes; the caller asserts on the returned value.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> read, Func<T, bool> until, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (until(value) || DateTime.UtcNow >= deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
