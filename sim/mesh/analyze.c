/* sim/mesh/analyze.c: manifest checks over the policy model and a
 * topology (see analyze.h). */
#include "analyze.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct t_ns {
	const char *name;
	int sidecar; /* 1 injection enabled, 0 not */
	const char *file;
	int line;
} t_ns_t;

typedef struct t_svc {
	const char *name, *ns, *fqdn;
	mesh_labels_t sel;
	int has_sel;
	int port, target;
	const char *file;
	int line;
} t_svc_t;

typedef struct t_wl {
	mesh_workload_t w;
	int override; /* sidecar.istio.io/inject: -1 none, 0, 1 */
	int gateway;
	const char *file;
	int line;
} t_wl_t;

typedef struct t_call {
	const char *ns, *caller, *sa;
	const char *host; /* FQDN */
	int port;         /* 0: the Service's */
	const char *path; /* NULL: unknown */
	const char *file;
	int line;
	const char *via;  /* "env FRONTEND_ADDR", "route of ..." */
} t_call_t;

typedef struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
} chunk_t;

struct mesh_topo {
	chunk_t *mem;
	t_ns_t *ns;
	size_t nns, capns;
	t_svc_t *svc;
	size_t nsvc, capsvc;
	t_wl_t *wl;
	size_t nwl, capwl;
	t_call_t *call;
	size_t ncall, capcall;
	const char **seen;
	size_t nseen, capseen;
	int oom;
};

/* ---- memory ---- */
static void *tmalloc(mesh_topo_t *t, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!n)
		n = sizeof(max_align_t);
	chunk_t *c = t->mem;
	if (!c || c->size - c->used < n) {
		size_t size = n > 32768 ? n : 32768;
		chunk_t *nc = malloc(sizeof *nc + size);
		if (!nc) {
			t->oom = 1;
			return NULL;
		}
		nc->next = c;
		nc->used = 0;
		nc->size = size;
		t->mem = c = nc;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static const char *tstr(mesh_topo_t *t, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *d = tmalloc(t, n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d ? d : "";
}

/* Appends a zeroed element to a growable array; NULL when out of memory. */
static void *grow(mesh_topo_t *t, void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		void *a = realloc(*arr, c * size);
		if (!a) {
			t->oom = 1;
			return NULL;
		}
		*arr = a;
		*cap = c;
	}
	void *p = (char *)*arr + (*n)++ * size;
	memset(p, 0, size);
	return p;
}
#define GROW(t, a, n, cap) ((__typeof__(a))grow((t), (void **)&(a), &(n), &(cap), sizeof *(a)))

mesh_topo_t *mesh_topo_new(void)
{
	return calloc(1, sizeof(mesh_topo_t));
}

void mesh_topo_free(mesh_topo_t *t)
{
	if (!t)
		return;
	for (chunk_t *c = t->mem, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(t->ns);
	free(t->svc);
	free(t->wl);
	free(t->call);
	free(t->seen);
	free(t);
}

/* 1 the first time |key| is seen. */
static int first_time(mesh_topo_t *t, const char *key)
{
	for (size_t i = 0; i < t->nseen; i++)
		if (!strcmp(t->seen[i], key))
			return 0;
	const char **s = GROW(t, t->seen, t->nseen, t->capseen);
	if (s)
		*s = tstr(t, key);
	return 1;
}

/* ---- lookups ---- */
static t_ns_t *find_ns(mesh_topo_t *t, const char *name)
{
	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i].name, name))
			return &t->ns[i];
	return NULL;
}

static t_svc_t *find_svc(mesh_topo_t *t, const char *fqdn)
{
	for (size_t i = 0; fqdn && i < t->nsvc; i++)
		if (!strcasecmp(t->svc[i].fqdn, fqdn))
			return &t->svc[i];
	return NULL;
}

static t_wl_t *find_wl(mesh_topo_t *t, const char *ns, const char *name)
{
	for (size_t i = 0; i < t->nwl; i++)
		if (!strcmp(t->wl[i].w.ns, ns) && !strcmp(t->wl[i].w.name, name))
			return &t->wl[i];
	return NULL;
}

static int ns_has_workloads(mesh_topo_t *t, const char *ns)
{
	for (size_t i = 0; i < t->nwl; i++)
		if (!strcmp(t->wl[i].w.ns, ns))
			return 1;
	return 0;
}

/* Sidecar of a workload (or of namespace |ns| when |w| is NULL): 1, 0, or
 * -1 unknown. */
static int sidecar_of(mesh_topo_t *t, const t_wl_t *w, const char *ns)
{
	if (w && w->gateway)
		return 1;
	if (w && w->override >= 0)
		return w->override;
	const t_ns_t *n = find_ns(t, w ? w->w.ns : ns);
	return n ? n->sidecar : -1;
}

static int svc_selects(const t_svc_t *s, const t_wl_t *w)
{
	return s->has_sel && !strcmp(s->ns, w->w.ns) && mesh_labels_match(&s->sel, &w->w.labels);
}

static int is_cluster_host(const char *h)
{
	size_t n = strlen(h), k = strlen("." MESH_DOMAIN_SUFFIX);
	return !strchr(h, '*') && n > k && !strcasecmp(h + n - k, "." MESH_DOMAIN_SUFFIX);
}

