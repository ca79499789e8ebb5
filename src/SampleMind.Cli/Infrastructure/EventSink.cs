namespace SampleMind.Cli.Infrastructure;

/// <summary>Where generated or replayed events go: an NDJSON file or a client-api.</summary>
internal interface IEventSink : IAsyncDisposable
{
    /// <summary>Events delivered (written, or acknowledged by the API).</summary>
    long Delivered { get; }

    /// <summary>Takes one event; true when <see cref="FlushAsync"/> should be awaited now.</summary>
    bool Write(ReadOnlySpan<byte> json);

    /// <summary>Pushes what is buffered; <paramref name="partial"/> also pushes an unfinished batch.</summary>
    ValueTask FlushAsync(bool partial);

    /// <summary>Delivers everything; throws when delivery failed.</summary>
    Task CompleteAsync();
}

internal sealed class FileSink : IEventSink
{
    private readonly Stream _stream;
    private long _written;

    private FileSink(Stream stream)
    {
        _stream = stream;
    }

    public long Delivered => _written;

    public static FileSink Create(string path)
    {
        try
        {
            return new FileSink(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CliException($"cannot write {path}: {ex.Message}");
        }
    }

    public bool Write(ReadOnlySpan<byte> json)
    {
        _stream.Write(json);
        _stream.WriteByte((byte)'\n');
        _written++;
        return false;
    }

    public ValueTask FlushAsync(bool partial) => partial ? new ValueTask(_stream.FlushAsync()) : ValueTask.CompletedTask;

    public Task CompleteAsync() => _stream.FlushAsync();

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

internal sealed class HttpSink(BatchSender sender) : IEventSink
{
    public long Delivered => sender.Acknowledged;

    public bool Write(ReadOnlySpan<byte> json) => sender.Add(json);

    public ValueTask FlushAsync(bool partial) => sender.DispatchAsync(partial);

    public Task CompleteAsync() => sender.CompleteAsync();

    public ValueTask DisposeAsync() => sender.DisposeAsync();
}
