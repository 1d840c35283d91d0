using System.Collections.Concurrent;

namespace Myelin.Grains;

public static class BoundedDictionary
{
    /// <summary>
    /// Sets the key, starting the dictionary over first when a new key would take it past
    /// <paramref name="max"/> (caches of this process that rebuild what they lose). <c>Count</c> takes every
    /// lock of a <see cref="ConcurrentDictionary{TKey,TValue}"/>, so it is asked only when a key is added.
    /// </summary>
    public static void SetBounded<TKey, TValue>(this ConcurrentDictionary<TKey, TValue> map, TKey key, TValue value, int max)
        where TKey : notnull
    {
        if (!map.ContainsKey(key) && map.Count >= max) map.Clear();
        map[key] = value;
    }
}
