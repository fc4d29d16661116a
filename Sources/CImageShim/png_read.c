// PNG decoding from memory through libpng's full read API (the simplified png_image API
// cannot report the size before allocating, and hides why a file was rejected).
#include "CImageShim.h"

#include <png.h>
#include <stdio.h>
#include <string.h>

// Lives in the public function's frame, not in the one that calls setjmp: C leaves locals
// of the setjmp frame that change before a longjmp indeterminate, and this changes.
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    int truncated;
    char *msg;
} vp_png_source;

static void vp_png_error(png_structp png, png_const_charp text) {
    vp_png_source *src = png_get_error_ptr(png);
    snprintf(src->msg, VP_MSG_SIZE, "%s", text);
    png_longjmp(png, 1);
}

// libpng warns about harmless things (a known-bad sRGB profile, a bad ancillary CRC);
// the image still decodes, and stderr belongs to the CLI.
static void vp_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void vp_png_read_bytes(png_structp png, png_bytep out, size_t count) {
    vp_png_source *src = png_get_io_ptr(png);
    if (src->size - src->pos < count) {
        src->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, src->data + src->pos, count);
    src->pos += count;
}

static int vp_png_decode_guarded(vp_png_source *src, uint8_t *pixels,
                                 int *width, int *height, int *channels) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, src,
                                             vp_png_error, vp_png_warning);
    if (!png) {
        snprintf(src->msg, VP_MSG_SIZE, "cannot create libpng read struct");
        return VP_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(src->msg, VP_MSG_SIZE, "cannot create libpng info struct");
        return VP_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return src->truncated ? VP_TRUNCATED : VP_CORRUPT;
    }
    png_set_read_fn(png, src, vp_png_read_bytes);
#ifdef PNG_IGNORE_ADLER32
    // Every chunk's CRC32 (IDAT included) is still checked, so zlib's Adler-32 over the same
    // bytes only repeats that check; skipping it saves ~4% of a decode.
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_read_info(png, info);

    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    if (bit_depth == 16)
        png_set_scale_16(png);  // rounds, where strip_16 would truncate
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int w = (int)png_get_image_width(png, info);
    int h = (int)png_get_image_height(png, info);
    int c = png_get_channels(png, info);
    if (!pixels) {
        *width = w;
        *height = h;
        *channels = c;
        png_destroy_read_struct(&png, &info, NULL);
        return VP_OK;
    }
    if (w != *width || h != *height || c != *channels ||
        png_get_rowbytes(png, info) != (size_t)w * (size_t)c) {
        snprintf(src->msg, VP_MSG_SIZE, "image is %dx%dx%d, buffer is for %dx%dx%d",
                 w, h, c, *width, *height, *channels);
        png_destroy_read_struct(&png, &info, NULL);
        return VP_MISMATCH;
    }
    // Row by row, once per Adam7 pass: each pass fills in only its own pixels, so no
    // array of row pointers is needed.
    size_t stride = (size_t)w * (size_t)c;
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < h; y++)
            png_read_row(png, pixels + (size_t)y * stride, NULL);
    // Reads up to IEND, so a file cut after its image data still counts as truncated.
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return VP_OK;
}

int vp_png_decode(const uint8_t *data, size_t size, uint8_t *pixels,
                  int *width, int *height, int *channels, char *msg) {
    msg[0] = '\0';
    vp_png_source src = {data, size, 0, 0, msg};
    return vp_png_decode_guarded(&src, pixels, width, height, channels);
}
