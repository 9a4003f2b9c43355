/* sim/dataplane/sidecar.c: the virtual data plane (see sidecar.h). */
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster.h"
#include "identity.h"
#include "mtls.h"
#include "rng.h"
#include "sidecar.h"

#define GW_NS MESH_ROOT_NAMESPACE
#define GW_SA "istio-ingressgateway"
#define MAX_HEADERS 64

const char *dp_strerror(int err)
{
	switch (err) {
#define DP_STR_(name, val, msg) case DP_##name: return msg;
		DP_ERRNO_MAP(DP_STR_)
#undef DP_STR_
	}
	return "unknown error";
}

const char *dp_err_name(int err)
{
	switch (err) {
#define DP_NAME_(name, val, msg) case DP_##name: return "DP_" #name;
		DP_ERRNO_MAP(DP_NAME_)
#undef DP_NAME_
	}
	return "DP_UNKNOWN";
}

const char *dp_flag_name(int flag)
{
	static const char *const names[] = {
#define DP_FLAG_STR_(n) #n,
	    DP_FLAGS(DP_FLAG_STR_)
#undef DP_FLAG_STR_
	};
	return flag >= 0 && flag < DP_FLAG_COUNT ? names[flag] : NULL;
}

/* ---- state ---------------------------------------------------------------- */

/* A (namespace, service account) identity and its current certificate. */
typedef struct dp_ident {
	char *ns, *sa, *principal;
	mesh_cert_t *cert;  /* NULL until first needed (or the CA was down) */
	mtls_side_t *side;
	unsigned gen;       /* bumped at every new certificate */
} dp_ident_t;

/* A pod (or the gateway) as the policies see it. */
typedef struct dp_wl {
	const vrt_pod_t *pod; /* NULL: the ingress gateway */
	char *ns, *app, *version, *sa;
	mesh_kv_t kv[2];
	mesh_workload_t mw;
	int has_sidecar;
	size_t ident;
	const char *pool_name; /* the pod's name, or the gateway's */
	/* Requests in flight from this sidecar per destination cluster
	 * (connectionPool limits): dp_dest index + 1, count. */
	struct dp_act {
		size_t dest;
		int64_t active;
	} *act;
	size_t nact, capact;
	/* Decisions that depend only on the config and the workload. */
	int pm_set, pm_port;
	mesh_mtls_t pm_mode;
	int az_cacheable; /* -1: not known yet */
	double cpu_us; /* this sidecar's share of dp_stats_t.sidecar_cpu_us */
} dp_wl_t;

/* A cached AuthorizationPolicy verdict (see authz_cached()). */
typedef struct dp_az {
	int used;
	size_t ident; /* the client's identity, SIZE_MAX: none */
	int mtls, port, allow;
	const dp_wl_t *dst;
	const char *host;
	char *method, *path;
} dp_az_t;
#define DP_AZ_CAP 8192

/* A handshake outcome, per certificate pair (successes only). */
typedef struct dp_hs {
	size_t ci, si;
	unsigned cg, sg;
	char client_principal[MESH_ID_MAX];
} dp_hs_t;

/* A Service as dialled: its endpoint set and port, its FQDN (what
 * VirtualService hosts match). Stable strings for the attempts. */
typedef struct dp_svc {
	const vrt_endpoints_t *eps;
	int port;
	char *fqdn;
} dp_svc_t;

/* A destination cluster (host, subset, port) as Envoy has one: its
 * endpoint set, subset, traffic policy and balancer state, computed once
 * (the config does not change). Keyed by the pointers of |host| (into
 * the config, or a dp_svc_t's fqdn) and |subset|. */
typedef struct dp_dest {
	const char *host, *subset;
	int port;
	vrt_endpoints_t *eps; /* NULL until the address resolves */
	const mesh_subset_t *ss;
	int missing_subset;
	mesh_traffic_policy_t tp;
	int panic_pct;
	mesh_lb_state_t lb;
	/* outlierDetection (when the policy has the block): one host per
	 * pod ever seen in the cluster, in the order first seen. */
	int outlier;
	mesh_outlier_t od;
	const vrt_pod_t **od_pods;
	size_t od_cap;
} dp_dest_t;

/* One attempt (vrt_mesh_send_t.token). */
typedef struct dp_try {
	struct dp_try *next; /* free list */
	const dp_wl_t *src;  /* NULL: no client sidecar */
	const dp_wl_t *dst;
	mtls_pool_t *pool;
	uint64_t conn;
	size_t dest;   /* dp_dest index + 1 (outlier detection), 0: none */
	const vrt_pod_t *server;
	dp_wl_t *cpwl; /* whose dp_act counts this attempt, or NULL */
	size_t cpi;    /* index in cpwl->act (the array moves) */
	int mtls;
	int port;
	const char *host;
	mesh_retry_t retry;
	int retriable_local; /* the local answer was a connect failure */
	const char *flags;
	char principal[MESH_ID_MAX]; /* the client's, as verified */
} dp_try_t;

struct dp_sidecars {
	vrt_world_t *w;
	dp_config_t cfg;
	mesh_ca_t *ca;
	mesh_bundle_t *bundle;
	int ca_up;
	des_rng_t r_route, r_fault, r_lb, r_retry, r_ca;
	dp_ident_t *ids;
	size_t nids, capids;
	/* pods: open addressing on the pointer */
	dp_wl_t **wls;
	size_t nwls, capwls;
	dp_wl_t *gw;
	const char *gw_ref; /* "istio-system/name" of the ingress Gateway */
	int gw_port;
	dp_hs_t *hs;
	size_t nhs, caphs;
	dp_svc_t *svcs;
	size_t nsvcs, capsvcs;
	dp_dest_t *dests;
	size_t ndests, capdests;
	mtls_pool_t *pool_h2, *pool_h1;
	dp_try_t *free_tries;
	dp_try_t **all_tries;
	size_t ntries, captries;
	dp_az_t *az; /* DP_AZ_CAP slots, open addressing */
	size_t naz;
	dp_stats_t stats;
	char hsmsg[520];
	char msgbuf[1200];
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 16;
	void *np = realloc(p, nc * size);
	if (!np) {
		fprintf(stderr, "sidecar: out of memory\n");
		abort();
	}
	*cap = nc;
	return np;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p) {
		fprintf(stderr, "sidecar: out of memory\n");
		abort();
	}
	return p;
}

static des_time_t now_of(const dp_sidecars_t *sc)
{
	return des_now(vrt_world_des(sc->w));
}

/* ---- identities and certificates ------------------------------------------- */

