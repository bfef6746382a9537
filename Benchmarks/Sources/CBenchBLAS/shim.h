// OpenBLAS's CBLAS interface, for the raw `cblas_sgemm` reference calls. Include path from
// `pkg-config --cflags openblas`.
#include <cblas.h>
