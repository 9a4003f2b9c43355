/*
 * slo.c — parsing and judging service level objectives (see slo.h).
 */
#include "slo.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[] = {
    [SLO_P50] = "p50", [SLO_P95] = "p95",   [SLO_P99] = "p99",
    [SLO_MAX] = "max", [SLO_MEAN] = "mean", [SLO_ERRORS] = "errors",
};
#define N_METRICS (sizeof metric_names / sizeof *metric_names)

const char *slo_metric_name(slo_metric_t m)
{
	return (unsigned)m < N_METRICS ? metric_names[m] : "?";
}

__attribute__((format(printf, 5, 6))) static int fail(char *err,
                                                      size_t errsize,
                                                      const char *text,
                                                      const char *term,
                                                      const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (errsize) {
		if (term)
			snprintf(err, errsize, "SLO '%s': term '%s': %s", text,
			         term, why);
		else
			snprintf(err, errsize, "SLO '%s': %s", text, why);
	}
	return -1;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parses one term, |term| (NUL-terminated, trimmed), into |t|. */
static int parse_term(const char *text, const char *term, slo_term_t *t,
                      char *err, size_t errsize)
{
	memset(t, 0, sizeof *t);
	const char *p = term, *colon = strchr(term, ':');
	if (colon) {
		size_t n = (size_t)(colon - term);
		while (n > 0 && (term[n - 1] == ' ' || term[n - 1] == '\t'))
			n--;
		if (n == 0)
			return fail(err, errsize, text, term,
			            "nothing before ':' (expected a route, e.g. "
			            "'GET /cart:p99<300ms')");
		if (n >= sizeof t->route)
			return fail(err, errsize, text, term,
			            "the route is longer than %zu characters",
			            sizeof t->route - 1);
		memcpy(t->route, term, n);
		t->route[n] = '\0';
		p = skip_space(colon + 1);
	}
	size_t mlen = 0;
	while (isalnum((unsigned char)p[mlen]) || p[mlen] == '.')
		mlen++;
	int found = -1;
	for (size_t i = 0; i < N_METRICS; i++)
		if (strlen(metric_names[i]) == mlen &&
		    !strncmp(p, metric_names[i], mlen))
			found = (int)i;
	if (found < 0) {
		if (mlen == 0)
			return fail(err, errsize, text, term,
			            "expected a metric (p50, p95, p99, max, mean "
			            "or errors)");
		return fail(err, errsize, text, term,
		            "unknown metric '%.*s' (the report has p50, p95, "
		            "p99, max, mean and errors)",
		            (int)mlen, p);
	}
	t->metric = (slo_metric_t)found;
	p = skip_space(p + mlen);
	if (*p == '>')
		return fail(err, errsize, text, term,
		            "'>' is a lower bound; an SLO here is an upper "
		            "bound ('<' or '<=')");
	if (*p == '=' && p[1] != '=')
		return fail(err, errsize, text, term,
		            "'=' cannot hold for a measurement; use '<' or '<='");
	if (*p != '<')
		return fail(err, errsize, text, term,
		            "expected '<' or '<=' after '%s'",
		            metric_names[found]);
	p++;
	if (*p == '=') {
		t->inclusive = 1;
		p++;
	}
	p = skip_space(p);
	if (!isdigit((unsigned char)*p) && *p != '.')
		return fail(err, errsize, text, term,
		            "expected a number after '%s'",
		            t->inclusive ? "<=" : "<");
	char *end;
	errno = 0;
	double v = strtod(p, &end);
	if (errno || !isfinite(v) || end == p)
		return fail(err, errsize, text, term, "'%.*s' is not a number",
		            (int)strcspn(p, " \t"), p);
	const char *unit = skip_space(end);
	size_t ulen = strlen(unit);
	while (ulen > 0 && (unit[ulen - 1] == ' ' || unit[ulen - 1] == '\t'))
		ulen--;
	if (t->metric == SLO_ERRORS) {
		if (ulen != 1 || unit[0] != '%')
			return fail(err, errsize, text, term,
			            "an error rate needs '%%' (e.g. errors<1%%)%s",
			            ulen ? ", not a unit" : "");
		if (v > 100)
			return fail(err, errsize, text, term,
			            "an error rate of more than 100%%");
		if (v == 0 && !t->inclusive)
			return fail(err, errsize, text, term,
			            "errors<0%% can never hold (errors<=0%% means "
			            "none)");
		t->limit = v / 100;
	} else {
		double scale;
		if (ulen == 2 && !strncmp(unit, "ms", 2))
			scale = 1;
		else if (ulen == 1 && unit[0] == 's')
			scale = 1e3;
		else if (ulen == 2 && !strncmp(unit, "us", 2))
			scale = 1e-3;
		else if (ulen == 0)
			return fail(err, errsize, text, term,
			            "a latency needs a unit (us, ms or s)");
		else
			return fail(err, errsize, text, term,
			            "unknown unit '%.*s' (us, ms or s)", (int)ulen,
			            unit);
		if (v <= 0)
			return fail(err, errsize, text, term,
			            "a latency limit of 0 can never hold");
		t->limit = v * scale;
	}
	char num[48];
	snprintf(num, sizeof num, "%g%s", v,
	         t->metric == SLO_ERRORS ? "%"
	         : ulen == 1             ? "s"
	         : unit[0] == 'u'        ? "us"
	                                 : "ms");
	snprintf(t->text, sizeof t->text, "%s%s%s%s%s", t->route,
	         t->route[0] ? ":" : "", metric_names[found],
	         t->inclusive ? "<=" : "<", num);
	return 0;
}

int slo_parse(const char *text, slo_t *out, char *err, size_t errsize)
{
	out->terms = NULL;
	out->n = 0;
	if (!text || !*skip_space(text))
		return fail(err, errsize, text ? text : "", NULL,
		            "empty (expected e.g. 'p99<300ms' or "
		            "'p95<=0.5s,errors<1%%')");
	size_t cap = 1;
	for (const char *c = text; *c; c++)
		cap += *c == ',';
	slo_term_t *terms = calloc(cap, sizeof *terms);
	char *copy = strdup(text);
	if (!terms || !copy) {
		free(terms);
		free(copy);
		return fail(err, errsize, text, NULL, "out of memory");
	}
	size_t n = 0;
	char *s = copy;
	for (;;) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		char *b = (char *)skip_space(s);
		size_t len = strlen(b);
		while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\t'))
			b[--len] = '\0';
		int rc = len ? parse_term(text, b, &terms[n], err, errsize)
		             : fail(err, errsize, text, NULL,
		                    "an empty term (two commas, or one at an "
		                    "end)");
		if (rc != 0) {
			free(terms);
			free(copy);
			return -1;
		}
		n++;
		if (!comma)
			break;
		s = comma + 1;
	}
	free(copy);
	out->terms = terms;
	out->n = n;
	return 0;
}

