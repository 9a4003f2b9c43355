/* tests/mesh/decide_test.c: sim/mesh/decide.c, table-driven; each row is
 * a statement of shared/MESH.md (or of Envoy's behaviour where MESH.md is
 * silent, as decide.h says) (Check, fork mode). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

static mesh_config_t cfg;
static mesh_diags_t diags;

static void load(const char *yaml)
{
	mesh_config_init(&cfg);
	memset(&diags, 0, sizeof diags);
	ck_assert_int_ge(mesh_config_load_string(&cfg, "t.yaml", yaml, &diags), 0);
	ck_assert_int_ge(mesh_config_resolve(&cfg, &diags), 0);
	if (diags.nerrors)
		mesh_diags_print(&diags, stderr);
	ck_assert_uint_eq(diags.nerrors, 0);
}

static void unload(void)
{
	mesh_diags_free(&diags);
	mesh_config_free(&cfg);
}

/* "k=v,k2=v2" into labels (static storage, one set per slot). */
static mesh_labels_t labels(int slot, const char *spec)
{
	static char buf[4][256];
	static mesh_kv_t kv[4][8];
	mesh_labels_t l = {0, kv[slot]};
	if (!spec)
		return l;
	snprintf(buf[slot], sizeof buf[slot], "%s", spec);
	for (char *save, *p = strtok_r(buf[slot], ",", &save); p && l.n < 8; p = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(p, '=');
		*eq = '\0';
		kv[slot][l.n].key = p;
		kv[slot][l.n++].value = eq + 1;
	}
	return l;
}

/* ================= PeerAuthentication ================= */
static const char *pa_yaml =
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: ingress, namespace: istio-system}\n"
    "spec: {selector: {matchLabels: {app: ingress}}, mtls: {mode: PERMISSIVE}}\n---\n"
    "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n"
    "metadata: {name: ns, namespace: legacy}\nspec: {mtls: {mode: PERMISSIVE}}\n---\n"
    "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n"
    "metadata: {name: db, namespace: legacy}\n"
    "spec:\n  selector: {matchLabels: {app: db}}\n  mtls: {mode: DISABLE}\n"
    "  portLevelMtls:\n    9090: {mode: STRICT}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: web, namespace: shop}\n"
    "spec:\n  selector: {matchLabels: {app: web}}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: newer, namespace: tie, creationTimestamp: '2025-06-01T00:00:00Z'}\n"
    "spec: {mtls: {mode: STRICT}}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: older, namespace: tie, creationTimestamp: '2024-06-01T00:00:00Z'}\n"
    "spec: {mtls: {mode: DISABLE}}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: first, namespace: tie2}\nspec: {mtls: {mode: PERMISSIVE}}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: second, namespace: tie2}\nspec: {mtls: {mode: DISABLE}}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: noport, namespace: noport}\n"
    "spec:\n  mtls: {mode: DISABLE}\n  portLevelMtls:\n    8080: {mode: STRICT}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
    "metadata: {name: unset, namespace: inherit}\nspec: {mtls: {mode: UNSET}}\n";

static const struct pa_row {
	const char *why, *ns, *labels;
	int port;
	mesh_mtls_t mode;
	mesh_peer_level_t level;
	const char *policy;
} pa_rows[] = {
    {"mesh policy in the root namespace applies everywhere", "frontend", "app=frontend", 8080,
     MESH_MTLS_STRICT, MESH_PEER_MESH, "default"},
    {"namespace policy over mesh policy", "legacy", "app=other", 80, MESH_MTLS_PERMISSIVE,
     MESH_PEER_NAMESPACE, "ns"},
    {"workload policy over namespace policy", "legacy", "app=db,version=v1", 5432, MESH_MTLS_DISABLE,
     MESH_PEER_WORKLOAD, "db"},
    {"portLevelMtls overrides for its port", "legacy", "app=db", 9090, MESH_MTLS_STRICT, MESH_PEER_PORT,
     "db"},
    {"portLevelMtls with the workload mode UNSET", "shop", "app=web", 8080, MESH_MTLS_DISABLE,
     MESH_PEER_PORT, "web"},
    {"UNSET workload mode inherits the mesh's", "shop", "app=web", 80, MESH_MTLS_STRICT, MESH_PEER_MESH,
     "default"},
    {"tie at one level: the oldest by creationTimestamp", "tie", "app=x", 80, MESH_MTLS_DISABLE,
     MESH_PEER_NAMESPACE, "older"},
    {"tie without timestamps: the first loaded", "tie2", "app=x", 80, MESH_MTLS_PERMISSIVE,
     MESH_PEER_NAMESPACE, "first"},
    {"a root-namespace selector applies only in the root namespace", "frontend", "app=ingress", 80,
     MESH_MTLS_STRICT, MESH_PEER_MESH, "default"},
    {"a root-namespace selector in the root namespace", "istio-system", "app=ingress", 80,
     MESH_MTLS_PERMISSIVE, MESH_PEER_WORKLOAD, "ingress"},
    {"portLevelMtls needs a selector", "noport", "app=x", 8080, MESH_MTLS_DISABLE, MESH_PEER_NAMESPACE,
     "noport"},
    {"UNSET namespace policy inherits", "inherit", "app=x", 80, MESH_MTLS_STRICT, MESH_PEER_MESH,
     "default"},
};

START_TEST(test_peer_mode)
{
	const struct pa_row *r = &pa_rows[_i];
	load(pa_yaml);
	mesh_workload_t w = {"w", r->ns, labels(0, r->labels), "sa", 1};
	mesh_peer_decision_t d = mesh_peer_mode(&cfg, &w, r->port);
	ck_assert_msg(d.mode == r->mode, "%s: mode %s", r->why, mesh_mtls_name(d.mode));
	ck_assert_msg(d.level == r->level, "%s: level %d", r->why, (int)d.level);
	ck_assert_ptr_nonnull(d.policy);
	ck_assert_str_eq(d.policy->meta.name, r->policy);
	unload();
}
END_TEST

START_TEST(test_peer_mode_default)
{
	load("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n");
	mesh_workload_t w = {"w", "x", labels(0, "app=a"), "sa", 1};
	mesh_peer_decision_t d = mesh_peer_mode(&cfg, &w, 80);
	ck_assert_int_eq(d.mode, MESH_MTLS_PERMISSIVE); /* nothing above means PERMISSIVE */
	ck_assert_int_eq(d.level, MESH_PEER_DEFAULT);
	ck_assert_ptr_null(d.policy);
	unload();
}
END_TEST

