/* tests/sim/cluster_test.c: the Kubernetes model (sim/cluster) built from
 * the real charts under k8s/charts, running the real leaf services on the
 * virtual runtime: bring-up times, Services, scheduling and Pending,
 * replacement of deleted pods, CrashLoopBackOff, liveness restarts,
 * rolling updates within maxSurge/maxUnavailable, the HPA, a chart edited
 * on disk, determinism (Check, fork mode). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad/ad.h"
#include "cluster.h"
#include "currency/currency.h"
#include "email/email.h"
#include "payment/payment.h"
#include "productcatalog/productcatalog.h"
#include "proto/demo.pb-c.h"
#include "recommendation/recommendation.h"
#include "shipping/shipping.h"

#define EPOCH ((rt_time_t)1767225600 * RT_SEC)
#define CATALOG_FQDN "productcatalogservice.productcatalogservice.svc.cluster.local:3550"
#define RECO_FQDN "recommendationservice.recommendationservice.svc.cluster.local:8080"
#define CURRENCY_FQDN "currencyservice.currencyservice.svc.cluster.local:7000"

static const rt_service_t *const leaves[] = {
    &productcatalog_service, &currency_service, &shipping_service,
    &payment_service, &email_service, &ad_service, &recommendation_service,
    NULL};
static const char *const leaf_charts[] = {
    "productcatalogservice", "currencyservice", "shippingservice",
    "paymentservice", "emailservice", "adservice", "recommendationservice",
    NULL};

static const char *srcdir(void)
{
	const char *s = getenv("MESHSIM_SRCDIR");
	return s ? s : ".";
}

static const char *chart(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/k8s/charts/%s/values.yaml", srcdir(), name);
	return buf;
}

/* ---- a cluster with an events log ---------------------------------------- */

typedef struct text {
	char *s;
	size_t n, cap;
} text_t;

static void text_add(text_t *t, const char *line)
{
	size_t l = strlen(line);
	if (t->n + l + 2 > t->cap) {
		t->cap = (t->n + l + 2) * 2;
		t->s = realloc(t->s, t->cap);
		ck_assert_ptr_nonnull(t->s);
	}
	memcpy(t->s + t->n, line, l);
	t->n += l;
	t->s[t->n++] = '\n';
	t->s[t->n] = '\0';
}

#define MAX_EV 4096
typedef struct h {
	vrt_world_t *w;
	cl_cluster_t *cl;
	text_t log;
	int n_ev;
	struct ev {
		des_time_t t;
		char name[96], reason[32], message[256];
	} *ev;
} h_t;

static void on_event(void *user, const cl_event_t *e)
{
	h_t *h = user;
	char line[1400];
	snprintf(line, sizeof line, "%lld.%09lld %s %s %s/%s %s: %s",
	         (long long)(e->t / DES_S(1)), (long long)(e->t % DES_S(1)),
	         e->type, e->kind, e->ns, e->name, e->reason, e->message);
	text_add(&h->log, line);
	if (h->n_ev < MAX_EV) {
		struct ev *v = &h->ev[h->n_ev++];
		v->t = e->t;
		snprintf(v->name, sizeof v->name, "%s", e->name);
		snprintf(v->reason, sizeof v->reason, "%s", e->reason);
		snprintf(v->message, sizeof v->message, "%s", e->message);
	}
}

static h_t *h_new_cpu(uint64_t seed, const cl_node_spec_t *nodes,
                      size_t n_nodes, int node_cpu);

static h_t *h_new(uint64_t seed, const cl_node_spec_t *nodes, size_t n_nodes)
{
	return h_new_cpu(seed, nodes, n_nodes, 0);
}

/* |node_cpu|: cl_config_t.node_cpu. */
static h_t *h_new_cpu(uint64_t seed, const cl_node_spec_t *nodes,
                      size_t n_nodes, int node_cpu)
{
	h_t *h = calloc(1, sizeof *h);
	ck_assert_ptr_nonnull(h);
	h->ev = calloc(MAX_EV, sizeof *h->ev);
	h->w = vrt_world_new(seed, EPOCH);
	ck_assert_ptr_nonnull(h->w);
	cl_config_t cfg;
	cl_config_init(&cfg);
	cfg.services = leaves;
	cfg.nodes = nodes;
	cfg.n_nodes = n_nodes;
	cfg.node_cpu = node_cpu;
	cfg.on_event = on_event;
	cfg.event_user = h;
	char err[512];
	int rc = cl_cluster_new(h->w, &cfg, &h->cl, err, sizeof err);
	ck_assert_msg(rc == 0, "%s", err);
	return h;
}

static void h_free(h_t *h)
{
	cl_cluster_free(h->cl);
	vrt_world_free(h->w);
	free(h->log.s);
	free(h->ev);
	free(h);
}