static size_t ident_of(dp_sidecars_t *sc, const char *ns, const char *sa)
{
	for (size_t i = 0; i < sc->nids; i++)
		if (!strcmp(sc->ids[i].ns, ns) && !strcmp(sc->ids[i].sa, sa))
			return i;
	sc->ids = grow(sc->ids, &sc->capids, sc->nids, sizeof *sc->ids);
	dp_ident_t *id = &sc->ids[sc->nids];
	memset(id, 0, sizeof *id);
	id->ns = xstrdup(ns);
	id->sa = xstrdup(sa);
	char p[MESH_ID_MAX];
	snprintf(p, sizeof p, "%s/ns/%s/sa/%s", mesh_ca_trust_domain(sc->ca), ns,
	         sa);
	id->principal = xstrdup(p);
	return sc->nids++;
}

/* The identity's certificate at |now|: issued or renewed when due and the
 * CA is up. NULL when it never got one. */
static dp_ident_t *ident_cert(dp_sidecars_t *sc, size_t i, des_time_t now)
{
	dp_ident_t *id = &sc->ids[i];
	int due = !id->cert || now >= mesh_cert_renew_at(id->cert);
	if (due && sc->ca_up) {
		mesh_cert_t *c = NULL;
		char err[256];
		if (mesh_ca_issue(sc->ca, id->ns, id->sa, now, 0, &sc->r_ca, &c, err,
		                  sizeof err) == 0) {
			mtls_side_t *s = mtls_side_new(c, sc->bundle, NULL, err,
			                               sizeof err);
			if (s) {
				mesh_cert_free(id->cert);
				mtls_side_free(id->side);
				id->cert = c;
				id->side = s;
				id->gen++;
				sc->stats.certs_issued++;
			} else {
				mesh_cert_free(c);
			}
		}
	}
	return id;
}

/* ---- workloads ------------------------------------------------------------- */

static int ns_injected(const dp_sidecars_t *sc, const char *ns)
{
	const mesh_config_t *m = sc->cfg.mesh;
	for (size_t i = 0; i < m->nobjs; i++) {
		const mesh_obj_t *o = m->objs[i];
		if (strcmp(o->meta.kind, "Namespace") || strcmp(o->meta.name, ns))
			continue;
		const char *v = mesh_labels_get(&o->meta.labels, "istio-injection");
		return v && !strcmp(v, "enabled");
	}
	return 0;
}

static dp_wl_t *wl_new(dp_sidecars_t *sc, const vrt_pod_t *pod,
                       const dp_workload_t *d)
{
	dp_wl_t *wl = calloc(1, sizeof *wl);
	if (!wl)
		abort();
	wl->pod = pod;
	wl->ns = xstrdup(d->ns ? d->ns : "default");
	wl->app = xstrdup(d->app ? d->app : "");
	wl->version = d->version ? xstrdup(d->version) : NULL;
	wl->sa = xstrdup(d->sa ? d->sa : "default");
	size_t n = 0;
	if (pod) {
		wl->kv[n++] = (mesh_kv_t){"app", wl->app};
		if (wl->version)
			wl->kv[n++] = (mesh_kv_t){"version", wl->version};
	} else {
		wl->kv[n++] = (mesh_kv_t){"istio", "ingressgateway"};
		wl->kv[n++] = (mesh_kv_t){"app", wl->app};
	}
	wl->mw.name = pod ? vrt_pod_name(pod) : GW_SA;
	wl->mw.ns = wl->ns;
	wl->mw.labels = (mesh_labels_t){n, wl->kv};
	wl->mw.sa = wl->sa;
	wl->has_sidecar = d->has_sidecar >= 0 ? d->has_sidecar != 0
	                                      : ns_injected(sc, wl->ns);
	wl->mw.has_sidecar = wl->has_sidecar;
	wl->ident = ident_of(sc, wl->ns, wl->sa);
	wl->pool_name = pod ? vrt_pod_name(pod) : GW_SA;
	wl->az_cacheable = -1;
	return wl;
}

static void wl_free(dp_wl_t *wl)
{
	if (!wl)
		return;
	free(wl->ns);
	free(wl->app);
	free(wl->version);
	free(wl->sa);
	free(wl->act);
	free(wl);
}

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static dp_wl_t *wl_of(dp_sidecars_t *sc, const vrt_pod_t *pod)
{
	if (!pod)
		return sc->gw;
	size_t mask = sc->capwls - 1, i = ptr_hash(pod) & mask;
	for (; sc->wls[i]; i = (i + 1) & mask)
		if (sc->wls[i]->pod == pod)
			return sc->wls[i];
	dp_workload_t d = {NULL, NULL, NULL, NULL, 0};
	if (!sc->cfg.identify ||
	    sc->cfg.identify(sc->cfg.identify_user, pod, &d) != 0)
		d = (dp_workload_t){"default", vrt_pod_service(pod), NULL,
		                    "default", 0};
	dp_wl_t *wl = wl_new(sc, pod, &d);
	if (2 * (sc->nwls + 1) > sc->capwls) {
		size_t nc = sc->capwls * 2;
		dp_wl_t **nv = calloc(nc, sizeof *nv);
		if (!nv)
			abort();
		for (size_t k = 0; k < sc->capwls; k++) {
			if (!sc->wls[k])
				continue;
			size_t j = ptr_hash(sc->wls[k]->pod) & (nc - 1);
			while (nv[j])
				j = (j + 1) & (nc - 1);
			nv[j] = sc->wls[k];
		}
		free(sc->wls);
		sc->wls = nv;
		sc->capwls = nc;
		mask = nc - 1;
		i = ptr_hash(pod) & mask;
		while (sc->wls[i])
			i = (i + 1) & mask;
	}
	sc->wls[i] = wl;
	sc->nwls++;
	return wl;
}

int dp_cluster_identify(void *user, const vrt_pod_t *pod, dp_workload_t *out)
{
	cl_pod_identity_t id;
	if (cl_pod_identity(user, pod, &id) != 0)
		return -1;
	out->ns = id.ns;
	out->app = id.app;
	out->version = id.track;
	out->sa = id.service_account;
	out->has_sidecar = -1;
	return 0;
}