/* "name.ns.svc.cluster.local" -> name, ns */
static int split_fqdn(const char *h, char *name, size_t nl, char *ns, size_t sl)
{
	const char *d1 = strchr(h, '.');
	if (!d1)
		return -1;
	const char *d2 = strchr(d1 + 1, '.');
	if (!d2)
		return -1;
	snprintf(name, nl, "%.*s", (int)(d1 - h), h);
	snprintf(ns, sl, "%.*s", (int)(d2 - d1 - 1), d1 + 1);
	return 0;
}

/* ---- building the topology ---- */
static t_wl_t *add_wl(mesh_topo_t *t, const char *ns, const char *name, const char *sa,
		      mesh_labels_t labels, const char *file, int line)
{
	t_wl_t *w = find_wl(t, ns, name);
	if (w)
		return w;
	w = GROW(t, t->wl, t->nwl, t->capwl);
	if (!w)
		return NULL;
	w->w.ns = ns;
	w->w.name = name;
	w->w.sa = sa;
	w->w.labels = labels;
	w->override = -1;
	w->file = file;
	w->line = line;
	return w;
}

static void add_call(mesh_topo_t *t, const char *ns, const char *caller, const char *sa,
		     const char *host_port, const char *path, const char *file, int line, const char *via)
{
	/* host:port, a host name (no IP), resolved against the caller's namespace */
	char host[256], buf[512];
	const char *colon = strrchr(host_port, ':');
	int port = 0;
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (*end || p < 1 || p > 65535)
			return;
		port = (int)p;
		snprintf(host, sizeof host, "%.*s", (int)(colon - host_port), host_port);
	} else {
		snprintf(host, sizeof host, "%s", host_port);
	}
	if (!host[0] || isdigit((unsigned char)host[0]))
		return;
	for (const char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return;
	t_call_t *c = GROW(t, t->call, t->ncall, t->capcall);
	if (!c)
		return;
	c->ns = ns;
	c->caller = caller;
	c->sa = sa;
	c->host = tstr(t, mesh_host_fqdn(host, ns, buf, sizeof buf));
	c->port = port;
	c->path = path ? tstr(t, path) : NULL;
	c->file = file;
	c->line = line;
	c->via = tstr(t, via);
}

static mesh_labels_t mk_labels(mesh_topo_t *t, const char *k1, const char *v1, const char *k2,
			       const char *v2)
{
	mesh_labels_t l = {0, tmalloc(t, 2 * sizeof(mesh_kv_t))};
	if (!l.kv)
		return l;
	l.kv[l.n++] = (mesh_kv_t){k1, v1};
	if (k2)
		l.kv[l.n++] = (mesh_kv_t){k2, v2};
	return l;
}

int mesh_topo_add_values(mesh_topo_t *t, const yd_file_t *f, mesh_diags_t *d)
{
	if (!f->ndocs)
		return 0;
	const yd_node_t *r = f->docs[0].root;
	const char *name = yd_str(r, "name"), *ns = yd_str(r, "namespace");
	if (!name || !ns) {
		mesh_diag_add(d, MESH_SEV_ERROR, f->path, f->docs[0].line, 1, "give the chart values name and namespace",
			      "not a meshsim chart's values (no name or namespace)");
		return 1;
	}
	int line = yd_get(r, "name") ? yd_get(r, "name")->line : 1;
	const char *en = yd_str(r, "service.enabled");
	if (!en || strcmp(en, "false")) {
		t_svc_t *s = GROW(t, t->svc, t->nsvc, t->capsvc);
		if (!s)
			return -1;
		char buf[512];
		s->name = name;
		s->ns = ns;
		s->fqdn = tstr(t, mesh_host_fqdn(name, ns, buf, sizeof buf));
		s->sel = mk_labels(t, "app", name, NULL, NULL);
		s->has_sel = 1;
		const char *p = yd_str(r, "service.port"), *tp = yd_str(r, "service.targetPort");
		s->port = p ? atoi(p) : 0;
		s->target = tp ? atoi(tp) : s->port;
		s->file = f->path;
		s->line = yd_get(r, "service") ? yd_get(r, "service")->line : line;
	}
	add_wl(t, ns, name, name, mk_labels(t, "app", name, "version", "stable"), f->path, line);
	const char *ce = yd_str(r, "canary.enabled");
	if (ce && !strcmp(ce, "true")) {
		char cn[256];
		snprintf(cn, sizeof cn, "%s-canary", name);
		add_wl(t, ns, tstr(t, cn), name, mk_labels(t, "app", name, "version", "canary"), f->path,
		       yd_get(r, "canary")->line);
	}
	const yd_node_t *env = yd_get(r, "env");
	for (size_t i = 0; env && env->kind == YD_MAP && i < env->n; i++) {
		const yd_node_t *v = YD_VAL(env, i);
		if (v->kind != YD_SCALAR || !strchr(v->str, ':'))
			continue;
		char via[300];
		snprintf(via, sizeof via, "env %s", YD_KEY(env, i)->str);
		add_call(t, ns, name, name, v->str, NULL, f->path, v->line, via);
	}
	return t->oom ? -1 : 0;
}

