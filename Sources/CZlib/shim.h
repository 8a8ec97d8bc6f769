// zlib (Debian's zlib1g-dev), imported only by Sources/CriteoPipeline.
#include <zlib.h>

// inflateInit2 and deflateInit2 are macros (they pass the library version and
// the stream's size); Swift sees these functions instead.
static inline int strata_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 15 + 16); }
static inline int strata_deflate_init_gzip(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
