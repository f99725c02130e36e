/*
 * Fault injection for esc's tests, loaded with LD_PRELOAD into the real binary.
 *
 * ESC_FAULT_FSYNC=all|files|dirs   make fsync() and fdatasync() fail with EIO, for every
 *                                  descriptor, only regular files, or only directories;
 * ESC_FAULT_FSYNC_AFTER=N          ... but let the first N matching calls succeed.
 * ESC_FAULT_KILL_PATH=/abs/path    a write() to this file (by its canonical path) that would
 * ESC_FAULT_KILL_AT=BYTES          make it longer than BYTES writes only up to BYTES, then the
 *                                  process kills itself with SIGKILL: a crash at an exact byte.
 *
 * Built by tests/fault_injection.rs with `cc -shared -fPIC`.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static long fsync_calls = 0;

static int fsync_should_fail(int fd) {
    const char *mode = getenv("ESC_FAULT_FSYNC");
    if (mode == NULL || *mode == '\0') {
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return 0;
    }
    int is_dir = S_ISDIR(st.st_mode);
    if (strcmp(mode, "dirs") == 0 && !is_dir) {
        return 0;
    }
    if (strcmp(mode, "files") == 0 && is_dir) {
        return 0;
    }
    const char *after = getenv("ESC_FAULT_FSYNC_AFTER");
    long allowed = after ? atol(after) : 0;
    fsync_calls++;
    return fsync_calls > allowed;
}

int fsync(int fd) {
    static int (*real)(int) = NULL;
    if (real == NULL) {
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    }
    if (fsync_should_fail(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int) = NULL;
    if (real == NULL) {
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    }
    if (fsync_should_fail(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

ssize_t write(int fd, const void *buf, size_t count) {
    static ssize_t (*real)(int, const void *, size_t) = NULL;
    if (real == NULL) {
        real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    }
    const char *path = getenv("ESC_FAULT_KILL_PATH");
    const char *at = getenv("ESC_FAULT_KILL_AT");
    if (path != NULL && at != NULL && fd > 2) {
        char link[64];
        char target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len > 0) {
            target[len] = '\0';
            struct stat st;
            if (strcmp(target, path) == 0 && fstat(fd, &st) == 0) {
                long long limit = atoll(at);
                if ((long long)st.st_size + (long long)count > limit) {
                    if (limit > (long long)st.st_size) {
                        real(fd, buf, (size_t)(limit - st.st_size));
                    }
                    raise(SIGKILL);
                }
            }
        }
    }
    return real(fd, buf, count);
}
