// fs.c — the atomic exchange of two directory entries (st_fs.h).
//
// Purpose: glibc declares renameat2 only with _GNU_SOURCE and older glibc versions lack it, so the system call is
// made through syscall(2). No state, no allocation.
#if defined(__linux__)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif defined(__APPLE__)
#include <errno.h>
#include <stdio.h>
#else
#include <errno.h>
#endif
#include "st_fs.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int st_rename_exchange(const char *from, const char *to) {
#if defined(__linux__) && defined(SYS_renameat2)
    return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0 ? 0 : errno;
#elif defined(__APPLE__)
    return renamex_np(from, to, RENAME_SWAP) == 0 ? 0 : errno;
#else
    (void)from; (void)to;
    return ENOSYS;
#endif
}
