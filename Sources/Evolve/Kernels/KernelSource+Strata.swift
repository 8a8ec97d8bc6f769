/// C ports of Strata's hot kernels, written as the plain loops a compiler sees
/// (Strata itself calls BLAS for the interaction and the attention GEMMs; these
/// are the per-element computations those calls stand for).
extension KernelSource {
    /// out[b][d] = sum over p in offsets[b]..<offsets[b+1] of table[indices[p]][d].
    /// Shape: 4096 x 64 table, 256 bags of 1..40 ids.
    static let embeddingBag = KernelSource(kernel: #"""
    void kernel(const float* restrict table, int dim, const int* restrict indices,
                const int* restrict offsets, int bags, float* restrict out) {
        for (int b = 0; b < bags; b++) {
            float* o = out + (long)b * dim;
            for (int d = 0; d < dim; d++) o[d] = 0.0f;
            for (int p = offsets[b]; p < offsets[b + 1]; p++) {
                const float* row = table + (long)indices[p] * dim;
                for (int d = 0; d < dim; d++) o[d] += row[d];
            }
        }
    }
    """#, harness: #"""
    void kernel(const float*, int, const int*, const int*, int, float*);
    enum { ROWS = 4096, DIM = 64, BAGS = 256 };
    static float* table; static int* indices; static int offsets[BAGS + 1]; static float* out;
    static void setup(void) {
        table = malloc(sizeof(float) * ROWS * DIM);
        for (int i = 0; i < ROWS * DIM; i++) table[i] = rng_unit() * 2 - 1;
        offsets[0] = 0;
        for (int b = 0; b < BAGS; b++) offsets[b + 1] = offsets[b] + 1 + rng_below(40);
        indices = malloc(sizeof(int) * offsets[BAGS]);
        for (int p = 0; p < offsets[BAGS]; p++) indices[p] = rng_below(ROWS);
        out = malloc(sizeof(float) * BAGS * DIM);
        fill_sentinel(out, BAGS * DIM);
    }
    static void run(void) { kernel(table, DIM, indices, offsets, BAGS, out); }
    static const float* output(int* n) { *n = BAGS * DIM; return out; }
    """#, integerOutputs: false)

    /// x [B x F x D] -> out [B x (D + F(F-1)/2)]: feature 0, then Z[i][j] = x_i . x_j for j < i.
    /// Shape: B 128, F 27, D 16 (the Kaggle shape).
    static let dotInteraction = KernelSource(kernel: #"""
    void kernel(const float* restrict x, int batch, int features, int dim, float* restrict out) {
        int width = dim + features * (features - 1) / 2;
        for (int b = 0; b < batch; b++) {
            const float* xb = x + (long)b * features * dim;
            float* ob = out + (long)b * width;
            for (int d = 0; d < dim; d++) ob[d] = xb[d];
            int p = dim;
            for (int i = 1; i < features; i++) {
                for (int j = 0; j < i; j++) {
                    float s = 0.0f;
                    for (int d = 0; d < dim; d++) s += xb[i * dim + d] * xb[j * dim + d];
                    ob[p++] = s;
                }
            }
        }
    }
    """#, harness: #"""
    void kernel(const float*, int, int, int, float*);
    enum { B = 128, F = 27, D = 16, W = D + F * (F - 1) / 2 };
    static float* x; static float* out;
    static void setup(void) {
        x = malloc(sizeof(float) * B * F * D);
        for (int i = 0; i < B * F * D; i++) x[i] = rng_unit() * 2 - 1;
        out = malloc(sizeof(float) * B * W);
        fill_sentinel(out, B * W);
    }
    static void run(void) { kernel(x, B, F, D, out); }
    static const float* output(int* n) { *n = B * W; return out; }
    """#, integerOutputs: false)

    /// alpha[b][t] = softmax over t < lengths[b] of (proj[b] . rows[b][t]) / sqrt(D), max-subtracted.
    /// Shape: 256 sequences of up to 64 rows of 32 floats.
    static let attentionScores = KernelSource(kernel: #"""
    #include <math.h>
    void kernel(const float* restrict proj, const float* restrict rows, const int* restrict lengths,
                int batch, int maxlen, int dim, float* restrict alpha) {
        float scale = 1.0f / sqrtf((float)dim);
        for (int b = 0; b < batch; b++) {
            const float* p = proj + (long)b * dim;
            float* a = alpha + (long)b * maxlen;
            int n = lengths[b];
            float m = -INFINITY;
            for (int t = 0; t < n; t++) {
                const float* r = rows + ((long)b * maxlen + t) * dim;
                float s = 0.0f;
                for (int d = 0; d < dim; d++) s += p[d] * r[d];
                a[t] = s * scale;
                m = fmaxf(m, a[t]);
            }
            float z = 0.0f;
            for (int t = 0; t < n; t++) { a[t] = expf(a[t] - m); z += a[t]; }
            float inv = 1.0f / z;
            for (int t = 0; t < n; t++) a[t] *= inv;
            for (int t = n; t < maxlen; t++) a[t] = 0.0f;
        }
    }
    """#, harness: #"""
    void kernel(const float*, const float*, const int*, int, int, int, float*);
    enum { B = 256, T = 64, D = 32 };
    static float* proj; static float* rows; static int lengths[B]; static float* alpha;
    static void setup(void) {
        proj = malloc(sizeof(float) * B * D);
        rows = malloc(sizeof(float) * B * T * D);
        for (int i = 0; i < B * D; i++) proj[i] = rng_unit() * 2 - 1;
        for (int i = 0; i < B * T * D; i++) rows[i] = rng_unit() * 2 - 1;
        for (int b = 0; b < B; b++) lengths[b] = 1 + rng_below(T);
        alpha = malloc(sizeof(float) * B * T);
        fill_sentinel(alpha, B * T);
    }
    static void run(void) { kernel(proj, rows, lengths, B, T, D, alpha); }
    static const float* output(int* n) { *n = B * T; return alpha; }
    """#, integerOutputs: false)
}