static void apply(h_t *h, const char *name, ...)
{
	const char *ov[16];
	int n = 0;
	va_list ap;
	va_start(ap, name);
	while (n < 15 && (ov[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	ov[n] = NULL;
	char err[1024];
	int rc = cl_cluster_apply_file(h->cl, chart(name), ov, err, sizeof err);
	ck_assert_msg(rc == 0, "%s: %s", name, err);
}

static void run_to(h_t *h, des_time_t t)
{
	vrt_run(h->w, t);
}

static des_time_t now(h_t *h)
{
	return des_now(vrt_world_des(h->w));
}

/* The pods of deployment |d| not terminating, in a fresh snapshot. */
typedef struct counts {
	int pods, ready, pending;
} counts_t;

static counts_t count(h_t *h, const char *deploy)
{
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_ptr_nonnull(s);
	counts_t c = {0, 0, 0};
	for (size_t i = 0; i < s->n_pods; i++) {
		const cl_snap_pod_t *p = &s->pods[i];
		if (strcmp(p->deployment, deploy) || p->phase == CL_POD_TERMINATING)
			continue;
		c.pods++;
		c.ready += p->ready;
		c.pending += p->node == NULL;
	}
	cl_snapshot_free(s);
	return c;
}

/* The name of the |i|-th live pod of |deploy| (a static buffer). */
static const char *pod_of(h_t *h, const char *deploy, int i)
{
	static char name[128];
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	name[0] = '\0';
	for (size_t j = 0; j < s->n_pods; j++)
		if (!strcmp(s->pods[j].deployment, deploy) &&
		    s->pods[j].phase != CL_POD_TERMINATING && i-- == 0)
			snprintf(name, sizeof name, "%s", s->pods[j].name);
	cl_snapshot_free(s);
	ck_assert_msg(name[0], "no pod of %s", deploy);
	return name;
}

/* The namespace of Deployment |deploy|, from a snapshot. */
static const char *s_ns_of(h_t *h, const char *deploy)
{
	static char ns[128];
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ns[0] = '\0';
	for (size_t j = 0; j < s->n_deploys; j++)
		if (!strcmp(s->deploys[j].name, deploy))
			snprintf(ns, sizeof ns, "%s", s->deploys[j].ns);
	cl_snapshot_free(s);
	ck_assert_msg(ns[0], "no deployment %s", deploy);
	return ns;
}

static size_t eps(h_t *h, const char *svc)
{
	vrt_endpoints_t *e = cl_cluster_endpoints(h->cl, svc, svc);
	ck_assert_ptr_nonnull(e);
	return vrt_endpoints_count(e);
}

/* ---- calls ---------------------------------------------------------------- */

typedef struct result {
	int done;
	rt_status_t status;
	char msg[256];
	ProtobufCMessage *resp;
} result_t;

static void on_result(void *user, rt_status_t st, const char *msg,
                      ProtobufCMessage *resp)
{
	result_t *r = user;
	r->done = 1;
	r->status = st;
	snprintf(r->msg, sizeof r->msg, "%s", msg);
	r->resp = resp;
}

static void recommend(h_t *h, result_t *r)
{
	Hipstershop__ListRecommendationsRequest req =
	    HIPSTERSHOP__LIST_RECOMMENDATIONS_REQUEST__INIT;
	req.user_id = (char *)"u1";
	ck_assert_ptr_nonnull(vrt_client_call(
	    h->w, RECO_FQDN, "hipstershop.RecommendationService",
	    "ListRecommendations", &req.base,
	    &hipstershop__list_recommendations_response__descriptor, RT_SEC,
	    on_result, r));
}

static void list_products(h_t *h, const char *addr, result_t *r)
{
	Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
	ck_assert_ptr_nonnull(vrt_client_call(
	    h->w, addr, "hipstershop.ProductCatalogService", "ListProducts",
	    &e.base, &hipstershop__list_products_response__descriptor, RT_SEC,
	    on_result, r));
}

/* ---- bring-up ------------------------------------------------------------- */

static int is_safe(char c)
{
	return c && strchr("bcdfghjklmnpqrstvwxz2456789", c) != NULL;
}

START_TEST(real_charts_come_up_and_serve)
{
	h_t *h = h_new(1, NULL, 0);
	for (const char *const *c = leaf_charts; *c; c++)
		apply(h, *c, NULL);
	/* A chart whose service is not registered is reported, not run. */
	char err[512];
	ck_assert_int_eq(cl_cluster_apply_file(h->cl, chart("frontend"), NULL, err,
	                                       sizeof err), CL_ENOSVC);
	ck_assert_ptr_nonnull(strstr(err, "no service named \"frontend\""));

	/* Scheduled at once, containers start after 2 s, the gRPC readiness
	 * probes (no initial delay) pass at once. */
	run_to(h, DES_S(2) - 1);
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_uint_eq(s->n_pods, 7);
	ck_assert_uint_eq(s->n_namespaces, 7);
	ck_assert_uint_eq(s->n_deploys, 7);
	for (size_t i = 0; i < s->n_pods; i++) {
		ck_assert_str_eq(s->pods[i].status, "ContainerCreating");
		ck_assert_ptr_nonnull(s->pods[i].node);
		ck_assert_int_eq(s->pods[i].ready, 0);
	}
	cl_snapshot_free(s);
	ck_assert_uint_eq(eps(h, "currencyservice"), 0);
	run_to(h, DES_S(2));
	s = cl_cluster_snapshot(h->cl);
	int64_t cpu = 0, mem = 0;
	for (size_t i = 0; i < s->n_pods; i++) {
		const cl_snap_pod_t *p = &s->pods[i];
		ck_assert_str_eq(p->status, "Running");
		ck_assert_int_eq(p->phase, CL_POD_RUNNING);
		ck_assert_msg(p->ready, "%s", p->name);
		ck_assert_int_eq(p->started, DES_S(2));
		ck_assert_int_eq(p->ready_since, DES_S(2));
		ck_assert_int_eq(p->restarts, 0);
		/* <deployment>-<hash>-<5 safe chars> */
		size_t dl = strlen(p->deployment), rl = strlen(p->replicaset);
		ck_assert(strncmp(p->name, p->replicaset, rl) == 0);
		ck_assert(strncmp(p->replicaset, p->deployment, dl) == 0);
		ck_assert_int_eq(p->replicaset[dl], '-');
		ck_assert_uint_ge(rl - dl - 1, 8);
		ck_assert_uint_eq(strlen(p->name), rl + 6);
		for (size_t k = rl + 1; k < rl + 6; k++)
			ck_assert(is_safe(p->name[k]));
		/* The pod's CPU is its limit; its env the chart's plus HOSTNAME. */
		ck_assert(vrt_pod_cores(p->container) == 0.2 ||
		          vrt_pod_cores(p->container) == 0.3);
		rt_t *rt = vrt_pod_rt(p->container);
		ck_assert_str_eq(rt_env(rt, "HOSTNAME"), p->name);
		ck_assert_str_eq(rt_env(rt, "SHUTDOWN_GRACE_SECONDS"), "5");
		cpu += p->cpu_request_m;
		mem += p->mem_request;
	}
	/* Requests add up on the nodes; least-allocated spreads them. */
	int64_t ncpu = 0, nmem = 0;
	for (size_t i = 0; i < s->n_nodes; i++) {
		ncpu += s->nodes[i].cpu_requested_m;
		nmem += s->nodes[i].mem_requested;
		ck_assert_int_eq(s->nodes[i].cpu_m, 2000);
		ck_assert_int_eq(s->nodes[i].mem_bytes, 4LL << 30);
		ck_assert_int_ge(s->nodes[i].pods, 2);
	}
	ck_assert_int_eq(ncpu, cpu);
	ck_assert_int_eq(nmem, mem);
	ck_assert_int_eq(cpu, 800); /* six x 100m + adservice 200m */
	for (size_t i = 0; i < s->n_services; i++)
		ck_assert_uint_eq(s->services[i].endpoints, 1);
	cl_snapshot_free(s);

	/* Storage paths are re-rooted in the pod's own volume. */
	vrt_pod_t *cat = cl_pod_container(h->cl, pod_of(h, "productcatalogservice", 0));
	const char *db = rt_env(vrt_pod_rt(cat), "SELLER_PRODUCTS_DB");
	ck_assert_ptr_nonnull(strstr(db, "/productcatalogservice/productcatalogservice-"));
	ck_assert_ptr_nonnull(strstr(db, "/seller-products.db"));
	ck_assert_int_eq(access(db, F_OK), 0);

	/* recommendation -> catalog through the cluster's DNS names. */
	result_t r = {0};
	recommend(h, &r);
	run_to(h, DES_S(3));
	ck_assert_msg(r.done && r.status == RT_OK, "%s", r.msg);
	ck_assert_uint_eq(((Hipstershop__ListRecommendationsResponse *)r.resp)
	                      ->n_product_ids, 5);
	rt_msg_free(r.resp);
	const char *names[] = {"productcatalogservice:3550",
	                       "productcatalogservice.productcatalogservice:3550",
	                       "productcatalogservice.productcatalogservice.svc:3550",
	                       CATALOG_FQDN};
	for (int i = 0; i < 4; i++) {
		result_t l = {0};
		list_products(h, names[i], &l);
		run_to(h, now(h) + DES_MS(100));
		ck_assert_msg(l.status == RT_OK, "%s: %s", names[i], l.msg);
		rt_msg_free(l.resp);
	}
	ck_assert_ptr_nonnull(strstr(h->log.s, "Normal Pod productcatalogservice/"
	                                       "productcatalogservice-"));
	ck_assert_ptr_nonnull(strstr(h->log.s, "Scheduled: Successfully assigned "
	                                       "currencyservice/currencyservice-"));
	h_free(h);
}
END_TEST

/* A canary Deployment shares the Service's endpoints with the stable one. */
START_TEST(canary_deployment_joins_the_service)
{
	h_t *h = h_new(2, NULL, 0);
	apply(h, "currencyservice", "canary.enabled=true,canary.replicaCount=2",
	      "canary.image.tag=0.2.0", NULL);
	run_to(h, DES_S(3));
	ck_assert_int_eq(count(h, "currencyservice").ready, 1);
	ck_assert_int_eq(count(h, "currencyservice-canary").ready, 2);
	ck_assert_uint_eq(eps(h, "currencyservice"), 3);
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_uint_eq(s->n_deploys, 2);
	ck_assert_str_eq(s->deploys[1].track, "canary");
	ck_assert_str_eq(s->deploys[1].image_tag, "0.2.0");
	cl_snapshot_free(s);
	/* What Istio's metrics read of a pod: workload, labels, account. */
	cl_pod_meta_t m;
	vrt_pod_t *cvp = cl_pod_container(h->cl, pod_of(h, "currencyservice-canary", 0));
	ck_assert_int_eq(cl_pod_meta(h->cl, cvp, &m), 0);
	ck_assert_str_eq(m.workload, "currencyservice-canary");
	ck_assert_str_eq(m.app, "currencyservice");
	ck_assert_str_eq(m.version, "canary");
	ck_assert_str_eq(m.service_account, "currencyservice");
	ck_assert_str_eq(m.service, "currencyservice");
	ck_assert_str_eq(m.ns, s_ns_of(h, "currencyservice"));
	vrt_pod_t *svp = cl_pod_container(h->cl, pod_of(h, "currencyservice", 0));
	ck_assert_int_eq(cl_pod_meta(h->cl, svp, &m), 0);
	ck_assert_str_eq(m.workload, "currencyservice");
	ck_assert_str_eq(m.version, "stable");
	ck_assert_int_eq(cl_pod_meta(h->cl, NULL, &m), CL_ENOENT);
	/* Switching the canary off removes its pods. */
	apply(h, "currencyservice", NULL);
	run_to(h, DES_S(10));
	ck_assert_int_eq(count(h, "currencyservice-canary").pods, 0);
	ck_assert_uint_eq(eps(h, "currencyservice"), 1);
	h_free(h);
}
END_TEST

/* ---- scheduling ----------------------------------------------------------- */

START_TEST(replicas_that_do_not_fit_stay_pending)
{
	static const cl_node_spec_t one[] = {{"small", 1000, 1LL << 30, 0}};
	h_t *h = h_new(3, one, 1);
	/* 100m each: ten fit in 1000m, two wait. */
	apply(h, "currencyservice", "replicaCount=12", NULL);
	run_to(h, DES_S(5));
	counts_t c = count(h, "currencyservice");
	ck_assert_int_eq(c.pods, 12);
	ck_assert_int_eq(c.ready, 10);
	ck_assert_int_eq(c.pending, 2);
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	int pending = 0;
	for (size_t i = 0; i < s->n_pods; i++)
		if (!s->pods[i].node) {
			ck_assert_str_eq(s->pods[i].status, "Pending");
			ck_assert_int_eq(s->pods[i].phase, CL_POD_PENDING);
			ck_assert_str_eq(s->pods[i].reason,
			                 "0/1 nodes are available: 1 Insufficient cpu.");
			pending++;
		}
	ck_assert_int_eq(pending, 2);
	ck_assert_int_eq(s->nodes[0].cpu_requested_m, 1000);
	cl_snapshot_free(s);
	ck_assert_ptr_nonnull(strstr(h->log.s, "Warning Pod currencyservice/"));
	ck_assert_ptr_nonnull(strstr(h->log.s, "FailedScheduling: 0/1 nodes are "
	                                       "available: 1 Insufficient cpu."));
	/* Memory: recommendation asks 220Mi; 1 GiB minus 10 x 64Mi leaves 384Mi. */
	apply(h, "recommendationservice", "replicaCount=2", NULL);
	run_to(h, DES_S(10));
	c = count(h, "recommendationservice");
	ck_assert_int_eq(c.pending, 2); /* no CPU left either */
	s = cl_cluster_snapshot(h->cl);
	for (size_t i = 0; i < s->n_pods; i++)
		if (!s->pods[i].node && !strcmp(s->pods[i].deployment,
		                                "recommendationservice"))
			ck_assert_str_eq(s->pods[i].reason,
			                 "0/1 nodes are available: 1 Insufficient cpu.");
	cl_snapshot_free(s);
	/* Scaling down removes the pending pods first; the freed CPU lets one
	 * recommendation pod in, not the second (memory). */
	ck_assert_int_eq(cl_deploy_scale(h->cl, "currencyservice",
	                                 "currencyservice", 7), 0);
	run_to(h, DES_S(20));
	c = count(h, "currencyservice");
	ck_assert_int_eq(c.pods, 7);
	ck_assert_int_eq(c.ready, 7);
	c = count(h, "recommendationservice");
	ck_assert_int_eq(c.ready, 2);
	ck_assert_int_eq(c.pending, 0);
	apply(h, "recommendationservice", "replicaCount=3", NULL);
	run_to(h, DES_S(30));
	c = count(h, "recommendationservice");
	ck_assert_int_eq(c.pending, 1);
	s = cl_cluster_snapshot(h->cl);
	for (size_t i = 0; i < s->n_pods; i++)
		if (!s->pods[i].node)
			ck_assert_str_eq(s->pods[i].reason,
			                 "0/1 nodes are available: 1 Insufficient memory.");
	cl_snapshot_free(s);
	h_free(h);
}
END_TEST

START_TEST(node_cpu_puts_containers_on_their_nodes_cpu)
{
	static const cl_node_spec_t two[] = {{"a", 1500, 1LL << 30, 0},
	                                     {"b", 1500, 1LL << 30, 0}};
	for (int on = 0; on <= 1; on++) {
		h_t *h = h_new_cpu(3, two, 2, on);
		apply(h, "currencyservice", "replicaCount=2", NULL);
		run_to(h, DES_S(5));
		cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
		ck_assert_uint_eq(s->n_pods, 2);
		vrt_node_t *seen[2] = {NULL, NULL};
		for (size_t i = 0; i < s->n_pods; i++) {
			vrt_pod_t *vp = s->pods[i].container;
			ck_assert_ptr_nonnull(vp);
			ck_assert_ptr_nonnull(s->pods[i].node);
			vrt_node_t *vn = vrt_pod_node(vp);
			if (!on) {
				ck_assert_ptr_null(vn);
				continue;
			}
			/* The node's allocatable CPU, named as the node. */
			ck_assert_ptr_nonnull(vn);
			ck_assert_str_eq(vrt_node_name(vn), s->pods[i].node);
			ck_assert(vrt_node_cores(vn) == 1.5);
			seen[i] = vn;
		}
		if (on) /* least-allocated: one on each node */
			ck_assert_ptr_ne(seen[0], seen[1]);
		cl_snapshot_free(s);
		h_free(h);
	}
}
END_TEST

START_TEST(drain_moves_pods_and_cordon_blocks)
{
	h_t *h = h_new(4, NULL, 0);
	apply(h, "currencyservice", "replicaCount=3", NULL);
	run_to(h, DES_S(3));
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(s->nodes[i].pods, 1); /* spread */
	cl_snapshot_free(s);
	ck_assert_int_eq(cl_node_drain(h->cl, "node-1"), 0);
	run_to(h, DES_S(10));
	s = cl_cluster_snapshot(h->cl);
	ck_assert_int_eq(s->nodes[0].pods, 0);
	ck_assert_int_eq(s->nodes[0].cordoned, 1);
	ck_assert_uint_eq(s->n_pods, 3);
	cl_snapshot_free(s);
	ck_assert_int_eq(count(h, "currencyservice").ready, 3);
	cl_node_cordon(h->cl, "node-2", 1);
	cl_node_cordon(h->cl, "node-3", 1);
	cl_deploy_scale(h->cl, "currencyservice", "currencyservice", 4);
	run_to(h, DES_S(15));
	s = cl_cluster_snapshot(h->cl);
	for (size_t i = 0; i < s->n_pods; i++)
		if (!s->pods[i].node)
			ck_assert_str_eq(s->pods[i].reason, "0/3 nodes are available: "
			                                    "3 node(s) were unschedulable.");
	cl_snapshot_free(s);
	cl_node_cordon(h->cl, "node-1", 0);
	run_to(h, DES_S(20));
	ck_assert_int_eq(count(h, "currencyservice").ready, 4);
	h_free(h);
}
END_TEST

/* ---- pods dying ----------------------------------------------------------- */

START_TEST(deleted_pod_is_replaced_and_endpoints_follow)
{
	h_t *h = h_new(5, NULL, 0);
	apply(h, "productcatalogservice", "replicaCount=2", NULL);
	run_to(h, DES_S(3));
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 2);
	char victim[128];
	snprintf(victim, sizeof victim, "%s", pod_of(h, "productcatalogservice", 0));
	vrt_pod_t *old = cl_pod_container(h->cl, victim);
	ck_assert_int_eq(cl_pod_delete(h->cl, victim, -1), 0);
	ck_assert_int_eq(cl_pod_delete(h->cl, victim, -1), CL_ESTATE);
	/* Out of the endpoints at once; a replacement is created. */
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 1);
	run_to(h, DES_S(3) + DES_MS(1));
	counts_t c = count(h, "productcatalogservice");
	ck_assert_int_eq(c.pods, 2);
	ck_assert_int_eq(c.ready, 1);
	/* Calls keep working meanwhile, on the other pod. */
	result_t r = {0};
	list_products(h, CATALOG_FQDN, &r);
	run_to(h, DES_S(4));
	ck_assert_msg(r.status == RT_OK, "%s", r.msg);
	rt_msg_free(r.resp);
	ck_assert_int_eq(vrt_pod_state(old), VRT_POD_DEAD);
	/* The replacement is ready 2 s after it was created. */
	run_to(h, DES_S(5) - 1);
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 1);
	run_to(h, DES_S(5));
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 2);
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_uint_eq(s->n_pods, 2); /* the old one reaped */
	for (size_t i = 0; i < s->n_pods; i++)
		ck_assert_str_ne(s->pods[i].name, victim);
	cl_snapshot_free(s);
	ck_assert_ptr_null(strstr(h->log.s, "SuccessfulDelete"));
	ck_assert_ptr_nonnull(strstr(h->log.s, "Killing: Stopping container "
	                                       "productcatalogservice"));

	/* A killed container restarts in place after 10 s of back-off. */
	snprintf(victim, sizeof victim, "%s", pod_of(h, "productcatalogservice", 0));
	ck_assert_int_eq(cl_pod_kill(h->cl, victim), 0);
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 1);
	run_to(h, DES_S(15) - 1);
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 1);
	run_to(h, DES_S(15));
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 2);
	vrt_pod_t *again = cl_pod_container(h->cl, victim);
	ck_assert_ptr_nonnull(again);
	char want[160];
	snprintf(want, sizeof want, "%s#1", victim);
	ck_assert_str_eq(vrt_pod_name(again), want);
	s = cl_cluster_snapshot(h->cl);
	for (size_t i = 0; i < s->n_pods; i++)
		if (!strcmp(s->pods[i].name, victim))
			ck_assert_int_eq(s->pods[i].restarts, 1);
	cl_snapshot_free(s);
	h_free(h);
}
END_TEST

