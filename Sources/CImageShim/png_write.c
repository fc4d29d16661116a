// PNG encoding of 8-bit pixels into a growable memory buffer.
#include "CImageShim.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Lives in the public function's frame, not in the one that calls setjmp (see png_read.c).
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    char *msg;
} vp_png_sink;

static void vp_png_write_error(png_structp png, png_const_charp text) {
    vp_png_sink *sink = png_get_error_ptr(png);
    snprintf(sink->msg, VP_MSG_SIZE, "%s", text);
    png_longjmp(png, 1);
}

static void vp_png_write_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void vp_png_write_bytes(png_structp png, png_bytep bytes, size_t count) {
    vp_png_sink *sink = png_get_io_ptr(png);
    if (sink->capacity - sink->size < count) {
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (capacity - sink->size < count)
            capacity *= 2;
        uint8_t *grown = realloc(sink->data, capacity);
        if (!grown)
            png_error(png, "out of memory for the encoded PNG");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, count);
    sink->size += count;
}

static void vp_png_flush(png_structp png) {
    (void)png;
}

static int vp_png_encode_guarded(vp_png_sink *sink, const uint8_t *pixels,
                                 int width, int height, int channels) {
    static const int color_types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width < 1 || height < 1) {
        snprintf(sink->msg, VP_MSG_SIZE, "cannot encode %dx%d with %d channels",
                 width, height, channels);
        return VP_MISMATCH;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink,
                                              vp_png_write_error, vp_png_write_warning);
    if (!png) {
        snprintf(sink->msg, VP_MSG_SIZE, "cannot create libpng write struct");
        return VP_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(sink->msg, VP_MSG_SIZE, "cannot create libpng info struct");
        return VP_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return VP_CORRUPT;
    }
    png_set_write_fn(png, sink, vp_png_write_bytes, vp_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++)
        png_write_row(png, pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return VP_OK;
}

int vp_png_encode(const uint8_t *pixels, int width, int height, int channels,
                  uint8_t **out, size_t *out_size, char *msg) {
    msg[0] = '\0';
    vp_png_sink sink = {NULL, 0, 0, msg};
    int status = vp_png_encode_guarded(&sink, pixels, width, height, channels);
    if (status != VP_OK) {
        free(sink.data);
        sink.data = NULL;
        sink.size = 0;
    }
    *out = sink.data;
    *out_size = sink.size;
    return status;
}

void vp_png_free(uint8_t *encoded) {
    free(encoded);
}
