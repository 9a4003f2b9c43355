/* sim/report/report.c: observations into per-route, per-service and per-pod
 * figures; the table and the JSON (see report.h). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "arrivals.h"
#include "loadgenerator/loadgen_stats.h"
#include "slo.h"

/* Distinct statuses kept per entry; later ones count as "other". */
#define RP_MAX_STATUS 12

typedef struct rp_status {
	int key; /* an HTTP status (100..599), or 1000 + an rt status */
	uint64_t n;
} rp_status_t;

typedef struct rp_stat {
	char *key;
	uint64_t n, errors, other_status;
	rt_time_t total, max, min;
	size_t n_status;
	rp_status_t status[RP_MAX_STATUS];
	loadgen_hist_t hist;
} rp_stat_t;

/* Entries in first-seen order, found through an open-addressing index. */
typedef struct rp_table {
	rp_stat_t **items;
	size_t n, cap;
	uint32_t *slots; /* index + 1; 0 empty */
	size_t nslots;
} rp_table_t;

typedef struct rp_pod_start {
	const vrt_pod_t *pod;
	des_time_t t;
} rp_pod_start_t;

typedef struct rp_pod_fig {
	const vrt_pod_t *pod;
	double core_s, util;
	uint64_t jobs;
} rp_pod_fig_t;

/* A served method's entries, remembered by what the observation carries:
 * the serving pod's service name (static in the rt_service_t) and copies
 * of the gRPC service and method, so most observations cost three short
 * compares instead of formatting and hashing a key. */
/* A watched workload (rp_watch_workload): its name and figures. */
typedef struct rp_watch {
	char *name;
	size_t len;
	rp_stat_t st;
	rp_stat_t win; /* since the last rp_window_take(); errors: 5xx */
} rp_watch_t;

#define RP_CACHE 256
typedef struct rp_cache {
	const char *pod_svc;
	char service[96], method[64];
	rp_stat_t *sv, *m;
} rp_cache_t;

struct rp_report {
	vrt_world_t *w;
	rp_cache_t cache[RP_CACHE];
	int open;
	des_time_t begin, end;
	rp_table_t routes, services, methods;
	uint64_t requests, errors;
	rp_stat_t total; /* every entry request */
	/* CPU baselines of the pods alive at rp_begin (world order). */
	double *base_core_ns;
	uint64_t *base_jobs;
	size_t n_base;
	rp_pod_start_t *starts;
	size_t n_starts, cap_starts;
	rp_pod_fig_t *pods;
	size_t n_pods;
	rp_watch_t *watch;
	size_t n_watch;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void stat_init(rp_stat_t *s)
{
	s->min = -1;
}

static rp_stat_t *table_get(rp_table_t *t, const char *key)
{
	if (t->nslots) {
		size_t mask = t->nslots - 1;
		for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
			uint32_t v = t->slots[i];
			if (!v)
				break;
			if (strcmp(t->items[v - 1]->key, key) == 0)
				return t->items[v - 1];
		}
	}
	if ((t->n + 1) * 2 > t->nslots) {
		size_t ns = t->nslots ? t->nslots * 2 : 64;
		uint32_t *slots = calloc(ns, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t k = 0; k < t->n; k++) {
			size_t i = hash(t->items[k]->key) & (ns - 1);
			while (slots[i])
				i = (i + 1) & (ns - 1);
			slots[i] = (uint32_t)k + 1;
		}
		free(t->slots);
		t->slots = slots;
		t->nslots = ns;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		rp_stat_t **items = realloc(t->items, nc * sizeof *items);
		if (!items)
			return NULL;
		t->items = items;
		t->cap = nc;
	}
	rp_stat_t *s = calloc(1, sizeof *s);
	if (!s || !(s->key = strdup(key))) {
		free(s);
		return NULL;
	}
	stat_init(s);
	t->items[t->n] = s;
	size_t i = hash(key) & (t->nslots - 1);
	while (t->slots[i])
		i = (i + 1) & (t->nslots - 1);
	t->slots[i] = (uint32_t)++t->n;
	return s;
}

