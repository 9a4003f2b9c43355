/* sim/scenario/scenario.c: scenario files (see scenario.h and
 * scenarios/README.md), read with libyaml's document API so every error can
 * name its line. */
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "loadgenerator/loadgen.h"

static const char *const action_keys[SC_N_ACTIONS] = {
#define SC_ACTION_KEY_(id, key, what) key,
    SC_ACTION_MAP(SC_ACTION_KEY_)
#undef SC_ACTION_KEY_
};

const char *sc_action_name(sc_action_kind_t k)
{
	return (unsigned)k < SC_N_ACTIONS ? action_keys[k] : NULL;
}

typedef struct ps {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t errsize;
	sc_scenario_t *s;
} ps_t;

__attribute__((format(printf, 4, 5))) static int fail(ps_t *p,
                                                      yaml_node_t *n,
                                                      const char *field,
                                                      const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (n)
		snprintf(p->err, p->errsize, "%s:%lu: %s: %s", p->file,
		         (unsigned long)n->start_mark.line + 1, field, why);
	else
		snprintf(p->err, p->errsize, "%s: %s: %s", p->file, field, why);
	return -1;
}

static yaml_node_t *node(ps_t *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
	                                        : NULL;
}

static int get_str(ps_t *p, yaml_node_t *n, const char *field, char **out)
{
	const char *v = scalar(n);
	if (!v || !*v)
		return fail(p, n, field, "expected a non-empty string");
	free(*out);
	*out = strdup(v);
	return *out ? 0 : fail(p, n, field, "out of memory");
}

static int get_duration(ps_t *p, yaml_node_t *n, const char *field,
                        des_time_t *out)
{
	const char *v = scalar(n), *why = "expected a duration";
	rt_time_t t;
	if (!v || loadgen_parse_duration(v, &t, &why) != 0)
		return fail(p, n, field, "\"%s\" is not a duration: %s",
		            v ? v : "", why);
	*out = t;
	return 0;
}

static int get_number(ps_t *p, yaml_node_t *n, const char *field, double min,
                      double *out)
{
	const char *v = scalar(n);
	char *end;
	errno = 0;
	double d = v ? strtod(v, &end) : 0;
	if (!v || !*v || *end || errno || !isfinite(d))
		return fail(p, n, field, "\"%s\" is not a number", v ? v : "");
	if (d < min)
		return fail(p, n, field, "must be at least %g", min);
	*out = d;
	return 0;
}

static int get_int(ps_t *p, yaml_node_t *n, const char *field, long min,
                   long max, long *out)
{
	const char *v = scalar(n);
	char *end;
	errno = 0;
	long x = v ? strtol(v, &end, 10) : 0;
	if (!v || !*v || *end || errno)
		return fail(p, n, field, "\"%s\" is not an integer", v ? v : "");
	if (x < min || x > max)
		return fail(p, n, field, "must be within %ld..%ld", min, max);
	*out = x;
	return 0;
}

static int get_bool(ps_t *p, yaml_node_t *n, const char *field, int *out)
{
	const char *v = scalar(n);
	if (v && (!strcmp(v, "true") || !strcmp(v, "yes"))) {
		*out = 1;
		return 0;
	}
	if (v && (!strcmp(v, "false") || !strcmp(v, "no"))) {
		*out = 0;
		return 0;
	}
	return fail(p, n, field, "expected true or false");
}

/* Walks the pairs of mapping |n|: |fn| gets each key and value. */
typedef int (*pair_fn)(ps_t *p, const char *key, yaml_node_t *k,
                       yaml_node_t *v, void *arg);

static int each_pair(ps_t *p, yaml_node_t *n, const char *field, pair_fn fn,
                     void *arg)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return fail(p, n, field, "expected a mapping");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(p, pr->key), *v = node(p, pr->value);
		const char *key = scalar(k);
		if (!key)
			return fail(p, k, field, "keys must be strings");
		if (fn(p, key, k, v, arg) != 0)
			return -1;
	}
	return 0;
}

/* ---- load ---------------------------------------------------------------- */

typedef struct load_arg {
	double rate;
	int has_rate, has_users, has_profile, has_ramp, has_spike;
	yaml_node_t *first; /* for errors about the whole */
} load_arg_t;

