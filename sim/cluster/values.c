/* sim/cluster/values.c: chart values.yaml -> cl_values_t (see values.h).
 *
 * Two passes: libyaml's document loader builds a document, which is copied
 * into a small tree of our own (vn_t) that remembers each node's position
 * and can be edited; the `--set` overrides edit that tree as Helm edits its
 * map; then the tree is read field by field into the typed struct, so an
 * overridden value is checked exactly like one from the file. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "values.h"

const char *cl_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define CL_STR_(name, val, msg) \
	case val:               \
		return msg;
		CL_ERRNO_MAP(CL_STR_)
#undef CL_STR_
	}
	return "unknown error";
}

const char *cl_err_name(int err)
{
	switch (err) {
	case 0:
		return "CL_OK";
#define CL_NAME_(name, val, msg) \
	case val:                \
		return "CL_" #name;
		CL_ERRNO_MAP(CL_NAME_)
#undef CL_NAME_
	}
	return "CL_UNKNOWN";
}

/* ---- the tree ------------------------------------------------------------ */

typedef enum { VN_NULL, VN_SCALAR, VN_MAP, VN_SEQ } vn_kind_t;

typedef struct vn vn_t;
struct vn {
	vn_kind_t kind;
	char *s;         /* VN_SCALAR */
	int quoted;      /* a quoted scalar: a string, never a number */
	int line, col;   /* 1-based; 0 for nodes made by an override */
	const char *set; /* the override that made it, or NULL */
	size_t n, cap;
	vn_t **k, **v;   /* VN_MAP: keys (scalars) and values; VN_SEQ: v */
};

static void vn_free(vn_t *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->k)
			vn_free(n->k[i]);
		vn_free(n->v[i]);
	}
	free(n->k);
	free(n->v);
	free(n->s);
	free(n);
}

static vn_t *vn_new(vn_kind_t kind, int line, int col, const char *set)
{
	vn_t *n = calloc(1, sizeof *n);
	if (n) {
		n->kind = kind;
		n->line = line;
		n->col = col;
		n->set = set;
	}
	return n;
}

static vn_t *vn_scalar(const char *s, size_t len, int quoted, int line,
                       int col, const char *set)
{
	vn_t *n = vn_new(VN_SCALAR, line, col, set);
	if (!n)
		return NULL;
	n->s = malloc(len + 1);
	if (!n->s) {
		free(n);
		return NULL;
	}
	memcpy(n->s, s, len);
	n->s[len] = '\0';
	n->quoted = quoted;
	return n;
}

/* Appends (|k|, |v|) (|k| NULL for a sequence); takes both on success. */
static int vn_push(vn_t *n, vn_t *k, vn_t *v)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 8;
		vn_t **nv = realloc(n->v, cap * sizeof *nv);
		if (!nv)
			return -1;
		n->v = nv;
		if (n->kind == VN_MAP) {
			vn_t **nk = realloc(n->k, cap * sizeof *nk);
			if (!nk)
				return -1;
			n->k = nk;
		}
		n->cap = cap;
	}
	if (n->kind == VN_MAP)
		n->k[n->n] = k;
	n->v[n->n++] = v;
	return 0;
}

/* The index of key |key| in map |m|, or -1. */
static long vn_find(const vn_t *m, const char *key)
{
	if (!m || m->kind != VN_MAP)
		return -1;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->k[i]->s, key) == 0)
			return (long)i;
	return -1;
}

/* ---- errors -------------------------------------------------------------- */

typedef struct pctx {
	const char *file;
	char *err;
	size_t errsize;
	int rc; /* the first error's code; later ones are not reported */
	size_t nodes; /* tree nodes made from the YAML so far */
} pctx_t;

/* Aliases share a node in the YAML document but are copied into the tree:
 * nine lines of nested aliases would expand to a billion values. No chart
 * comes near this many. */
#define CL_MAX_NODES 10000

__attribute__((format(printf, 5, 0))) static int
failv(pctx_t *c, int rc, const vn_t *at, const char *field, const char *fmt,
      va_list ap)
{
	if (c->rc)
		return c->rc;
	c->rc = rc;
	if (!c->err || !c->errsize)
		return rc;
	char why[512];
	vsnprintf(why, sizeof why, fmt, ap);
	const char *sep = field && *field ? ": " : "";
	if (!field)
		field = "";
	if (at && at->set)
		snprintf(c->err, c->errsize, "--set %s: %s%s%s", at->set, field,
		         sep, why);
	else if (at && at->line)
		snprintf(c->err, c->errsize, "%s:%d:%d: %s%s%s", c->file,
		         at->line, at->col, field, sep, why);
	else
		snprintf(c->err, c->errsize, "%s: %s%s%s", c->file, field, sep,
		         why);
	return rc;
}

__attribute__((format(printf, 4, 5))) static int
fail(pctx_t *c, const vn_t *at, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = failv(c, CL_EVALUES, at, field, fmt, ap);
	va_end(ap);
	return rc;
}

static int nomem(pctx_t *c)
{
	if (!c->rc) {
		c->rc = CL_ENOMEM;
		if (c->err && c->errsize)
			snprintf(c->err, c->errsize, "%s: out of memory", c->file);
	}
	return c->rc;
}

/* ---- libyaml document -> tree -------------------------------------------- */

