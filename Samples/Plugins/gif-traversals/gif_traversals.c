// A run-time exporter plugin in C: latent traversals as an animated GIF (through giflib), the
// form disentanglement_lib's users look at traversals in. Each frame shows the most-used latent
// dimensions side by side, all set to the same value; the animation sweeps that value from -3
// to +3 and back, while every other coordinate stays at one posterior mean.
//
// Build (one command, from the repository root; Debian: apt-get install libgif-dev):
//   cc -O2 -fPIC -shared -I Sources/CVAEPipePlugin/include Samples/Plugins/gif-traversals/gif_traversals.c -o libgif_traversals.so -lgif
// Use:
//   vaepipe train --plugin ./libgif_traversals.so --data ... --out RUN   (writes RUN/traversals.gif)
#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaepipe_plugin.h>

enum { TILE_MIN = 64, GAP = 2, DELAY_CS = 12, MAX_PANELS = 16 };
static const float RANGE = 3.0f;

typedef struct {
    int64_t panels, tile_h, tile_w, scale, width, height;
} layout;

// The palette: 256 grays for one-channel images, a 6x7x6 colour cube otherwise.
static ColorMapObject *palette(int gray) {
    ColorMapObject *map = GifMakeMapObject(256, NULL);
    if (!map) return NULL;
    for (int i = 0; i < 256; i++) {
        GifColorType *c = &map->Colors[i];
        if (gray) { c->Red = c->Green = c->Blue = (GifByteType)i; continue; }
        int r = i / 42, g = (i / 6) % 7, b = i % 6;
        if (i >= 252) r = g = b = 0;
        c->Red = (GifByteType)(r * 255 / 5); c->Green = (GifByteType)(g * 255 / 6); c->Blue = (GifByteType)(b * 255 / 5);
    }
    return map;
}

static GifByteType index_of(const float *px, int64_t channels) {
    float v[3];
    for (int c = 0; c < 3; c++) {
        float x = px[channels == 1 ? 0 : c];
        v[c] = x < 0 ? 0 : x > 1 ? 1 : x;
    }
    if (channels == 1) return (GifByteType)(v[0] * 255 + 0.5f);
    int r = (int)(v[0] * 5 + 0.5f), g = (int)(v[1] * 6 + 0.5f), b = (int)(v[2] * 5 + 0.5f);
    return (GifByteType)(r * 42 + g * 6 + b);
}

static int fail(char *err, size_t size, const char *what, int gif_error) {
    snprintf(err, size, "%s%s%s", what, gif_error ? ": " : "", gif_error ? GifErrorString(gif_error) : "");
    return 1;
}

