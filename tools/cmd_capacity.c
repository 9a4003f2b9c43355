/*
 * cmd_capacity.c — `meshsim capacity`: the fewest cores of replicas that
 * meet an SLO at a load.
 *
 * Each candidate is one whole `meshsim run` (msim_run_argv, simrun.h) with
 * the same seed, load and duration and `--set <chart>.replicaCount=K` for
 * every service of the shop, so the answer can be checked by pasting its
 * flags into `meshsim run`. The report's JSON gives each route's latency
 * and errors (judged with sim/report/slo.h, the objectives `meshsim run
 * --slo` and scenarios use, here applied to every route) and each
 * service's busiest pod.
 *
 * The search: every service at 1 replica (or the replicaCount the user's
 * --set gives it); while the SLO fails, raise the service whose busiest pod
 * has the highest CPU utilisation (the report's bottleneck rule): double it
 * when that pod is saturated (>= 90 %), else add one. Once the SLO holds,
 * take replicas away again, services with the most cores per pod first,
 * as long as it still holds. Bounded by --max-replicas per service,
 * --max-candidates runs, and a stall rule (four candidates in a row that
 * raised a service under 50 % CPU and did not bring the worst SLO figure
 * nearer its limit: more CPU does not help). Candidates already run are
 * not run again.
 *
 * stdout carries only what follows from the seed (the result); progress,
 * with wall-clock seconds, goes to stderr.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arrivals.h"
#include "loadgenerator/loadgen.h"
#include "meshsim.h"
#include "simrun.h"
#include "slo.h" /* sim/report/slo.h */
#include "values.h"

#define PROG "meshsim capacity"

/* A pod this busy is saturated: adding one replica would barely help. */
#define SATURATED 0.9
/* Candidates in a row without progress before the search gives up; a
 * step counts only when the service it raised was below BUSY (raising a
 * busy one is worth it even when another busy one in series hides the
 * gain). */
#define STALL_MAX 4
#define BUSY 0.5

typedef struct svc {
	const char *chart;
	int64_t limit_m, request_m; /* per pod (with the user's --set) */
	int file_replicas;          /* replicaCount in values.yaml itself */
	int start;                  /* 1, or the user's --set replicaCount */
	int pinned;                 /* the user's --set gave replicaCount */
	int canary;                 /* pods of the canary Deployment (fixed) */
} svc_t;

/* What one term achieved: its worst route. */
typedef struct term_res {
	double value;
	char route[64]; /* "" when no route it applies to had requests */
	int holds;
} term_res_t;

typedef struct cand {
	int *replicas;
	int rc;         /* the run's exit status */
	int meets;
	double worst;   /* the largest value/limit over terms and routes */
	size_t worst_term;
	term_res_t *terms;
	double *util;   /* per service: its busiest pod's CPU utilisation */
	int64_t cores_m;
	uint64_t requests, errors;
	double rps;
} cand_t;

/* One objective of --slo: a bound (sim/report/slo.h) on every route, or
 * on one ("GET /cart:p95<200ms"). */
typedef struct term {
	slo_bound_t b;
	char route[64]; /* "" = every route */
	char text[160]; /* "p99 < 300ms", "GET /cart: p95 <= 200ms" */
} term_t;

typedef struct terms {
	term_t *v;
	size_t n;
} terms_t;

typedef struct cap {
	/* options */
	const char *slo_text;
	terms_t slo;
	unsigned users;
	double rate, spawn_rate;
	const char *duration, *seed, *charts_opt, *profile;
	int64_t duration_ns;
	char charts[PATH_MAX];
	const char **sets;
	size_t n_sets;
	int max_replicas, max_cands, json, quiet;
	/* the shop */
	svc_t *svcs;
	size_t n_svcs;
	/* every candidate run, in order */
	cand_t *cands;
	size_t n_cands, cap_cands;
	struct timespec wall0;
} cap_t;

__attribute__((format(printf, 1, 2))) static int usage_err(const char *fmt,
                                                           ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see meshsim capacity --help)\n");
	va_end(ap);
	return 2;
}

static double wall_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void cand_free(cand_t *c)
{
	free(c->replicas);
	free(c->terms);
	free(c->util);
}

/* ---- the objectives ------------------------------------------------------ */

/* Parses --slo |text|: terms separated by commas, each [ROUTE ":"] and one
 * bound in sim/report/slo's syntax. 0, or -1 with |err| naming the text,
 * the term and the problem; |*out| is then empty. */
