using System;

namespace ZeroCopy.Net.AspNetCore;

/// <summary>
/// Options for the ZeroCopy.Net Kestrel transport (<see cref="ZeroCopyWebHostBuilderExtensions.UseZeroCopy(Microsoft.AspNetCore.Hosting.IWebHostBuilder, Action{ZeroCopyTransportOptions}?)"/>).
/// They mirror Kestrel's <c>SocketTransportOptions</c> where the same knob makes sense, and add the sendfile switch.
/// Read once, when the transport binds its first endpoint.
/// </summary>
public sealed class ZeroCopyTransportOptions
{
    /// <summary>
    /// Serve <c>IHttpResponseBodyFeature.SendFileAsync</c> (UseStaticFiles, Results.File, Response.SendFileAsync) with
    /// sendfile(2) on plaintext HTTP/1.x responses whose body is exactly the file range. Default <see langword="true"/>.
    /// When <see langword="false"/>, the transport still carries every connection, and files go through Kestrel's own
    /// SendFileFallback (a 16 KiB read-and-copy loop).
    /// </summary>
    public bool SendFile { get; set; } = true;

    /// <summary>Set TCP_NODELAY on accepted TCP connections (as Kestrel's socket transport does by default). Default <see langword="true"/>.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>The listen backlog: connections the kernel queues before they are accepted. Default 512 (Kestrel's).</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// The most received bytes a connection buffers before it stops reading from the socket until the server has
    /// consumed some (the input pipe's pause threshold). <see langword="null"/> or 0: unbounded. Default 1 MiB (Kestrel's).
    /// </summary>
    public long? MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Wait for the socket to be readable (a zero-byte receive) before taking a buffer from the pool, so an idle
    /// connection holds no receive memory. Default <see langword="true"/> (Kestrel's).
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>
    /// Send every connection through ZeroCopy.Net's portable copying path instead of the kernel paths (for comparison
    /// and diagnosis; see <see cref="ZeroCopySocketOptions.ForcePortable"/>). Default <see langword="false"/>.
    /// </summary>
    public bool ForcePortable { get; set; }

    /// <summary>A copy, so later changes to this instance affect no listener already bound.</summary>
    internal ZeroCopyTransportOptions Snapshot()
    {
        if (Backlog < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "The backlog cannot be negative.");
        }

        if (MaxReadBufferSize is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReadBufferSize), MaxReadBufferSize, "The read buffer limit cannot be negative.");
        }

        return (ZeroCopyTransportOptions)MemberwiseClone();
    }
}
