/* sim/dataplane/sidecar.h: the virtual data plane. Every pod's Envoy
 * sidecar and the ingress gateway, plugged into a vrt world through its
 * mesh hook (vrt_world_set_mesh), deciding from real Istio YAML
 * (sim/mesh/istio.h, decide.h) as Istio on EKS would.
 *
 * Per attempt of every call (see vrt.h, "The mesh hook"):
 *  - client side (the caller's sidecar, or the ingress gateway for calls
 *    from outside): VirtualService routing (gateway-bound routes at the
 *    gateway, `mesh`-bound ones between pods), weights and subsets,
 *    DestinationRule load balancing, connectionPool limits (UO), fault
 *    injection (DI, FI), the PeerAuthentication of the server and the
 *    client's TLS mode (auto mTLS unless the DestinationRule says), a
 *    pooled connection per (client, server pod): a new mTLS connection is
 *    a real TLS 1.3 handshake (mtls.h) whose nominal time and bytes the
 *    request pays, a failed one is UF; plaintext to STRICT is refused;
 *  - server side: AuthorizationPolicy (403 / PERMISSION_DENIED "RBAC:
 *    access denied") with the peer principal the handshake verified;
 *  - end of the attempt: VirtualService retries (attempts, retryOn, 25 ms
 *    jittered back-off; URX when they run out), DC when the caller gave
 *    up, the route's timeout and perTryTimeout (504 / UNAVAILABLE, UT),
 *    outlier detection, pooled streams released.
 * Observations (vrt_obs_t) get Envoy's response flags and mtls.
 *
 * Identity: one certificate per (namespace, service account), issued by a
 * mesh CA (identity.h, EC P-256) the first time it is needed, renewed
 * lazily at its renewal time while the CA is up (dp_sidecars_set_ca); a
 * CA that is down means no renewal, and past not_after new connections
 * fail their handshake (UF). Handshake outcomes are cached per (client
 * certificate, server certificate): the first handshake of each pair is
 * real, and so is every one after a renewal (a new certificate) or past
 * either certificate's validity; failures are never cached. The time,
 * CPU and bytes charged are always the nominal MTLS_COST_* / MTLS_BYTES_*,
 * never measured, so runs replay.
 *
 * Costs (shared/MESH.md): each sidecar on the path adds DP_HOP_US of
 * latency to a request (client plus server about 0.23 ms, Istio's p90)
 * and DP_SIDECAR_CPU_US of sidecar CPU (0.20 vCPU per 1000 requests/s,
 * Istio 1.24); the sidecar's CPU is its own container's, so it is
 * accounted (dp_stats_t, per pod dp_sidecars_cpu_us) but not taken from
 * the app's cores. A new connection adds a TCP round trip, the TLS
 * flights (1 round trip, the client's last flight rides with the request)
 * and both sides' handshake CPU as latency.
 *
 * Determinism: every draw comes from the world's seed through named
 * streams ("mesh/route", "mesh/fault", "mesh/lb", "mesh/retry",
 * "mesh/ca"); every list walked is in creation order.
 *
 * Memory: the sidecars keep pointers to the world, the mesh config and
 * what the identify callback's strings are copied into; free them with
 * dp_sidecars_free() before the world and the config (that removes the
 * hook). Threads: none, as vrt.
 */
#ifndef MESHSIM_SIM_DATAPLANE_SIDECAR_H
#define MESHSIM_SIM_DATAPLANE_SIDECAR_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "istio.h"
#include "vrt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_ERRNO_MAP(X)                                                    \
	X(EINVAL, -1, "invalid argument")                                     \
	X(ENOMEM, -2, "out of memory")                                        \
	X(ECONFIG, -3, "invalid mesh configuration")                          \
	X(ECRYPTO, -4, "the mesh CA could not be created")

typedef enum {
#define DP_ERR_ENUM_(name, val, msg) DP_##name = (val),
	DP_ERRNO_MAP(DP_ERR_ENUM_)
#undef DP_ERR_ENUM_
} dp_errno_t;

const char *dp_strerror(int err);
const char *dp_err_name(int err);

/* Latency each sidecar (or the gateway) adds to a request, and its CPU per
 * request (see above). */
#define DP_HOP_US 115
#define DP_SIDECAR_CPU_US 200.0

/* Who a pod is, for the policies. Strings are copied at once. */
typedef struct dp_workload {
	const char *ns;      /* namespace */
	const char *app;     /* label app (and the workload's name) */
	const char *version; /* label version, or NULL */
	const char *sa;      /* service account; NULL: "default" */
	/* 1 / 0: has a sidecar or not; -1: as the namespace's
	 * istio-injection label says in the mesh config (enabled: yes). */
	int has_sidecar;
} dp_workload_t;

/* Fills |out| for |pod|; 0, or non-zero when the pod is unknown (then it
 * counts as a workload "default"/"default" without a sidecar). */
typedef int (*dp_identify_fn)(void *user, const vrt_pod_t *pod,
                              dp_workload_t *out);

/* An identify callback for pods of a sim/cluster cluster (|user| is the
 * cl_cluster_t *): namespace, app and version labels and service account
 * as the charts' templates set them; the sidecar from the namespace. */
int dp_cluster_identify(void *user, const vrt_pod_t *pod, dp_workload_t *out);

typedef struct dp_config {
	const mesh_config_t *mesh; /* resolved (mesh_config_resolve); kept */
	dp_identify_fn identify;
	void *identify_user;
	/* Calls from outside (vrt_client_call/http) enter through the
	 * ingress gateway (a sidecar-only workload istio-system /
	 * istio-ingressgateway, labels istio=ingressgateway) when the config
	 * has a Gateway selecting it; the Gateway's first server's port is the
	 * port routes match. 1 turns that off: outside callers then reach
	 * pods directly, in plaintext. */
	int no_ingress;
	/* 1: do not cache handshake outcomes (every new connection runs
	 * OpenSSL). */
	int no_handshake_cache;
} dp_config_t;