static int add_point(ps_t *p, yaml_node_t *n, des_time_t at, double rate,
                     int ramp)
{
	sc_scenario_t *s = p->s;
	ld_point_t *np = realloc(s->load.points,
	                         (s->load.n_points + 1) * sizeof *np);
	if (!np)
		return fail(p, n, "load", "out of memory");
	s->load.points = np;
	np[s->load.n_points++] = (ld_point_t){at, rate, ramp};
	return 0;
}

typedef struct pt_arg {
	des_time_t at;
	double rate;
	int ramp, has_at, has_rate;
} pt_arg_t;

static int point_pair(ps_t *p, const char *key, yaml_node_t *k,
                      yaml_node_t *v, void *arg)
{
	pt_arg_t *a = arg;
	if (!strcmp(key, "at")) {
		a->has_at = 1;
		return get_duration(p, v, "load.profile.at", &a->at);
	}
	if (!strcmp(key, "rate")) {
		a->has_rate = 1;
		return get_number(p, v, "load.profile.rate", 0, &a->rate);
	}
	if (!strcmp(key, "ramp"))
		return get_bool(p, v, "load.profile.ramp", &a->ramp);
	return fail(p, k, "load.profile", "unknown key \"%s\" (at, rate, ramp)",
	            key);
}

typedef struct shape_arg {
	double from, to, base, peak;
	des_time_t over, at, len;
	int n;
	const char *field;
} shape_arg_t;

static int shape_pair(ps_t *p, const char *key, yaml_node_t *k,
                      yaml_node_t *v, void *arg)
{
	shape_arg_t *a = arg;
	char f[64];
	snprintf(f, sizeof f, "%s.%s", a->field, key);
	a->n++;
	int ramp = !strcmp(a->field, "load.ramp");
	if (ramp && !strcmp(key, "from"))
		return get_number(p, v, f, 0, &a->from);
	if (ramp && !strcmp(key, "to"))
		return get_number(p, v, f, 0, &a->to);
	if (ramp && !strcmp(key, "over"))
		return get_duration(p, v, f, &a->over);
	if (!ramp && !strcmp(key, "base"))
		return get_number(p, v, f, 0, &a->base);
	if (!ramp && !strcmp(key, "peak"))
		return get_number(p, v, f, 0, &a->peak);
	if (!ramp && !strcmp(key, "at"))
		return get_duration(p, v, f, &a->at);
	if (!ramp && !strcmp(key, "for"))
		return get_duration(p, v, f, &a->len);
	a->n--;
	return fail(p, k, a->field, "unknown key \"%s\" (%s)", key,
	            ramp ? "from, to, over" : "base, peak, at, for");
}

