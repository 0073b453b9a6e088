using System;
using System.Runtime.InteropServices;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Buffers;

/// <summary>
/// Page-aligned native memory for the pinned pool: anonymous mmap on Linux, aligned heap memory elsewhere.
/// </summary>
/// <remarks>
/// Why mmap on Linux and not malloc: a buffer whose MSG_ZEROCOPY completion never arrived (the
/// socket was closed first) may still have its pages referenced by socket buffers the kernel is
/// transmitting. Giving such a buffer back to the pool, or to malloc (which reuses the same pages),
/// would let new data overwrite bytes still on their way to the peer. munmap is safe: the kernel
/// holds references to the <em>pages</em>, not to our mapping, so unmapping only drops the
/// process's view; the pages are freed when the last socket buffer lets go, and nothing in the
/// process can write them again. Slabs are mapped whole, and a quarantined segment of a slab is
/// unmapped alone (munmap of any page-aligned sub-range is allowed).
/// Off Linux there is no MSG_ZEROCOPY, so nothing is ever quarantined there.
/// </remarks>
internal static unsafe class PinnedMemory
{
    public const int PageSize = 4096;

    private static readonly bool s_useMmap = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && IntPtr.Size == 8;

    /// <summary>Allocates <paramref name="length"/> bytes (a multiple of the page size), page-aligned; null when the OS refuses.</summary>
    public static byte* Allocate(nuint length)
    {
        if (s_useMmap)
        {
            void* p = mmap(null, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            return (nint)p == MAP_FAILED ? null : (byte*)p;
        }

#if NETSTANDARD2_0
        // Over-allocate by a page, align, and keep the original pointer just below the aligned block.
        nint raw;
        try
        {
            raw = Marshal.AllocHGlobal((nint)(length + PageSize));
        }
        catch (OutOfMemoryException)
        {
            return null;
        }

        nint aligned = (raw + PageSize) & ~(nint)(PageSize - 1);
        ((nint*)aligned)[-1] = raw;
        return (byte*)aligned;
#else
        try
        {
            return (byte*)NativeMemory.AlignedAlloc(length, PageSize);
        }
        catch (OutOfMemoryException)
        {
            return null;
        }
#endif
    }

    /// <summary>Frees a block from <see cref="Allocate"/>.</summary>
    public static void Free(byte* block, nuint length)
    {
        if (s_useMmap)
        {
            _ = munmap(block, length);
            return;
        }

#if NETSTANDARD2_0
        Marshal.FreeHGlobal(((nint*)block)[-1]);
#else
        _ = length;
        NativeMemory.AlignedFree(block);
#endif
    }

    /// <summary>
    /// Gives one page-aligned part of a block back to the OS for good (Linux), because the kernel may
    /// still reference its pages. Returns whether the memory was really returned (false off Linux,
    /// where it stays allocated and unused).
    /// </summary>
    public static bool ReleaseToOs(byte* part, nuint length) => s_useMmap && munmap(part, length) == 0;
}
