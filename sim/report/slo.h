/* sim/report/slo.h: service-level objectives, checked against what a run
 * measured.
 *
 * An objective is one bound on one figure of one scope:
 *
 *   scope   every entry request (all routes), one route as the caller saw
 *           it ("GET /"), one service as its servers saw it
 *           ("cartservice"), or one workload (a Deployment, e.g.
 *           "frontend-canary": the calls sent to its pods, as their
 *           callers saw them, failed connections included);
 *   figure  p50, p95, p99, max, mean (latency, ms), errors (the share of
 *           requests that failed, %), success (100 % − errors);
 *   bound   an upper bound for latency and errors, a lower one for
 *           success; inclusive unless written with < or >.
 *
 * Two spellings, one meaning:
 *   - an expression, for command lines (`meshsim run --slo`,
 *     `meshsim capacity --slo`): "p99<300ms,errors<1%" — bounds separated by
 *     commas, each FIGURE OP VALUE with OP one of < <= > >= (< and > are
 *     strict), VALUE a duration with its unit (us, ms, s) or a percentage
 *     with "%";
 *   - a scenario file's `slo:` entries ("p99: 300ms", "errors: 1%"; see
 *     scenarios/README.md), inclusive bounds: slo_parse_value().
 *
 * An objective over a scope that saw no request fails ("no requests"): a
 * canary that got no traffic has shown nothing (Flagger also halts on
 * missing metrics).
 *
 * Nothing here reads a clock or the simulator: figures come in as
 * slo_figures_t. Threads: none.
 */
#ifndef MESHSIM_SIM_SLO_H
#define MESHSIM_SIM_SLO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(id, name, unit, upper): |unit| SLO_MS or SLO_PERCENT; |upper| 1 for
 * an upper bound (at most), 0 for a lower one (at least). */
#define SLO_METRIC_MAP(X)                     \
	X(P50, "p50", SLO_MS, 1)              \
	X(P95, "p95", SLO_MS, 1)              \
	X(P99, "p99", SLO_MS, 1)              \
	X(MAX, "max", SLO_MS, 1)              \
	X(MEAN, "mean", SLO_MS, 1)            \
	X(ERRORS, "errors", SLO_PERCENT, 1)   \
	X(SUCCESS, "success", SLO_PERCENT, 0)

typedef enum slo_metric {
#define SLO_METRIC_ENUM_(id, name, unit, upper) SLO_##id,
	SLO_METRIC_MAP(SLO_METRIC_ENUM_)
#undef SLO_METRIC_ENUM_
	SLO_N_METRICS
} slo_metric_t;

typedef enum slo_unit { SLO_MS, SLO_PERCENT } slo_unit_t;

typedef enum slo_scope {
	SLO_SCOPE_ALL,      /* every entry request */
	SLO_SCOPE_ROUTE,    /* one route, as the caller saw it */
	SLO_SCOPE_SERVICE,  /* one service, as its servers saw it */
	SLO_SCOPE_WORKLOAD  /* one Deployment's pods, as their callers saw */
} slo_scope_t;

/* One bound: |metric| within |limit| (milliseconds, or percent 0..100);
 * |strict| when written with < or >. */
typedef struct slo_bound {
	slo_metric_t metric;
	int strict;
	double limit;
} slo_bound_t;

/* One objective. |name| is the route, service or workload (NULL for
 * SLO_SCOPE_ALL); |line| where it was written (0: the command line). */
typedef struct slo_assert {
	slo_scope_t scope;
	char *name;
	slo_bound_t bound;
	int line;
} slo_assert_t;

/* What a run measured over one scope. Latencies in milliseconds. */
typedef struct slo_figures {
	uint64_t requests, errors;
	double p50_ms, p95_ms, p99_ms, max_ms, mean_ms;
} slo_figures_t;

/* An objective's outcome: the measured figure (in the bound's unit),
 * whether it held; |requests| 0 means nothing was measured (failed). */
typedef struct slo_result {
	double measured;
	uint64_t requests;
	int pass;
} slo_result_t;

/* "p99"; NULL out of range. / The metric named |name|, or -1. */
const char *slo_metric_name(slo_metric_t m);
int slo_metric_find(const char *name);
slo_unit_t slo_metric_unit(slo_metric_t m);
/* 1 when the metric's bound is an upper one (latency, errors). */
int slo_metric_upper(slo_metric_t m);
/* "all", "route", "service", "workload". */
const char *slo_scope_name(slo_scope_t s);

/* Reads a bound's value for |metric|: "300ms", "0.5s", "250us" for
 * latencies, "1%", "99.5%" for errors and success. 0, or -1 with the
 * reason in |why| (e.g. "\"300\" needs a unit: us, ms or s"). */
int slo_parse_value(slo_metric_t metric, const char *value, double *limit,
                    char *why, size_t whysize);

/* Parses the expression |expr| ("p99<300ms,errors<1%") into at most |max|
 * bounds at |out|, their number in |*n|. 0, or -1 with a message naming
 * the bad part in |err| ("\"p99>300ms\": p99 is an upper bound: use < or
 * <="). An empty expression, or an empty part, is an error. */
int slo_parse_expr(const char *expr, slo_bound_t *out, size_t max,
                   size_t *n, char *err, size_t errsize);

/* "p99 <= 300ms", "errors < 1%", "success >= 99%" into |buf| (always
 * terminated). */
void slo_bound_format(const slo_bound_t *b, char *buf, size_t size);

/* The figure |metric| of |f| in its unit (ms or percent; errors and
 * success are 0 % and 100 % without requests). */
double slo_measure(slo_metric_t metric, const slo_figures_t *f);

/* Checks |a| against |f| into |*res|; returns res->pass. */
int slo_eval(const slo_assert_t *a, const slo_figures_t *f,
             slo_result_t *res);

/* Writes the objectives and their outcomes: a table (a "slo:" header, one
 * row per objective: scope, objective, measured, PASS/FAIL, and a summary
 * line) / a JSON array (no newline after it), each element {"scope",
 * "name" (absent for all), "metric", "op", "limit", "unit", "measured",
 * "requests", "pass"}, elements on lines of their own indented by
 * |indent| spaces. 0, or -1 on a write error. */
int slo_write_text(FILE *f, const slo_assert_t *a, const slo_result_t *res,
                   size_t n);
int slo_write_json(FILE *f, const slo_assert_t *a, const slo_result_t *res,
                   size_t n, int indent);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_SLO_H */
