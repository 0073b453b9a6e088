using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace ZeroCopy.Net.Bench;

/// <summary>
/// A connected loopback TCP pair whose receiving end a background thread reads and discards, so a
/// benchmark measures what one send costs the sender.
/// </summary>
internal sealed class DrainedLoopbackConnection : IDisposable
{
    private readonly Socket _listener;
    private readonly Socket _receiver;
    private readonly Thread _drain;

    /// <param name="spin">
    /// Drain with non-blocking reads in a busy loop instead of blocking ones. A blocked reader must be
    /// woken by every send (an IPI to the other vCPU, inside the sender's syscall), and that wake-up
    /// cost varies by microseconds from run to run; a spinning reader is never asleep, so a send
    /// costs only its own work. It keeps the other vCPU busy: use it for per-send costs only.
    /// </param>
    public DrainedLoopbackConnection(bool spin = false)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        Sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Sender.Connect(_listener.LocalEndPoint!);
        _receiver = _listener.Accept();

        Socket receiver = _receiver;
        _drain = new Thread(() =>
        {
            byte[] buffer = new byte[256 * 1024];
            try
            {
                if (spin)
                {
                    receiver.Blocking = false;
                    while (true)
                    {
                        int n = receiver.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
                        if (n == 0 && error != SocketError.WouldBlock)
                        {
                            return; // closed (or failed): the benchmark is over
                        }
                    }
                }

                while (receiver.Receive(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
                // Torn down by Dispose.
            }
            catch (ObjectDisposedException)
            {
            }
        })
        { IsBackground = true, Name = "loopback drain" };
        _drain.Start();
    }

    /// <summary>The sending end (TCP_NODELAY on).</summary>
    public Socket Sender { get; }

    public void Dispose()
    {
        Sender.Dispose();
        _receiver.Dispose();
        _listener.Dispose();
        _drain.Join(TimeSpan.FromSeconds(5));
    }
}
