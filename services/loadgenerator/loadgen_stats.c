/* loadgen_stats.c — Locust-like request statistics (see loadgen_stats.h). */
#include "loadgenerator/loadgen_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loadgen_stats {
  rt_time_t origin;
  loadgen_route_t **routes; /* sorted by (name, method); each its own block */
  size_t n_routes, cap_routes;
  loadgen_route_t total;
  loadgen_error_t **errors;
  size_t n_errors, cap_errors;
};

/* ---- histogram ---------------------------------------------------------- */

#define HIST_MAX_US ((UINT64_C(1) << 44) - 1)

static size_t hist_index(uint64_t v) {
  if (v < 2 * LOADGEN_HIST_SUB)
    return (size_t)v;
  unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* >= 7 */
  unsigned shift = msb - 6u;                         /* v >> shift in [64,128) */
  return 2 * LOADGEN_HIST_SUB + (size_t)(shift - 1) * LOADGEN_HIST_SUB +
         (size_t)((v >> shift) - LOADGEN_HIST_SUB);
}

/* The midpoint of bucket |i| (the exact value below 128). */
static uint64_t hist_mid(size_t i) {
  if (i < 2 * LOADGEN_HIST_SUB)
    return i;
  size_t k = i - 2 * LOADGEN_HIST_SUB;
  unsigned shift = (unsigned)(k / LOADGEN_HIST_SUB) + 1;
  uint64_t lo = (uint64_t)(k % LOADGEN_HIST_SUB + LOADGEN_HIST_SUB) << shift;
  return lo + ((UINT64_C(1) << shift) - 1) / 2;
}

void loadgen_hist_record(loadgen_hist_t *h, uint64_t us) {
  if (us > HIST_MAX_US)
    us = HIST_MAX_US;
  h->counts[hist_index(us)]++;
  h->count++;
}

uint64_t loadgen_hist_quantile(const loadgen_hist_t *h, double q) {
  if (h->count == 0)
    return 0;
  if (q < 0)
    q = 0;
  if (q > 1)
    q = 1;
  uint64_t rank = (uint64_t)ceil(q * (double)h->count);
  if (rank < 1)
    rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < LOADGEN_HIST_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= rank)
      return hist_mid(i);
  }
  return hist_mid(LOADGEN_HIST_BUCKETS - 1);
}

/* ---- routes ------------------------------------------------------------- */

static void route_init(loadgen_route_t *r, const char *method,
                       const char *name) {
  memset(r, 0, sizeof *r);
  snprintf(r->method, sizeof r->method, "%s", method);
  snprintf(r->name, sizeof r->name, "%s", name);
  for (size_t i = 0; i < LOADGEN_RING_SECONDS; i++)
    r->ring_sec[i] = -1;
}

static void route_add(loadgen_route_t *r, int64_t sec, rt_time_t duration,
                      size_t bytes, int failed) {
  if (duration < 0)
    duration = 0;
  if (r->requests == 0 || duration < r->min)
    r->min = duration;
  if (duration > r->max)
    r->max = duration;
  r->requests++;
  r->failures += failed != 0;
  r->bytes += bytes;
  r->total += duration;
  loadgen_hist_record(&r->hist, (uint64_t)((duration + RT_USEC / 2) / RT_USEC));
  if (sec >= 0) {
    size_t slot = (size_t)(sec % LOADGEN_RING_SECONDS);
    if (r->ring_sec[slot] != sec) {
      r->ring_sec[slot] = sec;
      r->ring_req[slot] = 0;
      r->ring_fail[slot] = 0;
    }
    r->ring_req[slot]++;
    r->ring_fail[slot] += failed != 0;
  }
}

static int route_cmp(const char *m1, const char *n1, const char *m2,
                     const char *n2) {
  int c = strcmp(n1, n2);
  return c ? c : strcmp(m1, m2);
}

