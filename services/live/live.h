/*
 * live.h — the live runtime (libuv + nghttp2) as a library: embed a gRPC
 * server instance or a client-only instance in your own uv loop. Services
 * use live_main.h instead; tools and tests use this.
 *
 * Every rt_t created here implements all of rt.h. Objects are single-threaded
 * and belong to the loop they were created on. Freeing is asynchronous, as in
 * libuv: after rt_live_free(), run the loop until it returns so the handles
 * close and the memory is released.
 */
#ifndef MESHSIM_LIVE_H
#define MESHSIM_LIVE_H

#include <uv.h>

#include "rt.h"

/* Settings of a server instance, normally from the environment. */
typedef struct rt_live_config {
  char bind_addr[64];      /* BIND_ADDR, default "0.0.0.0" (IPv4 or IPv6) */
  int port;                /* PORT, 0..65535, 0 = ephemeral; default: the
                              service's default_port */
  rt_time_t grace;         /* SHUTDOWN_GRACE_SECONDS, default 5 s */
  rt_time_t keepalive;     /* GRPC_KEEPALIVE_SECONDS, default 60 s */
  rt_severity_t log_level; /* LOG_LEVEL, default RT_INFO */
  /* HTTP/1.1 services (rt_serve_http) */
  size_t http_max_body;           /* HTTP_MAX_BODY_BYTES, default 8 MiB */
  rt_time_t http_request_timeout; /* HTTP_REQUEST_TIMEOUT_SECONDS, default
                                     30 s: the whole request must arrive */
  rt_time_t http_idle_timeout;    /* HTTP_IDLE_TIMEOUT_SECONDS, default 60 s:
                                     idle keep-alive connections close */
} rt_live_config_t;

/* Fills |cfg| with the defaults for |svc| (port = svc->default_port), then
 * applies the environment. Returns 0, or -1 for an unusable value: then
 * |err| (of |errlen| bytes) holds a one-line message naming the variable and
 * value, e.g. "PORT=abc: not a port number (0..65535)". */
int rt_live_config_from_env(rt_live_config_t *cfg, const rt_service_t *svc,
                            char *err, size_t errlen);

/* Creates a server instance of |svc| on |loop| with |cfg| (copied; NULL:
 * from the environment): calls svc->init, binds, listens and logs
 * "listening" with the address and port (and "protocol":"http" when init
 * called rt_serve_http: the port then serves HTTP/1.1 instead of gRPC). Returns the instance, or NULL with
 * |*status| (may be NULL) set to the exit status a process should use: 2 for
 * a configuration error (rt_config_error from init, bad environment), 1 when
 * init fails or the address cannot be bound. On NULL nothing is left on the
 * loop (after it runs). */
rt_t *rt_live_server_new(uv_loop_t *loop, const rt_service_t *svc,
                         const rt_live_config_t *cfg, int *status);

/* The port a server instance listens on (the real one when PORT was 0), or
 * -1 for a client instance. */
int rt_live_port(rt_t *rt);

/* Graceful shutdown of a server instance, as on SIGTERM: health becomes
 * NOT_SERVING (pushed to Watch streams), the listener closes, connections get
 * GOAWAY, calls in progress may finish within cfg.grace; after that they are
 * failed with UNAVAILABLE. For HTTP: idle keep-alive connections close at
 * once, responses say Connection: close, requests still running after the
 * grace period get 503 and are cancelled. |done| then runs once, from the loop (not from
 * inside this function); it typically calls rt_live_free(). A second call is
 * a no-op. */
typedef void (*rt_live_done_cb)(rt_t *rt, void *arg);
void rt_live_shutdown(rt_t *rt, rt_live_done_cb done, void *arg);

/* A client-only instance named |name| (copied; used in logs) on |loop|:
 * rt_invoke, rt_http_invoke, timers, now, rand, env and log work; rt_serve
 * and rt_serve_http return -1.
 * LOG_LEVEL is read from the environment (default info). Returns NULL when
 * out of memory. */
rt_t *rt_live_client_new(uv_loop_t *loop, const char *name);

/* Frees an instance: calls in progress are cancelled (their on_cancel
 * runs), outgoing calls are dropped without their callbacks, pending timers
 * are cancelled, then svc->fini runs (server instances whose init
 * succeeded). Handles close asynchronously: run the loop afterwards.
 * rt_live_client_free is the same function for client instances. NULL is a
 * no-op. */
void rt_live_free(rt_t *rt);
void rt_live_client_free(rt_t *rt);

/* Runs |rt|'s loop until no outgoing call of |rt| is in progress (and their
 * callbacks have run) or |timeout| passes (0: no limit). Returns the number
 * of outgoing calls still in progress. For tools: invoke, then wait. */
size_t rt_live_run_until_idle(rt_t *rt, rt_time_t timeout);

/* The number of outgoing calls whose callbacks have not run yet. */
size_t rt_live_pending_invokes(rt_t *rt);

/* The number of open connections: accepted ones (server) plus outgoing ones
 * (client), including those still connecting or closing down. */
size_t rt_live_connections(rt_t *rt);

#endif /* MESHSIM_LIVE_H */