START_TEST(test_peer_accepts)
{
	/* STRICT only mTLS, PERMISSIVE both, DISABLE plaintext */
	ck_assert(mesh_peer_accepts(MESH_MTLS_STRICT, 1));
	ck_assert(!mesh_peer_accepts(MESH_MTLS_STRICT, 0));
	ck_assert(mesh_peer_accepts(MESH_MTLS_PERMISSIVE, 1));
	ck_assert(mesh_peer_accepts(MESH_MTLS_PERMISSIVE, 0));
	ck_assert(mesh_peer_accepts(MESH_MTLS_DISABLE, 0));
	ck_assert(!mesh_peer_accepts(MESH_MTLS_DISABLE, 1));
}
END_TEST

/* ================= AuthorizationPolicy ================= */
static const char *ap_yaml =
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: cart, namespace: cart}\n"
    "spec:\n  selector: {matchLabels: {app: cart}}\n  action: ALLOW\n  rules:\n"
    "  - from:\n    - source:\n        principals: [cluster.local/ns/frontend/sa/frontend, "
    "cluster.local/ns/checkout/sa/checkout]\n"
    "    to:\n    - operation: {paths: [/hipstershop.CartService/*]}\n"
    "  - from:\n    - source: {namespaces: [monitoring]}\n    to:\n    - operation: {ports: ['15020']}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: no-empty, namespace: cart}\n"
    "spec:\n  action: DENY\n  rules:\n"
    "  - from:\n    - source: {notPrincipals: [cluster.local/ns/checkout/sa/checkout]}\n"
    "    to:\n    - operation: {paths: [/hipstershop.CartService/EmptyCart]}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: audit, namespace: open}\nspec: {action: AUDIT, rules: [{}]}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: nothing, namespace: locked}\nspec: {}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: nothing, namespace: locked2}\nspec: {action: ALLOW, rules: []}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: all, namespace: everything}\nspec: {rules: [{}]}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: block-range, namespace: istio-system}\n"
    "spec:\n  action: DENY\n  rules:\n  - from:\n    - source: {ipBlocks: [10.66.0.0/16]}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: hdr, namespace: hdr}\n"
    "spec:\n  rules:\n  - to:\n    - operation: {methods: [GET], hosts: ['*.example.com']}\n"
    "    when:\n    - key: request.headers[X-Token]\n      values: [s3cret]\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: ext, namespace: custom}\n"
    "spec:\n  action: CUSTOM\n  provider: {name: ext-authz}\n  rules:\n"
    "  - to:\n    - operation: {paths: [/admin*]}\n---\n"
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
    "metadata: {name: anyauth, namespace: anyauth}\n"
    "spec:\n  rules:\n  - from:\n    - source: {principals: ['*']}\n";

#define FE "cluster.local/ns/frontend/sa/frontend"
#define CO "cluster.local/ns/checkout/sa/checkout"
#define RE "cluster.local/ns/recommendation/sa/recommendation"
#define MON "cluster.local/ns/monitoring/sa/prometheus"
#define CART "/hipstershop.CartService/"

static const struct ap_row {
	const char *why, *ns, *labels;
	int mtls;
	const char *principal, *ip, *host, *method, *path, *hdr;
	int port;
	int allow;
	const char *policy;
	int rule;
	const char *reason;
} ap_rows[] = {
    {"a matching ALLOW rule allows", "cart", "app=cart", 1, FE, NULL, NULL, "POST", CART "GetCart",
     NULL, 7070, 1, "cart", 0, "allowed by ALLOW policy cart/cart rule 0"},
    {"principals exist only over mTLS", "cart", "app=cart", 0, FE, NULL, NULL, "POST", CART "GetCart",
     NULL, 7070, 0, NULL, -1, "RBAC: access denied"},
    {"an ALLOW policy applies and none matches: deny", "cart", "app=cart", 1, RE, NULL, NULL, "POST",
     CART "GetCart", NULL, 7070, 0, NULL, -1, "RBAC: access denied"},
    {"a matching DENY wins over a matching ALLOW", "cart", "app=cart", 1, FE, NULL, NULL, "POST",
     CART "EmptyCart", NULL, 7070, 0, "no-empty", 0, "DENY policy cart/no-empty rule 0"},
    {"notPrincipals excludes the caller from the DENY", "cart", "app=cart", 1, CO, NULL, NULL, "POST",
     CART "EmptyCart", NULL, 7070, 1, "cart", 0, NULL},
    {"second rule: namespaces over mTLS, a port", "cart", "app=cart", 1, MON, NULL, NULL, "GET",
     "/stats/prometheus", NULL, 15020, 1, "cart", 1, NULL},
    {"namespaces need mTLS too", "cart", "app=cart", 0, MON, NULL, NULL, "GET", "/stats/prometheus",
     NULL, 15020, 0, NULL, -1, "without mTLS"},
    {"the query is not part of the path", "cart", "app=cart", 1, FE, NULL, NULL, "POST",
     CART "GetCart?x=1", NULL, 7070, 1, "cart", 0, NULL},
    {"a spiffe:// principal", "cart", "app=cart", 1, "spiffe://" FE, NULL, NULL, "POST",
     CART "GetCart", NULL, 7070, 1, "cart", 0, NULL},
    {"the selector decides which workloads a policy covers", "cart", "app=cart-canary", 0, NULL, NULL,
     NULL, "POST", CART "GetCart", NULL, 7070, 1, NULL, -1, "no ALLOW policy applies"},
    {"no ALLOW policy: allow (AUDIT changes nothing)", "open", "app=x", 0, NULL, "10.1.2.3", NULL, "GET",
     "/", NULL, 80, 1, NULL, -1, "no ALLOW policy applies"},
    {"ALLOW with an empty spec allows nothing", "locked", "app=x", 1, FE, NULL, NULL, "GET", "/", NULL,
     80, 0, NULL, -1, "RBAC: access denied"},
    {"ALLOW with rules: [] allows nothing", "locked2", "app=x", 1, FE, NULL, NULL, "GET", "/", NULL, 80,
     0, NULL, -1, "RBAC: access denied"},
    {"rules: [{}] allows everything, plaintext too", "everything", "app=x", 0, NULL, NULL, NULL, "GET",
     "/", NULL, 80, 1, "all", 0, NULL},
    {"a root-namespace DENY applies in every namespace", "open", "app=x", 0, NULL, "10.66.1.2", NULL,
     "GET", "/", NULL, 80, 0, "block-range", 0, "DENY policy istio-system/block-range"},
    {"ipBlocks: outside the block", "open", "app=x", 0, NULL, "10.67.0.1", NULL, "GET", "/", NULL, 80,
     1, NULL, -1, NULL},
    {"methods, hosts and a header condition", "hdr", "app=x", 0, NULL, NULL, "api.EXAMPLE.com", "GET",
     "/", "x-token=s3cret", 80, 1, "hdr", 0, NULL},
    {"a wrong header value", "hdr", "app=x", 0, NULL, NULL, "api.example.com", "GET", "/",
     "x-token=nope", 80, 0, NULL, -1, NULL},
    {"a wrong method", "hdr", "app=x", 0, NULL, NULL, "api.example.com", "POST", "/", "x-token=s3cret",
     80, 0, NULL, -1, NULL},
    {"a wrong host", "hdr", "app=x", 0, NULL, NULL, "example.org", "GET", "/", "x-token=s3cret", 80, 0,
     NULL, -1, NULL},
    {"a matching CUSTOM policy with no provider answering denies", "custom", "app=x", 1, FE, NULL, NULL,
     "GET", "/admin/users", NULL, 80, 0, "ext", 0, "CUSTOM policy custom/ext rule 0 (provider ext-authz)"},
    {"a CUSTOM policy that does not match", "custom", "app=x", 1, FE, NULL, NULL, "GET", "/public", NULL,
     80, 1, NULL, -1, NULL},
    {"principal '*': any authenticated peer", "anyauth", "app=x", 1, RE, NULL, NULL, "GET", "/", NULL,
     80, 1, "anyauth", 0, NULL},
    {"principal '*': not a plaintext peer", "anyauth", "app=x", 0, NULL, NULL, NULL, "GET", "/", NULL,
     80, 0, NULL, -1, NULL},
};