void slo_free(slo_t *s)
{
	if (!s)
		return;
	free(s->terms);
	s->terms = NULL;
	s->n = 0;
}

int slo_term_applies(const slo_term_t *t, const slo_figures_t *f)
{
	return !t->route[0] || !strcmp(t->route, f->route);
}

double slo_term_value(const slo_term_t *t, const slo_figures_t *f)
{
	switch (t->metric) {
	case SLO_P50:
		return f->p50_ms;
	case SLO_P95:
		return f->p95_ms;
	case SLO_P99:
		return f->p99_ms;
	case SLO_MAX:
		return f->max_ms;
	case SLO_MEAN:
		return f->mean_ms;
	case SLO_ERRORS:
		return f->requests ? (double)f->errors / (double)f->requests
		                   : 0;
	}
	return 0;
}

int slo_term_holds(const slo_term_t *t, double value)
{
	return t->inclusive ? value <= t->limit : value < t->limit;
}

double slo_term_ratio(const slo_term_t *t, double value)
{
	if (t->limit > 0)
		return value / t->limit;
	return value > 0 ? 1 + value : 0;
}

const char *slo_format_value(const slo_term_t *t, double value, char *buf,
                             size_t size)
{
	if (t->metric == SLO_ERRORS)
		snprintf(buf, size, "%.2f%%", value * 100);
	else
		snprintf(buf, size, "%.1f ms", value);
	return buf;
}
