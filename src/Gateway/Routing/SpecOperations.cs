using System.Text.RegularExpressions;

namespace Myelin.Gateway.Routing;

/// <summary>Looks up a gateway route in the spec's operations (<c>SpecOperations.g.cs</c>): the same
/// endpoint under any of the versions clients use (r0, v3, v1, api/v1, unstable) finds the spec's entry.</summary>
public static partial class SpecOperations
{
    public static (string Summary, bool NeedsToken)? Find(string method, string pathTemplate)
    {
        var template = Regex.Replace(pathTemplate, @"\{[^}]+\}", "{}");
        foreach (var candidate in Candidates(template))
            if (ByKey.TryGetValue(method.ToUpperInvariant() + " " + candidate, out var op)) return op;
        return null;
    }

    static IEnumerable<string> Candidates(string template)
    {
        yield return template;
        var client = Regex.Match(template, @"^/_matrix/client/(?:r0|v3|v1|api/v1|unstable)/(.*)$");
        if (client.Success)
        {
            yield return "/_matrix/client/v3/" + client.Groups[1].Value;
            yield return "/_matrix/client/v1/" + client.Groups[1].Value;
        }
        var media = Regex.Match(template, @"^/_matrix/media/(?:r0|v1|v3)/(.*)$");
        if (media.Success)
        {
            yield return "/_matrix/media/v3/" + media.Groups[1].Value;
            yield return "/_matrix/media/v1/" + media.Groups[1].Value;
        }
    }
}