START_TEST(test_authz)
{
	const struct ap_row *r = &ap_rows[_i];
	load(ap_yaml);
	mesh_workload_t w = {"w", r->ns, labels(0, r->labels), "sa", 1};
	mesh_kv_t h = {0};
	char hb[64];
	if (r->hdr) {
		snprintf(hb, sizeof hb, "%s", r->hdr);
		*strchr(hb, '=') = '\0';
		h.key = hb;
		h.value = hb + strlen(hb) + 1;
	}
	mesh_authz_req_t q = {.mtls = r->mtls, .principal = r->principal, .source_ip = r->ip,
			      .dest = &w, .host = r->host ? r->host : "svc", .port = r->port,
			      .method = r->method, .path = r->path, .headers = &h, .nheaders = r->hdr ? 1 : 0};
	mesh_authz_decision_t d;
	mesh_authz(&cfg, &q, &d);
	ck_assert_msg(d.allow == r->allow, "%s: %s", r->why, d.reason);
	if (r->policy) {
		ck_assert_ptr_nonnull(d.policy);
		ck_assert_str_eq(d.policy->meta.name, r->policy);
	}
	ck_assert_int_eq(d.rule, r->rule);
	if (r->reason)
		ck_assert_msg(strstr(d.reason, r->reason), "%s: reason \"%s\"", r->why, d.reason);
	unload();
}
END_TEST

static int provider_allows(void *ud, const mesh_authz_policy_t *p, const mesh_authz_req_t *r)
{
	(*(int *)ud)++;
	return 1;
}

START_TEST(test_authz_custom_provider)
{
	load(ap_yaml);
	int calls = 0;
	mesh_workload_t w = {"w", "custom", labels(0, "app=x"), "sa", 1};
	mesh_authz_req_t q = {.mtls = 1, .principal = FE, .dest = &w, .host = "svc", .port = 80,
			      .method = "GET", .path = "/admin", .custom = provider_allows, .custom_ud = &calls};
	mesh_authz_decision_t d;
	mesh_authz(&cfg, &q, &d);
	ck_assert_int_eq(d.allow, 1);
	ck_assert_int_eq(calls, 1);
	unload();
}
END_TEST

/* Analysis with the operation unknown: a path-limited ALLOW may match
 * (allow), a path-limited DENY may not (no denial), an unmatched principal
 * is still refused. */
START_TEST(test_authz_op_unknown)
{
	load(ap_yaml);
	mesh_workload_t w = {"w", "cart", labels(0, "app=cart"), "sa", 1};
	mesh_authz_req_t q = {.mtls = 1, .principal = FE, .dest = &w, .host = "svc", .port = 7070,
			      .method = "POST", .op_unknown = 1};
	mesh_authz_decision_t d;
	mesh_authz(&cfg, &q, &d);
	ck_assert_msg(d.allow, "%s", d.reason); /* no-empty's DENY needs the EmptyCart path */
	ck_assert_str_eq(d.policy->meta.name, "cart");
	q.principal = RE;
	mesh_authz(&cfg, &q, &d);
	ck_assert_int_eq(d.allow, 0);
	q.principal = FE;
	q.port = 9999; /* rule 0 has no port; rule 1 (port 15020) is monitoring's */
	mesh_authz(&cfg, &q, &d);
	ck_assert_int_eq(d.allow, 1);
	unload();
}
END_TEST

