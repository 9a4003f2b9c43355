/* sim/report/canary.h: progressive delivery's analysis, as Flagger runs it
 * for a canary (shared/MESH.md, "Canary"): a state machine from measured
 * figures to traffic weights.
 *
 *   start    the canary's pods are ready: route stepWeight % to it (Flagger
 *            starts its analysis this way, without a check);
 *   check    every interval, the canary's request success rate (non-5xx
 *            share) and p99 over that interval only:
 *              - both hold (success >= min, p99 <= max, some requests):
 *                weight + stepWeight, capped at maxWeight; at maxWeight
 *                a passing check promotes: the canary takes 100 % (the
 *                stable Deployment would take the canary's spec; the
 *                traffic is the canary build's either way);
 *              - otherwise a failed check (no requests is one: a canary
 *                that got no traffic has shown nothing); the weight stays;
 *                at |threshold| failed checks (counted over the whole
 *                analysis, as Flagger's status.failedChecks) roll back to
 *                0 %. Flagger notices the threshold at its next run; here
 *                the rollback is at the check that reaches it.
 * Promotion thus takes interval x ceil(maxWeight / stepWeight) after the
 * start when every check passes; rollback interval x threshold when every
 * check fails.
 *
 * No clock, no simulator: times are the caller's (ns), figures come in as
 * slo_figures_t. Threads: none.
 */
#ifndef MESHSIM_SIM_CANARY_H
#define MESHSIM_SIM_CANARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "slo.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct canary_cfg {
	int64_t interval_ns;   /* > 0 */
	int step_weight;       /* 1..100 */
	int max_weight;        /* step_weight..100 */
	int threshold;         /* >= 1 */
	double success_min;    /* percent */
	double p99_max_ms;
} canary_cfg_t;

typedef enum canary_result {
	CANARY_IN_PROGRESS,
	CANARY_PROMOTED,
	CANARY_ROLLED_BACK
} canary_result_t;

/* What one step did. */
typedef enum canary_verdict {
	CANARY_START,    /* weight 0 -> stepWeight, no check */
	CANARY_ADVANCE,  /* passed: weight raised */
	CANARY_FAILED,   /* failed: weight kept */
	CANARY_PROMOTE,  /* passed at maxWeight: weight 100 */
	CANARY_ROLLBACK  /* failed, threshold reached: weight 0 */
} canary_verdict_t;

typedef struct canary_step {
	int64_t t_ns;          /* the caller's time of the step */
	canary_verdict_t verdict;
	int weight_before, weight;
	uint64_t requests;     /* in the interval (0 for start) */
	double success, p99_ms; /* measured (percent, ms); 0 without requests */
	int failed_checks;     /* so far, this one included */
} canary_step_t;

typedef struct canary {
	canary_cfg_t cfg;
	canary_result_t result;
	int weight;            /* the canary's share now, percent */
	int failed_checks;
	canary_step_t *steps;  /* every step, in order */
	size_t n_steps, cap_steps;
} canary_t;

/* "in_progress", "promoted", "rolled_back" / "start", "advance",
 * "failed", "promote", "rollback"; NULL out of range. */
const char *canary_result_name(canary_result_t r);
const char *canary_verdict_name(canary_verdict_t v);

/* Ready for canary_start(): weight 0, no steps. 0, or -1 when |cfg| is
 * out of the ranges above. */
int canary_init(canary_t *c, const canary_cfg_t *cfg);
void canary_free(canary_t *c);

/* The analysis starts at |t_ns|: weight stepWeight. Returns the new step
 * (valid until the next call), or NULL when out of memory or already
 * started. */
const canary_step_t *canary_start(canary_t *c, int64_t t_ns);

/* One check at |t_ns| over the figures |f| of the interval just ended.
 * Returns the new step (its ->weight is what to route from now on), or
 * NULL when out of memory, not started, or already promoted or rolled
 * back. */
const canary_step_t *canary_check(canary_t *c, int64_t t_ns,
                                  const slo_figures_t *f);

/* One step as a line without newline: "weight 10 -> 20: success 100.00 %
 * (>= 99 %), p99 12.3 ms (<= 500 ms), 1520 requests: advance" into |buf|
 * (always terminated). */
void canary_step_format(const canary_t *c, const canary_step_t *s,
                        char *buf, size_t size);

/* The analysis as JSON: {"result", "weight", "failed_checks", "interval_s",
 * "step_weight", "max_weight", "threshold", "success_min", "p99_max_ms",
 * "steps": [{"at_seconds", "verdict", "weight_before", "weight",
 * "requests", "success", "p99_ms", "failed_checks"}, ...]} (no newline
 * after it; steps on lines of their own indented by |indent| + 2), with
 * step times relative to |t0_ns|. 0, or -1 on a write error. */
int canary_write_json(FILE *f, const canary_t *c, int64_t t0_ns, int indent);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_CANARY_H */
