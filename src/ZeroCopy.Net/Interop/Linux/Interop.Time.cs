using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // time.h: the calling thread's CPU time (user + system). Not in the vDSO: a real syscall,
        // so the crossover policy reads it only around sampled sends (one in 64).
        internal const int CLOCK_THREAD_CPUTIME_ID = 3;

        // time.h: struct timespec { time_t tv_sec; long tv_nsec; } (64-bit time_t on the 64-bit ABIs).
        [StructLayout(LayoutKind.Sequential)]
        internal struct timespec
        {
            public long tv_sec;
            public long tv_nsec;
        }

        // time.h: int clock_gettime(clockid_t clockid, struct timespec *tp);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int clock_gettime(int clockid, timespec* tp);

        /// <summary>The calling thread's CPU time in nanoseconds, or -1 if the clock cannot be read.</summary>
        internal static unsafe long ThreadCpuNanoseconds()
        {
            timespec ts;
            return clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 ? (ts.tv_sec * 1_000_000_000L) + ts.tv_nsec : -1;
        }
    }
}
