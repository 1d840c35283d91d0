namespace Myelin.LoadTest.Delivery;

/// <summary>
/// Checks that every message the server acknowledged with 200 reaches every member's /sync exactly once
/// and in room order. Pure bookkeeping: callers supply timestamps (microseconds on one monotonic clock).
/// </summary>
/// <remarks>
/// Room order is checked against real time, which a client can observe without trusting the server: if the
/// send of message B started after the send of message A was acknowledged, the server had already ordered A,
/// so A must come before B in every member's timeline. A sender's own messages (sent one after another) are
/// a special case. A message observed after one whose send started later than its acknowledgement counts as
/// reordered. Each (message, member) pair is one delivery: a missing pair is lost, an extra one duplicated.
/// </remarks>
public sealed class DeliveryChecker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IReadOnlyCollection<string>> _roomMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Message> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Receiver, string RoomId), List<string>> _streams = new();
    private long _outstanding;

    /// <summary>Declares who must receive messages sent to a room (every member running a /sync loop).</summary>
    public void SetRoomMembers(string roomId, IReadOnlyCollection<string> members)
    {
        lock (_gate)
            _roomMembers[roomId] = members.ToArray();
    }

    /// <summary>Call just before the send request goes out, so an early /sync can already be matched.</summary>
    public void SendStarted(string messageId, string roomId, string sender, long startedMicros)
    {
        lock (_gate)
        {
            if (!_roomMembers.ContainsKey(roomId))
                throw new InvalidOperationException($"room {roomId} has no declared members");
            _messages[messageId] = new Message(roomId, sender, startedMicros);
        }
    }

    /// <summary>The server answered 200 with an event ID: from now on the message must be delivered.</summary>
    public void Acknowledged(string messageId, long ackMicros)
    {
        lock (_gate)
        {
            var m = _messages[messageId];
            if (m.AckMicros is not null)
                return;
            m.AckMicros = ackMicros;
            var members = _roomMembers[m.RoomId];
            _outstanding += members.Count(r => !m.SeenBy.Contains(r));
        }
    }

    /// <summary>
    /// A member's /sync returned the message. Returns the delivery latency (observed minus send start) the
    /// first time this member sees it, or null for an unknown message or a duplicate.
    /// </summary>
    public long? Observed(string receiver, string roomId, string messageId, long observedMicros)
    {
        lock (_gate)
        {
            var key = (receiver, roomId);
            if (!_streams.TryGetValue(key, out var stream))
                _streams[key] = stream = [];
            stream.Add(messageId);

            if (!_messages.TryGetValue(messageId, out var m) || m.RoomId != roomId)
                return null;
            if (!m.SeenBy.Add(receiver))
                return null;
            if (m.AckMicros is not null && _roomMembers[m.RoomId].Contains(receiver))
                _outstanding--;
            return Math.Max(0, observedMicros - m.StartMicros);
        }
    }

    /// <summary>Deliveries of acknowledged messages not yet observed; the run drains until this is zero.</summary>
    public long Outstanding
    {
        get { lock (_gate) return _outstanding; }
    }

    public DeliveryReport Report()
    {
        lock (_gate)
        {
            long acknowledged = 0, expected = 0, delivered = 0, lost = 0, lostMessages = 0, duplicated = 0, reordered = 0;

            foreach (var m in _messages.Values)
            {
                if (m.AckMicros is null)
                    continue;
                acknowledged++;
                var members = _roomMembers[m.RoomId];
                expected += members.Count;
                var missing = members.Count(r => !m.SeenBy.Contains(r));
                lost += missing;
                delivered += members.Count - missing;
                if (missing > 0)
                    lostMessages++;
            }

            foreach (var ((_, roomId), stream) in _streams)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                long latestStart = long.MinValue;
                foreach (var id in stream)
                {
                    if (!_messages.TryGetValue(id, out var m) || m.RoomId != roomId)
                        continue;
                    if (!seen.Add(id))
                    {
                        duplicated++;
                        continue;
                    }
                    if (m.AckMicros is { } ack && ack < latestStart)
                        reordered++;
                    latestStart = Math.Max(latestStart, m.StartMicros);
                }
            }

            return new DeliveryReport(acknowledged, expected, delivered, lost, lostMessages, duplicated, reordered);
        }
    }

    private sealed class Message(string roomId, string sender, long startMicros)
    {
        public string RoomId { get; } = roomId;
        public string Sender { get; } = sender;
        public long StartMicros { get; } = startMicros;
        public long? AckMicros { get; set; }
        public HashSet<string> SeenBy { get; } = new(StringComparer.Ordinal);
    }
}

/// <param name="Acknowledged">messages the server answered 200 for</param>
/// <param name="ExpectedDeliveries">acknowledged messages times members of their room</param>
/// <param name="Delivered">(message, member) pairs observed at least once</param>
/// <param name="Lost">(message, member) pairs never observed</param>
/// <param name="LostMessages">acknowledged messages that at least one member never saw</param>
/// <param name="Duplicated">observations beyond the first of a message by one member</param>
/// <param name="Reordered">observations that came after a message the server cannot have ordered before them</param>
public sealed record DeliveryReport(
    long Acknowledged,
    long ExpectedDeliveries,
    long Delivered,
    long Lost,
    long LostMessages,
    long Duplicated,
    long Reordered);
