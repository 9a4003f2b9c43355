/* sim/vrt/profile.c: the cost profile: per (service, method) CPU demand
 * distributions, loaded from JSON (data/cost-profile.json). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt_int.h"

typedef struct pentry {
	char *key; /* "hipstershop.CurrencyService/Convert" */
	vrt_cost_t cost;
} pentry_t;

struct vrt_profile {
	vrt_cost_t def;
	int has_link;    /* the file had "link" */
	vrt_link_t link; /* measured by meshsim calibrate; not applied here */
	double freeze_per_ns;     /* "freezes": per ns of CPU work; 0: none */
	double freeze_per_wakeup; /* and per CPU demand (a wake-up); 0: none */
	vrt_jitter_t freeze;  /* their lengths */
	pentry_t *a;     /* served methods */
	size_t n, cap;
	pentry_t *c;     /* clients: key = service name ("loadgenerator") */
	size_t nc, capc;
};

static int cost_make(vrt_cost_t *c, vrt_dist_t dist, double mean_us,
                     double sd_us)
{
	if (!(mean_us > 0) || !(sd_us >= 0) || !isfinite(mean_us) ||
	    !isfinite(sd_us) || dist < VRT_DIST_CONSTANT ||
	    dist > VRT_DIST_LOGNORMAL)
		return VRT_EINVAL;
	c->dist = dist;
	c->mean_ns = mean_us * 1e3;
	c->sd_ns = sd_us * 1e3;
	c->mu = c->sigma = 0;
	if (dist == VRT_DIST_LOGNORMAL) {
		if (sd_us == 0)
			c->dist = VRT_DIST_CONSTANT;
		else
			des_rng_lognormal_params(c->mean_ns, c->sd_ns, &c->mu,
			                         &c->sigma);
	}
	return 0;
}

vrt_profile_t *vrt_profile_new(void)
{
	vrt_profile_t *p = calloc(1, sizeof *p);
	if (p)
		cost_make(&p->def, VRT_DIST_LOGNORMAL, 50, 20);
	return p;
}

void vrt_profile_free(vrt_profile_t *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->a[i].key);
	for (size_t i = 0; i < p->nc; i++)
		free(p->c[i].key);
	free(p->a);
	free(p->c);
	free(p);
}

/* Sets |key|'s entry in the array |*a| (|*n| used, |*cap| allocated). */
static int entry_set(pentry_t **a, size_t *n, size_t *cap, const char *key,
                     const vrt_cost_t *c)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*a)[i].key, key) == 0) {
			(*a)[i].cost = *c;
			return 0;
		}
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		pentry_t *na = realloc(*a, ncap * sizeof *na);
		if (!na)
			return VRT_ENOMEM;
		*a = na;
		*cap = ncap;
	}
	char *k = strdup(key);
	if (!k)
		return VRT_ENOMEM;
	(*a)[*n].key = k;
	(*a)[*n].cost = *c;
	(*n)++;
	return 0;
}

int vrt_profile_set(vrt_profile_t *p, const char *method, vrt_dist_t dist,
                    double mean_us, double sd_us)
{
	vrt_cost_t c;
	if (!p || cost_make(&c, dist, mean_us, sd_us) != 0)
		return VRT_EINVAL;
	if (!method) {
		p->def = c;
		return 0;
	}
	const char *slash = strchr(method, '/');
	if (!slash || slash == method || !slash[1])
		return VRT_EINVAL;
	return entry_set(&p->a, &p->n, &p->cap, method, &c);
}

int vrt_profile_set_client(vrt_profile_t *p, const char *service,
                           vrt_dist_t dist, double mean_us, double sd_us)
{
	vrt_cost_t c;
	if (!p || !service || !*service || strchr(service, '/') ||
	    cost_make(&c, dist, mean_us, sd_us) != 0)
		return VRT_EINVAL;
	return entry_set(&p->c, &p->nc, &p->capc, service, &c);
}

