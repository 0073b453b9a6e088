namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>What one step of a send operation asks for next.</summary>
internal enum OperationStatus
{
    /// <summary>Every byte is handed to the kernel; the operation is finished.</summary>
    Done,

    /// <summary>Step again at once (EINTR, a partial write, a switch of phase or of mode).</summary>
    Retry,

    /// <summary>The kernel said EAGAIN: wait for writability, then step again.</summary>
    WaitWritable,

    /// <summary>Zero-copy sends in flight leave no room: wait for completions, then step again.</summary>
    WaitForRoom,
}

/// <summary>
/// The whole state of one send on a Linux socket, advanced by <see cref="LinuxSocketSender"/>'s one
/// runner (<c>Run</c>), as dotnet/runtime's SocketAsyncContext drives its SendOperation and
/// SendFileOperation: the runner makes the first attempt synchronously, and only an operation that
/// reports <see cref="OperationStatus.WaitWritable"/> or <see cref="OperationStatus.WaitForRoom"/>
/// is moved into a (pooled) async continuation.
/// </summary>
/// <remarks>
/// Implementations are structs: an operation that completes synchronously costs no object at all;
/// one that waits lives in the pooled state machine of the runner's continuation. Failure is an
/// exception thrown by <see cref="TryComplete"/>, built from the errno by <see cref="PosixErrors"/>.
/// </remarks>
internal interface ISendOperation
{
    /// <summary>Bytes handed to the kernel so far (for the message of a send cut short by disposal).</summary>
    long Sent { get; }

    /// <summary>Bytes this operation sends in all.</summary>
    long Total { get; }

    /// <summary>With <see cref="OperationStatus.WaitForRoom"/>: how many bytes must fit under MaxPinnedBytesInFlight.</summary>
    long RoomNeeded { get; }

    /// <summary>The send's result once <see cref="OperationStatus.Done"/>.</summary>
    long Result { get; }

    /// <summary>One step: at most one syscall on the socket. Throws on an error that ends the send.</summary>
    OperationStatus TryComplete(LinuxSocketSender sender);

    /// <summary>Called exactly once when the operation ends, however it ends: releases what it holds. Must not throw.</summary>
    void Complete(LinuxSocketSender sender, bool succeeded);
}
