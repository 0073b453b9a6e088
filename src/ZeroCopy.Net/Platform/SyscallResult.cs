using System;

namespace ZeroCopy.Net.Platform;

/// <summary>
/// What one non-blocking syscall returned, as data (kestrel-linux-transport's PosixResult): a
/// non-negative value (bytes moved), or failure with the errno read right after the call.
/// <typeparamref name="TErrno"/> is the OS's own Errno enum (Linux and BSD number errno differently);
/// <see cref="PosixErrors"/> turns either into the public exception.
/// </summary>
internal readonly struct SyscallResult<TErrno>
    where TErrno : struct, Enum
{
    private SyscallResult(long value, TErrno errno)
    {
        Value = value;
        Errno = errno;
    }

    /// <summary>The syscall's return value; negative on failure.</summary>
    public long Value { get; }

    /// <summary>The errno when <see cref="Failed"/>, else the enum's zero (SUCCESS).</summary>
    public TErrno Errno { get; }

    /// <summary>Whether the call failed (returned -1).</summary>
    public bool Failed => Value < 0;

    /// <summary>A successful result.</summary>
    public static SyscallResult<TErrno> Ok(long value) => new(value, default);

    /// <summary>A failed result with its errno.</summary>
    public static SyscallResult<TErrno> Error(TErrno errno) => new(-1, errno);

    /// <summary>The public exception for this failure, naming <paramref name="operation"/>.</summary>
    public ZeroCopySocketException ToException(string operation) => PosixErrors.Socket(Errno, operation);
}
