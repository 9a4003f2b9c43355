/* tests/dataplane/sidecar_test.c: the virtual data plane (sim/dataplane/
 * sidecar.h) on a vrt world with the real currency service (gRPC) and the
 * live tests' HTTP service, policies from inline Istio YAML: STRICT refuses
 * plaintext and accepts mTLS, AuthorizationPolicy denials (gRPC and HTTP)
 * with their observations, certificate expiry and renewal, canary weights,
 * an empty subset, faults, retries, and pooled connections (Check, fork
 * mode). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "currency/currency.h"
#include "payment/payment.h"
#include "httpsvc.h"
#include "mtls.h"
#include "proto/demo.pb-c.h"
#include "sidecar.h"
#include "vrt.h"

#define EPOCH ((rt_time_t)1767225600 * RT_SEC)
#define CUR_HOST "currencyservice.currencyservice.svc.cluster.local"
#define WEB_HOST "web.web.svc.cluster.local"

/* Head of every config: mesh-wide STRICT, the namespaces. */
static const char *const STRICT_MESH =
    "apiVersion: security.istio.io/v1\n"
    "kind: PeerAuthentication\n"
    "metadata: {name: default, namespace: istio-system}\n"
    "spec: {mtls: {mode: STRICT}}\n";

/* Only frontend may call currency; only frontend may call web. */
static const char *const AUTHZ =
    "---\n"
    "apiVersion: security.istio.io/v1\n"
    "kind: AuthorizationPolicy\n"
    "metadata: {name: currency, namespace: currencyservice}\n"
    "spec:\n"
    "  selector: {matchLabels: {app: currencyservice}}\n"
    "  action: ALLOW\n"
    "  rules:\n"
    "  - from: [{source: {principals: [cluster.local/ns/frontend/sa/frontend]}}]\n"
    "---\n"
    "apiVersion: security.istio.io/v1\n"
    "kind: AuthorizationPolicy\n"
    "metadata: {name: web, namespace: web}\n"
    "spec:\n"
    "  selector: {matchLabels: {app: web}}\n"
    "  action: ALLOW\n"
    "  rules:\n"
    "  - from: [{source: {principals: [cluster.local/ns/frontend/sa/frontend]}}]\n";

static const char *const SUBSETS =
    "---\n"
    "apiVersion: networking.istio.io/v1\n"
    "kind: DestinationRule\n"
    "metadata: {name: currency, namespace: currencyservice}\n"
    "spec:\n"
    "  host: " CUR_HOST "\n"
    "  subsets:\n"
    "  - {name: v1, labels: {version: v1}}\n"
    "  - {name: v2, labels: {version: v2}}\n"
    "  - {name: v3, labels: {version: v3}}\n";

/* ---- a small world ------------------------------------------------------- */

typedef struct obs_rec {
	vrt_reporter_t who;
	uint64_t id;
	char server[64];
	rt_status_t status;
	int http_status;
	char flags[32];
	int mtls;
	des_time_t start, end;
} obs_rec_t;

typedef struct h {
	vrt_world_t *w;
	mesh_config_t cfg;
	dp_sidecars_t *sc;
	vrt_pod_t *cur1, *cur2, *web, *fe, *fe1, *ck, *nosc;
	obs_rec_t *obs;
	size_t nobs;
	int done;
	rt_status_t last_st;
	int last_http;
} h_t;

typedef struct who {
	const char *pod, *ns, *app, *version;
	int sidecar;
} who_t;

