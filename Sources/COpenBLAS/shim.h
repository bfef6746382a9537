// OpenBLAS's CBLAS interface. The include path comes from `pkg-config --cflags openblas`.
#include <cblas.h>