static vn_t *from_yaml(pctx_t *c, yaml_document_t *doc, yaml_node_t *yn,
                       int depth)
{
	int line = (int)yn->start_mark.line + 1, col = (int)yn->start_mark.column + 1;
	if (depth > 64) {
		vn_t at = {.line = line, .col = col};
		fail(c, &at, NULL, "nesting too deep");
		return NULL;
	}
	if (++c->nodes > CL_MAX_NODES) {
		vn_t at = {.line = line, .col = col};
		fail(c, &at, NULL, "more than %d values (with aliases expanded)",
		     CL_MAX_NODES);
		return NULL;
	}
	vn_t *n = NULL;
	switch (yn->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)yn->data.scalar.value;
		size_t len = yn->data.scalar.length;
		int quoted = yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		/* A plain empty scalar, "~" or "null" is YAML's null. */
		if (!quoted && (len == 0 || strcmp(s, "~") == 0 ||
		                strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
		                strcmp(s, "NULL") == 0))
			n = vn_new(VN_NULL, line, col, NULL);
		else
			n = vn_scalar(s, len, quoted, line, col, NULL);
		if (!n)
			nomem(c);
		return n;
	}
	case YAML_SEQUENCE_NODE:
		n = vn_new(VN_SEQ, line, col, NULL);
		if (!n) {
			nomem(c);
			return NULL;
		}
		for (yaml_node_item_t *it = yn->data.sequence.items.start;
		     it < yn->data.sequence.items.top; it++) {
			vn_t *v = from_yaml(c, doc, yaml_document_get_node(doc, *it),
			                    depth + 1);
			if (!v || vn_push(n, NULL, v) != 0) {
				if (v)
					nomem(c);
				vn_free(v);
				vn_free(n);
				return NULL;
			}
		}
		return n;
	case YAML_MAPPING_NODE:
		n = vn_new(VN_MAP, line, col, NULL);
		if (!n) {
			nomem(c);
			return NULL;
		}
		for (yaml_node_pair_t *p = yn->data.mapping.pairs.start;
		     p < yn->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(doc, p->key);
			vn_t *k = from_yaml(c, doc, kn, depth + 1);
			if (!k) {
				vn_free(n);
				return NULL;
			}
			if (k->kind != VN_SCALAR) {
				fail(c, k, NULL, "a mapping key must be a scalar");
				vn_free(k);
				vn_free(n);
				return NULL;
			}
			if (vn_find(n, k->s) >= 0) {
				fail(c, k, k->s, "duplicate key");
				vn_free(k);
				vn_free(n);
				return NULL;
			}
			vn_t *v = from_yaml(c, doc,
			                    yaml_document_get_node(doc, p->value),
			                    depth + 1);
			if (!v || vn_push(n, k, v) != 0) {
				if (v)
					nomem(c);
				vn_free(k);
				vn_free(v);
				vn_free(n);
				return NULL;
			}
		}
		return n;
	default:
		n = vn_new(VN_NULL, line, col, NULL);
		if (!n)
			nomem(c);
		return n;
	}
}