const vrt_cost_t *vrt__profile_client(const vrt_profile_t *p,
                                      const char *service)
{
	for (size_t i = 0; i < p->nc; i++)
		if (strcmp(p->c[i].key, service) == 0)
			return &p->c[i].cost;
	return NULL;
}

const vrt_cost_t *vrt__profile_find(const vrt_profile_t *p,
                                    const char *service, const char *method)
{
	size_t ls = strlen(service);
	for (size_t i = 0; i < p->n; i++) {
		const char *k = p->a[i].key;
		if (strncmp(k, service, ls) == 0 && k[ls] == '/' &&
		    strcmp(k + ls + 1, method) == 0)
			return &p->a[i].cost;
	}
	return NULL;
}

const vrt_cost_t *vrt__profile_cost(const vrt_profile_t *p,
                                    const char *service, const char *method)
{
	const vrt_cost_t *c = vrt__profile_find(p, service, method);
	return c ? c : &p->def;
}

double vrt__cost_draw(const vrt_cost_t *c, des_rng_t *rng)
{
	switch (c->dist) {
	case VRT_DIST_EXPONENTIAL:
		return des_rng_exp(rng, c->mean_ns);
	case VRT_DIST_LOGNORMAL:
		return des_rng_lognormal(rng, c->mu, c->sigma);
	default:
		return c->mean_ns;
	}
}

/* ---- loading ------------------------------------------------------------ */

typedef struct loader {
	const char *path;
	const char *text;
	size_t len;
	char *err;
	size_t errsize;
} loader_t;

/* Best-effort position of a field: the first quoted |key| after the first
 * quoted |within| (jansson keeps no positions for values). */
static void field_pos(const loader_t *L, const char *within, const char *key,
                      int *line, int *col)
{
	const char *from = L->text, *end = L->text + L->len;
	char q[512];
	if (within) {
		snprintf(q, sizeof q, "\"%s\"", within);
		const char *h = memmem(from, (size_t)(end - from), q, strlen(q));
		if (h)
			from = h;
	}
	const char *at = from;
	if (key) {
		snprintf(q, sizeof q, "\"%s\"", key);
		const char *h = memmem(from, (size_t)(end - from), q, strlen(q));
		if (h)
			at = h;
	}
	*line = 1;
	*col = 1;
	for (const char *s = L->text; s < at; s++) {
		if (*s == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int fail(const loader_t *L, const char *within, const char *key,
                const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(const loader_t *L, const char *within, const char *key,
                const char *field, const char *fmt, ...)
{
	int line, col;
	field_pos(L, within, key, &line, &col);
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (L->errsize)
		snprintf(L->err, L->errsize, "%s:%d:%d: %s: %s", L->path, line,
		         col, field, why);
	return VRT_EPROFILE;
}

static int parse_num(const loader_t *L, json_t *o, const char *owner,
                     const char *key, const char *field, double *out,
                     int required)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			return fail(L, owner, NULL, field, "missing \"%s\"", key);
		return 1;
	}
	if (!json_is_number(v))
		return fail(L, owner, key, field, "must be a number");
	*out = json_number_value(v);
	return 0;
}

/* Fails on a key of |o| not in |known| (NULL-terminated): the message
 * names it as |prefix|.KEY (or KEY when |prefix| is NULL) and lists
 * |known|; the position is |within|'s |at| (the key itself when |at| is
 * NULL). 0 when every key is known. */
static int known_keys(const loader_t *L, json_t *o, const char *within,
                      const char *at, const char *prefix,
                      const char *const *known)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		size_t i = 0;
		while (known[i] && strcmp(k, known[i]))
			i++;
		if (known[i])
			continue;
		char f[600], list[256] = "";
		size_t len = 0;
		for (i = 0; known[i] && len < sizeof list; i++)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
			                        i ? ", " : "", known[i]);
		if (prefix)
			snprintf(f, sizeof f, "%s.%s", prefix, k);
		else
			snprintf(f, sizeof f, "%s", k);
		return fail(L, within, at ? at : k, f, "unknown field (expected %s)", list);
	}
	return 0;
}