/* ================= routing ================= */
static const char *rt_yaml =
    "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\n"
    "spec:\n  selector: {istio: ingressgateway}\n  servers:\n"
    "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*']\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: bookinfo}\n"
    "spec:\n  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n"
    "  - {name: v2, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: bookinfo}\n"
    "spec:\n  hosts: [reviews]\n  http:\n"
    "  - match:\n    - headers: {end-user: {exact: jason}}\n"
    "    route:\n    - destination: {host: reviews, subset: v2}\n"
    "  - match:\n    - uri: {prefix: /api}\n      method: {exact: GET}\n      sourceLabels: {app: productpage}\n"
    "    route:\n    - destination: {host: reviews, subset: v3, port: {number: 9080}}\n"
    "    timeout: 2s\n    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: 5xx}\n"
    "  - match:\n    - headers: {x-fault: {}}\n"
    "    fault:\n      abort: {httpStatus: 503, percentage: {value: 50}}\n"
    "    timeout: 3s\n    route:\n    - destination: {host: reviews, subset: v1}\n"
    "  - match:\n    - uri: {regex: '/product/[0-9]+'}\n    - uri: {exact: /exact}\n"
    "    mirror: {host: reviews, subset: v3}\n    mirrorPercentage: {value: 10}\n"
    "    route:\n    - destination: {host: reviews, subset: v2}\n"
    "  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 75\n"
    "    - destination: {host: reviews, subset: v3}\n      weight: 25\n---\n"
    /* the seed's fault 1: a split bound only to the gateway */
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: frontend, namespace: frontend}\n"
    "spec:\n  host: frontend\n  subsets:\n  - {name: stable, labels: {version: stable}}\n"
    "  - {name: canary, labels: {version: canary}}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: frontend, namespace: frontend}\n"
    "spec:\n  hosts: [frontend]\n  gateways: [istio-system/gw]\n  http:\n"
    "  - route:\n    - destination: {host: frontend, subset: stable}\n      weight: 20\n"
    "    - destination: {host: frontend, subset: canary}\n      weight: 80\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop, namespace: istio-system}\n"
    "spec:\n  hosts: ['*']\n  gateways: [gw]\n  http:\n"
    "  - match:\n    - uri: {prefix: /business}\n"
    "    route:\n    - destination: {host: business.business-service.svc.cluster.local}\n"
    "  - match:\n    - uri: {prefix: /}\n"
    "    route:\n    - destination: {host: frontend-external.frontend.svc.cluster.local}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: wild, namespace: x}\n"
    "spec:\n  hosts: ['*.example.com']\n  http:\n  - route:\n    - destination: {host: wild.x.svc.cluster.local}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: exact, namespace: x}\n"
    "spec:\n  hosts: [api.example.com]\n  http:\n  - route:\n    - destination: {host: exact.x.svc.cluster.local}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: dual, namespace: d}\n"
    "spec:\n  hosts: [dual]\n  gateways: [mesh, istio-system/gw]\n  http:\n"
    "  - match:\n    - gateways: [istio-system/gw]\n    route:\n    - destination: {host: ext}\n"
    "  - route:\n    - destination: {host: int}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: dup-new, namespace: d, "
    "creationTimestamp: '2025-01-01T00:00:00Z'}\n"
    "spec:\n  hosts: [dup]\n  http:\n  - route:\n    - destination: {host: new}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: dup-old, namespace: d, "
    "creationTimestamp: '2024-01-01T00:00:00Z'}\n"
    "spec:\n  hosts: [dup]\n  http:\n  - route:\n    - destination: {host: old}\n---\n"
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: redir, namespace: d}\n"
    "spec:\n  hosts: [redir]\n  http:\n  - match:\n    - uri: {exact: /old}\n    redirect: {uri: /new}\n";

#define REVIEWS "reviews.bookinfo.svc.cluster.local"
#define FRONTEND "frontend.frontend.svc.cluster.local"
#define GW "istio-system/gw"

static const struct rt_row {
	const char *why, *gateway, *src, *host, *uri, *method, *hdr;
	double u;
	mesh_route_status_t status;
	const char *dest, *subset, *vs;
	size_t http;
	int port;
	long long timeout;
	int attempts;
	int fault, mirror;
} rt_rows[] = {
    {"header match first", NULL, "app=productpage", REVIEWS, "/api/x", "GET", "end-user=jason", 0.9,
     MESH_ROUTE_OK, REVIEWS, "v2", "reviews", 0, 0, -1, 2, 0, 0},
    {"matches in order: uri+method+sourceLabels; timeout and retries", NULL, "app=productpage", REVIEWS,
     "/api/x?q=1", "GET", NULL, 0.9, MESH_ROUTE_OK, REVIEWS, "v3", "reviews", 1, 9080, 2000, 3, 0, 0},
    {"sourceLabels not met: next route", NULL, "app=other", REVIEWS, "/api/x", "GET", NULL, 0.1,
     MESH_ROUTE_OK, REVIEWS, "v1", "reviews", 4, 0, -1, 2, 0, 0},
    {"method not met: next route", NULL, "app=productpage", REVIEWS, "/api/x", "POST", NULL, 0.1,
     MESH_ROUTE_OK, REVIEWS, "v1", "reviews", 4, 0, -1, 2, 0, 0},
    {"a fault route gets no retries and no timeout", NULL, NULL, REVIEWS, "/", "GET", "x-fault=1", 0.1,
     MESH_ROUTE_OK, REVIEWS, "v1", "reviews", 2, 0, -1, 0, 1, 0},
    {"regex is a full match", NULL, NULL, REVIEWS, "/product/12", "GET", NULL, 0.1, MESH_ROUTE_OK, REVIEWS,
     "v2", "reviews", 3, 0, -1, 2, 0, 1},
    {"regex does not match a longer path", NULL, NULL, REVIEWS, "/product/12/x", "GET", NULL, 0.1,
     MESH_ROUTE_OK, REVIEWS, "v1", "reviews", 4, 0, -1, 2, 0, 0},
    {"exact ignores the query", NULL, NULL, REVIEWS, "/exact?a=b", "GET", NULL, 0.1, MESH_ROUTE_OK,
     REVIEWS, "v2", "reviews", 3, 0, -1, 2, 0, 1},
    {"weights: u below 0.75 takes the 75", NULL, NULL, REVIEWS, "/", "GET", NULL, 0.7499, MESH_ROUTE_OK,
     REVIEWS, "v1", "reviews", 4, 0, -1, 2, 0, 0},
    {"weights: u at 0.75 takes the 25", NULL, NULL, REVIEWS, "/", "GET", NULL, 0.75, MESH_ROUTE_OK,
     REVIEWS, "v3", "reviews", 4, 0, -1, 2, 0, 0},
    {"seed fault 1: a gateway-only split does not apply to sidecars", NULL, "app=loadgenerator",
     FRONTEND, "/", "GET", NULL, 0.5, MESH_ROUTE_PASSTHROUGH, FRONTEND, NULL, NULL, 0, 0, -1, 2, 0, 0},
    {"... but applies at the gateway it names", GW, NULL, FRONTEND, "/", "GET", NULL, 0.5, MESH_ROUTE_OK,
     FRONTEND, "canary", "frontend", 0, 0, -1, 2, 0, 0},
    {"seed fault 3: the ingress sends / to frontend-external", GW, NULL, "shop.example.com", "/", "GET",
     NULL, 0.5, MESH_ROUTE_OK, "frontend-external.frontend.svc.cluster.local", NULL, "shop", 1, 0, -1, 2,
     0, 0},
    {"gateway: /business first", GW, NULL, "shop.example.com", "/business/sell", "GET", NULL, 0.5,
     MESH_ROUTE_OK, "business.business-service.svc.cluster.local", NULL, "shop", 0, 0, -1, 2, 0, 0},
    {"a gateway-bound VS does not apply to the mesh", NULL, NULL, "shop.example.org", "/", "GET", NULL,
     0.5, MESH_ROUTE_PASSTHROUGH, "shop.example.org", NULL, NULL, 0, 0, -1, 2, 0, 0},
    {"an exact host beats a wildcard", NULL, NULL, "api.example.com", "/", "GET", NULL, 0.5, MESH_ROUTE_OK,
     "exact.x.svc.cluster.local", NULL, "exact", 0, 0, -1, 2, 0, 0},
    {"a wildcard host", NULL, NULL, "www.example.com", "/", "GET", NULL, 0.5, MESH_ROUTE_OK,
     "wild.x.svc.cluster.local", NULL, "wild", 0, 0, -1, 2, 0, 0},
    {"match-level gateways: at the gateway", GW, NULL, "dual.d.svc.cluster.local", "/", "GET", NULL, 0.5,
     MESH_ROUTE_OK, "ext.d.svc.cluster.local", NULL, "dual", 0, 0, -1, 2, 0, 0},
    {"match-level gateways: at a sidecar", "mesh", NULL, "dual.d.svc.cluster.local", "/", "GET", NULL,
     0.5, MESH_ROUTE_OK, "int.d.svc.cluster.local", NULL, "dual", 1, 0, -1, 2, 0, 0},
    {"two VirtualServices for one host at a sidecar: the oldest", NULL, NULL, "dup.d.svc.cluster.local",
     "/", "GET", NULL, 0.5, MESH_ROUTE_OK, "old.d.svc.cluster.local", NULL, "dup-old", 0, 0, -1, 2, 0, 0},
    {"no route matches: 404 NR", NULL, NULL, "redir.d.svc.cluster.local", "/other", "GET", NULL, 0.5,
     MESH_ROUTE_NOT_FOUND, NULL, NULL, NULL, 0, 0, -1, 2, 0, 0},
    {"a redirect", NULL, NULL, "redir.d.svc.cluster.local", "/old", "GET", NULL, 0.5, MESH_ROUTE_REDIRECT,
     NULL, NULL, "redir", 0, 0, -1, 2, 0, 0},
    {"no VirtualService: as dialled", NULL, NULL, "cart.cart.svc.cluster.local", "/", "POST", NULL, 0.5,
     MESH_ROUTE_PASSTHROUGH, "cart.cart.svc.cluster.local", NULL, NULL, 0, 0, -1, 2, 0, 0},
};

