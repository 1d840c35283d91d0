using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Myelin.LoadTest.Measurement;

namespace Myelin.LoadTest.Client;

/// <summary>
/// One user's /sync long-polls over a kept-alive HTTP/1.1 connection of its own, as a client holds one
/// open for its sync loop. It speaks only what a /sync exchange needs (a GET; a body by Content-Length or
/// chunked), so that the harness, sharing the machine with the server it measures, spends as little of
/// it as it can per delivery: HttpClient's handler pipeline cost about a third of the harness's CPU.
/// Plain http:// only; for https the loop uses <see cref="MatrixHttpClient"/>.
/// </summary>
public sealed class LongPollConnection : IAsyncDisposable
{
    private const string SyncPath = "/_matrix/client/v3/sync";
    private const int MaxHeaderBytes = 64 * 1024;

    private readonly string _host;
    private readonly int _port;
    private readonly string _hostHeader;
    private readonly ErrorTally? _errors;
    private readonly TimeSpan _requestTimeout;
    private Socket? _socket;
    // Bytes received and not yet consumed: _buffer[_start.._end).
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public LongPollConnection(Uri baseUrl, ErrorTally? errors, TimeSpan requestTimeout)
    {
        if (baseUrl.Scheme != Uri.UriSchemeHttp)
            throw new ArgumentException("long-poll connections speak plain http only", nameof(baseUrl));
        _host = baseUrl.IdnHost;
        _port = baseUrl.Port;
        _hostHeader = baseUrl.IsDefaultPort ? _host : $"{_host}:{_port.ToString(CultureInfo.InvariantCulture)}";
        _errors = errors;
        _requestTimeout = requestTimeout;
    }

