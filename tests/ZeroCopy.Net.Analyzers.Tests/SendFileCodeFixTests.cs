using System.Threading.Tasks;
using Xunit;
using Verify = ZeroCopy.Net.Analyzers.Tests.CodeFixVerifier<ZeroCopy.Net.Analyzers.MigrationAnalyzer, ZeroCopy.Net.CodeFixes.SendFileCodeFixProvider>;

namespace ZeroCopy.Net.Analyzers.Tests;

public sealed class SendFileCodeFixTests
{
    [Fact]
    public Task ZC0001_AsyncMethodAwaitsSendFileZeroCopyAsyncAndAddsTheUsing() => Verify.VerifyAsync("""
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            async Task M(Socket socket, string path, CancellationToken ct)
            {
                // send the file
                await {|ZC0001:socket.SendAsync(await File.ReadAllBytesAsync(path, ct), SocketFlags.None, ct)|}; // trailing
                {|ZC0001:socket.Send(File.ReadAllBytes(path))|};
                await {|ZC0001:socket.SendFileAsync(path)|}.ConfigureAwait(false);
            }
        }
        """, """
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket, string path, CancellationToken ct)
            {
                // send the file
                await socket.SendFileZeroCopyAsync(path, cancellationToken: ct); // trailing
                await socket.SendFileZeroCopyAsync(path);
                await socket.SendFileZeroCopyAsync(path).ConfigureAwait(false);
            }
        }
        """);

    [Fact]
    public Task ZC0001_LocalDeclarationJustBeforeTheSendIsRemoved() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket, string path)
            {
                // read the page
                byte[] page = await File.ReadAllBytesAsync(path); // whole
                await {|ZC0001:socket.SendAsync(page, SocketFlags.None)|};
            }
        }
        """, """
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket, string path)
            {
                // read the page
                // whole
                await socket.SendFileZeroCopyAsync(path);
            }
        }
        """);

    [Fact]
    public Task ZC0001_NoFixWhereTheLocalIsReadEarlier() => Verify.VerifyNoFixAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class C
        {
            void M(Socket socket, string path)
            {
                byte[] later = File.ReadAllBytes(path);
                Console.WriteLine();
                {|ZC0001:socket.Send(later)|};
            }
        }
        """);

    [Fact]
    public Task ZC0001_SynchronousMethodWaitsAsTheSendDid() => Verify.VerifyAsync("""
        using System.IO;
        using System.Net.Sockets;
        using ZeroCopy.Net;

        namespace App
        {
            class C
            {
                void M(Socket socket, string path)
                {
                    {|ZC0001:socket.Send(File.ReadAllBytes(path))|};
                    {|ZC0001:socket.SendFile(path)|};
                }

                async System.Threading.Tasks.Task N(Socket socket, string path)
                {
                    lock (this)
                    {
                        {|ZC0001:socket.SendFile(path)|};
                    }

                    await System.Threading.Tasks.Task.Yield();
                }
            }
        }
        """, """
        using System.IO;
        using System.Net.Sockets;
        using ZeroCopy.Net;

        namespace App
        {
            class C
            {
                void M(Socket socket, string path)
                {
                    socket.SendFileZeroCopyAsync(path).AsTask().GetAwaiter().GetResult();
                    socket.SendFileZeroCopyAsync(path).AsTask().GetAwaiter().GetResult();
                }

                async System.Threading.Tasks.Task N(Socket socket, string path)
                {
                    lock (this)
                    {
                        socket.SendFileZeroCopyAsync(path).AsTask().GetAwaiter().GetResult();
                    }

                    await System.Threading.Tasks.Task.Yield();
                }
            }
        }
        """);

    [Fact]
    public Task ZC0001_NoFixWhereTheResultIsUsedOrTheTaskIsNotAwaited() => Verify.VerifyNoFixAsync("""
        using System.IO;
        using System.Net.Sockets;
        using System.Threading.Tasks;

        class C
        {
            int M(Socket socket, string path)
            {
                int sent = {|ZC0001:socket.Send(File.ReadAllBytes(path))|};
                return sent;
            }

            Task N(Socket socket, string path)
            {
                {|ZC0001:socket.SendFileAsync(path)|};
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task ZC0001_FixAllInProject() => Verify.VerifyAsync(
        [
            """
            using System.IO;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class A
            {
                async Task M(Socket socket, string path)
                {
                    await {|ZC0001:socket.SendAsync(File.ReadAllBytes(path), SocketFlags.None)|};
                }
            }
            """,
            """
            using System.IO;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class B
            {
                async Task M(Socket socket, string a, string b)
                {
                    {|ZC0001:socket.Send(File.ReadAllBytes(a))|};
                    {|ZC0001:socket.Send(File.ReadAllBytes(b))|};
                }
            }
            """,
        ],
        [
            """
            using System.IO;
            using System.Net.Sockets;
            using System.Threading.Tasks;
            using ZeroCopy.Net;

            class A
            {
                async Task M(Socket socket, string path)
                {
                    await socket.SendFileZeroCopyAsync(path);
                }
            }
            """,
            """
            using System.IO;
            using System.Net.Sockets;
            using System.Threading.Tasks;
            using ZeroCopy.Net;

            class B
            {
                async Task M(Socket socket, string a, string b)
                {
                    await socket.SendFileZeroCopyAsync(a);
                    await socket.SendFileZeroCopyAsync(b);
                }
            }
            """,
        ]);

    [Fact]
    public Task ZC0002_CopyToAsyncIntoANetworkStreamOverASocket() => Verify.VerifyAsync("""
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket, string path, CancellationToken ct)
            {
                using var file = File.OpenRead(path);
                using var stream = new NetworkStream(socket, ownsSocket: false);
                await {|ZC0002:file.CopyToAsync(stream, ct)|};
            }

            void N(FileStream file, NetworkStream stream)
            {
                {|ZC0002:file.CopyTo(stream)|};
            }

            void O(FileStream file, Socket socket)
            {
                Stream stream = new NetworkStream(socket);
                {|ZC0002:file.CopyTo(stream)|};
            }
        }
        """, """
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using ZeroCopy.Net;

        class C
        {
            async Task M(Socket socket, string path, CancellationToken ct)
            {
                using var file = File.OpenRead(path);
                using var stream = new NetworkStream(socket, ownsSocket: false);
                file.Position += await socket.SendFileZeroCopyAsync(file.SafeFileHandle, file.Position, cancellationToken: ct);
            }

            void N(FileStream file, NetworkStream stream)
            {
                file.Position += stream.Socket.SendFileZeroCopyAsync(file.SafeFileHandle, file.Position).AsTask().GetAwaiter().GetResult();
            }

            void O(FileStream file, Socket socket)
            {
                Stream stream = new NetworkStream(socket);
                file.Position += socket.SendFileZeroCopyAsync(file.SafeFileHandle, file.Position).AsTask().GetAwaiter().GetResult();
            }
        }
        """);
}