/* Collects the times of |reason| events of pods of |deploy|. */
static int times_of(h_t *h, const char *prefix, const char *reason,
                    des_time_t *out, int max)
{
	int n = 0;
	for (int i = 0; i < h->n_ev && n < max; i++)
		if (!strcmp(h->ev[i].reason, reason) &&
		    !strncmp(h->ev[i].name, prefix, strlen(prefix)))
			out[n++] = h->ev[i].t;
	return n;
}

START_TEST(crash_on_start_backs_off_10_20_40_to_5_minutes)
{
	h_t *h = h_new(6, NULL, 0);
	apply(h, "productcatalogservice", "env.EXTRA_LATENCY=abc", NULL);
	run_to(h, DES_S(1000));
	des_time_t t[32];
	int n = times_of(h, "productcatalogservice-", "Failed", t, 32);
	/* Starts at 2, 12, 32, 72, 152, 312, 612, 912. */
	static const int want[] = {2, 12, 32, 72, 152, 312, 612, 912};
	ck_assert_int_eq(n, 8);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(t[i], DES_S(want[i]));
	ck_assert_ptr_nonnull(strstr(h->log.s, "EXTRA_LATENCY=abc"));
	ck_assert_ptr_nonnull(strstr(h->log.s, "Back-off restarting failed "
	                                       "container productcatalogservice"));
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_uint_eq(s->n_pods, 1);
	ck_assert_str_eq(s->pods[0].status, "CrashLoopBackOff");
	ck_assert_int_eq(s->pods[0].phase, CL_POD_RUNNING);
	ck_assert_int_eq(s->pods[0].restarts, 7);
	ck_assert_int_eq(s->pods[0].ready, 0);
	ck_assert_ptr_nonnull(strstr(s->pods[0].reason, "CrashLoopBackOff"));
	cl_snapshot_free(s);
	ck_assert_uint_eq(eps(h, "productcatalogservice"), 0);
	result_t r = {0};
	list_products(h, CATALOG_FQDN, &r);
	run_to(h, now(h) + DES_MS(10));
	ck_assert_int_eq(r.status, RT_UNAVAILABLE);

	/* Fixing the env rolls out a pod that works; the crashing one goes. */
	ck_assert_int_eq(cl_deploy_set_env(h->cl, "productcatalogservice",
	                                   "productcatalogservice",
	                                   "EXTRA_LATENCY", NULL), 0);
	run_to(h, now(h) + DES_S(5));
	counts_t c = count(h, "productcatalogservice");
	ck_assert_int_eq(c.pods, 1);
	ck_assert_int_eq(c.ready, 1);
	s = cl_cluster_snapshot(h->cl);
	ck_assert_int_eq(s->deploys[0].revision, 2);
	ck_assert_int_eq(s->deploys[0].updated, 1);
	cl_snapshot_free(s);
	h_free(h);
}
END_TEST

