/* sim/mesh/decide.h: what Istio decides, as pure functions.
 *
 * Every function here reads a resolved mesh_config_t (istio.h) and small
 * inputs, and returns a decision; none does I/O, reads a clock or draws a
 * random number. Randomness comes in as uniform numbers in [0, 1) that the
 * caller draws from its own seeded stream, and times come in as arguments
 * (milliseconds of the caller's clock), so the virtual data plane replays
 * exactly and the live one decides the same way.
 *
 * The semantics are those of shared/MESH.md; where Envoy's behaviour is
 * finer than MESH.md says, the comment of the function says which choice
 * is made.
 *
 * Memory: results point into the config (policies, routes, strings) and
 * stay valid while it lives; callers own the state structs (round-robin
 * position, pool counters, outlier state).
 */
#ifndef MESHSIM_SIM_MESH_DECIDE_H
#define MESHSIM_SIM_MESH_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "istio.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pod (or a Deployment's pods) as the policies see it. */
typedef struct mesh_workload {
	const char *name; /* for messages only */
	const char *ns;
	mesh_labels_t labels;
	const char *sa;   /* service account */
	int has_sidecar;
} mesh_workload_t;

/* ---- PeerAuthentication ---- */
typedef enum mesh_peer_level {
	MESH_PEER_DEFAULT,   /* nothing applies: PERMISSIVE */
	MESH_PEER_MESH,      /* root namespace, no selector */
	MESH_PEER_NAMESPACE, /* workload's namespace, no selector */
	MESH_PEER_WORKLOAD,  /* selector matching the workload */
	MESH_PEER_PORT       /* portLevelMtls of the workload policy */
} mesh_peer_level_t;

typedef struct mesh_peer_decision {
	mesh_mtls_t mode;               /* never MESH_MTLS_UNSET */
	const mesh_peerauth_t *policy;  /* the policy that set the mode; NULL at DEFAULT */
	mesh_peer_level_t level;
} mesh_peer_decision_t;

/* The mode the server sidecar of |w| enforces on |port| (the workload's
 * port, i.e. the container port). Precedence: workload policy (selector
 * with labels, in the workload's namespace; in the root namespace only for
 * root-namespace workloads) > namespace policy > mesh policy (root
 * namespace, no selector) > PERMISSIVE. UNSET inherits from the level
 * above. portLevelMtls counts only in a policy with a selector. Ties at a
 * level: the oldest policy (istio.h, "Age"). */
mesh_peer_decision_t mesh_peer_mode(const mesh_config_t *cfg, const mesh_workload_t *w, int port);
/* 1 if a server in |mode| accepts a connection that is mTLS (|mtls| 1) or
 * plaintext (0). */
int mesh_peer_accepts(mesh_mtls_t mode, int mtls);

/* ---- AuthorizationPolicy ---- */
typedef struct mesh_authz_req mesh_authz_req_t;
/* CUSTOM action: the external authorizer's verdict, 1 allow, 0 deny. */
typedef int (*mesh_authz_custom_cb)(void *ud, const mesh_authz_policy_t *p,
				    const mesh_authz_req_t *r);

struct mesh_authz_req {
	int mtls;                 /* the connection was mutual TLS */
	const char *principal;    /* peer identity "cluster.local/ns/NS/sa/SA" (a leading
				   * "spiffe://" is ignored); read only when mtls */
	const char *source_ns;    /* NULL: the namespace in the principal; read only when mtls */
	const char *source_ip;    /* IPv4 dotted quad, or NULL */
	const char *remote_ip;    /* NULL: source_ip */
	const char *request_principal; /* JWT "iss/sub", or NULL */
	const mesh_workload_t *dest;
	const char *host;         /* Host / :authority */
	int port;                 /* destination (workload) port */
	const char *method;       /* gRPC: "POST" */
	const char *path;         /* gRPC: "/package.Service/Method"; a query is ignored */
	const mesh_kv_t *headers; /* names compared case-insensitively */
	size_t nheaders;
	const char *sni;
	mesh_authz_custom_cb custom; /* NULL: a matching CUSTOM policy denies */
	void *custom_ud;
	/* For analysis: the operation (host, method, path, headers) is not
	 * known. A rule that constrains it then "may match": it counts for
	 * ALLOW and not for DENY or CUSTOM, so a denial means the call is
	 * refused whatever the operation. */
	int op_unknown;
};