static vn_t *load_tree(pctx_t *c, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		nomem(c);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		vn_t at = {.line = (int)parser.problem_mark.line + 1,
		           .col = (int)parser.problem_mark.column + 1};
		if (parser.error == YAML_MEMORY_ERROR)
			nomem(c);
		else
			fail(c, &at, NULL, "YAML: %s%s%s",
			     parser.problem ? parser.problem : "syntax error",
			     parser.context ? " " : "",
			     parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return NULL;
	}
	vn_t *root = NULL;
	yaml_node_t *top = yaml_document_get_root_node(&doc);
	if (!top) {
		root = vn_new(VN_MAP, 1, 1, NULL); /* an empty file */
		if (!root)
			nomem(c);
	} else {
		root = from_yaml(c, &doc, top, 0);
	}
	yaml_document_delete(&doc);
	/* A second document is not a values file. */
	if (root && yaml_parser_load(&parser, &doc)) {
		if (yaml_document_get_root_node(&doc)) {
			vn_t at = {.line = (int)doc.start_mark.line + 1,
			           .col = (int)doc.start_mark.column + 1};
			fail(c, &at, NULL, "more than one YAML document");
			vn_free(root);
			root = NULL;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (root && root->kind == VN_NULL) {
		root->kind = VN_MAP;
	} else if (root && root->kind != VN_MAP) {
		fail(c, root, NULL, "expected a mapping at the top level");
		vn_free(root);
		root = NULL;
	}
	return root;
}

/* ---- --set --------------------------------------------------------------- */

/* Copies the next unescaped-|stop|-delimited part of |*p| into a fresh
 * string with escapes resolved; advances |*p| past the delimiter (or to
 * the end). |stops| lists the delimiters. Returns NULL when out of memory. */
static char *take_part(const char **p, const char *stops, char *hit)
{
	const char *s = *p;
	size_t cap = strlen(s) + 1, n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	*hit = '\0';
	while (*s) {
		if (*s == '\\' && s[1]) {
			out[n++] = s[1];
			s += 2;
			continue;
		}
		if (strchr(stops, *s)) {
			*hit = *s++;
			break;
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
	*p = s;
	return out;
}

/* Applies one "a.b.c=value" to |root|. |whole| is the argument as given,
 * kept for messages (it must outlive the tree). */
static int apply_one(pctx_t *c, vn_t *root, const char *assign,
                     const char *whole)
{
	const char *p = assign;
	char hit;
	vn_t at = {.set = whole};
	vn_t *m = root;
	for (;;) {
		char *key = take_part(&p, ".=", &hit);
		if (!key)
			return nomem(c);
		if (!*key || !hit) {
			free(key);
			return fail(c, &at, NULL, "expected key=value");
		}
		long i = vn_find(m, key);
		if (hit == '=') {
			char *val = take_part(&p, "", &hit);
			if (!val) {
				free(key);
				return nomem(c);
			}
			vn_t *nv;
			if (strcmp(val, "null") == 0) {
				free(val);
				free(key);
				if (i >= 0) { /* Helm: null deletes the key */
					vn_free(m->k[i]);
					vn_free(m->v[i]);
					memmove(m->k + i, m->k + i + 1,
					        (m->n - (size_t)i - 1) * sizeof *m->k);
					memmove(m->v + i, m->v + i + 1,
					        (m->n - (size_t)i - 1) * sizeof *m->v);
					m->n--;
				}
				return 0;
			}
			nv = vn_scalar(val, strlen(val), 0, 0, 0, whole);
			free(val);
			if (!nv) {
				free(key);
				return nomem(c);
			}
			if (i >= 0) {
				vn_free(m->v[i]);
				m->v[i] = nv;
				m->k[i]->set = whole;
				free(key);
				return 0;
			}
			vn_t *k = vn_scalar(key, strlen(key), 0, 0, 0, whole);
			free(key);
			if (!k || vn_push(m, k, nv) != 0) {
				vn_free(k);
				vn_free(nv);
				return nomem(c);
			}
			return 0;
		}
		/* hit == '.': descend, making maps as Helm does. */
		if (i >= 0 && m->v[i]->kind == VN_MAP) {
			m = m->v[i];
			free(key);
			continue;
		}
		vn_t *nm = vn_new(VN_MAP, 0, 0, whole);
		if (!nm) {
			free(key);
			return nomem(c);
		}
		if (i >= 0) {
			vn_free(m->v[i]);
			m->v[i] = nm;
			free(key);
		} else {
			vn_t *k = vn_scalar(key, strlen(key), 0, 0, 0, whole);
			free(key);
			if (!k || vn_push(m, k, nm) != 0) {
				vn_free(k);
				vn_free(nm);
				return nomem(c);
			}
		}
		m = nm;
	}
}

static int apply_overrides(pctx_t *c, vn_t *root, const char *const *ov)
{
	for (; ov && *ov; ov++) {
		/* Split on unescaped commas; each part is one assignment. */
		const char *p = *ov;
		vn_t at = {.set = *ov};
		if (!*p)
			return fail(c, &at, NULL, "expected key=value");
		while (*p) {
			const char *start = p;
			while (*p && *p != ',') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			size_t len = (size_t)(p - start);
			char *part = malloc(len + 1);
			if (!part)
				return nomem(c);
			memcpy(part, start, len);
			part[len] = '\0';
			int rc = apply_one(c, root, part, *ov);
			free(part);
			if (rc)
				return rc;
			if (*p == ',')
				p++;
		}
	}
	return 0;
}

/* ---- quantities ---------------------------------------------------------- */

/* Parses "digits[.digits]" at |s| into an integer |scale| times the value,
 * rounding up; |*end| after the number. -1 when not a number or too large,
 * or when |exact| and the fraction has more digits than |scale| allows. */
static int parse_decimal(const char *s, int64_t scale, int exact,
                         int64_t *out, const char **end)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	int64_t ip = 0;
	while (isdigit((unsigned char)*s)) {
		if (ip > (INT64_MAX - 9) / 10)
			return -1;
		ip = ip * 10 + (*s++ - '0');
	}
	if (ip > INT64_MAX / scale)
		return -1;
	int64_t v = ip * scale;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		/* The fraction times |scale|, rounded up: digits one by one. */
		int64_t num = 0, den = 1;
		while (isdigit((unsigned char)*s)) {
			if (den > INT64_MAX / 10 / scale)
				return -1; /* absurd precision */
			num = num * 10 + (*s++ - '0');
			den *= 10;
		}
		int64_t q = num * scale / den, r = num * scale % den;
		if (r && exact)
			return -1;
		if (v > INT64_MAX - q - 1)
			return -1;
		v += q + (r ? 1 : 0);
	}
	*out = v;
	*end = s;
	return 0;
}

int cl_quantity_cpu(const char *s, int64_t *millicores)
{
	if (!s)
		return -1;
	const char *e;
	int64_t v;
	size_t len = strlen(s);
	if (len > 1 && s[len - 1] == 'm') {
		/* "100m": an integer number of millicores. */
		if (parse_decimal(s, 1, 1, &v, &e) != 0 || *e != 'm' || e[1])
			return -1;
		if (strchr(s, '.'))
			return -1;
	} else if (parse_decimal(s, 1000, 1, &v, &e) != 0 || *e) {
		return -1;
	}
	*millicores = v;
	return 0;
}

int cl_quantity_memory(const char *s, int64_t *bytes)
{
	static const struct {
		const char *suffix;
		int64_t mult;
	} units[] = {
	    {"Ki", 1LL << 10}, {"Mi", 1LL << 20}, {"Gi", 1LL << 30},
	    {"Ti", 1LL << 40}, {"Pi", 1LL << 50}, {"Ei", 1LL << 60},
	    {"k", 1000LL}, {"M", 1000000LL}, {"G", 1000000000LL},
	    {"T", 1000000000000LL}, {"P", 1000000000000000LL},
	    {"E", 1000000000000000000LL}, {"", 1}};
	if (!s)
		return -1;
	/* Find the suffix first: the scale depends on it. */
	const char *p = s;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		const char *e;
		int64_t v;
		if (parse_decimal(s, units[i].mult, 0, &v, &e) != 0 || e != p)
			return -1;
		*bytes = v;
		return 0;
	}
	return -1;
}

int cl_addr_split(const char *addr, char *svc, char *ns, size_t size,
                  int *port)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	if (!colon || colon == addr || !colon[1])
		return -1;
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (*end || errno || p < 1 || p > 65535)
		return -1;
	size_t hl = (size_t)(colon - addr);
	char host[256];
	if (hl >= sizeof host)
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	char *parts[6];
	int n = 0;
	for (char *t = host; n < 6;) {
		parts[n++] = t;
		char *dot = strchr(t, '.');
		if (!dot)
			break;
		*dot = '\0';
		t = dot + 1;
	}
	for (int i = 0; i < n; i++)
		if (!*parts[i])
			return -1;
	int ok = n == 1 || n == 2 ||
	         (n == 3 && strcmp(parts[2], "svc") == 0) ||
	         (n == 5 && strcmp(parts[2], "svc") == 0 &&
	          strcmp(parts[3], "cluster") == 0 &&
	          strcmp(parts[4], "local") == 0);
	if (!ok || strlen(parts[0]) >= size ||
	    (n > 1 && strlen(parts[1]) >= size))
		return -1;
	strcpy(svc, parts[0]);
	strcpy(ns, n > 1 ? parts[1] : "");
	*port = (int)p;
	return 0;
}

