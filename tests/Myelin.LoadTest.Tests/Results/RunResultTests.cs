using System.Text.Json;
using Myelin.LoadTest.Results;

namespace Myelin.LoadTest.Tests.Results;

public class RunResultTests
{
    [Fact]
    public void ToJson_HasTheFieldsOtherToolsRead()
    {
        using var doc = JsonDocument.Parse(SampleResults.Chat().ToJson());
        var root = doc.RootElement;

        Assert.Equal("chat", root.GetProperty("scenario").GetString());
        Assert.Equal(1000, root.GetProperty("sent").GetInt64());
        Assert.Equal(0, root.GetProperty("lost").GetInt64());
        Assert.Equal(0, root.GetProperty("duplicated").GetInt64());
        Assert.Equal(0, root.GetProperty("reordered").GetInt64());
        Assert.Equal(100, root.GetProperty("throughput_per_s").GetDouble());
        foreach (var metric in new[] { "send", "delivery", "sync" })
        {
            var m = root.GetProperty("latency_ms").GetProperty(metric);
            foreach (var p in new[] { "p50", "p90", "p99", "max" })
                Assert.Equal(JsonValueKind.Number, m.GetProperty(p).ValueKind);
        }
        Assert.Equal(20, root.GetProperty("latency_ms").GetProperty("send").GetProperty("p99").GetDouble());
        Assert.Equal("M_LIMIT_EXCEEDED", root.GetProperty("errors")[0].GetProperty("errcode").GetString());
        Assert.Equal(2, root.GetProperty("timeline").GetArrayLength());
        Assert.False(root.TryGetProperty("failure", out _));
    }

    [Fact]
    public void FromJson_OfToJson_RoundTrips()
    {
        var original = SampleResults.Chat(lost: 4);
        var back = RunResult.FromJson(original.ToJson());

        Assert.Equal(original.ToJson(), back.ToJson());
        Assert.Equal(4, back.Lost);
        Assert.Equal(30, back.LatencyMs["delivery"].P99);
    }

    [Fact]
    public void Load_MissingFile_ThrowsInvalidDataNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        var e = Assert.Throws<InvalidDataException>(() => RunResult.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Load_NotJson_ThrowsInvalidData()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, "not json");
        try
        {
            Assert.Throws<InvalidDataException>(() => RunResult.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
