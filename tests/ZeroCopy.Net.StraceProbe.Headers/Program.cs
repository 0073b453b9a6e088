using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using ZeroCopy.Net;

// Each scenario is bracketed by a write of "@@begin <name>" / "@@end <name>" to stderr, which strace
// shows as write(2, "@@begin ...") lines: the test reads the syscalls between them.
string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
string small = Path.Combine(dir, "zc-probe-small.bin");
string large = Path.Combine(dir, "zc-probe-large.bin");
File.WriteAllBytes(small, new byte[1024]);
File.WriteAllBytes(large, new byte[65536]);

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
listener.Listen(1);
using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
await client.ConnectAsync(listener.LocalEndPoint!);
using Socket peer = await listener.AcceptAsync();
// COPIED adaptation off: loopback completions say COPIED, and the pinned section must show MSG_ZEROCOPY.
await using var zc = new ZeroCopySocket(client, new ZeroCopySocketOptions { CopiedCompletionsBeforeFallback = 0 });

byte[] header = new byte[200];
byte[] trailer = new byte[20];
var sink = new byte[1 << 20];
Task drain = Task.Run(async () =>
{
    while (await peer.ReceiveAsync(sink, SocketFlags.None) > 0)
    {
    }
});

await Run("large", () => zc.SendWithHeadersAsync(header, SendBody.FromFile(large)));
await Run("large-trailer", () => zc.SendWithHeadersAsync(header, SendBody.FromFile(large), trailer));
await Run("small", () => zc.SendWithHeadersAsync(header, SendBody.FromFile(small)));
await Run("memory", () => zc.SendWithHeadersAsync(header, SendBody.FromMemory(sink.AsMemory(0, 4096)), trailer));
await Run("memory-large", () => zc.SendWithHeadersAsync(header, SendBody.FromMemory(sink.AsMemory(0, 65536)), trailer));
await Run("pinned", () => zc.SendWithHeadersAsync(header, SendBody.FromPinned(zc.RentBuffer(65536), 65536), trailer));
await Run("pinned-small", () => zc.SendWithHeadersAsync(header, SendBody.FromPinned(zc.RentBuffer(1024), 1024), trailer));

// KeepNagle on a second connection: Nagle stays on, and each response pushes its own tail.
using var nagleClient = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
await nagleClient.ConnectAsync(listener.LocalEndPoint!);
using Socket naglePeer = await listener.AcceptAsync();
Task nagleDrain = Task.Run(async () =>
{
    var nagleSink = new byte[1 << 20];
    while (await naglePeer.ReceiveAsync(nagleSink, SocketFlags.None) > 0)
    {
    }
});
await using (var keep = new ZeroCopySocket(nagleClient, new ZeroCopySocketOptions { KeepNagle = true }))
{
    await Run("keep-nagle", () => keep.SendWithHeadersAsync(header, SendBody.FromFile(large)));
    await Run("keep-nagle-memory", () => keep.SendWithHeadersAsync(header, SendBody.FromMemory(sink.AsMemory(0, 4096))));
}

Console.Error.WriteLine($"@@nagle-nodelay {nagleClient.NoDelay}");
nagleClient.Shutdown(SocketShutdown.Send);
await nagleDrain;

client.Shutdown(SocketShutdown.Send);
await drain;
File.Delete(small);
File.Delete(large);
Console.Error.WriteLine($"@@platform {zc.PlatformName}");
return 0;

static async Task Run(string name, Func<ValueTask<long>> send)
{
    Console.Error.WriteLine($"@@begin {name}");
    long sent = await send();
    Console.Error.WriteLine($"@@end {name} {sent}");
}