/* ---- reading fields ------------------------------------------------------ */

/* The field's path, "resources.limits.cpu", for messages. */
static const char *fld(char *buf, size_t size, const char *prefix,
                       const char *key)
{
	if (prefix && *prefix)
		snprintf(buf, size, "%s.%s", prefix, key);
	else
		snprintf(buf, size, "%s", key);
	return buf;
}

static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	int d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int m = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < m)
				m = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < m)
				m = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < m)
				m = d[i - 2][j - 2] + 1;
			d[i][j] = m;
		}
	return d[la][lb];
}

/* The known key nearest to |key| (distance <= 2 or equal ignoring case),
 * or NULL. */
static const char *near_key(const char *key, const char *const *known)
{
	const char *best = NULL;
	int bestd = 3;
	for (; *known; known++) {
		if (strcasecmp(key, *known) == 0)
			return *known;
		int d = edit_distance(key, *known);
		if (d < bestd) {
			bestd = d;
			best = *known;
		}
	}
	return best;
}

/* Every key of |m| must be in |known| (strict), or, when not |strict|,
 * must not look like a misspelling of one. */
static int check_keys(pctx_t *c, const vn_t *m, const char *prefix,
                      const char *const *known, int strict)
{
	char f[256];
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->k[i]->s;
		int ok = 0;
		for (const char *const *q = known; *q; q++)
			if (strcmp(k, *q) == 0)
				ok = 1;
		if (ok)
			continue;
		const char *near = near_key(k, known);
		if (near)
			return fail(c, m->k[i], fld(f, sizeof f, prefix, k),
			            "unknown key (did you mean \"%s\"?)", near);
		if (strict)
			return fail(c, m->k[i], fld(f, sizeof f, prefix, k),
			            "unknown key");
	}
	return 0;
}

/* The key node and value of |key| in |m|, or NULL. */
static const vn_t *get(const vn_t *m, const char *key, const vn_t **knode)
{
	long i = vn_find(m, key);
	if (i < 0)
		return NULL;
	if (knode)
		*knode = m->k[i];
	return m->v[i];
}

/* Where a field's errors point: the key (as `kubectl` does), else the map. */
static const vn_t *where(const vn_t *knode, const vn_t *m)
{
	return knode ? knode : m;
}

/* An optional mapping; NULL when absent or null. */
static int get_map(pctx_t *c, const vn_t *m, const char *prefix,
                   const char *key, const vn_t **out)
{
	const vn_t *kn = NULL, *v = get(m, key, &kn);
	char f[256];
	*out = NULL;
	if (!v || v->kind == VN_NULL)
		return 0;
	if (v->kind != VN_MAP)
		return fail(c, kn, fld(f, sizeof f, prefix, key),
		            "expected a mapping");
	*out = v;
	return 0;
}

/* A string (any scalar); |*out| keeps its value when absent. |required|:
 * absent is an error. */
static int get_str(pctx_t *c, const vn_t *m, const char *prefix,
                   const char *key, int required, char **out)
{
	const vn_t *kn = NULL, *v = get(m, key, &kn);
	char f[256];
	if (!v || v->kind == VN_NULL) {
		if (required)
			return fail(c, where(kn, m), fld(f, sizeof f, prefix, key),
			            "required");
		return 0;
	}
	if (v->kind != VN_SCALAR)
		return fail(c, kn, fld(f, sizeof f, prefix, key),
		            "expected a string");
	char *s = strdup(v->s);
	if (!s)
		return nomem(c);
	free(*out);
	*out = s;
	return 0;
}

static int get_int(pctx_t *c, const vn_t *m, const char *prefix,
                   const char *key, int required, int min, int max, int *out)
{
	const vn_t *kn = NULL, *v = get(m, key, &kn);
	char f[256];
	fld(f, sizeof f, prefix, key);
	if (!v || v->kind == VN_NULL) {
		if (required)
			return fail(c, where(kn, m), f, "required");
		return 0;
	}
	if (v->kind != VN_SCALAR || v->quoted)
		return fail(c, kn, f, "expected an integer");
	char *end;
	errno = 0;
	long x = strtol(v->s, &end, 10);
	if (!*v->s || *end || errno || isspace((unsigned char)*v->s))
		return fail(c, kn, f, "\"%s\" is not an integer", v->s);
	if (x < min || x > max)
		return fail(c, kn, f, "%ld is out of range [%d, %d]", x, min,
		            max);
	*out = (int)x;
	return 0;
}

static int get_bool(pctx_t *c, const vn_t *m, const char *prefix,
                    const char *key, int *out)
{
	const vn_t *kn = NULL, *v = get(m, key, &kn);
	char f[256];
	if (!v || v->kind == VN_NULL)
		return 0;
	fld(f, sizeof f, prefix, key);
	if (v->kind != VN_SCALAR || v->quoted)
		return fail(c, kn, f, "expected true or false");
	if (!strcmp(v->s, "true") || !strcmp(v->s, "True") ||
	    !strcmp(v->s, "TRUE"))
		*out = 1;
	else if (!strcmp(v->s, "false") || !strcmp(v->s, "False") ||
	         !strcmp(v->s, "FALSE"))
		*out = 0;
	else
		return fail(c, kn, f, "\"%s\" is not true or false", v->s);
	return 0;
}

