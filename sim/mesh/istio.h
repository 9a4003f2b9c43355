/* sim/mesh/istio.h: Istio's configuration objects, read from real YAML
 * into typed C structs, with their references resolved as Istio resolves
 * them.
 *
 * Kinds: Gateway, VirtualService, DestinationRule (networking.istio.io
 * v1alpha3, v1beta1, v1), PeerAuthentication, AuthorizationPolicy
 * (security.istio.io v1beta1, v1). Every other object in the files
 * (Namespace, Service, Deployment, ...) is kept generically (mesh_obj_t),
 * with the few fields the analyzer reads (Namespace labels, Service
 * selector and ports, Deployment pod labels, service account and sidecar
 * annotation).
 *
 * Strictness: in the parts modelled, an unknown field, a value of the
 * wrong type or out of range is an error naming file, line, column, the
 * object and the field path, e.g.
 *   "gw.yaml:12:19: VirtualService frontend/shop: field
 *    spec.http[0].route[1].weight: must be an integer 0..100"
 * (with "did you mean" for a near miss). `status` is ignored. Fields Istio
 * has but meshsim does not model (corsPolicy, headers manipulation, tcp and
 * tls routes, ...) are accepted and skipped; each parser lists them.
 *
 * References (mesh_config_resolve):
 *  - VirtualService gateways: "mesh" is reserved (every sidecar); "ns/name"
 *    names a Gateway in ns; a bare "name" means the VirtualService's own
 *    namespace (so the seed's `my-gateway` from namespace frontend looks for
 *    frontend/my-gateway); "name.ns.svc.cluster.local" (old form) also
 *    works. No `gateways` means ["mesh"].
 *  - Hosts: a short name without dots is completed with the namespace of
 *    the object naming it ("reviews" in bookinfo ->
 *    reviews.bookinfo.svc.cluster.local), as Istio does; names with a dot
 *    and wildcards are kept as written.
 *  - A destination subset must be defined by a DestinationRule for that
 *    host.
 * A dangling reference is an error with the place of the reference.
 *
 * Age ("the oldest wins"): metadata.creationTimestamp when present
 * (RFC 3339); objects without one count as created after every stamped
 * object, in the order they were loaded (file order, then document order).
 * mesh_obj_meta_t.age holds the resulting rank: smaller is older.
 *
 * Memory: a mesh_config_t owns its objects, strings and loaded files; free
 * it with mesh_config_free(). Pointers into it stay valid until then.
 *
 * Threads: none; re-entrant on distinct configs. Decisions (decide.h) only
 * read a config, so several threads may decide on one loaded config.
 */
#ifndef MESHSIM_SIM_MESH_ISTIO_H
#define MESHSIM_SIM_MESH_ISTIO_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "yaml_doc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MESH_ROOT_NAMESPACE "istio-system"
#define MESH_DOMAIN_SUFFIX "svc.cluster.local"

typedef struct mesh_kv {
	const char *key, *value;
} mesh_kv_t;

/* A label set / selector (matchLabels). */
typedef struct mesh_labels {
	size_t n;
	mesh_kv_t *kv;
} mesh_labels_t;

typedef struct mesh_strs {
	size_t n;
	const char **v;
	const yd_node_t **nodes; /* where each came from (for messages) */
} mesh_strs_t;

/* Where an object came from and who it is. */
typedef struct mesh_obj_meta {
	const char *api_version, *kind, *name, *ns; /* ns "default" when the file gave none */
	int ns_given;            /* metadata.namespace was written */
	mesh_labels_t labels;
	const char *file;
	int line;                /* of the document */
	const yd_node_t *node;   /* the whole document */
	int64_t created;         /* creationTimestamp, seconds since the epoch; -1 if none */
	size_t age;              /* rank by age: 0 is the oldest */
	size_t load_order;
} mesh_obj_meta_t;

/* A string match of an HTTPMatchRequest or a header. */
typedef enum mesh_sm_kind {
	MESH_SM_ANY, /* field absent */
	MESH_SM_EXACT,
	MESH_SM_PREFIX,
	MESH_SM_REGEX,
	MESH_SM_PRESENT /* header `{}`: present with any value */
} mesh_sm_kind_t;

typedef struct mesh_strmatch {
	mesh_sm_kind_t kind;
	const char *value;
} mesh_strmatch_t;

