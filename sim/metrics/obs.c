/* sim/metrics/obs.c: vrt observations into Istio's standard metrics. See
 * ms_obs_record() in metrics.h for the label rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define TRUST_DOMAIN "cluster.local"
#define CLUSTER_ID "Kubernetes"

/* What the labels need of a pod, resolved once. */
typedef struct pod_info {
	const vrt_pod_t *pod; /* the key; NULL: an empty slot */
	int known;
	char *workload, *ns, *app, *version;
	char *principal;    /* spiffe://cluster.local/ns/NS/sa/SA */
	char *svc_name;     /* the Service selecting the pod, or NULL */
	char *svc_host;     /* NAME.NS.svc.cluster.local */
} pod_info_t;

/* The fast path: everything an observation's labels depend on, when the
 * server pod is known (its Service then names the destination), mapped to
 * the series, so a repeated label set costs a small hash of words instead
 * of hashing and comparing 21 strings. Zeroed before filling: compared
 * with memcmp. */
typedef struct fast_key {
	const vrt_pod_t *client, *server;
	int32_t reporter, proto, code, gstat, mtls, pad;
	char flags[24];
} fast_key_t;

_Static_assert(sizeof(fast_key_t) % 8 == 0, "fast_hash reads words");

typedef struct fast_ent {
	fast_key_t k;
	ms_series_t *s; /* NULL: an empty slot */
} fast_ent_t;

struct ms_observer {
	ms_registry_t *reg;
	ms_pod_meta_fn fn;
	void *user;
	pod_info_t *pods; /* open addressing by pod pointer */
	size_t n, nslots;
	pod_info_t gw;    /* the ingress gateway (gw.known), for obs->client NULL */
	fast_ent_t *fast; /* open addressing by fast_key_t */
	size_t n_fast, fast_slots;
	uint64_t recorded, skipped;
};

ms_observer_t *ms_observer_new(ms_registry_t *reg, ms_pod_meta_fn fn,
                               void *user)
{
	ms_observer_t *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->reg = reg;
	o->fn = fn;
	o->user = user;
	o->nslots = 64;
	o->pods = calloc(o->nslots, sizeof *o->pods);
	o->fast_slots = 256;
	o->fast = calloc(o->fast_slots, sizeof *o->fast);
	if (!o->pods || !o->fast) {
		free(o->pods);
		free(o->fast);
		free(o);
		return NULL;
	}
	return o;
}

static void info_clear(pod_info_t *p)
{
	free(p->workload);
	free(p->ns);
	free(p->app);
	free(p->version);
	free(p->principal);
	free(p->svc_name);
	free(p->svc_host);
}

void ms_observer_free(ms_observer_t *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nslots; i++)
		if (o->pods[i].pod)
			info_clear(&o->pods[i]);
	info_clear(&o->gw);
	free(o->pods);
	free(o->fast);
	free(o);
}

uint64_t ms_observer_recorded(const ms_observer_t *o) { return o->recorded; }

static size_t ptr_slot(const void *p, size_t mask)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & mask;
}

static char *xstrdup(const char *s) { return s ? strdup(s) : NULL; }

/* "<pre><a><mid><b><post>", malloc'd; NULL when out of memory. */
static char *join(const char *pre, const char *a, const char *mid,
                  const char *b, const char *post)
{
	size_t n = strlen(pre) + strlen(a) + strlen(mid) + strlen(b) +
	           strlen(post) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s%s%s%s", pre, a, mid, b, post);
	return s;
}

/* Copies |m| into |p| (known). 0, or -1 when a copy failed (that label
 * is then "unknown"). */
static int info_from_meta(pod_info_t *p, const ms_pod_meta_t *m)
{
	p->known = 1;
	p->workload = xstrdup(m->workload);
	p->ns = xstrdup(m->ns);
	p->app = xstrdup(m->app);
	p->version = xstrdup(m->version);
	if (m->ns && m->service_account)
		p->principal = join("spiffe://" TRUST_DOMAIN "/ns/", m->ns,
		                    "/sa/", m->service_account, "");
	if (m->service) {
		p->svc_name = xstrdup(m->service);
		if (m->ns)
			p->svc_host = join("", m->service, ".", m->ns,
			                   ".svc." TRUST_DOMAIN);
	}
	if ((m->workload && !p->workload) || (m->ns && !p->ns) ||
	    (m->app && !p->app) || (m->version && !p->version) ||
	    (m->ns && m->service_account && !p->principal) ||
	    (m->service && (!p->svc_name || (m->ns && !p->svc_host))))
		return -1;
	return 0;
}

