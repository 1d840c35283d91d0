using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.LoadTest.Delivery;

/// <summary>
/// The harness's mark inside a message's content: run, unique message ID and per-sender sequence number,
/// so a message found in /sync can be matched to its send without trusting event IDs.
/// </summary>
public sealed record MessageMarker(string RunId, string MessageId, long SenderSequence)
{
    public const string ContentKey = "org.myelin.loadtest";

    public JsonObject ToContent(string body) => new()
    {
        ["msgtype"] = "m.text",
        ["body"] = body,
        [ContentKey] = new JsonObject
        {
            ["run"] = RunId,
            ["id"] = MessageId,
            ["seq"] = SenderSequence,
        },
    };

    /// <summary>Reads the mark from event content, or null if the event was not sent by this harness.</summary>
    public static MessageMarker? TryRead(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Object
            || !content.TryGetProperty(ContentKey, out var mark) || mark.ValueKind != JsonValueKind.Object
            || !mark.TryGetProperty("run", out var run) || run.ValueKind != JsonValueKind.String
            || !mark.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
            || !mark.TryGetProperty("seq", out var seq) || !seq.TryGetInt64(out var sequence))
            return null;
        return new MessageMarker(run.GetString()!, id.GetString()!, sequence);
    }
}