static int get_quantity(pctx_t *c, const vn_t *m, const char *prefix,
                        const char *key, int cpu, int64_t *out)
{
	const vn_t *kn = NULL, *v = get(m, key, &kn);
	char f[256];
	if (!v || v->kind == VN_NULL)
		return 0;
	fld(f, sizeof f, prefix, key);
	if (v->kind != VN_SCALAR)
		return fail(c, kn, f, "expected a %s quantity",
		            cpu ? "CPU" : "memory");
	int rc = cpu ? cl_quantity_cpu(v->s, out) : cl_quantity_memory(v->s, out);
	if (rc != 0)
		return fail(c, kn, f, "\"%s\" is not a %s quantity", v->s,
		            cpu ? "CPU" : "memory");
	return 0;
}

static int get_intstr(pctx_t *c, const vn_t *m, const char *prefix,
                      const char *key, cl_intstr_t *out)
{
	const vn_t *kn = NULL, *v = get(m, key, &kn);
	char f[256];
	if (!v || v->kind == VN_NULL)
		return 0;
	fld(f, sizeof f, prefix, key);
	if (v->kind != VN_SCALAR)
		return fail(c, kn, f, "expected an integer or a percentage");
	char *end;
	errno = 0;
	long x = strtol(v->s, &end, 10);
	int pct = *end == '%' && !end[1];
	if (!isdigit((unsigned char)*v->s) || errno || x > 1000000 ||
	    (*end && !pct) || (!pct && v->quoted) || (pct && x > 100))
		return fail(c, kn, f,
		            "\"%s\" is not an integer or a percentage", v->s);
	out->value = (int)x;
	out->percent = pct;
	return 0;
}

static const char *const probe_keys[] = {
    "grpc", "httpGet", "tcpSocket", "exec", "initialDelaySeconds",
    "periodSeconds", "timeoutSeconds", "successThreshold",
    "failureThreshold", "terminationGracePeriodSeconds", NULL};

static int read_probe(pctx_t *c, const vn_t *probes, const char *key,
                      cl_probe_t *p)
{
	char pre[64], f[128];
	const vn_t *m;
	snprintf(pre, sizeof pre, "probes.%s", key);
	p->kind = CL_PROBE_NONE;
	p->period_s = 10;
	p->timeout_s = 1;
	p->success_threshold = 1;
	p->failure_threshold = 3;
	if (!probes || get_map(c, probes, "probes", key, &m) || !m || !m->n)
		return c->rc;
	if (check_keys(c, m, pre, probe_keys, 1))
		return c->rc;
	int kinds = 0;
	const vn_t *h;
	if (get_map(c, m, pre, "grpc", &h))
		return c->rc;
	if (h) {
		static const char *const k[] = {"port", "service", NULL};
		kinds++;
		p->kind = CL_PROBE_GRPC;
		snprintf(f, sizeof f, "%s.grpc", pre);
		if (check_keys(c, h, f, k, 1) ||
		    get_int(c, h, f, "port", 1, 1, 65535, &p->port))
			return c->rc;
	}
	if (get_map(c, m, pre, "httpGet", &h))
		return c->rc;
	if (h) {
		static const char *const k[] = {"path", "port", "host", "scheme",
		                                "httpHeaders", NULL};
		kinds++;
		p->kind = CL_PROBE_HTTP;
		snprintf(f, sizeof f, "%s.httpGet", pre);
		if (check_keys(c, h, f, k, 1) ||
		    get_int(c, h, f, "port", 1, 1, 65535, &p->port) ||
		    get_str(c, h, f, "path", 0, &p->path))
			return c->rc;
	}
	if (get_map(c, m, pre, "tcpSocket", &h))
		return c->rc;
	if (h) {
		static const char *const k[] = {"port", "host", NULL};
		kinds++;
		p->kind = CL_PROBE_TCP;
		snprintf(f, sizeof f, "%s.tcpSocket", pre);
		if (check_keys(c, h, f, k, 1) ||
		    get_int(c, h, f, "port", 1, 1, 65535, &p->port))
			return c->rc;
	}
	const vn_t *kn = NULL;
	if (get(m, "exec", &kn))
		return fail(c, kn, fld(f, sizeof f, pre, "exec"),
		            "exec probes are not modelled");
	if (kinds != 1)
		return fail(c, where(NULL, m), pre,
		            "expected exactly one of grpc, httpGet, tcpSocket");
	if (get_int(c, m, pre, "initialDelaySeconds", 0, 0, 86400,
	            &p->initial_delay_s) ||
	    get_int(c, m, pre, "periodSeconds", 0, 1, 86400, &p->period_s) ||
	    get_int(c, m, pre, "timeoutSeconds", 0, 1, 86400, &p->timeout_s) ||
	    get_int(c, m, pre, "successThreshold", 0, 1, 1000,
	            &p->success_threshold) ||
	    get_int(c, m, pre, "failureThreshold", 0, 1, 1000,
	            &p->failure_threshold))
		return c->rc;
	return 0;
}

