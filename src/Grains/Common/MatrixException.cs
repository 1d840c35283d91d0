namespace Myelin.Grains;

/// <summary>
/// A failure the client caused or must be told about: an HTTP status and a Matrix errcode. Thrown by
/// grains and handlers alike; the gateway turns it into <c>{"errcode","error"}</c>.
/// </summary>
[GenerateSerializer, Alias("myelin.matrix-exception")]
public sealed class MatrixException : Exception
{
    [Id(0)] public int Status { get; }
    [Id(1)] public string ErrCode { get; }
    [Id(2)] public string Error { get; }
    /// <summary>Extra top-level fields for the error body (e.g. retry_after_ms, or the UIA flows), as JSON.</summary>
    [Id(3)] public string? ExtraJson { get; }

    public MatrixException(int status, string errCode, string error, string? extraJson = null) : base($"{errCode}: {error}")
    {
        Status = status; ErrCode = errCode; Error = error; ExtraJson = extraJson;
    }

    public static MatrixException Forbidden(string error) => new(403, "M_FORBIDDEN", error);
    public static MatrixException NotFound(string error) => new(404, "M_NOT_FOUND", error);
    public static MatrixException BadJson(string error) => new(400, "M_BAD_JSON", error);
    public static MatrixException InvalidParam(string error) => new(400, "M_INVALID_PARAM", error);
    public static MatrixException MissingParam(string error) => new(400, "M_MISSING_PARAM", error);
    public static MatrixException Unrecognized(string error = "Unrecognized request") => new(404, "M_UNRECOGNIZED", error);
    public static MatrixException Unknown(string error) => new(400, "M_UNKNOWN", error);
}
