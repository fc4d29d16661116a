/*
 * vp_probe.h: reading a plugin's table without trusting it (vaepipe's side, not the plugin ABI).
 * A table that lies (a pointer to nowhere, a string with no end) must give an error line, not a
 * crash; these copy what is readable and say whether an address is code.
 */
#ifndef VP_PROBE_H
#define VP_PROBE_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Copies up to `count` bytes from `address` into `out`, stopping at the first page that is not
 * mapped readable. Returns the number of bytes copied (count when all of it was readable). */
size_t vp_probe_copy(const void *address, void *out, size_t count);

/* 1 when `address` lies in an executable segment of a loaded object, else 0. */
int vp_probe_is_code(const void *address);

#ifdef __cplusplus
}
#endif
#endif
