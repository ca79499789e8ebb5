using Orleans.Runtime;

namespace SampleMind.IntegrationTests.Database;

/// <summary>What a probe grain's persistent state looks like from inside the grain.</summary>
[GenerateSerializer, Immutable, Alias("sm.tests.ProbeSnapshot")]
public sealed record class ProbeSnapshot([property: Id(0)] string? Value, [property: Id(1)] string? ETag, [property: Id(2)] bool RecordExists);

[GenerateSerializer, Alias("sm.tests.ProbeState")]
public sealed class ProbeState
{
    [Id(0)]
    public string? Value { get; set; }
}

/// <summary>Exercises ADO.NET grain storage: state "kept" clears by keeping the row, state "deleted" deletes it.</summary>
[Alias("sm.tests.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    /// <summary>The in-memory view of one state (as read on activation or after the last write).</summary>
    Task<ProbeSnapshot> GetAsync(string stateName);

    /// <summary>Sets the value and writes the state.</summary>
    Task<ProbeSnapshot> WriteAsync(string stateName, string value);

    /// <summary>Clears the state.</summary>
    Task<ProbeSnapshot> ClearAsync(string stateName);

    /// <summary>Deactivates on idle, so the next call reads from storage.</summary>
    Task DeactivateAsync();
}

public sealed class StorageProbeGrain(
    [PersistentState("kept", "Default")] IPersistentState<ProbeState> kept,
    [PersistentState("deleted", "Deleting")] IPersistentState<ProbeState> deleted) : Grain, IStorageProbeGrain
{
    public Task<ProbeSnapshot> GetAsync(string stateName) => Task.FromResult(Snapshot(State(stateName)));

    public async Task<ProbeSnapshot> WriteAsync(string stateName, string value)
    {
        var state = State(stateName);
        state.State.Value = value;
        await state.WriteStateAsync();
        return Snapshot(state);
    }

    public async Task<ProbeSnapshot> ClearAsync(string stateName)
    {
        var state = State(stateName);
        await state.ClearStateAsync();
        return Snapshot(state);
    }

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private IPersistentState<ProbeState> State(string stateName) => stateName switch
    {
        "kept" => kept,
        "deleted" => deleted,
        _ => throw new ArgumentOutOfRangeException(nameof(stateName), stateName, "kept or deleted"),
    };

    private static ProbeSnapshot Snapshot(IPersistentState<ProbeState> state) => new(state.State.Value, state.Etag, state.RecordExists);
}

[Alias("sm.tests.IEchoGrain")]
public interface IEchoGrain : IGrainWithIntegerKey
{
    /// <summary>Returns the text with the silo that served it.</summary>
    Task<string> EchoAsync(string text);
}

public sealed class EchoGrain(ILocalSiloDetails silo) : Grain, IEchoGrain
{
    public Task<string> EchoAsync(string text) => Task.FromResult($"{text}@{silo.SiloAddress.Endpoint.Port}");
}

[Alias("sm.tests.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    /// <summary>Registers reminder "tick" with the given due time and period.</summary>
    Task StartAsync(TimeSpan dueTime, TimeSpan period);

    /// <summary>How many times "tick" was received by this activation.</summary>
    Task<int> GetTicksAsync();

    /// <summary>Unregisters reminder "tick".</summary>
    Task StopAsync();
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    private int _ticks;

    public async Task StartAsync(TimeSpan dueTime, TimeSpan period) => await this.RegisterOrUpdateReminder("tick", dueTime, period);

    public Task<int> GetTicksAsync() => Task.FromResult(_ticks);

    public async Task StopAsync()
    {
        var reminder = await this.GetReminder("tick");
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == "tick")
        {
            _ticks++;
        }

        return Task.CompletedTask;
    }
}