START_TEST(hung_pod_leaves_endpoints_then_liveness_restarts_it)
{
	h_t *h = h_new(7, NULL, 0);
	apply(h, "currencyservice", "replicaCount=2", NULL);
	run_to(h, DES_S(3));
	char victim[128];
	snprintf(victim, sizeof victim, "%s", pod_of(h, "currencyservice", 0));
	ck_assert_int_eq(cl_pod_set_failing(h->cl, victim, 1), 0);
	/* Readiness every 5 s from 2 s: fails at 7, 12, 17 -> unready at 17.
	 * Liveness every 10 s after its 5 s delay: fails at 7, 17, 27 ->
	 * SIGTERM at 27 (nothing in flight: it stops at once), the relist
	 * sees it stopped at 28, back-off 10 s: started again at 38. */
	run_to(h, DES_S(17) - 1);
	ck_assert_uint_eq(eps(h, "currencyservice"), 2);
	run_to(h, DES_S(17));
	ck_assert_uint_eq(eps(h, "currencyservice"), 1);
	des_time_t t[8];
	run_to(h, DES_S(60));
	ck_assert_int_eq(times_of(h, victim, "Killing", t, 8), 1);
	ck_assert_int_eq(t[0], DES_S(27));
	ck_assert_int_eq(times_of(h, victim, "Started", t, 8), 2);
	ck_assert_int_eq(t[1], DES_S(38));
	ck_assert_uint_eq(eps(h, "currencyservice"), 2);
	h_free(h);
}
END_TEST

