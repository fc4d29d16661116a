/*
 * vaepipe_plugin.h: the C ABI of vaepipe's run-time plugins, version 1.
 *
 * A plugin is a shared object that exports one function,
 *
 *     const vp_plugin *vaepipe_plugin(void);
 *
 * returning a table (static storage, never freed) of the dataset adapters, likelihood heads and
 * exporters it brings. `vaepipe --plugin PATH.so` (repeatable) or a directory listed in
 * VAEPIPE_PLUGIN_PATH loads it with dlopen. vaepipe reads `abi_version` first and refuses any
 * other version, then checks every descriptor (ids unique among all plugins, names and function
 * pointers present, a head's values finite on a small probe batch) before anything runs.
 *
 * Conventions, for every function below:
 * - Functions that can fail return 0 on success and non-zero on failure, after writing a
 *   one-line, NUL-terminated reason into `err` (`err_size` bytes, at least 256). vaepipe prints
 *   it after the plugin's path. A plugin must never exit(), abort() or longjmp out on bad input.
 * - Buffers passed in are owned by vaepipe and valid only during the call; a plugin keeps no
 *   pointer to them. Buffers a plugin allocates (its state, an open dataset) it frees itself, in
 *   the matching destroy/close function.
 * - Strings in the table (ids, summaries, file names) are UTF-8, static, and never freed.
 *   Ids are lower-case words (a-z, 0-9, '-', '_'), 1 to 32 characters.
 * - Pixels are interleaved height x width x channels, row-major, as vaepipe stores them.
 *
 * Written in C, or in any language that exports C functions (Swift with @_cdecl, Rust with
 * extern "C", ...). Samples/Plugins/ in the vaepipe repository holds one plugin of each kind.
 */
#ifndef VAEPIPE_PLUGIN_H
#define VAEPIPE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VAEPIPE_PLUGIN_ABI_VERSION 1
/* The name of the one exported function. */
#define VAEPIPE_PLUGIN_ENTRY "vaepipe_plugin"

/* ---------------------------------------------------------------------------------------------
 * Likelihood heads: p(x | z), scoring the decoder's outputs ("logits", one per pixel and channel)
 * against the data, exactly as vaepipe's built-in heads do.
 * ------------------------------------------------------------------------------------------- */

/* One learned parameter tensor of a head (flat, `count` floats), saved in the checkpoint as
 * "head.<name>" and trained with Adam like the model's weights. */
typedef struct vp_parameter {
    const char *name;
    int64_t count;
} vp_parameter;

/* --binarize: 0 none, 1 threshold, 2 dynamic. A head that cannot honour an option fails create(). */
typedef struct vp_head_options {
    int32_t binarize;
} vp_head_options;

/* One batch of `rows` examples with `dimension` outputs each. */
typedef struct vp_head_batch {
    const float *logits;  /* rows x dimension: the decoder's outputs */
    const float *targets; /* rows x dimension: the data, in [0, 1] */
    int64_t rows, dimension;
    const float *params;  /* the head's parameters (all tensors, in table order), or NULL if none */
    float *nll;           /* rows: write -log p(x_r | z_r), summed over the dimension */
    float *dlogits;       /* NULL, or rows x dimension: write scale * d nll[r] / d logits */
    float *dparams;       /* NULL, or rows x parameter total: write d nll[r] / d params (not scaled) */
    float scale;
} vp_head_batch;

typedef struct vp_head {
    const char *id;
    const char *summary;
    int32_t parameter_count;        /* entries in `parameters` (0: none) */
    const vp_parameter *parameters;
    /* Optional (NULL: stateless, state is NULL). Called once per model, on one thread. */
    int (*create)(const vp_head_options *options, void **state, char *err, size_t err_size);
    void (*destroy)(void *state);
    /* Optional (NULL: parameters start at 0). Writes the parameters' initial values. */
    void (*initialize)(void *state, float *params);
    /* Scores rows [row_begin, row_end) of the batch. vaepipe calls this from several threads at
     * once, on disjoint row ranges of one batch: write only those rows of nll, dlogits and
     * dparams, keep no mutable global state, and treat `state` as read-only. vaepipe adds up
     * dparams over the rows itself, in row order, so sums do not depend on the thread count. */
    int (*score)(void *state, const vp_head_batch *batch, int64_t row_begin, int64_t row_end,
                 char *err, size_t err_size);
    /* The mean of p(x | z) in [0, 1] for `count` logits: what the galleries draw. One thread. */
    void (*mean)(void *state, const float *params, const float *logits, float *out, int64_t count);
} vp_head;

