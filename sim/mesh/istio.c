/* sim/mesh/istio.c: Istio objects from the YAML tree into typed structs,
 * strictly, and their references resolved. */
#include "istio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: every model allocation of a config, freed together ---- */
typedef struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
} chunk_t;

static void *amalloc(mesh_config_t *cfg, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	chunk_t *c = cfg->arena_;
	if (!c || c->size - c->used < n) {
		size_t size = n > 65536 ? n : 65536;
		chunk_t *nc = malloc(sizeof *nc + size);
		if (!nc)
			return NULL;
		nc->next = c;
		nc->used = 0;
		nc->size = size;
		cfg->arena_ = c = nc;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static char *astrdup(mesh_config_t *cfg, const char *s)
{
	size_t n = strlen(s);
	char *d = amalloc(cfg, n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

int mesh_config_init(mesh_config_t *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	return 0;
}

void mesh_config_free(mesh_config_t *cfg)
{
	for (chunk_t *c = cfg->arena_, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	for (size_t i = 0; i < cfg->nfiles; i++)
		yd_file_free(cfg->files[i]);
	free(cfg->files);
	free(cfg->gateways);
	free(cfg->vs);
	free(cfg->dr);
	free(cfg->pa);
	free(cfg->ap);
	free(cfg->objs);
	memset(cfg, 0, sizeof *cfg);
}

static int push(void ***arr, size_t *n, size_t *cap, void *item)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		void **a = realloc(*arr, c * sizeof *a);
		if (!a)
			return -1;
		*arr = a;
		*cap = c;
	}
	(*arr)[(*n)++] = item;
	return 0;
}

/* ---- parse context ---- */
typedef struct pc {
	mesh_config_t *cfg;
	mesh_diags_t *d;
	const char *file;
	char what[300]; /* "VirtualService frontend/shop" */
	char path[512];
	size_t plen;
	int nerr;
	int oom;
} pc_t;

static size_t pk(pc_t *c, const char *key)
{
	size_t old = c->plen;
	int k = snprintf(c->path + old, sizeof c->path - old, "%s%s", old ? "." : "", key);
	if (k > 0 && old + (size_t)k < sizeof c->path)
		c->plen += (size_t)k;
	return old;
}

static size_t pidx(pc_t *c, size_t i)
{
	size_t old = c->plen;
	int k = snprintf(c->path + old, sizeof c->path - old, "[%zu]", i);
	if (k > 0 && old + (size_t)k < sizeof c->path)
		c->plen += (size_t)k;
	return old;
}

static void pp(pc_t *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static void perr_fix(pc_t *c, const yd_node_t *n, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void perr_fix(pc_t *c, const yd_node_t *n, const char *fix, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->nerr++;
	if (c->plen)
		mesh_diag_add(c->d, MESH_SEV_ERROR, c->file, n ? n->line : 0, n ? n->col : 0, fix,
			      "%s: field %s: %s", c->what, c->path, msg);
	else
		mesh_diag_add(c->d, MESH_SEV_ERROR, c->file, n ? n->line : 0, n ? n->col : 0, fix,
			      "%s: %s", c->what, msg);
}
#define perr(c, n, ...) perr_fix((c), (n), NULL, __VA_ARGS__)

static void *pmalloc(pc_t *c, size_t n)
{
	void *p = amalloc(c->cfg, n ? n : 1);
	if (!p)
		c->oom = 1;
	return p;
}

static const char *kind_name(yd_kind_t k)
{
	return k == YD_MAP ? "a mapping" : k == YD_SEQ ? "a list" : "a scalar";
}

/* Levenshtein distance, capped; for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 63 || m > 63)
		return 99;
	int d[64][64];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int x = d[i - 1][j] + 1, y = d[i][j - 1] + 1, z = d[i - 1][j - 1] + cost;
			d[i][j] = x < y ? (x < z ? x : z) : (y < z ? y : z);
		}
	return d[n][m];
}

/* Checks that |m| is a map whose keys are all in the space-separated
 * |known|. Returns 0 when |m| is a map (unknown keys are reported but the
 * rest is still read), -1 when it is not. */
static int keys(pc_t *c, const yd_node_t *m, const char *known)
{
	if (!m || m->kind != YD_MAP) {
		if (m && yd_is_null(m))
			return -1; /* `key:` with nothing: treated as absent by callers */
		perr(c, m, "must be a mapping, not %s", m ? kind_name(m->kind) : "nothing");
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		const char *k = YD_KEY(m, i)->str;
		const char *best = NULL;
		int bestd = 3, found = 0;
		for (const char *p = known; *p;) {
			const char *e = strchr(p, ' ');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			char w[64];
			if (len < sizeof w) {
				memcpy(w, p, len);
				w[len] = '\0';
				if (!strcmp(w, k)) {
					found = 1;
					break;
				}
				int dd = edit_distance(w, k);
				if (dd < bestd) {
					bestd = dd;
					best = p;
				}
			}
			p += len + (e != NULL);
		}
		if (found)
			continue;
		size_t old = pk(c, k);
		if (best) {
			size_t len = strcspn(best, " ");
			char fix[128];
			snprintf(fix, sizeof fix, "did you mean \"%.*s\"?", (int)len, best);
			perr_fix(c, YD_KEY(m, i), fix, "unknown field");
		} else {
			perr(c, YD_KEY(m, i), "unknown field");
		}
		pp(c, old);
	}
	return 0;
}

/* keys() for an item of a list of objects. A null item (`-` with nothing
 * after it) is an error here: the API server refuses null in a list of
 * objects, where keys() lets a null field pass as absent. */
static int item_keys(pc_t *c, const yd_node_t *m, const char *known)
{
	if (m && yd_is_null(m)) {
		perr(c, m, "must be a mapping, not null");
		return -1;
	}
	return keys(c, m, known);
}

/* Value of |key| in |m| (NULL when absent or null). */
static const yd_node_t *val(const yd_node_t *m, const char *key)
{
	const yd_node_t *v = yd_get(m, key);
	return yd_is_null(v) ? NULL : v;
}

static const char *scalar(pc_t *c, const yd_node_t *n)
{
	if (n->kind != YD_SCALAR) {
		perr(c, n, "must be a string, not %s", kind_name(n->kind));
		return NULL;
	}
	return n->str;
}

static const char *gstr(pc_t *c, const yd_node_t *m, const char *key, int required)
{
	const yd_node_t *n = val(m, key);
	size_t old = pk(c, key);
	const char *s = NULL;
	if (!n) {
		if (required)
			perr(c, m, "required");
	} else {
		s = scalar(c, n);
	}
	pp(c, old);
	return s;
}

static int parse_int(const yd_node_t *n, long long *out)
{
	if (n->kind != YD_SCALAR || !n->plain || !*n->str)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(n->str, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

/* An integer lo..hi at |key|; |def| when absent. */
static long long gint(pc_t *c, const yd_node_t *m, const char *key, long long lo, long long hi,
		      long long def)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return def;
	long long v;
	size_t old = pk(c, key);
	if (parse_int(n, &v) < 0 || v < lo || v > hi) {
		if (hi == INT32_MAX || hi == INT64_MAX)
			perr(c, n, "must be an integer >= %lld, not \"%s\"", lo,
			     n->kind == YD_SCALAR ? n->str : kind_name(n->kind));
		else
			perr(c, n, "must be an integer %lld..%lld, not \"%s\"", lo, hi,
			     n->kind == YD_SCALAR ? n->str : kind_name(n->kind));
		v = def;
	}
	pp(c, old);
	return v;
}

static double gdouble(pc_t *c, const yd_node_t *m, const char *key, double lo, double hi,
		      double def)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return def;
	size_t old = pk(c, key);
	double v = def;
	char *end = NULL;
	if (n->kind == YD_SCALAR && n->plain && *n->str)
		v = strtod(n->str, &end);
	if (!end || *end || !(v >= lo && v <= hi)) {
		perr(c, n, "must be a number %g..%g, not \"%s\"", lo, hi,
		     n->kind == YD_SCALAR ? n->str : kind_name(n->kind));
		v = def;
	}
	pp(c, old);
	return v;
}

static int gbool(pc_t *c, const yd_node_t *m, const char *key, int def)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return def;
	if (n->kind == YD_SCALAR && n->plain && (!strcmp(n->str, "true") || !strcmp(n->str, "True")))
		return 1;
	if (n->kind == YD_SCALAR && n->plain &&
	    (!strcmp(n->str, "false") || !strcmp(n->str, "False")))
		return 0;
	size_t old = pk(c, key);
	perr(c, n, "must be true or false");
	pp(c, old);
	return def;
}

static int64_t gdur(pc_t *c, const yd_node_t *m, const char *key, int64_t def)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return def;
	size_t old = pk(c, key);
	int64_t v = n->kind == YD_SCALAR ? mesh_parse_duration_ms(n->str) : -1;
	if (v < 0) {
		perr(c, n, "must be a duration such as \"10s\" or \"250ms\", not \"%s\"",
		     n->kind == YD_SCALAR ? n->str : kind_name(n->kind));
		v = def;
	}
	pp(c, old);
	return v;
}

/* One of the space-separated |allowed| words; index or |def|. */
static int genum(pc_t *c, const yd_node_t *m, const char *key, const char *allowed, int def)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return def;
	size_t old = pk(c, key);
	int idx = 0, found = -1;
	if (n->kind == YD_SCALAR)
		for (const char *p = allowed; *p; idx++) {
			size_t len = strcspn(p, " ");
			if (strlen(n->str) == len && !strncmp(p, n->str, len)) {
				found = idx;
				break;
			}
			p += len + (p[len] == ' ');
		}
	if (found < 0) {
		perr(c, n, "must be one of %s, not \"%s\"", allowed,
		     n->kind == YD_SCALAR ? n->str : kind_name(n->kind));
		found = def;
	}
	pp(c, old);
	return found;
}

static void glabels_node(pc_t *c, const yd_node_t *n, mesh_labels_t *out)
{
	if (!n)
		return;
	if (n->kind != YD_MAP) {
		perr(c, n, "must be a mapping of labels, not %s", kind_name(n->kind));
		return;
	}
	out->kv = pmalloc(c, n->n * sizeof *out->kv);
	if (!out->kv)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const yd_node_t *v = YD_VAL(n, i);
		if (v->kind != YD_SCALAR) {
			size_t old = pk(c, YD_KEY(n, i)->str);
			perr(c, v, "a label value must be a string");
			pp(c, old);
			continue;
		}
		out->kv[out->n].key = YD_KEY(n, i)->str;
		out->kv[out->n++].value = v->str;
	}
}

static void glabels(pc_t *c, const yd_node_t *m, const char *key, mesh_labels_t *out)
{
	size_t old = pk(c, key);
	glabels_node(c, val(m, key), out);
	pp(c, old);
}

/* `selector: {matchLabels: {...}}` (PeerAuthentication, AuthorizationPolicy,
 * workloadSelector). */
static int gselector(pc_t *c, const yd_node_t *m, const char *key, mesh_labels_t *out)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return 0;
	size_t old = pk(c, key);
	if (keys(c, n, "matchLabels") == 0)
		glabels(c, n, "matchLabels", out);
	pp(c, old);
	return 1;
}