static const who_t WHO[] = {
    {"cur-v1", "currencyservice", "currencyservice", "v1", 1},
    {"cur-v2", "currencyservice", "currencyservice", "v2", 1},
    {"web-0", "web", "web", NULL, 1},
    {"fe-0", "frontend", "frontend", NULL, 1},
    {"fe-1", "frontend", "frontend", NULL, 1},
    {"ck-0", "checkoutservice", "checkoutservice", NULL, 1},
    {"debug-0", "monitoring", "debug", NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static int identify(void *user, const vrt_pod_t *pod, dp_workload_t *out)
{
	(void)user;
	for (const who_t *w = WHO; w->pod; w++)
		if (!strcmp(w->pod, vrt_pod_name(pod))) {
			*out = (dp_workload_t){w->ns, w->app, w->version, w->app,
			                       w->sidecar};
			return 0;
		}
	return -1;
}

static void on_obs(void *user, const vrt_obs_t *o)
{
	h_t *h = user;
	h->obs = realloc(h->obs, (h->nobs + 1) * sizeof *h->obs);
	ck_assert_ptr_nonnull(h->obs);
	obs_rec_t *r = &h->obs[h->nobs++];
	memset(r, 0, sizeof *r);
	r->who = o->reporter;
	r->id = o->id;
	snprintf(r->server, sizeof r->server, "%s",
	         o->server ? vrt_pod_name(o->server) : "-");
	r->status = o->status;
	r->http_status = o->http_status;
	snprintf(r->flags, sizeof r->flags, "%s", o->response_flags);
	r->mtls = o->mtls;
	r->start = o->start;
	r->end = o->end;
}

static vrt_pod_t *start(h_t *h, const rt_service_t *svc, const char *name)
{
	vrt_pod_t *p = NULL;
	ck_assert_int_eq(vrt_pod_start(h->w, svc, name, NULL, 1.0, &p), 0);
	return p;
}

static h_t *h_new(const char *yaml, int no_cache)
{
	h_t *h = calloc(1, sizeof *h);
	ck_assert_ptr_nonnull(h);
	h->w = vrt_world_new(7, EPOCH);
	ck_assert_ptr_nonnull(h->w);
	vrt_world_set_obs(h->w, on_obs, h);
	h->cur1 = start(h, &currency_service, "cur-v1");
	h->cur2 = start(h, &currency_service, "cur-v2");
	h->web = start(h, &httpsvc_service, "web-0");
	h->fe = start(h, &currency_service, "fe-0");
	h->fe1 = start(h, &currency_service, "fe-1");
	h->ck = start(h, &currency_service, "ck-0");
	h->nosc = start(h, &currency_service, "debug-0");
	vrt_endpoints_t *cur = vrt_endpoints_new(h->w, "currencyservice/currencyservice",
	                                         VRT_LB_ROUND_ROBIN);
	vrt_endpoints_t *web = vrt_endpoints_new(h->w, "web/web", VRT_LB_ROUND_ROBIN);
	ck_assert_int_eq(vrt_endpoints_add(cur, h->cur1), 0);
	ck_assert_int_eq(vrt_endpoints_add(cur, h->cur2), 0);
	ck_assert_int_eq(vrt_endpoints_add(web, h->web), 0);
	ck_assert_int_eq(vrt_world_bind(h->w, "currencyservice:7000", cur), 0);
	ck_assert_int_eq(vrt_world_bind(h->w, CUR_HOST ":7000", cur), 0);
	ck_assert_int_eq(vrt_world_bind(h->w, "web:80", web), 0);
	ck_assert_int_eq(vrt_world_bind(h->w, WEB_HOST ":80", web), 0);

	ck_assert_int_eq(mesh_config_init(&h->cfg), 0);
	mesh_diags_t d = {0};
	ck_assert_int_ge(mesh_config_load_string(&h->cfg, "test.yaml", yaml, &d), 0);
	mesh_config_resolve(&h->cfg, &d);
	if (d.nerrors)
		mesh_diags_print(&d, stderr);
	ck_assert_uint_eq(d.nerrors, 0);
	mesh_diags_free(&d);
	dp_config_t dc = {.mesh = &h->cfg, .identify = identify,
	                  .no_handshake_cache = no_cache};
	char err[256];
	ck_assert_int_eq(dp_sidecars_new(h->w, &dc, &h->sc, err, sizeof err), 0);
	return h;
}

static void h_free(h_t *h)
{
	dp_sidecars_free(h->sc);
	vrt_world_free(h->w);
	mesh_config_free(&h->cfg);
	free(h->obs);
	free(h);
}

static void grpc_done(void *user, rt_status_t st, const char *msg,
                      ProtobufCMessage *resp)
{
	h_t *h = user;
	(void)msg;
	h->done++;
	h->last_st = st;
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
}

/* GetSupportedCurrencies from |from| (NULL: outside) to currency. */
static void call_cur(h_t *h, vrt_pod_t *from)
{
	Hipstershop__Empty req = HIPSTERSHOP__EMPTY__INIT;
	rt_invoke_t *inv;
	if (from)
		inv = rt_invoke(vrt_pod_rt(from), "currencyservice:7000",
		                "hipstershop.CurrencyService",
		                "GetSupportedCurrencies", &req.base,
		                &hipstershop__get_supported_currencies_response__descriptor,
		                NULL, grpc_done, h);
	else
		inv = vrt_client_call(h->w, "currencyservice:7000",
		                      "hipstershop.CurrencyService",
		                      "GetSupportedCurrencies", &req.base,
		                      &hipstershop__get_supported_currencies_response__descriptor,
		                      0, grpc_done, h);
	ck_assert_ptr_nonnull(inv);
}

static void http_done(void *user, rt_status_t st, const char *msg,
                      const rt_http_response_t *resp)
{
	h_t *h = user;
	(void)msg;
	h->done++;
	h->last_st = st;
	h->last_http = resp ? resp->status : 0;
}

static void call_web(h_t *h, vrt_pod_t *from, const char *target)
{
	rt_invoke_t *inv = rt_http_invoke(vrt_pod_rt(from), "web:80", "GET",
	                                  target, NULL, 0, NULL, 0, NULL,
	                                  http_done, h);
	ck_assert_ptr_nonnull(inv);
}

static void settle(h_t *h)
{
	vrt_run(h->w, des_now(vrt_world_des(h->w)) + DES_S(30));
}

/* The last observation of call |id| by |who|. */
static const obs_rec_t *obs_of(const h_t *h, vrt_reporter_t who)
{
	for (size_t i = h->nobs; i-- > 0;)
		if (h->obs[i].who == who)
			return &h->obs[i];
	return NULL;
}

static size_t count_server_obs(const h_t *h)
{
	size_t n = 0;
	for (size_t i = 0; i < h->nobs; i++)
		n += h->obs[i].who == VRT_REPORT_SERVER;
	return n;
}

/* ---- PeerAuthentication -------------------------------------------------- */

START_TEST(strict_refuses_plaintext_accepts_mtls)
{
	h_t *h = h_new(STRICT_MESH, 0);
	/* A pod without a sidecar speaks plaintext: refused. */
	call_cur(h, h->nosc);
	settle(h);
	ck_assert_int_eq(h->done, 1);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	const obs_rec_t *c = obs_of(h, VRT_REPORT_CLIENT);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->flags, "UF");
	ck_assert_int_eq(c->mtls, 0);
	ck_assert_uint_eq(count_server_obs(h), 0); /* the app never saw it */
	/* From outside without a gateway: plaintext too, and nobody to
	 * name as their source. */
	dp_workload_t gw;
	ck_assert_int_eq(dp_sidecars_gateway(h->sc, &gw), -1);
	ck_assert_ptr_null(dp_sidecars_principal(h->sc, NULL));
	call_cur(h, NULL);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	/* A pod with a sidecar: mTLS, accepted. */
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->done, 3);
	ck_assert_int_eq(h->last_st, RT_OK);
	c = obs_of(h, VRT_REPORT_CLIENT);
	ck_assert_str_eq(c->flags, "-");
	ck_assert_int_eq(c->mtls, 1);
	const obs_rec_t *s = obs_of(h, VRT_REPORT_SERVER);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->mtls, 1);
	ck_assert_str_eq(dp_sidecars_principal(h->sc, h->fe),
	                 "cluster.local/ns/frontend/sa/frontend");
	ck_assert_ptr_null(dp_sidecars_principal(h->sc, h->nosc));
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	ck_assert_uint_eq(st.plaintext_refused, 2);
	ck_assert_uint_eq(st.handshakes, 1);
	ck_assert_uint_eq(st.handshakes_real, 1);
	/* Sidecar CPU per pod: the one call that went through costs each
	 * side a request and its half of the handshake; refused ones nothing
	 * (they never got past the server's sidecar's TLS check). */
	ck_assert(dp_sidecars_cpu_us(h->sc, h->fe) ==
	          DP_SIDECAR_CPU_US + MTLS_COST_EC_CLIENT_US);
	ck_assert(dp_sidecars_cpu_us(h->sc, h->cur1) +
	              dp_sidecars_cpu_us(h->sc, h->cur2) ==
	          DP_SIDECAR_CPU_US + MTLS_COST_EC_SERVER_US);
	ck_assert(dp_sidecars_cpu_us(h->sc, h->nosc) == 0);
	ck_assert(dp_sidecars_cpu_us(h->sc, NULL) == 0); /* no gateway */
	ck_assert(dp_sidecars_cpu_us(h->sc, h->ck) == 0); /* never seen */
	ck_assert(st.sidecar_cpu_us ==
	          2 * DP_SIDECAR_CPU_US + MTLS_COST_EC_CLIENT_US +
	              MTLS_COST_EC_SERVER_US);
	h_free(h);
}
END_TEST

