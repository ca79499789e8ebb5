using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;

namespace SampleMind.ClientApi.Ingest;

/// <summary>The outcome of reading a request body under a size cap.</summary>
internal enum BodyReadStatus
{
    Ok,
    TooLarge,
    UnsupportedEncoding,
    CorruptEncoding,
}

/// <summary>
/// Reads a request body into a pooled buffer, never more than the cap (+1 byte to detect overflow), decompressing
/// <c>Content-Encoding: gzip|deflate|br</c> (RudderStack's node library gzips) with the cap applied to the
/// decompressed bytes, so neither a large body nor a compression bomb is buffered.
/// </summary>
internal sealed class BoundedBody : IDisposable
{
    private byte[]? _buffer;

    private BoundedBody(BodyReadStatus status, byte[]? buffer, int length)
    {
        Status = status;
        _buffer = buffer;
        Length = length;
    }

    public BodyReadStatus Status { get; }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public static async Task<BoundedBody> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        if (encoding is "" or "identity" && request.ContentLength > limit)
        {
            return new BoundedBody(BodyReadStatus.TooLarge, null, 0);
        }

        // Also caps the wire bytes of compressed bodies (a stream of empty gzip members inflates to nothing).
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        Stream? decoder = encoding switch
        {
            "" or "identity" => null,
            "gzip" or "x-gzip" => new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            "deflate" => new ZLibStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            "br" => new BrotliStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            _ => Stream.Null,
        };
        if (decoder == Stream.Null)
        {
            return new BoundedBody(BodyReadStatus.UnsupportedEncoding, null, 0);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        try
        {
            await using (decoder)
            {
                var source = decoder ?? request.Body;
                var length = 0;
                while (length <= limit)
                {
                    var read = await source.ReadAsync(buffer.AsMemory(length, limit + 1 - length), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }

                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new BoundedBody(BodyReadStatus.TooLarge, null, 0);
                }

                return new BoundedBody(BodyReadStatus.Ok, buffer, length);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return new BoundedBody(BodyReadStatus.TooLarge, null, 0);
        }
        catch (InvalidDataException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return new BoundedBody(BodyReadStatus.CorruptEncoding, null, 0);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