typedef struct mesh_hdrmatch {
	const char *name; /* lower case */
	mesh_strmatch_t m;
} mesh_hdrmatch_t;

/* ---- Gateway ---- */
typedef struct mesh_gw_server {
	int port;
	const char *port_name, *protocol;
	mesh_strs_t hosts; /* "ns/host" or "host" as written */
	const char *tls_mode; /* NULL without tls */
	int line;
} mesh_gw_server_t;

typedef struct mesh_gateway {
	mesh_obj_meta_t meta;
	mesh_labels_t selector;
	size_t nservers;
	mesh_gw_server_t *servers;
} mesh_gateway_t;

/* ---- VirtualService ---- */
typedef struct mesh_destination {
	const char *host;      /* as written */
	const char *fqdn;      /* resolved (short names completed) */
	const char *subset;    /* NULL when none */
	int port;              /* 0 when none */
	const yd_node_t *node; /* the destination map */
	const yd_node_t *subset_node;
} mesh_destination_t;

typedef struct mesh_route_dest {
	mesh_destination_t dest;
	int weight;     /* as written; -1 when absent */
	int line;
} mesh_route_dest_t;

typedef struct mesh_http_match {
	const char *name;
	mesh_strmatch_t uri, scheme, method, authority;
	int ignore_uri_case;
	size_t nheaders;
	mesh_hdrmatch_t *headers;
	size_t nwithout;
	mesh_hdrmatch_t *without_headers;
	int port; /* 0: any */
	mesh_labels_t source_labels;
	const char *source_namespace; /* NULL: any */
	mesh_strs_t gateways;         /* resolved like the VirtualService's; none: the VS's */
} mesh_http_match_t;

/* Retry policy. set = written in the route; otherwise Istio's default. */
typedef struct mesh_retry {
	int set;
	int attempts;            /* 2 by default */
	int64_t per_try_ms;      /* -1: none */
	const char *retry_on;    /* never NULL once resolved */
	int retry_remote_localities;
} mesh_retry_t;

#define MESH_DEFAULT_RETRY_ON "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
#define MESH_DEFAULT_RETRY_ATTEMPTS 2
#define MESH_RETRY_BASE_MS 25

typedef struct mesh_fault {
	int has_delay, has_abort;
	int64_t delay_ms;
	double delay_pct;   /* 0..100; 0 when no percentage was given: never */
	int abort_http;     /* 0 when grpcStatus is used */
	const char *abort_grpc; /* NULL when httpStatus is used */
	double abort_pct;
} mesh_fault_t;

typedef struct mesh_http_route {
	const char *name; /* NULL when unnamed */
	int line;
	size_t nmatch;
	mesh_http_match_t *match;
	size_t nroute;
	mesh_route_dest_t *route;
	int has_redirect, has_direct_response;
	int64_t timeout_ms; /* -1: none */
	mesh_retry_t retries;
	int has_fault;
	mesh_fault_t fault;
	int has_mirror;
	mesh_destination_t mirror;
	double mirror_pct; /* 100 when mirror is set and no percentage */
	const char *rewrite_uri, *rewrite_authority;
} mesh_http_route_t;

typedef struct mesh_vs {
	mesh_obj_meta_t meta;
	mesh_strs_t hosts;       /* as written */
	const char **fqdns;      /* resolved hosts, parallel to hosts */
	mesh_strs_t gateways;    /* as written; empty means ["mesh"] */
	const char **gw_refs;    /* resolved "ns/name" or "mesh", parallel to gateways */
	size_t nhttp;
	mesh_http_route_t *http;
	int has_tcp_or_tls;
} mesh_vs_t;

/* ---- DestinationRule ---- */
typedef enum mesh_lb_kind {
	MESH_LB_DEFAULT,  /* not set: LEAST_REQUEST in Istio >= 1.14 */
	MESH_LB_ROUND_ROBIN,
	MESH_LB_LEAST_REQUEST,
	MESH_LB_RANDOM,
	MESH_LB_PASSTHROUGH,
	MESH_LB_CONSISTENT_HASH
} mesh_lb_kind_t;

typedef enum mesh_hash_on {
	MESH_HASH_NONE,
	MESH_HASH_HEADER,
	MESH_HASH_COOKIE,
	MESH_HASH_SOURCE_IP,
	MESH_HASH_QUERY
} mesh_hash_on_t;