typedef struct mesh_authz_decision {
	int allow;
	const mesh_authz_policy_t *policy; /* the deciding policy, or NULL */
	int rule;                          /* its matching rule, or -1 */
	char reason[320];
} mesh_authz_decision_t;

/* Istio's evaluation at the server sidecar of r->dest: a CUSTOM policy
 * that matches and whose provider denies -> deny; any matching DENY ->
 * deny; no ALLOW policy applies -> allow; a matching ALLOW -> allow;
 * otherwise deny with "RBAC: access denied". Policies apply from the
 * workload's namespace (no selector: all its workloads) and from the root
 * namespace (no selector: every workload; with one: matching workloads in
 * any namespace). An ALLOW policy with no rules (absent or `[]`) matches
 * nothing; a rule `{}` matches everything. Principals and namespaces match
 * only over mTLS; `*` as a principal means "any authenticated peer". */
void mesh_authz(const mesh_config_t *cfg, const mesh_authz_req_t *r, mesh_authz_decision_t *out);

/* ---- VirtualService routing ---- */
typedef struct mesh_route_req {
	const char *gateway;          /* NULL or "mesh": a sidecar; else "ns/name" */
	const char *source_ns;        /* NULL: unknown */
	const mesh_labels_t *source_labels;
	const char *host;             /* the host dialled (FQDN), or the Host header at a gateway */
	int port;                     /* the port dialled (Service port / gateway port) */
	const char *uri;              /* path with query */
	const char *method;
	const char *scheme;           /* NULL: "http" */
	const mesh_kv_t *headers;
	size_t nheaders;
} mesh_route_req_t;

typedef enum mesh_route_status {
	MESH_ROUTE_PASSTHROUGH, /* no VirtualService applies: to |host| as dialled */
	MESH_ROUTE_OK,          /* a route matched; destination chosen */
	MESH_ROUTE_NOT_FOUND,   /* VirtualServices apply but no route matched: 404 NR */
	MESH_ROUTE_REDIRECT,    /* the route answers with a redirect */
	MESH_ROUTE_DIRECT       /* the route answers with directResponse */
} mesh_route_status_t;

typedef struct mesh_route_result {
	mesh_route_status_t status;
	const mesh_vs_t *vs;
	size_t http_index;
	const mesh_http_route_t *route;
	const mesh_route_dest_t *chosen; /* the weighted destination picked */
	const char *host;                /* destination FQDN */
	const char *subset;              /* NULL: all endpoints */
	int port;                        /* 0: the port dialled */
	int64_t timeout_ms;              /* -1: none */
	mesh_retry_t retries;            /* attempts 0 on a fault route */
	const mesh_fault_t *fault;       /* NULL: no fault */
	const mesh_destination_t *mirror; /* NULL: none */
	double mirror_pct;
} mesh_route_result_t;

/* Picks the route for |r|. VirtualServices apply when one of their hosts
 * matches r->host and their gateways include the request's (none written
 * means "mesh"). Exact hosts beat wildcards, longer wildcards beat shorter,
 * then the oldest; at a gateway the routes of all applying VirtualServices
 * are tried in that order (Istio merges them), at a sidecar only the first
 * VirtualService's. Routes are tried in order, the first whose match list
 * (ORed; fields ANDed; no match list: everything) matches wins. |u| in
 * [0, 1) picks the destination in proportion to weight / sum of weights (a
 * single destination without weight takes all). Retries: Istio's default
 * when the route has none; none and no timeout when it has a fault. */