static int load_pair(ps_t *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                     void *arg)
{
	load_arg_t *a = arg;
	sc_scenario_t *s = p->s;
	if (!a->first)
		a->first = k;
	if (!strcmp(key, "users")) {
		long n;
		a->has_users = 1;
		if (get_int(p, v, "load.users", 1, 10000000, &n) != 0)
			return -1;
		s->load.users = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "spawn_rate"))
		return get_number(p, v, "load.spawn_rate", 0.001,
		                  &s->load.spawn_rate);
	if (!strcmp(key, "rate")) {
		a->has_rate = 1;
		return get_number(p, v, "load.rate", 0, &a->rate);
	}
	if (!strcmp(key, "route")) {
		if (get_str(p, v, "load.route", &s->load.route) != 0)
			return -1;
		if (ld_route_find(s->load.route) < 0)
			return fail(p, v, "load.route",
			            "no route \"%s\" (one of: GET /, POST "
			            "/setCurrency, GET /product/[id], POST /cart, "
			            "GET /cart, POST /cart/checkout, GET /business)",
			            s->load.route);
		return 0;
	}
	if (!strcmp(key, "arrivals")) {
		const char *x = scalar(v);
		if (x && !strcmp(x, "poisson"))
			s->load.deterministic = 0;
		else if (x && !strcmp(x, "uniform"))
			s->load.deterministic = 1;
		else
			return fail(p, v, "load.arrivals",
			            "expected poisson or uniform");
		return 0;
	}
	if (!strcmp(key, "profile")) {
		a->has_profile = 1;
		if (!v || v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.start == v->data.sequence.items.top)
			return fail(p, v, "load.profile",
			            "expected a list of {at, rate[, ramp]}");
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *pn = node(p, *it);
			pt_arg_t pa = {0};
			if (each_pair(p, pn, "load.profile", point_pair, &pa))
				return -1;
			if (!pa.has_at || !pa.has_rate)
				return fail(p, pn, "load.profile",
				            "each point needs at: and rate:");
			if (p->s->load.n_points &&
			    pa.at < p->s->load.points[p->s->load.n_points - 1].at)
				return fail(p, pn, "load.profile.at",
				            "points must be in time order");
			if (add_point(p, pn, pa.at, pa.rate, pa.ramp) != 0)
				return -1;
		}
		return 0;
	}
	if (!strcmp(key, "ramp") || !strcmp(key, "spike")) {
		int ramp = key[0] == 'r';
		shape_arg_t sa = {.field = ramp ? "load.ramp" : "load.spike"};
		if (ramp)
			a->has_ramp = 1;
		else
			a->has_spike = 1;
		if (each_pair(p, v, sa.field, shape_pair, &sa) != 0)
			return -1;
		if (sa.n != 3 + !ramp)
			return fail(p, v, sa.field, "needs %s",
			            ramp ? "from, to and over"
			                 : "base, peak, at and for");
		if (ramp)
			return add_point(p, v, 0, sa.from, 0) ||
			       add_point(p, v, sa.over, sa.to, 1);
		/* Each duration fits the clock; their sum may not. */
		if (sa.len > DES_TIME_MAX - sa.at)
			return fail(p, v, sa.field,
			            "at + for is past the end of the clock");
		return add_point(p, v, 0, sa.base, 0) ||
		       add_point(p, v, sa.at, sa.peak, 0) ||
		       add_point(p, v, sa.at + sa.len, sa.base, 0);
	}
	return fail(p, k, "load",
	            "unknown key \"%s\" (users, spawn_rate, rate, profile, "
	            "ramp, spike, arrivals, route)",
	            key);
}

static int parse_load(ps_t *p, yaml_node_t *v)
{
	load_arg_t a = {0};
	if (each_pair(p, v, "load", load_pair, &a) != 0)
		return -1;
	int shapes = a.has_rate + a.has_profile + a.has_ramp + a.has_spike;
	if (a.has_users && shapes)
		return fail(p, v, "load",
		            "users (closed loop) and a rate (open loop) exclude "
		            "each other");
	if (shapes > 1)
		return fail(p, v, "load",
		            "give one of rate, profile, ramp and spike");
	if (a.has_users) {
		p->s->load.kind = SC_LOAD_USERS;
		if (p->s->load.route)
			return fail(p, v, "load.route",
			            "only for open-loop load (a rate)");
		return 0;
	}
	if (!shapes)
		return fail(p, v, "load", "needs users: or a rate (rate, "
		                          "profile, ramp or spike)");
	if (p->s->load.spawn_rate > 0)
		return fail(p, v, "load.spawn_rate", "only with users:");
	p->s->load.kind = SC_LOAD_RATE;
	if (a.has_rate)
		return add_point(p, v, 0, a.rate, 0);
	return 0;
}

/* ---- actions ------------------------------------------------------------- */

typedef struct act_arg {
	sc_action_t a;
	int has_at, has_verb, has_replicas, has_grace, index;
	char field[48];
} act_arg_t;