int mesh_topo_add_calls(mesh_topo_t *t, const char *name, const char *text, mesh_diags_t *d)
{
	int bad = 0, lineno = 0;
	const char *file = tstr(t, name);
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
		p += len + (p[len] == '\n');
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char caller[256], arrow[8], callee[256], path[512] = "";
		int k = sscanf(line, "%255s %7s %255s %511s", caller, arrow, callee, path);
		if (k <= 0)
			continue;
		char *slash = strchr(caller, '/');
		if (k < 3 || strcmp(arrow, "->") || !slash || slash == caller || !slash[1]) {
			mesh_diag_add(d, MESH_SEV_ERROR, file, lineno, 1,
				      "write CALLER_NS/CALLER_WORKLOAD -> HOST[:PORT] [PATH]",
				      "cannot read this call");
			bad++;
			continue;
		}
		*slash = '\0';
		const char *ns = tstr(t, caller), *wl = tstr(t, slash + 1);
		size_t before = t->ncall;
		add_call(t, ns, wl, NULL, callee, path[0] ? path : NULL, file, lineno, "listed call");
		if (t->ncall == before) {
			mesh_diag_add(d, MESH_SEV_ERROR, file, lineno, 1, "HOST must be a DNS name, PORT 1..65535",
				      "cannot read the callee \"%s\"", callee);
			bad++;
		}
	}
	return t->oom ? -1 : bad;
}

static void topo_from_config(const mesh_config_t *cfg, mesh_topo_t *t)
{
	char buf[512];
	for (size_t i = 0; i < cfg->nobjs; i++) {
		const mesh_obj_t *o = cfg->objs[i];
		const char *kind = o->meta.kind ? o->meta.kind : "";
		if (!o->meta.name)
			continue;
		if (!strcmp(kind, "Namespace")) {
			const char *inj = mesh_labels_get(&o->meta.labels, "istio-injection");
			int sc = (inj && !strcmp(inj, "enabled")) || mesh_labels_get(&o->meta.labels, "istio.io/rev");
			t_ns_t *n = find_ns(t, o->meta.name);
			if (!n && !(n = GROW(t, t->ns, t->nns, t->capns)))
				return;
			n->name = o->meta.name;
			n->sidecar = sc;
			n->file = o->meta.file;
			n->line = o->meta.line;
		} else if (!strcmp(kind, "Service")) {
			t_svc_t *s = GROW(t, t->svc, t->nsvc, t->capsvc);
			if (!s)
				return;
			s->name = o->meta.name;
			s->ns = o->meta.ns;
			s->fqdn = tstr(t, mesh_host_fqdn(o->meta.name, o->meta.ns, buf, sizeof buf));
			s->sel = o->selector;
			s->has_sel = o->has_selector && o->selector.n;
			s->port = o->nports ? o->ports[0].port : 0;
			s->target = o->nports ? o->ports[0].target_port : 0;
			s->file = o->meta.file;
			const yd_node_t *sel = yd_path(o->meta.node, "spec.selector");
			s->line = sel ? sel->line : o->meta.line;
		} else if (o->pod_labels.n) {
			t_wl_t *w = add_wl(t, o->meta.ns, o->meta.name,
					   o->service_account ? o->service_account : "default", o->pod_labels,
					   o->meta.file, o->meta.line);
			if (!w)
				return;
			const char *inj = o->inject_label ? o->inject_label : o->inject_annotation;
			if (inj)
				w->override = !strcmp(inj, "true");
			const yd_node_t *cs = yd_path(o->meta.node, !strcmp(kind, "Pod") ? "spec.containers"
											: "spec.template.spec.containers");
			for (size_t c = 0; cs && cs->kind == YD_SEQ && c < cs->n; c++) {
				const yd_node_t *env = yd_get(cs->items[c], "env");
				for (size_t e = 0; env && env->kind == YD_SEQ && e < env->n; e++) {
					const char *n = yd_str(env->items[e], "name"), *v = yd_str(env->items[e], "value");
					if (!n || !v || !strchr(v, ':'))
						continue;
					char via[300];
					snprintf(via, sizeof via, "env %s", n);
					add_call(t, o->meta.ns, o->meta.name, w->w.sa, v, NULL, o->meta.file,
						 yd_get(env->items[e], "value")->line, via);
				}
			}
		}
	}
	/* The ingress gateway: an Envoy with its own identity. */
	for (size_t i = 0; i < cfg->ngateways; i++) {
		const char *sel = mesh_labels_get(&cfg->gateways[i]->selector, "istio");
		if (sel && !strcmp(sel, "ingressgateway")) {
			t_wl_t *w = add_wl(t, MESH_ROOT_NAMESPACE, "istio-ingressgateway", "istio-ingressgateway",
					   mk_labels(t, "istio", "ingressgateway", "app", "istio-ingressgateway"),
					   cfg->gateways[i]->meta.file, cfg->gateways[i]->meta.line);
			if (w)
				w->gateway = 1;
			break;
		}
	}
	for (size_t i = 0; i < cfg->nvs; i++) {
		const mesh_vs_t *v = cfg->vs[i];
		int gw = 0;
		for (size_t j = 0; j < v->gateways.n; j++)
			gw |= strcmp(v->gw_refs[j], "mesh") != 0;
		if (!gw)
			continue;
		for (size_t h = 0; h < v->nhttp; h++)
			for (size_t k = 0; k < v->http[h].nroute; k++) {
				const mesh_destination_t *ds = &v->http[h].route[k].dest;
				if (!ds->fqdn)
					continue;
				char hp[600], via[300];
				if (ds->port)
					snprintf(hp, sizeof hp, "%s:%d", ds->fqdn, ds->port);
				else
					snprintf(hp, sizeof hp, "%s", ds->fqdn);
				snprintf(via, sizeof via, "route of VirtualService %s/%s", v->meta.ns, v->meta.name);
				const yd_node_t *hn = yd_get(ds->node, "host");
				add_call(t, MESH_ROOT_NAMESPACE, "istio-ingressgateway", "istio-ingressgateway", hp, NULL,
					 v->meta.file, hn ? hn->line : v->http[h].route[k].line, via);
			}
	}
}