/* A list of strings; |strict_string|: plain numbers are refused (fields
 * that are strings in the CRD schema, e.g. AuthorizationPolicy ports). */
static void gstrs(pc_t *c, const yd_node_t *m, const char *key, mesh_strs_t *out,
		  int strict_string)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return;
	size_t old = pk(c, key);
	if (n->kind != YD_SEQ) {
		perr(c, n, "must be a list, not %s", kind_name(n->kind));
		pp(c, old);
		return;
	}
	out->v = pmalloc(c, n->n * sizeof *out->v);
	out->nodes = pmalloc(c, n->n * sizeof *out->nodes);
	if (!out->v || !out->nodes) {
		pp(c, old);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const yd_node_t *it = n->items[i];
		size_t o2 = pidx(c, i);
		long long dummy;
		if (it->kind != YD_SCALAR)
			perr(c, it, "must be a string, not %s", kind_name(it->kind));
		else if (strict_string && parse_int(it, &dummy) == 0)
			perr_fix(c, it, "quote it", "must be a string, not the number %s", it->str);
		else {
			out->v[out->n] = it->str;
			out->nodes[out->n++] = it;
		}
		pp(c, o2);
	}
	pp(c, old);
}

/* {exact|prefix|regex: "..."} */
static void gstrmatch_node(pc_t *c, const yd_node_t *n, mesh_strmatch_t *out, int header)
{
	if (!n)
		return;
	if (n->kind == YD_MAP && n->n == 0 && header) {
		out->kind = MESH_SM_PRESENT;
		return;
	}
	if (keys(c, n, "exact prefix regex") < 0)
		return;
	if (n->n != 1) {
		perr(c, n, "must have exactly one of exact, prefix, regex");
		return;
	}
	const char *k = YD_KEY(n, 0)->str;
	const char *v = gstr(c, n, k, 1);
	if (!v)
		return;
	out->value = v;
	out->kind = !strcmp(k, "exact") ? MESH_SM_EXACT
		    : !strcmp(k, "prefix") ? MESH_SM_PREFIX
					   : MESH_SM_REGEX;
}

static void gstrmatch(pc_t *c, const yd_node_t *m, const char *key, mesh_strmatch_t *out)
{
	size_t old = pk(c, key);
	gstrmatch_node(c, val(m, key), out, 0);
	pp(c, old);
}

/* Seq at |key| (absent: NULL, n=0). */
static const yd_node_t *gseq(pc_t *c, const yd_node_t *m, const char *key)
{
	const yd_node_t *n = val(m, key);
	if (!n)
		return NULL;
	if (n->kind != YD_SEQ) {
		size_t old = pk(c, key);
		perr(c, n, "must be a list, not %s", kind_name(n->kind));
		pp(c, old);
		return NULL;
	}
	return n;
}

/* ---- time ---- */
int64_t mesh_parse_duration_ms(const char *s)
{
	if (!s || !*s)
		return -1;
	double total_ns = 0;
	const char *p = s;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		double v = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		double unit;
		if (!strncmp(p, "ns", 2))
			unit = 1, p += 2;
		else if (!strncmp(p, "us", 2) || !strncmp(p, "\xc2\xb5s", 3))
			unit = 1e3, p += p[0] == 'u' ? 2 : 3;
		else if (!strncmp(p, "ms", 2))
			unit = 1e6, p += 2;
		else if (*p == 's')
			unit = 1e9, p += 1;
		else if (*p == 'm')
			unit = 60e9, p += 1;
		else if (*p == 'h')
			unit = 3600e9, p += 1;
		else
			return -1;
		total_ns += v * unit;
	}
	if (total_ns > 9e18)
		return -1;
	int64_t ms = (int64_t)(total_ns / 1e6);
	if ((double)ms * 1e6 < total_ns)
		ms++;
	return ms;
}

