/*
 * loadgen_stats.h — request statistics as Locust keeps them: one entry per
 * (method, name) with counts, failures, bytes, min/max/total time and a
 * log-bucketed histogram for percentiles, plus an "Aggregated" entry and a
 * table of failures by reason.
 *
 * No I/O and no clock: every time is passed in, so the live tool and the
 * simulator (virtual time) share this code.
 *
 * Histogram: HDR-style, in microseconds. Values below 128 us are kept
 * exactly; above, each power of two is split into 64 equal buckets, so a
 * percentile is off by at most 1/128 (0.8 %) of its value. Recording is
 * O(1); a percentile walks the buckets (a few thousand), fine for a stats
 * table every second or two. Values are clamped to 2^44 us (about 200 days).
 */
#ifndef MESHSIM_LOADGEN_STATS_H
#define MESHSIM_LOADGEN_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "rt.h"

#define LOADGEN_HIST_SUB 64u
#define LOADGEN_HIST_MAX_SHIFT 37u
#define LOADGEN_HIST_BUCKETS \
  (2u * LOADGEN_HIST_SUB + LOADGEN_HIST_MAX_SHIFT * LOADGEN_HIST_SUB)

typedef struct loadgen_hist {
  uint64_t count;
  uint64_t counts[LOADGEN_HIST_BUCKETS];
} loadgen_hist_t;

/* Adds one value (microseconds). */
void loadgen_hist_record(loadgen_hist_t *h, uint64_t us);

/* The value (microseconds) at quantile |q| (0..1): the smallest bucket whose
 * cumulative count reaches ceil(q * count), reported as that bucket's
 * midpoint. 0 when empty. */
uint64_t loadgen_hist_quantile(const loadgen_hist_t *h, double q);

/* Per-second counters kept for the last LOADGEN_RING_SECONDS seconds, for
 * "current" requests per second over a sliding window like Locust's. */
#define LOADGEN_RING_SECONDS 64

/* Maximum lengths (with the NUL) of a route's method and name and of a
 * failure reason; longer ones are truncated. */
#define LOADGEN_METHOD_MAX 8
#define LOADGEN_NAME_MAX 64
#define LOADGEN_REASON_MAX 160

/* One route (read-only for users of this API). Times are nanoseconds. */
typedef struct loadgen_route {
  char method[LOADGEN_METHOD_MAX];
  char name[LOADGEN_NAME_MAX];
  uint64_t requests;
  uint64_t failures;
  uint64_t bytes;     /* response bodies */
  rt_time_t total;    /* sum of durations */
  rt_time_t min, max; /* 0 when no request yet */
  loadgen_hist_t hist;
  int64_t ring_sec[LOADGEN_RING_SECONDS]; /* which second a slot holds */
  uint32_t ring_req[LOADGEN_RING_SECONDS];
  uint32_t ring_fail[LOADGEN_RING_SECONDS];
} loadgen_route_t;

/* Failures of one (method, name, reason). */
typedef struct loadgen_error {
  char method[LOADGEN_METHOD_MAX];
  char name[LOADGEN_NAME_MAX];
  char reason[LOADGEN_REASON_MAX];
  uint64_t count;
} loadgen_error_t;

/* Distinct (method, name, reason) triples kept; later ones are counted
 * under reason "(other errors)". */
#define LOADGEN_MAX_ERRORS 100

typedef struct loadgen_stats loadgen_stats_t;

/* New, empty statistics whose clock starts at |origin| (the start of the
 * run: overall rates are over now - origin). NULL when out of memory. */
loadgen_stats_t *loadgen_stats_new(rt_time_t origin);
void loadgen_stats_free(loadgen_stats_t *s);
/* Forgets every entry and restarts the clock at |origin|. */
void loadgen_stats_reset(loadgen_stats_t *s, rt_time_t origin);
rt_time_t loadgen_stats_origin(const loadgen_stats_t *s);

/* Records one request of |method| |name| that ended at |at| after
 * |duration|, with |bytes| of response body; |error| is NULL on success or
 * the failure's reason. Returns 0, or -1 when out of memory (the request is
 * then still counted in the aggregate). */
int loadgen_stats_record(loadgen_stats_t *s, const char *method,
                         const char *name, rt_time_t at, rt_time_t duration,
                         size_t bytes, const char *error);

/* Routes, sorted by name then method (Locust's order). Pointers stay valid
 * until loadgen_stats_reset() or _free(). */
size_t loadgen_stats_n_routes(const loadgen_stats_t *s);
const loadgen_route_t *loadgen_stats_route(const loadgen_stats_t *s, size_t i);
/* The route |method| |name|, or NULL. */
const loadgen_route_t *loadgen_stats_find(const loadgen_stats_t *s,
                                          const char *method, const char *name);
/* The "Aggregated" entry (method "", name "Aggregated"). */
const loadgen_route_t *loadgen_stats_total(const loadgen_stats_t *s);

/* Failures by reason, in order of first occurrence. */
size_t loadgen_stats_n_errors(const loadgen_stats_t *s);
const loadgen_error_t *loadgen_stats_error(const loadgen_stats_t *s, size_t i);

/* The duration at quantile |q| (0..1) of |r|, clamped to [min, max];
 * 0 when |r| has no request. */
rt_time_t loadgen_route_quantile(const loadgen_route_t *r, double q);

/* A route's figures, for tables, JSON and the simulator's reports.
 * Milliseconds and per-second rates as doubles. */
typedef struct loadgen_summary {
  char method[LOADGEN_METHOD_MAX]; /* copies: a summary stands alone */
  char name[LOADGEN_NAME_MAX];
  uint64_t requests, failures, bytes;
  double fail_ratio;              /* failures / requests (0 when none) */
  double avg_ms, min_ms, max_ms;  /* 0 when no request */
  double p50_ms, p95_ms, p99_ms;
  double rps, fail_rps;           /* over now - origin */
  double cur_rps, cur_fail_rps;   /* over the last |window| whole seconds */
} loadgen_summary_t;

/* Fills |out| for |r| as of |now|; |window| (whole seconds, 1..60) is the
 * sliding window of the current rates; early in a run (less than a window
 * elapsed) the current rates are over the whole seconds so far. */
void loadgen_route_summary(const loadgen_stats_t *s, const loadgen_route_t *r,
                           rt_time_t now, unsigned window,
                           loadgen_summary_t *out);

#endif /* MESHSIM_LOADGEN_STATS_H */
