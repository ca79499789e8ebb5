using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Streams;
using SampleMind.Ingest.EventHubs;

namespace SampleMind.Hosting;

public static class EventHubsIngestExtensions
{
    /// <summary>
    /// The production ingest path, when configuration <c>Ingest:EventHubs:Enabled</c> is true: an Event Hubs stream
    /// provider whose messages are Segment JSON (read by <see cref="SegmentEventHubDataAdapter"/>), consumed by
    /// <see cref="SegmentIngestConsumerGrain"/> through the same <c>IUserGrain.IngestAsync</c> as the HTTP API.
    /// Partition checkpoints go to the grain storage named by <c>CheckpointStorage</c> (PostgreSQL by default);
    /// pub/sub is implicit-only, so the provider needs no <c>PubSubStore</c>. Otherwise this does nothing.
    /// </summary>
    public static ISiloBuilder AddSampleMindEventHubsIngest(this ISiloBuilder silo, IConfiguration configuration)
    {
        var section = configuration.GetSection(EventHubsIngestOptions.Section);
        var options = section.Get<EventHubsIngestOptions>() ?? new EventHubsIngestOptions();
        if (!options.Enabled)
        {
            return silo;
        }

        silo.Services.AddOptions<EventHubsIngestOptions>()
            .Bind(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        silo.Services.TryAddSingleton(TimeProvider.System);

        silo.AddEventHubStreams(options.ProviderName, configurator =>
        {
            configurator.ConfigureEventHub(b => b.Configure(o =>
                o.ConfigureEventHubConnection(options.ConnectionString, options.EventHubName, options.ConsumerGroup)));
            configurator.UseDataAdapter((services, _) => ActivatorUtilities.CreateInstance<SegmentEventHubDataAdapter>(services));
            configurator.UseGrainCheckpointer(b => b.Configure(o =>
            {
                o.StorageProviderName = options.CheckpointStorage;
                o.PersistInterval = options.CheckpointInterval;
            }));
            configurator.ConfigurePartitionReceiver(b => b.Configure(o => o.StartFromNow = options.StartFromNow));
            configurator.ConfigurePullingAgent(b => b.Configure(o => o.MaxEventDeliveryTime = options.MaxEventDeliveryTime));
            // Only the implicit subscription of the ingest consumer reads this stream: no pub/sub grains, no PubSubStore.
            configurator.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
        });
        return silo;
    }
}