int dp_sidecars_set_weights(dp_sidecars_t *sc, const char *host,
                            const char *const *subsets, const int *weights,
                            size_t n)
{
	if (!sc || !host || !subsets || !weights || !n)
		return DP_EINVAL;
	for (size_t k = 0; k < n; k++)
		if (!subsets[k] || weights[k] < 0 || weights[k] > 100)
			return DP_EINVAL;
	/* The caller's config, which the sidecars only read: routing reads
	 * the weights afresh for every call (no route cache). */
	mesh_config_t *cfg = (mesh_config_t *)sc->cfg.mesh;
	int changed = 0;
	for (size_t v = 0; v < cfg->nvs; v++)
		for (size_t h = 0; h < cfg->vs[v]->nhttp; h++) {
			mesh_http_route_t *hr = &cfg->vs[v]->http[h];
			for (size_t i = 0; i < hr->nroute; i++) {
				mesh_destination_t *d = &hr->route[i].dest;
				const char *dh = d->fqdn ? d->fqdn : d->host;
				if (!dh || !d->subset || strcmp(dh, host))
					continue;
				for (size_t k = 0; k < n; k++)
					if (!strcmp(d->subset, subsets[k])) {
						hr->route[i].weight = weights[k];
						changed++;
					}
			}
		}
	return changed ? changed : DP_EINVAL;
}

const char *dp_sidecars_principal(dp_sidecars_t *sc, const vrt_pod_t *pod)
{
	dp_wl_t *wl = wl_of(sc, pod);
	if (!wl || !wl->has_sidecar)
		return NULL;
	return sc->ids[wl->ident].principal;
}

int dp_sidecars_gateway(const dp_sidecars_t *sc, dp_workload_t *out)
{
	if (!sc->gw)
		return -1;
	*out = (dp_workload_t){sc->gw->ns, sc->gw->app, sc->gw->version,
	                       sc->gw->sa, sc->gw->has_sidecar};
	return 0;
}

double dp_sidecars_cpu_us(const dp_sidecars_t *sc, const vrt_pod_t *pod)
{
	if (!pod)
		return sc->gw ? sc->gw->cpu_us : 0;
	size_t mask = sc->capwls - 1;
	for (size_t i = ptr_hash(pod) & mask; sc->wls[i]; i = (i + 1) & mask)
		if (sc->wls[i]->pod == pod)
			return sc->wls[i]->cpu_us;
	return 0; /* never on a call's path */
}

/* Nominal sidecar CPU, on |wl|'s sidecar and in the total. */
static void charge(dp_sidecars_t *sc, dp_wl_t *wl, double us)
{
	wl->cpu_us += us;
	sc->stats.sidecar_cpu_us += us;
}

/* ---- helpers ---------------------------------------------------------------- */

/* "cartservice:7070" resolving to the set "cartservice/cartservice": the
 * Service's FQDN (stable storage) and port. */
static const char *dest_fqdn(dp_sidecars_t *sc, const vrt_mesh_call_t *c,
                             int *port)
{
	const char *colon = strrchr(c->addr, ':');
	*port = colon ? atoi(colon + 1) : 0;
	for (size_t i = 0; c->eps && i < sc->nsvcs; i++)
		if (sc->svcs[i].eps == c->eps && sc->svcs[i].port == *port)
			return sc->svcs[i].fqdn;
	char buf[512];
	const char *name = c->eps ? vrt_endpoints_name(c->eps) : NULL;
	const char *slash = name ? strchr(name, '/') : NULL;
	size_t hl = colon ? (size_t)(colon - c->addr) : strlen(c->addr);
	if (slash)
		snprintf(buf, sizeof buf, "%s.%.*s." MESH_DOMAIN_SUFFIX,
		         slash + 1, (int)(slash - name), name);
	else
		snprintf(buf, sizeof buf, "%.*s", (int)hl, c->addr);
	/* Unresolved names are kept too (a few: addresses are fixed). */
	sc->svcs = grow(sc->svcs, &sc->capsvcs, sc->nsvcs, sizeof *sc->svcs);
	dp_svc_t *v = &sc->svcs[sc->nsvcs++];
	v->eps = c->eps;
	v->port = *port;
	v->fqdn = xstrdup(buf);
	return v->fqdn;
}

static size_t dest_of(dp_sidecars_t *sc, const char *host, const char *subset,
                      int port)
{
	for (size_t i = 0; i < sc->ndests; i++) {
		dp_dest_t *d = &sc->dests[i];
		if (d->host == host && d->subset == subset && d->port == port)
			return i;
	}
	sc->dests = grow(sc->dests, &sc->capdests, sc->ndests, sizeof *sc->dests);
	dp_dest_t *d = &sc->dests[sc->ndests];
	memset(d, 0, sizeof *d);
	d->host = host;
	d->subset = subset;
	d->port = port;
	if (subset) {
		const mesh_dr_t *dr = mesh_find_dr(sc->cfg.mesh, host);
		d->ss = dr ? mesh_dr_subset(dr, subset) : NULL;
		d->missing_subset = !d->ss;
	}
	mesh_traffic_policy_for(sc->cfg.mesh, host, subset, port, &d->tp);
	d->panic_pct = mesh_lb_panic_pct(&d->tp);
	d->outlier = d->tp.outlier.set;
	if (d->outlier) {
		d->od_cap = 8;
		d->od_pods = malloc(d->od_cap * sizeof *d->od_pods);
		mesh_outlier_host_t *hosts = malloc(d->od_cap * sizeof *hosts);
		if (!d->od_pods || !hosts)
			abort();
		mesh_outlier_init(&d->od, &d->tp.outlier, hosts, 0,
		                  now_of(sc) / 1000000);
	}
	return sc->ndests++;
}

/* The outlier-detection host index of |pod| in |d| (added when new). */
static size_t od_host(dp_dest_t *d, const vrt_pod_t *pod)
{
	for (size_t i = 0; i < d->od.n; i++)
		if (d->od_pods[i] == pod)
			return i;
	if (d->od.n == d->od_cap) {
		size_t nc = d->od_cap * 2;
		const vrt_pod_t **np = realloc(d->od_pods, nc * sizeof *np);
		mesh_outlier_host_t *nh = realloc(d->od.hosts, nc * sizeof *nh);
		if (!np || !nh)
			abort();
		d->od_pods = np;
		d->od.hosts = nh;
		d->od_cap = nc;
	}
	memset(&d->od.hosts[d->od.n], 0, sizeof d->od.hosts[0]);
	d->od_pods[d->od.n] = pod;
	return d->od.n++;
}

static struct dp_act *act_of(dp_wl_t *wl, size_t dest, size_t *idx)
{
	for (size_t i = 0; i < wl->nact; i++)
		if (wl->act[i].dest == dest) {
			*idx = i;
			return &wl->act[i];
		}
	wl->act = grow(wl->act, &wl->capact, wl->nact, sizeof *wl->act);
	*idx = wl->nact;
	wl->act[wl->nact] = (struct dp_act){dest, 0};
	return &wl->act[wl->nact++];
}