static int action_pair(ps_t *p, const char *key, yaml_node_t *k,
                       yaml_node_t *v, void *arg)
{
	act_arg_t *x = arg;
	char f[96];
	snprintf(f, sizeof f, "%s.%s", x->field, key);
	if (!strcmp(key, "at")) {
		x->has_at = 1;
		return get_duration(p, v, f, &x->a.at);
	}
	if (!strcmp(key, "replicas")) {
		long n;
		x->has_replicas = 1;
		if (get_int(p, v, f, 0, 10000, &n) != 0)
			return -1;
		x->a.replicas = (int)n;
		return 0;
	}
	if (!strcmp(key, "grace")) {
		des_time_t g;
		x->has_grace = 1;
		if (get_duration(p, v, f, &g) != 0)
			return -1;
		if (g / DES_S(1) > INT_MAX)
			return fail(p, v, f, "longer than %d seconds", INT_MAX);
		x->a.grace_s = (int)(g / DES_S(1));
		return 0;
	}
	for (int i = 0; i < SC_N_ACTIONS; i++)
		if (!strcmp(key, action_keys[i])) {
			if (x->has_verb)
				return fail(p, k, x->field,
				            "one action per entry (\"%s\" and "
				            "\"%s\")",
				            action_keys[x->a.kind], key);
			x->has_verb = 1;
			x->a.kind = (sc_action_kind_t)i;
			return get_str(p, v, f, &x->a.target);
		}
	return fail(p, k, x->field,
	            "unknown key \"%s\" (at, kill, delete, scale, replicas, "
	            "grace, hang, heal, drain, cordon, uncordon)",
	            key);
}

static int cmp_action(const void *a, const void *b)
{
	const sc_action_t *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->line - y->line; /* stable: file order */
}

static int parse_actions(ps_t *p, yaml_node_t *v)
{
	if (!v || v->type != YAML_SEQUENCE_NODE)
		return fail(p, v, "actions", "expected a list");
	int i = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++, i++) {
		yaml_node_t *an = node(p, *it);
		act_arg_t x = {.a = {.grace_s = -1}, .index = i};
		snprintf(x.field, sizeof x.field, "actions[%d]", i);
		x.a.line = an ? (int)an->start_mark.line + 1 : 0;
		int rc = each_pair(p, an, x.field, action_pair, &x);
		if (rc == 0 && !x.has_at)
			rc = fail(p, an, x.field, "needs at:");
		if (rc == 0 && !x.has_verb)
			rc = fail(p, an, x.field,
			          "needs an action (kill, delete, scale, hang, "
			          "heal, drain, cordon, uncordon)");
		if (rc == 0 && x.a.kind == SC_ACTION_SCALE && !x.has_replicas)
			rc = fail(p, an, x.field, "scale needs replicas:");
		if (rc == 0 && x.a.kind != SC_ACTION_SCALE && x.has_replicas)
			rc = fail(p, an, x.field, "replicas: is for scale");
		if (rc == 0 && x.a.kind != SC_ACTION_DELETE && x.has_grace)
			rc = fail(p, an, x.field, "grace: is for delete");
		sc_action_t *na = rc ? NULL
		                     : realloc(p->s->actions,
		                               (p->s->n_actions + 1) * sizeof *na);
		if (!na) {
			free(x.a.target);
			return rc ? -1 : fail(p, an, x.field, "out of memory");
		}
		p->s->actions = na;
		na[p->s->n_actions++] = x.a;
	}
	qsort(p->s->actions, p->s->n_actions, sizeof *p->s->actions,
	      cmp_action);
	return 0;
}

/* ---- slo ----------------------------------------------------------------- */

typedef struct slo_arg {
	slo_scope_t scope;
	const char *name;
	yaml_node_t *scope_node;
	size_t first; /* this entry's first objective */
	char field[32];
} slo_arg_t;