    /// <summary>`GET /_matrix/client/v3/sync`, answered like <see cref="MatrixHttpClient.SyncAsync"/>.</summary>
    public async Task<MatrixResult<SyncResponse>> SyncAsync(string accessToken, string? since, int timeoutMs, string? filter, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var request = Request(accessToken, since, timeoutMs, filter);
        var timeout = _requestTimeout + TimeSpan.FromMilliseconds(timeoutMs);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            // A kept-alive connection the server has since closed fails before any answer: once more on a new one.
            for (var attempt = 0; ; attempt++)
            {
                var fresh = _socket is null;
                try
                {
                    if (_socket is null)
                        await ConnectAsync(timeoutCts.Token);
                    await _socket!.SendAsync(request, SocketFlags.None, timeoutCts.Token);
                    var (status, body) = await ReadResponseAsync(timeoutCts.Token);
                    return Result(status, body, started);
                }
                catch (Exception e) when (e is SocketException or IOException && !fresh && attempt == 0)
                {
                    Close();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Close();
            throw;
        }
        catch (OperationCanceledException)
        {
            Close();
            return Track(MatrixResult<SyncResponse>.Failure(0, LocalErrors.Timeout, $"no answer within {timeout.TotalSeconds:F0} s", Stopwatch.GetElapsedTime(started)));
        }
        catch (Exception e) when (e is SocketException or IOException or FormatException)
        {
            Close();
            return Track(MatrixResult<SyncResponse>.Failure(0, LocalErrors.ConnectionFailed, e.Message, Stopwatch.GetElapsedTime(started)));
        }
    }

    private byte[] Request(string accessToken, string? since, int timeoutMs, string? filter)
    {
        var target = new StringBuilder(SyncPath).Append("?timeout=").Append(timeoutMs.ToString(CultureInfo.InvariantCulture));
        if (since is not null)
            target.Append("&since=").Append(Uri.EscapeDataString(since));
        if (filter is not null)
            target.Append("&filter=").Append(Uri.EscapeDataString(filter));
        return Encoding.UTF8.GetBytes(
            $"GET {target} HTTP/1.1\r\nHost: {_hostHeader}\r\nAuthorization: Bearer {accessToken}\r\nAccept: application/json\r\n\r\n");
    }

    private MatrixResult<SyncResponse> Result(int status, byte[] body, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        JsonDocument? doc = null;
        try
        {
            doc = body.Length > 0 ? JsonDocument.Parse(body) : null;
        }
        catch (JsonException)
        {
        }
        using (doc)
        {
            var root = doc?.RootElement ?? default;
            if (status is >= 200 and < 300)
            {
                SyncResponse? value = null;
                try
                {
                    value = doc is null ? null : SyncResponse.Parse(root);
                }
                catch (FormatException)
                {
                }
                return value is null
                    ? Track(MatrixResult<SyncResponse>.Failure(status, LocalErrors.BadResponse, "response did not have the expected shape", elapsed))
                    : MatrixResult<SyncResponse>.Success(value, status, elapsed);
            }
            string? Str(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v)
                && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return Track(MatrixResult<SyncResponse>.Failure(status, Str("errcode"), Str("error"), elapsed));
        }
    }

    private MatrixResult<T> Track<T>(MatrixResult<T> result)
    {
        _errors?.Record(result.Status, result.ErrCode);
        return result;
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _port, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        _start = _end = 0;
    }

    /// <summary>Reads one response: status, then the body by Content-Length or chunks. A response that
    /// says Connection: close, or has neither length nor chunks (read to the end), closes the connection.</summary>
    private async Task<(int Status, byte[] Body)> ReadResponseAsync(CancellationToken ct)
    {
        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (_end - _start > MaxHeaderBytes)
                throw new FormatException("response headers too long");
            if (await FillAsync(ct) == 0)
                throw new IOException("connection closed before a response");
        }
        var head = Encoding.ASCII.GetString(_buffer, _start, headerEnd);
        _start += headerEnd + 4;
        var lines = head.Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        if (statusParts.Length < 2 || !statusParts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(statusParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            throw new FormatException($"not an HTTP/1.x status line: {lines[0]}");
        long? length = null;
        bool chunked = false, close = statusParts[0] == "HTTP/1.0";
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                length = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : throw new FormatException("bad Content-Length");
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                close |= value.Contains("close", StringComparison.OrdinalIgnoreCase);
        }

        byte[] body;
        if (chunked)
        {
            body = await ReadChunkedAsync(ct);
        }
        else if (length is { } n)
        {
            body = new byte[n];
            await ReadExactlyAsync(body, ct);
        }
        else
        {
            body = await ReadToEndAsync(ct);
            close = true;
        }
        if (close)
            Close();
        return (status, body);
    }

    private async Task<byte[]> ReadChunkedAsync(CancellationToken ct)
    {
        var body = new ArrayBufferWriter<byte>();
        while (true)
        {
            var line = await ReadLineAsync(ct);
            var semi = line.IndexOf(';');
            var sizeText = (semi < 0 ? line : line[..semi]).Trim();
            if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                throw new FormatException("bad chunk size");
            if (size == 0)
            {
                // Trailers, if any, end with an empty line.
                while ((await ReadLineAsync(ct)).Length > 0) { }
                return body.WrittenSpan.ToArray();
            }
            await ReadExactlyAsync(body.GetMemory((int)size)[..(int)size], ct);
            body.Advance((int)size);
            if ((await ReadLineAsync(ct)).Length != 0)
                throw new FormatException("chunk not followed by CRLF");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            if (_end - _start > MaxHeaderBytes)
                throw new FormatException("line too long");
            if (await FillAsync(ct) == 0)
                throw new IOException("connection closed inside a response");
        }
        var line = Encoding.ASCII.GetString(_buffer, _start, end);
        _start += end + 2;
        return line;
    }

    private async Task ReadExactlyAsync(Memory<byte> into, CancellationToken ct)
    {
        var buffered = Math.Min(into.Length, _end - _start);
        _buffer.AsMemory(_start, buffered).CopyTo(into);
        _start += buffered;
        var filled = buffered;
        while (filled < into.Length)
        {
            var n = await _socket!.ReceiveAsync(into[filled..], SocketFlags.None, ct);
            if (n == 0)
                throw new IOException("connection closed inside a response body");
            filled += n;
        }
    }

    private async Task<byte[]> ReadToEndAsync(CancellationToken ct)
    {
        var body = new ArrayBufferWriter<byte>();
        body.Write(_buffer.AsSpan(_start, _end - _start));
        _start = _end;
        while (true)
        {
            var n = await _socket!.ReceiveAsync(body.GetMemory(16 * 1024), SocketFlags.None, ct);
            if (n == 0)
                return body.WrittenSpan.ToArray();
            body.Advance(n);
        }
    }

    /// <summary>Receives more bytes after those not yet consumed; 0 when the server closed.</summary>
    private async Task<int> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        var n = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        _end += n;
        return n;
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }
}