/* ---- helpers for checks ---- */
static int key_line(const yd_node_t *doc, const char *map_path, const char *key)
{
	const yd_node_t *m = yd_path(doc, map_path);
	for (size_t i = 0; m && m->kind == YD_MAP && i < m->n; i++)
		if (!strcmp(YD_KEY(m, i)->str, key))
			return YD_KEY(m, i)->line;
	return doc ? doc->line : 0;
}

static const char *labels_str(const mesh_labels_t *l, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s=%s", i ? "," : "", l->kv[i].key, l->kv[i].value);
	return buf;
}

static int vs_on_mesh(const mesh_vs_t *v)
{
	if (!v->gateways.n)
		return 1;
	for (size_t j = 0; j < v->gateways.n; j++)
		if (!strcmp(v->gw_refs[j], "mesh"))
			return 1;
	return 0;
}

/* A route that splits by weight over subsets of one host: that host. */
static const char *split_host(const mesh_http_route_t *r)
{
	if (r->nroute < 2)
		return NULL;
	const char *h = r->route[0].dest.fqdn;
	for (size_t i = 0; i < r->nroute; i++)
		if (!r->route[i].dest.subset || !r->route[i].dest.fqdn || strcasecmp(r->route[i].dest.fqdn, h))
			return NULL;
	return h;
}

static int same_labels(const mesh_labels_t *a, const mesh_labels_t *b)
{
	return a->n == b->n && mesh_labels_match(a, b) && mesh_labels_match(b, a);
}

static const char *service_port_target(const t_svc_t *s, int port, int *target)
{
	*target = s->target ? s->target : port;
	return s->name;
}

/* ---- checks ---- */
static void check_gateway_only(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d)
{
	for (size_t i = 0; i < cfg->nvs; i++) {
		const mesh_vs_t *v = cfg->vs[i];
		if (vs_on_mesh(v))
			continue;
		const char *split = NULL;
		for (size_t h = 0; h < v->nhttp && !split; h++)
			split = split_host(&v->http[h]);
		for (size_t j = 0; j < v->hosts.n; j++) {
			const char *h = v->fqdns[j];
			if (!is_cluster_host(h) && !find_svc(t, h))
				continue;
			const t_call_t *c = NULL;
			for (size_t k = 0; k < t->ncall && !c; k++) {
				const t_wl_t *w = find_wl(t, t->call[k].ns, t->call[k].caller);
				if (!strcasecmp(t->call[k].host, h) && !(w && w->gateway))
					c = &t->call[k];
			}
			int line = key_line(v->meta.node, "spec", "gateways");
			const char *fix = "add \"- mesh\" to spec.gateways (keep the gateway too)";
			char what[256];
			snprintf(what, sizeof what, "%s", split ? "its weighted split" : "its routes");
			if (c)
				mesh_diag_add(d, MESH_SEV_ERROR, v->meta.file, line, 0, fix,
					      "VirtualService %s/%s is bound only to gateway %s, not to mesh: %s never "
					      "%s to service-to-service calls to %s, such as %s/%s (%s, %s:%d)",
					      v->meta.ns, v->meta.name, v->gateways.v[0], what, split ? "applies" : "apply", h, c->ns, c->caller, c->via,
					      c->file, c->line);
			else
				mesh_diag_add(d, MESH_SEV_WARNING, v->meta.file, line, 0, fix,
					      "VirtualService %s/%s is bound only to gateway %s, not to mesh: %s %s "
					      "to service-to-service calls to %s",
					      v->meta.ns, v->meta.name, v->gateways.v[0], what,
					      split ? "does not apply" : "do not apply", h);
		}
	}
}

