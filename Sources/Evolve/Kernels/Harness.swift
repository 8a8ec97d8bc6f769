/// The C harness every kernel links with: `variant SEED REPS OUT [CPU_SECONDS]` makes the
/// kernel's inputs from SEED (SplitMix64, as in Swift), fills the outputs with
/// a sentinel, calls the kernel once and REPS more times (each timed by the
/// thread's CPU clock, so waiting for a core on a busy machine is not counted),
/// writes the first call's outputs to OUT as float32 and prints the minimum
/// nanoseconds of one call. Every later call must give the same outputs bit
/// for bit (exit 66 otherwise): that catches a variant that skipped zeroing
/// and accumulates, or one that writes into its own inputs (one found by a
/// search stored into the lengths array, and its outputs came back right every
/// 30th call). With the sentinel, a variant that relies on a zeroed buffer
/// fails the first call's check.
///
/// Each kernel supplies `setup()` (allocate and fill inputs), `run()` (one call
/// of the kernel under test) and `output(int*)`. The kernel itself lives in its
/// own C file so its IR is one function the editor owns.
enum Harness {
    static let common = #"""
    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <math.h>
    #include <time.h>
    #include <sys/resource.h>

    static uint64_t rng_state;
    static uint64_t rng_next(void) {
        rng_state += 0x9E3779B97F4A7C15ull;
        uint64_t z = rng_state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    static float rng_unit(void) { return (float)((rng_next() >> 40) * (1.0 / 16777216.0)); }
    static int rng_below(int n) { return (int)((rng_next() >> 33) % (uint64_t)n); }
    /* The thread's CPU time: on a shared machine, time spent waiting for a core is not counted. */
    static double now_ns(void) {
        struct timespec t;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return t.tv_sec * 1e9 + t.tv_nsec;
    }
    static void fill_sentinel(float* p, int n) { for (int i = 0; i < n; i++) p[i] = 12345.0f; }

    static void setup(void);
    static void run(void);
    static const float* output(int* count);

    int main(int argc, char** argv) {
        if (argc < 4) { fprintf(stderr, "usage: %s SEED REPS OUT\n", argv[0]); return 64; }
        rng_state = strtoull(argv[1], 0, 10);
        int reps = atoi(argv[2]);
        if (argc > 4) {
            /* A CPU-time limit: SIGXCPU at the limit, SIGKILL a second later. */
            struct rlimit lim = { (rlim_t)atoi(argv[4]), (rlim_t)atoi(argv[4]) + 1 };
            setrlimit(RLIMIT_CPU, &lim);
        }
        setup();
        run();
        /* Every timed call must give the first call's outputs, bit for bit: a
           variant that accumulates into its outputs or writes into its inputs
           (a length, an offset) changes them from call to call. */
        int n = 0;
        const float* o = output(&n);
        float* first = malloc(sizeof(float) * (size_t)n);
        memcpy(first, o, sizeof(float) * (size_t)n);
        double best = 1e300;
        for (int r = 0; r < reps; r++) {
            double t0 = now_ns();
            run();
            double t = now_ns() - t0;
            if (t < best) best = t;
            if (memcmp(first, output(&n), sizeof(float) * (size_t)n) != 0) {
                fprintf(stderr, "call %d gave other outputs than the first\n", r + 2);
                return 66;
            }
        }
        FILE* f = fopen(argv[3], "wb");
        if (!f) return 65;
        fwrite(first, sizeof(float), (size_t)n, f);
        fclose(f);
        printf("%.0f\n", best);
        return 0;
    }

    """#
}