/* One {"mean_us","sd_us","dist"} object; |owner| is its key in the file
 * (for positions), |field| its path (for messages). */
static int parse_cost(const loader_t *L, vrt_profile_t *p, json_t *o,
                      const char *owner, const char *field,
                      const char *method, int client)
{
	char f[600];
	if (!json_is_object(o))
		return fail(L, owner, NULL, field,
		            "must be an object {\"mean_us\", \"sd_us\"}");
	static const char *const known[] = {"mean_us", "sd_us", "dist", NULL};
	int rc = known_keys(L, o, owner, NULL, field, known);
	if (rc < 0)
		return rc;
	double mean = 0, sd = 0;
	snprintf(f, sizeof f, "%s.mean_us", field);
	if ((rc = parse_num(L, o, owner, "mean_us", f, &mean, 1)) < 0)
		return rc;
	if (!(mean > 0) || !isfinite(mean))
		return fail(L, owner, "mean_us", f, "must be > 0 (got %g)", mean);
	snprintf(f, sizeof f, "%s.sd_us", field);
	if ((rc = parse_num(L, o, owner, "sd_us", f, &sd, 0)) < 0)
		return rc;
	if (!(sd >= 0) || !isfinite(sd))
		return fail(L, owner, "sd_us", f, "must be >= 0 (got %g)", sd);
	vrt_dist_t dist = VRT_DIST_LOGNORMAL;
	json_t *d = json_object_get(o, "dist");
	if (d) {
		const char *s = json_string_value(d);
		snprintf(f, sizeof f, "%s.dist", field);
		if (s && strcmp(s, "lognormal") == 0)
			dist = VRT_DIST_LOGNORMAL;
		else if (s && strcmp(s, "exponential") == 0)
			dist = VRT_DIST_EXPONENTIAL;
		else if (s && strcmp(s, "constant") == 0)
			dist = VRT_DIST_CONSTANT;
		else
			return fail(L, owner, "dist", f,
			            "must be \"lognormal\", \"exponential\" or "
			            "\"constant\"");
	}
	rc = client ? vrt_profile_set_client(p, method, dist, mean, sd)
	            : vrt_profile_set(p, method, dist, mean, sd);
	if (rc == VRT_EINVAL)
		return fail(L, owner, NULL, field,
		            client ? "not a service name (no \"/\")"
		                   : "not a \"package.Service/Method\" name");
	if (rc < 0 && L->errsize)
		snprintf(L->err, L->errsize, "%s: out of memory", L->path);
	return rc;
}

/* "quantiles_us": [[q, us], ...]: the points of vrt_jitter_t; |f| names
 * it in messages ("link.jitter[2].quantiles_us"). */
static int parse_quantiles(const loader_t *L, json_t *a, const char *w, const char *k,
                           const char *f, vrt_jitter_t *j)
{
	if (!json_is_array(a) || json_array_size(a) < 1 ||
	    json_array_size(a) > VRT_JITTER_MAX)
		return fail(L, w, k, f,
		            "must be a list of 1 to %d [quantile, us] points",
		            VRT_JITTER_MAX);
	size_t i;
	json_t *pt;
	json_array_foreach(a, i, pt)
	{
		json_t *q = json_array_get(pt, 0), *us = json_array_get(pt, 1);
		if (!json_is_array(pt) || json_array_size(pt) != 2 ||
		    !json_is_number(q) || !json_is_number(us))
			return fail(L, w, k, f,
			            "point %zu must be [quantile, us] (two numbers)",
			            i + 1);
		double qv = json_number_value(q), uv = json_number_value(us);
		double q0 = i ? j->q[i - 1] : 0;
		double u0 = i ? (double)j->at[i - 1] / 1e3 : 0;
		if (!(qv > q0) || !(qv <= 1))
			return fail(L, w, k, f,
			            "point %zu: the quantile %g must be above the "
			            "previous point's (%g) and at most 1",
			            i + 1, qv, q0);
		if (!(uv >= u0) || uv > 1e7)
			return fail(L, w, k, f,
			            "point %zu: the delay %g us must be from the "
			            "previous point's (%g) to 1e7",
			            i + 1, uv, u0);
		j->q[i] = qv;
		j->at[i] = (des_time_t)llround(uv * 1e3);
		j->n = (unsigned)i + 1;
	}
	if (j->q[j->n - 1] != 1)
		return fail(L, w, k, f,
		            "the last point's quantile must be 1 (the largest "
		            "delay; got %g)", j->q[j->n - 1]);
	return 0;
}