START_TEST(test_route)
{
	const struct rt_row *r = &rt_rows[_i];
	load(rt_yaml);
	mesh_labels_t src = labels(0, r->src);
	mesh_kv_t h = {0};
	char hb[64];
	if (r->hdr) {
		snprintf(hb, sizeof hb, "%s", r->hdr);
		*strchr(hb, '=') = '\0';
		h.key = hb;
		h.value = hb + strlen(hb) + 1;
	}
	mesh_route_req_t q = {.gateway = r->gateway, .source_labels = &src, .host = r->host, .port = 80,
			      .uri = r->uri, .method = r->method, .headers = &h, .nheaders = r->hdr ? 1 : 0};
	mesh_route_result_t o;
	mesh_route(&cfg, &q, r->u, &o);
	ck_assert_msg(o.status == r->status, "%s: status %d", r->why, (int)o.status);
	if (r->dest)
		ck_assert_str_eq(o.host, r->dest);
	if (r->subset)
		ck_assert_str_eq(o.subset, r->subset);
	else
		ck_assert_ptr_null(o.subset);
	if (r->vs) {
		ck_assert_str_eq(o.vs->meta.name, r->vs);
		ck_assert_uint_eq(o.http_index, r->http);
	}
	ck_assert_int_eq(o.port, r->port);
	ck_assert_int_eq(o.timeout_ms, r->timeout);
	ck_assert_msg(o.retries.attempts == r->attempts, "%s: attempts %d", r->why, o.retries.attempts);
	ck_assert_int_eq(o.fault != NULL, r->fault);
	ck_assert_int_eq(o.mirror != NULL, r->mirror);
	if (r->mirror)
		ck_assert_double_eq(o.mirror_pct, 10);
	unload();
}
END_TEST