static void check_ingress_bypass(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d)
{
	for (size_t i = 0; i < cfg->nvs; i++) {
		const mesh_vs_t *g = cfg->vs[i];
		int at_gw = 0;
		for (size_t j = 0; j < g->gateways.n; j++)
			at_gw |= strcmp(g->gw_refs[j], "mesh") != 0;
		if (!at_gw)
			continue;
		for (size_t h = 0; h < g->nhttp; h++) {
			const mesh_http_route_t *gr = &g->http[h];
			const char *gsplit = split_host(gr);
			for (size_t k = 0; k < gr->nroute; k++) {
				const mesh_destination_t *ds = &gr->route[k].dest;
				if (!ds->fqdn)
					continue;
				const yd_node_t *hn = yd_get(ds->node, "host");
				int line = hn ? hn->line : gr->route[k].line;
				/* splits elsewhere whose pods this destination reaches */
				for (size_t s = 0; s < cfg->nvs; s++) {
					const mesh_vs_t *sv = cfg->vs[s];
					if (sv == g)
						continue;
					for (size_t sh = 0; sh < sv->nhttp; sh++) {
						const mesh_http_route_t *sr = &sv->http[sh];
						const char *host = split_host(sr);
						if (!host)
							continue;
						char w[128] = "";
						for (size_t x = 0, n = 0; x < sr->nroute; x++)
							n += (size_t)snprintf(w + n, sizeof w - n, "%s%s %d", x ? ", " : "",
									      sr->route[x].dest.subset, sr->route[x].weight);
						if (!strcasecmp(host, ds->fqdn)) {
							if (gsplit)
								continue;
							char key[600];
							snprintf(key, sizeof key, "bypass %s:%d", g->meta.file, line);
							if (!first_time(t, key))
								continue;
							char fix[700];
							snprintf(fix, sizeof fix,
								 "split here too: destinations %s with subsets and the same "
								 "weights as VirtualService %s/%s (%s)",
								 host, sv->meta.ns, sv->meta.name, w);
							mesh_diag_add(d, MESH_SEV_WARNING, g->meta.file, line, 0, fix,
								      "the gateway route sends %s without subsets: Istio does "
								      "not chain VirtualServices, so north-south traffic "
								      "misses the split of VirtualService %s/%s (%s:%d)",
								      host, sv->meta.ns, sv->meta.name, sv->meta.file, sr->line);
							continue;
						}
						const t_svc_t *a = find_svc(t, ds->fqdn), *b = find_svc(t, host);
						if (!a || !b || strcmp(a->ns, b->ns) || !a->has_sel || !b->has_sel ||
						    !same_labels(&a->sel, &b->sel))
							continue;
						char key[600];
						snprintf(key, sizeof key, "bypass %s:%d", g->meta.file, line);
						if (!first_time(t, key))
							continue;
						char fix[700];
						snprintf(fix, sizeof fix,
							 "route to %s with its subsets and weights (%s), as the split does",
							 host, w);
						mesh_diag_add(d, MESH_SEV_ERROR, g->meta.file, line, 0, fix,
							      "the gateway routes to %s, not to %s, whose pods are the same: "
							      "the weighted split of VirtualService %s/%s (%s:%d) names %s, "
							      "so north-south traffic never meets it (Istio does not chain "
							      "VirtualServices)",
							      ds->fqdn, host, sv->meta.ns, sv->meta.name, sv->meta.file, sr->line,
							      host);
					}
				}
			}
			/* the gateway's own split must carry the same weights as the mesh's */
			if (gsplit)
				for (size_t s = 0; s < cfg->nvs; s++) {
					const mesh_vs_t *sv = cfg->vs[s];
					if (sv == g || !vs_on_mesh(sv))
						continue;
					for (size_t sh = 0; sh < sv->nhttp; sh++) {
						const mesh_http_route_t *sr = &sv->http[sh];
						const char *host = split_host(sr);
						if (!host || strcasecmp(host, gsplit) || sr->nroute != gr->nroute)
							continue;
						int same = 1;
						for (size_t x = 0; x < sr->nroute; x++) {
							const mesh_route_dest_t *m = NULL;
							for (size_t y = 0; y < gr->nroute; y++)
								if (!strcmp(gr->route[y].dest.subset, sr->route[x].dest.subset))
									m = &gr->route[y];
							same &= m && m->weight == sr->route[x].weight;
						}
						if (!same)
							mesh_diag_add(d, MESH_SEV_WARNING, g->meta.file, gr->line, 0,
								      "set both with the same weights",
								      "the gateway splits %s with other weights than "
								      "VirtualService %s/%s (%s:%d): north-south and east-west "
								      "traffic get different canary shares",
								      host, sv->meta.ns, sv->meta.name, sv->meta.file, sr->line);
					}
				}
		}
	}
}

static void host_check(mesh_topo_t *t, mesh_diags_t *d, const char *written, const char *fqdn,
		       const char *file, int line, const char *what)
{
	char buf[512], fix[700];
	if (!fqdn || strchr(fqdn, '*') || find_svc(t, fqdn))
		return;
	char key[700];
	snprintf(key, sizeof key, "host %s:%d:%s", file, line, fqdn);
	if (!first_time(t, key))
		return;
	if (!is_cluster_host(fqdn)) {
		/* "reviews.bookinfo": Istio takes names with a dot literally */
		snprintf(buf, sizeof buf, "%s." MESH_DOMAIN_SUFFIX, fqdn);
		if (find_svc(t, buf)) {
			snprintf(fix, sizeof fix, "write \"%s\"", buf);
			mesh_diag_add(d, MESH_SEV_ERROR, file, line, 0, fix,
				      "%s \"%s\" has a dot, so Istio takes it as written; no Service is called that",
				      what, written);
		}
		return;
	}
	char name[256], ns[256];
	if (split_fqdn(fqdn, name, sizeof name, ns, sizeof ns) < 0)
		return;
	const t_svc_t *same_name = NULL, *same_ns = NULL;
	for (size_t i = 0; i < t->nsvc; i++) {
		if (!strcmp(t->svc[i].name, name) && !same_name)
			same_name = &t->svc[i];
		if (!strcmp(t->svc[i].ns, ns) && !same_ns)
			same_ns = &t->svc[i];
	}
	if (same_name)
		snprintf(fix, sizeof fix, "did you mean %s (Service %s in namespace %s)?", same_name->fqdn,
			 same_name->name, same_name->ns);
	else if (same_ns)
		snprintf(fix, sizeof fix, "did you mean %s (the Service in namespace %s)?", same_ns->fqdn, ns);
	else
		snprintf(fix, sizeof fix, "create Service %s in namespace %s, or name an existing one", name, ns);
	mesh_diag_add(d, MESH_SEV_ERROR, file, line, 0, fix, "%s %s names no Service", what, fqdn);
}

