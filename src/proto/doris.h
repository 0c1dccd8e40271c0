/*
 * doris.h - shared inside the Doris adapter (doris.c, doris_spec.c).
 */
#ifndef SL_DORIS_H
#define SL_DORIS_H

#include "proto.h"

/* Parse the load headers into s (slices point into the request). SL_INVALID / SL_FORMAT with
 * Doris's message on a bad header. */
sl_code sl__doris_spec(sl_http_req *r, const sl_config *cfg, sl_slice db, sl_slice table,
                       sl_load_spec *s, sl_err *err);

#endif
