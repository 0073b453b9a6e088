using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using ZeroCopy.Net.Internal;
using ZeroCopy.Net.Platform.Windows;

namespace ZeroCopy.Net.Tests.ForeignPlatforms;

/// <summary>
/// The Windows path's pure parts, run here although Windows cannot be: how a send splits into
/// TransmitFile calls, and what the reusable native state hands to the kernel.
/// </summary>
public unsafe class TransmitFileCallsTests
{
    private const long Max = 0x7FFFFFFE;

    public static TheoryData<long, int, int> Windows => new()
    {
        { 0, 0, 0 },
        { 0, 200, 0 },
        { 0, 0, 13 },
        { 0, 200, 13 },
        { 1, 0, 0 },
        { 1, 200, 13 },
        { Max - 1, 200, 13 },
        { Max, 200, 13 },
        { Max + 1, 200, 13 },
        { (2 * Max) + 5, 200, 13 },
        { 5L << 30, 0, 13 },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void CallsCoverTheWindowWithTheHeadFirstAndTheTailLast(long count, int headLength, int tailLength)
    {
        var calls = new List<(uint Chunk, int Head, int Tail)>();
        long fileSent = 0;
        bool first = true;
        while (TransmitFileCalls.TryGetNext(count, fileSent, first, headLength, tailLength, out uint chunk, out int head, out int tail))
        {
            calls.Add((chunk, head, tail));
            fileSent += chunk;
            first = false;
            Assert.True(calls.Count < 100, "The split does not end.");
        }

        Assert.Equal(count, calls.Sum(c => (long)c.Chunk));
        Assert.All(calls, c => Assert.InRange(c.Chunk, 0u, (uint)Max));
        if (count == 0 && headLength + tailLength == 0)
        {
            Assert.Empty(calls);
            return;
        }

        // One call per started 2^31-2 bytes, and only the single call of an empty window passes 0
        // (sent with no file handle: 0 would otherwise mean "the whole file").
        Assert.Equal(count == 0 ? 1 : (int)((count + Max - 1) / Max), calls.Count);
        Assert.All(calls, c => Assert.True(c.Chunk > 0 || count == 0));
        Assert.Equal(headLength, calls[0].Head);
        Assert.All(calls.Skip(1), c => Assert.Equal(0, c.Head));
        Assert.Equal(tailLength, calls[^1].Tail);
        Assert.All(calls.Take(calls.Count - 1), c => Assert.Equal(0, c.Tail));
    }

    [Fact]
    public void TheStateGathersHeadAndTailIntoOneBufferAndPreparesTheOverlapped()
    {
        using var state = new WindowsTransmitState();
        ReadOnlyMemory<byte>[] headers = { new byte[] { 1, 2, 3 }, Array.Empty<byte>(), new byte[] { 4, 5 } };
        ReadOnlyMemory<byte>[] trailers = { new byte[] { 9 }, new byte[] { 8, 7 } };
        state.Gather(new PieceList(headers), new PieceList(trailers), out int headLength, out int tailLength);
        Assert.Equal(5, headLength);
        Assert.Equal(3, tailLength);

        long offset = (5L << 32) + 12345;
        Interop.Mswsock.TRANSMIT_FILE_BUFFERS* buffers = state.Prepare(offset, headLength, headLength, tailLength);
        Interop.Kernel32.OVERLAPPED* overlapped = state.Overlapped;
        Assert.Equal(Interop.Kernel32.STATUS_PENDING, overlapped->Internal);
        Assert.Equal(12345u, overlapped->Offset);
        Assert.Equal(5u, overlapped->OffsetHigh);
        Assert.Equal(1, overlapped->hEvent & 1); // no completion packet for the runtime's port

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, new ReadOnlySpan<byte>(buffers->Head, (int)buffers->HeadLength).ToArray());
        Assert.Equal(new byte[] { 9, 8, 7 }, new ReadOnlySpan<byte>(buffers->Tail, (int)buffers->TailLength).ToArray());

        // A later call of the same send (no head, no tail) passes no buffers at all.
        Assert.True(state.Prepare(0, 0, headLength, 0) == null);

        // A larger response grows the buffer and still gathers exactly.
        var big = new byte[5000];
        new Random(3).NextBytes(big);
        state.Gather(new PieceList(big), new PieceList(new ReadOnlyMemory<byte>(new byte[] { 42 })), out headLength, out tailLength);
        buffers = state.Prepare(0, headLength, headLength, tailLength);
        Assert.Equal(big, new ReadOnlySpan<byte>(buffers->Head, (int)buffers->HeadLength).ToArray());
        Assert.Equal(42, *(byte*)buffers->Tail);
    }
}
