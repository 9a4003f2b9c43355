/* sim/load/arrivals.h: open-loop load for the simulator.
 *
 * Requests arrive at the frontend on their own schedule, whatever the shop
 * answers (no users waiting for pages: that closed loop is the load
 * generator's, run as a pod; see sim/load/README.md). Two parts:
 *
 * - a rate profile and an arrival process (ld_arrivals_t): no I/O and no
 *   engine, only a seeded stream, so tests check its rates directly;
 * - a driver (ld_open_t) that schedules the arrivals as des events on a
 *   vrt world and sends each as an HTTP request from outside the cluster
 *   (vrt_client_http), picking its route from a mix.
 *
 * Rate profile: points (at, rate) in order of |at| (ns from the start of
 * the load); before the first point the rate is 0; from a point on the
 * rate is its |rate| (a step), or, when the *next* point has |ramp| set,
 * goes linearly to the next point's rate; after the last point it stays.
 * A constant rate is one point {0, r}; a ramp from a to b over d is
 * {0, a}, {d, b, ramp}; a spike is {0, base}, {t, peak}, {t + len, base}.
 *
 * Arrivals: a (non-homogeneous) Poisson process with that rate, drawn by
 * inverting the integrated rate (exact for piecewise-linear rates: no
 * thinning, one draw per arrival), or deterministic (the k-th arrival
 * where the integrated rate reaches k - 1: the first at the profile's
 * first point, then evenly spaced at a constant rate, so d seconds at r
 * per second are exactly r * d arrivals).
 *
 * Threads: none. Errors: 0 or -1 with a message in |err|.
 */
#ifndef MESHSIM_SIM_LOAD_ARRIVALS_H
#define MESHSIM_SIM_LOAD_ARRIVALS_H

#include <stddef.h>
#include <stdint.h>

#include "des.h"
#include "rng.h"
#include "vrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ld_point {
	des_time_t at; /* ns from the start of the load; >= 0, increasing */
	double rate;   /* arrivals per second; >= 0 */
	int ramp;      /* 1: linear from the previous point to this one */
} ld_point_t;

/* 0 when |p| (|n| >= 1 points) is a valid profile, else -1 with |err|. */
int ld_profile_check(const ld_point_t *p, size_t n, char *err, size_t errsize);

/* The rate at time |t| (ns from the start). */
double ld_profile_rate(const ld_point_t *p, size_t n, des_time_t t);

/* The expected number of arrivals in [0, t). */
double ld_profile_integral(const ld_point_t *p, size_t n, des_time_t t);

/* An arrival process over a profile (copied by ld_arrivals_init). */
typedef struct ld_arrivals {
	ld_point_t *p;
	size_t n;
	int deterministic;
	des_rng_t rng;
	size_t seg;    /* the segment the last arrival fell in */
	double level;  /* integrated rate at the last arrival */
	double target; /* integrated rate of the next arrival */
	des_time_t last;
	int started;
} ld_arrivals_t;

/* Prepares |a| over |p|/|n| (copied; checked as ld_profile_check) with the
 * stream |rng| (copied). 0, or -1 (a bad profile, out of memory). */
int ld_arrivals_init(ld_arrivals_t *a, const ld_point_t *p, size_t n,
                     int deterministic, const des_rng_t *rng);
void ld_arrivals_fini(ld_arrivals_t *a);

/* The time (ns from the start) of the next arrival, non-decreasing; -1
 * when none will come (the rate stays 0 from the last point on). */
des_time_t ld_arrivals_next(ld_arrivals_t *a);

/* ------------------------------------------------------------------ */
/* Routes: what one arrival asks the frontend. */

/* The request mix of upstream's Locust users (loadgen.h), counted in
 * requests per task run: index 1 (GET /), setCurrency 2, browseProduct 10
 * + addToCart 2 + checkout 1 (GET /product/[id]), addToCart 2 + checkout 1
 * (POST /cart), viewCart 3 (GET /cart), checkout 1 (POST /cart/checkout).
 * A checkout arrival is a session of two requests (POST /cart, then POST
 * /cart/checkout with the same session cookie) and carries one of POST
 * /cart's three shares, so the weights of arrivals are 1, 2, 13, 2, 3, 1 and
 * the frontend sees 23 requests per 22 arrivals. GET /business (the seed's
 * "Sell Your Product Online" form, which the frontend forwards to the
 * business service when BUSINESS_ADDR is set; on EKS the ingress routes it
 * there) is not in Locust's mix (weight 0): only asked for by name. */
#define LD_ROUTE_MAP(X)                                 \
	X(INDEX, "GET /", 1)                              \
	X(SET_CURRENCY, "POST /setCurrency", 2)           \
	X(PRODUCT, "GET /product/[id]", 13)               \
	X(ADD_TO_CART, "POST /cart", 2)                   \
	X(VIEW_CART, "GET /cart", 3)                      \
	X(CHECKOUT, "POST /cart/checkout", 1)             \
	X(BUSINESS, "GET /business", 0)

typedef enum ld_route {
#define LD_ROUTE_ENUM_(id, name, w) LD_ROUTE_##id,
	LD_ROUTE_MAP(LD_ROUTE_ENUM_)
#undef LD_ROUTE_ENUM_
	LD_N_ROUTES
} ld_route_t;

/* "GET /product/[id]"; NULL out of range. */
const char *ld_route_name(ld_route_t r);
/* The route named |name|, or -1. */
int ld_route_find(const char *name);

/* The route name of an HTTP request as the report groups it: the method
 * and path with product ids and static files folded ("GET /product/[id]",
 * "GET /static/[file]"), the query dropped. Writes into |buf|. */
void ld_route_of(const char *method_path, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* The driver. */

typedef struct ld_open_config {
	const char *addr;          /* "frontend:80" (copied) */
	const ld_point_t *profile; /* copied */
	size_t n_points;
	int deterministic;         /* 0: Poisson */
	int route;                 /* -1: the Locust mix, else one ld_route_t */
	rt_time_t timeout;         /* per request; 0: 10 s */
	des_time_t duration;       /* arrivals stop this long after start */
} ld_open_config_t;

typedef struct ld_open ld_open_t;

/* A driver on |w|; draws from the streams "load/arrivals" (times) and
 * "load/routes" (routes, products, currencies) of the world's seed.
 * NULL with |err| on a bad config or out of memory. The caller frees it
 * with ld_open_free() after vrt_world_free() (requests still in flight
 * then end with their callbacks, which touch the driver). */
ld_open_t *ld_open_new(vrt_world_t *w, const ld_open_config_t *cfg,
                       char *err, size_t errsize);

/* Starts the arrivals now (the profile's time 0). 0 or -1. */
int ld_open_start(ld_open_t *o);

/* No more arrivals (those in flight go on). */
void ld_open_stop(ld_open_t *o);

void ld_open_free(ld_open_t *o);

/* Arrivals so far, HTTP requests sent, requests in flight. */
uint64_t ld_open_arrivals(const ld_open_t *o);
uint64_t ld_open_sent(const ld_open_t *o);
uint64_t ld_open_inflight(const ld_open_t *o);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_LOAD_ARRIVALS_H */