static int read_env(pctx_t *c, const vn_t *root, cl_values_t *v)
{
	const vn_t *kn = NULL, *e = get(root, "env", &kn);
	char f[256];
	if (!e || e->kind == VN_NULL)
		return 0;
	if (e->kind != VN_MAP && e->kind != VN_SEQ)
		return fail(c, kn, "env", "expected a mapping NAME: \"value\"");
	v->env = calloc(e->n ? e->n : 1, sizeof *v->env);
	if (!v->env)
		return nomem(c);
	for (size_t i = 0; i < e->n; i++) {
		const vn_t *name, *val, *at;
		if (e->kind == VN_MAP) {
			/* The charts' form: NAME: "value". */
			name = e->k[i];
			val = e->v[i];
			at = e->k[i];
		} else {
			/* Kubernetes' own form: - {name: N, value: V}. */
			const vn_t *it = e->v[i];
			snprintf(f, sizeof f, "env[%zu]", i);
			if (it->kind != VN_MAP)
				return fail(c, it, f, "expected {name, value}");
			static const char *const k[] = {"name", "value", NULL};
			if (check_keys(c, it, f, k, 1))
				return c->rc;
			name = get(it, "name", NULL);
			val = get(it, "value", NULL);
			at = it;
			if (!name || name->kind != VN_SCALAR)
				return fail(c, it, f, "name: required");
		}
		const char *nm = name->s;
		snprintf(f, sizeof f, "env.%s", nm);
		int okname = *nm && !isdigit((unsigned char)*nm);
		for (const char *p = nm; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				okname = 0;
		if (!okname)
			return fail(c, at, f, "not a valid variable name");
		if (!val || val->kind == VN_NULL)
			val = NULL;
		else if (val->kind != VN_SCALAR)
			return fail(c, at, f, "expected a string");
		for (size_t j = 0; j < v->n_env; j++)
			if (strcmp(v->env[j].name, nm) == 0)
				return fail(c, at, f, "duplicate variable");
		v->env[v->n_env].name = strdup(nm);
		v->env[v->n_env].value = strdup(val ? val->s : "");
		v->n_env++;
		if (!v->env[v->n_env - 1].name || !v->env[v->n_env - 1].value)
			return nomem(c);
	}
	return 0;
}

static const char *const top_keys[] = {
    "name", "namespace", "replicaCount", "image", "service", "resources",
    "env", "terminationGracePeriodSeconds", "probes", "podAnnotations",
    "podSecurityContext", "securityContext", "storage", "canary",
    "autoscaling", "strategy", NULL};

static int is_dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (const char *p = s; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '-')
			return 0;
	return 1;
}

