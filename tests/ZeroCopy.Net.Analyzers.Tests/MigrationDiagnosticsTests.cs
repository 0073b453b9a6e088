using System.Threading.Tasks;
using Xunit;
using Verify = ZeroCopy.Net.Analyzers.Tests.AnalyzerVerifier<ZeroCopy.Net.Analyzers.MigrationAnalyzer>;

namespace ZeroCopy.Net.Analyzers.Tests;

public sealed class MigrationDiagnosticsTests
{
    private const string Usings = TestCode.Usings;

    [Fact]
    public Task ZC0001_SendOfReadAllBytes() => Verify.VerifyAsync(Usings + """
        class C
        {
            void M(Socket socket, string path)
            {
                {|ZC0001:socket.Send(File.ReadAllBytes(path))|};
            }
        }
        """);

    [Fact]
    public Task ZC0001_SendAsyncOfAwaitedReadAllBytesAsync() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, string path, CancellationToken ct)
            {
                await {|ZC0001:socket.SendAsync(await File.ReadAllBytesAsync(path, ct), SocketFlags.None, ct)|};
            }
        }
        """);

    [Fact]
    public Task ZC0001_SendFileOfPath() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, string path)
            {
                {|ZC0001:socket.SendFile(path)|};
                await {|ZC0001:socket.SendFileAsync(path)|};
            }
        }
        """);

    [Fact]
    public Task ZC0001_NotForCachedFieldFlagsOrOtherBuffers() => Verify.VerifyAsync(Usings + """
        class C
        {
            private static readonly byte[] s_cached = File.ReadAllBytes("favicon.ico");

            void M(Socket socket, string path, byte[] data)
            {
                socket.Send(s_cached);
                socket.Send(s_cached);
                socket.Send(data);
                socket.Send(File.ReadAllBytes(path), SocketFlags.OutOfBand);
                socket.Send(File.ReadAllBytes(path), 0, 10, SocketFlags.None);
                socket.SendFile(null);
            }
        }
        """);

    [Fact]
    public Task ZC0001_LocalReadFromTheFileAndSentOnce() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, Socket other, string path)
            {
                byte[] once = File.ReadAllBytes(path);
                {|ZC0001:socket.Send(once)|};

                var awaited = await File.ReadAllBytesAsync(path);
                Console.WriteLine();
                await {|ZC0001:socket.SendAsync(awaited, SocketFlags.None)|};

                byte[] twice = File.ReadAllBytes(path);
                socket.Send(twice);
                other.Send(twice);

                byte[] changed = File.ReadAllBytes(path);
                changed[0] = 1;
                socket.Send(changed);
            }
        }
        """);

    [Fact]
    public Task ZC0001_NotOnSocketTypesTheLibraryDoesNotSend() => Verify.VerifyAsync(Usings + """
        class C
        {
            void M(string path)
            {
                var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);
                raw.Send(File.ReadAllBytes(path));
                var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Send(File.ReadAllBytes(path));
                var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                {|ZC0001:tcp.Send(File.ReadAllBytes(path))|};
            }

            void N(System.Net.Sockets.UdpClient client, string path)
            {
                client.Send(File.ReadAllBytes(path));
            }
        }
        """);

    [Fact]
    public Task ZC0001_NotInsideIfForAnotherTarget() => Verify.VerifyAsync(Usings + """
        class C
        {
            void M(Socket socket, string path)
            {
        #if NETFRAMEWORK
                socket.Send(File.ReadAllBytes(path));
        #else
                {|ZC0001:socket.Send(File.ReadAllBytes(path))|};
        #endif
            }
        }
        """);

    [Fact]
    public Task ZC0001_InsideIfForTheTargetBeingBuilt() => Verify.VerifyAsync(Usings + """
        class C
        {
            void M(Socket socket, string path)
            {
        #if NETFRAMEWORK
                {|ZC0001:socket.Send(File.ReadAllBytes(path))|};
        #endif
            }
        }
        """, "NETFRAMEWORK");

    [Fact]
    public Task ZC0002_FileStreamCopiedIntoNetworkStream() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, string path, NetworkStream other, CancellationToken ct)
            {
                using var file = File.OpenRead(path);
                using var stream = new NetworkStream(socket, ownsSocket: false);
                await {|ZC0002:file.CopyToAsync(stream, ct)|};
                {|ZC0002:file.CopyTo(other)|};
                Stream overSocket = new NetworkStream(socket);
                {|ZC0002:file.CopyTo(overSocket)|};
                Stream memory = new MemoryStream();
                file.CopyTo(memory);
            }
        }
        """);

    [Fact]
    public Task ZC0002_NotForOtherStreams() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Stream source, Stream destination, FileStream file, MemoryStream memory, NetworkStream network)
            {
                await source.CopyToAsync(network);
                await file.CopyToAsync(memory);
                await network.CopyToAsync(destination);
                file.CopyTo(destination);
            }
        }
        """);

    [Fact]
    public Task ZC0003_SendFileWithBuffers() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, string path, byte[] pre, byte[] post, CancellationToken ct)
            {
                {|ZC0003:socket.SendFile(path, pre, post, TransmitFileOptions.UseDefaultWorkerThread)|};
                await {|ZC0003:socket.SendFileAsync(path, pre, post, TransmitFileOptions.UseDefaultWorkerThread, ct)|};
            }
        }
        """);

    [Fact]
    public Task ZC0003_NotForNullPathOrDatagramSocket() => Verify.VerifyAsync(Usings + """
        class C
        {
            void M(byte[] pre, byte[] post)
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.SendFile("a", pre, post, TransmitFileOptions.UseDefaultWorkerThread);
            }

            void N(Socket socket, byte[] pre, byte[] post) => socket.SendFile(null, pre, post, TransmitFileOptions.UseDefaultWorkerThread);
        }
        """);

    [Fact]
    public Task ZC0004_HeaderThenFileBody() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, byte[] header, string path)
            {
                await {|ZC0004:socket.SendAsync(header, SocketFlags.None)|};
                await {|ZC0001:socket.SendAsync(await File.ReadAllBytesAsync(path), SocketFlags.None)|};
            }

            void N(Socket socket, byte[] responseHead, byte[] body)
            {
                {|ZC0004:socket.Send(responseHead)|};
                socket.Send(body);
            }

            void O(Socket socket, byte[] body, string path)
            {
                {|ZC0004:socket.Send(new byte[128])|};
                {|ZC0001:socket.SendFile(path)|};
            }
        }
        """);

    [Fact]
    public Task ZC0004_NotForOtherSocketsGapsLargeOrUnnamedFirstSends() => Verify.VerifyAsync(Usings + """
        class C
        {
            void M(Socket a, Socket b, byte[] header, byte[] body, byte[] chunk, byte[] overhead)
            {
                a.Send(overhead);
                a.Send(body);

                a.Send(header);
                b.Send(body);

                a.Send(header);
                Console.WriteLine();
                a.Send(body);

                a.Send(new byte[65536]);
                a.Send(body);

                a.Send(chunk);
                a.Send(body);

                a.Send(header, SocketFlags.OutOfBand);
                a.Send(body);
            }
        }
        """);

    [Fact]
    public Task ZC0005_PooledArraySentAndReturned() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, int length)
            {
                byte[] buffer = {|ZC0005:ArrayPool<byte>.Shared.Rent(length)|};
                try
                {
                    buffer.AsSpan(0, length).Fill(1);
                    await socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            async Task N(Socket socket)
            {
                byte[] big = {|ZC0005:ArrayPool<byte>.Shared.Rent(256 * 1024)|};
                await socket.SendAsync(new ArraySegment<byte>(big, 0, 1000), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(big);
            }
        }
        """);

    [Fact]
    public Task ZC0005_NotForSmallUnsentOrUnreturnedArrays() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, Stream stream, int length)
            {
                byte[] small = ArrayPool<byte>.Shared.Rent(4096);
                await socket.SendAsync(small.AsMemory(0, 10), SocketFlags.None);
                ArrayPool<byte>.Shared.Return(small);

                byte[] written = ArrayPool<byte>.Shared.Rent(length);
                await stream.WriteAsync(written.AsMemory(0, length));
                ArrayPool<byte>.Shared.Return(written);

                byte[] kept = ArrayPool<byte>.Shared.Rent(length);
                await socket.SendAsync(kept.AsMemory(0, length), SocketFlags.None);
            }
        }
        """);

    [Fact]
    public Task ZC0006_PipeWriterOverANetworkStream() => Verify.VerifyAsync(Usings + """
        using System.IO.Pipelines;

        class C
        {
            void M(Socket socket, Stream other, NetworkStream network)
            {
                using var stream = new NetworkStream(socket, ownsSocket: false);
                PipeWriter writer = {|ZC0006:PipeWriter.Create(stream)|};
                PipeWriter second = {|ZC0006:PipeWriter.Create(network, new StreamPipeWriterOptions(leaveOpen: true))|};
                PipeWriter file = PipeWriter.Create(other);
            }
        }
        """);

    [Fact]
    public Task CodeWithErrorsIsAnalysedWithoutAnalyzerFailures() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(Socket socket, string path)
            {
                {|ZC0001:socket.Send(File.ReadAllBytes(path))|};
                socket.Send({|CS0103:missing|});
                byte[] pooled = ArrayPool<byte>.Shared.Rent({|CS0103:size|});
                await socket.SendAsync(pooled.{|CS1061:Nope|}(), SocketFlags.None);
                {|CS0103:file|}.CopyTo(new NetworkStream(socket));
                socket.SendFile(path, {|CS0103:pre|}, null, TransmitFileOptions.UseDefaultWorkerThread);
            }
        }
        """);

    [Fact]
    public Task NoDiagnosticsWithoutTheLibrary()
    {
        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<MigrationAnalyzer, Microsoft.CodeAnalysis.Testing.DefaultVerifier>
        {
            TestCode = """
                using System.IO;
                using System.Net.Sockets;
                class C
                {
                    void M(Socket socket, string path) => socket.Send(File.ReadAllBytes(path));
                }
                """,
            ReferenceAssemblies = TestReferences.None,
        };
        test.TestState.AdditionalReferences.AddRange(TestReferences.FrameworkOnly);
        return test.RunAsync();
    }
}
