namespace Myelin.Grains.Streams;

/// <summary>A change to a user's push rules; the kind of change picks the fields it uses.</summary>
[GenerateSerializer, Immutable, Alias("myelin.push-rule-change")]
public sealed record PushRuleChange(
    [property: Id(0)] string Op,            // "put", "delete", "enabled", "actions"
    [property: Id(1)] string Kind,
    [property: Id(2)] string RuleId,
    [property: Id(3)] string? BodyJson = null,
    [property: Id(4)] string? Before = null,
    [property: Id(5)] string? After = null);

/// <summary>
/// The push_rules stream's writer for one user: the ruleset lives as the user's m.push_rules account data,
/// so every change reaches the user's other devices through /sync.
/// </summary>
[Alias("myelin.push-rules")]
public interface IPushRulesGrain : IGrainWithStringKey
{
    /// <summary>The whole ruleset, as JSON.</summary>
    Task<string> Get();

    Task Change(PushRuleChange change);
}