static int terms_parse(const char *text, terms_t *out, char *err,
                       size_t errsize)
{
	size_t cap = 1, n = 0;
	out->v = NULL;
	out->n = 0;
	for (const char *p = text; *p; p++)
		cap += *p == ',';
	term_t *v = calloc(cap, sizeof *v);
	if (!v) {
		snprintf(err, errsize, "SLO '%s': out of memory", text);
		return -1;
	}
	for (const char *p = text;; n++) {
		size_t len = strcspn(p, ",");
		char part[256], why[320];
		const char *bound = part;
		term_t *t = &v[n];
		snprintf(part, sizeof part, "%.*s", (int)len, p);
		char *colon = strchr(part, ':');
		if (colon) {
			char *r = part, *e = colon;
			while (*r == ' ' || *r == '\t')
				r++;
			while (e > r && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*e = '\0';
			if (!*r || ld_route_find(r) < 0) {
				snprintf(err, errsize,
				         "SLO '%s': term '%s': %s%s%s (routes: GET /, "
				         "POST /setCurrency, GET /product/[id], POST "
				         "/cart, GET /cart, POST /cart/checkout)",
				         text, p == text && !p[len] ? text : part,
				         *r ? "no route '" : "no route before ':'",
				         *r ? r : "", *r ? "'" : "");
				free(v);
				return -1;
			}
			snprintf(t->route, sizeof t->route, "%.63s", r);
			bound = colon + 1;
		}
		size_t got;
		if (len >= sizeof part ||
		    slo_parse_expr(bound, &t->b, 1, &got, why, sizeof why) != 0) {
			snprintf(err, errsize, "SLO '%s': %s", text,
			         len >= sizeof part ? "a term is too long" : why);
			free(v);
			return -1;
		}
		char b[96];
		slo_bound_format(&t->b, b, sizeof b);
		snprintf(t->text, sizeof t->text, "%s%s%s", t->route,
		         t->route[0] ? ": " : "", b);
		if (!p[len])
			break;
		p += len + 1;
	}
	out->v = v;
	out->n = n + 1;
	return 0;
}

/* 1 when term |t| applies to route |route|. */
static int term_applies(const term_t *t, const char *route)
{
	return !t->route[0] || !strcmp(t->route, route);
}

/* 1 when |value| (slo_measure's) meets the bound. */
static int term_holds(const term_t *t, double value)
{
	if (slo_metric_upper(t->b.metric))
		return t->b.strict ? value < t->b.limit : value <= t->b.limit;
	return t->b.strict ? value > t->b.limit : value >= t->b.limit;
}

/* How much of the bound |value| uses: below 1 (or at 1, inclusive) meets
 * it. For success (a lower bound) the share of the error budget used. */
static double term_ratio(const term_t *t, double value)
{
	double v = value, lim = t->b.limit;
	if (!slo_metric_upper(t->b.metric)) {
		v = 100 - value;
		lim = 100 - t->b.limit;
	}
	if (lim > 0)
		return v / lim;
	return v > 0 ? 1 + v : 0;
}

static const char *term_format(const term_t *t, double value, char *buf,
                               size_t size)
{
	if (slo_metric_unit(t->b.metric) == SLO_PERCENT)
		snprintf(buf, size, "%.2f%%", value);
	else
		snprintf(buf, size, "%.1f ms", value);
	return buf;
}

/* ---- the shop's charts ---------------------------------------------------- */

/* The user's --set assignments for |chart|, without the chart's prefix, in
 * a new NULL-terminated array pointing into the originals (or NULL when
 * out of memory). */
static const char **sets_for(const cap_t *c, const char *chart)
{
	size_t n = 0, cl = strlen(chart);
	const char **v = calloc(c->n_sets + 1, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < c->n_sets; i++)
		if (!strncmp(c->sets[i], chart, cl) && c->sets[i][cl] == '.')
			v[n++] = c->sets[i] + cl + 1;
	return v;
}

/* Reads every shop chart's CPU and replicas: with the user's --set (what
 * each pod will have) and without (what the file says). 0, or 2 with a
 * message naming the file, line and field. */
static int load_charts(cap_t *c)
{
	const char *const *charts = msim_run_charts();
	while (charts[c->n_svcs])
		c->n_svcs++;
	c->svcs = calloc(c->n_svcs, sizeof *c->svcs);
	if (!c->svcs)
		return 1;
	for (size_t i = 0; i < c->n_svcs; i++) {
		svc_t *s = &c->svcs[i];
		char path[PATH_MAX + 64], err[1024];
		cl_values_t *v, *file;
		s->chart = charts[i];
		snprintf(path, sizeof path, "%s/%s/values.yaml", c->charts,
		         s->chart);
		const char **sets = sets_for(c, s->chart);
		if (!sets)
			return 1;
		int rc = cl_values_load(path, sets, &v, err, sizeof err);
		for (size_t k = 0; rc == 0 && sets[k]; k++)
			if (!strncmp(sets[k], "replicaCount=", 13))
				s->pinned = 1;
		free(sets);
		if (rc != 0) {
			fprintf(stderr, PROG ": %s\n", err);
			return 2;
		}
		if (cl_values_load(path, NULL, &file, err, sizeof err) != 0) {
			cl_values_free(v);
			fprintf(stderr, PROG ": %s\n", err);
			return 2;
		}
		if (v->hpa.enabled) {
			/* The HPA would move the replicas the search sets. */
			fprintf(stderr,
			        PROG ": %s: autoscaling.enabled: capacity searches "
			        "fixed replica counts; switch the autoscaler off "
			        "(--set %s.autoscaling.enabled=false)\n",
			        path, s->chart);
			cl_values_free(v);
			cl_values_free(file);
			return 2;
		}
		s->limit_m = v->cpu_limit_m;
		s->request_m = v->cpu_request_m;
		s->file_replicas = file->replicas;
		s->canary = v->canary.enabled ? v->canary.replicas : 0;
		s->start = s->pinned ? v->replicas : 1;
		cl_values_free(v);
		cl_values_free(file);
		if (s->start < 1 || s->start > c->max_replicas) {
			fprintf(stderr,
			        PROG ": --set %s.replicaCount=%d: outside 1 .. "
			        "--max-replicas %d\n",
			        s->chart, s->start, c->max_replicas);
			return 2;
		}
		if (s->limit_m <= 0 && s->request_m <= 0) {
			fprintf(stderr,
			        PROG ": %s: resources.limits.cpu: unset (and no "
			        "request either); capacity counts cores from it\n",
			        path);
			return 2;
		}
	}
	return 0;
}

/* The cores one pod of |s| counts for: its CPU limit, else its request. */
static int64_t pod_m(const svc_t *s)
{
	return s->limit_m > 0 ? s->limit_m : s->request_m;
}

/* Millicores of service |s| at |replicas| (its canary pods included). */
static int64_t svc_m(const svc_t *s, int replicas)
{
	return (int64_t)(replicas + s->canary) * pod_m(s);
}

static int64_t cores_m(const cap_t *c, const int *r)
{
	int64_t m = 0;
	for (size_t i = 0; i < c->n_svcs; i++)
		m += svc_m(&c->svcs[i], r[i]);
	return m;
}

/* ---- one candidate ---------------------------------------------------------- */

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* Judges the report |rep| of candidate |k| against the SLO. */
static void judge(const cap_t *c, json_t *rep, cand_t *k)
{
	json_t *routes = json_object_get(rep, "routes");
	k->requests = (uint64_t)num(rep, "requests");
	k->errors = (uint64_t)num(rep, "errors");
	k->rps = num(rep, "rps");
	k->meets = k->requests > 0;
	k->worst = -1;
	k->worst_term = 0;
	for (size_t t = 0; t < c->slo.n; t++) {
		const term_t *term = &c->slo.v[t];
		term_res_t *res = &k->terms[t];
		int seen = 0;
		double term_worst = 0;
		size_t i;
		json_t *ro;
		json_array_foreach(routes, i, ro) {
			const char *name =
			    json_string_value(json_object_get(ro, "route"));
			slo_figures_t f = {
			    .requests = (uint64_t)num(ro, "requests"),
			    .errors = (uint64_t)num(ro, "errors"),
			    .p50_ms = num(ro, "p50_ms"),
			    .p95_ms = num(ro, "p95_ms"),
			    .p99_ms = num(ro, "p99_ms"),
			    .max_ms = num(ro, "max_ms"),
			    .mean_ms = num(ro, "mean_ms"),
			};
			if (!name || !f.requests || !term_applies(term, name))
				continue;
			double v = slo_measure(term->b.metric, &f);
			double ratio = term_ratio(term, v);
			/* The term's worst route: the one using most of
			 * the bound (the highest latency, the lowest
			 * success). */
			if (!seen || ratio > term_worst) {
				term_worst = ratio;
				res->value = v;
				snprintf(res->route, sizeof res->route, "%s",
				         name);
			}
			seen = 1;
			if (ratio > k->worst) {
				k->worst = ratio;
				k->worst_term = t;
			}
		}
		/* A term whose route saw no request is not met: nothing
		 * shows it holds. */
		res->holds = seen && term_holds(term, res->value);
		if (!seen) {
			k->worst = INFINITY;
			k->worst_term = t;
		}
		if (!res->holds)
			k->meets = 0;
	}
	if (k->worst < 0)
		k->worst = 0;
	if (!k->requests)
		k->worst = INFINITY;
	json_t *svcs = json_object_get(rep, "services");
	size_t i;
	json_t *so;
	json_array_foreach(svcs, i, so) {
		const char *name =
		    json_string_value(json_object_get(so, "service"));
		for (size_t s = 0; name && s < c->n_svcs; s++)
			if (!strcmp(name, c->svcs[s].chart))
				k->util[s] = num(so, "max_pod_utilisation");
	}
}

/* Runs candidate |r| (copied), or finds it among those already run.
 * Returns its index, or -1 (out of memory; the run's own failure is
 * cand_t.rc). */
static long run_candidate(cap_t *c, const int *r, const char *why)
{
	for (size_t i = 0; i < c->n_cands; i++)
		if (!memcmp(c->cands[i].replicas, r,
		            c->n_svcs * sizeof *r)) {
			if (!c->quiet)
				fprintf(stderr,
				        PROG ": %s: already run as #%zu: %s\n",
				        why, i + 1,
				        c->cands[i].meets ? "meets the SLO"
				                          : "misses the SLO");
			return (long)i;
		}
	if (c->n_cands == c->cap_cands) {
		size_t n = c->cap_cands ? 2 * c->cap_cands : 16;
		cand_t *v = realloc(c->cands, n * sizeof *v);
		if (!v)
			return -1;
		c->cands = v;
		c->cap_cands = n;
	}
	cand_t *k = &c->cands[c->n_cands];
	memset(k, 0, sizeof *k);
	k->replicas = malloc(c->n_svcs * sizeof *k->replicas);
	k->terms = calloc(c->slo.n, sizeof *k->terms);
	k->util = calloc(c->n_svcs, sizeof *k->util);
	/* "run" + fixed options + the user's sets + one per service. */
	size_t max_args = 16 + 2 * (c->n_sets + c->n_svcs);
	const char **argv = calloc(max_args, sizeof *argv);
	char *sets = malloc(c->n_svcs * 96);
	if (!k->replicas || !k->terms || !k->util || !argv || !sets) {
		cand_free(k);
		free((void *)argv);
		free(sets);
		return -1;
	}
	memcpy(k->replicas, r, c->n_svcs * sizeof *r);
	k->cores_m = cores_m(c, r);
	char users[32], rate[48];
	int n = 0;
	argv[n++] = "run";
	argv[n++] = "--quiet";
	argv[n++] = "--json";
	argv[n++] = "--seed";
	argv[n++] = c->seed;
	argv[n++] = "--duration";
	argv[n++] = c->duration;
	if (c->users) {
		snprintf(users, sizeof users, "%u", c->users);
		argv[n++] = "--users";
		argv[n++] = users;
		snprintf(rate, sizeof rate, "%.17g", c->spawn_rate);
		argv[n++] = "--spawn-rate";
		argv[n++] = rate;
	} else {
		snprintf(rate, sizeof rate, "%.17g", c->rate);
		argv[n++] = "--rate";
		argv[n++] = rate;
	}
	argv[n++] = "--charts";
	argv[n++] = c->charts;
	if (c->profile) {
		argv[n++] = "--profile";
		argv[n++] = c->profile;
	}
	for (size_t i = 0; i < c->n_sets; i++) {
		argv[n++] = "--set";
		argv[n++] = c->sets[i];
	}
	for (size_t i = 0; i < c->n_svcs; i++) {
		char *s = sets + 96 * i;
		snprintf(s, 96, "%s.replicaCount=%d", c->svcs[i].chart, r[i]);
		argv[n++] = "--set";
		argv[n++] = s;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	/* meshsim run only reads its argv. */
	k->rc = mf ? msim_run_argv(n, (char **)argv, mf) : 1;
	if (mf)
		fclose(mf);
	free((void *)argv);
	free(sets);
	json_error_t jerr;
	json_t *rep = k->rc == 0 && buf ? json_loadb(buf, len, 0, &jerr) : NULL;
	free(buf);
	if (k->rc == 0 && !rep) {
		fprintf(stderr, PROG ": the run's report is not JSON: %d:%d: %s\n",
		        jerr.line, jerr.column, jerr.text);
		k->rc = 1;
	}
	if (rep)
		judge(c, rep, k);
	else
		k->worst = INFINITY;
	json_decref(rep);
	c->n_cands++;

	if (!c->quiet) {
		char what[512] = "", val[48];
		if (k->rc == 0) {
			const term_t *t = &c->slo.v[k->worst_term];
			const term_res_t *res = &k->terms[k->worst_term];
			if (res->route[0])
				snprintf(what, sizeof what, "%s %s on %s",
				         slo_metric_name(t->b.metric),
				         term_format(t, res->value, val,
				                     sizeof val),
				         res->route);
			else
				snprintf(what, sizeof what,
				         "no requests for %s", t->text);
		} else {
			snprintf(what, sizeof what, "the run failed (exit %d)",
			         k->rc);
		}
		fprintf(stderr,
		        PROG ": #%zu %s: %s, %.3f cores: %s (%.1f s)\n",
		        c->n_cands, why, what, (double)k->cores_m / 1000,
		        k->rc ? "failed" : k->meets ? "meets the SLO"
		                                    : "misses the SLO",
		        wall_since(&t0));
	}
	return (long)c->n_cands - 1;
}

/* ---- the search ----------------------------------------------------------- */

typedef enum { FOUND, INFEASIBLE, FAILED } outcome_t;

/* The better of two candidates: meeting the SLO, then fewer cores; else
 * nearer the limits. */
static int better(const cand_t *a, const cand_t *b)
{
	if (a->rc != b->rc)
		return a->rc == 0;
	if (a->meets != b->meets)
		return a->meets;
	if (a->meets)
		return a->cores_m < b->cores_m;
	/* Within 5 % of each other is within the noise of a short run:
	 * then the cheaper one. */
	if (fabs(a->worst - b->worst) <= 0.05 * fmin(a->worst, b->worst))
		return a->cores_m < b->cores_m;
	return a->worst < b->worst;
}

static int by_pod_cores(const void *pa, const void *pb, void *user)
{
	const svc_t *s = user;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int64_t ma = pod_m(&s[a]), mb = pod_m(&s[b]);
	if (ma != mb)
		return ma > mb ? -1 : 1;
	return strcmp(s[a].chart, s[b].chart);
}

/* Insertion sort: qsort_r's argument order differs between libcs. */
static void sort_indexes(size_t *idx, size_t n, const svc_t *s)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && by_pod_cores(&idx[j - 1], &idx[j],
		                                         (void *)s) > 0;
		     j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

/* Runs the search; |*result| is the index of the answer (FOUND) or of the
 * best candidate (INFEASIBLE), |why| says why it stopped. */
static outcome_t search(cap_t *c, long *result, char *why, size_t whysize)
{
	int *r = malloc(c->n_svcs * sizeof *r);
	size_t *order = malloc(c->n_svcs * sizeof *order);
	if (!r || !order) {
		free(r);
		free(order);
		snprintf(why, whysize, "out of memory");
		return FAILED;
	}
	outcome_t out = INFEASIBLE;
	for (size_t i = 0; i < c->n_svcs; i++)
		r[i] = c->svcs[i].start;
	char label[256];
	snprintf(label, sizeof label, "%s",
	         "every service at its starting replicas");
	long cur = run_candidate(c, r, label), best = cur;
	double nearest = cur >= 0 ? c->cands[cur].worst : INFINITY;
	int stall = 0;
	*why = '\0';

	/* Raise the bottleneck until the SLO holds. */
	while (cur >= 0 && c->cands[cur].rc == 0 && !c->cands[cur].meets) {
		if (msim_run_interrupted()) {
			snprintf(why, whysize, "interrupted");
			break;
		}
		const cand_t *k = &c->cands[cur];
		long pick = -1;
		for (size_t i = 0; i < c->n_svcs; i++)
			if (r[i] < c->max_replicas &&
			    (pick < 0 || k->util[i] > k->util[pick]))
				pick = (long)i;
		if (pick < 0) {
			snprintf(why, whysize,
			         "every service is at --max-replicas %d",
			         c->max_replicas);
			break;
		}
		size_t top = 0;
		for (size_t i = 1; i < c->n_svcs; i++)
			if (k->util[i] > k->util[top])
				top = i;
		if (r[top] >= c->max_replicas && k->util[top] >= SATURATED) {
			snprintf(why, whysize,
			         "%s is at --max-replicas %d with its busiest pod "
			         "at %.0f%% CPU",
			         c->svcs[top].chart, c->max_replicas,
			         100 * k->util[top]);
			break;
		}
		if (c->n_cands >= (size_t)c->max_cands) {
			snprintf(why, whysize,
			         "the search stopped at --max-candidates %d",
			         c->max_cands);
			break;
		}
		if (stall >= STALL_MAX) {
			double busiest = 0;
			for (size_t i = 0; i < c->n_svcs; i++)
				busiest = fmax(busiest, k->util[i]);
			snprintf(why, whysize,
			         "%d candidates in a row with more replicas of "
			         "services under %.0f%% CPU came no nearer the SLO; "
			         "the busiest pod is at %.0f%% CPU, "
			         "so what is left is not queueing for CPU (a larger "
			         "CPU limit per pod, or a looser SLO, might do)",
			         STALL_MAX, 100 * BUSY, 100 * busiest);
			break;
		}
		double pick_util = k->util[pick];
		int from = r[pick];
		int to = k->util[pick] >= SATURATED ? 2 * from : from + 1;
		if (to > c->max_replicas)
			to = c->max_replicas;
		r[pick] = to;
		snprintf(label, sizeof label, "%s %d->%d (%.0f%% CPU)",
		         c->svcs[pick].chart, from, to, 100 * k->util[pick]);
		cur = run_candidate(c, r, label);
		if (cur < 0)
			break;
		if (c->cands[cur].worst < nearest * 0.99 || c->cands[cur].meets)
			stall = 0;
		else if (pick_util < BUSY)
			stall++;
		nearest = fmin(nearest, c->cands[cur].worst);
		if (better(&c->cands[cur], &c->cands[best]))
			best = cur;
	}
	if (cur < 0) {
		snprintf(why, whysize, "out of memory");
		out = FAILED;
	} else if (c->cands[cur].rc != 0) {
		snprintf(why, whysize, "a run failed (exit %d)",
		         c->cands[cur].rc);
		out = c->cands[cur].rc == 2 ? FAILED : INFEASIBLE;
	} else if (c->cands[cur].meets) {
		/* Take replicas away, the most cores per pod first, while the
		 * SLO still holds. */
		out = FOUND;
		best = cur;
		for (size_t i = 0; i < c->n_svcs; i++)
			order[i] = i;
		sort_indexes(order, c->n_svcs, c->svcs);
		int changed = 1;
		while (changed && out == FOUND) {
			changed = 0;
			for (size_t j = 0; j < c->n_svcs; j++) {
				size_t i = order[j];
				while (r[i] > 1 &&
				       c->n_cands < (size_t)c->max_cands &&
				       !msim_run_interrupted()) {
					r[i]--;
					snprintf(label, sizeof label,
					         "%s %d->%d", c->svcs[i].chart,
					         r[i] + 1, r[i]);
					size_t before = c->n_cands;
					long k = run_candidate(c, r, label);
					if (k < 0) {
						out = FAILED;
						snprintf(why, whysize,
						         "out of memory");
						break;
					}
					if (c->cands[k].rc == 0 &&
					    c->cands[k].meets) {
						best = k;
						changed |= c->n_cands > before;
						continue;
					}
					r[i]++;
					break;
				}
				if (out != FOUND)
					break;
			}
		}
	}
	*result = best;
	free(r);
	free(order);
	return out;
}

/* ---- the result ------------------------------------------------------------ */

static json_t *jround(double v, double unit)
{
	return json_real(round(v / unit) * unit);
}

/* "k8s/charts" when the charts were found, else what --charts said. */
static const char *charts_shown(const cap_t *c)
{
	return c->charts_opt ? c->charts_opt : "k8s/charts";
}

/* The chart must be set on the command line: it differs from the file,
 * or the user's own --set gave it a replicaCount. */
static int needs_set(const cap_t *c, const int *r, size_t i)
{
	return r[i] != c->svcs[i].file_replicas || c->svcs[i].pinned;
}

static void print_text(const cap_t *c, outcome_t out, const cand_t *k,
                       const char *why)
{
	char load[96];
	if (c->users)
		snprintf(load, sizeof load,
		         "%u users (closed loop, %g started per second)", c->users,
		         c->spawn_rate);
	else
		snprintf(load, sizeof load, "%g arrivals/s (open loop)",
		         c->rate);
	int total = 0;
	for (size_t i = 0; i < c->n_svcs; i++)
		total += k->replicas[i];
	if (out == FOUND)
		printf("%s meets %s with %d replicas, %.3f cores (CPU limits), "
		       "after %zu candidate%s\n",
		       load, c->slo_text, total, (double)k->cores_m / 1000,
		       c->n_cands, c->n_cands == 1 ? "" : "s");
	else
		printf("no configuration within %d replicas per service meets "
		       "%s at %s; best: %d replicas, %.3f cores, after %zu "
		       "candidate%s\nwhy: %s\n",
		       c->max_replicas, c->slo_text, load, total,
		       (double)k->cores_m / 1000, c->n_cands,
		       c->n_cands == 1 ? "" : "s", why);
	printf("seed %s, %s of virtual time per candidate\n\n", c->seed,
	       c->duration);
	printf("%-24s %8s %10s %8s %10s\n", "service", "replicas",
	       "cpu/pod", "cores", "busiest");
	int canaries = 0;
	for (size_t i = 0; i < c->n_svcs; i++) {
		char reps[32];
		snprintf(reps, sizeof reps, "%d%s", k->replicas[i],
		         c->svcs[i].canary ? "+c" : "");
		canaries |= c->svcs[i].canary;
		printf("%-24s %8s %9.3fc %8.3f %9.1f%%\n", c->svcs[i].chart,
		       reps, (double)pod_m(&c->svcs[i]) / 1000,
		       (double)svc_m(&c->svcs[i], k->replicas[i]) / 1000,
		       100 * k->util[i]);
	}
	printf("%-24s %8d %10s %8.3f\n", "total", total, "",
	       (double)k->cores_m / 1000);
	if (canaries)
		printf("(+c: the chart's canary Deployment, counted in cores, "
		       "not searched)\n");
	putchar('\n');
	if (k->rc == 0) {
		int w = 16;
		for (size_t t = 0; t < c->slo.n; t++)
			if ((int)strlen(c->slo.v[t].text) > w)
				w = (int)strlen(c->slo.v[t].text);
		printf("%-*s  %-22s %12s\n", w, "SLO", "worst route",
		       "achieved");
		for (size_t t = 0; t < c->slo.n; t++) {
			char val[48];
			const term_res_t *res = &k->terms[t];
			printf("%-*s  %-22s %12s  %s\n", w, c->slo.v[t].text,
			       res->route[0] ? res->route : "(no requests)",
			       res->route[0]
			           ? term_format(&c->slo.v[t], res->value, val,
			                         sizeof val)
			           : "-",
			       res->holds ? "ok" : "MISSED");
		}
		printf("(%llu requests, %llu errors, %.1f requests/s)\n\n",
		       (unsigned long long)k->requests,
		       (unsigned long long)k->errors, k->rps);
	}
	int any = 0;
	printf("--set flags (for meshsim run, on top of yours):\n ");
	for (size_t i = 0; i < c->n_svcs; i++)
		if (needs_set(c, k->replicas, i)) {
			printf(" --set %s.replicaCount=%d", c->svcs[i].chart,
			       k->replicas[i]);
			any = 1;
		}
	printf("%s\n\nvalues overrides:\n", any ? "" : " (none: the charts' own)");
	any = 0;
	for (size_t i = 0; i < c->n_svcs; i++)
		if (k->replicas[i] != c->svcs[i].file_replicas) {
			printf("# %s/%s/values.yaml\nreplicaCount: %d\n",
			       charts_shown(c), c->svcs[i].chart,
			       k->replicas[i]);
			any = 1;
		}
	if (!any)
		printf("(none: every chart's replicaCount already is)\n");
}

static int print_json(const cap_t *c, outcome_t out, const cand_t *k,
                      const char *why)
{
	json_t *o = json_object();
	json_object_set_new(o, "feasible", json_boolean(out == FOUND));
	if (out != FOUND)
		json_object_set_new(o, "reason", json_string(why));
	json_object_set_new(o, "slo", json_string(c->slo_text));
	json_t *load = json_object();
	if (c->users) {
		json_object_set_new(load, "kind", json_string("users"));
		json_object_set_new(load, "users", json_integer(c->users));
		json_object_set_new(load, "spawn_rate", json_real(c->spawn_rate));
	} else {
		json_object_set_new(load, "kind", json_string("rate"));
		json_object_set_new(load, "rate", json_real(c->rate));
	}
	json_object_set_new(o, "load", load);
	json_object_set_new(o, "seed",
	                    json_integer((json_int_t)strtoll(c->seed, NULL, 10)));
	json_object_set_new(o, "duration", json_string(c->duration));
	json_object_set_new(o, "duration_seconds",
	                    jround((double)c->duration_ns / 1e9, 1e-3));
	json_object_set_new(o, "max_replicas", json_integer(c->max_replicas));
	json_object_set_new(o, "candidates", json_integer((json_int_t)c->n_cands));
	json_object_set_new(o, "cores", jround((double)k->cores_m / 1000, 1e-3));
	json_object_set_new(o, "cores_from",
	                    json_string("resources.limits.cpu"));
	json_t *svcs = json_array(), *sets = json_array(),
	       *values = json_array();
	int total = 0;
	for (size_t i = 0; i < c->n_svcs; i++) {
		json_t *s = json_object();
		const svc_t *sv = &c->svcs[i];
		total += k->replicas[i];
		json_object_set_new(s, "service", json_string(sv->chart));
		json_object_set_new(s, "replicas", json_integer(k->replicas[i]));
		json_object_set_new(s, "chart_replicas",
		                    json_integer(sv->file_replicas));
		json_object_set_new(s, "cpu_per_pod",
		                    jround((double)pod_m(sv) / 1000, 1e-3));
		json_object_set_new(s, "canary_replicas", json_integer(sv->canary));
		json_object_set_new(
		    s, "cores", jround((double)svc_m(sv, k->replicas[i]) / 1000,
		                       1e-3));
		json_object_set_new(s, "max_pod_utilisation",
		                    jround(k->util[i], 1e-4));
		json_array_append_new(svcs, s);
		char set[160];
		snprintf(set, sizeof set, "%s.replicaCount=%d", sv->chart,
		         k->replicas[i]);
		if (needs_set(c, k->replicas, i))
			json_array_append_new(sets, json_string(set));
		if (k->replicas[i] != sv->file_replicas) {
			char file[PATH_MAX + 64];
			snprintf(file, sizeof file, "%s/%s/values.yaml",
			         charts_shown(c), sv->chart);
			json_t *v = json_object();
			json_object_set_new(v, "file", json_string(file));
			json_object_set_new(v, "replicaCount",
			                    json_integer(k->replicas[i]));
			json_array_append_new(values, v);
		}
	}
	json_object_set_new(o, "replicas", json_integer(total));
	json_object_set_new(o, "services", svcs);
	json_t *terms = json_array();
	for (size_t t = 0; k->rc == 0 && t < c->slo.n; t++) {
		const term_t *term = &c->slo.v[t];
		const term_res_t *res = &k->terms[t];
		json_t *j = json_object();
		json_object_set_new(j, "term", json_string(term->text));
		json_object_set_new(j, "route", term->route[0]
		                                    ? json_string(term->route)
		                                    : json_null());
		json_object_set_new(j, "metric",
		                    json_string(slo_metric_name(term->b.metric)));
		json_object_set_new(j, "op",
		                    json_string(slo_metric_upper(term->b.metric)
		                                    ? (term->b.strict ? "<" : "<=")
		                                    : (term->b.strict ? ">" : ">=")));
		json_object_set_new(j, "unit",
		                    json_string(slo_metric_unit(term->b.metric) ==
		                                        SLO_PERCENT
		                                    ? "%"
		                                    : "ms"));
		json_object_set_new(j, "limit", jround(term->b.limit, 1e-6));
		json_object_set_new(j, "worst_route",
		                    res->route[0] ? json_string(res->route)
		                                  : json_null());
		json_object_set_new(j, "achieved", jround(res->value, 1e-4));
		json_object_set_new(j, "holds", json_boolean(res->holds));
		json_array_append_new(terms, j);
	}
	json_object_set_new(o, "slo_results", terms);
	json_object_set_new(o, "set", sets);
	json_object_set_new(o, "values", values);
	json_t *hist = json_array();
	for (size_t i = 0; i < c->n_cands; i++) {
		const cand_t *h = &c->cands[i];
		json_t *j = json_object(), *rep = json_object();
		for (size_t s = 0; s < c->n_svcs; s++)
			json_object_set_new(rep, c->svcs[s].chart,
			                    json_integer(h->replicas[s]));
		json_object_set_new(j, "replicas", rep);
		json_object_set_new(j, "cores",
		                    jround((double)h->cores_m / 1000, 1e-3));
		json_object_set_new(j, "meets", json_boolean(h->meets));
		json_object_set_new(j, "worst_ratio",
		                    isfinite(h->worst) ? jround(h->worst, 1e-4)
		                                       : json_null());
		json_array_append_new(hist, j);
	}
	json_object_set_new(o, "history", hist);
	int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(o);
	if (rc == 0)
		putchar('\n');
	return rc;
}

/* ---- options ---------------------------------------------------------------- */

static int capacity_exec(int argc, char **argv)
{
	cap_t c = {.max_replicas = 10, .max_cands = 60, .duration = "5m",
	           .duration_ns = (int64_t)300 * 1000000000, .seed = "1"};
	int rc = 2;
	c.sets = calloc((size_t)argc + 1, sizeof *c.sets);
	if (!c.sets)
		return 1;
#define USAGE(...) do { rc = usage_err(__VA_ARGS__); goto done; } while (0)
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;
		if (!strcmp(a, "--json")) {
			c.json = 1;
			continue;
		}
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			c.quiet = 1;
			continue;
		}
		static const char *const valued[] = {
		    "--users", "--spawn-rate", "--rate", "--slo", "--duration", "--seed",
		    "--charts", "--profile", "--set", "--max-replicas",
		    "--max-candidates", NULL};
		int known = 0;
		for (const char *const *o = valued; *o; o++)
			known |= !strcmp(a, *o);
		if (!known)
			USAGE("%s '%s'", a[0] == '-' ? "unknown option"
			                             : "unexpected argument", a);
		if (!v)
			USAGE("option '%s' needs a value", a);
		i++;
		if (!strcmp(a, "--users")) {
			long n = strtol(v, &end, 10);
			if (!*v || *end || n < 1 || n > 10000000)
				USAGE("--users: '%s' is not a whole number from 1",
				      v);
			c.users = (unsigned)n;
		} else if (!strcmp(a, "--spawn-rate")) {
			c.spawn_rate = strtod(v, &end);
			if (!*v || *end || !(c.spawn_rate > 0) ||
			    !isfinite(c.spawn_rate))
				USAGE("--spawn-rate: '%s' is not a positive number", v);
		} else if (!strcmp(a, "--rate")) {
			c.rate = strtod(v, &end);
			if (!*v || *end || !(c.rate > 0) || !isfinite(c.rate))
				USAGE("--rate: '%s' is not a positive number of "
				      "requests per second", v);
		} else if (!strcmp(a, "--slo")) {
			c.slo_text = v;
		} else if (!strcmp(a, "--duration")) {
			rt_time_t d;
			const char *why;
			if (loadgen_parse_duration(v, &d, &why) != 0 || d <= 0)
				USAGE("--duration: '%s' is not a positive duration "
				      "(e.g. 30s, 5m)", v);
			c.duration = v;
			c.duration_ns = (int64_t)d;
		} else if (!strcmp(a, "--seed")) {
			errno = 0;
			strtoll(v, &end, 10);
			if (!*v || *end || errno || v[0] == '-')
				USAGE("--seed: '%s' is not a non-negative integer",
				      v);
			c.seed = v;
		} else if (!strcmp(a, "--charts")) {
			c.charts_opt = v;
		} else if (!strcmp(a, "--profile")) {
			c.profile = v;
		} else if (!strcmp(a, "--set")) {
			const char *dot = strchr(v, '.');
			int chart = dot && (size_t)(dot - v) == 13 &&
			            !strncmp(v, "loadgenerator", 13);
			for (const char *const *ch = msim_run_charts();
			     dot && *ch; ch++)
				chart |= strlen(*ch) == (size_t)(dot - v) &&
				         !strncmp(v, *ch, (size_t)(dot - v));
			if (!chart || !strchr(v, '='))
				USAGE("--set %s: expected <chart>.<key>=<value> with "
				      "a chart of the shop (or loadgenerator)", v);
			c.sets[c.n_sets++] = v;
		} else {
			long n = strtol(v, &end, 10);
			int cands = !strcmp(a, "--max-candidates");
			if (!*v || *end || n < 1 || n > (cands ? 10000 : 1000))
				USAGE("%s: '%s' is not a whole number from 1 to %d",
				      a, v, cands ? 10000 : 1000);
			if (cands)
				c.max_cands = (int)n;
			else
				c.max_replicas = (int)n;
		}
	}
	if (!c.slo_text)
		USAGE("--slo is required, e.g. --slo 'p99<300ms'");
	if (!c.users && !(c.rate > 0))
		USAGE("the load is required: --users N (closed loop) or --rate R "
		      "(open loop)");
	if (c.users && c.rate > 0)
		USAGE("--users (closed loop) and --rate (open loop) exclude each "
		      "other");
	if (c.spawn_rate > 0 && !c.users)
		USAGE("--spawn-rate is for --users");
	/* Every user started within ten virtual seconds: the SLO is about
	 * the load at N users, not the ramp to it. */
	if (c.users && !(c.spawn_rate > 0))
		c.spawn_rate = c.users >= 10 ? (double)c.users / 10 : 1;
	char err[1024];
	if (terms_parse(c.slo_text, &c.slo, err, sizeof err) != 0) {
		fprintf(stderr, PROG ": --slo: %s\n", err);
		goto done;
	}
	if (c.charts_opt) {
		snprintf(c.charts, sizeof c.charts, "%s", c.charts_opt);
	} else if (msim_find_data("k8s/charts", 1, c.charts, sizeof c.charts)) {
		fprintf(stderr, PROG ": cannot find k8s/charts next to meshsim, "
		                     "in its parent or in its source tree; pass "
		                     "--charts DIR\n");
		goto done;
	}
	if ((rc = load_charts(&c)) != 0)
		goto done;
#undef USAGE

	clock_gettime(CLOCK_MONOTONIC, &c.wall0);
	if (!c.quiet)
		fprintf(stderr,
		        PROG ": searching replicas for %s at %g %s, %s virtual "
		        "per candidate, seed %s\n",
		        c.slo_text, c.users ? (double)c.users : c.rate,
		        c.users ? "users" : "arrivals/s", c.duration, c.seed);
	char why[256];
	long best = -1;
	outcome_t out = search(&c, &best, why, sizeof why);
	if (out == FAILED && (best < 0 || c.cands[best].rc == 2)) {
		fprintf(stderr, PROG ": %s\n", why);
		rc = best >= 0 ? 2 : 1;
		goto done;
	}
	if (msim_run_interrupted()) {
		/* The last candidate saw only part of its virtual time: no
		 * result can be trusted. */
		fprintf(stderr, PROG ": interrupted after %zu candidates; no "
		                "result\n", c.n_cands);
		rc = 1;
		goto done;
	}
	const cand_t *k = &c.cands[best];
	if (!c.quiet)
		fprintf(stderr,
		        PROG ": %s after %zu candidates in %.1f s of wall time\n",
		        out == FOUND ? "done" : "no answer", c.n_cands,
		        wall_since(&c.wall0));
	int wrc = c.json ? print_json(&c, out, k, why)
	                 : (print_text(&c, out, k, why), 0);
	if (fflush(stdout) != 0 || wrc != 0) {
		fprintf(stderr, PROG ": cannot write the result: %s\n",
		        strerror(errno));
		rc = 1;
		goto done;
	}
	rc = out == FOUND ? 0 : 1;
done:
	for (size_t i = 0; i < c.n_cands; i++)
		cand_free(&c.cands[i]);
	free(c.cands);
	free(c.svcs);
	free(c.sets);
	free(c.slo.v);
	return rc;
}