/* "2024-05-01T10:00:00Z" (or with an offset) in seconds since the epoch. */
static int64_t parse_rfc3339(const char *s)
{
	int y, mo, d, h, mi, sec;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	/* days from civil (Howard Hinnant) */
	int yy = y - (mo <= 2);
	int era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
	int64_t t = days * 86400 + h * 3600 + mi * 60 + sec;
	const char *z = s + 19;
	while (*z == '.' || isdigit((unsigned char)*z))
		z++;
	int oh, om;
	if ((*z == '+' || *z == '-') && sscanf(z + 1, "%2d:%2d", &oh, &om) == 2)
		t -= (*z == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	return t;
}

const char *mesh_mtls_name(mesh_mtls_t m)
{
	switch (m) {
	case MESH_MTLS_DISABLE:
		return "DISABLE";
	case MESH_MTLS_PERMISSIVE:
		return "PERMISSIVE";
	case MESH_MTLS_STRICT:
		return "STRICT";
	default:
		return "UNSET";
	}
}

/* ---- metadata ---- */
static int parse_meta(pc_t *c, const yd_doc_t *doc, mesh_obj_meta_t *m, int strict)
{
	const yd_node_t *r = doc->root;
	m->node = r;
	m->file = c->file;
	m->line = doc->line;
	m->created = -1;
	m->api_version = yd_str(r, "apiVersion");
	m->kind = yd_str(r, "kind");
	const yd_node_t *md = val(r, "metadata");
	m->name = yd_str(md, "name");
	m->ns = yd_str(md, "namespace");
	m->ns_given = m->ns != NULL;
	if (!m->ns)
		m->ns = "default";
	snprintf(c->what, sizeof c->what, "%s %s/%s", m->kind ? m->kind : "object", m->ns,
		 m->name ? m->name : "(unnamed)");
	if (!strict) {
		/* Other objects: read leniently, for the analyzer. */
		const yd_node_t *l = val(md, "labels");
		size_t old = pk(c, "metadata.labels");
		if (l && l->kind == YD_MAP)
			glabels_node(c, l, &m->labels);
		pp(c, old);
		return 0;
	}
	size_t old = pk(c, "metadata");
	if (!md) {
		perr(c, r, "required");
	} else if (keys(c, md,
			"name namespace labels annotations creationTimestamp uid resourceVersion "
			"generation managedFields ownerReferences finalizers selfLink generateName "
			"deletionTimestamp deletionGracePeriodSeconds") == 0) {
		if (!gstr(c, md, "name", 1))
			m->name = NULL;
		gstr(c, md, "namespace", 0);
		glabels(c, md, "labels", &m->labels);
		const char *ts = gstr(c, md, "creationTimestamp", 0);
		if (ts) {
			m->created = parse_rfc3339(ts);
			if (m->created < 0) {
				size_t o2 = pk(c, "creationTimestamp");
				perr(c, val(md, "creationTimestamp"), "must be an RFC 3339 time");
				pp(c, o2);
			}
		}
	}
	pp(c, old);
	return m->name ? 0 : -1;
}

/* ---- Gateway ---- */
static mesh_gateway_t *parse_gateway(pc_t *c, const yd_node_t *spec)
{
	mesh_gateway_t *g = pmalloc(c, sizeof *g);
	if (!g)
		return NULL;
	size_t old = pk(c, "spec");
	if (keys(c, spec, "selector servers") == 0) {
		glabels(c, spec, "selector", &g->selector);
		const yd_node_t *sv = gseq(c, spec, "servers");
		size_t o2 = pk(c, "servers");
		if (sv) {
			g->servers = pmalloc(c, sv->n * sizeof *g->servers);
			for (size_t i = 0; g->servers && i < sv->n; i++) {
				const yd_node_t *s = sv->items[i];
				mesh_gw_server_t *o = &g->servers[g->nservers++];
				size_t o3 = pidx(c, i);
				o->line = s->line;
				if (item_keys(c, s, "port bind hosts tls defaultEndpoint name") == 0) {
					const yd_node_t *p = val(s, "port");
					size_t o4 = pk(c, "port");
					if (!p)
						perr(c, s, "required");
					else if (keys(c, p, "number name protocol targetPort") == 0) {
						o->port = (int)gint(c, p, "number", 1, 65535, 0);
						o->port_name = gstr(c, p, "name", 0);
						o->protocol = gstr(c, p, "protocol", 1);
					}
					pp(c, o4);
					gstrs(c, s, "hosts", &o->hosts, 0);
					if (!o->hosts.n) {
						size_t o5 = pk(c, "hosts");
						perr(c, s, "required: at least one host");
						pp(c, o5);
					}
					const yd_node_t *t = val(s, "tls");
					if (t) {
						size_t o5 = pk(c, "tls");
						if (keys(c, t,
							 "httpsRedirect mode serverCertificate privateKey "
							 "caCertificates credentialName credentialNames "
							 "subjectAltNames verifyCertificateSpki "
							 "verifyCertificateHash minProtocolVersion "
							 "maxProtocolVersion cipherSuites caCrl") == 0) {
							gbool(c, t, "httpsRedirect", 0);
							static const char *const modes[] = {
							    "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH",
							    "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"};
							int mi = genum(c, t, "mode",
								       "PASSTHROUGH SIMPLE MUTUAL AUTO_PASSTHROUGH "
								       "ISTIO_MUTUAL OPTIONAL_MUTUAL",
								       1);
							o->tls_mode = modes[mi];
						}
						pp(c, o5);
					}
				}
				pp(c, o3);
			}
		} else {
			perr(c, spec, "required");
		}
		pp(c, o2);
	}
	pp(c, old);
	return g;
}

/* ---- VirtualService ---- */
static void parse_destination(pc_t *c, const yd_node_t *n, mesh_destination_t *d)
{
	d->node = n;
	if (!n) {
		perr(c, NULL, "required");
		return;
	}
	if (keys(c, n, "host subset port") < 0)
		return;
	d->host = gstr(c, n, "host", 1);
	d->subset = gstr(c, n, "subset", 0);
	d->subset_node = val(n, "subset");
	const yd_node_t *p = val(n, "port");
	if (p) {
		size_t old = pk(c, "port");
		if (keys(c, p, "number") == 0)
			d->port = (int)gint(c, p, "number", 1, 65535, 0);
		pp(c, old);
	}
}

static double gpercentage(pc_t *c, const yd_node_t *m, int *given)
{
	/* percentage: {value: double}, or the deprecated percent: int */
	const yd_node_t *p = val(m, "percentage");
	*given = 0;
	if (p) {
		size_t old = pk(c, "percentage");
		double v = 0;
		if (keys(c, p, "value") == 0) {
			v = gdouble(c, p, "value", 0, 100, 0);
			*given = 1;
		}
		pp(c, old);
		return v;
	}
	if (val(m, "percent")) {
		*given = 1;
		return (double)gint(c, m, "percent", 0, 100, 0);
	}
	return 0;
}

static void parse_fault(pc_t *c, const yd_node_t *n, mesh_fault_t *f)
{
	if (keys(c, n, "delay abort") < 0)
		return;
	const yd_node_t *d = val(n, "delay");
	int given;
	if (d) {
		size_t old = pk(c, "delay");
		if (keys(c, d, "fixedDelay exponentialDelay percentage percent") == 0) {
			f->has_delay = 1;
			f->delay_ms = gdur(c, d, "fixedDelay", 0);
			if (!val(d, "fixedDelay"))
				perr(c, d, "fixedDelay is required (exponentialDelay is not supported)");
			f->delay_pct = gpercentage(c, d, &given);
		}
		pp(c, old);
	}
	const yd_node_t *a = val(n, "abort");
	if (a) {
		size_t old = pk(c, "abort");
		if (keys(c, a, "httpStatus grpcStatus http2Error percentage") == 0) {
			f->has_abort = 1;
			f->abort_http = (int)gint(c, a, "httpStatus", 200, 599, 0);
			f->abort_grpc = gstr(c, a, "grpcStatus", 0);
			if (!f->abort_http == !f->abort_grpc)
				perr(c, a, "needs exactly one of httpStatus, grpcStatus");
			f->abort_pct = gpercentage(c, a, &given);
		}
		pp(c, old);
	}
}

static void parse_match(pc_t *c, const yd_node_t *n, mesh_http_match_t *m)
{
	if (item_keys(c, n,
		 "name uri scheme method authority headers port sourceLabels gateways "
		 "queryParams ignoreUriCase withoutHeaders sourceNamespace statPrefix") < 0)
		return;
	m->name = gstr(c, n, "name", 0);
	gstrmatch(c, n, "uri", &m->uri);
	gstrmatch(c, n, "scheme", &m->scheme);
	gstrmatch(c, n, "method", &m->method);
	gstrmatch(c, n, "authority", &m->authority);
	m->ignore_uri_case = gbool(c, n, "ignoreUriCase", 0);
	m->port = (int)gint(c, n, "port", 1, 65535, 0);
	glabels(c, n, "sourceLabels", &m->source_labels);
	m->source_namespace = gstr(c, n, "sourceNamespace", 0);
	gstrs(c, n, "gateways", &m->gateways, 0);
	for (int w = 0; w < 2; w++) {
		const char *key = w ? "withoutHeaders" : "headers";
		const yd_node_t *h = val(n, key);
		if (!h)
			continue;
		size_t old = pk(c, key);
		if (h->kind != YD_MAP) {
			perr(c, h, "must be a mapping of header names, not %s", kind_name(h->kind));
			pp(c, old);
			continue;
		}
		mesh_hdrmatch_t *v = pmalloc(c, h->n * sizeof *v);
		for (size_t i = 0; v && i < h->n; i++) {
			size_t o2 = pk(c, YD_KEY(h, i)->str);
			char *lname = astrdup(c->cfg, YD_KEY(h, i)->str);
			for (char *p = lname; p && *p; p++)
				*p = (char)tolower((unsigned char)*p);
			v[i].name = lname;
			gstrmatch_node(c, YD_VAL(h, i), &v[i].m, 1);
			pp(c, o2);
		}
		if (w) {
			m->without_headers = v;
			m->nwithout = h->n;
		} else {
			m->headers = v;
			m->nheaders = h->n;
		}
		pp(c, old);
	}
}

static void parse_http(pc_t *c, const yd_node_t *n, mesh_http_route_t *r)
{
	r->line = n->line;
	r->timeout_ms = -1;
	r->retries.attempts = MESH_DEFAULT_RETRY_ATTEMPTS;
	r->retries.per_try_ms = -1;
	r->retries.retry_on = MESH_DEFAULT_RETRY_ON;
	if (item_keys(c, n,
		 "name match route redirect directResponse delegate rewrite timeout retries "
		 "fault mirror mirrorPercentage mirrorPercent mirror_percent mirrors corsPolicy "
		 "headers") < 0)
		return;
	r->name = gstr(c, n, "name", 0);
	const yd_node_t *ms = gseq(c, n, "match");
	if (ms) {
		size_t old = pk(c, "match");
		r->match = pmalloc(c, ms->n * sizeof *r->match);
		for (size_t i = 0; r->match && i < ms->n; i++) {
			size_t o2 = pidx(c, i);
			parse_match(c, ms->items[i], &r->match[r->nmatch++]);
			pp(c, o2);
		}
		pp(c, old);
	}
	const yd_node_t *rs = gseq(c, n, "route");
	if (rs) {
		size_t old = pk(c, "route");
		r->route = pmalloc(c, rs->n * sizeof *r->route);
		for (size_t i = 0; r->route && i < rs->n; i++) {
			const yd_node_t *rd = rs->items[i];
			mesh_route_dest_t *o = &r->route[r->nroute++];
			size_t o2 = pidx(c, i);
			o->line = rd->line;
			o->weight = -1;
			if (item_keys(c, rd, "destination weight headers") == 0) {
				size_t o3 = pk(c, "destination");
				const yd_node_t *dn = val(rd, "destination");
				if (!dn)
					perr(c, rd, "required");
				else
					parse_destination(c, dn, &o->dest);
				pp(c, o3);
				if (val(rd, "weight"))
					o->weight = (int)gint(c, rd, "weight", 0, 100, 0);
			}
			pp(c, o2);
		}
		pp(c, old);
	}
	r->has_redirect = val(n, "redirect") != NULL;
	r->has_direct_response = val(n, "directResponse") != NULL;
	if (!rs && !r->has_redirect && !r->has_direct_response && !val(n, "delegate"))
		perr(c, n, "an http route needs route, redirect, directResponse or delegate");
	r->timeout_ms = gdur(c, n, "timeout", -1);
	const yd_node_t *rt = val(n, "retries");
	if (rt) {
		size_t old = pk(c, "retries");
		if (keys(c, rt, "attempts perTryTimeout retryOn retryRemoteLocalities") == 0) {
			r->retries.set = 1;
			r->retries.attempts = (int)gint(c, rt, "attempts", 0, INT32_MAX,
							 MESH_DEFAULT_RETRY_ATTEMPTS);
			r->retries.per_try_ms = gdur(c, rt, "perTryTimeout", -1);
			const char *on = gstr(c, rt, "retryOn", 0);
			if (on)
				r->retries.retry_on = on;
			r->retries.retry_remote_localities = gbool(c, rt, "retryRemoteLocalities", 0);
		}
		pp(c, old);
	}
	const yd_node_t *f = val(n, "fault");
	if (f) {
		size_t old = pk(c, "fault");
		r->has_fault = 1;
		parse_fault(c, f, &r->fault);
		pp(c, old);
	}
	const yd_node_t *mi = val(n, "mirror");
	if (mi) {
		size_t old = pk(c, "mirror");
		r->has_mirror = 1;
		parse_destination(c, mi, &r->mirror);
		pp(c, old);
		r->mirror_pct = 100;
		const yd_node_t *mp = val(n, "mirrorPercentage");
		if (mp) {
			size_t o2 = pk(c, "mirrorPercentage");
			if (keys(c, mp, "value") == 0)
				r->mirror_pct = gdouble(c, mp, "value", 0, 100, 100);
			pp(c, o2);
		} else if (val(n, "mirrorPercent")) {
			r->mirror_pct = (double)gint(c, n, "mirrorPercent", 0, 100, 100);
		}
	}
	const yd_node_t *rw = val(n, "rewrite");
	if (rw) {
		size_t old = pk(c, "rewrite");
		if (keys(c, rw, "uri authority uriRegexRewrite") == 0) {
			r->rewrite_uri = gstr(c, rw, "uri", 0);
			r->rewrite_authority = gstr(c, rw, "authority", 0);
		}
		pp(c, old);
	}
}

static mesh_vs_t *parse_vs(pc_t *c, const yd_node_t *spec)
{
	mesh_vs_t *v = pmalloc(c, sizeof *v);
	if (!v)
		return NULL;
	size_t old = pk(c, "spec");
	if (keys(c, spec, "hosts gateways http tls tcp exportTo") == 0) {
		gstrs(c, spec, "hosts", &v->hosts, 0);
		if (!v->hosts.n && !val(spec, "hosts")) {
			size_t o2 = pk(c, "hosts");
			perr(c, spec, "required");
			pp(c, o2);
		}
		gstrs(c, spec, "gateways", &v->gateways, 0);
		v->has_tcp_or_tls = val(spec, "tcp") || val(spec, "tls");
		const yd_node_t *h = gseq(c, spec, "http");
		if (h) {
			size_t o2 = pk(c, "http");
			v->http = pmalloc(c, h->n * sizeof *v->http);
			for (size_t i = 0; v->http && i < h->n; i++) {
				size_t o3 = pidx(c, i);
				parse_http(c, h->items[i], &v->http[v->nhttp++]);
				pp(c, o3);
			}
			pp(c, o2);
		}
	}
	pp(c, old);
	return v;
}

/* ---- DestinationRule ---- */
static void parse_lb(pc_t *c, const yd_node_t *n, mesh_lb_policy_t *lb)
{
	if (keys(c, n, "simple consistentHash localityLbSetting warmupDurationSecs warmup") < 0)
		return;
	lb->kind = (mesh_lb_kind_t)genum(c, n, "simple",
					 "UNSPECIFIED ROUND_ROBIN LEAST_REQUEST RANDOM PASSTHROUGH "
					 "LEAST_CONN",
					 0);
	if (lb->kind == 5)
		lb->kind = MESH_LB_LEAST_REQUEST; /* LEAST_CONN: the old name */
	const yd_node_t *ch = val(n, "consistentHash");
	if (ch) {
		size_t old = pk(c, "consistentHash");
		if (val(n, "simple"))
			perr(c, ch, "simple and consistentHash exclude each other");
		if (keys(c, ch,
			 "httpHeaderName httpCookie useSourceIp httpQueryParameterName ringHash "
			 "maglev minimumRingSize") == 0) {
			lb->kind = MESH_LB_CONSISTENT_HASH;
			int k = 0;
			const char *hh = gstr(c, ch, "httpHeaderName", 0);
			const char *qq = gstr(c, ch, "httpQueryParameterName", 0);
			if (hh)
				lb->hash_on = MESH_HASH_HEADER, lb->hash_name = hh, k++;
			if (qq)
				lb->hash_on = MESH_HASH_QUERY, lb->hash_name = qq, k++;
			const yd_node_t *ck = val(ch, "httpCookie");
			if (ck) {
				size_t o2 = pk(c, "httpCookie");
				if (keys(c, ck, "name path ttl attributes") == 0) {
					lb->hash_name = gstr(c, ck, "name", 1);
					lb->hash_on = MESH_HASH_COOKIE;
					k++;
				}
				pp(c, o2);
			}
			if (gbool(c, ch, "useSourceIp", 0))
				lb->hash_on = MESH_HASH_SOURCE_IP, lb->hash_name = NULL, k++;
			if (k != 1)
				perr(c, ch,
				     "needs exactly one of httpHeaderName, httpCookie, useSourceIp, "
				     "httpQueryParameterName");
		}
		pp(c, old);
	}
}

static void parse_tp(pc_t *c, const yd_node_t *n, mesh_traffic_policy_t *tp, int port_level)
{
	tp->pool.connect_timeout_ms = 10000;
	tp->outlier.consecutive_5xx = 5;
	tp->outlier.interval_ms = 10000;
	tp->outlier.base_ejection_ms = 30000;
	tp->outlier.max_ejection_pct = 10;
	if (!n)
		return;
	if (keys(c, n,
		 port_level ? "port loadBalancer connectionPool outlierDetection tls"
			    : "loadBalancer connectionPool outlierDetection tls portLevelSettings "
			      "tunnel proxyProtocol") < 0)
		return;
	tp->set = 1;
	const yd_node_t *lb = val(n, "loadBalancer");
	if (lb) {
		size_t old = pk(c, "loadBalancer");
		parse_lb(c, lb, &tp->lb);
		pp(c, old);
	}
	const yd_node_t *cp = val(n, "connectionPool");
	if (cp) {
		size_t old = pk(c, "connectionPool");
		if (keys(c, cp, "tcp http") == 0) {
			tp->pool.set = 1;
			const yd_node_t *t = val(cp, "tcp");
			if (t) {
				size_t o2 = pk(c, "tcp");
				if (keys(c, t,
					 "maxConnections connectTimeout tcpKeepalive "
					 "maxConnectionDuration idleTimeout") == 0) {
					tp->pool.max_connections =
					    gint(c, t, "maxConnections", 0, INT32_MAX, 0);
					tp->pool.connect_timeout_ms = gdur(c, t, "connectTimeout", 10000);
				}
				pp(c, o2);
			}
			const yd_node_t *h = val(cp, "http");
			if (h) {
				size_t o2 = pk(c, "http");
				if (keys(c, h,
					 "http1MaxPendingRequests http2MaxRequests "
					 "maxRequestsPerConnection maxRetries idleTimeout "
					 "h2UpgradePolicy useClientProtocol maxConcurrentStreams") == 0) {
					tp->pool.http1_max_pending =
					    gint(c, h, "http1MaxPendingRequests", 0, INT32_MAX, 0);
					tp->pool.http2_max_requests =
					    gint(c, h, "http2MaxRequests", 0, INT32_MAX, 0);
					tp->pool.max_requests_per_conn =
					    gint(c, h, "maxRequestsPerConnection", 0, INT32_MAX, 0);
					tp->pool.max_retries = gint(c, h, "maxRetries", 0, INT32_MAX, 0);
					tp->pool.idle_timeout_ms = gdur(c, h, "idleTimeout", 0);
					genum(c, h, "h2UpgradePolicy", "DEFAULT DO_NOT_UPGRADE UPGRADE", 0);
					gbool(c, h, "useClientProtocol", 0);
				}
				pp(c, o2);
			}
		}
		pp(c, old);
	}
	const yd_node_t *od = val(n, "outlierDetection");
	if (od) {
		size_t old = pk(c, "outlierDetection");
		if (keys(c, od,
			 "splitExternalLocalOriginErrors consecutiveLocalOriginFailures "
			 "consecutiveGatewayErrors consecutive5xxErrors consecutiveErrors interval "
			 "baseEjectionTime maxEjectionPercent minHealthPercent") == 0) {
			mesh_outlier_cfg_t *o = &tp->outlier;
			o->set = 1;
			o->consecutive_5xx = (int)gint(c, od, "consecutiveErrors", 0, INT32_MAX, 5);
			o->consecutive_5xx =
			    (int)gint(c, od, "consecutive5xxErrors", 0, INT32_MAX, o->consecutive_5xx);
			o->consecutive_gateway =
			    (int)gint(c, od, "consecutiveGatewayErrors", 0, INT32_MAX, 0);
			o->interval_ms = gdur(c, od, "interval", 10000);
			o->base_ejection_ms = gdur(c, od, "baseEjectionTime", 30000);
			o->max_ejection_pct = (int)gint(c, od, "maxEjectionPercent", 0, 100, 10);
			o->min_health_pct = (int)gint(c, od, "minHealthPercent", 0, 100, 0);
			if (o->interval_ms < 1) {
				size_t o2 = pk(c, "interval");
				perr(c, val(od, "interval"), "must be at least 1ms");
				pp(c, o2);
				o->interval_ms = 10000;
			}
		}
		pp(c, old);
	}
	const yd_node_t *t = val(n, "tls");
	if (t) {
		size_t old = pk(c, "tls");
		if (keys(c, t,
			 "mode clientCertificate privateKey caCertificates credentialName "
			 "subjectAltNames sni insecureSkipVerify caCrl") == 0) {
			static const char *const modes[] = {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"};
			tp->tls_mode = modes[genum(c, t, "mode", "DISABLE SIMPLE MUTUAL ISTIO_MUTUAL", 0)];
		}
		pp(c, old);
	}
}

static mesh_dr_t *parse_dr(pc_t *c, const yd_node_t *spec)
{
	mesh_dr_t *r = pmalloc(c, sizeof *r);
	if (!r)
		return NULL;
	size_t old = pk(c, "spec");
	parse_tp(c, NULL, &r->tp, 0);
	if (keys(c, spec, "host trafficPolicy subsets exportTo workloadSelector") == 0) {
		r->host = gstr(c, spec, "host", 1);
		r->host_node = val(spec, "host");
		size_t o2 = pk(c, "trafficPolicy");
		const yd_node_t *tp = val(spec, "trafficPolicy");
		parse_tp(c, tp, &r->tp, 0);
		const yd_node_t *pls = tp ? gseq(c, tp, "portLevelSettings") : NULL;
		if (pls) {
			size_t o3 = pk(c, "portLevelSettings");
			r->ports = pmalloc(c, pls->n * sizeof *r->ports);
			for (size_t i = 0; r->ports && i < pls->n; i++) {
				size_t o4 = pidx(c, i);
				mesh_port_policy_t *pp_ = &r->ports[r->nports++];
				parse_tp(c, pls->items[i], &pp_->tp, 1);
				const yd_node_t *p = val(pls->items[i], "port");
				size_t o5 = pk(c, "port");
				if (!p)
					perr(c, pls->items[i], "required");
				else if (keys(c, p, "number") == 0)
					pp_->port = (int)gint(c, p, "number", 1, 65535, 0);
				pp(c, o5);
				pp(c, o4);
			}
			pp(c, o3);
		}
		pp(c, o2);
		const yd_node_t *ss = gseq(c, spec, "subsets");
		if (ss) {
			size_t o3 = pk(c, "subsets");
			r->subsets = pmalloc(c, ss->n * sizeof *r->subsets);
			for (size_t i = 0; r->subsets && i < ss->n; i++) {
				size_t o4 = pidx(c, i);
				const yd_node_t *s = ss->items[i];
				mesh_subset_t *o = &r->subsets[r->nsubsets++];
				o->line = s->line;
				parse_tp(c, NULL, &o->tp, 0);
				if (item_keys(c, s, "name labels trafficPolicy") == 0) {
					o->name = gstr(c, s, "name", 1);
					glabels(c, s, "labels", &o->labels);
					size_t o5 = pk(c, "trafficPolicy");
					parse_tp(c, val(s, "trafficPolicy"), &o->tp, 0);
					pp(c, o5);
					for (size_t j = 0; o->name && j + 1 < r->nsubsets; j++)
						if (r->subsets[j].name && !strcmp(r->subsets[j].name, o->name))
							perr(c, s, "subset \"%s\" defined twice", o->name);
				}
				pp(c, o4);
			}
			pp(c, o3);
		}
		gselector(c, spec, "workloadSelector", &r->workload_selector);
	}
	pp(c, old);
	return r;
}

/* ---- PeerAuthentication ---- */
static mesh_mtls_t gmode(pc_t *c, const yd_node_t *m)
{
	return (mesh_mtls_t)genum(c, m, "mode", "UNSET DISABLE PERMISSIVE STRICT", 0);
}

static mesh_peerauth_t *parse_pa(pc_t *c, const yd_node_t *spec)
{
	mesh_peerauth_t *p = pmalloc(c, sizeof *p);
	if (!p)
		return NULL;
	if (!spec)
		return p; /* an empty spec: mode UNSET */
	size_t old = pk(c, "spec");
	if (keys(c, spec, "selector mtls portLevelMtls targetRef targetRefs") == 0) {
		p->has_selector = gselector(c, spec, "selector", &p->selector);
		const yd_node_t *m = val(spec, "mtls");
		if (m) {
			size_t o2 = pk(c, "mtls");
			if (keys(c, m, "mode") == 0)
				p->mode = gmode(c, m);
			pp(c, o2);
		}
		const yd_node_t *pl = val(spec, "portLevelMtls");
		if (pl) {
			size_t o2 = pk(c, "portLevelMtls");
			p->ports_line = pl->line;
			if (pl->kind != YD_MAP) {
				perr(c, pl, "must be a mapping of port numbers to {mode}");
			} else {
				p->ports = pmalloc(c, pl->n * sizeof *p->ports);
				for (size_t i = 0; p->ports && i < pl->n; i++) {
					size_t o3 = pk(c, YD_KEY(pl, i)->str);
					long long port;
					if (parse_int(YD_KEY(pl, i), &port) < 0 || port < 1 || port > 65535) {
						perr(c, YD_KEY(pl, i), "a port number 1..65535");
					} else if (keys(c, YD_VAL(pl, i), "mode") == 0) {
						mesh_port_mtls_t *o = &p->ports[p->nports++];
						o->port = (int)port;
						o->line = YD_KEY(pl, i)->line;
						o->mode = gmode(c, YD_VAL(pl, i));
					}
					pp(c, o3);
				}
			}
			pp(c, o2);
		}
	}
	pp(c, old);
	return p;
}

/* ---- AuthorizationPolicy ---- */
static void parse_source(pc_t *c, const yd_node_t *n, mesh_authz_source_t *s)
{
	if (keys(c, n,
		 "principals notPrincipals requestPrincipals notRequestPrincipals namespaces "
		 "notNamespaces ipBlocks notIpBlocks remoteIpBlocks notRemoteIpBlocks "
		 "serviceAccounts notServiceAccounts") < 0)
		return;
	gstrs(c, n, "principals", &s->principals, 1);
	gstrs(c, n, "notPrincipals", &s->not_principals, 1);
	gstrs(c, n, "requestPrincipals", &s->request_principals, 1);
	gstrs(c, n, "notRequestPrincipals", &s->not_request_principals, 1);
	gstrs(c, n, "namespaces", &s->namespaces, 1);
	gstrs(c, n, "notNamespaces", &s->not_namespaces, 1);
	gstrs(c, n, "ipBlocks", &s->ip_blocks, 1);
	gstrs(c, n, "notIpBlocks", &s->not_ip_blocks, 1);
	gstrs(c, n, "remoteIpBlocks", &s->remote_ip_blocks, 1);
	gstrs(c, n, "notRemoteIpBlocks", &s->not_remote_ip_blocks, 1);
	if (val(n, "serviceAccounts") || val(n, "notServiceAccounts"))
		perr(c, n, "serviceAccounts is not modelled by meshsim; use principals");
}

static void parse_operation(pc_t *c, const yd_node_t *n, mesh_authz_operation_t *o)
{
	if (keys(c, n, "hosts notHosts ports notPorts methods notMethods paths notPaths") < 0)
		return;
	gstrs(c, n, "hosts", &o->hosts, 1);
	gstrs(c, n, "notHosts", &o->not_hosts, 1);
	gstrs(c, n, "ports", &o->ports, 1);
	gstrs(c, n, "notPorts", &o->not_ports, 1);
	gstrs(c, n, "methods", &o->methods, 1);
	gstrs(c, n, "notMethods", &o->not_methods, 1);
	gstrs(c, n, "paths", &o->paths, 1);
	gstrs(c, n, "notPaths", &o->not_paths, 1);
	mesh_strs_t *ports[2] = {&o->ports, &o->not_ports};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < ports[k]->n; i++) {
			char *end;
			long v = strtol(ports[k]->v[i], &end, 10);
			if (*end || v < 1 || v > 65535) {
				size_t old = pk(c, k ? "notPorts" : "ports");
				perr(c, ports[k]->nodes[i], "\"%s\" is not a port number", ports[k]->v[i]);
				pp(c, old);
			}
		}
}

static const char *const when_keys[] = {
    "source.ip", "remote.ip", "source.namespace", "source.principal", "destination.ip",
    "destination.port", "connection.sni", "request.auth.principal", "request.auth.audiences",
    "request.auth.presenter", NULL};

static mesh_authz_policy_t *parse_ap(pc_t *c, const yd_node_t *spec)
{
	mesh_authz_policy_t *a = pmalloc(c, sizeof *a);
	if (!a)
		return NULL;
	if (!spec)
		return a; /* `spec: {}`: ALLOW with no rules: denies everything */
	size_t old = pk(c, "spec");
	if (keys(c, spec, "selector targetRef targetRefs rules action provider") == 0) {
		a->has_selector = gselector(c, spec, "selector", &a->selector);
		a->action = (mesh_authz_action_t)genum(c, spec, "action", "ALLOW DENY AUDIT CUSTOM", 0);
		const yd_node_t *pv = val(spec, "provider");
		if (pv) {
			size_t o2 = pk(c, "provider");
			if (keys(c, pv, "name") == 0)
				a->provider = gstr(c, pv, "name", 1);
			pp(c, o2);
		}
		if (a->action == MESH_AUTHZ_CUSTOM && !a->provider)
			perr(c, spec, "action CUSTOM needs provider.name");
		const yd_node_t *rn = yd_get(spec, "rules");
		a->rules_given = rn != NULL;
		const yd_node_t *rs = gseq(c, spec, "rules");
		if (rs) {
			size_t o2 = pk(c, "rules");
			a->rules = pmalloc(c, rs->n * sizeof *a->rules);
			for (size_t i = 0; a->rules && i < rs->n; i++) {
				size_t o3 = pidx(c, i);
				const yd_node_t *r = rs->items[i];
				mesh_authz_rule_t *o = &a->rules[a->nrules++];
				o->line = r->line;
				if (r->kind == YD_MAP && r->n == 0) {
					pp(c, o3);
					continue; /* {} matches every request */
				}
				if (item_keys(c, r, "from to when") == 0) {
					const yd_node_t *fr = gseq(c, r, "from");
					if (fr) {
						size_t o4 = pk(c, "from");
						o->from = pmalloc(c, fr->n * sizeof *o->from);
						for (size_t j = 0; o->from && j < fr->n; j++) {
							size_t o5 = pidx(c, j);
							if (item_keys(c, fr->items[j], "source") == 0) {
								size_t o6 = pk(c, "source");
								const yd_node_t *s = val(fr->items[j], "source");
								if (s)
									parse_source(c, s, &o->from[o->nfrom]);
								o->nfrom++;
								pp(c, o6);
							}
							pp(c, o5);
						}
						pp(c, o4);
					}
					const yd_node_t *to = gseq(c, r, "to");
					if (to) {
						size_t o4 = pk(c, "to");
						o->to = pmalloc(c, to->n * sizeof *o->to);
						for (size_t j = 0; o->to && j < to->n; j++) {
							size_t o5 = pidx(c, j);
							if (item_keys(c, to->items[j], "operation") == 0) {
								size_t o6 = pk(c, "operation");
								const yd_node_t *s = val(to->items[j], "operation");
								if (s)
									parse_operation(c, s, &o->to[o->nto]);
								o->nto++;
								pp(c, o6);
							}
							pp(c, o5);
						}
						pp(c, o4);
					}
					const yd_node_t *wh = gseq(c, r, "when");
					if (wh) {
						size_t o4 = pk(c, "when");
						o->when = pmalloc(c, wh->n * sizeof *o->when);
						for (size_t j = 0; o->when && j < wh->n; j++) {
							size_t o5 = pidx(c, j);
							const yd_node_t *w = wh->items[j];
							if (item_keys(c, w, "key values notValues") == 0) {
								mesh_authz_cond_t *cd = &o->when[o->nwhen++];
								cd->key = gstr(c, w, "key", 1);
								gstrs(c, w, "values", &cd->values, 1);
								gstrs(c, w, "notValues", &cd->not_values, 1);
								int ok = cd->key && !strncmp(cd->key, "request.headers[", 16);
								for (size_t k = 0; cd->key && !ok && when_keys[k]; k++)
									ok = !strcmp(cd->key, when_keys[k]);
								if (cd->key && !ok) {
									size_t o6 = pk(c, "key");
									perr(c, val(w, "key"), "unknown condition key \"%s\"",
									     cd->key);
									pp(c, o6);
								}
							}
							pp(c, o5);
						}
						pp(c, o4);
					}
				}
				pp(c, o3);
			}
			pp(c, o2);
		}
	}
	pp(c, old);
	return a;
}

/* ---- Kubernetes objects ---- */
static void parse_k8s(pc_t *c, const yd_node_t *r, mesh_obj_t *o)
{
	const char *kind = o->meta.kind ? o->meta.kind : "";
	const yd_node_t *spec = val(r, "spec");
	o->replicas = 1;
	if (!strcmp(kind, "Service")) {
		const yd_node_t *sel = val(spec, "selector");
		o->has_selector = sel != NULL;
		size_t old = pk(c, "spec.selector");
		glabels_node(c, sel, &o->selector);
		pp(c, old);
		o->svc_type = yd_str(spec, "type");
		const yd_node_t *ps = val(spec, "ports");
		if (ps && ps->kind == YD_SEQ) {
			o->ports = pmalloc(c, ps->n * sizeof *o->ports);
			for (size_t i = 0; o->ports && i < ps->n; i++) {
				const yd_node_t *p = ps->items[i];
				mesh_svc_port_t *sp = &o->ports[o->nports++];
				long long v;
				const yd_node_t *pn = val(p, "port"), *tn = val(p, "targetPort");
				if (pn && parse_int(pn, &v) == 0)
					sp->port = (int)v;
				if (tn && parse_int(tn, &v) == 0)
					sp->target_port = (int)v;
				else if (tn && tn->kind == YD_SCALAR)
					sp->target_port_name = tn->str;
				if (!tn)
					sp->target_port = sp->port;
				sp->name = yd_str(p, "name");
				sp->app_protocol = yd_str(p, "appProtocol");
			}
		}
		return;
	}
	const yd_node_t *tmpl = NULL;
	if (!strcmp(kind, "Pod"))
		tmpl = r;
	else if (!strcmp(kind, "Deployment") || !strcmp(kind, "StatefulSet") ||
		 !strcmp(kind, "DaemonSet") || !strcmp(kind, "ReplicaSet"))
		tmpl = val(spec, "template");
	if (!tmpl)
		return;
	long long v;
	const yd_node_t *rn = val(spec, "replicas");
	if (rn && parse_int(rn, &v) == 0 && v >= 0 && v < INT32_MAX)
		o->replicas = (int)v;
	size_t old = pk(c, "spec.template.metadata.labels");
	glabels_node(c, yd_path(tmpl, "metadata.labels"), &o->pod_labels);
	pp(c, old);
	const yd_node_t *pspec = val(tmpl, "spec");
	o->service_account = yd_str(pspec, "serviceAccountName");
	if (!o->service_account)
		o->service_account = yd_str(pspec, "serviceAccount");
	const yd_node_t *ann = yd_path(tmpl, "metadata.annotations");
	const yd_node_t *inj = yd_get(ann, "sidecar.istio.io/inject");
	o->inject_annotation = inj && inj->kind == YD_SCALAR ? inj->str : NULL;
	o->inject_label = mesh_labels_get(&o->pod_labels, "sidecar.istio.io/inject");
}

/* ---- files ---- */
static int api_group_ok(pc_t *c, const mesh_obj_meta_t *m, const char *group, const char *versions)
{
	size_t gl = strlen(group);
	const char *av = m->api_version;
	if (av && !strncmp(av, group, gl) && av[gl] == '/') {
		const char *ver = av + gl + 1;
		for (const char *p = versions; *p;) {
			size_t len = strcspn(p, " ");
			if (strlen(ver) == len && !strncmp(ver, p, len))
				return 1;
			p += len + (p[len] == ' ');
		}
	}
	size_t old = pk(c, "apiVersion");
	perr(c, yd_get(m->node, "apiVersion"), "\"%s\": meshsim reads %s/{%s}", av ? av : "",
	     group, versions);
	pp(c, old);
	return 0;
}

static int add_doc(mesh_config_t *cfg, const char *file, const yd_doc_t *doc, mesh_diags_t *d)
{
	pc_t c = {.cfg = cfg, .d = d, .file = file};
	const yd_node_t *r = doc->root;
	if (r->kind != YD_MAP || !yd_str(r, "apiVersion") || !yd_str(r, "kind")) {
		snprintf(c.what, sizeof c.what, "document %d", doc->index + 1);
		perr(&c, r, "not a Kubernetes object (needs apiVersion and kind)");
		return 1;
	}
	/* A List of objects. */
	if (!strcmp(yd_str(r, "kind"), "List")) {
		const yd_node_t *items = yd_get(r, "items");
		int n = 0;
		for (size_t i = 0; items && items->kind == YD_SEQ && i < items->n; i++) {
			yd_doc_t sub = {.root = items->items[i], .line = items->items[i]->line,
					.index = doc->index};
			n += add_doc(cfg, file, &sub, d);
		}
		return n;
	}
	const char *kind = yd_str(r, "kind");
	static const char *const istio_kinds[] = {"Gateway", "VirtualService", "DestinationRule",
						  "PeerAuthentication", "AuthorizationPolicy"};
	int ik = -1;
	const char *av = yd_str(r, "apiVersion");
	int istio_group = !strncmp(av, "networking.istio.io/", 20) || !strncmp(av, "security.istio.io/", 18);
	for (int i = 0; i < 5; i++)
		if (!strcmp(kind, istio_kinds[i]))
			ik = i;
	if (ik < 0 || !istio_group) {
		/* Kubernetes objects and Istio kinds meshsim does not model. */
		mesh_obj_t *o = pmalloc(&c, sizeof *o);
		if (!o)
			return -1;
		parse_meta(&c, doc, &o->meta, 0);
		o->meta.load_order = cfg->loaded++;
		parse_k8s(&c, r, o);
		if (c.oom || push((void ***)&cfg->objs, &cfg->nobjs, &cfg->caps_[5], o) < 0)
			return -1;
		return c.nerr;
	}
	mesh_obj_meta_t meta = {0};
	parse_meta(&c, doc, &meta, 1);
	meta.load_order = cfg->loaded++;
	if (keys(&c, r, "apiVersion kind metadata spec status") < 0)
		return c.nerr;
	if (!api_group_ok(&c, &meta, ik < 3 ? "networking.istio.io" : "security.istio.io",
			  ik < 3 ? "v1alpha3 v1beta1 v1" : "v1beta1 v1"))
		return c.nerr;
	const yd_node_t *spec = val(r, "spec");
	if (!spec && ik < 3) {
		perr(&c, r, "spec is required");
		return c.nerr;
	}
	int before = c.nerr;
	void *obj = NULL;
	switch (ik) {
	case 0:
		obj = parse_gateway(&c, spec);
		break;
	case 1:
		obj = parse_vs(&c, spec);
		break;
	case 2:
		obj = parse_dr(&c, spec);
		break;
	case 3:
		obj = parse_pa(&c, spec);
		break;
	default:
		obj = parse_ap(&c, spec);
		break;
	}
	if (c.oom || !obj)
		return -1;
	if (c.nerr > before || !meta.name)
		return c.nerr; /* a broken object is left out */
	*(mesh_obj_meta_t *)obj = meta; /* meta is the first member of each */
	void ***arrs[] = {(void ***)&cfg->gateways, (void ***)&cfg->vs, (void ***)&cfg->dr,
			  (void ***)&cfg->pa, (void ***)&cfg->ap};
	size_t *ns[] = {&cfg->ngateways, &cfg->nvs, &cfg->ndr, &cfg->npa, &cfg->nap};
	if (push(arrs[ik], ns[ik], &cfg->caps_[ik], obj) < 0)
		return -1;
	return c.nerr;
}

int mesh_config_add_file(mesh_config_t *cfg, yd_file_t *f, mesh_diags_t *d)
{
	if (push((void ***)&cfg->files, &cfg->nfiles, &cfg->caps_[6], f) < 0) {
		yd_file_free(f);
		return -1;
	}
	int nerr = 0;
	for (size_t i = 0; i < f->ndocs; i++) {
		int k = add_doc(cfg, f->path, &f->docs[i], d);
		if (k < 0)
			return -1;
		nerr += k;
	}
	return nerr;
}

static int add_loaded(mesh_config_t *cfg, int rc, yd_file_t *f, const char *err, mesh_diags_t *d)
{
	if (rc < 0) {
		/* "FILE:LINE:COL: why" -> one finding at that place */
		const char *p = err;
		int line = 0, col = 0;
		const char *colon = strchr(p, ':');
		char file[1024];
		snprintf(file, sizeof file, "%.*s", colon ? (int)(colon - p) : 0, p);
		if (colon && sscanf(colon + 1, "%d:%d", &line, &col) == 2) {
			const char *msg = strchr(strchr(colon + 1, ':') + 1, ':');
			mesh_diag_add(d, MESH_SEV_ERROR, file, line, col, NULL, "%s", msg ? msg + 2 : err);
		} else {
			mesh_diag_add(d, MESH_SEV_ERROR, NULL, 0, 0, NULL, "%s", err);
		}
		return 1;
	}
	return mesh_config_add_file(cfg, f, d);
}

int mesh_config_load(mesh_config_t *cfg, const char *path, mesh_diags_t *d)
{
	yd_file_t *f;
	char err[1024];
	int rc = yd_load_file(path, &f, err, sizeof err);
	return add_loaded(cfg, rc, f, err, d);
}

int mesh_config_load_string(mesh_config_t *cfg, const char *name, const char *yaml, mesh_diags_t *d)
{
	yd_file_t *f;
	char err[1024];
	int rc = yd_load_string(name, yaml, strlen(yaml), &f, err, sizeof err);
	return add_loaded(cfg, rc, f, err, d);
}

/* ---- hosts, labels ---- */
const char *mesh_host_fqdn(const char *host, const char *ns, char *buf, size_t len)
{
	if (strchr(host, '.') || strchr(host, '*'))
		snprintf(buf, len, "%s", host);
	else
		snprintf(buf, len, "%s.%s." MESH_DOMAIN_SUFFIX, host, ns);
	return buf;
}

int mesh_host_matches(const char *pattern, const char *host)
{
	if (!strcmp(pattern, "*"))
		return 1;
	if (pattern[0] == '*') {
		size_t pl = strlen(pattern + 1), hl = strlen(host);
		return hl > pl && !strcasecmp(host + hl - pl, pattern + 1);
	}
	return !strcasecmp(pattern, host);
}

const char *mesh_labels_get(const mesh_labels_t *l, const char *key)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (!strcmp(l->kv[i].key, key))
			return l->kv[i].value;
	return NULL;
}

