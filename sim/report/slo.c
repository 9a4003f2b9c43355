/* sim/report/slo.c: objectives, their two spellings, and their check (see
 * slo.h). */
#include "slo.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	slo_unit_t unit;
	int upper;
} metrics[SLO_N_METRICS] = {
#define SLO_METRIC_ROW_(id, name, unit, upper) {name, unit, upper},
    SLO_METRIC_MAP(SLO_METRIC_ROW_)
#undef SLO_METRIC_ROW_
};

const char *slo_metric_name(slo_metric_t m)
{
	return (unsigned)m < SLO_N_METRICS ? metrics[m].name : NULL;
}

int slo_metric_find(const char *name)
{
	for (int i = 0; i < SLO_N_METRICS; i++)
		if (strcmp(metrics[i].name, name) == 0)
			return i;
	return -1;
}

slo_unit_t slo_metric_unit(slo_metric_t m)
{
	return (unsigned)m < SLO_N_METRICS ? metrics[m].unit : SLO_MS;
}

int slo_metric_upper(slo_metric_t m)
{
	return (unsigned)m < SLO_N_METRICS ? metrics[m].upper : 1;
}

const char *slo_scope_name(slo_scope_t s)
{
	switch (s) {
	case SLO_SCOPE_ROUTE: return "route";
	case SLO_SCOPE_SERVICE: return "service";
	case SLO_SCOPE_WORKLOAD: return "workload";
	default: return "all";
	}
}

int slo_parse_value(slo_metric_t metric, const char *value, double *limit,
                    char *why, size_t whysize)
{
	char *end;
	errno = 0;
	double d = value && *value && !isspace((unsigned char)*value)
	               ? strtod(value, &end)
	               : NAN;
	if (isnan(d) || end == value || errno || !isfinite(d)) {
		snprintf(why, whysize, "\"%s\" is not a %s", value ? value : "",
		         metrics[metric].unit == SLO_MS ? "duration (300ms)"
		                                        : "percentage (1%)");
		return -1;
	}
	if (d < 0) {
		snprintf(why, whysize, "\"%s\" is negative", value);
		return -1;
	}
	if (metrics[metric].unit == SLO_PERCENT) {
		if (strcmp(end, "%") != 0) {
			snprintf(why, whysize,
			         "\"%s\" is not a percentage (write it with %%: "
			         "1%%)",
			         value);
			return -1;
		}
		if (d > 100) {
			snprintf(why, whysize, "\"%s\" is more than 100%%", value);
			return -1;
		}
		*limit = d;
		return 0;
	}
	double scale;
	if (!strcmp(end, "ms"))
		scale = 1;
	else if (!strcmp(end, "s"))
		scale = 1000;
	else if (!strcmp(end, "us"))
		scale = 0.001;
	else {
		snprintf(why, whysize, "\"%s\" needs a unit: us, ms or s",
		         value);
		return -1;
	}
	*limit = d * scale;
	return 0;
}