static int slo_pair(ps_t *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                    void *arg)
{
	slo_arg_t *x = arg;
	sc_scenario_t *s = p->s;
	char f[96], why[192];
	snprintf(f, sizeof f, "%s.%s", x->field, key);
	static const char *const scopes[] = {"route", "service", "workload"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(key, scopes[i])) {
			const char *n = scalar(v);
			if (x->name)
				return fail(p, k, x->field,
				            "one scope per entry (%s and %s)",
				            slo_scope_name(x->scope), key);
			if (!n || !*n)
				return fail(p, v, f, "expected a non-empty string");
			if (i == 0 && (!strchr(n, ' ') || strchr(n, ' ')[1] != '/'))
				return fail(p, v, f,
				            "\"%s\" is not METHOD /path (\"GET /\", "
				            "\"GET /product/[id]\", ...)",
				            n);
			x->scope = (slo_scope_t)(SLO_SCOPE_ROUTE + i);
			x->name = n;
			x->scope_node = v;
			return 0;
		}
	int m = slo_metric_find(key);
	if (m < 0)
		return fail(p, k, x->field,
		            "unknown key \"%s\" (route, service, workload, p50, "
		            "p95, p99, max, mean, errors, success)",
		            key);
	slo_bound_t b = {(slo_metric_t)m, 0, 0};
	const char *val = scalar(v);
	if (!val || slo_parse_value(b.metric, val, &b.limit, why, sizeof why))
		return fail(p, v, f, "%s", val ? why : "expected a value");
	slo_assert_t *na = realloc(s->slo, (s->n_slo + 1) * sizeof *na);
	if (!na)
		return fail(p, v, f, "out of memory");
	s->slo = na;
	na[s->n_slo++] = (slo_assert_t){SLO_SCOPE_ALL, NULL, b,
	                                (int)v->start_mark.line + 1};
	return 0;
}

static int parse_slo(ps_t *p, yaml_node_t *v)
{
	if (!v || v->type != YAML_SEQUENCE_NODE)
		return fail(p, v, "slo",
		            "expected a list of {[route|service|workload], "
		            "p99: 300ms, errors: 1%%, ...}");
	int i = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++, i++) {
		yaml_node_t *en = node(p, *it);
		slo_arg_t x = {.first = p->s->n_slo};
		snprintf(x.field, sizeof x.field, "slo[%d]", i);
		if (each_pair(p, en, x.field, slo_pair, &x) != 0)
			return -1;
		if (p->s->n_slo == x.first)
			return fail(p, en, x.field,
			            "needs an objective (p50, p95, p99, max, "
			            "mean, errors, success)");
		/* The scope may come after the bounds: give it to each. */
		for (size_t j = x.first; j < p->s->n_slo; j++) {
			p->s->slo[j].scope = x.scope;
			if (x.name && !(p->s->slo[j].name = strdup(x.name)))
				return fail(p, x.scope_node, x.field,
				            "out of memory");
		}
	}
	return 0;
}

/* ---- canary ------------------------------------------------------------- */

typedef struct can_arg {
	int has_service;
	yaml_node_t *step_node, *max_node;
} can_arg_t;

static int metrics_pair(ps_t *p, const char *key, yaml_node_t *k,
                        yaml_node_t *v, void *arg)
{
	(void)arg;
	char f[64], why[192];
	snprintf(f, sizeof f, "canary.metrics.%s", key);
	int m = !strcmp(key, "success") ? SLO_SUCCESS
	        : !strcmp(key, "p99")   ? SLO_P99
	                                : -1;
	if (m < 0)
		return fail(p, k, "canary.metrics",
		            "unknown key \"%s\" (success, p99)", key);
	const char *val = scalar(v);
	double lim;
	if (!val || slo_parse_value((slo_metric_t)m, val, &lim, why, sizeof why))
		return fail(p, v, f, "%s", val ? why : "expected a value");
	if (m == SLO_SUCCESS)
		p->s->canary.success_min = lim;
	else
		p->s->canary.p99_max_ms = lim;
	return 0;
}

static int canary_pair(ps_t *p, const char *key, yaml_node_t *k,
                       yaml_node_t *v, void *arg)
{
	can_arg_t *a = arg;
	sc_scenario_t *s = p->s;
	long n;
	if (!strcmp(key, "service")) {
		a->has_service = 1;
		s->canary.service_line = v ? (int)v->start_mark.line + 1 : 0;
		return get_str(p, v, "canary.service", &s->canary.service);
	}
	if (!strcmp(key, "interval")) {
		if (get_duration(p, v, "canary.interval", &s->canary.interval))
			return -1;
		if (s->canary.interval < DES_S(1))
			return fail(p, v, "canary.interval",
			            "must be at least 1s");
		return 0;
	}
	if (!strcmp(key, "stepWeight")) {
		a->step_node = v;
		if (get_int(p, v, "canary.stepWeight", 1, 100, &n) != 0)
			return -1;
		s->canary.step_weight = (int)n;
		return 0;
	}
	if (!strcmp(key, "maxWeight")) {
		a->max_node = v;
		if (get_int(p, v, "canary.maxWeight", 1, 100, &n) != 0)
			return -1;
		s->canary.max_weight = (int)n;
		return 0;
	}
	if (!strcmp(key, "threshold")) {
		if (get_int(p, v, "canary.threshold", 1, 1000, &n) != 0)
			return -1;
		s->canary.threshold = (int)n;
		return 0;
	}
	if (!strcmp(key, "metrics"))
		return each_pair(p, v, "canary.metrics", metrics_pair, NULL);
	return fail(p, k, "canary",
	            "unknown key \"%s\" (service, interval, stepWeight, "
	            "maxWeight, threshold, metrics)",
	            key);
}