typedef struct mesh_lb_policy {
	mesh_lb_kind_t kind;
	mesh_hash_on_t hash_on;
	const char *hash_name; /* header, cookie or query parameter name */
} mesh_lb_policy_t;

/* Connection pool limits; 0 means unlimited (Istio's default). */
typedef struct mesh_conn_pool {
	int set;
	int64_t max_connections;
	int64_t connect_timeout_ms;      /* 10000 by default */
	int64_t http1_max_pending;
	int64_t http2_max_requests;
	int64_t max_requests_per_conn;
	int64_t max_retries;
	int64_t idle_timeout_ms;         /* 0: none */
} mesh_conn_pool_t;

typedef struct mesh_outlier_cfg {
	int set;                     /* the block is present */
	int consecutive_5xx;         /* 5 by default; 0 disables */
	int consecutive_gateway;     /* 0: off */
	int64_t interval_ms;         /* 10 s */
	int64_t base_ejection_ms;    /* 30 s */
	int max_ejection_pct;        /* 10 */
	int min_health_pct;          /* 0 */
} mesh_outlier_cfg_t;

typedef struct mesh_traffic_policy {
	int set;
	mesh_lb_policy_t lb;
	mesh_conn_pool_t pool;
	mesh_outlier_cfg_t outlier;
	const char *tls_mode; /* NULL: auto mTLS */
} mesh_traffic_policy_t;

typedef struct mesh_port_policy {
	int port;
	mesh_traffic_policy_t tp;
} mesh_port_policy_t;

typedef struct mesh_subset {
	const char *name;
	mesh_labels_t labels;
	mesh_traffic_policy_t tp;
	int line;
} mesh_subset_t;

typedef struct mesh_dr {
	mesh_obj_meta_t meta;
	const char *host, *fqdn;
	const yd_node_t *host_node;
	mesh_traffic_policy_t tp;
	size_t nports;
	mesh_port_policy_t *ports;
	size_t nsubsets;
	mesh_subset_t *subsets;
	mesh_labels_t workload_selector;
} mesh_dr_t;

/* ---- PeerAuthentication ---- */
typedef enum mesh_mtls {
	MESH_MTLS_UNSET,
	MESH_MTLS_DISABLE,
	MESH_MTLS_PERMISSIVE,
	MESH_MTLS_STRICT
} mesh_mtls_t;

typedef struct mesh_port_mtls {
	int port;
	mesh_mtls_t mode;
	int line;
} mesh_port_mtls_t;

typedef struct mesh_peerauth {
	mesh_obj_meta_t meta;
	int has_selector;
	mesh_labels_t selector;
	mesh_mtls_t mode;
	size_t nports;
	mesh_port_mtls_t *ports;
	int ports_line;
} mesh_peerauth_t;

/* ---- AuthorizationPolicy ---- */
typedef enum mesh_authz_action {
	MESH_AUTHZ_ALLOW,
	MESH_AUTHZ_DENY,
	MESH_AUTHZ_AUDIT,
	MESH_AUTHZ_CUSTOM
} mesh_authz_action_t;

typedef struct mesh_authz_source {
	mesh_strs_t principals, not_principals;
	mesh_strs_t request_principals, not_request_principals;
	mesh_strs_t namespaces, not_namespaces;
	mesh_strs_t ip_blocks, not_ip_blocks;
	mesh_strs_t remote_ip_blocks, not_remote_ip_blocks;
} mesh_authz_source_t;

typedef struct mesh_authz_operation {
	mesh_strs_t hosts, not_hosts, ports, not_ports, methods, not_methods, paths, not_paths;
} mesh_authz_operation_t;

typedef struct mesh_authz_cond {
	const char *key;
	mesh_strs_t values, not_values;
} mesh_authz_cond_t;

typedef struct mesh_authz_rule {
	int line;
	size_t nfrom;
	mesh_authz_source_t *from;
	size_t nto;
	mesh_authz_operation_t *to;
	size_t nwhen;
	mesh_authz_cond_t *when;
} mesh_authz_rule_t;

typedef struct mesh_authz_policy {
	mesh_obj_meta_t meta;
	int has_selector;
	mesh_labels_t selector;
	mesh_authz_action_t action;
	const char *provider; /* CUSTOM only */
	int rules_given;      /* `rules` written (even empty) */
	size_t nrules;
	mesh_authz_rule_t *rules;
} mesh_authz_policy_t;

