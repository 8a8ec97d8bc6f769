/// Smith-Waterman local alignment scores with affine gaps (Gotoh), the
/// paper's ADEPT workload on a CPU: for each pair, the best local score with
/// match +2, mismatch -1, gap open 3 (the first gapped base included), gap
/// extension 1. Both versions compute the same integer scores (borders at 0,
/// as the naive version's zeroed matrices have them).
extension KernelSource {
    static func smithWaterman(naive: Bool) -> KernelSource {
        KernelSource(kernel: naive ? naiveKernel : optimisedKernel, harness: alignmentHarness, integerOutputs: true)
    }

    /// An early version: three full (n+1) x (m+1) matrices per pair, helper
    /// functions for max and the substitution score, and a separate pass for
    /// the maximum.
    static let naiveKernel = #"""
    #include <stdlib.h>
    enum { MATCH = 2, MISMATCH = -1, OPEN = 3, EXTEND = 1 };
    static int max2(int a, int b) { return a > b ? a : b; }
    static int substitution(char a, char b) { return a == b ? MATCH : MISMATCH; }
    void kernel(const char* qs, const char* rs, const int* qlen, const int* rlen,
                int pairs, int stride, float* out) {
        for (int p = 0; p < pairs; p++) {
            const char* q = qs + (long)p * stride;
            const char* r = rs + (long)p * stride;
            int n = qlen[p], m = rlen[p], w = m + 1;
            int* H = malloc(sizeof(int) * (n + 1) * w);
            int* E = malloc(sizeof(int) * (n + 1) * w);
            int* F = malloc(sizeof(int) * (n + 1) * w);
            for (int i = 0; i <= n; i++)
                for (int j = 0; j <= m; j++) { H[i * w + j] = 0; E[i * w + j] = 0; F[i * w + j] = 0; }
            for (int i = 1; i <= n; i++) {
                for (int j = 1; j <= m; j++) {
                    int e = max2(E[i * w + j - 1] - EXTEND, H[i * w + j - 1] - OPEN);
                    int f = max2(F[(i - 1) * w + j] - EXTEND, H[(i - 1) * w + j] - OPEN);
                    int h = max2(0, H[(i - 1) * w + j - 1] + substitution(q[i - 1], r[j - 1]));
                    h = max2(h, max2(e, f));
                    E[i * w + j] = e;
                    F[i * w + j] = f;
                    H[i * w + j] = h;
                }
            }
            int best = 0;
            for (int i = 0; i <= n; i++)
                for (int j = 0; j <= m; j++) best = max2(best, H[i * w + j]);
            out[p] = (float)best;
            free(H); free(E); free(F);
        }
    }
    """#

    /// Hand-optimised: one row of H and of the vertical gap F on the stack, the
    /// horizontal gap and the diagonal in registers, a running maximum, and
    /// branch-free maxima.
    static let optimisedKernel = #"""
    enum { MATCH = 2, MISMATCH = -1, OPEN = 3, EXTEND = 1, MAXLEN = 256 };
    void kernel(const char* restrict qs, const char* restrict rs, const int* restrict qlen,
                const int* restrict rlen, int pairs, int stride, float* restrict out) {
        int hrow[MAXLEN + 1], frow[MAXLEN + 1];
        for (int p = 0; p < pairs; p++) {
            const char* q = qs + (long)p * stride;
            const char* r = rs + (long)p * stride;
            int n = qlen[p], m = rlen[p];
            for (int j = 0; j <= m; j++) { hrow[j] = 0; frow[j] = 0; }
            int best = 0;
            for (int i = 1; i <= n; i++) {
                char qi = q[i - 1];
                int diag = 0, left = 0, e = 0;
                for (int j = 1; j <= m; j++) {
                    int up = hrow[j];
                    int ee = e - EXTEND, eo = left - OPEN;
                    e = ee > eo ? ee : eo;
                    int fe = frow[j] - EXTEND, fo = up - OPEN;
                    int f = fe > fo ? fe : fo;
                    int h = diag + (qi == r[j - 1] ? MATCH : MISMATCH);
                    h = h > 0 ? h : 0;
                    h = h > e ? h : e;
                    h = h > f ? h : f;
                    diag = up;
                    hrow[j] = h;
                    frow[j] = f;
                    left = h;
                    best = best > h ? best : h;
                }
            }
            out[p] = (float)best;
        }
    }
    """#

    /// 16 pairs; each query 100..160 bases of ACGT, its reference a copy with
    /// about 15 % substitutions and a few indels, so the scores are those of
    /// related sequences (as ADEPT's reads against a genome), not of noise.
    static let alignmentHarness = #"""
    void kernel(const char*, const char*, const int*, const int*, int, int, float*);
    enum { PAIRS = 16, STRIDE = 256 };
    static char qs[PAIRS * STRIDE], rs[PAIRS * STRIDE];
    static int qlen[PAIRS], rlen[PAIRS];
    static float out[PAIRS];
    static void setup(void) {
        const char* bases = "ACGT";
        for (int p = 0; p < PAIRS; p++) {
            int n = 100 + rng_below(61);
            char* q = qs + p * STRIDE;
            char* r = rs + p * STRIDE;
            for (int i = 0; i < n; i++) q[i] = bases[rng_below(4)];
            int m = 0;
            for (int i = 0; i < n && m < 200; i++) {
                int u = rng_below(100);
                if (u < 3) continue;                      /* deletion */
                if (u < 6) r[m++] = bases[rng_below(4)];  /* insertion */
                r[m++] = u < 21 ? bases[rng_below(4)] : q[i];
            }
            qlen[p] = n;
            rlen[p] = m;
        }
        fill_sentinel(out, PAIRS);
    }
    static void run(void) { kernel(qs, rs, qlen, rlen, PAIRS, STRIDE, out); }
    static const float* output(int* n) { *n = PAIRS; return out; }
    """#
}
