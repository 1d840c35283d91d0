using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Myelin.Matrix;

namespace Myelin.Benchmarks;

/// <summary>
/// Cost of push rule evaluation per event per member (issue 5's target: ≤ 2 µs): the default ruleset
/// compiled once per member, the event flattened once and evaluated for each member.
/// </summary>
[MemoryDiagnoser]
public class PushRuleBenchmarks
{
    PushRuleEvaluator _evaluator = null!;
    PushEvent _plain = null!;
    PushEvent _mention = null!;
    PushContext _ctx = null!;
    JsonObject _eventJson = null!;

    [GlobalSetup]
    public void Setup()
    {
        const string me = "@alice:example.org";
        _evaluator = new PushRuleEvaluator(DefaultPushRules.Ruleset(me));
        _eventJson = JsonNode.Parse("""
            {"type":"m.room.message","sender":"@bob:example.org","room_id":"!r:example.org","event_id":"$e",
             "origin_server_ts":1,"content":{"msgtype":"m.text","body":"lunch at noon, anyone?"}}
            """)!.AsObject();
        _plain = new PushEvent(_eventJson);
        _mention = new PushEvent(JsonNode.Parse("""
            {"type":"m.room.message","sender":"@bob:example.org","room_id":"!r:example.org","event_id":"$f",
             "content":{"msgtype":"m.text","body":"alice?","m.mentions":{"user_ids":["@alice:example.org"]}}}
            """)!.AsObject());
        _ctx = new PushContext(me, "Alice", 1000, PowerLevels.FromContent(
            JsonNode.Parse("""{"users":{"@bob:example.org":50}}""")!.AsObject(), null));
    }

    /// <summary>A plain message in a large room: every override rule is tried before .m.rule.message.</summary>
    [Benchmark(Baseline = true)]
    public PushDecision EvaluatePlainMessage() => _evaluator.Evaluate(_plain, _ctx);

    /// <summary>A message mentioning the member: decided by .m.rule.is_user_mention.</summary>
    [Benchmark]
    public PushDecision EvaluateMention() => _evaluator.Evaluate(_mention, _ctx);

    /// <summary>Flattening an event, done once per event whatever the room's size.</summary>
    [Benchmark]
    public PushEvent FlattenEvent() => new(_eventJson);
}