static size_t kv_headers(const vrt_mesh_call_t *c, mesh_kv_t *kv)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_headers && n < MAX_HEADERS; i++)
		kv[n++] = (mesh_kv_t){c->headers[i].name, c->headers[i].value};
	return n;
}

static rt_status_t grpc_for_http(int s)
{
	switch (s) {
	case 400: return RT_INTERNAL;
	case 401: return RT_UNAUTHENTICATED;
	case 403: return RT_PERMISSION_DENIED;
	case 404: return RT_UNIMPLEMENTED;
	case 429: case 502: case 503: case 504: return RT_UNAVAILABLE;
	default: return RT_UNKNOWN;
	}
}

static rt_status_t grpc_by_name(const char *name)
{
	for (int i = 0; i <= 16; i++)
		if (!strcasecmp(rt_status_name(i), name))
			return (rt_status_t)i;
	return RT_UNKNOWN;
}

static dp_try_t *try_new(dp_sidecars_t *sc)
{
	dp_try_t *t = sc->free_tries;
	if (t) {
		sc->free_tries = t->next;
	} else {
		t = malloc(sizeof *t);
		if (!t)
			abort();
		sc->all_tries = grow(sc->all_tries, &sc->captries, sc->ntries,
		                     sizeof *sc->all_tries);
		sc->all_tries[sc->ntries++] = t;
	}
	/* The principal (most of the struct) is written before it is read. */
	memset(t, 0, offsetof(dp_try_t, principal));
	t->principal[0] = '\0';
	return t;
}

static void try_free(dp_sidecars_t *sc, dp_try_t *t)
{
	t->next = sc->free_tries;
	sc->free_tries = t;
}

/* Copies the principal |src| into |dst| (MESH_ID_MAX bytes), truncated as
 * snprintf("%s") would; without snprintf, which per attempt was 2 % of a
 * whole-shop run. */