START_TEST(permissive_accepts_plaintext)
{
	h_t *h = h_new("apiVersion: security.istio.io/v1\n"
	               "kind: PeerAuthentication\n"
	               "metadata: {name: default, namespace: currencyservice}\n"
	               "spec: {mtls: {mode: PERMISSIVE}}\n",
	               0);
	call_cur(h, h->nosc);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	ck_assert_int_eq(obs_of(h, VRT_REPORT_CLIENT)->mtls, 0);
	h_free(h);
}
END_TEST

START_TEST(strict_namespace_only)
{
	/* STRICT in namespace currencyservice only: plaintext is refused
	 * there and accepted by web (nothing applies: PERMISSIVE). */
	h_t *h = h_new("apiVersion: security.istio.io/v1\n"
	               "kind: PeerAuthentication\n"
	               "metadata: {name: default, namespace: currencyservice}\n"
	               "spec: {mtls: {mode: STRICT}}\n",
	               0);
	call_cur(h, h->nosc);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	call_web(h, h->nosc, "/hello");
	settle(h);
	ck_assert_int_eq(h->last_http, 200);
	ck_assert_int_eq(obs_of(h, VRT_REPORT_CLIENT)->mtls, 0);
	/* With a sidecar, both are mTLS. */
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	ck_assert_int_eq(obs_of(h, VRT_REPORT_CLIENT)->mtls, 1);
	h_free(h);
}
END_TEST

/* ---- AuthorizationPolicy ------------------------------------------------- */

START_TEST(authz_denies_grpc)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml, "%s%s", STRICT_MESH, AUTHZ);
	h_t *h = h_new(yaml, 0);
	call_cur(h, h->ck); /* checkout may not call currency here */
	settle(h);
	ck_assert_int_eq(h->last_st, RT_PERMISSION_DENIED);
	const obs_rec_t *c = obs_of(h, VRT_REPORT_CLIENT);
	const obs_rec_t *s = obs_of(h, VRT_REPORT_SERVER);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(c->status, RT_PERMISSION_DENIED);
	ck_assert_int_eq(s->status, RT_PERMISSION_DENIED);
	ck_assert_str_eq(c->flags, "-");
	ck_assert_str_eq(s->flags, "-");
	ck_assert_int_eq(c->mtls, 1);
	ck_assert_int_eq(s->mtls, 1);
	/* Istio's labels for it: response_code 200 with grpc_response_status
	 * 7, response_flags "-", connection_security_policy mutual_tls, and
	 * the principals the handshake verified. */
	ck_assert_int_eq(c->http_status, 0);
	ck_assert_str_eq(dp_sidecars_principal(h->sc, h->ck),
	                 "cluster.local/ns/checkoutservice/sa/checkoutservice");
	ck_assert_str_eq(dp_sidecars_principal(h->sc, h->cur1),
	                 "cluster.local/ns/currencyservice/sa/currencyservice");
	/* No CPU of the app was spent on it. */
	uint64_t jobs;
	vrt_pod_cpu(h->cur1, NULL, NULL, &jobs);
	uint64_t jobs2;
	vrt_pod_cpu(h->cur2, NULL, NULL, &jobs2);
	ck_assert_uint_eq(jobs + jobs2, 0);
	/* frontend may. */
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	ck_assert_uint_eq(st.denied, 1);
	h_free(h);
}
END_TEST

