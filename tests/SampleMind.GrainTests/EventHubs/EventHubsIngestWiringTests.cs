using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Streaming.EventHubs;
using Orleans.Streams;
using SampleMind.Hosting;
using SampleMind.Ingest.EventHubs;

namespace SampleMind.GrainTests.EventHubs;

/// <summary>
/// What <see cref="EventHubsIngestExtensions.AddSampleMindEventHubsIngest"/> registers, read from a built (never started)
/// silo host: starting it would connect to Event Hubs, which is not reachable here.
/// </summary>
public sealed class EventHubsIngestWiringTests
{
    private const string FakeConnection = "Endpoint=sb://samplemind-test.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=dGVzdA==";

    [Fact]
    public void WhenEnabled_TheProviderReadsOurHub_WithOurAdapter_AndCheckpointsInTheDefaultStorage()
    {
        using var host = BuildSilo(new()
        {
            ["Ingest:EventHubs:Enabled"] = "true",
            ["Ingest:EventHubs:ConnectionString"] = FakeConnection,
            ["Ingest:EventHubs:EventHubName"] = "segment-events",
            ["Ingest:EventHubs:ConsumerGroup"] = "samplemind",
            ["Ingest:EventHubs:CheckpointInterval"] = "00:00:05",
        });
        var services = host.Services;

        var hub = services.GetOptionsByName<EventHubOptions>("segment-eventhubs");
        new EventHubOptionsValidator(hub, "segment-eventhubs").ValidateConfiguration(); // throws unless connection, hub and consumer group are set
        Assert.IsType<SegmentEventHubDataAdapter>(services.GetRequiredKeyedService<IEventHubDataAdapter>("segment-eventhubs"));
        var checkpoints = services.GetOptionsByName<GrainStreamQueueCheckpointerOptions>("segment-eventhubs");
        Assert.Equal(("Default", TimeSpan.FromSeconds(5)), (checkpoints.StorageProviderName, checkpoints.PersistInterval));
        Assert.IsType<GrainStreamQueueCheckpointerFactory>(services.GetRequiredKeyedService<IStreamQueueCheckpointerFactory>("segment-eventhubs"));
        Assert.Equal(StreamPubSubType.ImplicitOnly, services.GetOptionsByName<StreamPubSubOptions>("segment-eventhubs").PubSubType);
        Assert.False(services.GetOptionsByName<EventHubReceiverOptions>("segment-eventhubs").StartFromNow);
        Assert.Equal(TimeSpan.FromMinutes(30), services.GetOptionsByName<StreamPullingAgentOptions>("segment-eventhubs").MaxEventDeliveryTime);
    }

    [Fact]
    public void WhenNotEnabled_NothingIsRegistered()
    {
        using var host = BuildSilo(new() { ["Ingest:EventHubs:ConnectionString"] = FakeConnection });

        Assert.Null(host.Services.GetKeyedService<IEventHubDataAdapter>("segment-eventhubs"));
        Assert.Null(host.Services.GetKeyedService<IStreamQueueCheckpointerFactory>("segment-eventhubs"));
        Assert.Empty(host.Services.GetServices<IConfigureOptions<EventHubsIngestOptions>>());
    }

    private static IHost BuildSilo(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering();
            silo.AddMemoryGrainStorage("Default");
            silo.AddSampleMindEventHubsIngest(builder.Configuration);
        });
        return builder.Build();
    }
}
