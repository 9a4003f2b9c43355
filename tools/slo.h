/*
 * slo.h — service level objectives for `meshsim capacity`: parsing
 * "p99<300ms,errors<1%" and judging a route's figures against it.
 *
 * Grammar (spaces around tokens are ignored):
 *
 *   slo    := term ("," term)*
 *   term   := [route ":"] metric op number unit
 *   metric := "p50" | "p95" | "p99" | "max" | "mean" | "errors"
 *   op     := "<" | "<="
 *   unit   := "us" | "ms" | "s"        (latency metrics)
 *           | "%"                      (errors: of the route's requests)
 *
 * A term without a route applies to every route that entered the shop
 * (the report's "routes": "GET /", "POST /cart/checkout", ...); with one
 * ("GET /cart:p95<200ms") only to that route. This module does not know
 * which routes exist: the caller checks slo_term_t.route.
 *
 * Pure: no I/O, no globals. Threads: re-entrant.
 */
#ifndef MESHSIM_TOOLS_SLO_H
#define MESHSIM_TOOLS_SLO_H

#include <stddef.h>
#include <stdint.h>

typedef enum slo_metric {
	SLO_P50,
	SLO_P95,
	SLO_P99,
	SLO_MAX,
	SLO_MEAN,
	SLO_ERRORS
} slo_metric_t;

typedef struct slo_term {
	slo_metric_t metric;
	int inclusive;   /* 1: "<=", 0: "<" */
	double limit;    /* milliseconds; for SLO_ERRORS a fraction (1% = 0.01) */
	char route[64];  /* "" = every route */
	char text[128];  /* the term in canonical form: "p99<300ms",
	                  * "GET /cart:errors<=0.5%" */
} slo_term_t;

typedef struct slo {
	slo_term_t *terms; /* the SLO's; slo_free frees it */
	size_t n;
} slo_t;

/* Parses |text| into |*out| (overwritten; on success the caller frees it
 * with slo_free). Returns 0, or -1 with nothing to free: then |err|
 * (|errsize| bytes, may be 0) names the text, the term and what is wrong,
 * e.g. "SLO 'p99<300': term 'p99<300': a latency needs a unit (us, ms
 * or s)". Refuses limits that can never hold (p99<0ms, errors<0%) and
 * lower bounds (">"). Out of memory is reported the same way. */
int slo_parse(const char *text, slo_t *out, char *err, size_t errsize);

void slo_free(slo_t *s);

/* What one route measured (the caller's strings). */
typedef struct slo_figures {
	const char *route;
	uint64_t requests, errors;
	double p50_ms, p95_ms, p99_ms, max_ms, mean_ms;
} slo_figures_t;

/* 1 when term |t| applies to route |f->route|. */
int slo_term_applies(const slo_term_t *t, const slo_figures_t *f);

/* The term's metric of |f|: milliseconds, or the error fraction (0 when
 * the route had no requests). */
double slo_term_value(const slo_term_t *t, const slo_figures_t *f);

/* 1 when |value| (from slo_term_value) meets the term, else 0. */
int slo_term_holds(const slo_term_t *t, double value);

/* How far |value| is from the term's limit: value / limit (below 1, or
 * at 1 for "<=", meets it). For a limit of 0 (errors<=0%): 0 when value
 * is 0, else 1 + value. Used to tell whether a candidate came nearer. */
double slo_term_ratio(const slo_term_t *t, double value);

/* The name of a metric ("p99") / its value formatted with its unit
 * ("312.4 ms", "0.52%") into |buf| (|size| bytes); returns |buf|. */
const char *slo_metric_name(slo_metric_t m);
const char *slo_format_value(const slo_term_t *t, double value, char *buf,
                             size_t size);

#endif /* MESHSIM_TOOLS_SLO_H */