static int write_gif(const vp_export_context *ctx, const char *path, char *err, size_t err_size) {
    int64_t k = ctx->latent, h = ctx->height, w = ctx->width, ch = ctx->channels, d = h * w * ch;
    layout L;
    L.panels = ctx->count > 0 ? ctx->count : 10;
    if (L.panels > k) L.panels = k;
    if (L.panels > MAX_PANELS) L.panels = MAX_PANELS;
    int64_t side = h > w ? h : w;
    L.scale = side >= TILE_MIN ? 1 : (TILE_MIN + side - 1) / side;
    L.tile_h = h * L.scale; L.tile_w = w * L.scale;
    L.width = L.panels * L.tile_w + (L.panels + 1) * GAP;
    L.height = L.tile_h + 2 * GAP;
    if (L.width > 65535 || L.height > 65535) return fail(err, err_size, "the animation would be wider than a GIF allows", 0);
    int64_t steps = ctx->steps >= 2 ? ctx->steps : 9, frames = 2 * steps - 2;

    // Dimensions by average KL, most used first; the anchor is the remembered posterior mean,
    // or the first input's, or the prior's mean.
    int64_t *order = malloc(sizeof *order * k);
    float *base = calloc(k, sizeof *base), *z = malloc(sizeof *z * L.panels * k), *img = malloc(sizeof *img * L.panels * d);
    GifByteType *line = malloc(L.width);
    GifFileType *gif = NULL;
    ColorMapObject *map = palette(ch == 1);
    int status = 1, gerr = 0;
    if (!order || !base || !z || !img || !line || !map) { fail(err, err_size, "out of memory", 0); goto done; }
    for (int64_t i = 0; i < k; i++) order[i] = i;
    if (ctx->kl_per_dimension)
        for (int64_t i = 1; i < k; i++)
            for (int64_t j = i; j > 0 && ctx->kl_per_dimension[order[j]] > ctx->kl_per_dimension[order[j - 1]]; j--) {
                int64_t t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
            }
    if (ctx->base) memcpy(base, ctx->base, sizeof *base * k);
    else if (ctx->input_count > 0 && ctx->encode(ctx->host, ctx->inputs, 1, base) != 0) { fail(err, err_size, "encode failed", 0); goto done; }

    gif = EGifOpenFileName(path, false, &gerr);
    if (!gif) { fail(err, err_size, "cannot create the file", gerr); goto done; }
    EGifSetGifVersion(gif, true);
    if (EGifPutScreenDesc(gif, (int)L.width, (int)L.height, 8, 0, map) == GIF_ERROR) { fail(err, err_size, "screen", gif->Error); goto done; }
    // NETSCAPE2.0 application extension: loop forever.
    static const unsigned char loop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 3, loop) == GIF_ERROR || EGifPutExtensionTrailer(gif) == GIF_ERROR) {
        fail(err, err_size, "loop extension", gif->Error); goto done;
    }
    GraphicsControlBlock gcb = {DISPOSAL_UNSPECIFIED, false, DELAY_CS, NO_TRANSPARENT_COLOR};
    GifByteType gcb_bytes[4];
    size_t gcb_len = EGifGCBToExtension(&gcb, gcb_bytes);
    GifByteType background = ch == 1 ? 40 : 0;

    for (int64_t f = 0; f < frames; f++) {
        int64_t s = f < steps ? f : 2 * steps - 2 - f;  // there and back
        float value = -RANGE + 2 * RANGE * (float)s / (float)(steps - 1);
        for (int64_t p = 0; p < L.panels; p++) {
            memcpy(z + p * k, base, sizeof *z * k);
            z[p * k + order[p]] = value;
        }
        if (ctx->decode(ctx->host, z, L.panels, img) != 0) { fail(err, err_size, "decode failed", 0); goto done; }
        if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, (int)gcb_len, gcb_bytes) == GIF_ERROR ||
            EGifPutImageDesc(gif, 0, 0, (int)L.width, (int)L.height, false, NULL) == GIF_ERROR) {
            fail(err, err_size, "frame", gif->Error); goto done;
        }
        for (int64_t y = 0; y < L.height; y++) {
            memset(line, background, L.width);
            int64_t ty = y - GAP;
            if (ty >= 0 && ty < L.tile_h)
                for (int64_t p = 0; p < L.panels; p++)
                    for (int64_t tx = 0; tx < L.tile_w; tx++) {
                        const float *px = img + p * d + ((ty / L.scale) * w + tx / L.scale) * ch;
                        line[GAP + p * (L.tile_w + GAP) + tx] = index_of(px, ch);
                    }
            if (EGifPutLine(gif, line, (int)L.width) == GIF_ERROR) { fail(err, err_size, "pixels", gif->Error); goto done; }
        }
    }
    status = 0;
done:
    if (gif && EGifCloseFile(gif, &gerr) == GIF_ERROR && status == 0) status = fail(err, err_size, "cannot finish the file", gerr);
    GifFreeMapObject(map);
    free(order); free(base); free(z); free(img); free(line);
    return status;
}

static const vp_exporter exporters[] = {
    {"gif-traversals", "an animated GIF sweeping the most-used latent dimensions from -3 to +3 and back (giflib plugin)",
     "traversals.gif", 10, write_gif},
};

static const vp_plugin plugin = {VAEPIPE_PLUGIN_ABI_VERSION, "gif-traversals", "1.0.0", 0, NULL, 0, NULL, 1, exporters};

const vp_plugin *vaepipe_plugin(void) { return &plugin; }