static void check_hosts(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d)
{
	if (!t->nsvc) {
		mesh_diag_add(d, MESH_SEV_INFO, NULL, 0, 0,
			      "give manifests with Services, or --charts DIR",
			      "no Services known: checks of hosts, subsets, splits and calls skipped");
		return;
	}
	for (size_t i = 0; i < cfg->nvs; i++) {
		const mesh_vs_t *v = cfg->vs[i];
		for (size_t j = 0; j < v->hosts.n; j++)
			host_check(t, d, v->hosts.v[j], v->fqdns[j], v->meta.file, v->hosts.nodes[j]->line,
				   "VirtualService host");
		for (size_t h = 0; h < v->nhttp; h++) {
			const mesh_http_route_t *r = &v->http[h];
			for (size_t k = 0; k < r->nroute; k++) {
				const yd_node_t *hn = yd_get(r->route[k].dest.node, "host");
				host_check(t, d, r->route[k].dest.host, r->route[k].dest.fqdn, v->meta.file,
					   hn ? hn->line : r->route[k].line, "destination host");
			}
			if (r->has_mirror) {
				const yd_node_t *hn = yd_get(r->mirror.node, "host");
				host_check(t, d, r->mirror.host, r->mirror.fqdn, v->meta.file, hn ? hn->line : r->line,
					   "mirror host");
			}
		}
	}
	for (size_t i = 0; i < cfg->ndr; i++) {
		const mesh_dr_t *r = cfg->dr[i];
		host_check(t, d, r->host, r->fqdn, r->meta.file, r->host_node ? r->host_node->line : r->meta.line,
			   "DestinationRule host");
	}
}

/* Workloads behind Service |s| that also have |extra| labels, as a mask
 * into t->wl (|mask| of t->nwl bytes). Returns how many. */
static size_t pods_of(mesh_topo_t *t, const t_svc_t *s, const mesh_labels_t *extra, char *mask)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nwl; i++) {
		mask[i] = svc_selects(s, &t->wl[i]) && (!extra || mesh_labels_match(extra, &t->wl[i].w.labels));
		n += (size_t)mask[i];
	}
	return n;
}

static void check_subsets(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d)
{
	char *mask = malloc(t->nwl + 1);
	if (!mask) {
		t->oom = 1;
		return;
	}
	for (size_t i = 0; i < cfg->ndr; i++) {
		const mesh_dr_t *r = cfg->dr[i];
		const t_svc_t *s = find_svc(t, r->fqdn);
		if (!s || !s->has_sel || !ns_has_workloads(t, s->ns))
			continue;
		for (size_t j = 0; j < r->nsubsets; j++) {
			const mesh_subset_t *ss = &r->subsets[j];
			if (pods_of(t, s, &ss->labels, mask))
				continue;
			char lb[256], sl[256], fix[700];
			labels_str(&ss->labels, lb, sizeof lb);
			labels_str(&s->sel, sl, sizeof sl);
			/* Does the Service's selector pin a label the subset sets otherwise? */
			const char *pinned = NULL;
			for (size_t k = 0; k < ss->labels.n && !pinned; k++) {
				const char *v = mesh_labels_get(&s->sel, ss->labels.kv[k].key);
				if (v && strcmp(v, ss->labels.kv[k].value))
					pinned = ss->labels.kv[k].key;
			}
			if (pinned) {
				snprintf(fix, sizeof fix,
					 "select only what all versions share in Service %s (e.g. app), and let the "
					 "subsets tell versions apart (%s:%d)",
					 s->name, s->file, s->line);
				mesh_diag_add(d, MESH_SEV_ERROR, r->meta.file, ss->line, 0, fix,
					      "Service %s selects %s, which pins %s: subset %s (%s) of DestinationRule "
					      "%s/%s has no endpoints, so a weighted split to it is meaningless "
					      "(its share fails with 503)",
					      s->name, sl, pinned, ss->name, lb, r->meta.ns, r->meta.name);
			} else {
				snprintf(fix, sizeof fix,
					 "label the pods of that version %s, or make the subset's labels match them", lb);
				mesh_diag_add(d, MESH_SEV_ERROR, r->meta.file, ss->line, 0, fix,
					      "subset %s (%s) of DestinationRule %s/%s: no pod of Service %s (%s) has "
					      "these labels; requests routed to it fail with 503 (NR/UH)",
					      ss->name, lb, r->meta.ns, r->meta.name, s->name, sl);
			}
		}
	}
	free(mask);
}