static void table_clear(rp_table_t *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i]->key);
		free(t->items[i]);
	}
	free(t->items);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static void stat_add(rp_stat_t *s, rt_time_t d, int status_key, int error)
{
	s->n++;
	s->errors += error != 0;
	s->total += d;
	if (d > s->max)
		s->max = d;
	if (s->min < 0 || d < s->min)
		s->min = d;
	loadgen_hist_record(&s->hist, (uint64_t)((d + 500) / 1000));
	for (size_t i = 0; i < s->n_status; i++)
		if (s->status[i].key == status_key) {
			s->status[i].n++;
			return;
		}
	if (s->n_status < RP_MAX_STATUS)
		s->status[s->n_status++] = (rp_status_t){status_key, 1};
	else
		s->other_status++;
}

rp_report_t *rp_new(vrt_world_t *w)
{
	rp_report_t *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->w = w;
	stat_init(&r->total);
	return r;
}

static void clear(rp_report_t *r)
{
	memset(r->cache, 0, sizeof r->cache);
	table_clear(&r->routes);
	table_clear(&r->services);
	table_clear(&r->methods);
	memset(&r->total, 0, sizeof r->total);
	stat_init(&r->total);
	r->requests = r->errors = 0;
	free(r->base_core_ns);
	free(r->base_jobs);
	r->base_core_ns = NULL;
	r->base_jobs = NULL;
	r->n_base = 0;
	free(r->pods);
	r->pods = NULL;
	r->n_pods = 0;
	for (size_t i = 0; i < r->n_watch; i++) {
		memset(&r->watch[i].st, 0, sizeof r->watch[i].st);
		stat_init(&r->watch[i].st);
		memset(&r->watch[i].win, 0, sizeof r->watch[i].win);
		stat_init(&r->watch[i].win);
	}
}

void rp_free(rp_report_t *r)
{
	if (!r)
		return;
	clear(r);
	for (size_t i = 0; i < r->n_watch; i++)
		free(r->watch[i].name);
	free(r->watch);
	free(r->starts);
	free(r);
}

static int is_entry(const vrt_obs_t *o)
{
	return !o->client ||
	       strcmp(vrt_pod_service(o->client), "loadgenerator") == 0;
}

int rp_watch_workload(rp_report_t *r, const char *workload)
{
	for (size_t i = 0; i < r->n_watch; i++)
		if (strcmp(r->watch[i].name, workload) == 0)
			return 0;
	rp_watch_t *w = realloc(r->watch, (r->n_watch + 1) * sizeof *w);
	if (!w)
		return -1;
	r->watch = w;
	w += r->n_watch;
	memset(w, 0, sizeof *w);
	stat_init(&w->st);
	stat_init(&w->win);
	if (!(w->name = strdup(workload)))
		return -1;
	w->len = strlen(workload);
	r->n_watch++;
	return 0;
}

/* The watched workload |pod| belongs to: its name is "<workload>-<hash>-
 * <suffix>", with "#<restarts>" after it for a restarted container. */
static rp_watch_t *watched(rp_report_t *r, const vrt_pod_t *pod)
{
	const char *n = vrt_pod_name(pod);
	size_t nl = strcspn(n, "#");
	for (size_t i = 0; i < r->n_watch; i++) {
		const rp_watch_t *w = &r->watch[i];
		if (nl <= w->len + 1 || n[w->len] != '-' ||
		    memcmp(n, w->name, w->len) != 0)
			continue;
		const char *rest = n + w->len + 1, *end = n + nl;
		const char *dash = memchr(rest, '-', (size_t)(end - rest));
		if (dash && dash > rest && dash + 1 < end &&
		    !memchr(dash + 1, '-', (size_t)(end - dash - 1)))
			return &r->watch[i];
	}
	return NULL;
}

static void watch_obs(rp_report_t *r, const vrt_obs_t *o, rt_time_t d)
{
	rp_watch_t *w = watched(r, o->server);
	if (!w)
		return;
	if (o->proto == VRT_PROTO_HTTP) {
		int key = o->status == RT_OK && o->http_status
		              ? o->http_status
		              : 1000 + (int)o->status;
		stat_add(&w->st, d, key,
		         o->status != RT_OK || o->http_status >= 400);
		stat_add(&w->win, d, key,
		         o->status != RT_OK || o->http_status >= 500);
	} else {
		stat_add(&w->st, d, 1000 + (int)o->status, o->status != RT_OK);
		stat_add(&w->win, d, 1000 + (int)o->status, o->status != RT_OK);
	}
}

