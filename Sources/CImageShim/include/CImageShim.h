// CImageShim: the only place vaepipe touches libpng and libjpeg.
//
// No stable API: VAEPipeImageCodecs is the one caller. Both libraries report fatal errors
// by leaving the call (libpng longjmps, libjpeg's default error_exit calls exit()); every
// function here catches that with setjmp in C, so nothing ever unwinds through Swift. They
// return a VP_* status and, when it is not VP_OK, leave a one-line reason in `msg`, a
// caller-provided buffer of VP_MSG_SIZE bytes.
//
// Decoding is two-phase so Swift can refuse a decompression bomb before allocating: call
// once with pixels == NULL to learn the output size, allocate width*height*channels bytes,
// then call again with the same data, the same scale and the buffer.
#ifndef CIMAGESHIM_H
#define CIMAGESHIM_H

#include <stddef.h>
#include <stdint.h>

#define VP_MSG_SIZE 200     // libjpeg's JMSG_LENGTH_MAX; libpng's messages are shorter

#define VP_OK 0
#define VP_TRUNCATED 1      // the data ended before the image did
#define VP_CORRUPT 2        // the library rejected the data; msg says why
#define VP_NO_MEMORY 3
#define VP_MISMATCH 4       // the second call's size differs from what the first reported

/// PNG → 8-bit pixels with 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels, as the file
/// has them: palettes expand to RGB, tRNS to alpha, 1/2/4-bit gray to 8-bit, 16-bit scales
/// down to 8, Adam7 is de-interlaced. With pixels == NULL it fills width/height/channels;
/// otherwise they must hold what that first call reported.
int vp_png_decode(const uint8_t *data, size_t size, uint8_t *pixels,
                  int *width, int *height, int *channels, char *msg);

/// 8-bit pixels (channels 1–4, rows packed) → PNG bytes in *out, which the caller releases
/// with vp_png_free.
int vp_png_encode(const uint8_t *pixels, int width, int height, int channels,
                  uint8_t **out, size_t *out_size, char *msg);
void vp_png_free(uint8_t *encoded);

/// JPEG → 8-bit pixels at scale_num/scale_denom of full size (libjpeg scales in the DCT, so
/// small outputs are cheap; libjpeg-turbo takes N/8 for N = 1..16, and 1/1, 1/2, 1/4, 1/8).
/// Components: 1 for grayscale, 3 for RGB (from YCbCr or RGB), 4 for raw CMYK (from CMYK or
/// YCCK), which the caller converts; *inverted_cmyk is set when an Adobe marker says the CMYK
/// values are stored inverted, as Photoshop writes them. With pixels == NULL it fills
/// width/height (of the scaled output) and components; otherwise they must hold the expected
/// output (VP_MISMATCH if not: the caller's own header reading disagreed with libjpeg).
/// A "premature end" warning counts as an error, so truncated files are never half grey.
int vp_jpeg_decode(const uint8_t *data, size_t size, int scale_num, int scale_denom, uint8_t *pixels,
                   int *width, int *height, int *components, int *inverted_cmyk, char *msg);

#endif