START_TEST(authz_denies_http_403)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml, "%s%s", STRICT_MESH, AUTHZ);
	h_t *h = h_new(yaml, 0);
	call_web(h, h->ck, "/hello");
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK); /* a response came: 403 */
	ck_assert_int_eq(h->last_http, 403);
	const obs_rec_t *c = obs_of(h, VRT_REPORT_CLIENT);
	const obs_rec_t *s = obs_of(h, VRT_REPORT_SERVER);
	ck_assert_int_eq(c->http_status, 403);
	ck_assert_int_eq(s->http_status, 403);
	ck_assert_int_eq(c->mtls, 1);
	ck_assert_str_eq(c->flags, "-");
	call_web(h, h->fe, "/hello");
	settle(h);
	ck_assert_int_eq(h->last_http, 200);
	h_free(h);
}
END_TEST

/* The shop's own manifests (k8s/istio): only checkout may call payment. */
static int shop_identify(void *user, const vrt_pod_t *pod, dp_workload_t *out)
{
	(void)user;
	const char *n = vrt_pod_name(pod);
	const char *app = !strncmp(n, "pay", 3)  ? "paymentservice"
	                  : !strncmp(n, "fe", 2) ? "frontend"
	                                         : "checkoutservice";
	*out = (dp_workload_t){app, app, "stable", app, -1};
	return 0;
}

static void pay_done(void *user, rt_status_t st, const char *msg,
                     ProtobufCMessage *resp)
{
	rt_status_t *out = user;
	(void)msg;
	*out = st;
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
}

START_TEST(shop_policy_frontend_to_payment_denied)
{
	const char *src = getenv("MESHSIM_SRCDIR");
	char dir[4096], err[512];
	snprintf(dir, sizeof dir, "%s/k8s/istio", src ? src : ".");
	mesh_config_t cfg;
	ck_assert_int_eq(mesh_config_init(&cfg), 0);
	ck_assert_msg(dp_mesh_load_dir(&cfg, dir, err, sizeof err) == 0, "%s", err);
	vrt_world_t *w = vrt_world_new(3, EPOCH);
	vrt_pod_t *pay, *fe, *ck;
	ck_assert_int_eq(vrt_pod_start(w, &payment_service, "pay-0", NULL, 1, &pay), 0);
	ck_assert_int_eq(vrt_pod_start(w, &currency_service, "fe-0", NULL, 1, &fe), 0);
	ck_assert_int_eq(vrt_pod_start(w, &currency_service, "ck-0", NULL, 1, &ck), 0);
	vrt_endpoints_t *eps = vrt_endpoints_new(w, "paymentservice/paymentservice",
	                                         VRT_LB_ROUND_ROBIN);
	ck_assert_int_eq(vrt_endpoints_add(eps, pay), 0);
	ck_assert_int_eq(vrt_world_bind(w, "paymentservice:50051", eps), 0);
	dp_config_t dc = {.mesh = &cfg, .identify = shop_identify};
	dp_sidecars_t *sc;
	ck_assert_int_eq(dp_sidecars_new(w, &dc, &sc, err, sizeof err), 0);
	Hipstershop__ChargeRequest req = HIPSTERSHOP__CHARGE_REQUEST__INIT;
	rt_status_t from_fe = RT_OK, from_ck = RT_OK;
	ck_assert_ptr_nonnull(rt_invoke(vrt_pod_rt(fe), "paymentservice:50051",
	                                "hipstershop.PaymentService", "Charge",
	                                &req.base, &hipstershop__charge_response__descriptor,
	                                NULL, pay_done, &from_fe));
	ck_assert_ptr_nonnull(rt_invoke(vrt_pod_rt(ck), "paymentservice:50051",
	                                "hipstershop.PaymentService", "Charge",
	                                &req.base, &hipstershop__charge_response__descriptor,
	                                NULL, pay_done, &from_ck));
	vrt_run(w, DES_S(10));
	ck_assert_int_eq(from_fe, RT_PERMISSION_DENIED);
	/* Checkout gets through to the app, which judges the (empty) card. */
	ck_assert_int_ne(from_ck, RT_PERMISSION_DENIED);
	uint64_t jobs;
	vrt_pod_cpu(pay, NULL, NULL, &jobs);
	ck_assert_uint_eq(jobs, 1);
	dp_sidecars_free(sc);
	vrt_world_free(w);
	mesh_config_free(&cfg);
}
END_TEST

/* ---- certificates -------------------------------------------------------- */

START_TEST(expired_certificate_fails_handshake)
{
	h_t *h = h_new(STRICT_MESH, 0);
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	/* The CA goes down: no renewal; 25 h later the certificates (24 h)
	 * have expired. An established connection keeps working (Envoy
	 * never re-verifies), a new one fails its handshake. */
	dp_sidecars_set_ca(h->sc, 0);
	vrt_run(h->w, DES_S(25 * 3600));
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	/* Another pod of the same identity: its certificate is the same,
	 * expired one; its connections are new. */
	call_cur(h, h->fe1);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	const obs_rec_t *c = obs_of(h, VRT_REPORT_CLIENT);
	ck_assert_str_eq(c->flags, "UF,URX"); /* connect-failure retried */
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	/* The try and its 2 retries at least (the balancer may also have
	 * sent fe-0 to a pod it had no connection with); failures are never
	 * cached: each is a real handshake, as is the first one. */
	ck_assert_uint_ge(st.handshake_failures, 3);
	ck_assert_uint_eq(st.handshakes_real, 1 + st.handshake_failures);
	h_free(h);
}
END_TEST