/* A destination's share is weight / sum of weights. */
START_TEST(test_route_weight_shares)
{
	load(rt_yaml);
	mesh_route_req_t q = {.host = REVIEWS, .port = 80, .uri = "/", .method = "GET"};
	int v1 = 0, v3 = 0;
	for (int i = 0; i < 1000; i++) {
		mesh_route_result_t o;
		mesh_route(&cfg, &q, (i + 0.5) / 1000.0, &o);
		v1 += !strcmp(o.subset, "v1");
		v3 += !strcmp(o.subset, "v3");
	}
	ck_assert_int_eq(v1, 750);
	ck_assert_int_eq(v3, 250);
	/* The default retry policy when the route has none. */
	mesh_route_result_t o;
	mesh_route(&cfg, &q, 0.1, &o);
	ck_assert_int_eq(o.retries.set, 0);
	ck_assert_int_eq(o.retries.attempts, 2);
	ck_assert_str_eq(o.retries.retry_on, "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
	unload();
}
END_TEST

static const struct fault_row {
	int has_delay, has_abort;
	double dpct, apct, ud, ua;
	long long delay;
	int aborted;
} fault_rows[] = {
    {1, 0, 100, 0, 0.999, 0, 7000, 0},   /* 100 %: always */
    {1, 0, 0, 0, 0.0, 0, 0, 0},          /* no percentage: never */
    {0, 1, 0, 50, 0, 0.49, 0, 1},        /* 50 %: below */
    {0, 1, 0, 50, 0, 0.5, 0, 0},         /* 50 %: at */
    {1, 1, 10, 10, 0.05, 0.5, 7000, 0},  /* independent draws */
};

START_TEST(test_fault_decide)
{
	const struct fault_row *r = &fault_rows[_i];
	mesh_fault_t f = {r->has_delay, r->has_abort, 7000, r->dpct, 503, NULL, r->apct};
	mesh_fault_decision_t d;
	mesh_fault_decide(&f, r->ud, r->ua, &d);
	ck_assert_int_eq(d.delay_ms, r->delay);
	ck_assert_int_eq(d.aborted, r->aborted);
	if (d.aborted)
		ck_assert_int_eq(d.abort_http, 503);
}
END_TEST

static const struct retry_row {
	int set;
	const char *on;
	int attempts;
	mesh_outcome_t o;
	int retry;
} retry_rows[] = {
    {0, NULL, 2, {1, 0, 0, 0, -1}, 1},            /* default: connect-failure */
    {0, NULL, 2, {0, 0, 1, 0, -1}, 1},            /* default: refused-stream */
    {0, NULL, 2, {0, 0, 0, 503, -1}, 1},          /* default: retriable-status-codes = 503 */
    {0, NULL, 2, {0, 0, 0, 500, -1}, 0},          /* default: not a 500 */
    {0, NULL, 2, {0, 1, 0, 0, -1}, 0},            /* default: not a reset */
    {0, NULL, 2, {0, 0, 0, 200, 14}, 1},          /* default: gRPC unavailable */
    {0, NULL, 2, {0, 0, 0, 200, 1}, 1},           /* default: gRPC cancelled */
    {0, NULL, 2, {0, 0, 0, 200, 13}, 0},          /* default: not gRPC internal */
    {1, "5xx", 3, {0, 0, 0, 500, -1}, 1},
    {1, "5xx", 3, {0, 1, 0, 0, -1}, 1},
    {1, "gateway-error", 3, {0, 0, 0, 502, -1}, 1},
    {1, "gateway-error", 3, {0, 0, 0, 500, -1}, 0},
    {1, "connect-failure,504", 3, {0, 0, 0, 504, -1}, 1}, /* numeric codes in retryOn */
    {1, "connect-failure", 3, {0, 0, 0, 503, -1}, 0},     /* codes replaced: no 503 */
    {1, "retriable-4xx", 3, {0, 0, 0, 409, -1}, 1},
    {1, "internal, deadline-exceeded", 3, {0, 0, 0, 200, 4}, 1},
    {1, "5xx", 0, {0, 0, 0, 500, -1}, 0},                 /* attempts 0: never */
};

START_TEST(test_retry_should)
{
	const struct retry_row *r = &retry_rows[_i];
	mesh_retry_t rp = {r->set, r->attempts, -1, r->on ? r->on : MESH_DEFAULT_RETRY_ON, 0};
	ck_assert_int_eq(mesh_retry_should(&rp, &r->o), r->retry);
}
END_TEST

START_TEST(test_retry_backoff)
{
	/* 25 ms base, doubling, capped at 250 ms, full jitter */
	static const int64_t top[] = {0, 25, 50, 100, 200, 250, 250, 250};
	for (int n = 1; n < 8; n++) {
		ck_assert_int_eq(mesh_retry_backoff_ms(n, 0.0), 0);
		ck_assert_int_eq(mesh_retry_backoff_ms(n, 0.9999), top[n] - 1);
	}
}
END_TEST

/* ================= DestinationRule ================= */
static const char *dr_yaml =
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: c, namespace: n}\n"
    "spec:\n  host: c\n  trafficPolicy:\n    loadBalancer: {simple: ROUND_ROBIN}\n"
    "    connectionPool: {tcp: {maxConnections: 2}}\n"
    "    portLevelSettings:\n    - port: {number: 9090}\n      connectionPool: {http: {http2MaxRequests: 7}}\n"
    "  subsets:\n  - name: sticky\n    labels: {v: '1'}\n"
    "    trafficPolicy:\n      loadBalancer: {consistentHash: {httpHeaderName: x-user}}\n"
    "      outlierDetection: {minHealthPercent: 30}\n"
    "  - name: plain\n    labels: {v: '2'}\n";

START_TEST(test_traffic_policy_for)
{
	load(dr_yaml);
	mesh_traffic_policy_t tp;
	mesh_traffic_policy_for(&cfg, "c.n.svc.cluster.local", NULL, 80, &tp);
	ck_assert_int_eq(tp.lb.kind, MESH_LB_ROUND_ROBIN);
	ck_assert_int_eq(tp.pool.max_connections, 2);
	ck_assert_int_eq(mesh_lb_panic_pct(&tp), 50); /* no outlierDetection: Envoy's 50 */
	mesh_traffic_policy_for(&cfg, "c.n.svc.cluster.local", NULL, 9090, &tp);
	ck_assert_int_eq(tp.pool.http2_max_requests, 7); /* port level replaces the pool block */
	ck_assert_int_eq(tp.pool.max_connections, 0);
	mesh_traffic_policy_for(&cfg, "c.n.svc.cluster.local", "sticky", 80, &tp);
	ck_assert_int_eq(tp.lb.kind, MESH_LB_CONSISTENT_HASH);
	ck_assert_int_eq(tp.pool.max_connections, 2); /* inherited */
	ck_assert_int_eq(tp.outlier.set, 1);
	ck_assert_int_eq(tp.outlier.consecutive_5xx, 5); /* defaults when the block is present */
	ck_assert_int_eq(tp.outlier.interval_ms, 10000);
	ck_assert_int_eq(tp.outlier.base_ejection_ms, 30000);
	ck_assert_int_eq(tp.outlier.max_ejection_pct, 10);
	ck_assert_int_eq(mesh_lb_panic_pct(&tp), 30);
	mesh_traffic_policy_for(&cfg, "other.n.svc.cluster.local", NULL, 80, &tp);
	ck_assert_int_eq(tp.lb.kind, MESH_LB_DEFAULT); /* no rule: LEAST_REQUEST */
	ck_assert_int_eq(tp.pool.connect_timeout_ms, 10000);
	ck_assert_int_eq(tp.outlier.set, 0);
	unload();
}
END_TEST

static mesh_endpoint_t eps4[4] = {{"10.0.0.1:80", 1, 0, 5}, {"10.0.0.2:80", 1, 0, 1},
				  {"10.0.0.3:80", 1, 0, 3}, {"10.0.0.4:80", 1, 0, 0}};

START_TEST(test_lb_round_robin)
{
	mesh_lb_policy_t p = {MESH_LB_ROUND_ROBIN, MESH_HASH_NONE, NULL};
	mesh_lb_state_t st = {0};
	mesh_endpoint_t e[3] = {{"a", 1, 0, 0}, {"b", 1, 0, 0}, {"c", 1, 0, 0}};
	static const int want[] = {0, 1, 2, 0, 1};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(mesh_lb_pick(&p, &st, e, 3, NULL, 0, 0, 50), want[i]);
	e[1].ejected = 1; /* an ejected host is skipped */
	static const int want2[] = {2, 0, 2, 0};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(mesh_lb_pick(&p, &st, e, 3, NULL, 0, 0, 0), want2[i]);
}
END_TEST