void mesh_route(const mesh_config_t *cfg, const mesh_route_req_t *r, double u,
		mesh_route_result_t *out);

typedef struct mesh_fault_decision {
	int64_t delay_ms; /* 0: none */
	int aborted;
	int abort_http;         /* when aborted by httpStatus */
	const char *abort_grpc; /* when aborted by grpcStatus */
} mesh_fault_decision_t;

/* Applies a fault with two uniforms: delayed if u_delay*100 < percentage,
 * aborted if u_abort*100 < percentage (no percentage: never). */
void mesh_fault_decide(const mesh_fault_t *f, double u_delay, double u_abort,
		       mesh_fault_decision_t *out);

/* What came back from one try, for the retry decision. */
typedef struct mesh_outcome {
	int connect_failure; /* could not connect */
	int reset;           /* the stream or connection was reset */
	int refused_stream;  /* HTTP/2 REFUSED_STREAM */
	int http_status;     /* 0 when none */
	int grpc_status;     /* -1 when none */
} mesh_outcome_t;

/* 1 if |o| may be retried under |rp|'s retryOn (Envoy's conditions:
 * 5xx, gateway-error, reset, connect-failure, refused-stream,
 * retriable-4xx, retriable-status-codes with the numeric codes listed in
 * retryOn, or 503 under Istio's default; gRPC cancelled,
 * deadline-exceeded, internal, resource-exhausted, unavailable). The
 * caller counts attempts against rp->attempts. */
int mesh_retry_should(const mesh_retry_t *rp, const mesh_outcome_t *o);
/* Envoy's jittered back-off before retry |n| (1-based): uniform in
 * [0, min(25 ms * 2^(n-1), 250 ms)), drawn with |u|. */
int64_t mesh_retry_backoff_ms(int n, double u);

/* ---- DestinationRule: policy, load balancing, pools, outliers ---- */

/* The traffic policy for a destination: the rule's top level, its
 * portLevelSettings for |port|, then the subset's, then the subset's port
 * level, each block (loadBalancer, connectionPool, outlierDetection, tls)
 * replacing the one before. No DestinationRule: Istio's defaults. */
void mesh_traffic_policy_for(const mesh_config_t *cfg, const char *fqdn, const char *subset,
			     int port, mesh_traffic_policy_t *out);

typedef struct mesh_endpoint {
	const char *key;   /* a stable identity (pod IP:port) for consistent hashing */
	int healthy;       /* ready */
	int ejected;       /* by outlier detection */
	uint32_t active;   /* requests in flight to it (LEAST_REQUEST) */
} mesh_endpoint_t;

typedef struct mesh_lb_state {
	size_t rr_next; /* ROUND_ROBIN position; start at 0 */
} mesh_lb_state_t;

/* Envoy's panic threshold for |tp|: minHealthPercent when outlierDetection
 * is present (Istio sets it; default 0 = never panic), else Envoy's 50. */
int mesh_lb_panic_pct(const mesh_traffic_policy_t *tp);

/* Picks an endpoint among the healthy, non-ejected ones (all of them when
 * fewer than |panic_pct| % are available). ROUND_ROBIN walks st->rr_next;
 * RANDOM uses |u1|; LEAST_REQUEST (and the default) draws two with |u1|,
 * |u2| and keeps the one with fewer active requests (the first on a tie);
 * consistentHash picks by rendezvous hashing of |hash_key| over the
 * endpoint keys (same key, same endpoint; a membership change moves only
 * the keys of the endpoint that left; not Envoy's ring, so which endpoint
 * a key lands on differs from Envoy's) and falls back to random without a
 * key. Returns the index, or -1 when no endpoint is available (503 UH). */
int mesh_lb_pick(const mesh_lb_policy_t *p, mesh_lb_state_t *st, const mesh_endpoint_t *eps,
		 size_t n, const char *hash_key, double u1, double u2, int panic_pct);

