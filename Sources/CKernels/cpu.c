#include "CKernels.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

vp_isa vp_cpu_detect_isa(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return VP_ISA_GENERIC;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return VP_ISA_GENERIC;
    // The OS must save the registers too: XMM and YMM state (bits 1, 2) for AVX; opmask and
    // both halves of the upper ZMM state (bits 5-7) for AVX-512.
    unsigned long long xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6 || __get_cpuid_max(0, 0) < 7) return VP_ISA_GENERIC;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    if (avx512f && fma && (xcr0 & 0xE6) == 0xE6) return VP_ISA_AVX512;
    if (avx2 && fma) return VP_ISA_AVX2;
    return VP_ISA_GENERIC;
}

void vp_cpu_brand(char *buf, size_t size) {
    unsigned regs[12];
    if (size == 0) return;
    if (__get_cpuid_max(0x80000000, 0) < 0x80000004) { strncpy(buf, "unknown", size); buf[size - 1] = 0; return; }
    for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    char s[49];
    memcpy(s, regs, 48);
    s[48] = 0;
    const char *p = s;
    while (*p == ' ') p++;
    strncpy(buf, p, size);
    buf[size - 1] = 0;
    for (size_t n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--) buf[n - 1] = 0;
}
#else
vp_isa vp_cpu_detect_isa(void) { return VP_ISA_GENERIC; }
void vp_cpu_brand(char *buf, size_t size) { if (size) { strncpy(buf, "unknown", size); buf[size - 1] = 0; } }
#endif

const char *vp_isa_name(vp_isa isa) {
    switch (isa) {
    case VP_ISA_AVX512: return "avx512f";
    case VP_ISA_AVX2: return "avx2+fma";
    default: return "sse2";
    }
}
