using System.Text.Json;
using Myelin.LoadTest.Client;

namespace Myelin.LoadTest.Tests.Client;

public class SyncResponseTests
{
    [Fact]
    public void Parse_JoinedRooms_ReadsTimelineLimitedPrevBatchAndEphemeral()
    {
        const string json = """
        {
          "next_batch": "s9",
          "presence": {"events": []},
          "rooms": {
            "join": {
              "!a:hs": {
                "timeline": {"events": [
                  {"event_id": "$1", "type": "m.room.message", "sender": "@u:hs", "content": {"body": "x"}},
                  {"event_id": "$2", "type": "m.room.member", "sender": "@v:hs", "state_key": "@v:hs", "content": {}}
                ], "limited": true, "prev_batch": "p1"},
                "ephemeral": {"events": [{"type": "m.typing", "content": {"user_ids": ["@u:hs"]}}]}
              },
              "!b:hs": {}
            },
            "invite": {"!c:hs": {}}
          }
        }
        """;
        using var doc = JsonDocument.Parse(json);

        var s = SyncResponse.Parse(doc.RootElement);

        Assert.Equal("s9", s.NextBatch);
        Assert.Equal(["!a:hs", "!b:hs"], s.Rooms.Select(r => r.RoomId));
        var a = s.Rooms[0];
        Assert.True(a.Limited);
        Assert.Equal("p1", a.PrevBatch);
        Assert.Equal(["$1", "$2"], a.Timeline.Select(e => e.EventId));
        Assert.Equal("x", a.Timeline[0].Content.GetProperty("body").GetString());
        Assert.Equal("m.typing", Assert.Single(a.Ephemeral).Type);
        Assert.Empty(s.Rooms[1].Timeline);
    }

    [Fact]
    public void Parse_NoNextBatch_Throws()
    {
        using var doc = JsonDocument.Parse("{}");
        Assert.Throws<FormatException>(() => SyncResponse.Parse(doc.RootElement));
    }
}
