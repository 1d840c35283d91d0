using Myelin.Matrix;
using Myelin.Silo.Appservices;

namespace Myelin.Silo.Tests.WorkerApps;

public sealed class AppserviceApiTests
{
    static ApplicationService Service(string url, string hsToken = "hs-token") => new()
    {
        Id = "svc", Url = url, AsToken = "as", HsToken = hsToken, SenderLocalpart = "bot", Sender = "@bot:test",
    };

    [Fact]
    public async Task Ping_Answered_OkWithTheTransactionIdPassedThrough()
    {
        await using var fake = new FakeAppservice();
        using var api = new AppserviceApi(TimeSpan.FromSeconds(5));
        var result = await api.PingAsync(Service(fake.Url), "txn-1", default);
        Assert.True(result.Ok);
        Assert.Equal("txn-1", Assert.Single(fake.Pings)["transaction_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ping_BadStatus_ReportsStatusAndBody()
    {
        await using var fake = new FakeAppservice { PingStatus = 401 };
        using var api = new AppserviceApi(TimeSpan.FromSeconds(5));
        var result = await api.PingAsync(Service(fake.Url), null, default);
        Assert.Equal(AppserviceCallFailure.BadStatus, result.Failure);
        Assert.Equal(401, result.Status);
        Assert.Contains("M_UNKNOWN", result.Body);
    }

    [Fact]
    public async Task Ping_Slow_TimesOut()
    {
        await using var fake = new FakeAppservice { Delay = TimeSpan.FromSeconds(3) };
        using var api = new AppserviceApi(TimeSpan.FromMilliseconds(300));
        Assert.Equal(AppserviceCallFailure.Timeout, (await api.PingAsync(Service(fake.Url), null, default)).Failure);
    }

    [Fact]
    public async Task Ping_NobodyListening_ConnectionFailed()
    {
        int port;
        await using (var gone = new FakeAppservice()) port = gone.Port;
        using var api = new AppserviceApi(TimeSpan.FromSeconds(5));
        Assert.Equal(AppserviceCallFailure.ConnectionFailed, (await api.PingAsync(Service($"http://127.0.0.1:{port}"), null, default)).Failure);
    }
}