static void check_splits(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d)
{
	size_t nw = t->nwl + 1;
	char *masks = malloc(nw * 16);
	if (!masks) {
		t->oom = 1;
		return;
	}
	for (size_t i = 0; i < cfg->nvs; i++) {
		const mesh_vs_t *v = cfg->vs[i];
		for (size_t h = 0; h < v->nhttp; h++) {
			const mesh_http_route_t *r = &v->http[h];
			if (r->nroute < 2)
				continue;
			/* weights */
			int sum = 0, missing = 0;
			for (size_t k = 0; k < r->nroute; k++) {
				if (r->route[k].weight < 0)
					missing++;
				else
					sum += r->route[k].weight;
			}
			if (missing)
				mesh_diag_add(d, MESH_SEV_WARNING, v->meta.file, r->line, 0,
					      "give every destination a weight",
					      "VirtualService %s/%s http[%zu]: %d of %zu destinations have no weight "
					      "and get no traffic",
					      v->meta.ns, v->meta.name, h, missing, r->nroute);
			else if (sum != 100)
				mesh_diag_add(d, MESH_SEV_WARNING, v->meta.file, r->line, 0,
					      "make the weights add up to 100",
					      "VirtualService %s/%s http[%zu]: weights sum to %d, not 100 (each share "
					      "is weight / %d)",
					      v->meta.ns, v->meta.name, h, sum, sum);
			/* destinations that select the same pods */
			if (r->nroute > 16)
				continue;
			int known = 1;
			size_t count[16];
			for (size_t k = 0; k < r->nroute && known; k++) {
				const t_svc_t *s = find_svc(t, r->route[k].dest.fqdn);
				const mesh_dr_t *dr = r->route[k].dest.fqdn ? mesh_find_dr(cfg, r->route[k].dest.fqdn) : NULL;
				const mesh_subset_t *ss = r->route[k].dest.subset ? mesh_dr_subset(dr, r->route[k].dest.subset)
										  : NULL;
				if (!s || !s->has_sel || !ns_has_workloads(t, s->ns) || (r->route[k].dest.subset && !ss)) {
					known = 0;
					break;
				}
				count[k] = pods_of(t, s, ss ? &ss->labels : NULL, masks + k * nw);
			}
			if (!known)
				continue;
			for (size_t a = 0; a < r->nroute; a++)
				for (size_t b = a + 1; b < r->nroute; b++) {
					if (!count[a] || count[a] != count[b] || memcmp(masks + a * nw, masks + b * nw, t->nwl))
						continue;
					char pods[256] = "";
					for (size_t x = 0, n = 0; x < t->nwl && n < sizeof pods; x++)
						if (masks[a * nw + x])
							n += (size_t)snprintf(pods + n, sizeof pods - n, "%s%s", n ? ", " : "",
									      t->wl[x].w.name);
					const mesh_route_dest_t *da = &r->route[a], *db = &r->route[b];
					mesh_diag_add(d, MESH_SEV_ERROR, v->meta.file, r->line, 0,
						      "give the versions' pods a label that tells them apart (e.g. "
						      "version: stable / canary) and split by subsets on it",
						      "VirtualService %s/%s http[%zu]: destinations %s%s%s and %s%s%s reach the "
						      "same pods (%s): the weighted split changes nothing",
						      v->meta.ns, v->meta.name, h, da->dest.host, da->dest.subset ? " subset " : "",
						      da->dest.subset ? da->dest.subset : "", db->dest.host,
						      db->dest.subset ? " subset " : "", db->dest.subset ? db->dest.subset : "",
						      pods);
				}
		}
	}
	free(masks);
}

static void check_misc(const mesh_config_t *cfg, mesh_diags_t *d)
{
	for (size_t i = 0; i < cfg->ngateways; i++) {
		const mesh_gateway_t *g = cfg->gateways[i];
		if (!g->meta.ns_given)
			mesh_diag_add(d, MESH_SEV_WARNING, g->meta.file, g->meta.line, 0,
				      "set metadata.namespace (e.g. istio-system) and name it <namespace>/<name> in "
				      "VirtualServices",
				      "Gateway %s has no metadata.namespace: it lands in whatever namespace it is "
				      "applied to, and a bare \"%s\" only resolves from that namespace",
				      g->meta.name, g->meta.name);
	}
	for (size_t i = 0; i < cfg->npa; i++) {
		const mesh_peerauth_t *p = cfg->pa[i];
		if (p->nports && !(p->has_selector && p->selector.n))
			mesh_diag_add(d, MESH_SEV_WARNING, p->meta.file, p->ports_line, 0,
				      "add a selector, or set the mode for the whole namespace",
				      "PeerAuthentication %s/%s: portLevelMtls without a selector is ignored",
				      p->meta.ns, p->meta.name);
	}
}