static int fill_info(ms_observer_t *o, const vrt_pod_t *pod, pod_info_t *p)
{
	ms_pod_meta_t m = {0};
	p->pod = pod;
	if (!o->fn || o->fn(o->user, pod, &m) != 0)
		return 0; /* unknown: every label "unknown" */
	/* A failed copy leaves that label "unknown": tolerable, and the
	 * cache keeps the pod so the resolver is not asked again. */
	(void)info_from_meta(p, &m);
	return 0;
}

int ms_observer_set_ingress(ms_observer_t *o, const ms_pod_meta_t *gw)
{
	if (!o)
		return MS_EINVAL;
	pod_info_t p = {0};
	if (gw && info_from_meta(&p, gw) != 0) {
		info_clear(&p);
		return MS_ENOMEM;
	}
	info_clear(&o->gw);
	o->gw = p;
	/* Cached series of outside calls named the old source. */
	memset(o->fast, 0, o->fast_slots * sizeof *o->fast);
	o->n_fast = 0;
	return 0;
}

/* The pod's info, resolved on first sight; NULL for no pod or no memory. */
static const pod_info_t *pod_info(ms_observer_t *o, const vrt_pod_t *pod)
{
	if (!pod)
		return NULL;
	size_t mask = o->nslots - 1, j = ptr_slot(pod, mask);
	while (o->pods[j].pod) { /* ends: at most half full */
		if (o->pods[j].pod == pod)
			return &o->pods[j];
		j = (j + 1) & mask;
	}
	if ((o->n + 1) * 2 > o->nslots) {
		size_t ns = o->nslots * 2;
		pod_info_t *np = calloc(ns, sizeof *np);
		if (!np)
			return NULL;
		for (size_t i = 0; i < o->nslots; i++) {
			if (!o->pods[i].pod)
				continue;
			size_t k = ptr_slot(o->pods[i].pod, ns - 1);
			while (np[k].pod)
				k = (k + 1) & (ns - 1);
			np[k] = o->pods[i];
		}
		free(o->pods);
		o->pods = np;
		o->nslots = ns;
		mask = ns - 1;
		j = ptr_slot(pod, mask);
		while (o->pods[j].pod)
			j = (j + 1) & mask;
	}
	fill_info(o, pod, &o->pods[j]);
	o->n++;
	return &o->pods[j];
}

