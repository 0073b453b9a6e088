/*
 * ABI check (abi_check.h format) for src/ZeroCopy.Net/Interop/Linux/Interop.Mman.cs: the mmap
 * constants the pinned buffer pool maps its slabs with. (check_abi_zerocopy.c checks them too, in its
 * own "NAME VALUE" format for Pinned/ZeroCopyAbiTests; this file puts them in the common check.)
 */
#include "abi_check.h"

#include <sys/mman.h>

int main(void)
{
    ABI_CONST(PROT_READ);
    ABI_CONST(PROT_WRITE);
    ABI_CONST(MAP_PRIVATE);
    ABI_CONST(MAP_ANONYMOUS);
    return 0;
}