START_TEST(renewed_certificate_handshakes_again)
{
	h_t *h = h_new(STRICT_MESH, 0);
	call_cur(h, h->fe);
	settle(h);
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	uint64_t issued = st.certs_issued;
	ck_assert_uint_eq(issued, 2);
	vrt_run(h->w, DES_S(25 * 3600));
	call_cur(h, h->ck);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	dp_sidecars_stats(h->sc, &st);
	ck_assert_uint_gt(st.certs_issued, issued); /* renewed at half-life */
	ck_assert_uint_eq(st.handshakes_real, 2);
	h_free(h);
}
END_TEST

/* ---- routing ------------------------------------------------------------- */

START_TEST(weights_split_to_canary)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: currency, namespace: currencyservice}\n"
	         "spec:\n"
	         "  hosts: [" CUR_HOST "]\n"
	         "  http:\n"
	         "  - route:\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v1}, weight: 80}\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v2}, weight: 20}\n",
	         STRICT_MESH, SUBSETS);
	h_t *h = h_new(yaml, 0);
	for (int i = 0; i < 1000; i++)
		call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->done, 1000);
	size_t v2 = 0;
	for (size_t i = 0; i < h->nobs; i++)
		if (h->obs[i].who == VRT_REPORT_SERVER)
			v2 += !strcmp(h->obs[i].server, "cur-v2");
	/* 200 expected; binomial sd ~12.6. */
	ck_assert_uint_ge(v2, 160);
	ck_assert_uint_le(v2, 240);
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	/* Pooled: one connection (one handshake) per (client, server pod);
	 * both pods present the same identity, so OpenSSL ran once. */
	ck_assert_uint_eq(st.handshakes, 2);
	ck_assert_uint_eq(st.handshakes_real, 1);
	h_free(h);
}
END_TEST

/* dp_sidecars_set_weights: the next calls follow the new weights; 0/100
 * sends every call to one subset; bad arguments and unknown hosts are
 * DP_EINVAL and change nothing. */
START_TEST(set_weights_at_run_time)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: currency, namespace: currencyservice}\n"
	         "spec:\n"
	         "  hosts: [" CUR_HOST "]\n"
	         "  http:\n"
	         "  - route:\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v1}, weight: 90}\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v2}, weight: 10}\n",
	         STRICT_MESH, SUBSETS);
	h_t *h = h_new(yaml, 0);
	static const char *const subsets[2] = {"v1", "v2"};
	int w[2] = {0, 100};
	ck_assert_int_eq(dp_sidecars_set_weights(h->sc, CUR_HOST, subsets, w, 2),
	                 2);
	for (int i = 0; i < 200; i++)
		call_cur(h, h->fe);
	settle(h);
	size_t v2 = 0, served = 0;
	for (size_t i = 0; i < h->nobs; i++)
		if (h->obs[i].who == VRT_REPORT_SERVER) {
			served++;
			v2 += !strcmp(h->obs[i].server, "cur-v2");
		}
	ck_assert_uint_eq(served, 200);
	ck_assert_uint_eq(v2, 200);
	/* Back to all stable. */
	w[0] = 100;
	w[1] = 0;
	ck_assert_int_eq(dp_sidecars_set_weights(h->sc, CUR_HOST, subsets, w, 2),
	                 2);
	size_t before = h->nobs;
	for (int i = 0; i < 200; i++)
		call_cur(h, h->fe);
	settle(h);
	v2 = served = 0;
	for (size_t i = before; i < h->nobs; i++)
		if (h->obs[i].who == VRT_REPORT_SERVER) {
			served++;
			v2 += !strcmp(h->obs[i].server, "cur-v2");
		}
	ck_assert_uint_eq(served, 200);
	ck_assert_uint_eq(v2, 0);
	/* Errors. */
	static const char *const nope[1] = {"v3"};
	int bad[2] = {101, 0};
	ck_assert_int_eq(dp_sidecars_set_weights(h->sc, CUR_HOST, nope, w, 1),
	                 DP_EINVAL);
	ck_assert_int_eq(dp_sidecars_set_weights(h->sc, "nowhere.svc", subsets,
	                                         w, 2),
	                 DP_EINVAL);
	ck_assert_int_eq(dp_sidecars_set_weights(h->sc, CUR_HOST, subsets, bad,
	                                         2),
	                 DP_EINVAL);
	ck_assert_int_eq(dp_sidecars_set_weights(h->sc, CUR_HOST, subsets, w, 0),
	                 DP_EINVAL);
	h_free(h);
}
END_TEST

START_TEST(empty_subset_is_uh)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: currency, namespace: currencyservice}\n"
	         "spec:\n"
	         "  hosts: [" CUR_HOST "]\n"
	         "  http:\n"
	         "  - route:\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v3}}\n",
	         STRICT_MESH, SUBSETS);
	h_t *h = h_new(yaml, 0);
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	ck_assert_str_eq(obs_of(h, VRT_REPORT_CLIENT)->flags, "UH");
	ck_assert_uint_eq(count_server_obs(h), 0);
	h_free(h);
}
END_TEST