static int read_values(pctx_t *c, const vn_t *root, cl_values_t *v)
{
	const vn_t *m, *kn = NULL;
	if (check_keys(c, root, "", top_keys, 0))
		return c->rc;
	if (get_str(c, root, "", "name", 1, &v->name) ||
	    get_str(c, root, "", "namespace", 1, &v->namespace_))
		return c->rc;
	get(root, "name", &kn);
	if (!is_dns_label(v->name))
		return fail(c, kn, "name", "\"%s\" is not a DNS label", v->name);
	get(root, "namespace", &kn);
	if (!is_dns_label(v->namespace_))
		return fail(c, kn, "namespace", "\"%s\" is not a DNS label",
		            v->namespace_);
	v->replicas = 1;
	if (get_int(c, root, "", "replicaCount", 0, 0, 10000, &v->replicas))
		return c->rc;

	if (get_map(c, root, "", "image", &m))
		return c->rc;
	if (m) {
		static const char *const k[] = {"registry", "repository", "tag",
		                                "pullPolicy", NULL};
		if (check_keys(c, m, "image", k, 1) ||
		    get_str(c, m, "image", "registry", 0, &v->image.registry) ||
		    get_str(c, m, "image", "repository", 0,
		            &v->image.repository) ||
		    get_str(c, m, "image", "tag", 0, &v->image.tag) ||
		    get_str(c, m, "image", "pullPolicy", 0, &v->image.pull_policy))
			return c->rc;
		if (v->image.pull_policy &&
		    strcmp(v->image.pull_policy, "Always") &&
		    strcmp(v->image.pull_policy, "IfNotPresent") &&
		    strcmp(v->image.pull_policy, "Never")) {
			get(m, "pullPolicy", &kn);
			return fail(c, kn, "image.pullPolicy",
			            "\"%s\" is not Always, IfNotPresent or Never",
			            v->image.pull_policy);
		}
	}

	if (get_map(c, root, "", "service", &m))
		return c->rc;
	if (m) {
		static const char *const k[] = {"enabled", "type", "port",
		                                "targetPort", "protocol", NULL};
		v->service.enabled = 1;
		if (check_keys(c, m, "service", k, 1) ||
		    get_bool(c, m, "service", "enabled", &v->service.enabled) ||
		    get_str(c, m, "service", "type", 0, &v->service.type) ||
		    get_str(c, m, "service", "protocol", 0,
		            &v->service.protocol))
			return c->rc;
		if (v->service.enabled &&
		    (get_int(c, m, "service", "port", 1, 1, 65535,
		             &v->service.port) ||
		     get_int(c, m, "service", "targetPort", 0, 1, 65535,
		             &v->service.target_port)))
			return c->rc;
		if (!v->service.target_port)
			v->service.target_port = v->service.port;
		if (v->service.protocol && strcmp(v->service.protocol, "grpc") &&
		    strcmp(v->service.protocol, "http")) {
			get(m, "protocol", &kn);
			return fail(c, kn, "service.protocol",
			            "\"%s\" is not grpc or http",
			            v->service.protocol);
		}
	}

	if (get_map(c, root, "", "resources", &m))
		return c->rc;
	if (m) {
		static const char *const k[] = {"requests", "limits", NULL};
		static const char *const q[] = {"cpu", "memory", NULL};
		const vn_t *r, *rq;
		if (check_keys(c, m, "resources", k, 1))
			return c->rc;
		if (get_map(c, m, "resources", "requests", &r))
			return c->rc;
		rq = r;
		if (r && (check_keys(c, r, "resources.requests", q, 1) ||
		          get_quantity(c, r, "resources.requests", "cpu", 1,
		                       &v->cpu_request_m) ||
		          get_quantity(c, r, "resources.requests", "memory", 0,
		                       &v->mem_request)))
			return c->rc;
		if (get_map(c, m, "resources", "limits", &r))
			return c->rc;
		if (r && (check_keys(c, r, "resources.limits", q, 1) ||
		          get_quantity(c, r, "resources.limits", "cpu", 1,
		                       &v->cpu_limit_m) ||
		          get_quantity(c, r, "resources.limits", "memory", 0,
		                       &v->mem_limit)))
			return c->rc;
		/* Kubernetes: a limit without a request means request = limit;
		 * a request above its limit is refused. */
		if (!v->cpu_request_m)
			v->cpu_request_m = v->cpu_limit_m;
		if (!v->mem_request)
			v->mem_request = v->mem_limit;
		/* Point at requests.cpu / .memory, else at "requests". */
		kn = NULL;
		get(m, "requests", &kn);
		if (rq)
			get(rq, "cpu", &kn);
		if (v->cpu_limit_m && v->cpu_request_m > v->cpu_limit_m)
			return fail(c, kn, "resources.requests.cpu",
			            "%lldm is above the limit %lldm",
			            (long long)v->cpu_request_m,
			            (long long)v->cpu_limit_m);
		if (rq)
			get(rq, "memory", &kn);
		if (v->mem_limit && v->mem_request > v->mem_limit)
			return fail(c, kn, "resources.requests.memory",
			            "%lld bytes is above the limit %lld",
			            (long long)v->mem_request,
			            (long long)v->mem_limit);
	}

	if (read_env(c, root, v))
		return c->rc;
	v->grace_s = 30;
	if (get_int(c, root, "", "terminationGracePeriodSeconds", 0, 0,
	            86400 * 365, &v->grace_s))
		return c->rc;

	if (get_map(c, root, "", "probes", &m))
		return c->rc;
	if (m) {
		static const char *const k[] = {"readiness", "liveness", NULL};
		if (check_keys(c, m, "probes", k, 1))
			return c->rc;
	}
	if (read_probe(c, m, "readiness", &v->readiness) ||
	    read_probe(c, m, "liveness", &v->liveness))
		return c->rc;

	if (get_map(c, root, "", "storage", &m))
		return c->rc;
	if (m) {
		static const char *const k[] = {"enabled", "type", "mountPath",
		                                "size", "storageClassName", NULL};
		int64_t size = 0;
		if (check_keys(c, m, "storage", k, 1) ||
		    get_bool(c, m, "storage", "enabled", &v->storage.enabled) ||
		    get_str(c, m, "storage", "type", v->storage.enabled,
		            &v->storage.type) ||
		    get_str(c, m, "storage", "mountPath", v->storage.enabled,
		            &v->storage.mount_path) ||
		    get_quantity(c, m, "storage", "size", 0, &size))
			return c->rc;
		if (v->storage.type && strcmp(v->storage.type, "emptyDir") &&
		    strcmp(v->storage.type, "persistentVolumeClaim")) {
			get(m, "type", &kn);
			return fail(c, kn, "storage.type",
			            "\"%s\" is not emptyDir or "
			            "persistentVolumeClaim",
			            v->storage.type);
		}
		if (v->storage.mount_path && v->storage.mount_path[0] != '/') {
			get(m, "mountPath", &kn);
			return fail(c, kn, "storage.mountPath",
			            "not an absolute path");
		}
	}

	if (get_map(c, root, "", "canary", &m))
		return c->rc;
	if (m) {
		static const char *const k[] = {"enabled", "replicaCount", "image",
		                                NULL};
		static const char *const ki[] = {"tag", NULL};
		const vn_t *im;
		v->canary.replicas = 1;
		if (check_keys(c, m, "canary", k, 1) ||
		    get_bool(c, m, "canary", "enabled", &v->canary.enabled) ||
		    get_int(c, m, "canary", "replicaCount", 0, 0, 10000,
		            &v->canary.replicas) ||
		    get_map(c, m, "canary", "image", &im))
			return c->rc;
		if (im && (check_keys(c, im, "canary.image", ki, 1) ||
		           get_str(c, im, "canary.image", "tag", 0,
		                   &v->canary.tag)))
			return c->rc;
	}

	if (get_map(c, root, "", "autoscaling", &m))
		return c->rc;
	v->hpa.min_replicas = 1;
	v->hpa.target_cpu_percent = 80;
	v->hpa.scale_down_window_s = 300;
	if (m) {
		static const char *const k[] = {
		    "enabled", "minReplicas", "maxReplicas",
		    "targetCPUUtilizationPercentage",
		    "scaleDownStabilizationWindowSeconds", NULL};
		if (check_keys(c, m, "autoscaling", k, 1) ||
		    get_bool(c, m, "autoscaling", "enabled", &v->hpa.enabled) ||
		    get_int(c, m, "autoscaling", "minReplicas", 0, 1, 10000,
		            &v->hpa.min_replicas) ||
		    get_int(c, m, "autoscaling", "maxReplicas", v->hpa.enabled, 1,
		            10000, &v->hpa.max_replicas) ||
		    get_int(c, m, "autoscaling", "targetCPUUtilizationPercentage",
		            0, 1, 10000, &v->hpa.target_cpu_percent) ||
		    get_int(c, m, "autoscaling",
		            "scaleDownStabilizationWindowSeconds", 0, 0, 3600,
		            &v->hpa.scale_down_window_s))
			return c->rc;
		if (v->hpa.enabled && v->hpa.max_replicas < v->hpa.min_replicas) {
			get(m, "maxReplicas", &kn);
			return fail(c, kn, "autoscaling.maxReplicas",
			            "%d is below minReplicas %d",
			            v->hpa.max_replicas, v->hpa.min_replicas);
		}
	}

	v->strategy.max_surge = (cl_intstr_t){25, 1};
	v->strategy.max_unavailable = (cl_intstr_t){25, 1};
	if (v->storage.enabled && v->storage.type &&
	    strcmp(v->storage.type, "persistentVolumeClaim") == 0)
		v->strategy.recreate = 1;
	if (get_map(c, root, "", "strategy", &m))
		return c->rc;
	if (m) {
		static const char *const k[] = {"type", "rollingUpdate", NULL};
		static const char *const kr[] = {"maxSurge", "maxUnavailable",
		                                 NULL};
		char *type = NULL;
		const vn_t *ru;
		if (check_keys(c, m, "strategy", k, 1) ||
		    get_str(c, m, "strategy", "type", 0, &type)) {
			free(type);
			return c->rc;
		}
		if (type) {
			get(m, "type", &kn);
			int bad = strcmp(type, "Recreate") &&
			          strcmp(type, "RollingUpdate");
			/* A persistentVolumeClaim forces Recreate, as the
			 * chart's template does. */
			v->strategy.recreate |= strcmp(type, "Recreate") == 0;
			if (bad) {
				fail(c, kn, "strategy.type",
				     "\"%s\" is not RollingUpdate or Recreate", type);
				free(type);
				return c->rc;
			}
			free(type);
		}
		if (get_map(c, m, "strategy", "rollingUpdate", &ru))
			return c->rc;
		if (ru && (check_keys(c, ru, "strategy.rollingUpdate", kr, 1) ||
		           get_intstr(c, ru, "strategy.rollingUpdate", "maxSurge",
		                      &v->strategy.max_surge) ||
		           get_intstr(c, ru, "strategy.rollingUpdate",
		                      "maxUnavailable",
		                      &v->strategy.max_unavailable)))
			return c->rc;
		if (ru && !v->strategy.max_surge.value &&
		    !v->strategy.max_unavailable.value) {
			get(m, "rollingUpdate", &kn);
			return fail(c, kn, "strategy.rollingUpdate",
			            "maxSurge and maxUnavailable are both 0");
		}
	}
	return 0;
}