int mesh_labels_match(const mesh_labels_t *sel, const mesh_labels_t *labels)
{
	for (size_t i = 0; sel && i < sel->n; i++) {
		const char *v = mesh_labels_get(labels, sel->kv[i].key);
		if (!v || strcmp(v, sel->kv[i].value))
			return 0;
	}
	return 1;
}

const mesh_gateway_t *mesh_find_gateway(const mesh_config_t *cfg, const char *ref)
{
	const char *slash = strchr(ref, '/');
	if (!slash)
		return NULL;
	size_t nl = (size_t)(slash - ref);
	for (size_t i = 0; i < cfg->ngateways; i++) {
		const mesh_gateway_t *g = cfg->gateways[i];
		if (strlen(g->meta.ns) == nl && !strncmp(g->meta.ns, ref, nl) &&
		    !strcmp(g->meta.name, slash + 1))
			return g;
	}
	return NULL;
}

const mesh_dr_t *mesh_find_dr(const mesh_config_t *cfg, const char *fqdn)
{
	const mesh_dr_t *best = NULL;
	size_t bestlen = 0;
	int bestexact = 0;
	for (size_t i = 0; i < cfg->ndr; i++) {
		const mesh_dr_t *r = cfg->dr[i];
		if (!r->fqdn || !mesh_host_matches(r->fqdn, fqdn))
			continue;
		int exact = r->fqdn[0] != '*';
		size_t len = strlen(r->fqdn);
		if (!best || exact > bestexact || (exact == bestexact && len > bestlen) ||
		    (exact == bestexact && len == bestlen && r->meta.age < best->meta.age)) {
			best = r;
			bestlen = len;
			bestexact = exact;
		}
	}
	return best;
}

