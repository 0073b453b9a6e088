/*
 * Shared helpers for the ABI checks in tests/native/check_abi*.c.
 *
 * Each check program includes the real C headers and PRINTS one `name=value` line per constant,
 * struct size, field offset and field size that the C# interop (src/ZeroCopy.Net/Interop/Linux)
 * declares. tests/ZeroCopy.Net.Tests/Native/AbiCheckTests.cs compiles every check_abi*.c with gcc,
 * runs it, and compares each line with the value the C# code really has (reflection over
 * Interop.Linux: every const, every Errno member, every struct's size and fields). A C# constant
 * without a line here fails the test, so does a line whose name C# does not define.
 *
 * Naming (what the C# side computes):
 *   NAME=value                         a const field of Interop.Linux (C name kept)
 *   Errno.NAME=value                   a member of Interop.Linux.Errno
 *   sizeof(CsStruct)=n                 Marshal.SizeOf of the nested struct (C# name, e.g. statx_t)
 *   offsetof(CsStruct.field)=n         Marshal.OffsetOf
 *   sizeof(CsStruct.field)=n           size of the field's type
 *   anything else                      a value returned by a [ManagedAbiValues] method in the tests
 */
#ifndef ZEROCOPY_ABI_CHECK_H
#define ZEROCOPY_ABI_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>
#include <stdio.h>

/* A constant under its own C name. */
#define ABI_CONST(name) printf("%s=%lld\n", #name, (long long)(name))

/* A constant under an explicit label (enum members, computed values). */
#define ABI_VALUE(label, value) printf("%s=%lld\n", (label), (long long)(value))

/* An errno value, labelled as the C# enum member Errno.NAME. */
#define ABI_ERRNO(name) printf("Errno.%s=%lld\n", #name, (long long)(name))

/* sizeof a struct, labelled with the C# struct name. */
#define ABI_SIZEOF(cs_name, c_type) printf("sizeof(%s)=%zu\n", #cs_name, sizeof(c_type))

/* offsetof and sizeof of one field, labelled with the C# struct name. */
#define ABI_FIELD(cs_name, c_type, field) \
    do { \
        printf("offsetof(%s.%s)=%zu\n", #cs_name, #field, offsetof(c_type, field)); \
        printf("sizeof(%s.%s)=%zu\n", #cs_name, #field, sizeof(((c_type *)0)->field)); \
    } while (0)

#endif
