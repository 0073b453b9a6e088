using System.Threading.Tasks;
using Xunit;
using Verify = ZeroCopy.Net.Analyzers.Tests.CodeFixVerifier<ZeroCopy.Net.Analyzers.MigrationAnalyzer, ZeroCopy.Net.CodeFixes.PinnedSendCodeFixProvider>;

namespace ZeroCopy.Net.Analyzers.Tests;

/// <summary>ZC0005's fix, offered only where the size is a constant and every use of the array carries over.</summary>
public sealed class PinnedSendCodeFixTests
{
    [Fact]
    public Task ZC0005_TryFinallyBecomesRentBufferSendPinnedAsyncAndDispose() => Verify.VerifyAsync("""
        using System;
        using System.Buffers;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            static int Fill(Span<byte> span)
            {
                span.Fill(1);
                return span.Length;
            }

            async Task M(Socket socket, CancellationToken ct)
            {
                byte[] frame = {|ZC0005:ArrayPool<byte>.Shared.Rent(64 * 1024)|}; // one frame
                try
                {
                    frame[0] = 42;
                    int n = Fill(frame.AsSpan(1, frame.Length - 1)) + 1;
                    await socket.SendAsync(frame.AsMemory(0, n), SocketFlags.None, ct);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(frame);
                }
            }
        }
        """, """
        using System;
        using System.Buffers;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            static int Fill(Span<byte> span)
            {
                span.Fill(1);
                return span.Length;
            }

            async Task M(Socket socket, CancellationToken ct)
            {
                await using var zc = socket.AsZeroCopy();
                var frame = zc.RentBuffer(64 * 1024); // one frame
                try
                {
                    frame.Span[0] = 42;
                    int n = Fill(frame.Span.Slice(1, frame.Capacity - 1)) + 1;
                    await zc.SendPinnedAsync(frame, n, ct);
                }
                finally
                {
                    frame.Dispose();
                }
            }
        }
        """);

    [Fact]
    public Task ZC0005_StraightLineReturnAfterTheSendIsRemovedAndSpanArgumentsCarryOver() => Verify.VerifyAsync("""
        using System;
        using System.Buffers;
        using System.Net.Sockets;
        using System.Threading.Tasks;

        class C
        {
            private readonly Socket _socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

            static int Fill(Span<byte> span) => span.Length;

            async Task M()
            {
                var block = {|ZC0005:ArrayPool<byte>.Shared.Rent(131072)|};
                int n = Fill(block);
                await _socket.SendAsync(new ArraySegment<byte>(block, 0, n), SocketFlags.None).ConfigureAwait(false);
                ArrayPool<byte>.Shared.Return(block);
            }
        }
        """, """
        using System;
        using System.Buffers;
        using System.Net.Sockets;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            private readonly Socket _socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

            static int Fill(Span<byte> span) => span.Length;

            async Task M()
            {
                await using var zc = _socket.AsZeroCopy();
                var block = zc.RentBuffer(131072);
                int n = Fill(block.Span);
                await zc.SendPinnedAsync(block, n).ConfigureAwait(false);
            }
        }
        """);

    /// <summary>
    /// No fix where it would change what the code does: an unknown size, a size RentBuffer refuses, a
    /// send from an offset, the whole array (its length is the pool's, not the request's), a send in a
    /// loop, a use after the send, the array passed on as an array, synchronous code, and a result used.
    /// </summary>
    [Fact]
    public Task ZC0005_NoFixWhereTheRewriteCouldChangeBehaviour() => Verify.VerifyNoFixAsync("""
        using System;
        using System.Buffers;
        using System.Net.Sockets;
        using System.Threading.Tasks;

        class C
        {
            static void Keep(byte[] array) { }

            async Task<int> M(Socket socket, int length)
            {
                byte[] a = {|ZC0005:ArrayPool<byte>.Shared.Rent(length)|};
                await socket.SendAsync(a.AsMemory(0, 10), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(a);

                byte[] b = {|ZC0005:ArrayPool<byte>.Shared.Rent(1024 * 1024)|};
                await socket.SendAsync(b.AsMemory(0, 10), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(b);

                byte[] c = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                await socket.SendAsync(c.AsMemory(5, 10), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(c);

                byte[] d = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                await socket.SendAsync(d, SocketFlags.None);
                ArrayPool<byte>.Shared.Return(d);

                byte[] e = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                for (int i = 0; i < 3; i++)
                {
                    await socket.SendAsync(e.AsMemory(0, 10), SocketFlags.None);
                }
                ArrayPool<byte>.Shared.Return(e);

                byte[] f = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                await socket.SendAsync(f.AsMemory(0, 10), SocketFlags.None);
                f[0] = 1;
                ArrayPool<byte>.Shared.Return(f);

                byte[] g = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                Keep(g);
                await socket.SendAsync(g.AsMemory(0, 10), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(g);

                byte[] h = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                int sent = await socket.SendAsync(h.AsMemory(0, 10), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(h);
                return sent;
            }

            void Sync(Socket socket)
            {
                byte[] s = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                socket.Send(s.AsSpan(0, 10));
                ArrayPool<byte>.Shared.Return(s);
            }
        }
        """);

    [Fact]
    public Task ZC0005_FixAllGivesEachWrapperItsOwnName() => Verify.VerifyAsync("""
        using System;
        using System.Buffers;
        using System.Net.Sockets;
        using System.Threading.Tasks;

        class C
        {
            async Task M(Socket socket)
            {
                byte[] first = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                first.AsSpan(0, 100).Fill(1);
                await socket.SendAsync(first.AsMemory(0, 100), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(first);

                byte[] second = {|ZC0005:ArrayPool<byte>.Shared.Rent(65536)|};
                second[1] = 2;
                await socket.SendAsync(second.AsMemory(0, 2), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(second);
            }
        }
        """, """
        using System;
        using System.Buffers;
        using System.Net.Sockets;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket)
            {
                await using var firstSocket = socket.AsZeroCopy();
                var first = firstSocket.RentBuffer(65536);
                first.Span.Slice(0, 100).Fill(1);
                await firstSocket.SendPinnedAsync(first, 100);

                await using var secondSocket = socket.AsZeroCopy();
                var second = secondSocket.RentBuffer(65536);
                second.Span[1] = 2;
                await secondSocket.SendPinnedAsync(second, 2);
            }
        }
        """);
}