void rp_obs(void *user, const vrt_obs_t *o)
{
	rp_report_t *r = user;
	if (!r->open)
		return;
	rt_time_t d = o->end - o->start;
	if (r->n_watch && o->reporter == VRT_REPORT_CLIENT && o->server)
		watch_obs(r, o, d);
	char key[320];
	if (o->proto == VRT_PROTO_HTTP) {
		ld_route_of(o->method, key, sizeof key);
		int key_status = o->status == RT_OK && o->http_status
		                     ? o->http_status
		                     : 1000 + (int)o->status;
		int err = o->status != RT_OK || o->http_status >= 400;
		if (o->reporter == VRT_REPORT_CLIENT) {
			if (!is_entry(o))
				return;
			rp_stat_t *s = table_get(&r->routes, key);
			if (s)
				stat_add(s, d, key_status, err);
			stat_add(&r->total, d, key_status, err);
			r->requests++;
			r->errors += err != 0;
			return;
		}
		if (!o->server)
			return;
		const char *svc = vrt_pod_service(o->server);
		rp_stat_t *sv = table_get(&r->services, svc);
		if (!sv)
			return;
		stat_add(sv, d, key_status, err);
		/* "<service>\t<route>", truncated as snprintf would */
		char mkey[400];
		size_t n = strnlen(svc, sizeof mkey - 1);
		memcpy(mkey, svc, n);
		if (n < sizeof mkey - 1) {
			mkey[n++] = '\t';
			size_t lk = strnlen(key, sizeof mkey - 1 - n);
			memcpy(mkey + n, key, lk);
			n += lk;
		}
		mkey[n] = '\0';
		rp_stat_t *m = table_get(&r->methods, mkey);
		if (m)
			stat_add(m, d, key_status, err);
		return;
	}
	if (o->reporter != VRT_REPORT_SERVER || !o->server)
		return;
	const char *svc = vrt_pod_service(o->server);
	int key_status = 1000 + (int)o->status;
	int err = o->status != RT_OK;
	uint64_t h = (hash(o->method) ^ (uintptr_t)svc) * 0x9e3779b97f4a7c15ull;
	rp_cache_t *c = &r->cache[h >> 56];
	if (c->pod_svc != svc || strcmp(c->method, o->method) != 0 ||
	    strcmp(c->service, o->service) != 0) {
		rp_stat_t *sv = table_get(&r->services, svc);
		snprintf(key, sizeof key, "%s\t%s/%s", svc, o->service,
		         o->method);
		rp_stat_t *m = table_get(&r->methods, key);
		if (!sv || !m)
			return;
		if (strlen(o->service) < sizeof c->service &&
		    strlen(o->method) < sizeof c->method) {
			c->pod_svc = svc;
			strcpy(c->service, o->service);
			strcpy(c->method, o->method);
			c->sv = sv;
			c->m = m;
		}
		stat_add(sv, d, key_status, err);
		stat_add(m, d, key_status, err);
		return;
	}
	stat_add(c->sv, d, key_status, err);
	stat_add(c->m, d, key_status, err);
}

void rp_begin(rp_report_t *r)
{
	clear(r);
	r->open = 1;
	r->begin = des_now(vrt_world_des(r->w));
	r->n_base = vrt_world_pod_count(r->w);
	r->base_core_ns = calloc(r->n_base + 1, sizeof *r->base_core_ns);
	r->base_jobs = calloc(r->n_base + 1, sizeof *r->base_jobs);
	if (!r->base_core_ns || !r->base_jobs) {
		r->n_base = 0;
		return;
	}
	for (size_t i = 0; i < r->n_base; i++)
		vrt_pod_cpu(vrt_world_pod_at(r->w, i), NULL,
		            &r->base_core_ns[i], &r->base_jobs[i]);
}

