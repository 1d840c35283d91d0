using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.Results;

namespace Myelin.LoadTest.Tests.Results;

internal static class SampleResults
{
    public static RunResult Chat(double throughput = 100, double sendP99 = 20, long lost = 0) => new()
    {
        Scenario = "chat",
        ServerUrl = "http://127.0.0.1:8008/",
        StartedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        DurationS = 10,
        Users = 20,
        Rooms = 5,
        TargetRate = 100,
        Sent = 1000,
        DeliveryChecked = true,
        ExpectedDeliveries = 5000,
        Delivered = 5000 - lost,
        Lost = lost,
        LostMessages = lost > 0 ? 1 : 0,
        ThroughputPerS = throughput,
        LatencyMs = new Dictionary<string, LatencySummary>
        {
            ["send"] = new(1000, 5, 10, sendP99, 40, 6),
            ["delivery"] = new(4000, 8, 15, 30, 60, 9),
            ["sync"] = new(20, 50, 70, 90, 95, 55),
        },
        Errors = [new ErrorCount(429, "M_LIMIT_EXCEEDED", 3)],
        Timeline =
        [
            new TimelinePoint(0, 95, 380, 1, new Dictionary<string, LatencySummary> { ["send"] = new(95, 5, 9, 19, 25, 6) }),
            new TimelinePoint(1, 105, 420, 0, new Dictionary<string, LatencySummary> { ["send"] = new(105, 6, 10, 21, 30, 7) }),
        ],
        Notes = ["a note"],
    };
}