/* ---- rolling update ------------------------------------------------------- */

typedef struct watch {
	h_t *h;
	const char *deploy;
	int max_pods, min_ready, samples, armed;
} watch_t;

/* Before each engine event: the state after the previous one. */
static void on_des(void *user, des_time_t t, uint64_t seq, const char *label)
{
	watch_t *w = user;
	(void)t;
	(void)seq;
	(void)label;
	if (!w->armed)
		return;
	counts_t c = count(w->h, w->deploy);
	if (c.pods > w->max_pods)
		w->max_pods = c.pods;
	if (c.ready < w->min_ready)
		w->min_ready = c.ready;
	w->samples++;
}

static void rollout(const char *surge, const char *unavail, int max_pods,
                    int min_ready)
{
	h_t *h = h_new(8, NULL, 0);
	char a[64], b[64];
	snprintf(a, sizeof a, "strategy.rollingUpdate.maxSurge=%s", surge);
	snprintf(b, sizeof b, "strategy.rollingUpdate.maxUnavailable=%s", unavail);
	apply(h, "currencyservice", "replicaCount=4", a, b, NULL);
	run_to(h, DES_S(3));
	ck_assert_int_eq(count(h, "currencyservice").ready, 4);
	watch_t w = {h, "currencyservice", 0, 99, 0, 1};
	des_set_log(vrt_world_des(h->w), on_des, &w);
	ck_assert_int_eq(cl_deploy_set_image(h->cl, "currencyservice",
	                                     "currencyservice", "0.2.0"), 0);
	run_to(h, DES_S(60));
	w.armed = 0;
	ck_assert_int_gt(w.samples, 10);
	ck_assert_int_eq(w.max_pods, max_pods);
	ck_assert_int_eq(w.min_ready, min_ready);
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_uint_eq(s->n_pods, 4);
	ck_assert_int_eq(s->deploys[0].updated, 4);
	ck_assert_int_eq(s->deploys[0].ready, 4);
	ck_assert_str_eq(s->deploys[0].image_tag, "0.2.0");
	cl_snapshot_free(s);
	ck_assert_uint_eq(eps(h, "currencyservice"), 4);
	ck_assert_ptr_nonnull(strstr(h->log.s, "ScalingReplicaSet: Scaled down "
	                                       "replica set currencyservice-"));
	h_free(h);
}