static int parse_canary(ps_t *p, yaml_node_t *k, yaml_node_t *v)
{
	sc_scenario_t *s = p->s;
	can_arg_t a = {0};
	s->canary.set = 1;
	s->canary.line = (int)k->start_mark.line + 1;
	s->canary.interval = DES_S(60);
	s->canary.step_weight = 10;
	s->canary.max_weight = 50;
	s->canary.threshold = 5;
	s->canary.success_min = 99;
	s->canary.p99_max_ms = 500;
	if (each_pair(p, v, "canary", canary_pair, &a) != 0)
		return -1;
	if (!a.has_service)
		return fail(p, v, "canary.service",
		            "needs the canaried service (e.g. frontend)");
	if (s->canary.max_weight < s->canary.step_weight)
		return fail(p, a.max_node ? a.max_node : a.step_node,
		            "canary.maxWeight",
		            "%d is less than stepWeight %d",
		            s->canary.max_weight, s->canary.step_weight);
	return 0;
}

/* ---- the file ------------------------------------------------------------ */

static char *resolve(const char *file, const char *path)
{
	const char *slash = strrchr(file, '/');
	if (path[0] == '/' || !slash)
		return strdup(path);
	size_t dl = (size_t)(slash - file) + 1, pl = strlen(path);
	char *r = malloc(dl + pl + 1);
	if (r) {
		memcpy(r, file, dl);
		memcpy(r + dl, path, pl + 1);
	}
	return r;
}

static int top_pair(ps_t *p, const char *key, yaml_node_t *k, yaml_node_t *v,
                    void *arg)
{
	(void)arg;
	sc_scenario_t *s = p->s;
	if (!strcmp(key, "name"))
		return get_str(p, v, "name", &s->name);
	if (!strcmp(key, "duration")) {
		s->has_duration = 1;
		if (get_duration(p, v, "duration", &s->duration) != 0)
			return -1;
		if (s->duration <= 0)
			return fail(p, v, "duration", "must be more than 0");
		return 0;
	}
	if (!strcmp(key, "seed")) {
		const char *x = scalar(v);
		char *end;
		errno = 0;
		unsigned long long n = x ? strtoull(x, &end, 10) : 0;
		if (!x || !*x || *end || errno || x[0] == '-')
			return fail(p, v, "seed", "\"%s\" is not a non-negative "
			                          "integer", x ? x : "");
		s->seed = n;
		s->has_seed = 1;
		return 0;
	}
	if (!strcmp(key, "charts")) {
		char *c = NULL;
		if (get_str(p, v, "charts", &c) != 0)
			return -1;
		free(s->charts);
		s->charts = resolve(p->file, c);
		free(c);
		return s->charts ? 0 : fail(p, v, "charts", "out of memory");
	}
	if (!strcmp(key, "istio")) {
		char *c = NULL;
		if (get_str(p, v, "istio", &c) != 0)
			return -1;
		free(s->istio);
		s->istio = resolve(p->file, c);
		free(c);
		return s->istio ? 0 : fail(p, v, "istio", "out of memory");
	}
	if (!strcmp(key, "mesh")) {
		/* YAML 1.1 reads a bare off/on as booleans; accept both. */
		const char *x = scalar(v);
		if (x && (!strcmp(x, "off") || !strcmp(x, "false")))
			s->mesh_off = 1;
		else if (x && (!strcmp(x, "on") || !strcmp(x, "true")))
			s->mesh_off = 0;
		else
			return fail(p, v, "mesh", "\"%s\" is not on or off",
			            x ? x : "");
		return 0;
	}
	if (!strcmp(key, "node_cpu")) {
		const char *x = scalar(v);
		if (x && (!strcmp(x, "on") || !strcmp(x, "true")))
			s->node_cpu = 1;
		else if (x && (!strcmp(x, "off") || !strcmp(x, "false")))
			s->node_cpu = 0;
		else
			return fail(p, v, "node_cpu", "\"%s\" is not on or off",
			            x ? x : "");
		return 0;
	}
	if (!strcmp(key, "set")) {
		if (!v || v->type != YAML_SEQUENCE_NODE)
			return fail(p, v, "set",
			            "expected a list of \"<chart>.<key>=<value>\"");
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *sn = node(p, *it);
			const char *x = scalar(sn);
			const char *dot = x ? strchr(x, '.') : NULL;
			if (!x || !dot || dot == x || !strchr(dot, '='))
				return fail(p, sn, "set",
				            "\"%s\" is not <chart>.<key>=<value>",
				            x ? x : "");
			char **ns = realloc(s->set, (s->n_set + 2) * sizeof *ns);
			if (!ns)
				return fail(p, sn, "set", "out of memory");
			s->set = ns;
			if (!(ns[s->n_set] = strdup(x)))
				return fail(p, sn, "set", "out of memory");
			ns[++s->n_set] = NULL;
		}
		return 0;
	}
	if (!strcmp(key, "load"))
		return parse_load(p, v);
	if (!strcmp(key, "actions"))
		return parse_actions(p, v);
	if (!strcmp(key, "slo"))
		return parse_slo(p, v);
	if (!strcmp(key, "canary"))
		return parse_canary(p, k, v);
	return fail(p, k, key,
	            "unknown key (name, duration, seed, charts, istio, mesh, "
	            "node_cpu, set, load, actions, slo, canary)");
}

