// JPEG decoding from memory, with libjpeg's exit()-on-error replaced by a longjmp back here.
#include "CImageShim.h"

#include <setjmp.h>
#include <stdio.h>  // jpeglib.h uses FILE without including it
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr pub;  // first, so libjpeg's err pointer is also ours
    jmp_buf jump;
    int truncated;
    char *msg;
} vp_jpeg_error;

// Lives in the public function's frame, not in the one that calls setjmp: libjpeg changes
// cinfo before a longjmp, and C leaves such locals of the setjmp frame indeterminate.
typedef struct {
    struct jpeg_decompress_struct cinfo;
    vp_jpeg_error err;
} vp_jpeg_job;

static void vp_jpeg_error_exit(j_common_ptr cinfo) {
    vp_jpeg_error *err = (vp_jpeg_error *)cinfo->err;
    cinfo->err->format_message(cinfo, err->msg);
    longjmp(err->jump, 1);
}

static void vp_jpeg_output_message(j_common_ptr cinfo) {
    vp_jpeg_error *err = (vp_jpeg_error *)cinfo->err;
    cinfo->err->format_message(cinfo, err->msg);
}

// libjpeg only warns when data runs out (jpeg_mem_src then feeds a fake EOI) or a scan
// ends early, and fills the rest with grey; a training set wants those files reported.
// Other warnings (extraneous bytes between markers, …) are common in real photos and harmless.
static void vp_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0)
        return;  // trace messages
    vp_jpeg_error *err = (vp_jpeg_error *)cinfo->err;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF || cinfo->err->msg_code == JWRN_HIT_MARKER) {
        err->truncated = 1;
        cinfo->err->error_exit(cinfo);
    }
    cinfo->err->num_warnings++;
    cinfo->err->output_message(cinfo);
}

static int vp_jpeg_decode_guarded(vp_jpeg_job *job, const uint8_t *data, size_t size,
                                  int scale_num, int scale_denom, uint8_t *pixels, int *width, int *height,
                                  int *components, int *inverted_cmyk) {
    j_decompress_ptr cinfo = &job->cinfo;
    cinfo->err = jpeg_std_error(&job->err.pub);
    job->err.pub.error_exit = vp_jpeg_error_exit;
    job->err.pub.output_message = vp_jpeg_output_message;
    job->err.pub.emit_message = vp_jpeg_emit_message;
    if (setjmp(job->err.jump)) {
        jpeg_destroy_decompress(cinfo);
        return job->err.truncated ? VP_TRUNCATED : VP_CORRUPT;
    }
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);

    if (scale_num < 1 || scale_num > 16 || (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8)) {
        snprintf(job->err.msg, VP_MSG_SIZE, "scale %d/%d is not N/1, N/2, N/4 or N/8 with N in 1...16", scale_num, scale_denom);
        jpeg_destroy_decompress(cinfo);
        return VP_MISMATCH;
    }
    cinfo->scale_num = (unsigned int)scale_num;
    cinfo->scale_denom = (unsigned int)scale_denom;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;  // libjpeg has no CMYK→RGB; Swift converts
        break;
    default:
        cinfo->out_color_space = JCS_RGB;
        break;
    }
    jpeg_calc_output_dimensions(cinfo);
    int w = (int)cinfo->output_width;
    int h = (int)cinfo->output_height;
    int c = cinfo->output_components;
    *inverted_cmyk = cinfo->out_color_space == JCS_CMYK && cinfo->saw_Adobe_marker;
    if (!pixels) {
        *width = w;
        *height = h;
        *components = c;
        jpeg_destroy_decompress(cinfo);
        return VP_OK;
    }
    if (w != *width || h != *height || c != *components) {
        snprintf(job->err.msg, VP_MSG_SIZE, "image is %dx%dx%d, buffer is for %dx%dx%d",
                 w, h, c, *width, *height, *components);
        jpeg_destroy_decompress(cinfo);
        return VP_MISMATCH;
    }
    jpeg_start_decompress(cinfo);
    size_t stride = (size_t)w * (size_t)c;
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = pixels + (size_t)cinfo->output_scanline * stride;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    // Reads up to EOI, so a file cut after its last scan still counts as truncated.
    jpeg_finish_decompress(cinfo);
    jpeg_destroy_decompress(cinfo);
    return VP_OK;
}

int vp_jpeg_decode(const uint8_t *data, size_t size, int scale_num, int scale_denom, uint8_t *pixels,
                   int *width, int *height, int *components, int *inverted_cmyk, char *msg) {
    msg[0] = '\0';
    vp_jpeg_job job;
    memset(&job, 0, sizeof job);
    job.err.msg = msg;
    return vp_jpeg_decode_guarded(&job, data, size, scale_num, scale_denom, pixels,
                                  width, height, components, inverted_cmyk);
}