START_TEST(gateway_only_route_does_not_apply_east_west)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: Gateway\n"
	         "metadata: {name: gw, namespace: istio-system}\n"
	         "spec:\n"
	         "  selector: {istio: ingressgateway}\n"
	         "  servers:\n"
	         "  - {port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}\n"
	         "---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: currency, namespace: istio-system}\n"
	         "spec:\n"
	         "  hosts: ['*']\n"
	         "  gateways: [istio-system/gw]\n"
	         "  http:\n"
	         "  - route:\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v2, port: {number: 7000}}}\n",
	         STRICT_MESH, SUBSETS);
	h_t *h = h_new(yaml, 0);
	/* Between pods: the gateway's route does not apply; both pods. */
	for (int i = 0; i < 20; i++)
		call_cur(h, h->fe);
	settle(h);
	size_t v1 = 0;
	for (size_t i = 0; i < h->nobs; i++)
		if (h->obs[i].who == VRT_REPORT_SERVER)
			v1 += !strcmp(h->obs[i].server, "cur-v1");
	ck_assert_uint_gt(v1, 0);
	/* Through the gateway: v2 only, mTLS from the gateway's identity. */
	size_t before = h->nobs;
	for (int i = 0; i < 20; i++)
		call_cur(h, NULL);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	for (size_t i = before; i < h->nobs; i++) {
		if (h->obs[i].who == VRT_REPORT_SERVER)
			ck_assert_str_eq(h->obs[i].server, "cur-v2");
		ck_assert_int_eq(h->obs[i].mtls, 1);
	}
	ck_assert_str_eq(dp_sidecars_principal(h->sc, NULL),
	                 "cluster.local/ns/istio-system/sa/istio-ingressgateway");
	/* Who those calls come from, for the metrics' source labels. */
	dp_workload_t gw;
	ck_assert_int_eq(dp_sidecars_gateway(h->sc, &gw), 0);
	ck_assert_str_eq(gw.ns, "istio-system");
	ck_assert_str_eq(gw.app, "istio-ingressgateway");
	ck_assert_ptr_null(gw.version);
	ck_assert_str_eq(gw.sa, "istio-ingressgateway");
	ck_assert_int_eq(gw.has_sidecar, 1);
	/* Every sidecar's CPU, the gateway's included, adds up to the
	 * total; the gateway charged one request per call it forwarded
	 * (20) and the client half of its handshakes. */
	const vrt_pod_t *pods[] = {h->cur1, h->cur2, h->web, h->fe,
	                           h->fe1,  h->ck,   h->nosc, NULL};
	double sum = 0;
	for (size_t i = 0; i < sizeof pods / sizeof pods[0]; i++)
		sum += dp_sidecars_cpu_us(h->sc, pods[i]);
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	ck_assert_double_eq_tol(sum, st.sidecar_cpu_us, 1e-6);
	double g = dp_sidecars_cpu_us(h->sc, NULL);
	ck_assert_double_ge(g, 20 * DP_SIDECAR_CPU_US + MTLS_COST_EC_CLIENT_US);
	ck_assert_double_le(g, 20 * DP_SIDECAR_CPU_US +
	                           2 * MTLS_COST_EC_CLIENT_US);
	h_free(h);
}
END_TEST

/* ---- faults and retries -------------------------------------------------- */

START_TEST(fault_abort_and_delay)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: currency, namespace: currencyservice}\n"
	         "spec:\n"
	         "  hosts: [" CUR_HOST "]\n"
	         "  http:\n"
	         "  - match: [{sourceLabels: {app: frontend}}]\n"
	         "    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}\n"
	         "    route: [{destination: {host: " CUR_HOST "}}]\n"
	         "  - fault: {delay: {fixedDelay: 2s, percentage: {value: 100}}}\n"
	         "    route: [{destination: {host: " CUR_HOST "}}]\n",
	         STRICT_MESH);
	h_t *h = h_new(yaml, 0);
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	ck_assert_str_eq(obs_of(h, VRT_REPORT_CLIENT)->flags, "FI");
	ck_assert_uint_eq(count_server_obs(h), 0); /* no retry on a fault route */
	call_cur(h, h->ck);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	const obs_rec_t *c = obs_of(h, VRT_REPORT_CLIENT);
	ck_assert_str_eq(c->flags, "DI");
	ck_assert_int_ge(c->end - c->start, DES_S(2));
	h_free(h);
}
END_TEST

START_TEST(retries_exhausted_urx)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: web, namespace: web}\n"
	         "spec:\n"
	         "  hosts: [" WEB_HOST "]\n"
	         "  http:\n"
	         "  - retries: {attempts: 3, retryOn: 5xx}\n"
	         "    route: [{destination: {host: " WEB_HOST "}}]\n",
	         STRICT_MESH);
	h_t *h = h_new(yaml, 0);
	call_web(h, h->fe, "/status?s=503");
	settle(h);
	ck_assert_int_eq(h->last_http, 503);
	ck_assert_str_eq(obs_of(h, VRT_REPORT_CLIENT)->flags, "URX");
	ck_assert_uint_eq(count_server_obs(h), 4); /* the try and 3 retries */
	/* A 404 is not retried under 5xx. */
	size_t before = count_server_obs(h);
	call_web(h, h->fe, "/status?s=404");
	settle(h);
	ck_assert_int_eq(h->last_http, 404);
	ck_assert_uint_eq(count_server_obs(h), before + 1);
	ck_assert_str_eq(obs_of(h, VRT_REPORT_CLIENT)->flags, "-");
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	ck_assert_uint_eq(st.retries, 3);
	ck_assert_uint_eq(st.flags[DP_FLAG_URX], 1);
	h_free(h);
}
END_TEST

