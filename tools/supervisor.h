/*
 * supervisor.h — runs the shop's service binaries as child processes on
 * loopback, the way a kubelet runs pods: each with the environment
 * Kubernetes would give it, health-checked over gRPC, restarted with a
 * growing back-off when it crashes (as CrashLoopBackOff), and stopped with
 * SIGTERM, a grace period, then SIGKILL.
 *
 * Each service gets its own loopback address (127.0.0.x) and keeps
 * upstream's container port, as each pod has its own IP on a cluster; so
 * shippingservice and paymentservice can both listen on 50051.
 *
 * Single-threaded, on the caller's libuv loop. Not thread-safe.
 */
#ifndef MESHSIM_TOOLS_SUPERVISOR_H
#define MESHSIM_TOOLS_SUPERVISOR_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "rt.h"

/* The static description of one service as the supervisor runs it. */
typedef struct sup_spec {
  const char *name;   /* "currencyservice": the executable and pod name */
  /* Readiness probe: gRPC health for service |health| ("" for overall), or,
   * when |http_probe| is set, an HTTP GET of that path answered with 2xx (as
   * the charts' httpGet probes). With |port| 0 there is no probe: the
   * process counts as ready once it has run for a second (loadgenerator). */
  const char *health;
  const char *http_probe;
  int port;           /* upstream container port; 0 when it serves none */
  /* Its own loopback address; NULL: the next one from first_octet_host. */
  const char *host;
  /* Environment variable names that receive another service's address:
   * {"PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"}, ending in
   * {NULL, NULL}. */
  const char *const (*addr_env)[2];
  /* Extra fixed environment ("KEY=VALUE"), ending in NULL; "{state}" in a
   * value is replaced by the service's state directory. May be NULL. */
  const char *const *env;
} sup_spec_t;

typedef enum sup_state {
  SUP_STARTING, /* spawned, not yet SERVING */
  SUP_SERVING,  /* health check says SERVING */
  SUP_FAILING,  /* running but the last health checks failed */
  SUP_BACKOFF,  /* exited; waiting to restart */
  SUP_STOPPING, /* SIGTERM sent */
  SUP_STOPPED   /* exited and will not be restarted */
} sup_state_t;

const char *sup_state_name(sup_state_t s);

typedef struct sup_proc sup_proc_t;
typedef struct sup sup_t;

/* Called whenever a service changes state (for progress output). */
typedef void (*sup_event_cb)(sup_t *s, sup_proc_t *p, const char *what,
                             void *user);

typedef struct sup_opts {
  const char *bin_dir;   /* where the service executables are */
  /* Logs go to <state_dir>/logs/<name>.log; each service runs in (and keeps
   * its files in) <state_dir>/<name>/. */
  const char *state_dir;
  const char *net;       /* services get <net>.<first_octet_host + i>; "127.0.0" */
  int first_octet_host;  /* default 11 */
  double grace_seconds;  /* SIGTERM → SIGKILL; default 5 */
  double backoff_initial_seconds; /* first restart delay; default 10 */
  double backoff_max_seconds;     /* cap; default 300 */
  /* Health checks: every 250 ms while a service starts (so it is seen
   * ready at once), then every probe_period_seconds once it is SERVING,
   * as the kubelet probes a ready pod every periodSeconds (the charts'
   * default, 10). Three failures in a row make a service FAILING. */
  double probe_period_seconds;    /* default 10 */
  sup_event_cb on_event;
  void *user;
} sup_opts_t;

/* Passed through to every child when set in our environment. */
extern const char *const sup_passthrough_env[];

/* Creates a supervisor for |n| services on |loop|. |specs| must outlive it.
 * Returns NULL with a message in |err| (size |errlen|) on failure. */
sup_t *sup_new(uv_loop_t *loop, const sup_spec_t *specs, size_t n,
               const sup_opts_t *opts, char *err, size_t errlen);

/* Spawns every service that serves a port, and the ones that serve none
 * (clients such as the load generator) once all of those are SERVING.
 * Returns 0, or -1 with the reason in |err| when an executable is missing
 * (nothing is left running then). */
int sup_start(sup_t *s, char *err, size_t errlen);

/* Stops everything, no more restarts: SIGTERM first to the processes that
 * serve no port (clients such as the load generator), then, once they have
 * all exited, to the services, so no request in flight is cut by its
 * server's exit; each wave gets SIGKILL after the grace period (+1 s).
 * |done| runs once all have exited. */
void sup_stop(sup_t *s, void (*done)(sup_t *s, void *user), void *user);

/* Non-zero when every service is SERVING. */
int sup_all_serving(const sup_t *s);

/* Writes the status table (service, address, pid, state, ready time,
 * restarts) to |f|. */
void sup_print_table(const sup_t *s, FILE *f);

/* Accessors. */
size_t sup_count(const sup_t *s);
sup_proc_t *sup_proc(sup_t *s, size_t i);
const char *sup_proc_name(const sup_proc_t *p);
const char *sup_proc_addr(const sup_proc_t *p);
sup_state_t sup_proc_state(const sup_proc_t *p);
int sup_proc_pid(const sup_proc_t *p);
int sup_proc_restarts(const sup_proc_t *p);
/* Writes the last |lines| (1..16) lines of |p|'s log to |f|, each
 * indented as "    | ", for an error report; nothing when the log cannot
 * be read. Lines longer than 511 bytes are cut. */
void sup_proc_log_tail(const sup_proc_t *p, int lines, FILE *f);

/* The last exit (status, or signal when > 0), for reporting. */
void sup_proc_last_exit(const sup_proc_t *p, int64_t *status, int *signal);
const char *sup_proc_log_path(const sup_proc_t *p);

/* Frees the supervisor. Only after sup_stop()'s |done| ran (or if
 * sup_start() was never called or failed). */
void sup_free(sup_t *s);

#endif /* MESHSIM_TOOLS_SUPERVISOR_H */
