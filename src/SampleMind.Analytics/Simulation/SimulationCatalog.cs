namespace SampleMind.Analytics.Simulation;

/// <summary>Plans, prices, channels, campaigns, features and AI models the simulator draws from.</summary>
public static class SimulationCatalog
{
    public const string Free = "free";
    public const string Trial = "trial";
    public const string Starter = "starter";
    public const string Pro = "pro";
    public const string Studio = "studio";

    /// <summary>Monthly prices. starter and pro are the seed's optimal price points; the seed names studio
    /// without a price, so it is set above the seed's highest tested premium price ($39.99).</summary>
    public static decimal PriceOf(string plan) => plan switch
    {
        Starter => 9.99m,
        Pro => 34.99m,
        Studio => 79.99m,
        _ => 0m,
    };

    public const int TrialDays = 14;

    public const double TrialConversionRate = 0.15;

    public sealed record Channel(string Name, decimal SeedSpend, int SeedConversions, decimal SeedLtv, Campaign[] Campaigns)
    {
        public decimal SeedCac => SeedSpend / SeedConversions;
    }

    public sealed record Campaign(string Name, string UtmSource, string UtmMedium);

    /// <summary>The seed's channels; users are drawn in proportion to its attributed conversions.</summary>
    public static readonly Channel[] Channels =
    [
        new("paid_search", 50000m, 500, 400m,
        [
            new("search_brand_samplemind", "google", "cpc"),
            new("search_ai_sample_analysis", "google", "cpc"),
            new("search_bpm_key_finder", "bing", "cpc"),
        ]),
        new("social_media", 30000m, 450, 380m,
        [
            new("ig_beatmakers_reels", "instagram", "paid_social"),
            new("fb_producer_lookalike", "facebook", "paid_social"),
        ]),
        new("content_marketing", 20000m, 600, 420m,
        [
            new("blog_ai_music_production_guide", "blog", "organic"),
            new("youtube_sample_tutorials", "youtube", "video"),
        ]),
        new("influencer", 40000m, 800, 450m,
        [
            new("tiktok_creator_campaign", "tiktok", "influencer"),
            new("youtube_producer_collabs", "youtube", "influencer"),
        ]),
    ];

    /// <summary>Twenty product features, most popular first (adoption draws favour the front).</summary>
    public static readonly string[] Features =
    [
        "smart_tags", "sample_search", "bpm_sync", "key_shift", "favorites",
        "collections", "similar_samples", "waveform_editor", "batch_upload", "loop_finder",
        "stem_separation", "chord_detection", "midi_extraction", "sample_pack_export", "daw_plugin",
        "cloud_sync", "preset_recommendations", "ai_mastering", "collaboration", "api_access",
    ];

    public sealed record ModelVersion(
        string AnalysisType, string Version, double Accuracy, double MedianLatencyMs, double ErrorRate, decimal CostUsd)
    {
        public string Key { get; } = AnalysisType + "@" + Version;
    }

    /// <summary>
    /// Models per analysis type, old version first. The newer version's traffic share ramps from
    /// <see cref="RolloutStart"/> to <see cref="RolloutEnd"/> across the simulated window. Accuracy
    /// follows the seed; mood_analysis@1.0 is the slightly broken release an error-rate alert should catch.
    /// </summary>
    public static readonly ModelVersion[][] Models =
    [
        [new("genre_classification", "2.0", 0.94, 430, 0.001, 0.0045m), new("genre_classification", "2.1", 0.96, 400, 0.001, 0.0042m)],
        [new("tempo_detection", "1.3", 0.985, 180, 0.0005, 0.0018m), new("tempo_detection", "1.4", 0.99, 160, 0.0005, 0.0016m)],
        [new("key_detection", "1.1", 0.92, 260, 0.001, 0.0025m), new("key_detection", "1.2", 0.94, 250, 0.001, 0.0025m)],
        [new("mood_analysis", "0.9", 0.87, 620, 0.002, 0.0068m), new("mood_analysis", "1.0", 0.89, 700, 0.06, 0.0072m)],
    ];

    public const double RolloutStart = 0.2;
    public const double RolloutEnd = 0.9;

    /// <summary>How often each analysis type is requested for an uploaded sample.</summary>
    public static readonly double[] AnalysisTypeWeights = [0.4, 0.25, 0.2, 0.15];

    public static readonly string[] Devices = ["desktop", "mobile", "tablet"];
    public static readonly double[] DeviceWeights = [0.72, 0.22, 0.06];

    public static readonly string[] TicketCategories = ["billing", "bug", "analysis_quality", "feature_request", "account"];
    public static readonly string[] PaymentFailureReasons = ["card_declined", "insufficient_funds", "expired_card"];
    public static readonly string[] FileTypes = ["wav", "mp3", "aiff", "flac"];
}
