// A run-time likelihood head plugin in C: the Laplace likelihood with one learned scale shared by
// every pixel, and, for comparison, the built-in Bernoulli head's math written again in C.
//
// Build (one command, from the repository root):
//   cc -O2 -fPIC -shared -I Sources/CVAEPipePlugin/include Samples/Plugins/laplace-head/laplace_head.c -o liblaplace_head.so -lm
// Use:
//   vaepipe train --plugin ./liblaplace_head.so --likelihood laplace --data ... --out ...
#include <math.h>
#include <stdio.h>
#include <vaepipe_plugin.h>

static float sigmoid(float l) { return 1.0f / (1.0f + expf(-l)); }

// p(x|z) = prod_i Laplace(x_i; m_i, b), m = sigmoid(l), b = exp(log_b):
//   -log p = sum_i |x_i - m_i| / b + log(2 b)
//   d/dl_i = sign(m_i - x_i) / b * m_i (1 - m_i)
//   d/dlog_b = sum_i (1 - |x_i - m_i| / b) = D - sum_i |x_i - m_i| / b
static int laplace_score(void *state, const vp_head_batch *b, int64_t begin, int64_t end, char *err, size_t err_size) {
    (void)state;
    float log_b = b->params[0];
    if (!isfinite(log_b)) {
        snprintf(err, err_size, "the scale parameter log_b is %g", log_b);
        return 1;
    }
    float inv_b = expf(-log_b), constant = (float)b->dimension * (log_b + (float)M_LN2);
    for (int64_t r = begin; r < end; r++) {
        const float *l = b->logits + r * b->dimension, *x = b->targets + r * b->dimension;
        float *g = b->dlogits ? b->dlogits + r * b->dimension : NULL;
        float sum = 0;
        for (int64_t i = 0; i < b->dimension; i++) {
            float m = sigmoid(l[i]), diff = m - x[i];
            sum += fabsf(diff);
            if (g) g[i] = b->scale * (float)((diff > 0) - (diff < 0)) * inv_b * m * (1 - m);
        }
        b->nll[r] = sum * inv_b + constant;
        if (b->dparams) b->dparams[r] = (float)b->dimension - sum * inv_b;
    }
    return 0;
}

static void sigmoid_mean(void *state, const float *params, const float *logits, float *out, int64_t count) {
    (void)state; (void)params;
    for (int64_t i = 0; i < count; i++) out[i] = sigmoid(logits[i]);
}

// The built-in bernoulli head's math: -log p = softplus(l) - x l, gradient sigmoid(l) - x, four
// lanes at a time with the same exp and log1p polynomials (VectorMath.swift), so that timing it
// against the built-in head measures the plugin boundary, not a slower libm.
// Stateless (no create): --binarize is applied by vaepipe before the head sees the data.
// Four lanes: SSE registers, which every x86-64 has (a wider vector would change the calling
// convention of these helpers without -mavx).
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f splat(float x) { return (v4f){x, x, x, x}; }
static inline v4f bits_f(v4i x) { v4f f; __builtin_memcpy(&f, &x, 16); return f; }
static inline v4i bits_i(v4f x) { v4i i; __builtin_memcpy(&i, &x, 16); return i; }
/// Lane-wise m ? a : b, for a comparison's mask m (all ones or all zeros per lane).
static inline v4f select(v4i m, v4f a, v4f b) { return bits_f((m & bits_i(a)) | (~m & bits_i(b))); }

static inline v4f vexp(v4f x) {
    x = select(x < splat(-87.3f), splat(-87.3f), x);
    x = select(x > splat(88.37f), splat(88.37f), x);
    v4f magic = splat(12582912.0f), shifted = x * 1.44269504f + magic, n = shifted - magic;
    v4f r = x - n * 0.693359375f;
    r = r - n * -2.1219444e-4f;
    v4f p = splat(1.98756915e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1;
    return p * bits_f(((bits_i(shifted) - bits_i(magic)) + 127) << 23);  // times 2^n
}

// log(1 + e) for e in [0, 1]: 2 atanh(s), s = e / (2 + e).
static inline v4f log1p_unit(v4f e) {
    v4f s = e / (2 + e), s2 = s * s, p = splat(1.0f / 15);
    p = p * s2 + 1.0f / 13; p = p * s2 + 1.0f / 11; p = p * s2 + 1.0f / 9;
    p = p * s2 + 1.0f / 7; p = p * s2 + 1.0f / 5; p = p * s2 + 1.0f / 3; p = p * s2 + 1;
    return 2 * s * p;
}

// Four outputs of one row: adds their NLL terms to acc and writes their gradients.
static inline void bernoulli_four(const float *l, const float *x, float *g, float scale, v4f *acc) {
    v4f li, xi;
    __builtin_memcpy(&li, l, 16); __builtin_memcpy(&xi, x, 16);
    v4f e = vexp(select(li < -li, li, -li));  // exp(-|l|)
    *acc += select(li > 0, li, splat(0)) + log1p_unit(e) - xi * li;
    if (g) {
        v4f out = scale * (select(li < 0, e, splat(1)) / (1 + e) - xi);  // sigmoid from the same exp
        __builtin_memcpy(g, &out, 16);
    }
}

static int bernoulli_score(void *state, const vp_head_batch *b, int64_t begin, int64_t end, char *err, size_t err_size) {
    (void)state; (void)err; (void)err_size;
    int64_t d = b->dimension;
    for (int64_t r = begin; r < end; r++) {
        const float *l = b->logits + r * d, *x = b->targets + r * d;
        float *g = b->dlogits ? b->dlogits + r * d : NULL;
        // Eight at a time in two independent halves, as the built-in head's SIMD8 runs on SSE.
        v4f lo = splat(0), hi = splat(0);
        int64_t i = 0;
        for (; i + 8 <= d; i += 8) {
            bernoulli_four(l + i, x + i, g ? g + i : NULL, b->scale, &lo);
            bernoulli_four(l + i + 4, x + i + 4, g ? g + i + 4 : NULL, b->scale, &hi);
        }
        v4f acc = lo + hi;
        float sum = acc[0] + acc[1] + acc[2] + acc[3];
        for (; i < d; i++) {
            float e = expf(-fabsf(l[i]));
            sum += fmaxf(l[i], 0) + log1pf(e) - x[i] * l[i];
            if (g) g[i] = b->scale * ((l[i] >= 0 ? 1 : e) / (1 + e) - x[i]);
        }
        b->nll[r] = sum;
    }
    return 0;
}

static int laplace_create(const vp_head_options *options, void **state, char *err, size_t err_size) {
    *state = NULL;
    if (options->binarize != 0) {
        snprintf(err, err_size, "--binarize needs a head for binary pixels; laplace models continuous ones");
        return 1;
    }
    return 0;
}

static const vp_parameter laplace_parameters[] = {{"log_b", 1}};

static const vp_head heads[] = {
    {"laplace", "Laplace pixels: mean = sigmoid(logits), one learned log-scale shared by all pixels (C plugin)",
     1, laplace_parameters, laplace_create, NULL, NULL, laplace_score, sigmoid_mean},
    {"bernoulli-c", "the bernoulli head's math, written in C (to compare a plugin's speed with the built-in head)",
     0, NULL, NULL, NULL, NULL, bernoulli_score, sigmoid_mean},
};

static const vp_plugin plugin = {
    VAEPIPE_PLUGIN_ABI_VERSION, "laplace-head", "1.0.0", 2, heads, 0, NULL, 0, NULL,
};

const vp_plugin *vaepipe_plugin(void) { return &plugin; }
