// LAPACKE, the C interface to LAPACK (SVD for PiSSA initialisation, factorizations).
#include <lapacke.h>