/* The index where (method, name) is or would go; *found says which. */
static size_t route_search(const loadgen_stats_t *s, const char *method,
                           const char *name, int *found) {
  size_t lo = 0, hi = s->n_routes;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = route_cmp(s->routes[mid]->method, s->routes[mid]->name, method,
                      name);
    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = 0;
  return lo;
}

static loadgen_route_t *route_get(loadgen_stats_t *s, const char *method,
                                  const char *name) {
  /* Compare with the truncated forms, as stored. */
  char m[LOADGEN_METHOD_MAX], n[LOADGEN_NAME_MAX];
  snprintf(m, sizeof m, "%s", method);
  snprintf(n, sizeof n, "%s", name);
  int found;
  size_t at = route_search(s, m, n, &found);
  if (found)
    return s->routes[at];
  if (s->n_routes == s->cap_routes) {
    size_t cap = s->cap_routes ? 2 * s->cap_routes : 16;
    loadgen_route_t **a = realloc(s->routes, cap * sizeof *a);
    if (!a)
      return NULL;
    s->routes = a;
    s->cap_routes = cap;
  }
  loadgen_route_t *r = malloc(sizeof *r);
  if (!r)
    return NULL;
  route_init(r, m, n);
  memmove(s->routes + at + 1, s->routes + at,
          (s->n_routes - at) * sizeof *s->routes);
  s->routes[at] = r;
  s->n_routes++;
  return r;
}

static void add_error(loadgen_stats_t *s, const char *method, const char *name,
                      const char *reason) {
  char m[LOADGEN_METHOD_MAX], n[LOADGEN_NAME_MAX], e[LOADGEN_REASON_MAX];
  snprintf(m, sizeof m, "%s", method);
  snprintf(n, sizeof n, "%s", name);
  snprintf(e, sizeof e, "%s", reason);
  if (s->n_errors >= LOADGEN_MAX_ERRORS) {
    /* The last slot collects the overflow. */
    m[0] = n[0] = '\0';
    snprintf(e, sizeof e, "(other errors)");
  }
  for (size_t i = 0; i < s->n_errors; i++) {
    loadgen_error_t *x = s->errors[i];
    if (!strcmp(x->reason, e) && !strcmp(x->name, n) && !strcmp(x->method, m)) {
      x->count++;
      return;
    }
  }
  if (s->n_errors == s->cap_errors) {
    size_t cap = s->cap_errors ? 2 * s->cap_errors : 8;
    loadgen_error_t **a = realloc(s->errors, cap * sizeof *a);
    if (!a)
      return;
    s->errors = a;
    s->cap_errors = cap;
  }
  loadgen_error_t *x = calloc(1, sizeof *x);
  if (!x)
    return;
  memcpy(x->method, m, sizeof m);
  memcpy(x->name, n, sizeof n);
  memcpy(x->reason, e, sizeof e);
  x->count = 1;
  s->errors[s->n_errors++] = x;
}

/* ---- the table ---------------------------------------------------------- */

loadgen_stats_t *loadgen_stats_new(rt_time_t origin) {
  loadgen_stats_t *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->origin = origin;
  route_init(&s->total, "", "Aggregated");
  return s;
}

static void clear(loadgen_stats_t *s) {
  for (size_t i = 0; i < s->n_routes; i++)
    free(s->routes[i]);
  for (size_t i = 0; i < s->n_errors; i++)
    free(s->errors[i]);
  s->n_routes = s->n_errors = 0;
}

void loadgen_stats_free(loadgen_stats_t *s) {
  if (!s)
    return;
  clear(s);
  free(s->routes);
  free(s->errors);
  free(s);
}

void loadgen_stats_reset(loadgen_stats_t *s, rt_time_t origin) {
  clear(s);
  s->origin = origin;
  route_init(&s->total, "", "Aggregated");
}

rt_time_t loadgen_stats_origin(const loadgen_stats_t *s) { return s->origin; }

