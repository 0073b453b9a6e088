using System;
using System.Buffers;

namespace ZeroCopy.Net.Internal;

/// <summary>A <see cref="Memory{T}"/> over native memory the caller keeps alive and pinned (the portable path hands it to Socket.SendAsync).</summary>
internal sealed unsafe class UnmanagedMemoryView : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public UnmanagedMemoryView(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
