/*
 * fsync_fail.c - an LD_PRELOAD shim for tests/e2e/test_io_faults.py: fault injection of fsync
 * failures into the real server binary, without test code in the product.
 *
 * While the file named by SLUICE_FAULT_FSYNC_FLAG exists, fsync() and fdatasync() of a
 * descriptor whose path contains SLUICE_FAULT_FSYNC_MATCH (any path when unset) fail with EIO,
 * as a failing disk makes them; otherwise they are the C library's. The test creates and
 * removes the flag file to switch the fault on and off while the server runs. Built by the
 * test (cc -shared -fPIC ... -ldl); never linked into sluice.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int faulty(int fd)
{
    const char *flag = getenv("SLUICE_FAULT_FSYNC_FLAG");
    if (flag == NULL || access(flag, F_OK) != 0)
        return 0;
    const char *match = getenv("SLUICE_FAULT_FSYNC_MATCH");
    if (match == NULL || match[0] == '\0')
        return 1;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        return 0;
    path[n] = '\0';
    return strstr(path, match) != NULL;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (faulty(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (faulty(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