const mesh_subset_t *mesh_dr_subset(const mesh_dr_t *dr, const char *name)
{
	for (size_t i = 0; dr && i < dr->nsubsets; i++)
		if (dr->subsets[i].name && !strcmp(dr->subsets[i].name, name))
			return &dr->subsets[i];
	return NULL;
}

/* ---- resolution ---- */
static int cmp_age(const void *a, const void *b)
{
	const mesh_obj_meta_t *x = *(mesh_obj_meta_t *const *)a, *y = *(mesh_obj_meta_t *const *)b;
	int64_t cx = x->created < 0 ? INT64_MAX : x->created;
	int64_t cy = y->created < 0 ? INT64_MAX : y->created;
	if (cx != cy)
		return cx < cy ? -1 : 1;
	return x->load_order < y->load_order ? -1 : x->load_order > y->load_order;
}

/* Resolves a gateway name as written in namespace |ns| into "ns/name". */
static const char *gw_ref(mesh_config_t *cfg, const char *g, const char *ns)
{
	char buf[512];
	if (!strcmp(g, "mesh"))
		return "mesh";
	if (strchr(g, '/')) {
		return g;
	}
	const char *dot = strchr(g, '.');
	if (dot) { /* name.ns[.svc.cluster.local] */
		const char *d2 = strchr(dot + 1, '.');
		snprintf(buf, sizeof buf, "%.*s/%.*s", d2 ? (int)(d2 - dot - 1) : (int)strlen(dot + 1),
			 dot + 1, (int)(dot - g), g);
	} else {
		snprintf(buf, sizeof buf, "%s/%s", ns, g);
	}
	return astrdup(cfg, buf);
}