/* "jitter": [{"slept_below_us": S, "quantiles_us": [...]}, ...,
 * {"quantiles_us": [...]}]: the bands of vrt_link_t, the last unbounded. */
static int parse_jitter(const loader_t *L, json_t *a, vrt_link_t *l)
{
	char f[64];
	if (!json_is_array(a) || json_array_size(a) < 1 ||
	    json_array_size(a) > VRT_JITTER_BANDS)
		return fail(L, "link", "jitter", "link.jitter",
		            "must be a list of 1 to %d bands {\"slept_below_us\", "
		            "\"quantiles_us\"}", VRT_JITTER_BANDS);
	size_t i, n = json_array_size(a);
	json_t *b;
	json_array_foreach(a, i, b)
	{
		snprintf(f, sizeof f, "link.jitter[%zu]", i);
		if (!json_is_object(b))
			return fail(L, "link", "jitter", f,
			            "must be an object {\"slept_below_us\", \"quantiles_us\"}");
		static const char *const known[] = {"slept_below_us", "quantiles_us", NULL};
		int krc = known_keys(L, b, "link", "jitter", f, known);
		if (krc < 0)
			return krc;
		json_t *sb = json_object_get(b, "slept_below_us");
		if (i + 1 < n) {
			double prev = i ? (double)l->slept[i - 1] / 1e3 : 0;
			if (!json_is_number(sb))
				return fail(L, "link", "jitter", f,
				            "every band but the last needs \"slept_below_us\" "
				            "(a number)");
			double x = json_number_value(sb);
			/* Compared in whole ns, as the simulator keeps it. */
			des_time_t ns = x > 0 && x <= 1e9 ? (des_time_t)llround(x * 1e3) : 0;
			if (!(x > prev) || x > 1e9 || ns <= (i ? l->slept[i - 1] : 0))
				return fail(L, "link", "jitter", f,
				            "slept_below_us %g must be above the previous "
				            "band's (%g) by 0.001 at least, and at most 1e9",
				            x, prev);
			l->slept[i] = ns;
		} else {
			if (sb)
				return fail(L, "link", "jitter", f,
				            "the last band takes every longer sleep: no "
				            "\"slept_below_us\"");
			l->slept[i] = DES_TIME_MAX;
		}
		char g[96];
		snprintf(g, sizeof g, "%s.quantiles_us", f);
		json_t *qa = json_object_get(b, "quantiles_us");
		if (!qa)
			return fail(L, "link", "jitter", g, "missing");
		int rc = parse_quantiles(L, qa, "link", "jitter", g, &l->jitter[i]);
		if (rc < 0)
			return rc;
		l->nbands = (unsigned)i + 1;
	}
	return 0;
}

/* "link": {"latency_us": L, "jitter": [...]} (one way, >= 0; bandwidth
 * stays the default's). */
static int parse_link(const loader_t *L, vrt_profile_t *p, json_t *o)
{
	if (!json_is_object(o))
		return fail(L, NULL, "link", "link",
		            "must be an object {\"latency_us\"}");
	static const char *const known[] = {"latency_us", "jitter", NULL};
	int krc = known_keys(L, o, "link", NULL, "link", known);
	if (krc < 0)
		return krc;
	vrt_link_t link = VRT_LINK_DEFAULT;
	json_t *ja = json_object_get(o, "jitter");
	if (ja) {
		int jrc = parse_jitter(L, ja, &link);
		if (jrc < 0)
			return jrc;
	}
	double lat = 0;
	int rc = parse_num(L, o, "link", "latency_us", "link.latency_us", &lat, 1);
	if (rc < 0)
		return rc;
	if (!(lat >= 0) || lat > 1e7)
		return fail(L, "link", "latency_us", "link.latency_us",
		            "must be from 0 to 1e7 (got %g)", lat);
	link.latency = (des_time_t)llround(lat * 1e3);
	p->has_link = 1;
	p->link = link;
	return 0;
}