void rp_pod_started(rp_report_t *r, const vrt_pod_t *pod)
{
	if (!pod)
		return;
	if (r->n_starts == r->cap_starts) {
		size_t nc = r->cap_starts ? r->cap_starts * 2 : 32;
		rp_pod_start_t *s = realloc(r->starts, nc * sizeof *s);
		if (!s)
			return;
		r->starts = s;
		r->cap_starts = nc;
	}
	r->starts[r->n_starts++] =
	    (rp_pod_start_t){pod, des_now(vrt_world_des(r->w))};
}

void rp_end(rp_report_t *r)
{
	r->open = 0;
	r->end = des_now(vrt_world_des(r->w));
	size_t n = vrt_world_pod_count(r->w);
	free(r->pods);
	r->pods = calloc(n + 1, sizeof *r->pods);
	if (!r->pods)
		return;
	r->n_pods = n;
	for (size_t i = 0; i < n; i++) {
		vrt_pod_t *pod = vrt_world_pod_at(r->w, i);
		double core_ns = 0;
		uint64_t jobs = 0;
		vrt_pod_cpu(pod, NULL, &core_ns, &jobs);
		des_time_t t0 = r->begin;
		if (i < r->n_base) {
			core_ns -= r->base_core_ns[i];
			jobs -= r->base_jobs[i];
		}
		for (size_t k = 0; k < r->n_starts; k++)
			if (r->starts[k].pod == pod && r->starts[k].t > t0)
				t0 = r->starts[k].t;
		double span = (double)(r->end - t0);
		double cores = vrt_pod_cores(pod);
		r->pods[i].pod = pod;
		r->pods[i].core_s = core_ns / 1e9;
		r->pods[i].jobs = jobs;
		r->pods[i].util =
		    span > 0 && cores > 0 ? core_ns / (span * cores) : 0;
	}
}

uint64_t rp_requests(const rp_report_t *r) { return r->requests; }
uint64_t rp_errors(const rp_report_t *r) { return r->errors; }

/* ---- output ------------------------------------------------------------- */

static int cmp_stat(const void *a, const void *b)
{
	const rp_stat_t *x = *(rp_stat_t *const *)a, *y = *(rp_stat_t *const *)b;
	return strcmp(x->key, y->key);
}

/* The table's entries sorted by key (a new array, or NULL when empty). */
static rp_stat_t **sorted(const rp_table_t *t)
{
	if (t->n == 0)
		return NULL;
	rp_stat_t **a = malloc(t->n * sizeof *a);
	if (!a)
		return NULL;
	memcpy(a, t->items, t->n * sizeof *a);
	qsort(a, t->n, sizeof *a, cmp_stat);
	return a;
}

static double q_ms(const rp_stat_t *s, double q)
{
	if (s->n == 0)
		return 0;
	rt_time_t v = (rt_time_t)loadgen_hist_quantile(&s->hist, q) * 1000;
	if (v > s->max)
		v = s->max;
	if (v < s->min)
		v = s->min;
	return (double)v / 1e6;
}

static double window_s(const rp_report_t *r)
{
	return (double)(r->end - r->begin) / 1e9;
}

static double rate(const rp_report_t *r, uint64_t n)
{
	double s = window_s(r);
	return s > 0 ? (double)n / s : 0;
}

static void status_label(int key, char *buf, size_t size)
{
	if (key >= 1000)
		snprintf(buf, size, "%s", rt_status_name(key - 1000));
	else
		snprintf(buf, size, "%d", key);
}

static int cmp_status(const void *a, const void *b)
{
	const rp_status_t *x = a, *y = b;
	return (x->key > y->key) - (x->key < y->key);
}

static void json_status(const rp_stat_t *s, FILE *f)
{
	rp_status_t st[RP_MAX_STATUS];
	memcpy(st, s->status, s->n_status * sizeof *st);
	qsort(st, s->n_status, sizeof *st, cmp_status);
	fputc('{', f);
	for (size_t i = 0; i < s->n_status; i++) {
		char l[32];
		status_label(st[i].key, l, sizeof l);
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", l,
		        (unsigned long long)st[i].n);
	}
	if (s->other_status)
		fprintf(f, "%s\"other\": %llu", s->n_status ? ", " : "",
		        (unsigned long long)s->other_status);
	fputc('}', f);
}

static void json_str(const char *s, FILE *f)
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

