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

// The built-in bernoulli head's math: -log p = softplus(l) - x l, gradient sigmoid(l) - x.
// Stateless (no create): --binarize is applied by vaepipe before the head sees the data.
static int bernoulli_score(void *state, const vp_head_batch *b, int64_t begin, int64_t end, char *err, size_t err_size) {
    (void)state; (void)err; (void)err_size;
    for (int64_t r = begin; r < end; r++) {
        const float *l = b->logits + r * b->dimension, *x = b->targets + r * b->dimension;
        float *g = b->dlogits ? b->dlogits + r * b->dimension : NULL;
        float sum = 0;
        for (int64_t i = 0; i < b->dimension; i++) {
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
