/* sim/mesh/yaml_doc.c: libyaml events into a tree with line numbers. */
#include "yaml_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YD_MAX_DEPTH 64

/* Every allocation of a file, in one list, freed together. */
typedef struct ydmem {
	struct ydmem *next;
	max_align_t data[];
} ydmem_t;

typedef struct anchor {
	char *name;
	yd_node_t *node;
} anchor_t;

typedef struct ldr {
	yaml_parser_t p;
	yd_file_t *f;
	char *err;
	size_t errlen;
	anchor_t *anchors;
	size_t nanchors, capanchors;
	int failed;
} ldr_t;

static void *ymalloc(yd_file_t *f, size_t n)
{
	ydmem_t *m = malloc(sizeof *m + n);
	if (!m)
		return NULL;
	m->next = f->mem_;
	f->mem_ = m;
	return m->data;
}

static char *ystrdup(yd_file_t *f, const char *s, size_t n)
{
	char *d = ymalloc(f, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void fail(ldr_t *l, int line, int col, const char *fmt, ...)
{
	if (l->failed)
		return;
	l->failed = 1;
	int k = snprintf(l->err, l->errlen, "%s:%d:%d: ", l->f->path, line, col);
	if (k < 0 || (size_t)k >= l->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->err + k, l->errlen - (size_t)k, fmt, ap);
	va_end(ap);
}

static int next(ldr_t *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->p, ev)) {
		fail(l, (int)l->p.problem_mark.line + 1, (int)l->p.problem_mark.column + 1,
		     "YAML syntax: %s%s%s", l->p.problem ? l->p.problem : "error",
		     l->p.context ? " " : "", l->p.context ? l->p.context : "");
		return -1;
	}
	return 0;
}

static yd_node_t *new_node(ldr_t *l, yd_kind_t kind, const yaml_event_t *ev)
{
	yd_node_t *n = ymalloc(l->f, sizeof *n);
	if (!n) {
		fail(l, 0, 0, "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	return n;
}

static int add_anchor(ldr_t *l, const char *name, yd_node_t *n)
{
	if (!name)
		return 0;
	if (l->nanchors == l->capanchors) {
		size_t cap = l->capanchors ? 2 * l->capanchors : 8;
		anchor_t *a = realloc(l->anchors, cap * sizeof *a);
		if (!a)
			return -1;
		l->anchors = a;
		l->capanchors = cap;
	}
	char *s = strdup(name);
	if (!s)
		return -1;
	l->anchors[l->nanchors].name = s;
	l->anchors[l->nanchors++].node = n;
	return 0;
}

static void clear_anchors(ldr_t *l)
{
	for (size_t i = 0; i < l->nanchors; i++)
		free(l->anchors[i].name);
	l->nanchors = 0;
}

/* A growable array of node pointers while a collection is read. */
typedef struct vec {
	yd_node_t **v;
	size_t n, cap;
} vec_t;

static int vec_push(vec_t *v, yd_node_t *n)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 8;
		yd_node_t **a = realloc(v->v, cap * sizeof *a);
		if (!a)
			return -1;
		v->v = a;
		v->cap = cap;
	}
	v->v[v->n++] = n;
	return 0;
}

static yd_node_t *parse_node(ldr_t *l, yaml_event_t *ev, int depth);

/* Reads the items of a collection up to its end event. */
static yd_node_t *parse_coll(ldr_t *l, yd_node_t *n, yaml_event_type_t end, int depth)
{
	vec_t v = {0};
	for (;;) {
		yaml_event_t ev;
		if (next(l, &ev) < 0)
			goto bad;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		yd_node_t *c = parse_node(l, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!c || vec_push(&v, c) < 0)
			goto bad;
	}
	if (n->kind == YD_MAP) {
		n->n = v.n / 2;
		for (size_t i = 0; i < n->n; i++) {
			yd_node_t *k = v.v[2 * i];
			if (k->kind != YD_SCALAR) {
				fail(l, k->line, k->col, "a mapping key must be a scalar");
				goto bad;
			}
			for (size_t j = 0; j < i; j++)
				if (!strcmp(v.v[2 * j]->str, k->str)) {
					fail(l, k->line, k->col, "duplicate key \"%s\" (first at line %d)",
					     k->str, v.v[2 * j]->line);
					goto bad;
				}
		}
	} else {
		n->n = v.n;
	}
	if (v.n) {
		n->items = ymalloc(l->f, v.n * sizeof *n->items);
		if (!n->items)
			goto bad;
		memcpy(n->items, v.v, v.n * sizeof *n->items);
	}
	free(v.v);
	return n;
bad:
	free(v.v);
	if (!l->failed)
		fail(l, n->line, n->col, "out of memory");
	return NULL;
}