typedef struct dp_sidecars dp_sidecars_t;

/* Creates the data plane on |w| and installs its hook. Stores it in
 * |*out| (the caller's; dp_sidecars_free) and returns 0; DP_EINVAL,
 * DP_ENOMEM, DP_ECRYPTO (|err| says why). */
int dp_sidecars_new(vrt_world_t *w, const dp_config_t *cfg,
                    dp_sidecars_t **out, char *err, size_t errlen);

/* Removes the hook and frees everything. Calls still in flight finish
 * without a mesh. NULL is a no-op. Not from inside vrt_run(). */
void dp_sidecars_free(dp_sidecars_t *sc);

/* The mesh CA up (1, default) or down (0): down, no certificate is issued
 * or renewed. */
void dp_sidecars_set_ca(dp_sidecars_t *sc, int up);

/* Traffic shifting at run time (a canary's progressive delivery): sets
 * the weight of every HTTP route destination naming host |host| (as
 * resolved: "frontend.frontend.svc.cluster.local") and subset
 * |subsets[i]| to |weights[i]| (0..100), for i < |n|, in every
 * VirtualService of the mesh config, mesh-bound and gateway-bound alike
 * (as `k8s/deploy weights` edits both). Calls routed from then on follow
 * them (attempts already routed keep their destination); the draw per
 * call is the same "mesh/route" one, so runs replay. This edits the
 * config given to dp_sidecars_new() in place: it must not be a const
 * object. Returns the number of destinations changed (> 0), or DP_EINVAL
 * when an argument is bad or no route destination names |host| with one
 * of |subsets|. */
int dp_sidecars_set_weights(dp_sidecars_t *sc, const char *host,
                            const char *const *subsets, const int *weights,
                            size_t n);

/* The principal ("cluster.local/ns/NS/sa/SA") |pod| presents (NULL: the
 * ingress gateway's, for calls from outside), or NULL when it has no
 * sidecar (or calls from outside do not pass a gateway). Valid while the
 * sidecars live. For Istio's source_principal / destination_principal. */
const char *dp_sidecars_principal(dp_sidecars_t *sc, const vrt_pod_t *pod);

/* Who calls from outside the mesh appear as: the ingress gateway they
 * enter through (istio-system / istio-ingressgateway, app
 * istio-ingressgateway, no version, service account
 * istio-ingressgateway: what Istio's gateway chart installs under that
 * release name). Fills |out| (strings valid while the sidecars live;
 * has_sidecar 1) and returns 0, or returns -1 when outside callers do not
 * pass a gateway (no Gateway selects istio=ingressgateway, or
 * dp_config_t.no_ingress). For Istio's source_* labels of those calls. */
int dp_sidecars_gateway(const dp_sidecars_t *sc, dp_workload_t *out);

/* The nominal CPU |pod|'s sidecar has used so far (NULL: the ingress
 * gateway's), in microseconds: DP_SIDECAR_CPU_US per request through it
 * (client and server side alike) and its side's handshake cost
 * (MTLS_COST_EC_CLIENT_US or _SERVER_US) per new mTLS connection. 0 for a
 * pod without a sidecar or never on a call's path. Summed over every pod
 * and the gateway: dp_stats_t.sidecar_cpu_us. Not taken from the app's
 * cores (the sidecar is its own container). */
double dp_sidecars_cpu_us(const dp_sidecars_t *sc, const vrt_pod_t *pod);

/* Response flags counted by the client-side report of each call's final
 * outcome (one flag per name; "UF,URX" counts both). */
#define DP_FLAGS(X) \
	X(UF) X(UC) X(UH) X(NR) X(UO) X(URX) X(DI) X(FI) X(DC) X(UT)
enum {
#define DP_FLAG_ENUM_(n) DP_FLAG_##n,
	DP_FLAGS(DP_FLAG_ENUM_)
#undef DP_FLAG_ENUM_
	DP_FLAG_COUNT
};
/* "UF" etc. for DP_FLAG_*; NULL outside the range. */
const char *dp_flag_name(int flag);

typedef struct dp_stats {
	uint64_t attempts;         /* attempts through a client sidecar / the gateway */
	uint64_t calls_final;      /* calls whose final outcome was reported */
	uint64_t connections;      /* new pooled connections (mTLS or not) */
	uint64_t handshakes;       /* mTLS handshakes charged (= new mTLS connections) */
	uint64_t handshakes_real;  /* of them, run through OpenSSL */
	uint64_t handshake_failures;
	uint64_t plaintext_refused;
	uint64_t denied;           /* AuthorizationPolicy denials */
	uint64_t retries;
	uint64_t certs_issued;
	double sidecar_cpu_us;     /* nominal: per-request and handshakes */
	uint64_t flags[DP_FLAG_COUNT];
} dp_stats_t;

void dp_sidecars_stats(const dp_sidecars_t *sc, dp_stats_t *out);

/* Loads every *.yaml / *.yml file of |dir| (in name order) into |cfg|
 * (mesh_config_init'ed by the caller) and resolves it. 0, or DP_ECONFIG
 * with the first error ("FILE:LINE: message") in |err|, or DP_ENOMEM. */
int dp_mesh_load_dir(mesh_config_t *cfg, const char *dir, char *err,
                     size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_DATAPLANE_SIDECAR_H */
