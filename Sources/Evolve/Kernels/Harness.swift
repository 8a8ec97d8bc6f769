/// The C harness every kernel links with: `variant SEED REPS OUT [CPU_SECONDS]` makes the
/// kernel's inputs from SEED (SplitMix64, as in Swift), fills the outputs with
/// a sentinel, calls the kernel once to warm up and REPS more times (each
/// timed by the thread's CPU clock, so waiting for a core on a busy machine is
/// not counted), writes the
/// LAST call's outputs to OUT as float32 and prints the minimum nanoseconds of
/// one call. Writing the last call's outputs catches a variant that is right
/// only on a fresh buffer (it skipped zeroing and accumulates across calls).
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
        double best = 1e300;
        for (int r = 0; r < reps; r++) {
            double t0 = now_ns();
            run();
            double t = now_ns() - t0;
            if (t < best) best = t;
        }
        int n = 0;
        const float* o = output(&n);
        FILE* f = fopen(argv[3], "wb");
        if (!f) return 65;
        fwrite(o, sizeof(float), (size_t)n, f);
        fclose(f);
        printf("%.0f\n", best);
        return 0;
    }

    """#
}
