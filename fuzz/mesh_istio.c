/*
 * mesh_istio.c — fuzz target: Istio and Kubernetes manifests
 * (sim/mesh/yaml_doc.c, sim/mesh/istio.c) and the decisions on what was
 * read (sim/mesh/decide.c).
 *
 * Input: a multi-document YAML file. It is loaded with
 * mesh_config_load_string() (from a NUL-terminated copy: the function takes
 * a C string) and resolved with mesh_config_resolve(). Every error finding
 * must name the file and a line (a syntax error, a bad field or a dangling
 * reference all have a place). Then, on what was read, for at most 8 of each
 * kind: that each subset has a name and each route destination a host, the
 * PeerAuthentication mode and the AuthorizationPolicy verdict of
 * each Deployment's pods (and of a fixed workload), the route of a request
 * to each VirtualService host, the traffic policy and a load-balancing pick
 * for each DestinationRule host and subset, and a fault decision for each
 * faulty route. Then everything is freed. A crash, a sanitizer report or a
 * broken invariant is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "istio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "k8s/istio/fuzz.yaml"
#define MAX_EACH 8

static size_t at_most(size_t n) { return n < MAX_EACH ? n : MAX_EACH; }

static void check_peer(const mesh_config_t *cfg, const mesh_workload_t *w,
                       int port) {
  mesh_peer_decision_t pd = mesh_peer_mode(cfg, w, port);
  if (pd.mode == MESH_MTLS_UNSET || !mesh_mtls_name(pd.mode))
    abort();
  if ((pd.level == MESH_PEER_DEFAULT) != (pd.policy == NULL))
    abort();
  (void)mesh_peer_accepts(pd.mode, 1);
}

static void check_authz(const mesh_config_t *cfg, const mesh_workload_t *w,
                        int port, int mtls, int op_unknown) {
  static const mesh_kv_t hdrs[] = {{"x-user", "alice"}, {"cookie", "a=b"}};
  mesh_authz_req_t r = {0};
  r.mtls = mtls;
  r.principal = "cluster.local/ns/default/sa/frontend";
  r.source_ip = "10.0.0.7";
  r.dest = w;
  r.host = "frontend.default.svc.cluster.local";
  r.port = port;
  r.method = "POST";
  r.path = "/hipstershop.CartService/GetCart?x=1";
  r.headers = hdrs;
  r.nheaders = 2;
  r.op_unknown = op_unknown;
  mesh_authz_decision_t d;
  mesh_authz(cfg, &r, &d);
  if (!memchr(d.reason, '\0', sizeof d.reason))
    abort();
  if (d.rule >= 0 && !d.policy)
    abort();
}

static void check_route(const mesh_config_t *cfg, const char *host,
                        const char *gateway, int port) {
  static const mesh_kv_t hdrs[] = {{"end-user", "jason"},
                                   {"cookie", "shop_session-id=x"}};
  mesh_route_req_t r = {0};
  r.gateway = gateway;
  r.source_ns = "default";
  r.host = host;
  r.port = port;
  r.uri = "/product/OLJCESPC7Z?x=1";
  r.method = "GET";
  r.headers = hdrs;
  r.nheaders = 2;
  mesh_route_result_t out;
  for (int k = 0; k < 3; k++) {
    mesh_route(cfg, &r, k / 3.0, &out);
    if (out.status == MESH_ROUTE_OK && (!out.route || !out.host))
      abort();
    if (out.fault) {
      mesh_fault_decision_t fd;
      mesh_fault_decide(out.fault, 0.01, 0.5, &fd);
    }
    if (out.status == MESH_ROUTE_OK) {
      mesh_outcome_t o = {0, 0, 0, 503, 14};
      (void)mesh_retry_should(&out.retries, &o);
    }
  }
}

static void check_policy(const mesh_config_t *cfg, const char *fqdn,
                         const char *subset, int port) {
  mesh_traffic_policy_t tp;
  mesh_traffic_policy_for(cfg, fqdn, subset, port, &tp);
  static const mesh_kv_t hdrs[] = {{"x-user", "alice"},
                                   {"cookie", "user=bob; shop=1"}};
  char key[256];
  const char *hk = mesh_lb_hash_key(&tp.lb, hdrs, 2, "/a?user=carol&b=2",
                                    "10.0.0.7", key, sizeof key);
  mesh_endpoint_t eps[4] = {{"10.0.0.1:80", 1, 0, 3},
                            {"10.0.0.2:80", 1, 1, 0},
                            {"10.0.0.3:80", 0, 0, 1},
                            {"10.0.0.4:80", 1, 0, 2}};
  mesh_lb_state_t st = {0};
  int panic = mesh_lb_panic_pct(&tp);
  for (int k = 0; k < 3; k++) {
    int i = mesh_lb_pick(&tp.lb, &st, eps, 4, hk, k / 3.0, 0.7, panic);
    if (i < -1 || i >= 4)
      abort();
  }
  mesh_pool_state_t ps = {3, 0, 5, 1};
  (void)mesh_pool_admit(&tp.pool, &ps, 1);
  (void)mesh_pool_admit(&tp.pool, &ps, 0);
  (void)mesh_pool_conn_spent(&tp.pool, 100);
  if (tp.outlier.set) {
    mesh_outlier_host_t hosts[4];
    mesh_outlier_t o;
    mesh_outlier_init(&o, &tp.outlier, hosts, 4, 0);
    for (int k = 0; k < 12; k++)
      (void)mesh_outlier_result(&o, (size_t)k % 2, k % 3 ? 503 : 200, k * 100);
    (void)mesh_outlier_tick(&o, o.next_tick_ms);
  }
}

static void decide_all(const mesh_config_t *cfg) {
  /* A fixed workload, and each Deployment's pods. */
  mesh_kv_t lab[] = {{"app", "frontend"}, {"version", "v1"}};
  mesh_workload_t fixed = {"frontend", "default", {2, lab}, "frontend", 1};
  check_peer(cfg, &fixed, 8080);
  check_authz(cfg, &fixed, 8080, 1, 0);
  check_authz(cfg, &fixed, 8080, 0, 1);
  for (size_t i = 0; i < at_most(cfg->nobjs); i++) {
    const mesh_obj_t *o = cfg->objs[i];
    mesh_workload_t w = {o->meta.name, o->meta.ns, o->pod_labels,
                         o->service_account ? o->service_account : "default",
                         1};
    int port = o->nports ? o->ports[0].target_port : 8080;
    check_peer(cfg, &w, port);
    check_authz(cfg, &w, port, 1, 0);
  }
  for (size_t i = 0; i < at_most(cfg->npa); i++) {
    const mesh_peerauth_t *p = cfg->pa[i];
    mesh_workload_t w = {"w", p->meta.ns, p->selector, "default", 1};
    check_peer(cfg, &w, p->nports ? p->ports[0].port : 80);
  }
  for (size_t i = 0; i < at_most(cfg->nap); i++) {
    const mesh_authz_policy_t *p = cfg->ap[i];
    mesh_workload_t w = {"w", p->meta.ns, p->selector, "default", 1};
    check_authz(cfg, &w, 80, 1, 0);
    check_authz(cfg, &w, 80, 0, 0);
  }
  /* Routes to each VirtualService host, from a sidecar and its gateways. */
  for (size_t i = 0; i < at_most(cfg->nvs); i++) {
    const mesh_vs_t *vs = cfg->vs[i];
    /* An accepted route names where it goes. */
    for (size_t h = 0; h < vs->nhttp; h++)
      for (size_t k = 0; k < vs->http[h].nroute; k++)
        if (!vs->http[h].route[k].dest.host)
          abort();
    for (size_t h = 0; h < at_most(vs->hosts.n); h++) {
      const char *host = vs->fqdns && vs->fqdns[h] ? vs->fqdns[h] : vs->hosts.v[h];
      if (!host)
        abort();
      check_route(cfg, host, NULL, 80);
      for (size_t g = 0; g < at_most(vs->gateways.n); g++)
        if (vs->gw_refs && vs->gw_refs[g])
          check_route(cfg, host, vs->gw_refs[g], 80);
    }
  }
  /* Policies of each DestinationRule host and subset. */
  for (size_t i = 0; i < at_most(cfg->ndr); i++) {
    const mesh_dr_t *dr = cfg->dr[i];
    const char *fqdn = dr->fqdn ? dr->fqdn : dr->host;
    if (!fqdn)
      abort();
    if (mesh_find_dr(cfg, fqdn) == NULL && !strchr(fqdn, '*'))
      abort();
    check_policy(cfg, fqdn, NULL, dr->nports ? dr->ports[0].port : 80);
    for (size_t s = 0; s < at_most(dr->nsubsets); s++) {
      if (!dr->subsets[s].name ||
          mesh_dr_subset(dr, dr->subsets[s].name) == NULL)
        abort();
      check_policy(cfg, fqdn, dr->subsets[s].name, 80);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  mesh_config_t cfg;
  if (mesh_config_init(&cfg) != 0) {
    free(text);
    return 0;
  }
  mesh_diags_t d = {0};
  int nerr = mesh_config_load_string(&cfg, FILE_NAME, text, &d);
  free(text); /* the config keeps what it needs */
  if (nerr >= 0) {
    nerr += mesh_config_resolve(&cfg, &d);
    /* Every error says where: this file, a line. */
    for (size_t i = 0; i < d.n; i++) {
      const mesh_diag_t *g = &d.v[i];
      if (!g->msg || !mesh_sev_name(g->sev))
        abort();
      if (g->sev == MESH_SEV_ERROR &&
          (!g->file || strcmp(g->file, FILE_NAME) != 0 || g->line < 1))
        abort();
    }
    if ((size_t)nerr > d.nerrors)
      abort();
    decide_all(&cfg);
  }
  mesh_diags_sort(&d);
  mesh_diags_free(&d);
  mesh_config_free(&cfg);
  return 0;
}