static void gw_dangling(pc_t *c, const mesh_config_t *cfg, const yd_node_t *node, const char *g,
			const char *ref)
{
	const char *slash = strchr(ref, '/');
	const char *name = slash ? slash + 1 : ref;
	char fix[512] = "";
	for (size_t i = 0; i < cfg->ngateways; i++) {
		const mesh_gateway_t *gw = cfg->gateways[i];
		if (!strcmp(gw->meta.name, name)) {
			if (gw->meta.ns_given)
				snprintf(fix, sizeof fix, "name it with its namespace: \"%s/%s\"", gw->meta.ns,
					 name);
			else
				snprintf(fix, sizeof fix,
					 "give Gateway %s a metadata.namespace (e.g. istio-system) and "
					 "name it \"<that-namespace>/%s\" here (a bare name means this "
					 "VirtualService's namespace)",
					 name, name);
			break;
		}
	}
	if (!*fix)
		snprintf(fix, sizeof fix, "create Gateway %s or name an existing one as <namespace>/<name>",
			 ref);
	perr_fix(c, node, fix, "gateway \"%s\" means %s, and there is no such Gateway", g, ref);
}

static void resolve_dest(pc_t *c, mesh_config_t *cfg, mesh_destination_t *d, const char *ns)
{
	char buf[512];
	if (!d->host)
		return;
	d->fqdn = astrdup(cfg, mesh_host_fqdn(d->host, ns, buf, sizeof buf));
	if (!d->fqdn || !d->subset)
		return;
	const mesh_dr_t *dr = mesh_find_dr(cfg, d->fqdn);
	if (!dr) {
		size_t old = pk(c, "subset");
		perr_fix(c, d->subset_node, "add a DestinationRule for this host defining the subset",
			 "subset \"%s\": no DestinationRule for host %s", d->subset, d->fqdn);
		pp(c, old);
	} else if (!mesh_dr_subset(dr, d->subset)) {
		char fix[512];
		snprintf(fix, sizeof fix, "define subset \"%s\" in DestinationRule %s/%s (%s:%d)",
			 d->subset, dr->meta.ns, dr->meta.name, dr->meta.file, dr->meta.line);
		size_t old = pk(c, "subset");
		perr_fix(c, d->subset_node, fix, "subset \"%s\" is not defined by DestinationRule %s/%s",
			 d->subset, dr->meta.ns, dr->meta.name);
		pp(c, old);
	}
}