int sc_parse(const char *file, const char *buf, size_t len,
             sc_scenario_t **out, char *err, size_t errsize)
{
	*out = NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errsize, "%s: out of memory", file);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errsize, "%s:%lu: %s", file,
		         (unsigned long)parser.problem_mark.line + 1,
		         parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		return -1;
	}
	sc_scenario_t *s = calloc(1, sizeof *s);
	ps_t p = {file, &doc, err, errsize, s};
	int rc = -1;
	if (!s || !(s->file = strdup(file))) {
		snprintf(err, errsize, "%s: out of memory", file);
		goto out;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && !(root->type == YAML_SCALAR_NODE &&
	              !*root->data.scalar.value) &&
	    each_pair(&p, root, "(top)", top_pair, NULL) != 0)
		goto out;
	if (s->load.kind == SC_LOAD_RATE &&
	    ld_profile_check(s->load.points, s->load.n_points, err,
	                     errsize) != 0) {
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errsize, "%s: load: %s", file, why);
		goto out;
	}
	if (!s->name) {
		const char *b = strrchr(file, '/');
		b = b ? b + 1 : file;
		size_t n = strcspn(b, ".");
		s->name = strndup(b, n ? n : strlen(b));
		if (!s->name)
			goto out;
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc == 0)
		*out = s;
	else
		sc_free(s);
	return rc;
}

int sc_load(const char *path, sc_scenario_t **out, char *err, size_t errsize)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errsize, "%s: out of memory", path);
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		snprintf(err, errsize, "%s: cannot read", path);
		return -1;
	}
	int rc = sc_parse(path, buf, len, out, err, errsize);
	free(buf);
	return rc;
}

void sc_free(sc_scenario_t *s)
{
	if (!s)
		return;
	free(s->file);
	free(s->name);
	free(s->charts);
	free(s->istio);
	free(s->canary.service);
	for (size_t i = 0; i < s->n_set; i++)
		free(s->set[i]);
	free(s->set);
	free(s->load.points);
	free(s->load.route);
	for (size_t i = 0; i < s->n_actions; i++)
		free(s->actions[i].target);
	free(s->actions);
	for (size_t i = 0; i < s->n_slo; i++)
		free(s->slo[i].name);
	free(s->slo);
	free(s);
}
