using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Bsd
    {
        // sys/event.h: the same values on FreeBSD and macOS.
        internal const short EVFILT_WRITE = -2;
        internal const ushort EV_ADD = 0x0001;
        internal const ushort EV_DELETE = 0x0002;
        internal const ushort EV_ONESHOT = 0x0010;
        internal const ushort EV_ERROR = 0x4000;
        internal const ushort EV_EOF = 0x8000;

        /// <summary>
        /// FreeBSD 12+ struct kevent (sys/event.h): <c>{ __uintptr_t ident; short filter; unsigned short flags;
        /// unsigned int fflags; __int64_t data; void *udata; __uint64_t ext[4]; }</c>.
        /// 64-bit: ident 0, filter 8, flags 10, fflags 12, data 16, udata 24, ext 32; 64 bytes.
        /// (FreeBSD 11's 32-byte layout is kevent@FBSD_1.0; the default symbol since 12 takes this one.)
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct kevent_freebsd
        {
            internal nuint ident;
            internal short filter;
            internal ushort flags;
            internal uint fflags;
            internal long data;
            internal void* udata;
            internal fixed ulong ext[4];
        }

        /// <summary>
        /// macOS struct kevent (sys/event.h): <c>{ uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags;
        /// intptr_t data; void *udata; }</c>. 64-bit: ident 0, filter 8, flags 10, fflags 12, data 16, udata 24; 32 bytes.
        /// Also the common prefix of <see cref="kevent_freebsd"/>, which is how the reactor reads both.
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct kevent_macos
        {
            internal nuint ident;
            internal short filter;
            internal ushort flags;
            internal uint fflags;
            internal nint data;
            internal void* udata;
        }

        /// <summary>FreeBSD libc.so.7 imports of sys/event.h.</summary>
        internal static unsafe partial class FreeBsd
        {
            // int kqueue(void);
            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern int kqueue();

            // int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist, int nevents, const struct timespec *timeout);
            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern int kevent(int kq, kevent_freebsd* changelist, int nchanges, kevent_freebsd* eventlist, int nevents, void* timeout);
        }

        /// <summary>macOS libSystem imports of sys/event.h.</summary>
        internal static unsafe partial class MacOS
        {
            // int kqueue(void);
            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern int kqueue();

            // int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist, int nevents, const struct timespec *timeout);
            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern int kevent(int kq, kevent_macos* changelist, int nchanges, kevent_macos* eventlist, int nevents, void* timeout);
        }
    }
}