static const struct lb_row {
	const char *why;
	mesh_lb_kind_t kind;
	int unhealthy_mask;
	double u1, u2;
	int panic;
	int want;
} lb_rows[] = {
    {"random", MESH_LB_RANDOM, 0, 0.5, 0, 50, 2},
    {"random over the healthy only", MESH_LB_RANDOM, 1 << 2, 0.5, 0, 50, 1},
    {"least request: the fewer of two draws", MESH_LB_LEAST_REQUEST, 0, 0.0, 0.3, 50, 1},
    {"least request: first draw wins a tie or is fewer", MESH_LB_LEAST_REQUEST, 0, 0.9, 0.6, 50, 3},
    {"the default is least request", MESH_LB_DEFAULT, 0, 0.5, 0.0, 50, 2},
    {"panic: under 50 % healthy, all endpoints count", MESH_LB_RANDOM, 0x7, 0.1, 0, 50, 0},
    {"no panic threshold: only the healthy one", MESH_LB_RANDOM, 0x7, 0.1, 0, 0, 3},
    {"nothing healthy, no panic: none (503 UH)", MESH_LB_RANDOM, 0xf, 0.1, 0, 0, -1},
};

START_TEST(test_lb_pick)
{
	const struct lb_row *r = &lb_rows[_i];
	mesh_endpoint_t e[4];
	memcpy(e, eps4, sizeof e);
	for (int i = 0; i < 4; i++)
		e[i].healthy = !(r->unhealthy_mask & (1 << i));
	mesh_lb_policy_t p = {r->kind, MESH_HASH_NONE, NULL};
	mesh_lb_state_t st = {0};
	ck_assert_msg(mesh_lb_pick(&p, &st, e, 4, NULL, r->u1, r->u2, r->panic) == r->want, "%s", r->why);
}
END_TEST

START_TEST(test_lb_consistent_hash)
{
	mesh_lb_policy_t p = {MESH_LB_CONSISTENT_HASH, MESH_HASH_HEADER, "x-user"};
	mesh_lb_state_t st = {0};
	mesh_endpoint_t e[4];
	memcpy(e, eps4, sizeof e);
	int where[1000], count[4] = {0};
	char key[32];
	for (int k = 0; k < 1000; k++) {
		snprintf(key, sizeof key, "user-%d", k);
		where[k] = mesh_lb_pick(&p, &st, e, 4, key, 0.3, 0.7, 50);
		ck_assert_int_eq(mesh_lb_pick(&p, &st, e, 4, key, 0.9, 0.1, 50), where[k]); /* same key, same host */
		count[where[k]]++;
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_gt(count[i], 180); /* about a quarter each */
	e[2].ejected = 1;
	for (int k = 0; k < 1000; k++) {
		snprintf(key, sizeof key, "user-%d", k);
		int now = mesh_lb_pick(&p, &st, e, 4, key, 0.3, 0.7, 0);
		ck_assert_int_ne(now, 2);
		if (where[k] != 2)
			ck_assert_int_eq(now, where[k]); /* only the departed host's keys move */
	}
	/* No key: random. */
	ck_assert_int_eq(mesh_lb_pick(&p, &st, e, 4, NULL, 0.0, 0, 0), 0);
}
END_TEST

START_TEST(test_lb_hash_key)
{
	char buf[64];
	mesh_kv_t h[2] = {{"X-User", "alice"}, {"Cookie", "a=1; user=bob; c=3"}};
	mesh_lb_policy_t hp = {MESH_LB_CONSISTENT_HASH, MESH_HASH_HEADER, "x-user"};
	ck_assert_str_eq(mesh_lb_hash_key(&hp, h, 2, "/", "1.2.3.4", buf, sizeof buf), "alice");
	mesh_lb_policy_t cp = {MESH_LB_CONSISTENT_HASH, MESH_HASH_COOKIE, "user"};
	ck_assert_str_eq(mesh_lb_hash_key(&cp, h, 2, "/", NULL, buf, sizeof buf), "bob");
	mesh_lb_policy_t qp = {MESH_LB_CONSISTENT_HASH, MESH_HASH_QUERY, "u"};
	ck_assert_str_eq(mesh_lb_hash_key(&qp, h, 2, "/p?x=1&u=7&y", NULL, buf, sizeof buf), "7");
	mesh_lb_policy_t sp = {MESH_LB_CONSISTENT_HASH, MESH_HASH_SOURCE_IP, NULL};
	ck_assert_str_eq(mesh_lb_hash_key(&sp, h, 2, "/", "1.2.3.4", buf, sizeof buf), "1.2.3.4");
	mesh_lb_policy_t missing = {MESH_LB_CONSISTENT_HASH, MESH_HASH_HEADER, "x-none"};
	ck_assert_ptr_null(mesh_lb_hash_key(&missing, h, 2, "/", NULL, buf, sizeof buf));
	mesh_lb_policy_t rr = {MESH_LB_ROUND_ROBIN, MESH_HASH_NONE, NULL};
	ck_assert_ptr_null(mesh_lb_hash_key(&rr, h, 2, "/", "1.2.3.4", buf, sizeof buf));
}
END_TEST

static const struct pool_row {
	const char *why;
	int limited, http2;
	mesh_pool_state_t st;
	mesh_pool_verdict_t want;
} pool_rows[] = {
    {"first request opens a connection", 1, 0, {0, 0, 0, 0}, MESH_POOL_NEW_CONN},
    {"an idle HTTP/1.1 connection is reused", 1, 0, {1, 1, 0, 0}, MESH_POOL_USE_CONN},
    {"below maxConnections: another connection", 1, 0, {1, 0, 1, 0}, MESH_POOL_NEW_CONN},
    {"at maxConnections: queue", 1, 0, {2, 0, 2, 0}, MESH_POOL_QUEUE},
    {"queue full (http1MaxPendingRequests): 503 UO", 1, 0, {2, 0, 2, 1}, MESH_POOL_OVERFLOW},
    {"http2MaxRequests active: 503 UO", 1, 1, {1, 0, 3, 0}, MESH_POOL_OVERFLOW},
    {"HTTP/2 multiplexes on an open connection", 1, 1, {1, 0, 2, 0}, MESH_POOL_USE_CONN},
    {"HTTP/2 first request", 1, 1, {0, 0, 0, 0}, MESH_POOL_NEW_CONN},
    {"defaults are unlimited", 0, 0, {100000, 0, 100000, 100000}, MESH_POOL_NEW_CONN},
};

START_TEST(test_pool_admit)
{
	const struct pool_row *r = &pool_rows[_i];
	mesh_conn_pool_t cp = {1, 2, 10000, 1, 3, 0, 0, 0};
	ck_assert_msg(mesh_pool_admit(r->limited ? &cp : NULL, &r->st, r->http2) == r->want, "%s", r->why);
}
END_TEST

START_TEST(test_pool_conn_spent)
{
	mesh_conn_pool_t cp = {1, 0, 10000, 0, 0, 10, 0, 0};
	ck_assert_int_eq(mesh_pool_conn_spent(&cp, 9), 0);
	ck_assert_int_eq(mesh_pool_conn_spent(&cp, 10), 1);
	cp.max_requests_per_conn = 0;
	ck_assert_int_eq(mesh_pool_conn_spent(&cp, 1000000), 0);
}
END_TEST

/* Outlier detection, as a script of (time, host, status) steps. */
START_TEST(test_outlier_ejection_and_return)
{
	mesh_outlier_cfg_t c = {1, 3, 0, 10000, 30000, 100, 0};
	mesh_outlier_host_t h[4];
	mesh_outlier_t o;
	mesh_outlier_init(&o, &c, h, 4, 0);
	ck_assert_int_eq(o.next_tick_ms, 10000);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 500, 100), 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 500, 200), 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 200, 300), 0); /* a success breaks the run */
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 500, 400), 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 503, 500), 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 500, 1000), 1); /* third in a row: ejected at once */
	ck_assert_int_eq(h[0].ejected, 1);
	ck_assert_int_eq(mesh_outlier_tick(&o, 10000), 0);  /* 9 s < 30 s */
	ck_assert_int_eq(o.next_tick_ms, 20000);
	ck_assert_int_eq(mesh_outlier_tick(&o, 31000), 1);  /* back after baseEjectionTime */
	ck_assert_int_eq(h[0].ejected, 0);
	ck_assert_int_eq(o.next_tick_ms, 40000);
	for (int i = 0; i < 3; i++)
		mesh_outlier_result(&o, 0, 503, 40000);
	ck_assert_int_eq(h[0].ejections, 2); /* second ejection: 2 x 30 s */
	ck_assert_int_eq(mesh_outlier_tick(&o, 90000), 0);
	ck_assert_int_eq(mesh_outlier_tick(&o, 100000), 1);
	mesh_outlier_tick(&o, 110000); /* healthy intervals wind the multiplier down */
	ck_assert_int_eq(h[0].ejections, 1);
	mesh_outlier_tick(&o, 120000);
	ck_assert_int_eq(h[0].ejections, 0);
}
END_TEST