START_TEST(rolling_update_respects_surge_and_unavailable)
{
	rollout("25%", "25%", 5, 3); /* 4 replicas: +1 / -1 */
	rollout("1", "0", 5, 4);
	rollout("0", "2", 4, 2);
}
END_TEST

/* ---- HPA ------------------------------------------------------------------ */

typedef struct load {
	h_t *h;
	des_time_t until, every;
	des_event_t ev;
	int sent, ok;
} load_t;

static void on_convert(void *user, rt_status_t st, const char *msg,
                       ProtobufCMessage *resp)
{
	load_t *l = user;
	(void)msg;
	l->ok += st == RT_OK;
	if (resp)
		rt_msg_free(resp);
}

static void load_tick(des_t *des, void *user)
{
	load_t *l = user;
	Hipstershop__Money from = HIPSTERSHOP__MONEY__INIT;
	from.currency_code = (char *)"USD";
	from.units = 10;
	Hipstershop__CurrencyConversionRequest req =
	    HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
	req.from = &from;
	req.to_code = (char *)"EUR";
	vrt_client_call(l->h->w, CURRENCY_FQDN, "hipstershop.CurrencyService",
	                "Convert", &req.base, &hipstershop__money__descriptor,
	                2 * RT_SEC, on_convert, l);
	l->sent++;
	if (des_now(des) + l->every < l->until)
		des_schedule_in(des, l->every, load_tick, l, &l->ev);
}

