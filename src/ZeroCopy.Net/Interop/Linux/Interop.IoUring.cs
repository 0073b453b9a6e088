using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // linux/io_uring.h. glibc has no wrappers for the three io_uring syscalls, and the library
        // ships no native code (no liburing): they are made through syscall(2) by number. The
        // numbers are the same on x86_64 and arm64 (asm-generic), 425..427; tests/native checks them
        // against <sys/syscall.h> on the machine that runs the tests.
        internal static readonly int SYS_io_uring_setup = 425;
        internal static readonly int SYS_io_uring_enter = 426;
        internal static readonly int SYS_io_uring_register = 427;

        // mmap offsets of the three regions a ring shares with the kernel.
        internal const long IORING_OFF_SQ_RING = 0;
        internal const long IORING_OFF_CQ_RING = 0x8000000;
        internal const long IORING_OFF_SQES = 0x10000000;

        // io_uring_params.flags
        internal const uint IORING_SETUP_CQSIZE = 1U << 3;
        internal const uint IORING_SETUP_CLAMP = 1U << 4;

        // io_uring_params.features
        internal const uint IORING_FEAT_SINGLE_MMAP = 1U << 0;
        internal const uint IORING_FEAT_NODROP = 1U << 1;

        // io_uring_enter flags
        internal const uint IORING_ENTER_GETEVENTS = 1U << 0;

        // Opcodes (enum io_uring_op)
        internal const byte IORING_OP_NOP = 0;
        internal const byte IORING_OP_SENDMSG = 9;
        internal const byte IORING_OP_ASYNC_CANCEL = 14;
        internal const byte IORING_OP_SEND = 26;
        internal const byte IORING_OP_SEND_ZC = 47;
        internal const byte IORING_OP_SENDMSG_ZC = 48;

        // sqe->ioprio of send/recv: the buffer is a registered one (sqe->buf_index), and the
        // notification says whether the kernel had to copy after all.
        internal const ushort IORING_RECVSEND_FIXED_BUF = 1 << 2;
        internal const ushort IORING_SEND_ZC_REPORT_USAGE = 1 << 3;

        // cqe->res of a notification with IORING_SEND_ZC_REPORT_USAGE: the data was copied.
        internal const uint IORING_NOTIF_USAGE_ZC_COPIED = 1U << 31;

        // cqe->flags: another CQE follows for this request (the notification), and this CQE is that notification.
        internal const uint IORING_CQE_F_MORE = 1U << 1;
        internal const uint IORING_CQE_F_NOTIF = 1U << 3;

        // io_uring_register opcodes (enum io_uring_register_op)
        internal const uint IORING_REGISTER_BUFFERS = 0;
        internal const uint IORING_UNREGISTER_BUFFERS = 1;
        internal const uint IORING_REGISTER_PROBE = 8;
        internal const uint IORING_REGISTER_BUFFERS2 = 15;
        internal const uint IORING_REGISTER_BUFFERS_UPDATE = 16;

        // io_uring_rsrc_register.flags: a table of empty slots, filled later by BUFFERS_UPDATE.
        internal const uint IORING_RSRC_REGISTER_SPARSE = 1U << 0;

        // io_uring_probe_op.flags
        internal const ushort IO_URING_OP_SUPPORTED = 1 << 0;

        /// <summary>struct io_sqring_offsets: where the SQ ring's fields are in its mapping (resv2 is user_addr since 6.5; unused here).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct io_sqring_offsets
        {
            internal uint head;
            internal uint tail;
            internal uint ring_mask;
            internal uint ring_entries;
            internal uint flags;
            internal uint dropped;
            internal uint array;
            internal uint resv1;
            internal ulong resv2;
        }

        /// <summary>struct io_cqring_offsets: where the CQ ring's fields are in its mapping.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct io_cqring_offsets
        {
            internal uint head;
            internal uint tail;
            internal uint ring_mask;
            internal uint ring_entries;
            internal uint overflow;
            internal uint cqes;
            internal uint flags;
            internal uint resv1;
            internal ulong resv2;
        }

        /// <summary>struct io_uring_params: io_uring_setup's argument and result.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct io_uring_params
        {
            internal uint sq_entries;
            internal uint cq_entries;
            internal uint flags;
            internal uint sq_thread_cpu;
            internal uint sq_thread_idle;
            internal uint features;
            internal uint wq_fd;
            internal fixed uint resv[3];
            internal io_sqring_offsets sq_off;
            internal io_cqring_offsets cq_off;
        }

        /// <summary>
        /// struct io_uring_sqe, 64 bytes. Only the members the send engine fills are declared (by
        /// their offsets; the C struct is unions throughout): the rest stays zero.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 64)]
        internal struct io_uring_sqe
        {
            [FieldOffset(0)]
            internal byte opcode;
            [FieldOffset(1)]
            internal byte flags;
            [FieldOffset(2)]
            internal ushort ioprio;
            [FieldOffset(4)]
            internal int fd;
            [FieldOffset(8)]
            internal ulong off;
            [FieldOffset(16)]
            internal ulong addr;
            [FieldOffset(24)]
            internal uint len;
            [FieldOffset(28)]
            internal uint msg_flags;
            [FieldOffset(32)]
            internal ulong user_data;
            [FieldOffset(40)]
            internal ushort buf_index;
            [FieldOffset(42)]
            internal ushort personality;
            [FieldOffset(44)]
            internal int splice_fd_in;
            [FieldOffset(48)]
            internal ulong addr3;
        }

        /// <summary>struct io_uring_cqe, 16 bytes (the ring is not set up with IORING_SETUP_CQE32).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct io_uring_cqe
        {
            internal ulong user_data;
            internal int res;
            internal uint flags;
        }

        /// <summary>struct io_uring_probe, the header; io_uring_probe_op entries follow it.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct io_uring_probe
        {
            internal byte last_op;
            internal byte ops_len;
            internal ushort resv;
            internal fixed uint resv2[3];
        }

        /// <summary>struct io_uring_probe_op.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct io_uring_probe_op
        {
            internal byte op;
            internal byte resv;
            internal ushort flags;
            internal uint resv2;
        }

        /// <summary>struct io_uring_rsrc_register: IORING_REGISTER_BUFFERS2's argument.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct io_uring_rsrc_register
        {
            internal uint nr;
            internal uint flags;
            internal ulong resv2;
            internal ulong data;
            internal ulong tags;
        }

        /// <summary>struct io_uring_rsrc_update2: IORING_REGISTER_BUFFERS_UPDATE's argument.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct io_uring_rsrc_update2
        {
            internal uint offset;
            internal uint resv;
            internal ulong data;
            internal ulong tags;
            internal uint nr;
            internal uint resv2;
        }

        // long syscall(long number, ...). glibc implements it in assembly, reading the argument
        // registers directly, so declaring the variadic tail as fixed integer parameters is sound
        // on x86_64 and arm64 (Tmds.LibC does the same).
        [DllImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        private static extern long syscall4(long number, long a1, long a2, long a3, long a4);

        [DllImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        private static extern long syscall6(long number, long a1, long a2, long a3, long a4, long a5, long a6);

        // int io_uring_setup(u32 entries, struct io_uring_params *p);
        internal static unsafe int io_uring_setup(uint entries, io_uring_params* p)
            => (int)syscall4(SYS_io_uring_setup, entries, (long)p, 0, 0);

        // int io_uring_enter(unsigned int fd, unsigned int to_submit, unsigned int min_complete, unsigned int flags, sigset_t *sig, size_t sz);
        internal static int io_uring_enter(int fd, uint toSubmit, uint minComplete, uint flags)
            => (int)syscall6(SYS_io_uring_enter, fd, toSubmit, minComplete, flags, 0, 0);

        // int io_uring_register(unsigned int fd, unsigned int opcode, void *arg, unsigned int nr_args);
        internal static unsafe int io_uring_register(int fd, uint opcode, void* arg, uint nrArgs)
            => (int)syscall4(SYS_io_uring_register, fd, opcode, (long)arg, nrArgs);
    }
}