/* The ALLOW policy a denial should name: the first (oldest) applying. */
static const mesh_authz_policy_t *first_allow(const mesh_config_t *cfg, const mesh_workload_t *w)
{
	const mesh_authz_policy_t *best = NULL;
	for (size_t i = 0; i < cfg->nap; i++) {
		const mesh_authz_policy_t *p = cfg->ap[i];
		int root = !strcmp(p->meta.ns, MESH_ROOT_NAMESPACE);
		if (p->action != MESH_AUTHZ_ALLOW || (!root && strcmp(p->meta.ns, w->ns)))
			continue;
		if (p->has_selector && p->selector.n && !mesh_labels_match(&p->selector, &w->labels))
			continue;
		if (!best || p->meta.age < best->meta.age)
			best = p;
	}
	return best;
}

static void check_calls(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d)
{
	for (size_t i = 0; i < t->ncall; i++) {
		const t_call_t *c = &t->call[i];
		const t_svc_t *s = find_svc(t, c->host);
		if (!s || !s->has_sel)
			continue;
		const t_wl_t *cw = find_wl(t, c->ns, c->caller);
		int csc = sidecar_of(t, cw, c->ns);
		const char *sa = c->sa ? c->sa : cw ? cw->w.sa : c->caller;
		int target;
		service_port_target(s, c->port, &target);
		for (size_t k = 0; k < t->nwl; k++) {
			const t_wl_t *w = &t->wl[k];
			if (!svc_selects(s, w))
				continue;
			int ssc = sidecar_of(t, w, NULL);
			if (ssc == 0)
				continue; /* no sidecar: no mTLS or policy enforced there */
			mesh_peer_decision_t pm = mesh_peer_mode(cfg, &w->w, target);
			char key[700];
			if (csc == 0 && pm.mode == MESH_MTLS_STRICT) {
				snprintf(key, sizeof key, "strict %s/%s %s", c->ns, c->caller, s->fqdn);
				if (!first_time(t, key))
					continue;
				char fix[600];
				snprintf(fix, sizeof fix,
					 "label namespace %s istio-injection=enabled (and restart %s), or allow plaintext "
					 "on port %d with a PeerAuthentication for %s (portLevelMtls: PERMISSIVE)",
					 c->ns, c->caller, target, s->name);
				mesh_diag_add(d, MESH_SEV_ERROR, pm.policy->meta.file, pm.policy->meta.line, 0, fix,
					      "PeerAuthentication %s/%s makes %s/%s STRICT, but caller %s/%s has no "
					      "sidecar (%s, %s:%d): its plaintext connections are refused",
					      pm.policy->meta.ns, pm.policy->meta.name, w->w.ns, w->w.name, c->ns,
					      c->caller, c->via, c->file, c->line);
				continue;
			}
			if (pm.mode == MESH_MTLS_STRICT && csc < 0)
				continue; /* unknown caller sidecar: nothing sure to say */
			char principal[512];
			snprintf(principal, sizeof principal, "cluster.local/ns/%s/sa/%s", c->ns, sa);
			mesh_authz_req_t q = {.mtls = csc != 0 && pm.mode != MESH_MTLS_DISABLE,
					      .principal = principal, .dest = &w->w, .host = c->host,
					      .port = target, .method = "POST", .path = c->path,
					      .op_unknown = c->path == NULL};
			mesh_authz_decision_t dec;
			mesh_authz(cfg, &q, &dec);
			if (dec.allow)
				continue;
			snprintf(key, sizeof key, "authz %s/%s %s %s", c->ns, c->caller, s->fqdn, c->path ? c->path : "");
			if (!first_time(t, key))
				continue;
			const mesh_authz_policy_t *p = dec.policy ? dec.policy : first_allow(cfg, &w->w);
			if (!p)
				continue;
			char fix[700];
			if (p->action == MESH_AUTHZ_ALLOW)
				snprintf(fix, sizeof fix, "add %s to a rule's from.source.principals%s%s", principal,
					 c->path ? " with to.operation.paths " : "", c->path ? c->path : "");
			else
				snprintf(fix, sizeof fix, "narrow rule %d of %s policy %s/%s so it spares %s", dec.rule,
					 p->action == MESH_AUTHZ_DENY ? "DENY" : "CUSTOM", p->meta.ns, p->meta.name,
					 principal);
			int line = p->meta.line;
			if (dec.rule >= 0 && (size_t)dec.rule < p->nrules)
				line = p->rules[dec.rule].line;
			mesh_diag_add(d, MESH_SEV_ERROR, p->meta.file, line, 0, fix,
				      "AuthorizationPolicy %s/%s refuses %s/%s -> %s%s%s, which the topology needs "
				      "(%s, %s:%d): %s",
				      p->meta.ns, p->meta.name, c->ns, c->caller, s->fqdn, c->path ? " " : "",
				      c->path ? c->path : "", c->via, c->file, c->line, dec.reason);
		}
	}
}

int mesh_analyze(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d)
{
	topo_from_config(cfg, t);
	if (t->oom)
		return -1;
	check_misc(cfg, d);
	check_gateway_only(cfg, t, d);
	check_ingress_bypass(cfg, t, d);
	check_hosts(cfg, t, d);
	if (t->nsvc) {
		check_subsets(cfg, t, d);
		check_splits(cfg, t, d);
		check_calls(cfg, t, d);
	}
	return t->oom ? -1 : 0;
}