/* "freezes": {"per_wakeup": P, "per_cpu_second": R, "quantiles_us": [...]},
 * one rate or both (sim/vrt/README.md, "Freezes"). */
static int parse_freezes(const loader_t *L, vrt_profile_t *p, json_t *o)
{
	if (!json_is_object(o))
		return fail(L, NULL, "freezes", "freezes",
		            "must be an object {\"per_wakeup\", \"quantiles_us\"}");
	static const char *const known[] = {"per_wakeup", "per_cpu_second", "quantiles_us",
	                                    NULL};
	int krc = known_keys(L, o, "freezes", NULL, "freezes", known);
	if (krc < 0)
		return krc;
	double per_wakeup = 0, rate = 0;
	int rw = parse_num(L, o, "freezes", "per_wakeup", "freezes.per_wakeup", &per_wakeup, 0);
	if (rw < 0)
		return rw;
	if (!(per_wakeup >= 0) || per_wakeup > 1)
		return fail(L, "freezes", "per_wakeup", "freezes.per_wakeup",
		            "must be from 0 to 1 (got %g)", per_wakeup);
	int rc = parse_num(L, o, "freezes", "per_cpu_second", "freezes.per_cpu_second", &rate, 0);
	if (rc < 0)
		return rc;
	if (!(rate >= 0) || rate > 1e6)
		return fail(L, "freezes", "per_cpu_second", "freezes.per_cpu_second",
		            "must be from 0 to 1e6 (got %g)", rate);
	if (rw == 1 && rc == 1)
		return fail(L, NULL, "freezes", "freezes",
		            "missing \"per_wakeup\" (or \"per_cpu_second\")");
	json_t *qa = json_object_get(o, "quantiles_us");
	if (!qa)
		return fail(L, "freezes", NULL, "freezes.quantiles_us", "missing");
	vrt_jitter_t q = {0};
	rc = parse_quantiles(L, qa, "freezes", "quantiles_us", "freezes.quantiles_us", &q);
	if (rc < 0)
		return rc;
	p->freeze_per_wakeup = per_wakeup;
	p->freeze_per_ns = rate / 1e9;
	p->freeze = q;
	return 0;
}

des_time_t vrt__freeze_draw(const vrt_profile_t *p, double work_ns, des_rng_t *rng)
{
	if (!p || !(p->freeze_per_wakeup > 0 || p->freeze_per_ns > 0))
		return 0;
	/* k ~ Poisson(per wake-up + rate x work), by inversion (the mean is
	 * small). */
	double m = p->freeze_per_wakeup + (work_ns > 0 ? p->freeze_per_ns * work_ns : 0);
	double u = des_rng_uniform(rng), pk = exp(-m), cdf = pk;
	des_time_t add = 0;
	for (unsigned k = 0; u > cdf && k < 100; k++) {
		des_time_t len = vrt_jitter_at(&p->freeze, des_rng_uniform(rng));
		add += len > 0 ? len : 1;
		pk *= m / (k + 1);
		cdf += pk;
	}
	return add;
}

int vrt_profile_link(const vrt_profile_t *p, vrt_link_t *out)
{
	if (!p || !p->has_link)
		return VRT_ENOENT;
	if (out)
		*out = p->link;
	return 0;
}

static int parse_table(const loader_t *L, vrt_profile_t *p, json_t *methods,
                       const char *name, int client);

