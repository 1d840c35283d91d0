using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Silo.Clustering;
using Myelin.Silo.Configuration;

namespace Myelin.Silo.Tests.Clustering;

public sealed class StreamWriterGrainsTests
{
    /// <summary>Each stream-writer grain type is pinned to the silos its stream_writers key names.</summary>
    [Theory]
    [InlineData(typeof(RoomGrain), "events")]
    [InlineData(typeof(ReceiptsGrain), "receipts")]
    public void Streams_WriterGrain_PinnedToItsStream(Type grain, string stream)
    {
        Assert.Equal(stream, StreamWriterGrains.Streams[grain]);
        // The stream is one the configuration knows, so silos advertise whether they write it.
        Assert.Contains(stream, ClusterOptions.KnownStreams);
    }
}