static const struct oe_row {
	const char *why;
	int hosts, max_pct, want_ejected;
} oe_rows[] = {
    {"10 % of 4 hosts: Envoy ejects none", 4, 10, 0},
    {"10 % of 10 hosts: one", 10, 10, 1},
    {"50 % of 4 hosts: two", 4, 50, 2},
    {"100 % of 3 hosts: all", 3, 100, 3},
};

START_TEST(test_outlier_max_ejection)
{
	const struct oe_row *r = &oe_rows[_i];
	mesh_outlier_cfg_t c = {1, 5, 0, 10000, 30000, r->max_pct, 0};
	mesh_outlier_host_t h[10];
	mesh_outlier_t o;
	mesh_outlier_init(&o, &c, h, (size_t)r->hosts, 0);
	for (int i = 0; i < r->hosts; i++)
		for (int k = 0; k < 5; k++)
			mesh_outlier_result(&o, (size_t)i, 500, 1);
	ck_assert_msg((int)o.nejected == r->want_ejected, "%s: %zu", r->why, o.nejected);
}
END_TEST

START_TEST(test_outlier_gateway_cap_and_off)
{
	/* consecutiveGatewayErrors counts 502/503/504 only; 5xx off */
	mesh_outlier_cfg_t c = {1, 0, 2, 10000, 200000, 100, 0};
	mesh_outlier_host_t h[2];
	mesh_outlier_t o;
	mesh_outlier_init(&o, &c, h, 2, 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 500, 1), 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 500, 2), 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 502, 3), 0);
	ck_assert_int_eq(mesh_outlier_result(&o, 0, 504, 4), 1);
	/* ejection time is capped: 3 x 200 s would be 600 s; the cap is max(300 s, base) */
	h[0].ejections = 3;
	ck_assert_int_eq(mesh_outlier_tick(&o, 4 + 299999), 0);
	ck_assert_int_eq(mesh_outlier_tick(&o, 4 + 300000), 1);
	/* without the block, nothing is ever ejected */
	mesh_outlier_cfg_t off = {0, 5, 0, 10000, 30000, 100, 0};
	mesh_outlier_init(&o, &off, h, 2, 0);
	for (int k = 0; k < 50; k++)
		ck_assert_int_eq(mesh_outlier_result(&o, 1, 503, k), 0);
}
END_TEST

#define LOOP(tc, fn, rows) tcase_add_loop_test(tc, fn, 0, (int)(sizeof rows / sizeof *rows))

static Suite *decide_suite(void)
{
	Suite *s = suite_create("decide");
	TCase *tc = tcase_create("core");
	LOOP(tc, test_peer_mode, pa_rows);
	tcase_add_test(tc, test_peer_mode_default);
	tcase_add_test(tc, test_peer_accepts);
	LOOP(tc, test_authz, ap_rows);
	tcase_add_test(tc, test_authz_custom_provider);
	tcase_add_test(tc, test_authz_op_unknown);
	LOOP(tc, test_route, rt_rows);
	tcase_add_test(tc, test_route_weight_shares);
	LOOP(tc, test_fault_decide, fault_rows);
	LOOP(tc, test_retry_should, retry_rows);
	tcase_add_test(tc, test_retry_backoff);
	tcase_add_test(tc, test_traffic_policy_for);
	tcase_add_test(tc, test_lb_round_robin);
	LOOP(tc, test_lb_pick, lb_rows);
	tcase_add_test(tc, test_lb_consistent_hash);
	tcase_add_test(tc, test_lb_hash_key);
	LOOP(tc, test_pool_admit, pool_rows);
	tcase_add_test(tc, test_pool_conn_spent);
	tcase_add_test(tc, test_outlier_ejection_and_return);
	LOOP(tc, test_outlier_max_ejection, oe_rows);
	tcase_add_test(tc, test_outlier_gateway_cap_and_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decide_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
