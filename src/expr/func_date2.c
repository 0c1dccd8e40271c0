#include "../core/platform.h"
#include "internal.h"
const sl__func sl__expr_funcs_date2[] = {{"__stub_date2", 0, 0, false, 0, 0, NULL, NULL, 0}};
const size_t sl__expr_n_funcs_date2 = 0;
