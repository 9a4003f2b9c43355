/* sim/report/canary.c: Flagger's canary analysis as a state machine (see
 * canary.h). */
#include "canary.h"

#include <stdlib.h>
#include <string.h>

static const char *const result_names[] = {"in_progress", "promoted",
                                           "rolled_back"};
static const char *const verdict_names[] = {"start", "advance", "failed",
                                            "promote", "rollback"};

const char *canary_result_name(canary_result_t r)
{
	return (unsigned)r < 3 ? result_names[r] : NULL;
}

const char *canary_verdict_name(canary_verdict_t v)
{
	return (unsigned)v < 5 ? verdict_names[v] : NULL;
}

int canary_init(canary_t *c, const canary_cfg_t *cfg)
{
	memset(c, 0, sizeof *c);
	if (cfg->interval_ns <= 0 || cfg->step_weight < 1 ||
	    cfg->step_weight > 100 || cfg->max_weight < cfg->step_weight ||
	    cfg->max_weight > 100 || cfg->threshold < 1)
		return -1;
	c->cfg = *cfg;
	return 0;
}

void canary_free(canary_t *c)
{
	free(c->steps);
	memset(c, 0, sizeof *c);
}

static canary_step_t *add_step(canary_t *c, int64_t t, canary_verdict_t v,
                               int weight)
{
	if (c->n_steps == c->cap_steps) {
		size_t nc = c->cap_steps ? c->cap_steps * 2 : 16;
		canary_step_t *ns = realloc(c->steps, nc * sizeof *ns);
		if (!ns)
			return NULL;
		c->steps = ns;
		c->cap_steps = nc;
	}
	canary_step_t *s = &c->steps[c->n_steps++];
	memset(s, 0, sizeof *s);
	s->t_ns = t;
	s->verdict = v;
	s->weight_before = c->weight;
	s->weight = weight;
	c->weight = weight;
	return s;
}

const canary_step_t *canary_start(canary_t *c, int64_t t_ns)
{
	if (c->n_steps || c->result != CANARY_IN_PROGRESS)
		return NULL;
	return add_step(c, t_ns, CANARY_START, c->cfg.step_weight);
}

const canary_step_t *canary_check(canary_t *c, int64_t t_ns,
                                  const slo_figures_t *f)
{
	if (!c->n_steps || c->result != CANARY_IN_PROGRESS)
		return NULL;
	double success = slo_measure(SLO_SUCCESS, f);
	int pass = f->requests > 0 && success >= c->cfg.success_min &&
	           f->p99_ms <= c->cfg.p99_max_ms;
	canary_verdict_t v;
	int w = c->weight;
	if (pass && w >= c->cfg.max_weight) {
		v = CANARY_PROMOTE;
		w = 100;
	} else if (pass) {
		v = CANARY_ADVANCE;
		w += c->cfg.step_weight;
		if (w > c->cfg.max_weight)
			w = c->cfg.max_weight;
	} else if (c->failed_checks + 1 >= c->cfg.threshold) {
		v = CANARY_ROLLBACK;
		w = 0;
	} else {
		v = CANARY_FAILED;
	}
	canary_step_t *s = add_step(c, t_ns, v, w);
	if (!s)
		return NULL;
	c->failed_checks += !pass;
	s->failed_checks = c->failed_checks;
	s->requests = f->requests;
	s->success = f->requests ? success : 0;
	s->p99_ms = f->requests ? f->p99_ms : 0;
	if (v == CANARY_PROMOTE)
		c->result = CANARY_PROMOTED;
	else if (v == CANARY_ROLLBACK)
		c->result = CANARY_ROLLED_BACK;
	return s;
}

void canary_step_format(const canary_t *c, const canary_step_t *s,
                        char *buf, size_t size)
{
	if (s->verdict == CANARY_START) {
		snprintf(buf, size, "weight %d -> %d: pods ready: start",
		         s->weight_before, s->weight);
		return;
	}
	char extra[48] = "";
	if (s->verdict == CANARY_FAILED || s->verdict == CANARY_ROLLBACK)
		snprintf(extra, sizeof extra, " (%d of %d)", s->failed_checks,
		         c->cfg.threshold);
	if (!s->requests)
		snprintf(buf, size, "weight %d -> %d: no requests: %s%s",
		         s->weight_before, s->weight,
		         canary_verdict_name(s->verdict), extra);
	else
		snprintf(buf, size,
		         "weight %d -> %d: success %.2f %% (>= %g %%), p99 %.1f "
		         "ms (<= %g ms), %llu requests: %s%s",
		         s->weight_before, s->weight, s->success,
		         c->cfg.success_min, s->p99_ms, c->cfg.p99_max_ms,
		         (unsigned long long)s->requests,
		         canary_verdict_name(s->verdict), extra);
}

int canary_write_json(FILE *f, const canary_t *c, int64_t t0_ns, int indent)
{
	fprintf(f,
	        "{\"result\": \"%s\", \"weight\": %d, \"failed_checks\": %d, "
	        "\"interval_s\": %.3f, \"step_weight\": %d, \"max_weight\": "
	        "%d, \"threshold\": %d, \"success_min\": %g, \"p99_max_ms\": "
	        "%g, \"steps\": [",
	        canary_result_name(c->result), c->weight, c->failed_checks,
	        (double)c->cfg.interval_ns / 1e9, c->cfg.step_weight,
	        c->cfg.max_weight, c->cfg.threshold, c->cfg.success_min,
	        c->cfg.p99_max_ms);
	for (size_t i = 0; i < c->n_steps; i++) {
		const canary_step_t *s = &c->steps[i];
		fprintf(f,
		        "%s\n%*s{\"at_seconds\": %.3f, \"verdict\": \"%s\", "
		        "\"weight_before\": %d, \"weight\": %d, \"requests\": "
		        "%llu, \"success\": %.4f, \"p99_ms\": %.3f, "
		        "\"failed_checks\": %d}",
		        i ? "," : "", indent + 2, "",
		        (double)(s->t_ns - t0_ns) / 1e9,
		        canary_verdict_name(s->verdict), s->weight_before,
		        s->weight, (unsigned long long)s->requests, s->success,
		        s->p99_ms, s->failed_checks);
	}
	if (c->n_steps)
		fprintf(f, "\n%*s", indent, "");
	fputs("]}", f);
	return ferror(f) ? -1 : 0;
}
