/*
 * loadgen.h — the load generator: virtual users that shop on the frontend
 * the way upstream Online Boutique's Locust users do, written only against
 * rt.h so the live tool (tools/loadgenerator.c) and the simulator (virtual
 * time, seeded randomness) run the very same users.
 *
 * A user has its own cookie jar (shop_session-id, shop_currency and any
 * other cookie the frontend sets). It first GETs "/", then loops: run one
 * task picked by weight, then think for a uniform time in [think_min,
 * think_max] (the first task runs right after "/", as Locust's TaskSet
 * does). Tasks and upstream's weights:
 *   index 1          GET /
 *   setCurrency 2    POST /setCurrency currency_code ∈ EUR USD JPY CAD GBP TRY
 *   browseProduct 10 GET /product/<one of the nine ids>
 *   addToCart 2      GET /product/<id>, POST /cart product_id, quantity 1..10
 *   viewCart 3       GET /cart
 *   checkout 1       addToCart, then POST /cart/checkout with fake data
 *                    (loadgen_fake.h: a Luhn-valid VISA, expiry next year on)
 *
 * Requests go through rt_http_invoke(frontend_addr, ...) with a timeout. A
 * request fails when the transport fails or the final HTTP status is >= 400.
 * Redirects (301, 302, 303, 307, 308 with a Location) are followed, as
 * Locust's HTTP clients do: the follow-up GET (307/308: the same method and
 * body) is part of the same request — one entry under the original route,
 * timed from the first byte sent to the last response, status of the final
 * response, at most 5 hops ("too many redirects" after that). Cookies set on
 * a redirect are kept before it is followed.
 *
 * Statistics are Locust's (loadgen_stats.h), under route names
 *   GET /, POST /setCurrency, GET /product/[id], POST /cart, GET /cart,
 *   POST /cart/checkout
 * Failure reasons: "HTTP 500", or the transport's status and message
 * ("UNAVAILABLE: connection refused", "DEADLINE_EXCEEDED: ...").
 *
 * Randomness only from rt_rand(), time only from rt_now() and timers, and
 * configuration only from rt_env(): a seeded virtual runtime replays a run.
 */
#ifndef MESHSIM_LOADGEN_H
#define MESHSIM_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "loadgenerator/loadgen_fake.h"
#include "loadgenerator/loadgen_stats.h"
#include "rt.h"

/* The tasks, in upstream's order. */
#define LOADGEN_TASK_MAP(X)                   \
  X(INDEX, "index", 1)                        \
  X(SET_CURRENCY, "setCurrency", 2)           \
  X(BROWSE_PRODUCT, "browseProduct", 10)      \
  X(ADD_TO_CART, "addToCart", 2)              \
  X(VIEW_CART, "viewCart", 3)                 \
  X(CHECKOUT, "checkout", 1)

typedef enum loadgen_task {
#define LOADGEN_TASK_ENUM(id, name, weight) LOADGEN_TASK_##id,
  LOADGEN_TASK_MAP(LOADGEN_TASK_ENUM)
#undef LOADGEN_TASK_ENUM
  LOADGEN_N_TASKS
} loadgen_task_t;

/* "browseProduct" for LOADGEN_TASK_BROWSE_PRODUCT; "?" when out of range. */
const char *loadgen_task_name(loadgen_task_t task);

/* The nine products upstream's users browse, and the currencies they pick. */
extern const char *const loadgen_products[9];
extern const char *const loadgen_currencies[6];

typedef struct loadgen_config {
  /* FRONTEND_ADDR: "host:port" ("http://host:port/" and "host" (port 80)
   * are accepted by loadgen_config_set and normalised). Required. */
  char frontend_addr[256];
  unsigned users;            /* USERS: how many users, default 10 */
  double rate;               /* RATE: users started per second, default 1 */
  rt_time_t think_min;       /* THINK_MIN: default 1 s */
  rt_time_t think_max;       /* THINK_MAX: default 10 s */
  rt_time_t request_timeout; /* REQUEST_TIMEOUT: per request incl. its
                                redirects; default 10 s */
  int follow_redirects;      /* FOLLOW_REDIRECTS: 1 (default) or 0 */
  unsigned weights[LOADGEN_N_TASKS]; /* upstream's by default; sum > 0 */
} loadgen_config_t;

/* The defaults above, with frontend_addr empty. */
void loadgen_config_default(loadgen_config_t *cfg);

/* Sets the setting named by its environment variable |name| (FRONTEND_ADDR,
 * USERS, RATE, THINK_MIN, THINK_MAX, REQUEST_TIMEOUT, FOLLOW_REDIRECTS)
 * from |value|. Durations are Go-style ("1.5s", "500ms", "2m") or a plain
 * number of seconds. Returns 0, or -1 with |*why| (static) saying what is
 * wrong with the value ("not a positive integer", ...); an unknown name is
 * -1 with "unknown setting". */
int loadgen_config_set(loadgen_config_t *cfg, const char *name,
                       const char *value, const char **why);

/* Parses a Go-style duration ("1.5s", "500ms", "2m", "1h30m") or a plain
 * non-negative number of seconds ("2.5") into |*out|. Returns 0, or -1 with
 * a static |*why|. Negative durations are refused. */