static uint64_t fast_hash(const fast_key_t *k)
{
	uint64_t w[sizeof *k / 8], h = 0x9e3779b97f4a7c15ULL;
	memcpy(w, k, sizeof w);
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

/* The slot of |k|: its entry, or the empty slot where it belongs. */
static fast_ent_t *fast_slot(fast_ent_t *tab, size_t nslots,
                             const fast_key_t *k)
{
	size_t mask = nslots - 1, j = (size_t)fast_hash(k) & mask;
	while (tab[j].s && memcmp(&tab[j].k, k, sizeof *k)) /* at most half full */
		j = (j + 1) & mask;
	return &tab[j];
}

/* Remembers |s| for |k|; a failure only loses the shortcut. */
static void fast_put(ms_observer_t *o, const fast_key_t *k, ms_series_t *s)
{
	if ((o->n_fast + 1) * 2 > o->fast_slots) {
		size_t ns = o->fast_slots * 2;
		fast_ent_t *t = calloc(ns, sizeof *t);
		if (!t)
			return;
		for (size_t i = 0; i < o->fast_slots; i++)
			if (o->fast[i].s)
				*fast_slot(t, ns, &o->fast[i].k) = o->fast[i];
		free(o->fast);
		o->fast = t;
		o->fast_slots = ns;
	}
	fast_ent_t *e = fast_slot(o->fast, o->fast_slots, k);
	e->k = *k;
	e->s = s;
	o->n_fast++;
}

int ms_obs_response_code(const vrt_obs_t *obs)
{
	if (obs->http_status)
		return obs->http_status;
	/* No endpoint: the client's sidecar answers 503 itself (flag UH). */
	if (obs->reporter == VRT_REPORT_CLIENT && obs->status == RT_UNAVAILABLE &&
	    !obs->server)
		return 503;
	if (obs->proto == VRT_PROTO_HTTP)
		return 0; /* no response */
	if (obs->status == RT_CANCELLED)
		return 0;
	if (obs->reporter == VRT_REPORT_CLIENT &&
	    obs->status == RT_DEADLINE_EXCEEDED)
		return 0;
	return 200;
}

void ms_obs_record(void *user, const vrt_obs_t *obs)
{
	ms_observer_t *o = user;
	int src = obs->reporter == VRT_REPORT_CLIENT;
	if (src && !obs->client && !o->gw.known) {
		o->skipped++; /* no sidecar saw it */
		return;
	}
	int grpc = obs->proto == VRT_PROTO_GRPC;
	int rcode = ms_obs_response_code(obs);
	const char *flags = obs->response_flags && obs->response_flags[0]
	                        ? obs->response_flags
	                        : "-";
	double ms = obs->end > obs->start ? (double)(obs->end - obs->start) / 1e6
	                                  : 0.0;
	/* Unary gRPC: one message each way; none back when the call failed
	 * (an error status comes in trailers, without a message). */
	uint64_t resp_msgs = obs->status == RT_OK ? 1 : 0;

	fast_key_t k;
	int fast = obs->server && strlen(flags) < sizeof k.flags;
	if (fast) {
		memset(&k, 0, sizeof k);
		k.client = obs->client;
		k.server = obs->server;
		k.reporter = src;
		k.proto = grpc;
		k.code = rcode;
		k.gstat = grpc ? (int32_t)obs->status : -1;
		k.mtls = obs->mtls != 0;
		memcpy(k.flags, flags, strlen(flags));
		fast_ent_t *e = fast_slot(o->fast, o->fast_slots, &k);
		if (e->s) {
			ms_series_add_request(o->reg, e->s, ms, obs->req_bytes,
			                      obs->resp_bytes, grpc, 1, resp_msgs);
			o->recorded++;
			return;
		}
	}

	/* No client pod: an outside caller, through the gateway if any. */
	const pod_info_t *c = obs->client    ? pod_info(o, obs->client)
	                      : o->gw.known ? &o->gw
	                                    : NULL;
	const pod_info_t *s = pod_info(o, obs->server);
	char code[16], gstat[16], host[256];
	snprintf(code, sizeof code, "%d", rcode);
	if (grpc)
		snprintf(gstat, sizeof gstat, "%d", (int)obs->status);
	else
		gstat[0] = 0;

	/* The destination Service: the server pod's, else the host dialled. */
	const char *svc_host = s ? s->svc_host : NULL;
	const char *svc_name = s ? s->svc_name : NULL;
	const char *svc_ns = s && s->svc_name ? s->ns : NULL;
	char name_buf[256], ns_buf[256];
	if (!svc_host && obs->addr) {
		snprintf(host, sizeof host, "%s", obs->addr);
		char *colon = strrchr(host, ':');
		if (colon)
			*colon = 0;
		svc_host = host;
		/* "name" or "name.ns[.svc.cluster.local]" */
		snprintf(name_buf, sizeof name_buf, "%s", host);
		char *dot1 = strchr(name_buf, '.');
		if (dot1) {
			*dot1 = 0;
			snprintf(ns_buf, sizeof ns_buf, "%s", dot1 + 1);
			char *dot2 = strchr(ns_buf, '.');
			if (dot2)
				*dot2 = 0;
			svc_ns = ns_buf;
		}
		svc_name = name_buf;
	}

	ms_labels_t l = {
	    .reporter = src ? "source" : "destination",
	    .source_workload = c ? c->workload : NULL,
	    .source_workload_namespace = c ? c->ns : NULL,
	    .source_principal = obs->mtls && c ? c->principal : NULL,
	    .source_app = c ? c->app : NULL,
	    .source_version = c ? c->version : NULL,
	    .destination_workload = s ? s->workload : NULL,
	    .destination_workload_namespace = s ? s->ns : NULL,
	    .destination_principal = obs->mtls && s ? s->principal : NULL,
	    .destination_app = s ? s->app : NULL,
	    .destination_version = s ? s->version : NULL,
	    .destination_service = svc_host,
	    .destination_service_name = svc_name,
	    .destination_service_namespace = svc_ns,
	    .request_protocol = grpc ? "grpc" : "http",
	    .response_code = code,
	    .grpc_response_status = gstat,
	    .response_flags = flags,
	    .connection_security_policy =
	        src ? "unknown" : (obs->mtls ? "mutual_tls" : "none"),
	    .source_cluster = CLUSTER_ID,
	    .destination_cluster = CLUSTER_ID,
	};
	ms_series_t *ser = ms_registry_series_get(o->reg, &l);
	if (!ser) {
		o->skipped++;
		return;
	}
	if (fast)
		fast_put(o, &k, ser);
	ms_series_add_request(o->reg, ser, ms, obs->req_bytes, obs->resp_bytes,
	                      grpc, 1, resp_msgs);
	o->recorded++;
}