static void json_figures(const rp_report_t *r, const rp_stat_t *s, FILE *f)
{
	fprintf(f,
	        "\"requests\": %llu, \"errors\": %llu, \"rps\": %.3f, "
	        "\"mean_ms\": %.3f, \"p50_ms\": %.3f, \"p95_ms\": %.3f, "
	        "\"p99_ms\": %.3f, \"max_ms\": %.3f, \"status\": ",
	        (unsigned long long)s->n, (unsigned long long)s->errors,
	        rate(r, s->n),
	        s->n ? (double)s->total / (double)s->n / 1e6 : 0.0,
	        q_ms(s, 0.50), q_ms(s, 0.95), q_ms(s, 0.99),
	        (double)s->max / 1e6);
	json_status(s, f);
}

static const rp_stat_t *table_find(const rp_table_t *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i]->key, key) == 0)
			return t->items[i];
	return NULL;
}

static void stat_figures(const rp_stat_t *s, slo_figures_t *out)
{
	memset(out, 0, sizeof *out);
	if (!s || !s->n)
		return;
	out->requests = s->n;
	out->errors = s->errors;
	out->p50_ms = q_ms(s, 0.50);
	out->p95_ms = q_ms(s, 0.95);
	out->p99_ms = q_ms(s, 0.99);
	out->max_ms = (double)s->max / 1e6;
	out->mean_ms = (double)s->total / (double)s->n / 1e6;
}

void rp_window_take(rp_report_t *r, const char *workload, slo_figures_t *out)
{
	rp_watch_t *w = NULL;
	for (size_t i = 0; i < r->n_watch && !w; i++)
		if (strcmp(r->watch[i].name, workload) == 0)
			w = &r->watch[i];
	stat_figures(w ? &w->win : NULL, out);
	if (w) {
		memset(&w->win, 0, sizeof w->win);
		stat_init(&w->win);
	}
}

void rp_figures(const rp_report_t *r, rp_scope_t scope, const char *name,
                slo_figures_t *out)
{
	const rp_stat_t *s = NULL;
	memset(out, 0, sizeof *out);
	if (scope == RP_ALL)
		s = &r->total;
	else if (scope == RP_ROUTE && name)
		s = table_find(&r->routes, name);
	else if (scope == RP_SERVICE && name)
		s = table_find(&r->services, name);
	else if (scope == RP_WORKLOAD && name)
		for (size_t i = 0; i < r->n_watch && !s; i++)
			if (strcmp(r->watch[i].name, name) == 0)
				s = &r->watch[i].st;
	if (!s || !s->n)
		return;
	out->requests = s->n;
	out->errors = s->errors;
	out->p50_ms = q_ms(s, 0.50);
	out->p95_ms = q_ms(s, 0.95);
	out->p99_ms = q_ms(s, 0.99);
	out->max_ms = (double)s->max / 1e6;
	out->mean_ms = (double)s->total / (double)s->n / 1e6;
}

/* The index in r->pods of the busiest pod, or -1. */
static long bottleneck(const rp_report_t *r)
{
	long best = -1;
	for (size_t i = 0; i < r->n_pods; i++)
		if (r->pods[i].core_s > 0 &&
		    (best < 0 || r->pods[i].util > r->pods[best].util))
			best = (long)i;
	return best;
}

/* CPU per service: the sums over its pods, and the busiest pod. */
static void service_cpu(const rp_report_t *r, const char *svc, double *core_s,
                        double *cores, double *max_util)
{
	*core_s = *cores = *max_util = 0;
	for (size_t i = 0; i < r->n_pods; i++) {
		const rp_pod_fig_t *p = &r->pods[i];
		if (strcmp(vrt_pod_service(p->pod), svc) != 0)
			continue;
		*core_s += p->core_s;
		if (vrt_pod_state(p->pod) == VRT_POD_READY)
			*cores += vrt_pod_cores(p->pod);
		if (p->util > *max_util)
			*max_util = p->util;
	}
}

