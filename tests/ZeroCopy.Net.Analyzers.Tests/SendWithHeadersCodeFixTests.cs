using System.Threading.Tasks;
using Xunit;
using Verify = ZeroCopy.Net.Analyzers.Tests.CodeFixVerifier<ZeroCopy.Net.Analyzers.MigrationAnalyzer, ZeroCopy.Net.CodeFixes.SendWithHeadersCodeFixProvider>;

namespace ZeroCopy.Net.Analyzers.Tests;

public sealed class SendWithHeadersCodeFixTests
{
    [Fact]
    public Task ZC0003_SendFileAsyncWithBuffers() => Verify.VerifyAsync("""
        using System;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            async Task M(Socket socket, string path, byte[] head, byte[] tail, CancellationToken ct)
            {
                // respond
                await {|ZC0003:socket.SendFileAsync(path, head, tail, TransmitFileOptions.UseDefaultWorkerThread, ct)|};
                await {|ZC0003:socket.SendFileAsync(path, head, null, TransmitFileOptions.UseDefaultWorkerThread, ct)|}.ConfigureAwait(false);
            }
        }
        """, """
        using System;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket, string path, byte[] head, byte[] tail, CancellationToken ct)
            {
                // respond
                await using (var zc = socket.AsZeroCopy())
                {
                    await zc.SendWithHeadersAsync(head, SendBody.FromFile(path), tail, cancellationToken: ct);
                }
                await using (var zc = socket.AsZeroCopy())
                {
                    await zc.SendWithHeadersAsync(head, SendBody.FromFile(path), cancellationToken: ct).ConfigureAwait(false);
                }
            }
        }
        """);

    [Fact]
    public Task ZC0003_SynchronousSendFileWithNullPreBuffer() => Verify.VerifyAsync("""
        using System;
        using System.Net.Sockets;
        using ZeroCopy.Net;

        class C
        {
            void M(Socket socket, string path, byte[] tail)
            {
                var zc = 1;
                {|ZC0003:socket.SendFile(path, null, tail, TransmitFileOptions.UseDefaultWorkerThread)|};
            }
        }
        """, """
        using System;
        using System.Net.Sockets;
        using ZeroCopy.Net;

        class C
        {
            void M(Socket socket, string path, byte[] tail)
            {
                var zc = 1;
                using (var zc1 = socket.AsZeroCopy())
                {
                    zc1.SendWithHeadersAsync(ReadOnlyMemory<byte>.Empty, SendBody.FromFile(path), tail).AsTask().GetAwaiter().GetResult();
                }
            }
        }
        """);

    [Fact]
    public Task ZC0003_NoFixForOtherFlags() => Verify.VerifyNoFixAsync("""
        using System.Net.Sockets;

        class C
        {
            void M(Socket socket, string path, byte[] head)
            {
                {|ZC0003:socket.SendFile(path, head, null, TransmitFileOptions.Disconnect)|};
            }
        }
        """);

    [Fact]
    public Task ZC0004_HeaderThenFileAndHeaderThenMemory() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            async Task M(Socket socket, byte[] header, string path, CancellationToken ct)
            {
                // respond
                await {|ZC0004:socket.SendAsync(header, SocketFlags.None, ct)|}; // the header
                // then the file
                await {|ZC0001:socket.SendFileAsync(path, ct)|}; // the body
            }

            void N(Socket socket, byte[] responseHead, byte[] body)
            {
                Console.WriteLine("before");
                {|ZC0004:socket.Send(responseHead)|};
                socket.Send(body);
                Console.WriteLine("after");
            }
        }
        """, """
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket, byte[] header, string path, CancellationToken ct)
            {
                // respond
                // the header
                // then the file
                await using (var zc = socket.AsZeroCopy())
                {
                    await zc.SendWithHeadersAsync(header, SendBody.FromFile(path), cancellationToken: ct);
                } // the body
            }

            void N(Socket socket, byte[] responseHead, byte[] body)
            {
                Console.WriteLine("before");
                using (var zc = socket.AsZeroCopy())
                {
                    zc.SendWithHeadersAsync(responseHead, SendBody.FromMemory(body)).AsTask().GetAwaiter().GetResult();
                }
                Console.WriteLine("after");
            }
        }
        """, "ZC0004");
}