const msim_cmd_t msim_cmd_capacity = {
    .name = "capacity",
    .args = "--slo EXPR (--users N [--spawn-rate R] | --rate R) [--duration D] "
            "[--seed N] "
            "[--charts DIR] [--profile FILE] [--set chart.key=value ...] "
            "[--max-replicas K] [--max-candidates N] [--json] [--quiet]",
    .summary = "search the fewest cores of replicas that meet an SLO",
    .help =
        "Searches the replica count of every service of the shop for the\n"
        "configuration with the fewest cores that meets the SLO at the load,\n"
        "and prints it with the chart overrides that apply it. Each candidate\n"
        "is one whole `meshsim run` in virtual time with the same seed, load and\n"
        "duration and --set <chart>.replicaCount=K for every service, so pasting\n"
        "the printed --set flags into `meshsim run` gives the same figures.\n"
        "\n"
        "Cores are the sum over pods of the chart's resources.limits.cpu (the\n"
        "CPU the simulator gives a pod; requests when a chart sets no limit),\n"
        "with your --set applied. The load generator is not counted; a chart's\n"
        "canary Deployment is counted at its own replicaCount, not searched.\n"
        "A chart with autoscaling enabled is refused: the HPA would move the\n"
        "replicas the search sets.\n"
        "\n"
        "The search: every service at 1 replica (or the replicaCount your --set\n"
        "gives it); while the SLO is missed, raise the service whose busiest pod\n"
        "has the highest CPU utilisation (double it when that pod is at 90 % or\n"
        "more, else one more); once it holds, take replicas away again, the\n"
        "services with the most cores per pod first, while it still holds. It\n"
        "stops without an answer at --max-replicas for every service, after\n"
        "--max-candidates runs, or after four candidates in a row that raised a\n"
        "service under 50 % CPU and came no nearer the SLO (then it is not CPU\n"
        "that is short).\n"
        "\n"
        "SLO: objectives separated by commas, in the syntax of meshsim run --slo\n"
        "(FIGURE OP VALUE; p50 p95 p99 max mean with us, ms or s; errors with %\n"
        "as upper bounds < <=, success with % as a lower bound > >=). Unlike\n"
        "meshsim run --slo, which judges all requests together, each objective\n"
        "here must hold on every route of the shop (GET /, GET /product/[id],\n"
        "POST /cart, ...) on its own, or on one route when prefixed with it and\n"
        "a colon:\n"
        "  p99<300ms   p95<=0.5s   p50<100ms   max<2s   errors<1%   success>=99%\n"
        "  'p99<300ms,errors<1%'   'p95<200ms,POST /cart/checkout:p99<1s'\n"
        "errors: the share of a route's requests that failed (transport errors\n"
        "and HTTP status >= 400).\n"
        "\n"
        "options:\n"
        "  --slo EXPR          the objective (required)\n"
        "  --users N           closed loop: N users of the loadgenerator chart\n"
        "  --spawn-rate R      with --users: users started per second (default\n"
        "                      N/10, so all run after ten virtual seconds)\n"
        "  --rate R            open loop: R arrivals per second at the frontend\n"
        "                      (Poisson, the Locust request mix); one of the two\n"
        "  --duration D        virtual time of load per candidate (default 5m)\n"
        "  --seed N            the seed of every candidate (default 1)\n"
        "  --charts DIR        the charts (default: k8s/charts, found as by\n"
        "                      meshsim run)\n"
        "  --profile FILE      the cost profile (default: meshsim run's)\n"
        "  --set C.K=V         helm --set for chart C (repeatable), applied to\n"
        "                      every candidate: e.g. a CPU limit to size for\n"
        "  --max-replicas K    at most K replicas per service (default 10)\n"
        "  --max-candidates N  at most N runs (default 60)\n"
        "  --json              the result as JSON (feasible, cores, services,\n"
        "                      slo_results, set, values, history); no wall-clock\n"
        "                      figure in it\n"
        "  --quiet, -q         no progress on stderr\n"
        "\n"
        "Progress goes to stderr, a line per candidate: what changed, the worst\n"
        "SLO figure and its route, the cores, and the wall time it took. The\n"
        "result goes to stdout: a table per service (replicas, CPU per pod,\n"
        "cores, its busiest pod's utilisation), the SLO figures achieved, the\n"
        "--set flags for meshsim run and a values.yaml snippet per chart. The\n"
        "same seed gives the same result, byte for byte.\n"
        "\n"
        "Exit status: 0 found, 1 no configuration within the bounds meets the\n"
        "SLO (the best one found is printed) or a run failed, 2 bad usage, a\n"
        "bad SLO, a bad chart or --set.\n",
    .exec = capacity_exec,
};