static int deploy_replicas(h_t *h, const char *name)
{
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	int r = -1;
	for (size_t i = 0; i < s->n_deploys; i++)
		if (!strcmp(s->deploys[i].name, name))
			r = s->deploys[i].replicas;
	cl_snapshot_free(s);
	return r;
}

START_TEST(hpa_scales_up_under_load_and_down_after_the_window)
{
	h_t *h = h_new(9, NULL, 0);
	/* 10 ms of CPU per Convert; 40 calls/s is 0.4 cores: 400 % of one
	 * pod's 100m request, so at a 50 % target the HPA wants 8 pods. */
	vrt_profile_t *p = vrt_profile_new();
	vrt_profile_set(p, NULL, VRT_DIST_CONSTANT, 10000, 0);
	vrt_world_set_profile(h->w, p);
	apply(h, "currencyservice", "autoscaling.enabled=true",
	      "autoscaling.minReplicas=1,autoscaling.maxReplicas=10",
	      "autoscaling.targetCPUUtilizationPercentage=50", NULL);
	load_t l = {h, DES_S(120), DES_MS(25), 0, 0, 0};
	des_schedule_at(vrt_world_des(h->w), DES_S(5), load_tick, &l, &l.ev);
	run_to(h, DES_S(29));
	ck_assert_int_eq(deploy_replicas(h, "currencyservice"), 1);
	run_to(h, DES_S(30));
	/* 15..30 s: the one pod saturated at its 200m limit: 200 % -> 4. */
	ck_assert_int_eq(deploy_replicas(h, "currencyservice"), 4);
	run_to(h, DES_S(120));
	ck_assert_int_eq(deploy_replicas(h, "currencyservice"), 8);
	ck_assert_int_eq(count(h, "currencyservice").ready, 8);
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_int_eq(s->deploys[0].hpa, 1);
	ck_assert_int_ge(s->deploys[0].hpa_current_percent, 45);
	ck_assert_int_le(s->deploys[0].hpa_current_percent, 55);
	cl_snapshot_free(s);
	/* Calls time out while one pod is saturated (until ~32 s). */
	ck_assert_int_gt(l.ok, l.sent * 6 / 10);
	/* Load stops at 120 s; the window keeps 8 until the last high
	 * recommendation (120 s) is 300 s old. */
	run_to(h, DES_S(419));
	ck_assert_int_eq(deploy_replicas(h, "currencyservice"), 8);
	run_to(h, DES_S(421));
	ck_assert_int_eq(deploy_replicas(h, "currencyservice"), 1);
	ck_assert_ptr_nonnull(strstr(h->log.s, "SuccessfulRescale: New size: 1; "
	                                       "reason: All metrics below target"));
	run_to(h, DES_S(430));
	ck_assert_int_eq(count(h, "currencyservice").pods, 1);
	h_free(h);
}
END_TEST

/* ---- a chart edited on disk ----------------------------------------------- */

static void copy_file(const char *from, const char *to, const char *find,
                      const char *repl)
{
	FILE *f = fopen(from, "rb");
	ck_assert_ptr_nonnull(f);
	char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	FILE *o = fopen(to, "wb");
	ck_assert_ptr_nonnull(o);
	char *at = find ? strstr(buf, find) : NULL;
	if (find)
		ck_assert_msg(at != NULL, "%s", find);
	if (at) {
		fwrite(buf, 1, (size_t)(at - buf), o);
		fputs(repl, o);
		fputs(at + strlen(find), o);
	} else {
		fputs(buf, o);
	}
	fclose(o);
}