int loadgen_parse_duration(const char *v, rt_time_t *out, const char **why);

/* Applies every setting present in |rt|'s environment (rt_env). Returns 0,
 * or -1 at the first bad value: |*bad_name| and |*bad_value| (may be NULL)
 * then point at it (bad_value valid as long as rt_env's strings are) and
 * |*why| says why. */
int loadgen_config_from_env(loadgen_config_t *cfg, rt_t *rt,
                            const char **bad_name, const char **bad_value,
                            const char **why);

/* Checks the whole: frontend_addr set, think_min <= think_max, weights not
 * all zero. Returns 0, or -1 with |*bad_name| (the variable to blame) and
 * |*why|. */
int loadgen_config_check(const loadgen_config_t *cfg, const char **bad_name,
                         const char **why);

typedef struct loadgen loadgen_t;

/* A load generator on |rt| with |cfg| (copied; must pass
 * loadgen_config_check). Nothing runs until loadgen_start(). NULL when out
 * of memory or |cfg| is invalid (errno EINVAL). */
loadgen_t *loadgen_new(rt_t *rt, const loadgen_config_t *cfg);

/* Starts: the statistics' clock starts now, the first user is spawned now
 * and the others every 1/rate seconds. Returns 0, or -1 when already
 * started or out of memory. */
int loadgen_start(loadgen_t *lg);

/* Called once when a stopping generator has no request in flight. */
typedef void (*loadgen_drained_cb)(loadgen_t *lg, void *arg);

/* Stops: no more users are spawned, no new task or request is started and
 * thinking users stop; requests in flight finish (with their redirects) and
 * are counted. |drained| (may be NULL) then runs once, never from inside
 * this call. The statistics' clock stops now (rates are over the run).
 * A second call only replaces |drained| and |arg| if it has not run yet. */
void loadgen_stop(loadgen_t *lg, loadgen_drained_cb drained, void *arg);

/* Stops (as loadgen_stop, keeping any drained callback) and cancels the
 * requests still in flight; they are not counted. The drained callback runs
 * once their cancellations are in. */
void loadgen_abort(loadgen_t *lg);

/* Frees |lg| and its statistics. Allowed when no timer or request of |lg|
 * is pending on the runtime: before loadgen_start(), after the drained
 * callback has run, or once the runtime has dropped the instance's timers
 * and calls without running them (from a service's fini, after
 * rt_live_client_free()). NULL is a no-op. */
void loadgen_free(loadgen_t *lg);

/* The configuration in use. */
const loadgen_config_t *loadgen_config(const loadgen_t *lg);

/* The statistics (owned by |lg|). */
const loadgen_stats_t *loadgen_stats(const loadgen_t *lg);

/* Clears the statistics and restarts their clock now (as Locust's reset
 * after ramp-up). */
void loadgen_stats_clear(loadgen_t *lg);

/* The time the statistics run to: now while running, the stop time after
 * loadgen_stop(). Use it as |now| for loadgen_route_summary(). */
rt_time_t loadgen_stats_now(const loadgen_t *lg);

/* Users spawned so far, and of them those still active (not stopped). */
unsigned loadgen_users_spawned(const loadgen_t *lg);
unsigned loadgen_users_active(const loadgen_t *lg);

/* Requests in flight (0 once drained). */
size_t loadgen_inflight(const loadgen_t *lg);

/* How many times |task| has been started (the first GET / of each user is
 * not a task). */
uint64_t loadgen_task_count(const loadgen_t *lg, loadgen_task_t task);

/* A copy of the generator's figures at one moment, standing alone (for a
 * TUI, a report, or comparing two moments): every route's summary (sorted
 * as loadgen_stats_route), the aggregate, and the failures by reason. */
typedef struct loadgen_snapshot {
  rt_time_t at;      /* loadgen_stats_now() when taken */
  rt_time_t elapsed; /* at - the statistics' origin */
  unsigned users_spawned, users_active;
  size_t inflight;
  uint64_t task_counts[LOADGEN_N_TASKS];
  size_t n_routes;
  loadgen_summary_t *routes;
  loadgen_summary_t total;
  size_t n_errors;
  loadgen_error_t *errors;
} loadgen_snapshot_t;

/* Fills |out| (current rates over the last |window| seconds, see
 * loadgen_route_summary). Returns 0, or -1 when out of memory (|out| is then
 * empty). Release with loadgen_snapshot_free(). */
int loadgen_snapshot(const loadgen_t *lg, unsigned window,
                     loadgen_snapshot_t *out);
void loadgen_snapshot_free(loadgen_snapshot_t *snap);

/* 1 once loadgen_stop() or loadgen_abort() was called. */
int loadgen_stopping(const loadgen_t *lg);

/* The load generator as an rt service ("loadgenerator"): init reads the
 * configuration from the environment (rt_config_error on a bad value),
 * starts at once and keeps the generator as the instance's user data
 * (rt_get_user); fini frees it. For the simulator's loadgenerator pod. */
extern const rt_service_t loadgen_service;

#endif /* MESHSIM_LOADGEN_H */