/* The consistent-hash key of a request under |p| into |buf|: the header's
 * value, the cookie's value (from the Cookie header), the query parameter,
 * or the source IP. NULL when |p| does not hash or the request lacks it. */
const char *mesh_lb_hash_key(const mesh_lb_policy_t *p, const mesh_kv_t *headers, size_t nheaders,
			     const char *uri, const char *source_ip, char *buf, size_t len);

/* Connection pool admission (Envoy's circuit breakers as Istio sets them;
 * 0 limits mean unlimited). */
typedef struct mesh_pool_state {
	int64_t connections;      /* open connections */
	int64_t idle_connections; /* HTTP/1.1: open connections with no request on them */
	int64_t active_requests;  /* requests in flight */
	int64_t pending;          /* requests queued for a connection */
} mesh_pool_state_t;

typedef enum mesh_pool_verdict {
	MESH_POOL_USE_CONN,  /* send on an existing connection */
	MESH_POOL_NEW_CONN,  /* open a connection and send on it */
	MESH_POOL_QUEUE,     /* wait for a connection */
	MESH_POOL_OVERFLOW   /* refuse: 503 with response flag UO */
} mesh_pool_verdict_t;

/* A new request's fate: over http2MaxRequests active requests -> overflow;
 * HTTP/1.1: an idle connection, else a new one below maxConnections, else
 * the queue below http1MaxPendingRequests, else overflow; HTTP/2: any open
 * connection carries it, else as HTTP/1.1. */
mesh_pool_verdict_t mesh_pool_admit(const mesh_conn_pool_t *cp, const mesh_pool_state_t *st,
				    int http2);
/* 1 if a connection that has carried |served| requests must close
 * (maxRequestsPerConnection reached). */
int mesh_pool_conn_spent(const mesh_conn_pool_t *cp, int64_t served);

/* Outlier detection (only when the DestinationRule has the block). */
typedef struct mesh_outlier_host {
	int consecutive_5xx;
	int consecutive_gw;
	int ejected;
	int ejections;        /* the back-off multiplier */
	int64_t ejected_at_ms;
} mesh_outlier_host_t;

typedef struct mesh_outlier {
	mesh_outlier_cfg_t cfg;
	size_t n;
	mesh_outlier_host_t *hosts; /* caller's array of n, zeroed by init */
	size_t nejected;
	int64_t next_tick_ms;       /* when mesh_outlier_tick is due */
} mesh_outlier_t;

#define MESH_OUTLIER_MAX_EJECTION_MS 300000 /* Envoy's max_ejection_time default */

void mesh_outlier_init(mesh_outlier_t *o, const mesh_outlier_cfg_t *cfg, mesh_outlier_host_t *hosts,
		       size_t n, int64_t now_ms);
/* Records one response of host |i| (|status| an HTTP status; pass 503 for
 * a connect failure or reset, as Envoy counts local-origin errors with
 * 5xx). A 5xx run of consecutive5xxErrors (or a 502/503/504 run of
 * consecutiveGatewayErrors) ejects the host at once, if ejecting it keeps
 * the ejected share within maxEjectionPercent (Envoy's rule: 100 *
 * (ejected + 1) / hosts <= maxEjectionPercent, so with the default 10 %
 * fewer than 10 hosts are never ejected). Returns 1 when this ejected it. */
int mesh_outlier_result(mesh_outlier_t *o, size_t i, int status, int64_t now_ms);
/* The interval timer, at or after next_tick_ms: hosts ejected for at least
 * baseEjectionTime x ejections (at most 300 s, or the base when larger)
 * come back; hosts not ejected lose one from their multiplier. Returns the
 * number brought back and schedules the next tick. */
int mesh_outlier_tick(mesh_outlier_t *o, int64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif /* MESHSIM_SIM_MESH_DECIDE_H */