START_TEST(client_plaintext_to_strict_is_uc)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: DestinationRule\n"
	         "metadata: {name: currency, namespace: currencyservice}\n"
	         "spec:\n"
	         "  host: " CUR_HOST "\n"
	         "  trafficPolicy: {tls: {mode: DISABLE}}\n",
	         STRICT_MESH);
	h_t *h = h_new(yaml, 0);
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	const obs_rec_t *c = obs_of(h, VRT_REPORT_CLIENT);
	ck_assert_str_eq(c->flags, "UC");
	ck_assert_int_eq(c->mtls, 0);
	ck_assert_uint_eq(count_server_obs(h), 0);
	h_free(h);
}
END_TEST

START_TEST(pool_overflow_is_uo)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: DestinationRule\n"
	         "metadata: {name: currency, namespace: currencyservice}\n"
	         "spec:\n"
	         "  host: " CUR_HOST "\n"
	         "  trafficPolicy: {connectionPool: {http: {http2MaxRequests: 2}}}\n",
	         STRICT_MESH);
	h_t *h = h_new(yaml, 0);
	for (int i = 0; i < 5; i++)
		call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->done, 5);
	size_t uo = 0, ok = 0;
	for (size_t i = 0; i < h->nobs; i++)
		if (h->obs[i].who == VRT_REPORT_CLIENT) {
			uo += !strcmp(h->obs[i].flags, "UO") &&
			      h->obs[i].status == RT_UNAVAILABLE;
			ok += h->obs[i].status == RT_OK;
		}
	ck_assert_uint_eq(ok, 2);
	ck_assert_uint_eq(uo, 3);
	/* Once they are done, there is room again. */
	call_cur(h, h->fe);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_OK);
	h_free(h);
}
END_TEST

START_TEST(outlier_detection_ejects_a_failing_pod)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: DestinationRule\n"
	         "metadata: {name: web, namespace: web}\n"
	         "spec:\n"
	         "  host: " WEB_HOST "\n"
	         "  trafficPolicy:\n"
	         "    outlierDetection: {consecutive5xxErrors: 2, interval: 1s,\n"
	         "                       baseEjectionTime: 30s, maxEjectionPercent: 100}\n",
	         STRICT_MESH);
	h_t *h = h_new(yaml, 0);
	/* A second "web" endpoint that answers every HTTP request with a
	 * reset (a gRPC-only pod): Envoy counts it as a 503. */
	vrt_endpoints_add(vrt_world_resolve(h->w, "web:80"), h->cur1);
	int failed = 0;
	for (int i = 0; i < 40; i++) {
		call_web(h, h->fe, "/hello");
		vrt_run(h->w, des_now(vrt_world_des(h->w)) + DES_MS(100));
		failed += h->last_http != 200;
	}
	ck_assert_int_eq(h->done, 40);
	/* Two 5xx in a row from the bad pod eject it for 30 s: no more
	 * failures in these 4 s. */
	ck_assert_int_eq(failed, 2);
	/* After the ejection time (and an interval tick) it is back. */
	vrt_run(h->w, des_now(vrt_world_des(h->w)) + DES_S(32));
	for (int i = 0; i < 40; i++) {
		call_web(h, h->fe, "/hello");
		vrt_run(h->w, des_now(vrt_world_des(h->w)) + DES_MS(100));
		failed += h->last_http != 200;
	}
	ck_assert_int_eq(failed, 4);
	h_free(h);
}
END_TEST

START_TEST(route_timeout_is_ut)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: web, namespace: web}\n"
	         "spec:\n"
	         "  hosts: [" WEB_HOST "]\n"
	         "  http:\n"
	         "  - timeout: 500ms\n"
	         "    route: [{destination: {host: " WEB_HOST "}}]\n",
	         STRICT_MESH);
	h_t *h = h_new(yaml, 0);
	call_web(h, h->fe, "/slow?ms=2000");
	settle(h);
	ck_assert_int_eq(h->last_http, 504);
	const obs_rec_t *c = NULL, *sv = NULL;
	for (size_t i = 0; i < h->nobs; i++)
		if (h->obs[i].who == VRT_REPORT_CLIENT)
			c = &h->obs[i];
		else
			sv = &h->obs[i];
	ck_assert_str_eq(c->flags, "UT");
	ck_assert_int_eq(c->end - c->start, DES_MS(500));
	/* The server's call was cut by the reset: downstream disconnect. */
	ck_assert_ptr_nonnull(sv);
	ck_assert_str_eq(sv->flags, "DC");
	/* Fast enough: no timeout. */
	call_web(h, h->fe, "/slow?ms=100");
	settle(h);
	ck_assert_int_eq(h->last_http, 200);
	h_free(h);
}
END_TEST

START_TEST(per_try_timeout_retries)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: web, namespace: web}\n"
	         "spec:\n"
	         "  hosts: [" WEB_HOST "]\n"
	         "  http:\n"
	         "  - retries: {attempts: 2, perTryTimeout: 300ms, retryOn: gateway-error}\n"
	         "    route: [{destination: {host: " WEB_HOST "}}]\n",
	         STRICT_MESH);
	h_t *h = h_new(yaml, 0);
	call_web(h, h->fe, "/slow?ms=1000");
	settle(h);
	/* Three tries of 300 ms, each cut (the server hears a reset: DC),
	 * then the sidecar's 504. */
	ck_assert_int_eq(h->done, 1);
	ck_assert_int_eq(h->last_http, 504);
	const obs_rec_t *c = obs_of(h, VRT_REPORT_CLIENT);
	ck_assert_str_eq(c->flags, "UT,URX");
	ck_assert_int_ge(c->end - c->start, DES_MS(900));
	ck_assert_int_lt(c->end - c->start, DES_MS(1000));
	size_t dc = 0;
	for (size_t i = 0; i < h->nobs; i++)
		dc += h->obs[i].who == VRT_REPORT_SERVER &&
		      !strcmp(h->obs[i].flags, "DC");
	ck_assert_uint_eq(dc, 3);
	ck_assert_int_eq(httpsvc_stats.cancels >= 3, 1);
	/* A fast answer is not cut. */
	call_web(h, h->fe, "/slow?ms=100");
	settle(h);
	ck_assert_int_eq(h->last_http, 200);
	h_free(h);
}
END_TEST

