using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Myelin.Gateway.Tests.Infrastructure;

/// <summary>
/// A strict reader of Prometheus' text exposition format (version 0.0.4): HELP and TYPE lines, samples with
/// optional labels and timestamp. Throws <see cref="FormatException"/> on anything a Prometheus server would
/// reject: a malformed line, a TYPE given twice or after the family's samples, a sample of no declared
/// family, a histogram without its <c>+Inf</c> bucket.
/// </summary>
public sealed partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyDictionary<string, string> Types { get; }
    public IReadOnlyList<Sample> Samples { get; }

    PrometheusText(Dictionary<string, string> types, List<Sample> samples)
    {
        Types = types;
        Samples = samples;
    }

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>();
        var seen = new HashSet<string>();
        var samples = new List<Sample>();
        var lineNo = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNo++;
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE")
                {
                    if (!MetricName().IsMatch(parts[2])) throw Bad(lineNo, $"bad metric name '{parts[2]}'");
                    if (parts[1] == "TYPE")
                    {
                        if (parts.Length != 4 || parts[3] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                            throw Bad(lineNo, "bad TYPE line");
                        if (!types.TryAdd(parts[2], parts[3])) throw Bad(lineNo, $"TYPE of {parts[2]} given twice");
                        if (seen.Contains(parts[2])) throw Bad(lineNo, $"TYPE of {parts[2]} after its samples");
                    }
                }
                continue;
            }
            var sample = ParseSample(line, lineNo);
            var family = FamilyOf(sample.Name, types);
            if (family is null) throw Bad(lineNo, $"sample {sample.Name} of no declared family");
            seen.Add(family);
            samples.Add(sample);
        }
        foreach (var (family, type) in types.Where(t => t.Value == "histogram"))
            if (samples.Any(s => s.Name == family + "_count") && !samples.Any(s => s.Name == family + "_bucket" && s.Labels.GetValueOrDefault("le") == "+Inf"))
                throw new FormatException($"histogram {family} has no +Inf bucket");
        return new PrometheusText(types, samples);
    }

    static string? FamilyOf(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name)) return name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var t) && t is "histogram" or "summary")
                return name[..^suffix.Length];
        return null;
    }

    static Sample ParseSample(string line, int lineNo)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ')) i++;
        var name = line[..i];
        if (!MetricName().IsMatch(name)) throw Bad(lineNo, $"bad metric name '{name}'");
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0) throw Bad(lineNo, "label without '='");
                var label = line[i..eq];
                if (!LabelName().IsMatch(label)) throw Bad(lineNo, $"bad label name '{label}'");
                if (line[eq + 1] != '"') throw Bad(lineNo, "label value not quoted");
                var value = new StringBuilder();
                var j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw Bad(lineNo, "bad escape") });
                    }
                    else value.Append(line[j]);
                }
                if (j >= line.Length) throw Bad(lineNo, "unterminated label value");
                if (!labels.TryAdd(label, value.ToString())) throw Bad(lineNo, $"label {label} twice");
                i = j + 1;
                if (line[i] == ',') i++;
                else if (line[i] != '}') throw Bad(lineNo, "labels not separated by ','");
            }
            i++;
        }
        var rest = line[i..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2 || line[i] != ' ') throw Bad(lineNo, "expected a value (and optional timestamp)");
        var v = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(lineNo, $"bad value '{s}'"),
        };
        if (rest.Length == 2 && !long.TryParse(rest[1], out _)) throw Bad(lineNo, "bad timestamp");
        return new Sample(name, labels, v);
    }

    static FormatException Bad(int line, string problem) => new($"line {line}: {problem}");

    /// <summary>The value of the one sample with this name and these labels (among others), or null.</summary>
    public double? Value(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value))
            .Select(s => (double?)s.Value).FirstOrDefault();
}