/* ---- public -------------------------------------------------------------- */

void cl_values_free(cl_values_t *v)
{
	if (!v)
		return;
	free(v->file);
	free(v->name);
	free(v->namespace_);
	free(v->image.registry);
	free(v->image.repository);
	free(v->image.tag);
	free(v->image.pull_policy);
	free(v->service.type);
	free(v->service.protocol);
	for (size_t i = 0; i < v->n_env; i++) {
		free(v->env[i].name);
		free(v->env[i].value);
	}
	free(v->env);
	free(v->readiness.path);
	free(v->liveness.path);
	free(v->storage.type);
	free(v->storage.mount_path);
	free(v->canary.tag);
	free(v);
}

static int dupstr(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

cl_values_t *cl_values_dup(const cl_values_t *v)
{
	cl_values_t *d = malloc(sizeof *d);
	if (!d)
		return NULL;
	*d = *v;
	d->env = NULL;
	d->n_env = 0;
	int bad = dupstr(&d->file, v->file) | dupstr(&d->name, v->name) |
	          dupstr(&d->namespace_, v->namespace_) |
	          dupstr(&d->image.registry, v->image.registry) |
	          dupstr(&d->image.repository, v->image.repository) |
	          dupstr(&d->image.tag, v->image.tag) |
	          dupstr(&d->image.pull_policy, v->image.pull_policy) |
	          dupstr(&d->service.type, v->service.type) |
	          dupstr(&d->service.protocol, v->service.protocol) |
	          dupstr(&d->readiness.path, v->readiness.path) |
	          dupstr(&d->liveness.path, v->liveness.path) |
	          dupstr(&d->storage.type, v->storage.type) |
	          dupstr(&d->storage.mount_path, v->storage.mount_path) |
	          dupstr(&d->canary.tag, v->canary.tag);
	d->env = calloc(v->n_env ? v->n_env : 1, sizeof *d->env);
	if (!d->env)
		bad = 1;
	for (size_t i = 0; !bad && i < v->n_env; i++) {
		bad |= dupstr(&d->env[i].name, v->env[i].name) |
		       dupstr(&d->env[i].value, v->env[i].value);
		d->n_env = i + 1;
	}
	if (bad) {
		cl_values_free(d);
		return NULL;
	}
	return d;
}

const char *cl_values_env(const cl_values_t *v, const char *name)
{
	for (size_t i = 0; i < v->n_env; i++)
		if (strcmp(v->env[i].name, name) == 0)
			return v->env[i].value;
	return NULL;
}

int cl_values_parse(const char *file, const char *buf, size_t len,
                    const char *const *overrides, cl_values_t **out,
                    char *err, size_t errsize)
{
	if (err && errsize)
		err[0] = '\0';
	if (!out || (!buf && len))
		return CL_EINVAL;
	*out = NULL;
	pctx_t c = {file ? file : "<values>", err, errsize, 0};
	vn_t *root = load_tree(&c, buf ? buf : "", len);
	if (!root)
		return c.rc ? c.rc : CL_EVALUES;
	cl_values_t *v = calloc(1, sizeof *v);
	if (!v) {
		vn_free(root);
		return nomem(&c);
	}
	if (apply_overrides(&c, root, overrides) == 0 &&
	    read_values(&c, root, v) == 0) {
		v->file = strdup(c.file);
		if (!v->file)
			nomem(&c);
	}
	vn_free(root);
	if (c.rc) {
		cl_values_free(v);
		return c.rc;
	}
	*out = v;
	return 0;
}

int cl_values_load(const char *path, const char *const *overrides,
                   cl_values_t **out, char *err, size_t errsize)
{
	if (!path || !out)
		return CL_EINVAL;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (err && errsize)
			snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return CL_EIO;
	}
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int rerr = ferror(f);
	fclose(f);
	if (!buf || rerr) {
		int io = buf != NULL;
		free(buf);
		if (err && errsize)
			snprintf(err, errsize, "%s: %s", path,
			         io ? "read error" : "out of memory or too large");
		return io ? CL_EIO : CL_ENOMEM;
	}
	int rc = cl_values_parse(path, buf, n, overrides, out, err, errsize);
	free(buf);
	return rc;
}
