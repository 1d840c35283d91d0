using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
    public static IRoomGrain Room(this IGrainFactory grains, string roomId) => References<IRoomGrain>.Get(grains, roomId);
    public static ISyncGrain Sync(this IGrainFactory grains, string userId) => References<ISyncGrain>.Get(grains, userId);
    public static IAccountDataGrain AccountData(this IGrainFactory grains, string userId) => References<IAccountDataGrain>.Get(grains, userId);
    public static IPushRulesGrain PushRules(this IGrainFactory grains, string userId) => References<IPushRulesGrain>.Get(grains, userId);
    public static IToDeviceGrain ToDevice(this IGrainFactory grains, string userId, string deviceId) => grains.GetGrain<IToDeviceGrain>(ToDeviceGrainKey.Format(userId, deviceId));
    public static ITypingGrain Typing(this IGrainFactory grains, string roomId) => References<ITypingGrain>.Get(grains, roomId);
    public static IReceiptsGrain Receipts(this IGrainFactory grains, string roomId) => References<IReceiptsGrain>.Get(grains, roomId);
    public static IRegistrationNoncesGrain RegistrationNonces(this IGrainFactory grains) => grains.GetGrain<IRegistrationNoncesGrain>(0);
    public static IPresenceGrain Presence(this IGrainFactory grains, string userId) => References<IPresenceGrain>.Get(grains, userId);

    /// <summary>
    /// Grain references by key, per grain factory (a process may host several silos, in tests). Orleans
    /// resolves the interface's grain type again on every <c>GetGrain</c> (attribute lookups and type-name
    /// formatting: ~3 % of a gateway's CPU when a thousand /syncs a second each asked for their sync grain); a
    /// reference is immutable and valid for the grain's whole life, so it is made once. Bounded: the cache
    /// starts over when it holds <see cref="MaxPerFactory"/> keys.
    /// </summary>
    static class References<T> where T : IGrainWithStringKey
    {
        const int MaxPerFactory = 50_000;
        static readonly ConditionalWeakTable<IGrainFactory, ConcurrentDictionary<string, T>> ByFactory = new();

        public static T Get(IGrainFactory grains, string key)
        {
            var cache = ByFactory.GetValue(grains, static _ => new ConcurrentDictionary<string, T>(StringComparer.Ordinal));
            if (cache.TryGetValue(key, out var known)) return known;
            if (cache.Count >= MaxPerFactory) cache.Clear();
            return cache.GetOrAdd(key, grains.GetGrain<T>(key));
        }
    }
}