static yd_node_t *parse_node(ldr_t *l, yaml_event_t *ev, int depth)
{
	if (depth > YD_MAX_DEPTH) {
		fail(l, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		     "nested deeper than %d levels", YD_MAX_DEPTH);
		return NULL;
	}
	yd_node_t *n;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = new_node(l, YD_SCALAR, ev);
		if (!n)
			return NULL;
		n->str = ystrdup(l->f, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (!n->str || add_anchor(l, (const char *)ev->data.scalar.anchor, n) < 0) {
			fail(l, n->line, n->col, "out of memory");
			return NULL;
		}
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int map = ev->type == YAML_MAPPING_START_EVENT;
		n = new_node(l, map ? YD_MAP : YD_SEQ, ev);
		if (!n)
			return NULL;
		const char *anchor = (const char *)(map ? ev->data.mapping_start.anchor
							: ev->data.sequence_start.anchor);
		if (add_anchor(l, anchor, n) < 0) {
			fail(l, n->line, n->col, "out of memory");
			return NULL;
		}
		return parse_coll(l, n, map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT, depth);
	}
	case YAML_ALIAS_EVENT:
		for (size_t i = l->nanchors; i-- > 0;)
			if (!strcmp(l->anchors[i].name, (const char *)ev->data.alias.anchor))
				return l->anchors[i].node;
		fail(l, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		     "unknown alias *%s", (const char *)ev->data.alias.anchor);
		return NULL;
	default:
		fail(l, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		     "unexpected YAML event %d", (int)ev->type);
		return NULL;
	}
}

static int load(ldr_t *l)
{
	size_t cap = 0;
	int index = 0;
	for (;;) {
		yaml_event_t ev;
		if (next(l, &ev) < 0)
			return -1;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (t != YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		yaml_event_delete(&ev);
		if (next(l, &ev) < 0)
			return -1;
		yd_node_t *root = NULL;
		if (ev.type != YAML_DOCUMENT_END_EVENT) {
			root = parse_node(l, &ev, 0);
			yaml_event_delete(&ev);
			if (!root)
				return -1;
			if (next(l, &ev) < 0)
				return -1;
		}
		yaml_event_delete(&ev); /* document end */
		clear_anchors(l);
		/* An empty document (comments only) reads as a plain empty scalar. */
		if (root && !yd_is_null(root)) {
			if (l->f->ndocs == cap) {
				cap = cap ? 2 * cap : 8;
				yd_doc_t *d = ymalloc(l->f, cap * sizeof *d);
				if (!d) {
					fail(l, 0, 0, "out of memory");
					return -1;
				}
				if (l->f->ndocs)
					memcpy(d, l->f->docs, l->f->ndocs * sizeof *d);
				l->f->docs = d;
			}
			yd_doc_t *d = &l->f->docs[l->f->ndocs++];
			d->root = root;
			d->line = root->line;
			d->index = index;
		}
		index++;
	}
}

static int load_common(const char *name, FILE *fp, const char *text, size_t len, yd_file_t **out,
		       char *err, size_t errlen)
{
	*out = NULL;
	yd_file_t *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(name))) {
		free(f);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	ldr_t l = {.f = f, .err = err, .errlen = errlen};
	if (!yaml_parser_initialize(&l.p)) {
		snprintf(err, errlen, "%s: out of memory", name);
		yd_file_free(f);
		return -1;
	}
	if (fp)
		yaml_parser_set_input_file(&l.p, fp);
	else
		yaml_parser_set_input_string(&l.p, (const unsigned char *)text, len);
	int rc = load(&l);
	clear_anchors(&l);
	free(l.anchors);
	yaml_parser_delete(&l.p);
	if (rc < 0) {
		yd_file_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

int yd_load_file(const char *path, yd_file_t **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		*out = NULL;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = load_common(path, fp, NULL, 0, out, err, errlen);
	fclose(fp);
	return rc;
}

int yd_load_string(const char *name, const char *text, size_t len, yd_file_t **out, char *err,
		   size_t errlen)
{
	return load_common(name, NULL, text, len, out, err, errlen);
}

void yd_file_free(yd_file_t *f)
{
	if (!f)
		return;
	for (ydmem_t *m = f->mem_, *nx; m; m = nx) {
		nx = m->next;
		free(m);
	}
	free(f->path);
	free(f);
}

const yd_node_t *yd_get(const yd_node_t *map, const char *key)
{
	if (!map || map->kind != YD_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(YD_KEY(map, i)->str, key))
			return YD_VAL(map, i);
	return NULL;
}

int yd_is_null(const yd_node_t *n)
{
	if (!n)
		return 1;
	if (n->kind != YD_SCALAR || !n->plain)
		return 0;
	const char *s = n->str;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

const yd_node_t *yd_path(const yd_node_t *n, const char *dotted)
{
	char key[128];
	while (n && *dotted) {
		const char *dot = strchr(dotted, '.');
		size_t k = dot ? (size_t)(dot - dotted) : strlen(dotted);
		if (k >= sizeof key)
			return NULL;
		memcpy(key, dotted, k);
		key[k] = '\0';
		n = yd_get(n, key);
		dotted += k + (dot != NULL);
	}
	return n;
}

const char *yd_str(const yd_node_t *n, const char *dotted)
{
	n = yd_path(n, dotted);
	return n && n->kind == YD_SCALAR && !yd_is_null(n) ? n->str : NULL;
}
