// Reading untrusted memory without faulting: the kernel copies it for us (a write to a pipe
// returns EFAULT where a load would raise SIGSEGV), one page at a time, so a copy stops at the
// first page that is not there. The raw system call, not libc's write: a sanitizer's
// interceptor would check the range itself, and a string's copy reads past its end on purpose.
#define _GNU_SOURCE
#include "vp_probe.h"
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

size_t vp_probe_copy(const void *address, void *out, size_t count) {
    if (!address || count == 0) return 0;
    int fds[2];
    if (pipe(fds) != 0) return 0;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    size_t done = 0;
    while (done < count) {
        uintptr_t at = (uintptr_t)address + done;
        if (at < (uintptr_t)address) break;  // wrapped past the top of the address space
        size_t chunk = (size_t)page - at % (size_t)page;  // never across a page: all or nothing
        if (chunk > count - done) chunk = count - done;
        ssize_t written;
        do { written = syscall(SYS_write, fds[1], (const void *)at, chunk); } while (written < 0 && errno == EINTR);
        if (written != (ssize_t)chunk) break;
        size_t got = 0;
        while (got < chunk) {
            ssize_t r = read(fds[0], (char *)out + done + got, chunk - got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got != chunk) break;
        done += chunk;
    }
    close(fds[0]);
    close(fds[1]);
    return done;
}

typedef struct { uintptr_t address; int found; } code_search;

static int find_code(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    code_search *s = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD || !(p->p_flags & PF_X)) continue;
        uintptr_t start = info->dlpi_addr + p->p_vaddr;
        if (s->address >= start && s->address - start < p->p_memsz) { s->found = 1; return 1; }
    }
    return 0;
}

int vp_probe_is_code(const void *address) {
    code_search s = {(uintptr_t)address, 0};
    if (address) dl_iterate_phdr(find_code, &s);
    return s.found;
}