static void copy_id(char *dst, const char *src)
{
	size_t n = strnlen(src, MESH_ID_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A real handshake, or the cached outcome of one between the same two
 * certificates. Fills |principal| with the client's verified principal.
 * 0 or an MTLS_E* code; |*msg| why. */
static int handshake(dp_sidecars_t *sc, const dp_wl_t *src, const dp_wl_t *dst,
                     des_time_t now, char *principal, const char **msg)
{
	dp_ident_t *ci = ident_cert(sc, src->ident, now);
	dp_ident_t *si = ident_cert(sc, dst->ident, now);
	*msg = "";
	if (!ci->cert || !si->cert) {
		*msg = "no workload certificate (the mesh CA was down)";
		return MTLS_ENOPEERCERT;
	}
	int valid = mesh_cert_valid_at(ci->cert, now) &&
	            mesh_cert_valid_at(si->cert, now);
	if (!sc->cfg.no_handshake_cache && valid)
		for (size_t i = 0; i < sc->nhs; i++) {
			dp_hs_t *h = &sc->hs[i];
			if (h->ci == src->ident && h->si == dst->ident &&
			    h->cg == ci->gen && h->sg == si->gen) {
				copy_id(principal, h->client_principal);
				return 0;
			}
		}
	mtls_result_t res;
	sc->stats.handshakes_real++;
	int rc = mtls_handshake(ci->side, si->side, now,
	                        mtls_side_spiffe_id(si->side), &res);
	if (rc != 0) {
		snprintf(sc->hsmsg, sizeof sc->hsmsg, "%s", res.msg);
		*msg = sc->hsmsg;
		return rc;
	}
	copy_id(principal, res.client_principal);
	if (!sc->cfg.no_handshake_cache && valid) {
		/* One entry per pair: replace an older generation's. */
		dp_hs_t *h = NULL;
		for (size_t i = 0; i < sc->nhs && !h; i++)
			if (sc->hs[i].ci == src->ident && sc->hs[i].si == dst->ident)
				h = &sc->hs[i];
		if (!h) {
			sc->hs = grow(sc->hs, &sc->caphs, sc->nhs, sizeof *sc->hs);
			h = &sc->hs[sc->nhs++];
		}
		h->ci = src->ident;
		h->si = dst->ident;
		h->cg = ci->gen;
		h->sg = si->gen;
		copy_id(h->client_principal, res.client_principal);
	}
	return 0;
}

static void local(vrt_mesh_send_t *o, const vrt_mesh_call_t *c, int http,
                  rt_status_t grpc, const char *msg, const char *flags)
{
	o->local = 1;
	o->http_status = c->proto == VRT_PROTO_HTTP ? http : 0;
	o->status = grpc;
	o->msg = msg;
	o->flags = flags;
}

/* The PeerAuthentication mode of |w| on |port|, computed once per port
 * (the config does not change). */
static mesh_mtls_t peer_mode(dp_sidecars_t *sc, const dp_wl_t *cw, int port)
{
	dp_wl_t *w = (dp_wl_t *)cw;
	if (!w->pm_set || w->pm_port != port) {
		w->pm_mode = mesh_peer_mode(sc->cfg.mesh, &w->mw, port).mode;
		w->pm_port = port;
		w->pm_set = 1;
	}
	return w->pm_mode;
}

/* Whether the AuthorizationPolicies that apply to |w| decide from the
 * peer identity and the operation alone (no `when`, request principals,
 * IP blocks or CUSTOM action): then a verdict can be reused for the same
 * (identity, mTLS, host, port, method, path). Headers matter only through
 * `when`, so they are out of the key. */
static int authz_cacheable(const dp_sidecars_t *sc, const dp_wl_t *w)
{
	const mesh_config_t *m = sc->cfg.mesh;
	for (size_t i = 0; i < m->nap; i++) {
		const mesh_authz_policy_t *p = m->ap[i];
		int root = !strcmp(p->meta.ns, MESH_ROOT_NAMESPACE);
		if (!root && strcmp(p->meta.ns, w->ns))
			continue;
		if (p->has_selector && p->selector.n &&
		    !mesh_labels_match(&p->selector, &w->mw.labels))
			continue;
		if (p->action == MESH_AUTHZ_CUSTOM)
			return 0;
		for (size_t r = 0; r < p->nrules; r++) {
			const mesh_authz_rule_t *ru = &p->rules[r];
			if (ru->nwhen)
				return 0;
			for (size_t f = 0; f < ru->nfrom; f++) {
				const mesh_authz_source_t *so = &ru->from[f];
				if (so->request_principals.n ||
				    so->not_request_principals.n ||
				    so->ip_blocks.n || so->not_ip_blocks.n ||
				    so->remote_ip_blocks.n ||
				    so->not_remote_ip_blocks.n)
					return 0;
			}
		}
	}
	return 1;
}

/* The verdict cache's hash, eight bytes a step (des_hash_str):
 * byte-at-a-time FNV of the method and path was 2 % of a whole-shop run.
 * The table is only looked up, never walked, so the hash cannot change an
 * outcome. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

/* The slot for this key: the cached one, or a free one (|*found| 0), or
 * NULL when the table is full enough. */
static dp_az_t *az_slot(dp_sidecars_t *sc, size_t ident, int mtls,
                        const dp_wl_t *dst, const char *host, int port,
                        const char *method, const char *path, int *found)
{
	uint64_t h = mix(0x9e3779b97f4a7c15ULL, ident);
	h = mix(h, (uint64_t)mtls << 32 | (uint32_t)port);
	h = mix(h, (uint64_t)(uintptr_t)dst);
	h = mix(h, (uint64_t)(uintptr_t)host);
	h = des_hash_str(des_hash_str(h, method), path);
	*found = 0;
	for (size_t i = (size_t)h & (DP_AZ_CAP - 1);;
	     i = (i + 1) & (DP_AZ_CAP - 1)) {
		dp_az_t *a = &sc->az[i];
		if (!a->used)
			return 2 * (sc->naz + 1) > DP_AZ_CAP ? NULL : a;
		if (a->ident == ident && a->mtls == mtls && a->dst == dst &&
		    a->host == host && a->port == port &&
		    !strcmp(a->method, method) && !strcmp(a->path, path)) {
			*found = 1;
			return a;
		}
	}
}

/* ---- the hook: client side ------------------------------------------------- */

static void hook_send(void *user, const vrt_mesh_call_t *c, vrt_mesh_send_t *o)
{
	dp_sidecars_t *sc = user;
	des_time_t now = now_of(sc);
	dp_try_t *t = try_new(sc);
	o->token = t;
	const dp_wl_t *src = c->client ? wl_of(sc, c->client) : sc->gw;
	int at_gw = !c->client && sc->gw;
	if (src && !src->has_sidecar)
		src = NULL;
	t->src = src;
	sc->stats.attempts++;

	int port;
	const char *host = dest_fqdn(sc, c, &port);
	if (!src) {
		/* No client sidecar: kube-proxy picks among all endpoints;
		 * the connection is plaintext. */
		vrt_pod_t *p = NULL;
		if (c->eps && vrt_endpoints_count(c->eps)) {
			p = vrt_endpoints_pod(
			    c->eps, (size_t)des_rng_below(&sc->r_lb,
			                                  vrt_endpoints_count(c->eps)));
		}
		if (!p)
			return; /* vrt's own "no ready endpoint" / "unknown host" */
		o->server = p;
		t->dst = wl_of(sc, p);
		t->host = host;
		t->port = port;
		if (t->dst->has_sidecar) {
			if (!mesh_peer_accepts(peer_mode(sc, t->dst, port), 0)) {
				/* The server's sidecar closes the plaintext
				 * connection: the app sees it reset. */
				sc->stats.plaintext_refused++;
				o->delay = 2 * vrt_world_transit(sc->w, c->client, p, 0);
				o->local = 1;
				o->status = RT_UNAVAILABLE;
				o->http_status = 0;
				o->msg = "connection reset by peer (plaintext refused "
				         "by a STRICT mTLS workload)";
				o->flags = "UF";
				return;
			}
			o->delay = DP_HOP_US * DES_US(1);
			charge(sc, (dp_wl_t *)t->dst, DP_SIDECAR_CPU_US);
		}
		return;
	}

	/* Routing. */
	mesh_kv_t kv[MAX_HEADERS];
	size_t nkv = kv_headers(c, kv);
	mesh_route_req_t rq = {
	    .gateway = at_gw ? sc->gw_ref : NULL,
	    .source_ns = src->ns,
	    .source_labels = &src->mw.labels,
	    .host = host,
	    .port = at_gw ? sc->gw_port : port,
	    .uri = c->target,
	    .method = c->http_method,
	    .headers = kv,
	    .nheaders = nkv,
	};
	char hostonly[300];
	if (at_gw) {
		/* At the gateway the Host header (the address dialled)
		 * decides; the route gives the destination. */
		const char *colon = strrchr(c->addr, ':');
		snprintf(hostonly, sizeof hostonly, "%.*s",
		         (int)(colon ? colon - c->addr : (long)strlen(c->addr)),
		         c->addr);
		rq.host = hostonly;
	}
	mesh_route_result_t rr;
	mesh_route(sc->cfg.mesh, &rq, des_rng_uniform(&sc->r_route), &rr);
	t->retry = rr.retries;
	if (rr.status == MESH_ROUTE_OK && rr.timeout_ms > 0)
		o->timeout = DES_MS(rr.timeout_ms);
	if (rr.retries.per_try_ms > 0)
		o->try_timeout = DES_MS(rr.retries.per_try_ms);
	if (rr.status == MESH_ROUTE_NOT_FOUND ||
	    (at_gw && rr.status == MESH_ROUTE_PASSTHROUGH)) {
		local(o, c, 404, RT_UNIMPLEMENTED, "", "NR");
		t->flags = o->flags;
		return;
	}
	const char *dhost = rr.status == MESH_ROUTE_OK ? rr.host : host;
	int dport = rr.status == MESH_ROUTE_OK && rr.port ? rr.port : port;
	const char *subset = rr.status == MESH_ROUTE_OK ? rr.subset : NULL;
	t->host = dhost;
	t->port = dport;

	/* Faults: the client's sidecar delays or answers. */
	des_time_t delay = 0;
	const char *fflags = NULL;
	if (rr.fault) {
		mesh_fault_decision_t fd;
		double u1 = des_rng_uniform(&sc->r_fault);
		double u2 = des_rng_uniform(&sc->r_fault);
		mesh_fault_decide(rr.fault, u1, u2, &fd);
		if (fd.delay_ms > 0) {
			delay += DES_MS(fd.delay_ms);
			fflags = "DI";
		}
		if (fd.aborted) {
			rt_status_t g = fd.abort_grpc ? grpc_by_name(fd.abort_grpc)
			                              : grpc_for_http(fd.abort_http);
			local(o, c, fd.abort_http ? fd.abort_http : 503, g,
			      "fault filter abort", fflags ? "DI,FI" : "FI");
			o->delay = delay;
			t->flags = o->flags;
			return;
		}
	}

	/* The destination cluster: its endpoints, its subset's only. */
	size_t di = dest_of(sc, dhost, subset, dport);
	dp_dest_t *dd = &sc->dests[di];
	if (!dd->eps) {
		if (rr.status == MESH_ROUTE_OK) {
			char addr[340];
			snprintf(addr, sizeof addr, "%s:%d", dhost, dport);
			dd->eps = vrt_world_resolve(sc->w, addr);
			if (!dd->eps && strcmp(dhost, host) == 0)
				dd->eps = c->eps;
		} else {
			dd->eps = c->eps;
		}
	}
	vrt_endpoints_t *eps = dd->eps;
	if (dd->missing_subset) {
		local(o, c, 503, RT_UNAVAILABLE, "no healthy upstream", "NR");
		t->flags = o->flags;
		return;
	}
	if (!eps && rr.status != MESH_ROUTE_OK)
		return; /* unknown host: vrt says so */
	size_t n = eps ? vrt_endpoints_count(eps) : 0;
	int64_t now_ms = now / 1000000;
	if (dd->outlier && now_ms >= dd->od.next_tick_ms)
		mesh_outlier_tick(&dd->od, now_ms);
	mesh_endpoint_t ep[n ? n : 1];
	vrt_pod_t *pods[n ? n : 1];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		vrt_pod_t *p = vrt_endpoints_pod(eps, i);
		if (dd->ss &&
		    !mesh_labels_match(&dd->ss->labels, &wl_of(sc, p)->mw.labels))
			continue;
		pods[m] = p;
		int ejected = 0;
		if (dd->outlier) {
			size_t hi = od_host(dd, p);
			ejected = dd->od.hosts[hi].ejected;
		}
		ep[m] = (mesh_endpoint_t){vrt_pod_name(p), 1, ejected,
		                          (uint32_t)vrt_pod_outstanding(p)};
		m++;
	}
	const mesh_traffic_policy_t *tp = &dd->tp;
	double u1 = des_rng_uniform(&sc->r_lb), u2 = des_rng_uniform(&sc->r_lb);
	int k = m ? mesh_lb_pick(&tp->lb, &dd->lb, ep, m, NULL, u1, u2,
	                         dd->panic_pct)
	          : -1;
	if (k < 0) {
		local(o, c, 503, RT_UNAVAILABLE, "no healthy upstream", "UH");
		t->flags = o->flags;
		return;
	}
	vrt_pod_t *server = pods[k];
	const dp_wl_t *dst = wl_of(sc, server);
	t->dst = dst;
	t->dest = di + 1;
	t->server = server;

	/* connectionPool: requests in flight from this sidecar. */
	int http1 = c->proto == VRT_PROTO_HTTP;
	dp_wl_t *srcw = (dp_wl_t *)src;
	size_t cpi;
	struct dp_act *cp = act_of(srcw, di, &cpi);
	if (tp->pool.set) {
		mesh_pool_state_t ps = {http1 ? cp->active : (cp->active > 0),
		                        0, cp->active, 0};
		if (mesh_pool_admit(&tp->pool, &ps, !http1) == MESH_POOL_OVERFLOW) {
			local(o, c, 503, RT_UNAVAILABLE,
			      "upstream connect error or disconnect/reset before "
			      "headers. reset reason: overflow",
			      "UO");
			t->flags = o->flags;
			return;
		}
	}

	/* TLS: auto mTLS unless the DestinationRule says. */
	int mtls = dst->has_sidecar;
	if (tp->tls_mode)
		mtls = !strcmp(tp->tls_mode, "ISTIO_MUTUAL");
	if (dst->has_sidecar) {
		if (!mesh_peer_accepts(peer_mode(sc, dst, dport), mtls)) {
			sc->stats.plaintext_refused++;
			local(o, c, 503, RT_UNAVAILABLE,
			      "upstream connect error or disconnect/reset before "
			      "headers. reset reason: connection termination",
			      "UC");
			o->delay = delay + 2 * vrt_world_transit(sc->w, c->client,
			                                         server, 0);
			t->flags = o->flags;
			return;
		}
	}

	/* The pooled connection; a new one is a handshake. */
	mtls_pool_t *pool = http1 ? sc->pool_h1 : sc->pool_h2;
	uint64_t conn = 0;
	int fresh = 0;
	if (mtls_pool_acquire(pool, src->pool_name, vrt_pod_name(server), now,
	                      DES_TIME_MAX, &conn, &fresh) != 0) {
		local(o, c, 503, RT_UNAVAILABLE, "connection pool overflow", "UO");
		t->flags = o->flags;
		return;
	}
	t->pool = pool;
	t->conn = conn;
	if (fresh) {
		sc->stats.connections++;
		des_time_t rtt = vrt_world_transit(sc->w, c->client, server, 0) +
		                 vrt_world_transit(sc->w, server, c->client, 0);
		delay += rtt; /* TCP */
		if (mtls) {
			const char *why;
			int rc = handshake(sc, src, dst, now, t->principal, &why);
			sc->stats.handshakes++;
			charge(sc, (dp_wl_t *)src, MTLS_COST_EC_CLIENT_US);
			charge(sc, (dp_wl_t *)dst, MTLS_COST_EC_SERVER_US);
			delay += vrt_world_transit(sc->w, c->client, server, 0) +
			         vrt_world_transit(sc->w, server, c->client,
			                           MTLS_BYTES_EC_S2C) +
			         DES_US(MTLS_COST_EC_CLIENT_US) +
			         DES_US(MTLS_COST_EC_SERVER_US);
			o->extra_bytes = MTLS_BYTES_EC_C2S;
			if (rc != 0) {
				sc->stats.handshake_failures++;
				mtls_pool_close(pool, conn);
				t->pool = NULL;
				snprintf(sc->msgbuf, sizeof sc->msgbuf,
				         "upstream connect error or disconnect/reset "
				         "before headers. reset reason: connection "
				         "failure, transport failure reason: TLS "
				         "error: %s: %s",
				         mtls_err_name(rc), why);
				local(o, c, 503, RT_UNAVAILABLE, sc->msgbuf, "UF");
				o->delay = delay;
				t->retriable_local = 1;
				t->flags = o->flags;
				return;
			}
		}
	}
	if (mtls && !fresh) {
		/* An established connection: its peer is the same identity. */
		dp_ident_t *ci = &sc->ids[src->ident];
		copy_id(t->principal, ci->principal);
	}
	t->mtls = mtls;
	t->cpwl = srcw;
	t->cpi = cpi;
	cp->active++;
	o->server = server;
	o->mtls = mtls;
	o->delay = delay + DES_US(DP_HOP_US) * (dst->has_sidecar ? 2 : 1);
	o->flags = fflags;
	t->flags = fflags;
	charge(sc, srcw, DP_SIDECAR_CPU_US);
	if (dst->has_sidecar)
		charge(sc, (dp_wl_t *)dst, DP_SIDECAR_CPU_US);
}

/* ---- the hook: server side ------------------------------------------------- */

static void hook_recv(void *user, const vrt_mesh_call_t *c, void *token,
                      const vrt_pod_t *server, vrt_mesh_recv_t *o)
{
	dp_sidecars_t *sc = user;
	dp_try_t *t = token;
	const dp_wl_t *dst = wl_of(sc, server);
	if (!dst->has_sidecar)
		return;
	const char *host = t->host ? t->host : "";
	dp_wl_t *dw = (dp_wl_t *)dst;
	if (dw->az_cacheable < 0)
		dw->az_cacheable = authz_cacheable(sc, dw);
	size_t ident = t->src && t->mtls ? t->src->ident : SIZE_MAX;
	dp_az_t *slot = NULL;
	int found = 0, allow;
	if (dw->az_cacheable)
		slot = az_slot(sc, ident, t->mtls, dst, host, t->port,
		               c->http_method, c->path, &found);
	if (found) {
		allow = slot->allow;
	} else {
		mesh_kv_t kv[MAX_HEADERS];
		size_t nkv = kv_headers(c, kv);
		mesh_authz_req_t rq = {
		    .mtls = t->mtls,
		    .principal = t->mtls ? t->principal : NULL,
		    .dest = &dst->mw,
		    .host = host,
		    .port = t->port,
		    .method = c->http_method,
		    .path = c->proto == VRT_PROTO_GRPC ? c->path : c->target,
		    .headers = kv,
		    .nheaders = nkv,
		};
		mesh_authz_decision_t d;
		mesh_authz(sc->cfg.mesh, &rq, &d);
		allow = d.allow;
		if (slot) {
			*slot = (dp_az_t){1,       ident,  t->mtls, t->port, allow,
			                  dst,     host,   xstrdup(c->http_method),
			                  xstrdup(c->path)};
			sc->naz++;
		}
	}
	if (allow)
		return;
	sc->stats.denied++;
	o->deny = 1;
	o->status = RT_PERMISSION_DENIED;
	o->http_status = 403;
	o->msg = "RBAC: access denied";
	o->flags = NULL; /* Envoy's RBAC filter sets no response flag */
}

/* ---- the hook: end of an attempt -------------------------------------------- */

static void count_flags(dp_sidecars_t *sc, const char *flags)
{
	if (!flags)
		return;
	for (int f = 0; f < DP_FLAG_COUNT; f++) {
		const char *name = dp_flag_name(f);
		size_t l = strlen(name);
		for (const char *p = flags; (p = strstr(p, name)); p += l)
			if ((p == flags || p[-1] == ',') &&
			    (p[l] == '\0' || p[l] == ','))
				sc->stats.flags[f]++;
	}
}

static void hook_end(void *user, const vrt_mesh_call_t *c, void *token,
                     vrt_mesh_end_t *io)
{
	dp_sidecars_t *sc = user;
	dp_try_t *t = token;
	des_time_t now = now_of(sc);
	if (t->pool)
		mtls_pool_release(t->pool, t->conn, now);
	if (t->cpwl)
		t->cpwl->act[t->cpi].active--;
	const char *flags = t->flags;
	if (io->gave_up && !io->abandoned && !flags)
		flags = "DC";
	if (io->timed_out || io->try_timed_out)
		flags = "UT"; /* upstream request timeout (route or try) */
	else if (!flags && io->refused)
		flags = "UF"; /* upstream connection failure */
	else if (!flags && io->reset)
		flags = "UC"; /* upstream connection termination */
	if (t->dest && !io->abandoned && !io->gave_up && !io->timed_out &&
	    !io->try_timed_out &&
	    sc->dests[t->dest - 1].outlier) {
		/* What Envoy counts: the HTTP status (gRPC errors come with
		 * 200), a reset or a failed connection as a 503. */
		dp_dest_t *d = &sc->dests[t->dest - 1];
		int st = io->reset || io->refused ||
		                 (io->local && t->retriable_local)
		             ? 503
		         : c->proto == VRT_PROTO_HTTP                  ? io->http_status
		                                                       : 200;
		if (!io->local || t->retriable_local)
			mesh_outlier_result(&d->od, od_host(d, t->server), st,
			                    now / 1000000);
	}
	int retriable = 0;
	if (t->src && !io->abandoned && !io->gave_up && !io->timed_out &&
	    (!io->local || t->retriable_local)) {
		mesh_outcome_t oc = {
		    .connect_failure = (io->local && t->retriable_local) ||
		                       io->refused,
		    .reset = !io->local && io->reset,
		    .refused_stream = 0,
		    .http_status = c->proto == VRT_PROTO_HTTP ? io->http_status
		                   : io->status == RT_OK       ? 200
		                   : io->reset                 ? 0
		                                               : 200,
		    .grpc_status = c->proto == VRT_PROTO_GRPC && !io->reset &&
		                           !io->refused
		                       ? (int)io->status
		                       : -1,
		};
		if (oc.connect_failure || oc.reset)
			oc.http_status = 0;
		if (io->try_timed_out) {
			/* Envoy answers a per-try timeout 504 itself. */
			oc.http_status = 504;
			oc.grpc_status = -1;
		}
		if (io->status != RT_OK || io->http_status >= 500 || oc.reset)
			retriable = mesh_retry_should(&t->retry, &oc);
	}
	if (retriable) {
		if ((int)c->attempt <= t->retry.attempts) {
			sc->stats.retries++;
			io->retry_after = DES_MS(mesh_retry_backoff_ms(
			    (int)c->attempt, des_rng_uniform(&sc->r_retry)));
			try_free(sc, t);
			return;
		}
		if (t->retry.attempts > 0) {
			/* Envoy: the retry limit was reached. */
			if (!flags)
				flags = "URX";
			else if (!strcmp(flags, "UF"))
				flags = "UF,URX";
			else if (!strcmp(flags, "UC"))
				flags = "UC,URX";
			else if (!strcmp(flags, "DI"))
				flags = "DI,URX";
			else if (!strcmp(flags, "UT"))
				flags = "UT,URX";
		}
	}
	io->flags = flags;
	if (!io->abandoned) {
		sc->stats.calls_final++;
		count_flags(sc, flags);
	}
	try_free(sc, t);
}

static const vrt_mesh_ops_t ops = {hook_send, hook_recv, hook_end};

/* ---- life cycle ----------------------------------------------------------- */

static const mesh_gateway_t *ingress_gateway(const mesh_config_t *m)
{
	for (size_t i = 0; i < m->ngateways; i++) {
		const char *v = mesh_labels_get(&m->gateways[i]->selector, "istio");
		if (v && !strcmp(v, "ingressgateway"))
			return m->gateways[i];
	}
	return NULL;
}

int dp_sidecars_new(vrt_world_t *w, const dp_config_t *cfg,
                    dp_sidecars_t **out, char *err, size_t errlen)
{
	if (!w || !cfg || !cfg->mesh || !out) {
		if (err && errlen)
			snprintf(err, errlen, "invalid argument");
		return DP_EINVAL;
	}
	dp_sidecars_t *sc = calloc(1, sizeof *sc);
	if (!sc)
		return DP_ENOMEM;
	sc->w = w;
	sc->cfg = *cfg;
	sc->ca_up = 1;
	uint64_t seed = vrt_world_seed(w);
	des_rng_stream(&sc->r_route, seed, "mesh/route");
	des_rng_stream(&sc->r_fault, seed, "mesh/fault");
	des_rng_stream(&sc->r_lb, seed, "mesh/lb");
	des_rng_stream(&sc->r_retry, seed, "mesh/retry");
	des_rng_stream(&sc->r_ca, seed, "mesh/ca");
	mesh_ca_opts_t co = {0};
	co.epoch = vrt_world_epoch(w);
	char e[256];
	if (mesh_ca_new(&co, des_now(vrt_world_des(w)), &sc->r_ca, &sc->ca, e,
	                sizeof e) != 0 ||
	    !(sc->bundle = mesh_bundle_new()) ||
	    mesh_bundle_add_ca(sc->bundle, sc->ca) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "mesh CA: %s", e);
		dp_sidecars_free(sc);
		return DP_ECRYPTO;
	}
	sc->capwls = 64;
	sc->wls = calloc(sc->capwls, sizeof *sc->wls);
	sc->az = calloc(DP_AZ_CAP, sizeof *sc->az);
	mtls_pool_opts_t h1 = {0, 1, 0, 0, 0};
	sc->pool_h2 = mtls_pool_new(NULL);
	sc->pool_h1 = mtls_pool_new(&h1);
	if (!sc->wls || !sc->az || !sc->pool_h2 || !sc->pool_h1) {
		dp_sidecars_free(sc);
		return DP_ENOMEM;
	}
	const mesh_gateway_t *g = cfg->no_ingress ? NULL
	                                          : ingress_gateway(cfg->mesh);
	if (g) {
		char ref[300];
		snprintf(ref, sizeof ref, "%s/%s", g->meta.ns, g->meta.name);
		sc->gw_ref = strdup(ref);
		sc->gw_port = g->nservers ? g->servers[0].port : 80;
		dp_workload_t d = {GW_NS, GW_SA, NULL, GW_SA, 1};
		sc->gw = wl_new(sc, NULL, &d);
	}
	vrt_world_set_mesh(w, &ops, sc);
	*out = sc;
	return 0;
}

