using System.Threading.Tasks;
using Xunit;
using Verify = ZeroCopy.Net.Analyzers.Tests.AnalyzerVerifier<ZeroCopy.Net.Analyzers.OwnershipAnalyzer>;

namespace ZeroCopy.Net.Analyzers.Tests;

public sealed class OwnershipDiagnosticsTests
{
    private const string Usings = TestCode.Usings;

    [Fact]
    public Task ZC0010_SpanMemorySecondSendAndDisposeAfterSend() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc)
            {
                PinnedBuffer buffer = zc.RentBuffer(65536);
                buffer.Span.Fill(1);
                await zc.SendPinnedAsync(buffer, 65536);
                {|ZC0010:buffer|}.Span[0] = 2;
                Memory<byte> m = {|ZC0010:buffer|}.Memory;
                await zc.SendPinnedAsync({|ZC0010:buffer|}, 10);
                {|ZC0010:buffer|}.Dispose();
            }
        }
        """);

    [Fact]
    public Task ZC0010_AfterSendBodyFromPinnedAndOnOnePathOnly() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, byte[] header, bool flag)
            {
                PinnedBuffer body = zc.RentBuffer(1024);
                if (flag)
                {
                    await zc.SendWithHeadersAsync(header, SendBody.FromPinned(body, 1024));
                }

                int capacity = {|ZC0010:body|}.Capacity;
            }
        }
        """);

    [Fact]
    public Task ZC0010_InALoopThatSendsTheSameBufferAgain() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, int count)
            {
                PinnedBuffer buffer = zc.RentBuffer(65536);
                for (int i = 0; i < count; i++)
                {
                    await zc.SendPinnedAsync({|ZC0010:buffer|}, 65536);
                }
            }
        }
        """);

    [Fact]
    public Task ZC0010_AfterTheMultiBufferSend() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc)
            {
                PinnedBuffer a = zc.RentBuffer(100);
                PinnedBuffer b = zc.RentBuffer(100);
                await zc.SendPinnedAsync(new[] { a, b }, new[] { 100, 100 });
                {|ZC0010:b|}.Dispose();
            }
        }
        """);

    [Fact]
    public Task ZC0010_NotForFreshBuffersOtherBranchesCleanupOrOwnershipChecks() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, int count, bool flag)
            {
                for (int i = 0; i < count; i++)
                {
                    PinnedBuffer buffer = zc.RentBuffer(65536);
                    buffer.Span.Fill((byte)i);
                    await zc.SendPinnedAsync(buffer, 65536);
                }

                PinnedBuffer other = zc.RentBuffer(100);
                if (flag)
                {
                    await zc.SendPinnedAsync(other, 100);
                }
                else
                {
                    other.Dispose();
                }

                PinnedBuffer again = zc.RentBuffer(100);
                await zc.SendPinnedAsync(again, 100);
                bool owned = again.IsOwned;
                again = zc.RentBuffer(100);
                again.Span.Clear();
                again.Dispose();

                PinnedBuffer unsent = zc.RentBuffer(100);
                SendBody body = SendBody.FromPinned(unsent, 100);
                unsent.Dispose();

                PinnedBuffer guarded = zc.RentBuffer(100);
                try
                {
                    await zc.SendPinnedAsync(guarded, guarded.Capacity);
                }
                catch
                {
                    guarded.Dispose();
                    throw;
                }
            }
        }
        """);

    [Fact]
    public Task ZC0011_MemoryOfAPinnedBufferSentAsCallerMemory() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, ReadOnlyMemory<byte> mine)
            {
                PinnedBuffer buffer = zc.RentBuffer(65536);
                PinnedMemoryRelease first = await zc.SendPinnedAsync({|ZC0011:buffer.Memory|});
                await first.WhenReleased;
                PinnedMemoryRelease second = await zc.SendPinnedAsync({|ZC0011:buffer.Memory.Slice(0, 100)|});
                await second.WhenReleased;
                PinnedMemoryRelease third = await zc.SendPinnedAsync(mine);
                await third.WhenReleased;
                buffer.Dispose();
            }
        }
        """);

    [Fact]
    public Task ZC0012_WritesBeforeWhenReleased() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, byte[] data, Memory<byte> memory, Stream source)
            {
                PinnedMemoryRelease release = await zc.SendPinnedAsync(data);
                {|ZC0012:data[0] = 1|};
                {|ZC0012:data.AsSpan(0, 10).Fill(2)|};
                {|ZC0012:Array.Clear(data)|};
                await release.WhenReleased;
                data[0] = 3;

                PinnedMemoryRelease second = await zc.SendPinnedAsync(memory.Slice(0, 100));
                {|ZC0012:memory.Span[5] = 1|};
                await {|ZC0012:source.ReadAsync(memory)|};
                await second.WhenReleased;
                memory.Span.Clear();
            }
        }
        """);

    [Fact]
    public Task ZC0012_ReleaseNeverAwaitedAndLoopReuse() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, byte[] data, int count)
            {
                for (int i = 0; i < count; i++)
                {
                    {|ZC0012:data.AsSpan().Fill((byte)i)|};
                    await zc.SendPinnedAsync(data.AsMemory());
                }
            }
        }
        """);

    [Fact]
    public Task ZC0012_NotAfterReleaseForOtherMemoryOrReads() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, byte[] data, byte[] other, Stream sink, int count)
            {
                for (int i = 0; i < count; i++)
                {
                    data.AsSpan().Fill((byte)i);
                    PinnedMemoryRelease release = await zc.SendPinnedAsync(data);
                    other[0] = 1;
                    await sink.WriteAsync(data);
                    data.AsSpan().CopyTo(other);
                    await release.WhenReleased;
                }

                await (await zc.SendPinnedAsync(data)).WhenReleased;
                data[0] = 2;

                PinnedMemoryRelease r = await zc.SendPinnedAsync(data);
                data = new byte[10];
                data[0] = 3;
                await r.WhenReleased;
            }
        }
        """);

    [Fact]
    public Task CodeWithErrorsIsAnalysedWithoutAnalyzerFailures() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(ZeroCopySocket zc, Socket socket)
            {
                PinnedBuffer buffer = zc.RentBuffer(100);
                await zc.SendPinnedAsync(buffer, {|CS0103:missing|});
                await zc.SendPinnedAsync(buffer, 100);
                {|ZC0010:buffer|}.{|CS1061:Nope|}();
                socket.Send({|CS0103:File2|}.ReadAllBytes("x"));
                await zc.SendPinnedAsync({|CS0103:alsoMissing|});
            }
        }
        """);
}
