/*
 * run_sidecars.c — the sidecars' own CPU in the run's report. See
 * run_sidecars.h.
 */
#include "run_sidecars.h"

#include <stdlib.h>
#include <string.h>

typedef struct rs_row {
	const vrt_pod_t *pod; /* NULL: the gateway */
	double base_us, used_us;
} rs_row_t;

struct run_sidecars {
	vrt_world_t *w;
	dp_sidecars_t *dp;
	rs_row_t *base; /* pods alive at rs_begin, world order */
	size_t n_base;
	double gw_base_us;
	des_time_t t0, t1;
	rs_row_t *rows; /* at rs_end: pods with a sidecar, then the gateway */
	size_t n_rows;
	int has_gw;
};

run_sidecars_t *rs_begin(vrt_world_t *w, dp_sidecars_t *dp, int *oom)
{
	*oom = 0;
	if (!dp)
		return NULL;
	run_sidecars_t *s = calloc(1, sizeof *s);
	size_t n = vrt_world_pod_count(w);
	if (s)
		s->base = calloc(n + 1, sizeof *s->base);
	if (!s || !s->base) {
		free(s);
		*oom = 1;
		return NULL;
	}
	s->w = w;
	s->dp = dp;
	s->n_base = n;
	for (size_t i = 0; i < n; i++) {
		s->base[i].pod = vrt_world_pod_at(w, i);
		s->base[i].base_us = dp_sidecars_cpu_us(dp, s->base[i].pod);
	}
	s->gw_base_us = dp_sidecars_cpu_us(dp, NULL);
	s->t0 = des_now(vrt_world_des(w));
	return s;
}

void rs_end(run_sidecars_t *s)
{
	if (!s)
		return;
	s->t1 = des_now(vrt_world_des(s->w));
	size_t n = vrt_world_pod_count(s->w);
	free(s->rows);
	s->n_rows = 0;
	s->rows = calloc(n + 1, sizeof *s->rows);
	if (!s->rows)
		return;
	for (size_t i = 0; i < n; i++) {
		const vrt_pod_t *pod = vrt_world_pod_at(s->w, i);
		/* A pod with a sidecar presents a principal. */
		if (!dp_sidecars_principal(s->dp, pod))
			continue;
		double base = i < s->n_base && s->base[i].pod == pod
		                  ? s->base[i].base_us
		                  : 0; /* started inside the window */
		s->rows[s->n_rows++] = (rs_row_t){
		    pod, base, dp_sidecars_cpu_us(s->dp, pod) - base};
	}
	dp_workload_t gw;
	s->has_gw = dp_sidecars_gateway(s->dp, &gw) == 0;
	if (s->has_gw)
		s->rows[s->n_rows++] = (rs_row_t){
		    NULL, s->gw_base_us,
		    dp_sidecars_cpu_us(s->dp, NULL) - s->gw_base_us};
}

static const char *row_name(const rs_row_t *r)
{
	return r->pod ? vrt_pod_name(r->pod) : "istio-ingressgateway";
}

static double window_s(const run_sidecars_t *s)
{
	return (double)(s->t1 - s->t0) / 1e9;
}

static double vcpu(const run_sidecars_t *s, double us)
{
	double w = window_s(s);
	return w > 0 ? us / 1e6 / w : 0;
}

int rs_write_text(const run_sidecars_t *s, FILE *f)
{
	if (!s || !s->rows)
		return 0;
	double total = 0;
	fprintf(f, "\n%-44s %10s %8s\n", "SIDECAR", "CPU s", "vCPU");
	for (size_t i = 0; i < s->n_rows; i++) {
		const rs_row_t *r = &s->rows[i];
		total += r->used_us;
		fprintf(f, "%-44s %10.3f %8.4f\n", row_name(r), r->used_us / 1e6,
		        vcpu(s, r->used_us));
	}
	fprintf(f, "%-44s %10.3f %8.4f\n", "total", total / 1e6,
	        vcpu(s, total));
	return ferror(f) ? -1 : 0;
}

int rs_write_json(const run_sidecars_t *s, FILE *f)
{
	if (!s || !s->rows)
		return 0;
	double total = 0;
	for (size_t i = 0; i < s->n_rows; i++)
		total += s->rows[i].used_us;
	fprintf(f,
	        "  \"sidecars\": {\"window_seconds\": %.3f, \"cpu_seconds\": "
	        "%.3f, \"vcpu\": %.4f, \"pods\": [",
	        window_s(s), total / 1e6, vcpu(s, total));
	for (size_t i = 0; i < s->n_rows; i++) {
		const rs_row_t *r = &s->rows[i];
		/* Pod names are Kubernetes names: no characters to escape. */
		fprintf(f,
		        "%s\n    {\"pod\": \"%s\", \"cpu_seconds\": %.3f, "
		        "\"vcpu\": %.4f}",
		        i ? "," : "", row_name(r), r->used_us / 1e6,
		        vcpu(s, r->used_us));
	}
	fputs(s->n_rows ? "\n  ]},\n" : "]},\n", f);
	return ferror(f) ? -1 : 0;
}

void rs_free(run_sidecars_t *s)
{
	if (!s)
		return;
	free(s->base);
	free(s->rows);
	free(s);
}