void dp_sidecars_free(dp_sidecars_t *sc)
{
	if (!sc)
		return;
	if (sc->w && sc->pool_h1)
		vrt_world_set_mesh(sc->w, NULL, NULL);
	for (size_t i = 0; sc->wls && i < sc->capwls; i++)
		wl_free(sc->wls[i]);
	free(sc->wls);
	for (size_t i = 0; sc->az && i < DP_AZ_CAP; i++)
		if (sc->az[i].used) {
			free(sc->az[i].method);
			free(sc->az[i].path);
		}
	free(sc->az);
	wl_free(sc->gw);
	free((char *)sc->gw_ref);
	for (size_t i = 0; i < sc->nids; i++) {
		free(sc->ids[i].ns);
		free(sc->ids[i].sa);
		free(sc->ids[i].principal);
		mesh_cert_free(sc->ids[i].cert);
		mtls_side_free(sc->ids[i].side);
	}
	free(sc->ids);
	free(sc->hs);
	for (size_t i = 0; i < sc->nsvcs; i++)
		free(sc->svcs[i].fqdn);
	free(sc->svcs);
	for (size_t i = 0; i < sc->ndests; i++) {
		free(sc->dests[i].od_pods);
		free(sc->dests[i].od.hosts);
	}
	free(sc->dests);
	for (size_t i = 0; i < sc->ntries; i++)
		free(sc->all_tries[i]);
	free(sc->all_tries);
	mtls_pool_free(sc->pool_h2);
	mtls_pool_free(sc->pool_h1);
	mesh_bundle_free(sc->bundle);
	mesh_ca_free(sc->ca);
	free(sc);
}