static int load_json(const loader_t *L, json_t *root, vrt_profile_t *p)
{
	if (!json_is_object(root))
		return fail(L, NULL, NULL, "(top)", "must be an object");
	static const char *const known[] = {"version", "default", "methods", "clients",
	                                    "link", "freezes", "comment", NULL};
	/* The first model of stalls (per second of CPU work, drawn per
	 * call) made calls meet them about 4x as often as the live shop's
	 * did: they come in bursts that stop the whole machine. */
	if (json_object_get(root, "stalls"))
		return fail(L, NULL, "stalls", "stalls",
		            "replaced by \"freezes\" (sim/vrt/README.md): measure the "
		            "record again with meshsim calibrate --wakeups");
	int krc = known_keys(L, root, NULL, NULL, NULL, known);
	if (krc < 0)
		return krc;
	json_t *ver = json_object_get(root, "version");
	if (!ver)
		return fail(L, NULL, NULL, "version", "missing (must be 1)");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		return fail(L, NULL, "version", "version", "must be 1");
	json_t *def = json_object_get(root, "default");
	int rc;
	if (def &&
	    (rc = parse_cost(L, p, def, "default", "default", NULL, 0)) < 0)
		return rc;
	json_t *link = json_object_get(root, "link");
	if (link && (rc = parse_link(L, p, link)) < 0)
		return rc;
	json_t *freezes = json_object_get(root, "freezes");
	if (freezes && (rc = parse_freezes(L, p, freezes)) < 0)
		return rc;
	json_t *clients = json_object_get(root, "clients");
	if (clients && (rc = parse_table(L, p, clients, "clients", 1)) < 0)
		return rc;
	json_t *methods = json_object_get(root, "methods");
	if (!methods)
		return 0;
	return parse_table(L, p, methods, "methods", 0);
}

/* "methods" or "clients": an object of cost objects, read in key order. */
static int parse_table(const loader_t *L, vrt_profile_t *p, json_t *methods,
                       const char *name, int client)
{
	const char *k;
	json_t *v;
	int rc;
	if (!json_is_object(methods))
		return fail(L, NULL, name, name, "must be an object");
	/* Sorted keys: a profile's order in memory never depends on the
	 * hash table's. */
	size_t n = json_object_size(methods);
	const char **keys = calloc(n ? n : 1, sizeof *keys);
	if (!keys)
		return VRT_ENOMEM;
	size_t i = 0;
	json_object_foreach(methods, k, v) keys[i++] = k;
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0;
		     b--) {
			const char *t = keys[b];
			keys[b] = keys[b - 1];
			keys[b - 1] = t;
		}
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		char f[600];
		snprintf(f, sizeof f, "%s.%s", name, keys[i]);
		rc = parse_cost(L, p, json_object_get(methods, keys[i]), keys[i],
		                f, keys[i], client);
	}
	free(keys);
	return rc;
}

int vrt_profile_parse(const char *file, const char *buf, size_t len,
                      vrt_profile_t **out, char *err, size_t errsize)
{
	loader_t L = {file, buf, len, err, errsize};
	if (errsize)
		err[0] = '\0';
	if (!file || !out || (!buf && len))
		return VRT_EINVAL;
	*out = NULL;
	if (!buf)
		L.text = buf = "";
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (errsize)
			snprintf(err, errsize, "%s:%d:%d: (syntax): %s", file,
			         je.line, je.column, je.text);
		return VRT_EPROFILE;
	}
	vrt_profile_t *p = vrt_profile_new();
	int rc = p ? load_json(&L, root, p) : VRT_ENOMEM;
	json_decref(root);
	if (rc < 0) {
		vrt_profile_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int vrt_profile_load(const char *path, vrt_profile_t **out, char *err,
                     size_t errsize)
{
	if (errsize)
		err[0] = '\0';
	if (!path || !out)
		return VRT_EINVAL;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errsize)
			snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return VRT_EPROFILE;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return VRT_ENOMEM;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, 4096, f);
		len += got;
		if (got < 4096)
			break;
	}
	int ioerr = ferror(f);
	fclose(f);
	if (ioerr) {
		free(buf);
		if (errsize)
			snprintf(err, errsize, "%s: read error", path);
		return VRT_EPROFILE;
	}
	int rc = vrt_profile_parse(path, buf, len, out, err, errsize);
	free(buf);
	return rc;
}