/* ---------------------------------------------------------------------------------------------
 * Dataset adapters: read a file or directory into 8-bit images (and optional labels).
 * ------------------------------------------------------------------------------------------- */

typedef struct vp_dataset_request {
    int64_t limit;              /* at most this many training images; 0: all */
    int64_t height, width;      /* the size asked for (--size, else 32x32): adapters may ignore it */
    int64_t channels;           /* --channels, 0 if not given */
} vp_dataset_request;

typedef struct vp_dataset_info {
    int64_t train_count, test_count; /* test_count 0: no test split */
    int64_t height, width, channels; /* channels 1, 3 or 4 */
    int32_t has_labels;              /* 1: read() fills labels */
} vp_dataset_info;

typedef struct vp_adapter {
    const char *id;
    const char *summary;
    /* A cheap look (a name, a few magic bytes) deciding whether this adapter reads `path`:
     * 1 yes, 0 no. Never fails, never reads the whole file. */
    int (*accepts)(const char *path);
    /* Opens `path` and describes it; *handle is the adapter's own (NULL allowed). The error
     * messages of open and read name the file at fault (data may span several files). */
    int (*open)(const char *path, const vp_dataset_request *request, void **handle,
                vp_dataset_info *info, char *err, size_t err_size);
    /* Fills one split (0 train, 1 test): count x height x width x channels bytes of pixels
     * (0-255), and count labels when has_labels (labels may be NULL otherwise). */
    int (*read)(void *handle, int32_t split, uint8_t *pixels, int32_t *labels, char *err, size_t err_size);
    void (*close)(void *handle);
} vp_adapter;

/* ---------------------------------------------------------------------------------------------
 * Exporters: write a gallery file from a trained model, through the model functions vaepipe
 * passes in. One thread.
 * ------------------------------------------------------------------------------------------- */

typedef struct vp_export_context {
    int64_t latent;                  /* latent dimensions */
    int64_t height, width, channels; /* of one image */
    int64_t count;                   /* pictures wanted (the exporter's default_count unless asked) */
    int64_t steps;                   /* steps of a sweep (traversals) */
    uint64_t seed;
    const float *kl_per_dimension;   /* latent floats (average KL per dimension), or NULL */
    const float *base;               /* latent floats: one posterior mean to sweep around, or NULL */
    int64_t input_count;             /* held-out images available, may be 0 */
    const float *inputs;             /* input_count x height x width x channels, in [0, 1] */
    void *host;                      /* pass back to decode/encode */
    /* The mean images of `n` latent vectors (n x latent floats) into n x height x width x
     * channels floats in [0, 1]. Returns 0, or non-zero when n is too large (more than 4096). */
    int (*decode)(void *host, const float *z, int64_t n, float *images);
    /* The posterior means of `n` images (n x height x width x channels floats in [0, 1]) into
     * n x latent floats. Same limits. */
    int (*encode)(void *host, const float *images, int64_t n, float *mu);
} vp_export_context;

typedef struct vp_exporter {
    const char *id;
    const char *summary;
    const char *file_name;           /* what `vaepipe train` writes in the run directory */
    int64_t default_count;
    /* Writes the gallery at `path` (a temporary name: vaepipe renames it when this returns 0). */
    int (*write)(const vp_export_context *context, const char *path, char *err, size_t err_size);
} vp_exporter;

/* ---------------------------------------------------------------------------------------------
 * The table.
 * ------------------------------------------------------------------------------------------- */

typedef struct vp_plugin {
    uint32_t abi_version;            /* VAEPIPE_PLUGIN_ABI_VERSION: always the first field */
    const char *name;
    const char *version;
    int32_t head_count;
    const vp_head *heads;
    int32_t adapter_count;
    const vp_adapter *adapters;
    int32_t exporter_count;
    const vp_exporter *exporters;
} vp_plugin;

typedef const vp_plugin *(*vp_plugin_entry)(void);

#ifdef __cplusplus
}
#endif
#endif