START_TEST(editing_a_chart_value_moves_the_simulator)
{
	char dir[] = "/tmp/cluster_test_chart_XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/values.yaml", dir);
	copy_file(chart("currencyservice"), path, NULL, NULL);
	h_t *h = h_new(10, NULL, 0);
	char err[512];
	ck_assert_int_eq(cl_cluster_apply_file(h->cl, path, NULL, err, sizeof err), 0);
	run_to(h, DES_S(3));
	ck_assert_int_eq(count(h, "currencyservice").ready, 1);
	ck_assert(vrt_pod_cores(cl_pod_container(
	              h->cl, pod_of(h, "currencyservice", 0))) == 0.2);

	/* replicaCount: 1 -> 3: a scale, same ReplicaSet. */
	copy_file(chart("currencyservice"), path, "replicaCount: 1", "replicaCount: 3");
	ck_assert_int_eq(cl_cluster_apply_file(h->cl, path, NULL, err, sizeof err), 0);
	run_to(h, DES_S(6));
	ck_assert_int_eq(count(h, "currencyservice").ready, 3);
	ck_assert_uint_eq(eps(h, "currencyservice"), 3);

	/* limits.cpu 200m -> 500m: a new template, rolled out; every pod then
	 * has half a core. */
	char text[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	char tmp[300];
	snprintf(tmp, sizeof tmp, "%s/orig.yaml", dir);
	f = fopen(tmp, "wb");
	fputs(text, f);
	fclose(f);
	copy_file(tmp, path, "    cpu: 200m\n    memory: 128Mi",
	          "    cpu: 500m\n    memory: 128Mi");
	ck_assert_int_eq(cl_cluster_apply_file(h->cl, path, NULL, err, sizeof err), 0);
	run_to(h, DES_S(60));
	cl_snapshot_t *s = cl_cluster_snapshot(h->cl);
	ck_assert_uint_eq(s->n_pods, 3);
	for (size_t i = 0; i < s->n_pods; i++) {
		ck_assert(s->pods[i].ready);
		ck_assert(vrt_pod_cores(s->pods[i].container) == 0.5);
	}
	ck_assert_int_eq(s->deploys[0].revision, 2);
	cl_snapshot_free(s);
	/* A bad edit is refused with its place, and changes nothing. */
	copy_file(tmp, path, "replicaCount: 3", "replicaCount: three");
	ck_assert_int_eq(cl_cluster_apply_file(h->cl, path, NULL, err, sizeof err),
	                 CL_EVALUES);
	ck_assert_ptr_nonnull(strstr(err, "replicaCount: \"three\" is not an integer"));
	ck_assert_ptr_nonnull(strstr(err, path));
	run_to(h, DES_S(70));
	ck_assert_int_eq(count(h, "currencyservice").ready, 3);
	h_free(h);
	remove(path);
	remove(tmp);
	rmdir(dir);
}
END_TEST

/* ---- determinism ---------------------------------------------------------- */

static char *scenario(uint64_t seed)
{
	h_t *h = h_new(seed, NULL, 0);
	for (const char *const *c = leaf_charts; *c; c++)
		apply(h, *c, NULL);
	apply(h, "currencyservice", "replicaCount=3", NULL);
	run_to(h, DES_S(3));
	cl_pod_delete(h->cl, pod_of(h, "currencyservice", 1), -1);
	cl_pod_kill(h->cl, pod_of(h, "adservice", 0));
	cl_deploy_set_image(h->cl, "shippingservice", "shippingservice", "0.2.0");
	cl_deploy_set_env(h->cl, "emailservice", "emailservice", "PORT", "x");
	result_t r = {0};
	recommend(h, &r);
	run_to(h, DES_S(120));
	if (r.resp)
		rt_msg_free(r.resp);
	char *log = h->log.s;
	h->log.s = NULL;
	h_free(h);
	return log;
}

START_TEST(same_seed_same_events)
{
	char *a = scenario(42), *b = scenario(42), *c = scenario(43);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c); /* pod names come from the seed */
	ck_assert_ptr_nonnull(strstr(a, "Back-off restarting failed container "
	                                "adservice"));
	free(a);
	free(b);
	free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("cluster");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, real_charts_come_up_and_serve);
	tcase_add_test(tc, node_cpu_puts_containers_on_their_nodes_cpu);
	tcase_add_test(tc, canary_deployment_joins_the_service);
	tcase_add_test(tc, replicas_that_do_not_fit_stay_pending);
	tcase_add_test(tc, drain_moves_pods_and_cordon_blocks);
	tcase_add_test(tc, deleted_pod_is_replaced_and_endpoints_follow);
	tcase_add_test(tc, crash_on_start_backs_off_10_20_40_to_5_minutes);
	tcase_add_test(tc, hung_pod_leaves_endpoints_then_liveness_restarts_it);
	tcase_add_test(tc, rolling_update_respects_surge_and_unavailable);
	tcase_add_test(tc, hpa_scales_up_under_load_and_down_after_the_window);
	tcase_add_test(tc, editing_a_chart_value_moves_the_simulator);
	tcase_add_test(tc, same_seed_same_events);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
