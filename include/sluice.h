/*
 * sluice.h - the embeddable API: start and stop a sluice server inside another program.
 *
 * Everything else lives under src/ and may change; this header is what another program may
 * call. Settings are the same "key = value" pairs as the config file (docs: README.md).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SLUICE_API __attribute__((visibility("default")))
#else
#define SLUICE_API
#endif

typedef struct sluice_server sluice_server;

/** The version string, e.g. "0.2.0" (the VERSION file at build time). Static storage. */
SLUICE_API const char *sluice_version(void);

/**
 * Create a server from n "key=value" settings (NULL-terminated array allowed with n = 0 for
 * defaults), open its store and bind its listeners. Returns 0 and *out, or -1 with a message
 * in errbuf (errlen bytes). The server does not serve until sluice_server_run.
 */
SLUICE_API int sluice_server_start(const char *const *settings, size_t n, sluice_server **out,
                                   char *errbuf, size_t errlen);

/** The bound port of a role: "fe" (front door) or "be" (load port); -1 if not listening. */
SLUICE_API int sluice_server_port(const sluice_server *s, const char *role);

/** Serve on the calling thread until sluice_server_stop. Returns 0 on a clean stop. */
SLUICE_API int sluice_server_run(sluice_server *s);

/**
 * Ask a running server to stop; safe from another thread or a signal handler. The stop is
 * graceful: no new connections, requests in flight get up to shutdown_grace_second (30) to
 * finish, then are answered with an error; a second call cuts them off at once.
 */
SLUICE_API void sluice_server_stop(sluice_server *s);

/** Release a stopped server. */
SLUICE_API void sluice_server_free(sluice_server *s);

#ifdef __cplusplus
}
#endif

#endif