void dp_sidecars_set_ca(dp_sidecars_t *sc, int up) { sc->ca_up = up != 0; }

void dp_sidecars_stats(const dp_sidecars_t *sc, dp_stats_t *out)
{
	*out = sc->stats;
}

/* ---- loading a directory of manifests -------------------------------------- */

static int yaml_name(const struct dirent *d)
{
	size_t l = strlen(d->d_name);
	return d->d_name[0] != '.' &&
	       ((l > 5 && !strcmp(d->d_name + l - 5, ".yaml")) ||
	        (l > 4 && !strcmp(d->d_name + l - 4, ".yml")));
}

int dp_mesh_load_dir(mesh_config_t *cfg, const char *dir, char *err,
                     size_t errlen)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, yaml_name, alphasort);
	if (n < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read the directory", dir);
		return DP_ECONFIG;
	}
	mesh_diags_t d = {0};
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (!rc && mesh_config_load(cfg, path, &d) < 0)
			rc = DP_ENOMEM;
		free(names[i]);
	}
	free(names);
	if (!rc && mesh_config_resolve(cfg, &d) < 0)
		rc = DP_ENOMEM;
	if (!rc && d.nerrors) {
		rc = DP_ECONFIG;
		for (size_t i = 0; i < d.n; i++)
			if (d.v[i].sev == MESH_SEV_ERROR) {
				if (err && errlen)
					snprintf(err, errlen, "%s:%d: %s",
					         d.v[i].file ? d.v[i].file : dir,
					         d.v[i].line, d.v[i].msg);
				break;
			}
	}
	mesh_diags_free(&d);
	return rc;
}
