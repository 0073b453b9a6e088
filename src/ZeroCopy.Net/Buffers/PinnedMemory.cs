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
/// would let new data overwrite bytes still on their way to the peer. Dropping the mapping is safe:
/// the kernel holds references to the <em>pages</em>, not to our mapping, so replacing them only
/// drops the process's view; the pages are freed when the last socket buffer lets go, and nothing
/// in the process can write them again. Slabs are mapped whole; a quarantined segment's pages are
/// replaced by an inaccessible reservation (<see cref="ReleaseToOs"/>), so the slab's address range
/// stays the slab's until the whole slab is unmapped.
/// Off Linux there is no MSG_ZEROCOPY, so nothing is ever quarantined there.
/// <para>Why huge pages: a server rotates through a large working set of buffers, so every send
/// touches pages that are cold in the TLB, twice: when the program fills the buffer, and when the
/// kernel pins its pages for MSG_ZEROCOPY (get_user_pages walks the page table once per 4 KiB
/// page) or copies them. Measured on the veth rig (docs/benchmarks.md), backing the same 512 MiB
/// working set with 2 MiB transparent huge pages raised raw-C MSG_ZEROCOPY from 10.3 to 13.7 GB/s
/// and a plain copying send from 5.8 to 9.3 GB/s at 64 KiB. So a slab is one huge page: mapped
/// 2 MiB-aligned and marked MADV_HUGEPAGE (which takes effect where the kernel's THP mode is
/// "madvise" or "always"; elsewhere the slab is simply 4 KiB pages). Quarantining one buffer of a
/// slab remaps that sub-range; the kernel splits the huge page, which is allowed and rare.</para>
/// </remarks>
internal static unsafe class PinnedMemory
{
    public const int PageSize = 4096;

    /// <summary>The x86-64 and arm64 (4 KiB granule) PMD size: the transparent huge page.</summary>
    public const int HugePageSize = 2 * 1024 * 1024;

    private static readonly bool s_useMmap = Platform.SendPlatform.MapsPinnedMemory;

    /// <summary>Allocates <paramref name="length"/> bytes (a multiple of the page size), page-aligned; null when the OS refuses.</summary>
    public static byte* Allocate(nuint length)
    {
        if (s_useMmap)
        {
            return MapHugeAligned(length);
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

    /// <summary>
    /// Maps <paramref name="length"/> bytes aligned to <see cref="HugePageSize"/> and asks for huge
    /// pages. mmap only promises page alignment, so map one huge page more and unmap the unaligned
    /// head and tail.
    /// </summary>
    private static byte* MapHugeAligned(nuint length)
    {
        nuint padded = length + HugePageSize;
        void* p = mmap(null, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if ((nint)p == MAP_FAILED)
        {
            return null;
        }

        nuint start = (nuint)p;
        nuint aligned = (start + HugePageSize - 1) & ~(nuint)(HugePageSize - 1);
        nuint head = aligned - start;
        nuint tail = padded - head - length;
        if (head != 0)
        {
            _ = munmap(p, head);
        }

        if (tail != 0)
        {
            _ = munmap((void*)(aligned + length), tail);
        }

        // Advice only: a kernel without THP keeps 4 KiB pages and the slab works the same.
        _ = madvise((void*)aligned, length, MADV_HUGEPAGE);
        return (byte*)aligned;
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
    /// Gives the pages of one page-aligned part of a block back to the OS for good (Linux), because
    /// the kernel may still reference them, and keeps the part's addresses: an inaccessible
    /// reservation (PROT_NONE, MAP_NORESERVE) is mapped over it with MAP_FIXED. Returns whether the
    /// pages were really returned (false off Linux, where the memory stays allocated and unused).
    /// </summary>
    /// <remarks>
    /// Not munmap: a hole in a slab is address space anyone may be given next (a thread's stack,
    /// the runtime's own mappings), and the whole-slab munmap in <see cref="Free"/> would then tear
    /// that mapping out from under its owner. The likely cause of one CI crash: a segfault in glibc's
    /// thread-stack list (__nptl_stack_list_del) right after a test quarantined a run of buffers and
    /// disposed its pool. Replacing the pages has the same effect on them as munmap (the process
    /// drops its view; socket buffers keep their own references), and a stray write to a
    /// quarantined buffer now faults at once instead of landing in someone else's memory.
    /// </remarks>
    public static bool ReleaseToOs(byte* part, nuint length)
    {
        if (!s_useMmap)
        {
            return false;
        }

        void* reserved = mmap(part, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
        return (nint)reserved != MAP_FAILED;
    }
}
