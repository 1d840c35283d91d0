using System.Text.Json.Nodes;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// A user's push rules (the push_rules stream's writer, keyed by user): kept as the user's m.push_rules
/// account data, each change also recorded on the push_rules stream and replicated as Synapse's
/// PushRulesStream row (<c>{"user_id": ...}</c>).
/// </summary>
public sealed class PushRulesGrain(MyelinDatabase db, AccountDataWriter writer, StreamFanout fanout) : Grain, IPushRulesGrain
{
    public const string AccountDataType = "m.push_rules";

    PushRuleSet? _rules;

    string UserId => this.GetPrimaryKeyString();

    async Task<PushRuleSet> RulesAsync()
    {
        if (_rules is null)
        {
            var stored = await db.AccountData.GetAccountDataAsync(UserId, null, AccountDataType);
            _rules = PushRuleSet.FromStored(UserId, stored is null ? null : JsonNode.Parse(stored) as JsonObject);
        }
        return _rules;
    }

    public async Task<string> Get() => (await RulesAsync()).ToJson().ToJsonString();

    public async Task Change(PushRuleChange change)
    {
        var rules = await RulesAsync();
        var body = change.BodyJson is null ? new JsonObject() : JsonNode.Parse(change.BodyJson) as JsonObject ?? new JsonObject();
        try
        {
            switch (change.Op)
            {
                case "put": rules.Put(change.Kind, change.RuleId, body, change.Before, change.After); break;
                case "delete": rules.Delete(change.Kind, change.RuleId); break;
                case "enabled":
                    if (body["enabled"] is not JsonValue v || !v.TryGetValue<bool>(out var enabled))
                        throw MatrixException.BadJson("'enabled' must be a boolean");
                    rules.SetEnabled(change.Kind, change.RuleId, enabled);
                    break;
                case "actions": rules.SetActions(change.Kind, change.RuleId, body["actions"]); break;
                default: throw new ArgumentException($"unknown push rule change {change.Op}");
            }
        }
        catch (PushRuleException e)
        {
            _rules = null; // the set may be half-changed: reload it from what is stored
            throw e.NotFound ? MatrixException.NotFound(e.Message) : new MatrixException(400, "M_UNKNOWN", e.Message);
        }
        catch (MatrixException)
        {
            _rules = null;
            throw;
        }
        await writer.WriteAsync(UserId, null, AccountDataType, rules.ToJson().ToJsonString());
        var position = await db.AccountData.RecordPushRulesChangeAsync(UserId);
        await fanout.PublishAsync(StreamNames.PushRules, position, new JsonObject { ["user_id"] = UserId }.ToJsonString());
    }
}
