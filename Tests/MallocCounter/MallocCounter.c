// See include/MallocCounter.h. Per-thread counting (other threads never
// disturb a count) or process-wide counting (background threads included).
// glibc only: its __libc_* entry points are what the overrides forward to;
// elsewhere nothing is overridden and the tests skip.
#include "MallocCounter.h"
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#if defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
#endif

static __thread int counting;
static __thread long count;
static atomic_int countingAll;
static atomic_long countAll;

void strata_malloc_count_start(void) { count = 0; counting = 1; }
long strata_malloc_count_stop(void) { counting = 0; return count; }
void strata_malloc_count_all_start(void) { atomic_store(&countAll, 0); atomic_store(&countingAll, 1); }
long strata_malloc_count_all_stop(void) { atomic_store(&countingAll, 0); return atomic_load(&countAll); }

#if defined(__GLIBC__)
int strata_malloc_count_supported(void) { return 1; }

static inline void note(void) {
    if (counting) count++;
    if (atomic_load_explicit(&countingAll, memory_order_relaxed)) atomic_fetch_add_explicit(&countAll, 1, memory_order_relaxed);
}

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { note(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    note();
    void *p = __libc_memalign(a, n);
    if (!p) return 12;   // ENOMEM
    *out = p;
    return 0;
}
#else
int strata_malloc_count_supported(void) { return 0; }
#endif
