/* sim/mesh/analyze.h: checks over a set of manifests, the way
 * `istioctl analyze` does, plus the mistakes that made the seed's canary
 * split do nothing (shared/BOUTIQUE.md).
 *
 * Pure: the caller reads the files (tools/cmd_analyze.c) and hands over a
 * resolved mesh_config_t and a topology; findings go to a mesh_diags_t,
 * each with file, line, severity, message and a suggested fix.
 *
 * The topology says which Services, workloads and namespaces exist and who
 * calls whom. It is built from:
 *  - the manifests themselves (mesh_topo_from_config): Namespace objects
 *    (label istio-injection: enabled means sidecars), Services, Deployments
 *    and the like (pod labels, service account, sidecar.istio.io/inject,
 *    and container env values "host:port", which are calls), and the
 *    ingress gateway (implicit: istio-system/istio-ingressgateway, service
 *    account istio-ingressgateway, when a Gateway selects
 *    istio: ingressgateway), whose calls are the destinations of the routes
 *    bound to it;
 *  - meshsim's chart values (mesh_topo_add_values, one values.yaml each):
 *    a Service `name` in `namespace` on service.port -> service.targetPort
 *    selecting app: <name>; a Deployment <name> (app, version: stable) and,
 *    with canary.enabled, <name>-canary (version: canary); service account
 *    <name>; and every env value "host:port" is a call;
 *  - an explicit list (mesh_topo_add_calls), one call a line:
 *      CALLER_NS/CALLER_WORKLOAD -> HOST[:PORT] [PATH]   # comment
 *    e.g. "frontend/frontend -> cartservice.cartservice.svc.cluster.local:7070
 *    /hipstershop.CartService/GetCart"; the caller's service account is the
 *    workload's (or its name when unknown).
 * A check that needs a part of the topology nobody gave is skipped (an info
 * finding says so) rather than guessed.
 *
 * Checks (E error, W warning):
 *  E  every parse and reference error of istio.h (unknown fields, bad
 *     values, dangling gateways and subsets);
 *  E  a VirtualService bound only to gateways for a host that workloads in
 *     the mesh call (its routes, and any split, ignore east-west traffic);
 *     W when no caller is known;
 *  E  a gateway route that sends traffic for a split's pods to another
 *     Service host, or W to the split's host without splitting (Istio does
 *     not chain VirtualServices, so north-south traffic misses the split);
 *  E  a cluster-local host (VirtualService host or destination,
 *     DestinationRule host) that names no Service;
 *  E  a DestinationRule subset whose labels no pod behind the Service has;
 *  E  a weighted split whose destinations select the same pods, or whose
 *     Service selector pins one version (so a subset has no endpoints);
 *  W  split weights that do not sum to 100 (shares are weight / sum);
 *  W  a Gateway without a namespace; portLevelMtls without a selector;
 *  E  STRICT mTLS on a workload that a caller without a sidecar calls;
 *  E  an AuthorizationPolicy that refuses a call the topology needs
 *     (whatever the method, when the call lists no path).
 */
#ifndef MESHSIM_SIM_MESH_ANALYZE_H
#define MESHSIM_SIM_MESH_ANALYZE_H

#include "decide.h"
#include "diag.h"
#include "istio.h"
#include "yaml_doc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mesh_topo mesh_topo_t;

/* A new empty topology, or NULL when out of memory. */
mesh_topo_t *mesh_topo_new(void);
void mesh_topo_free(mesh_topo_t *t);
/* Adds what a meshsim chart's values.yaml says (see above). Returns the
 * number of errors added to |d| (a values file without name or namespace),
 * or -1 when out of memory. |f| stays the caller's but must outlive |t|. */
int mesh_topo_add_values(mesh_topo_t *t, const yd_file_t *f, mesh_diags_t *d);
/* Adds the calls listed in |text| (the content of file |name|). Returns the
 * number of malformed lines reported, or -1 when out of memory. */
int mesh_topo_add_calls(mesh_topo_t *t, const char *name, const char *text, mesh_diags_t *d);

/* Adds the manifests' own topology, then runs every check. Call once,
 * after mesh_config_resolve. Returns -1 when out of memory, else 0. */
int mesh_analyze(const mesh_config_t *cfg, mesh_topo_t *t, mesh_diags_t *d);

#ifdef __cplusplus
}
#endif
#endif /* MESHSIM_SIM_MESH_ANALYZE_H */
