// oneDNN's C API (Debian's libdnnl-dev), imported only by Sources/OneDNN.
#include <oneapi/dnnl/dnnl.h>