/* ---- Kubernetes objects the analyzer reads ---- */
typedef struct mesh_svc_port {
	int port, target_port;
	const char *name, *target_port_name, *app_protocol;
} mesh_svc_port_t;

typedef struct mesh_obj {
	mesh_obj_meta_t meta;
	/* Service */
	int has_selector;
	mesh_labels_t selector;
	size_t nports;
	mesh_svc_port_t *ports;
	const char *svc_type;
	/* Deployment/StatefulSet/DaemonSet/ReplicaSet/Pod */
	mesh_labels_t pod_labels;
	const char *service_account;
	const char *inject_annotation; /* sidecar.istio.io/inject, NULL if absent */
	const char *inject_label;      /* same as a pod label, NULL if absent */
	int replicas;                  /* 1 if absent */
} mesh_obj_t;

typedef struct mesh_config {
	size_t ngateways, nvs, ndr, npa, nap, nobjs;
	mesh_gateway_t **gateways;
	mesh_vs_t **vs;
	mesh_dr_t **dr;
	mesh_peerauth_t **pa;
	mesh_authz_policy_t **ap;
	mesh_obj_t **objs;
	size_t nfiles;
	yd_file_t **files;
	size_t loaded; /* documents loaded, for load_order */
	void *arena_; /* internal */
	size_t caps_[7]; /* internal */
} mesh_config_t;

/* An empty config; 0 or -1 when out of memory. */
int mesh_config_init(mesh_config_t *cfg);
void mesh_config_free(mesh_config_t *cfg);

/* Adds every document of a loaded file. Takes ownership of |f| (also on
 * error). Problems go to |d| (errors for what is wrong in a modelled
 * object, which is then left out of the config); returns the number of
 * errors added, or -1 when out of memory. Documents that are not Kubernetes
 * objects (no apiVersion/kind) are errors too. */
int mesh_config_add_file(mesh_config_t *cfg, yd_file_t *f, mesh_diags_t *d);
/* Reads |path| and adds it; a YAML syntax error is one error finding. */
int mesh_config_load(mesh_config_t *cfg, const char *path, mesh_diags_t *d);
/* Same from memory, |name| standing for the file name in messages. */
int mesh_config_load_string(mesh_config_t *cfg, const char *name, const char *yaml,
			    mesh_diags_t *d);

/* After every file is added: ranks objects by age, completes hosts,
 * resolves gateway references and subsets. Dangling references are errors
 * in |d| (the analyzer adds a suggested fix). Returns the number of errors
 * added. Call once. */
int mesh_config_resolve(mesh_config_t *cfg, mesh_diags_t *d);

/* Host helpers. */
/* |host| completed for namespace |ns| into |buf| ("reviews" ->
 * "reviews.<ns>.svc.cluster.local"); names with a dot or a '*' are copied. */
const char *mesh_host_fqdn(const char *host, const char *ns, char *buf, size_t len);
/* 1 if VirtualService host |pattern| ("*", "*.example.com", or an FQDN)
 * matches |host| (case-insensitive). */
int mesh_host_matches(const char *pattern, const char *host);
/* 1 if every label of |sel| is in |labels| (an empty selector matches all). */
int mesh_labels_match(const mesh_labels_t *sel, const mesh_labels_t *labels);
const char *mesh_labels_get(const mesh_labels_t *l, const char *key);

/* A duration "1.5s", "100ms", "1m30s", "2h" (Go syntax, as Istio accepts)
 * in milliseconds; -1 if malformed. Microseconds round up to 1 ms. */
int64_t mesh_parse_duration_ms(const char *s);
const char *mesh_mtls_name(mesh_mtls_t m);

/* The Gateway a resolved reference "ns/name" names, or NULL. */
const mesh_gateway_t *mesh_find_gateway(const mesh_config_t *cfg, const char *ref);
/* The DestinationRule for host |fqdn| (exact host first, then the longest
 * wildcard; the oldest wins ties), or NULL. */
const mesh_dr_t *mesh_find_dr(const mesh_config_t *cfg, const char *fqdn);
const mesh_subset_t *mesh_dr_subset(const mesh_dr_t *dr, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* MESHSIM_SIM_MESH_ISTIO_H */