int rp_write_json(const rp_report_t *r, const rp_meta_t *m, FILE *f)
{
	fprintf(f, "{\n  \"seed\": %llu,\n  \"virtual_seconds\": %.3f,\n",
	        (unsigned long long)m->seed, window_s(r));
	fprintf(f, "  \"requests\": %llu,\n  \"errors\": %llu,\n",
	        (unsigned long long)r->requests, (unsigned long long)r->errors);
	fprintf(f, "  \"rps\": %.3f,\n", rate(r, r->requests));
	if (m->scenario) {
		fputs("  \"scenario\": ", f);
		json_str(m->scenario, f);
		fputs(",\n", f);
	}
	fprintf(f, "  \"warmup_seconds\": %.3f,\n", m->warmup_s);
	fputs("  \"load\": {\"kind\": ", f);
	json_str(m->load_kind ? m->load_kind : "", f);
	if (m->load_users > 0)
		fprintf(f, ", \"users\": %.0f", m->load_users);
	if (m->load_rate > 0)
		fprintf(f, ", \"rate\": %.3f", m->load_rate);
	if (m->load) {
		fputs(", \"description\": ", f);
		json_str(m->load, f);
	}
	fputs("},\n", f);
	fprintf(f, "  \"engine_events\": %llu,\n",
	        (unsigned long long)m->engine_events);
	fputs("  \"total\": {", f);
	json_figures(r, &r->total, f);
	fputs("},\n", f);

	rp_stat_t **a = sorted(&r->routes);
	fputs("  \"routes\": [", f);
	for (size_t i = 0; a && i < r->routes.n; i++) {
		fprintf(f, "%s\n    {\"route\": ", i ? "," : "");
		json_str(a[i]->key, f);
		fputs(", ", f);
		json_figures(r, a[i], f);
		fputc('}', f);
	}
	fputs(r->routes.n ? "\n  ],\n" : "],\n", f);
	free(a);

	a = sorted(&r->services);
	rp_stat_t **ms = sorted(&r->methods);
	fputs("  \"services\": [", f);
	for (size_t i = 0; a && i < r->services.n; i++) {
		double core_s, cores, mu;
		service_cpu(r, a[i]->key, &core_s, &cores, &mu);
		fprintf(f, "%s\n    {\"service\": ", i ? "," : "");
		json_str(a[i]->key, f);
		fputs(", ", f);
		json_figures(r, a[i], f);
		fprintf(f,
		        ", \"cpu_seconds\": %.3f, \"cpu_limit_cores\": %.3f, "
		        "\"max_pod_utilisation\": %.4f, \"methods\": [",
		        core_s, cores, mu);
		size_t kl = strlen(a[i]->key), k = 0;
		for (size_t j = 0; ms && j < r->methods.n; j++) {
			const char *mk = ms[j]->key;
			if (strncmp(mk, a[i]->key, kl) != 0 || mk[kl] != '\t')
				continue;
			fprintf(f, "%s\n      {\"method\": ", k++ ? "," : "");
			json_str(mk + kl + 1, f);
			fputs(", ", f);
			json_figures(r, ms[j], f);
			fputc('}', f);
		}
		fputs(k ? "\n    ]}" : "]}", f);
	}
	fputs(r->services.n ? "\n  ],\n" : "],\n", f);
	free(a);
	free(ms);

	fputs("  \"pods\": [", f);
	for (size_t i = 0; i < r->n_pods; i++) {
		const rp_pod_fig_t *p = &r->pods[i];
		fprintf(f, "%s\n    {\"pod\": ", i ? "," : "");
		json_str(vrt_pod_name(p->pod), f);
		fputs(", \"service\": ", f);
		json_str(vrt_pod_service(p->pod), f);
		fprintf(f,
		        ", \"state\": \"%s\", \"cpu_limit_cores\": %.3f, "
		        "\"cpu_seconds\": %.3f, \"utilisation\": %.4f, "
		        "\"calls_served\": %llu}",
		        vrt_pod_state_name(vrt_pod_state(p->pod)),
		        vrt_pod_cores(p->pod), p->core_s, p->util,
		        (unsigned long long)p->jobs);
	}
	fputs(r->n_pods ? "\n  ],\n" : "],\n", f);

	long b = bottleneck(r);
	if (b < 0) {
		fputs("  \"bottleneck\": null\n}\n", f);
	} else {
		const rp_pod_fig_t *p = &r->pods[b];
		fputs("  \"bottleneck\": {\"service\": ", f);
		json_str(vrt_pod_service(p->pod), f);
		fputs(", \"pod\": ", f);
		json_str(vrt_pod_name(p->pod), f);
		fprintf(f,
		        ", \"utilisation\": %.4f, \"rule\": \"the pod with the "
		        "highest CPU utilisation of its limit\"}\n}\n",
		        p->util);
	}
	return ferror(f) ? -1 : 0;
}

