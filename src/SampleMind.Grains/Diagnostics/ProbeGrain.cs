namespace SampleMind.Diagnostics;

public sealed class ProbeGrain(
    [PersistentState("probe", "Default")] IPersistentState<ProbeState> state,
    ILocalSiloDetails siloDetails) : Grain, IProbeGrain
{
    public async Task SetAsync(string value)
    {
        state.State.Value = value;
        state.State.WrittenAt = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
    }

    public Task<ProbeReading> GetAsync() => Task.FromResult(new ProbeReading
    {
        Value = state.State.Value,
        WrittenAt = state.State.WrittenAt,
        Silo = siloDetails.SiloAddress.ToParsableString(),
    });

    public Task PingAsync() => Task.CompletedTask;
}

[GenerateSerializer, Alias("sm.probe-state")]
public sealed class ProbeState
{
    [Id(0)] public string? Value { get; set; }
    [Id(1)] public DateTimeOffset? WrittenAt { get; set; }
}
