/*
 * scenario.c — fuzz target: sim/scenario/scenario.c (scenario files, slo:
 * entries included) and sim/report/slo.c (the --slo expression syntax).
 *
 * Input: the bytes are parsed as a scenario file; the same bytes, cut at the
 * first NUL or newline, as an --slo expression. A parse either fails with a
 * message and no result, or gives a result whose invariants hold: actions in
 * time order, each objective with a known figure, a limit within its unit's
 * range and a name exactly when it has a scope, a canary: block within
 * the ranges canary_init() accepts. A crash, a sanitizer report
 * or a broken invariant is a finding.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "scenario.h"
#include "slo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_bound(const slo_bound_t *b)
{
	if (!slo_metric_name(b->metric) || !(b->limit >= 0) ||
	    !isfinite(b->limit) ||
	    (slo_metric_unit(b->metric) == SLO_PERCENT && b->limit > 100))
		abort();
	char buf[64];
	slo_bound_format(b, buf, sizeof buf);
	if (strncmp(buf, slo_metric_name(b->metric),
	            strlen(slo_metric_name(b->metric))) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	sc_scenario_t *s = NULL;
	if (sc_parse("fuzz.yaml", (const char *)data, size, &s, err,
	             sizeof err) == 0) {
		if (!s || !s->name)
			abort();
		for (size_t i = 1; i < s->n_actions; i++)
			if (s->actions[i].at < s->actions[i - 1].at)
				abort();
		for (size_t i = 0; i < s->n_slo; i++) {
			check_bound(&s->slo[i].bound);
			if ((s->slo[i].scope == SLO_SCOPE_ALL) !=
			    (s->slo[i].name == NULL))
				abort();
		}
		if (s->canary.set) {
			canary_cfg_t cc = {s->canary.interval,
			                   s->canary.step_weight,
			                   s->canary.max_weight,
			                   s->canary.threshold,
			                   s->canary.success_min,
			                   s->canary.p99_max_ms};
			canary_t c;
			if (!s->canary.service || !*s->canary.service ||
			    s->canary.interval < DES_S(1) ||
			    canary_init(&c, &cc) != 0 ||
			    !(cc.success_min >= 0 && cc.success_min <= 100) ||
			    !(cc.p99_max_ms >= 0) || !isfinite(cc.p99_max_ms))
				abort();
			canary_free(&c);
		}
		sc_free(s);
	} else if (s || !err[0]) {
		abort();
	}

	size_t n = strnlen((const char *)data, size);
	const uint8_t *nl = memchr(data, '\n', n);
	if (nl)
		n = (size_t)(nl - data);
	char *expr = malloc(n + 1);
	if (!expr)
		return 0;
	memcpy(expr, data, n);
	expr[n] = '\0';
	slo_bound_t b[8];
	size_t nb = 99;
	err[0] = '\0';
	if (slo_parse_expr(expr, b, 8, &nb, err, sizeof err) == 0) {
		if (nb == 0 || nb > 8)
			abort();
		for (size_t i = 0; i < nb; i++)
			check_bound(&b[i]);
	} else if (!err[0]) {
		abort();
	}
	free(expr);
	return 0;
}