static void text_row(const rp_report_t *r, const char *name,
                     const rp_stat_t *s, FILE *f)
{
	fprintf(f, "%-44s %9llu %7llu %9.2f %8.2f %8.2f %8.2f %8.2f\n", name,
	        (unsigned long long)s->n, (unsigned long long)s->errors,
	        rate(r, s->n), q_ms(s, 0.50), q_ms(s, 0.95), q_ms(s, 0.99),
	        (double)s->max / 1e6);
}

static void text_head(const char *first, FILE *f)
{
	fprintf(f, "%-44s %9s %7s %9s %8s %8s %8s %8s\n", first, "requests",
	        "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms");
}

int rp_write_text(const rp_report_t *r, const rp_meta_t *m, FILE *f)
{
	fprintf(f,
	        "meshsim run: %s, seed %llu: %.0f virtual seconds of load "
	        "after %.1f s of start-up\n",
	        m->scenario ? m->scenario : "run", (unsigned long long)m->seed,
	        window_s(r), m->warmup_s);
	if (m->load)
		fprintf(f, "load: %s\n", m->load);
	fprintf(f, "requests: %llu, errors: %llu (%.2f %%), %.2f req/s\n\n",
	        (unsigned long long)r->requests, (unsigned long long)r->errors,
	        r->requests ? 100.0 * (double)r->errors / (double)r->requests
	                    : 0.0,
	        rate(r, r->requests));

	rp_stat_t **a = sorted(&r->routes);
	text_head("ROUTE (as the caller saw it)", f);
	for (size_t i = 0; a && i < r->routes.n; i++)
		text_row(r, a[i]->key, a[i], f);
	text_row(r, "Aggregated", &r->total, f);
	free(a);

	a = sorted(&r->services);
	rp_stat_t **ms = sorted(&r->methods);
	fputc('\n', f);
	text_head("SERVICE / METHOD (as the server saw it)", f);
	for (size_t i = 0; a && i < r->services.n; i++) {
		text_row(r, a[i]->key, a[i], f);
		size_t kl = strlen(a[i]->key);
		for (size_t j = 0; ms && j < r->methods.n; j++) {
			const char *mk = ms[j]->key;
			if (strncmp(mk, a[i]->key, kl) != 0 || mk[kl] != '\t')
				continue;
			char name[64];
			const char *shown = mk + kl + 1;
			if (strncmp(shown, "hipstershop.", 12) == 0)
				shown += 12;
			snprintf(name, sizeof name, "  %s", shown);
			text_row(r, name, ms[j], f);
		}
	}
	free(a);
	free(ms);

	fprintf(f, "\n%-44s %-22s %6s %10s %7s\n", "POD", "SERVICE", "CPU",
	        "CPU s", "use %");
	for (size_t i = 0; i < r->n_pods; i++) {
		const rp_pod_fig_t *p = &r->pods[i];
		fprintf(f, "%-44s %-22s %6.3f %10.3f %7.2f%s\n",
		        vrt_pod_name(p->pod), vrt_pod_service(p->pod),
		        vrt_pod_cores(p->pod), p->core_s, 100 * p->util,
		        vrt_pod_state(p->pod) == VRT_POD_READY ? "" : "  (stopped)");
	}
	long b = bottleneck(r);
	if (b >= 0)
		fprintf(f,
		        "\nbottleneck: %s (pod %s at %.1f %% of its %.3f-core CPU "
		        "limit)\n",
		        vrt_pod_service(r->pods[b].pod),
		        vrt_pod_name(r->pods[b].pod), 100 * r->pods[b].util,
		        vrt_pod_cores(r->pods[b].pod));
	else
		fputs("\nbottleneck: none (no pod used CPU)\n", f);
	return ferror(f) ? -1 : 0;
}
