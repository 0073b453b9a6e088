using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // sys/mman.h (asm-generic/mman-common.h)
        internal const int PROT_READ = 0x1;
        internal const int PROT_WRITE = 0x2;
        internal const int MAP_SHARED = 0x01;
        internal const int MAP_PRIVATE = 0x02;
        internal const int MAP_ANONYMOUS = 0x20;

        // A quarantined segment is replaced in place by an inaccessible reservation (PROT_NONE,
        // MAP_FIXED over the old pages, MAP_NORESERVE: no commit charge), so its addresses stay the
        // slab's until the whole slab is unmapped (PinnedMemory.ReleaseToOs).
        internal const int PROT_NONE = 0x0;
        internal const int MAP_FIXED = 0x10;
        internal const int MAP_NORESERVE = 0x4000;

        // MAP_POPULATE: fault the io_uring rings in at once rather than on first touch.
        internal const int MAP_POPULATE = 0x8000;

        // MADV_HUGEPAGE: back the range with transparent huge pages where the kernel's THP mode is
        // "madvise" or "always"; ignored where it is "never", EINVAL where THP is compiled out.
        internal const int MADV_HUGEPAGE = 14;

        /// <summary>MAP_FAILED, ((void *) -1).</summary>
        internal static readonly nint MAP_FAILED = -1;

        // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

        // int madvise(void *addr, size_t length, int advice);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int madvise(void* addr, nuint length, int advice);

        // int munmap(void *addr, size_t length);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int munmap(void* addr, nuint length);
    }
}
