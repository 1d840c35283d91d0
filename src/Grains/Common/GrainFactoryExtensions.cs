using Myelin.Grains.Admin;
using Myelin.Grains.Presence;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Grains.Typing;

namespace Myelin.Grains;

/// <summary>The one place grain keys are built.</summary>
public static class GrainFactoryExtensions
{
    public static IRoomGrain Room(this IGrainFactory grains, string roomId) => grains.GetGrain<IRoomGrain>(roomId);
    public static ISyncGrain Sync(this IGrainFactory grains, string userId) => grains.GetGrain<ISyncGrain>(userId);
    public static IAccountDataGrain AccountData(this IGrainFactory grains, string userId) => grains.GetGrain<IAccountDataGrain>(userId);
    public static IPushRulesGrain PushRules(this IGrainFactory grains, string userId) => grains.GetGrain<IPushRulesGrain>(userId);
    public static IToDeviceGrain ToDevice(this IGrainFactory grains, string userId, string deviceId) => grains.GetGrain<IToDeviceGrain>(ToDeviceGrainKey.Format(userId, deviceId));
    public static ITypingGrain Typing(this IGrainFactory grains, string roomId) => grains.GetGrain<ITypingGrain>(roomId);
    public static IReceiptsGrain Receipts(this IGrainFactory grains, string roomId) => grains.GetGrain<IReceiptsGrain>(roomId);
    public static IRegistrationNoncesGrain RegistrationNonces(this IGrainFactory grains) => grains.GetGrain<IRegistrationNoncesGrain>(0);
    public static IPresenceGrain Presence(this IGrainFactory grains, string userId) => grains.GetGrain<IPresenceGrain>(userId);
}