/* One "FIGURE OP VALUE" of |len| bytes at |p|. */
static int parse_bound(const char *p, size_t len, slo_bound_t *b, char *err,
                       size_t errsize)
{
	char part[128], name[16], value[96], why[160];
	if (len >= sizeof part) {
		snprintf(err, errsize, "\"%.40s...\": too long", p);
		return -1;
	}
	memcpy(part, p, len);
	part[len] = '\0';
	/* Trim: "p99 < 300ms" reads as "p99<300ms". */
	char *s = part, *e = part + len;
	while (*s && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (!*s) {
		snprintf(err, errsize, "an empty objective (in \"%s\")", part);
		return -1;
	}
	size_t nl = strcspn(s, "<>= \t");
	if (nl == 0 || nl >= sizeof name || !s[nl]) {
		snprintf(err, errsize,
		         "\"%s\": expected FIGURE<VALUE, e.g. p99<300ms", s);
		return -1;
	}
	memcpy(name, s, nl);
	name[nl] = '\0';
	int m = slo_metric_find(name);
	if (m < 0) {
		snprintf(err, errsize,
		         "\"%s\": no figure \"%s\" (p50, p95, p99, max, mean, "
		         "errors, success)",
		         s, name);
		return -1;
	}
	const char *o = s + nl;
	while (isspace((unsigned char)*o))
		o++;
	int upper, strict;
	if (o[0] == '<' || o[0] == '>') {
		upper = o[0] == '<';
		strict = o[1] != '=';
		o += strict ? 1 : 2;
	} else {
		snprintf(err, errsize,
		         "\"%s\": expected <, <=, > or >= after %s", s, name);
		return -1;
	}
	if (upper != metrics[m].upper) {
		snprintf(err, errsize, "\"%s\": %s is %s bound: use %s", s,
		         name, metrics[m].upper ? "an upper" : "a lower",
		         metrics[m].upper ? "< or <=" : "> or >=");
		return -1;
	}
	while (isspace((unsigned char)*o))
		o++;
	snprintf(value, sizeof value, "%s", o);
	double limit;
	if (slo_parse_value((slo_metric_t)m, value, &limit, why, sizeof why)) {
		snprintf(err, errsize, "\"%s\": %s", s, why);
		return -1;
	}
	*b = (slo_bound_t){(slo_metric_t)m, strict, limit};
	return 0;
}

int slo_parse_expr(const char *expr, slo_bound_t *out, size_t max,
                   size_t *n, char *err, size_t errsize)
{
	*n = 0;
	if (!expr || !*expr) {
		snprintf(err, errsize,
		         "an empty objective: expected e.g. p99<300ms,errors<1%%");
		return -1;
	}
	for (const char *p = expr;;) {
		size_t len = strcspn(p, ",");
		if (*n == max) {
			snprintf(err, errsize, "more than %zu objectives", max);
			return -1;
		}
		if (parse_bound(p, len, &out[*n], err, errsize) != 0)
			return -1;
		(*n)++;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

void slo_bound_format(const slo_bound_t *b, char *buf, size_t size)
{
	int upper = slo_metric_upper(b->metric);
	const char *op = upper ? (b->strict ? "<" : "<=")
	                       : (b->strict ? ">" : ">=");
	if (slo_metric_unit(b->metric) == SLO_PERCENT)
		snprintf(buf, size, "%s %s %g%%", slo_metric_name(b->metric), op,
		         b->limit);
	else
		snprintf(buf, size, "%s %s %gms", slo_metric_name(b->metric), op,
		         b->limit);
}

double slo_measure(slo_metric_t metric, const slo_figures_t *f)
{
	double err = f->requests
	                 ? 100.0 * (double)f->errors / (double)f->requests
	                 : 0;
	switch (metric) {
	case SLO_P50: return f->p50_ms;
	case SLO_P95: return f->p95_ms;
	case SLO_P99: return f->p99_ms;
	case SLO_MAX: return f->max_ms;
	case SLO_MEAN: return f->mean_ms;
	case SLO_ERRORS: return err;
	case SLO_SUCCESS: return 100.0 - err;
	default: return NAN;
	}
}

int slo_eval(const slo_assert_t *a, const slo_figures_t *f,
             slo_result_t *res)
{
	const slo_bound_t *b = &a->bound;
	double v = slo_measure(b->metric, f);
	int ok;
	if (slo_metric_upper(b->metric))
		ok = b->strict ? v < b->limit : v <= b->limit;
	else
		ok = b->strict ? v > b->limit : v >= b->limit;
	res->measured = v;
	res->requests = f->requests;
	res->pass = f->requests > 0 && ok;
	return res->pass;
}

static void measured_text(const slo_assert_t *a, const slo_result_t *r,
                          char *buf, size_t size)
{
	if (!r->requests)
		snprintf(buf, size, "no requests");
	else if (slo_metric_unit(a->bound.metric) == SLO_PERCENT)
		snprintf(buf, size, "%.2f %%", r->measured);
	else
		snprintf(buf, size, "%.2f ms", r->measured);
}

int slo_write_text(FILE *f, const slo_assert_t *a, const slo_result_t *res,
                   size_t n)
{
	size_t passed = 0;
	fprintf(f, "%-44s %-20s %12s %9s  %s\n", "SLO (scope)", "objective",
	        "measured", "requests", "result");
	for (size_t i = 0; i < n; i++) {
		char scope[160], obj[64], meas[32];
		if (a[i].scope == SLO_SCOPE_ALL)
			snprintf(scope, sizeof scope, "all routes");
		else
			snprintf(scope, sizeof scope, "%s %s",
			         slo_scope_name(a[i].scope), a[i].name);
		slo_bound_format(&a[i].bound, obj, sizeof obj);
		measured_text(&a[i], &res[i], meas, sizeof meas);
		fprintf(f, "%-44s %-20s %12s %9llu  %s\n", scope, obj, meas,
		        (unsigned long long)res[i].requests,
		        res[i].pass ? "PASS" : "FAIL");
		passed += res[i].pass != 0;
	}
	fprintf(f, "slo: %zu of %zu passed: %s\n", passed, n,
	        passed == n ? "PASS" : "FAIL");
	return ferror(f) ? -1 : 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int slo_write_json(FILE *f, const slo_assert_t *a, const slo_result_t *res,
                   size_t n, int indent)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		const slo_bound_t *b = &a[i].bound;
		int upper = slo_metric_upper(b->metric);
		fprintf(f, "%s\n%*s{\"scope\": \"%s\", ", i ? "," : "",
		        indent, "", slo_scope_name(a[i].scope));
		if (a[i].scope != SLO_SCOPE_ALL && a[i].name) {
			fputs("\"name\": ", f);
			json_str(f, a[i].name);
			fputs(", ", f);
		}
		fprintf(f,
		        "\"metric\": \"%s\", \"op\": \"%s\", \"limit\": %.6g, "
		        "\"unit\": \"%s\", ",
		        slo_metric_name(b->metric),
		        upper ? (b->strict ? "<" : "<=")
		              : (b->strict ? ">" : ">="),
		        b->limit,
		        slo_metric_unit(b->metric) == SLO_PERCENT ? "%" : "ms");
		if (res[i].requests)
			fprintf(f, "\"measured\": %.3f, ", res[i].measured);
		else
			fputs("\"measured\": null, ", f);
		fprintf(f, "\"requests\": %llu, \"pass\": %s}",
		        (unsigned long long)res[i].requests,
		        res[i].pass ? "true" : "false");
	}
	if (n)
		fprintf(f, "\n%*s", indent >= 2 ? indent - 2 : 0, "");
	fputc(']', f);
	return ferror(f) ? -1 : 0;
}
