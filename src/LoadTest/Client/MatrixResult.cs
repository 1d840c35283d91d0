namespace Myelin.LoadTest.Client;

/// <summary>
/// The outcome of one Client-Server API call. Failures are values, not exceptions: status 0 means the
/// server could not be reached or did not answer in time.
/// </summary>
public sealed record MatrixResult<T>
{
    public T? Value { get; init; }
    public int Status { get; init; }
    public string? ErrCode { get; init; }
    public string? Error { get; init; }
    public TimeSpan Elapsed { get; init; }

    public bool IsSuccess => Status is >= 200 and < 300 && Value is not null;

    public static MatrixResult<T> Success(T value, int status, TimeSpan elapsed) =>
        new() { Value = value, Status = status, Elapsed = elapsed };

    public static MatrixResult<T> Failure(int status, string? errcode, string? error, TimeSpan elapsed) =>
        new() { Status = status, ErrCode = errcode, Error = error, Elapsed = elapsed };

    public MatrixResult<TOther> As<TOther>() =>
        MatrixResult<TOther>.Failure(Status, ErrCode, Error, Elapsed);

    public override string ToString() => IsSuccess
        ? $"{Status} in {Elapsed.TotalMilliseconds:F0} ms"
        : $"{(Status == 0 ? "no response" : Status.ToString(System.Globalization.CultureInfo.InvariantCulture))} {ErrCode} {Error}".Trim();
}

/// <summary>Error codes the harness itself assigns when there is no Matrix error to report.</summary>
public static class LocalErrors
{
    public const string ConnectionFailed = "CONNECTION_FAILED";
    public const string Timeout = "TIMEOUT";
    public const string BadResponse = "BAD_RESPONSE";
}
