/* vs-error.c: the engine's error domain. */
#include "vs-error.h"

G_DEFINE_QUARK (vs-error-quark, vs_error)