START_TEST(refused_is_retried_lost_is_uc)
{
	h_t *h = h_new(STRICT_MESH, 0);
	/* Requests on their way to a pod that starts terminating are
	 * refused (connect-failure): retried, on the other pod. */
	for (int i = 0; i < 10; i++)
		call_cur(h, h->fe);
	vrt_pod_terminate(h->cur1, DES_S(30));
	settle(h);
	ck_assert_int_eq(h->done, 10);
	for (size_t i = 0; i < h->nobs; i++)
		if (h->obs[i].who == VRT_REPORT_CLIENT)
			ck_assert_int_eq(h->obs[i].status, RT_OK);
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	ck_assert_uint_gt(st.retries, 0);
	/* A pod killed under a request: the connection is lost (UC), not
	 * retried under Istio's default retryOn. */
	call_web(h, h->fe, "/slow?ms=2000");
	vrt_run(h->w, des_now(vrt_world_des(h->w)) + DES_S(1));
	vrt_pod_kill(h->web);
	settle(h);
	ck_assert_int_eq(h->last_st, RT_UNAVAILABLE);
	ck_assert_str_eq(obs_of(h, VRT_REPORT_CLIENT)->flags, "UC");
	h_free(h);
}
END_TEST

/* ---- pooling ------------------------------------------------------------- */

START_TEST(pooled_connection_one_handshake)
{
	h_t *h = h_new(STRICT_MESH, 1); /* no cache: every handshake real */
	for (int i = 0; i < 50; i++) {
		call_cur(h, h->fe);
		settle(h);
	}
	ck_assert_int_eq(h->done, 50);
	dp_stats_t st;
	dp_sidecars_stats(h->sc, &st);
	/* Round robin over two pods: one HTTP/2 connection to each. */
	ck_assert_uint_eq(st.connections, 2);
	ck_assert_uint_eq(st.handshakes, 2);
	ck_assert_uint_eq(st.handshakes_real, 2);
	h_free(h);
}
END_TEST

START_TEST(same_seed_same_observations)
{
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "%s%s---\n"
	         "apiVersion: networking.istio.io/v1\n"
	         "kind: VirtualService\n"
	         "metadata: {name: currency, namespace: currencyservice}\n"
	         "spec:\n"
	         "  hosts: [" CUR_HOST "]\n"
	         "  http:\n"
	         "  - route:\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v1}, weight: 50}\n"
	         "    - {destination: {host: " CUR_HOST ", subset: v2}, weight: 50}\n",
	         STRICT_MESH, SUBSETS);
	obs_rec_t *a = NULL;
	size_t na = 0;
	for (int run = 0; run < 2; run++) {
		h_t *h = h_new(yaml, run);
		for (int i = 0; i < 200; i++)
			call_cur(h, i % 2 ? h->fe : h->ck);
		settle(h);
		if (run == 0) {
			a = h->obs;
			na = h->nobs;
			h->obs = NULL;
		} else {
			ck_assert_uint_eq(na, h->nobs);
			for (size_t i = 0; i < na; i++) {
				ck_assert_str_eq(a[i].server, h->obs[i].server);
				ck_assert_int_eq(a[i].end, h->obs[i].end);
				ck_assert_str_eq(a[i].flags, h->obs[i].flags);
			}
		}
		h_free(h);
	}
	free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sidecar");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, strict_refuses_plaintext_accepts_mtls);
	tcase_add_test(tc, permissive_accepts_plaintext);
	tcase_add_test(tc, strict_namespace_only);
	tcase_add_test(tc, authz_denies_grpc);
	tcase_add_test(tc, authz_denies_http_403);
	tcase_add_test(tc, shop_policy_frontend_to_payment_denied);
	tcase_add_test(tc, expired_certificate_fails_handshake);
	tcase_add_test(tc, renewed_certificate_handshakes_again);
	tcase_add_test(tc, weights_split_to_canary);
	tcase_add_test(tc, set_weights_at_run_time);
	tcase_add_test(tc, empty_subset_is_uh);
	tcase_add_test(tc, gateway_only_route_does_not_apply_east_west);
	tcase_add_test(tc, fault_abort_and_delay);
	tcase_add_test(tc, retries_exhausted_urx);
	tcase_add_test(tc, client_plaintext_to_strict_is_uc);
	tcase_add_test(tc, pool_overflow_is_uo);
	tcase_add_test(tc, outlier_detection_ejects_a_failing_pod);
	tcase_add_test(tc, route_timeout_is_ut);
	tcase_add_test(tc, per_try_timeout_retries);
	tcase_add_test(tc, refused_is_retried_lost_is_uc);
	tcase_add_test(tc, pooled_connection_one_handshake);
	tcase_add_test(tc, same_seed_same_observations);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