int mesh_config_resolve(mesh_config_t *cfg, mesh_diags_t *d)
{
	size_t total = cfg->ngateways + cfg->nvs + cfg->ndr + cfg->npa + cfg->nap + cfg->nobjs;
	mesh_obj_meta_t **all = malloc((total ? total : 1) * sizeof *all);
	if (!all)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < cfg->ngateways; i++)
		all[k++] = &cfg->gateways[i]->meta;
	for (size_t i = 0; i < cfg->nvs; i++)
		all[k++] = &cfg->vs[i]->meta;
	for (size_t i = 0; i < cfg->ndr; i++)
		all[k++] = &cfg->dr[i]->meta;
	for (size_t i = 0; i < cfg->npa; i++)
		all[k++] = &cfg->pa[i]->meta;
	for (size_t i = 0; i < cfg->nap; i++)
		all[k++] = &cfg->ap[i]->meta;
	for (size_t i = 0; i < cfg->nobjs; i++)
		all[k++] = &cfg->objs[i]->meta;
	qsort(all, k, sizeof *all, cmp_age);
	for (size_t i = 0; i < k; i++)
		all[i]->age = i;
	free(all);

	int nerr = 0;
	char buf[512];
	for (size_t i = 0; i < cfg->ndr; i++) {
		mesh_dr_t *r = cfg->dr[i];
		r->fqdn = astrdup(cfg, mesh_host_fqdn(r->host, r->meta.ns, buf, sizeof buf));
	}
	for (size_t i = 0; i < cfg->nvs; i++) {
		mesh_vs_t *v = cfg->vs[i];
		pc_t c = {.cfg = cfg, .d = d, .file = v->meta.file};
		snprintf(c.what, sizeof c.what, "VirtualService %s/%s", v->meta.ns, v->meta.name);
		v->fqdns = amalloc(cfg, (v->hosts.n + 1) * sizeof *v->fqdns);
		v->gw_refs = amalloc(cfg, (v->gateways.n + 1) * sizeof *v->gw_refs);
		if (!v->fqdns || !v->gw_refs)
			return -1;
		for (size_t j = 0; j < v->hosts.n; j++)
			v->fqdns[j] = astrdup(cfg, mesh_host_fqdn(v->hosts.v[j], v->meta.ns, buf, sizeof buf));
		for (size_t j = 0; j < v->gateways.n; j++) {
			v->gw_refs[j] = gw_ref(cfg, v->gateways.v[j], v->meta.ns);
			if (strcmp(v->gw_refs[j], "mesh") && !mesh_find_gateway(cfg, v->gw_refs[j])) {
				size_t o = pk(&c, "spec.gateways");
				size_t o2 = pidx(&c, j);
				gw_dangling(&c, cfg, v->gateways.nodes[j], v->gateways.v[j], v->gw_refs[j]);
				pp(&c, o2);
				pp(&c, o);
			}
		}
		for (size_t h = 0; h < v->nhttp; h++) {
			mesh_http_route_t *r = &v->http[h];
			size_t o = pk(&c, "spec.http");
			size_t o2 = pidx(&c, h);
			for (size_t m = 0; m < r->nmatch; m++) {
				mesh_strs_t *g = &r->match[m].gateways;
				for (size_t j = 0; j < g->n; j++) {
					const char *ref = gw_ref(cfg, g->v[j], v->meta.ns);
					if (strcmp(ref, "mesh") && !mesh_find_gateway(cfg, ref)) {
						size_t o3 = pk(&c, "match");
						size_t o4 = pidx(&c, m);
						size_t o5 = pk(&c, "gateways");
						gw_dangling(&c, cfg, g->nodes[j], g->v[j], ref);
						pp(&c, o5);
						pp(&c, o4);
						pp(&c, o3);
					}
					g->v[j] = ref;
				}
			}
			for (size_t j = 0; j < r->nroute; j++) {
				size_t o3 = pk(&c, "route");
				size_t o4 = pidx(&c, j);
				size_t o5 = pk(&c, "destination");
				resolve_dest(&c, cfg, &r->route[j].dest, v->meta.ns);
				pp(&c, o5);
				pp(&c, o4);
				pp(&c, o3);
			}
			if (r->has_mirror) {
				size_t o3 = pk(&c, "mirror");
				resolve_dest(&c, cfg, &r->mirror, v->meta.ns);
				pp(&c, o3);
			}
			pp(&c, o2);
			pp(&c, o);
		}
		nerr += c.nerr;
	}
	return nerr;
}
