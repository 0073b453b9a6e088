using System;
using System.Buffers;
using System.Buffers.Text;
using System.Threading;

namespace HttpStaticServer;

/// <summary>Writes a response head into a caller's buffer: no strings, no allocation.</summary>
public ref struct ResponseHead
{
    private readonly Span<byte> _buffer;
    private int _length;

    /// <param name="buffer">Where the head is written (1 KiB is plenty).</param>
    public ResponseHead(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>Appends raw bytes.</summary>
    public void Append(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.Slice(_length));
        _length += bytes.Length;
    }

    /// <summary>Appends a decimal number.</summary>
    public void Append(long value)
    {
        Utf8Formatter.TryFormat(value, _buffer.Slice(_length), out int n);
        _length += n;
    }

    /// <summary>Appends "Name: value\r\n" for a number.</summary>
    public void Header(scoped ReadOnlySpan<byte> nameColonSpace, long value)
    {
        Append(nameColonSpace);
        Append(value);
        Append("\r\n"u8);
    }

    /// <summary>Appends the Date header and the empty line that ends the head.</summary>
    public void End(bool keepAlive, int minorVersion)
    {
        Append(DateHeader.Current);
        if (!keepAlive)
        {
            Append("Connection: close\r\n"u8);
        }
        else if (minorVersion == 0)
        {
            Append("Connection: keep-alive\r\n"u8);
        }

        Append("\r\n"u8);
    }
}

/// <summary>"Date: ...\r\n", formatted once per second and shared.</summary>
public static class DateHeader
{
    private static Entry s_current = new(0, Array.Empty<byte>());

    /// <summary>The Date line for the current second.</summary>
    public static ReadOnlySpan<byte> Current
    {
        get
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            long second = now.ToUnixTimeSeconds();
            Entry entry = Volatile.Read(ref s_current);
            if (entry.Second != second)
            {
                var line = new byte[64];
                "Date: "u8.CopyTo(line);
                Utf8Formatter.TryFormat(now, line.AsSpan(6), out int n, new StandardFormat('R'));
                "\r\n"u8.CopyTo(line.AsSpan(6 + n));
                entry = new Entry(second, line.AsSpan(0, 8 + n).ToArray());
                Volatile.Write(ref s_current, entry);
            }

            return entry.Line;
        }
    }

    private sealed record Entry(long Second, byte[] Line);
}