int loadgen_stats_record(loadgen_stats_t *s, const char *method,
                         const char *name, rt_time_t at, rt_time_t duration,
                         size_t bytes, const char *error) {
  int64_t sec = at >= s->origin ? (at - s->origin) / RT_SEC : -1;
  route_add(&s->total, sec, duration, bytes, error != NULL);
  if (error)
    add_error(s, method, name, error);
  loadgen_route_t *r = route_get(s, method, name);
  if (!r)
    return -1;
  route_add(r, sec, duration, bytes, error != NULL);
  return 0;
}

size_t loadgen_stats_n_routes(const loadgen_stats_t *s) { return s->n_routes; }

const loadgen_route_t *loadgen_stats_route(const loadgen_stats_t *s, size_t i) {
  return i < s->n_routes ? s->routes[i] : NULL;
}

const loadgen_route_t *loadgen_stats_find(const loadgen_stats_t *s,
                                          const char *method,
                                          const char *name) {
  int found;
  size_t at = route_search(s, method, name, &found);
  return found ? s->routes[at] : NULL;
}

const loadgen_route_t *loadgen_stats_total(const loadgen_stats_t *s) {
  return &s->total;
}

size_t loadgen_stats_n_errors(const loadgen_stats_t *s) { return s->n_errors; }

const loadgen_error_t *loadgen_stats_error(const loadgen_stats_t *s, size_t i) {
  return i < s->n_errors ? s->errors[i] : NULL;
}

rt_time_t loadgen_route_quantile(const loadgen_route_t *r, double q) {
  if (r->requests == 0)
    return 0;
  rt_time_t v = (rt_time_t)loadgen_hist_quantile(&r->hist, q) * RT_USEC;
  if (v < r->min)
    v = r->min;
  if (v > r->max)
    v = r->max;
  return v;
}

static double ms(rt_time_t t) { return (double)t / (double)RT_MSEC; }

void loadgen_route_summary(const loadgen_stats_t *s, const loadgen_route_t *r,
                           rt_time_t now, unsigned window,
                           loadgen_summary_t *out) {
  memset(out, 0, sizeof *out);
  memcpy(out->method, r->method, sizeof out->method);
  memcpy(out->name, r->name, sizeof out->name);
  out->requests = r->requests;
  out->failures = r->failures;
  out->bytes = r->bytes;
  if (r->requests) {
    out->fail_ratio = (double)r->failures / (double)r->requests;
    out->avg_ms = ms(r->total) / (double)r->requests;
    out->min_ms = ms(r->min);
    out->max_ms = ms(r->max);
    out->p50_ms = ms(loadgen_route_quantile(r, 0.50));
    out->p95_ms = ms(loadgen_route_quantile(r, 0.95));
    out->p99_ms = ms(loadgen_route_quantile(r, 0.99));
  }
  rt_time_t elapsed = now - s->origin;
  if (elapsed > 0) {
    double secs = (double)elapsed / (double)RT_SEC;
    out->rps = (double)r->requests / secs;
    out->fail_rps = (double)r->failures / secs;
  }
  if (window < 1)
    window = 1;
  if (window > 60)
    window = 60;
  /* Whole seconds before the current one: [cur - window, cur - 1]. */
  int64_t cur = elapsed > 0 ? elapsed / RT_SEC : 0;
  int64_t from = cur - (int64_t)window;
  if (from < 0)
    from = 0;
  if (cur == from) { /* nothing whole yet: the overall rate */
    out->cur_rps = out->rps;
    out->cur_fail_rps = out->fail_rps;
    return;
  }
  uint64_t req = 0, fail = 0;
  for (int64_t sec = from; sec < cur; sec++) {
    size_t slot = (size_t)(sec % LOADGEN_RING_SECONDS);
    if (r->ring_sec[slot] == sec) {
      req += r->ring_req[slot];
      fail += r->ring_fail[slot];
    }
  }
  out->cur_rps = (double)req / (double)(cur - from);
  out->cur_fail_rps = (double)fail / (double)(cur - from);
}
