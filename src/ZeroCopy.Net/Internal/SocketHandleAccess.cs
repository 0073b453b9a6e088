using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.Internal;

/// <summary>The socket's SafeHandle, which every kernel path references for the length of a send so the descriptor (or SOCKET) cannot be closed and reused under it.</summary>
internal static class SocketHandleAccess
{
    /// <summary>
    /// Makes the socket's descriptor O_NONBLOCK without changing what the application sees: the
    /// runtime keeps a descriptor non-blocking once it has been switched (it emulates blocking for
    /// synchronous calls), so toggling <see cref="Socket.Blocking"/> off and back leaves the flag set
    /// and the property as it was. Kernel paths then get EAGAIN instead of blocking a thread.
    /// </summary>
    public static void MakeDescriptorNonBlocking(Socket socket)
    {
        bool blocking = socket.Blocking;
        socket.Blocking = false;
        socket.Blocking = blocking;
    }

    /// <summary>Returns <paramref name="socket"/>'s SafeHandle (read once per socket, not per send).</summary>
#pragma warning disable CA1859 // One signature for every target: netstandard2.0 has no SafeSocketHandle.
    public static SafeHandle Get(Socket socket)
#pragma warning restore CA1859
    {
#if NETSTANDARD2_0
        // netstandard2.0 does not declare Socket.SafeHandle, but every runtime the kernel paths run
        // on (.NET Core 2.1+) has it.
        if (typeof(Socket).GetProperty("SafeHandle")?.GetValue(socket) is SafeHandle handle)
        {
            return handle;
        }

        // No SafeHandle to reference (.NET Framework): a non-owning wrapper keeps the old behaviour
        // (no protection against Socket.Dispose during a send) rather than refusing to work.
        return new SafeFileHandle(socket.Handle, ownsHandle: false);
#else
        return socket.SafeHandle;
#endif
    }

    /// <summary>
    /// References the socket's handle for the length of one send; throws ObjectDisposedException for
    /// a socket already closed. Returns whether a reference was added (pass it to <see cref="Release"/>).
    /// </summary>
    public static bool Acquire(SafeHandle handle, Socket socket)
    {
        if (handle.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed(socket);
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        return added;
    }

    /// <summary>
    /// Like <see cref="Acquire"/>, for callers that must not throw (a reactor thread, disposal):
    /// false once the handle is closed, when its number may already belong to another socket.
    /// </summary>
    public static bool TryAcquire(SafeHandle handle, out bool added)
    {
        added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return added;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Drops the reference <see cref="Acquire"/> or <see cref="TryAcquire"/> added, if it added one.</summary>
    public static void Release(SafeHandle handle, bool added)
    {
        if (added)
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Whether the application disposed <paramref name="socket"/>. Error paths only: while a send
    /// holds a reference on the handle, Socket.Dispose marks the Socket disposed but the handle stays
    /// open (IsClosed false) until the send lets go. Available checks for disposal first.
    /// </summary>
    public static bool IsDisposed(Socket socket)
    {
        try
        {
            _ = socket.Available;
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
