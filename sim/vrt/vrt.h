/* sim/vrt/vrt.h: the virtual runtime: services/rt.h over the discrete-event
 * engine (sim/des).
 *
 * Every service's real code runs inside one process, in virtual time,
 * deterministic from one seed. A world (vrt_world_t) owns the engine, the
 * network model, the cost profile, the address resolver and the pods. A pod
 * (vrt_pod_t) is one running instance of an rt_service_t: it has an
 * environment, CPU cores shared by its concurrent requests (processor
 * sharing), and its own random stream. Calls between pods (rt_invoke,
 * rt_http_invoke) and from outside (vrt_client_call, vrt_client_http) are
 * encoded, carried by the network model,
 * queued on the server's CPU, decoded and handed to the real handler; the
 * reply travels back the same way. See sim/vrt/README.md for the model and
 * its assumptions.
 *
 * Threads: none. A world and everything in it belong to one thread.
 *
 * Re-entrancy: the functions that change pods or endpoints (vrt_pod_start,
 * vrt_pod_kill, vrt_pod_terminate, vrt_endpoints_*) are for the models
 * driving the world (cluster, scenario, tests) and are called from des
 * event callbacks or between vrt_run() calls, never from service code or
 * from the observation, trace and log hooks.
 */
#ifndef MESHSIM_SIM_VRT_H
#define MESHSIM_SIM_VRT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "des.h"
#include "rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Errors: 0 on success or one of these negative codes. */
#define VRT_ERRNO_MAP(X)                                                    \
	X(EINVAL, -1, "invalid argument")                                     \
	X(ENOMEM, -2, "out of memory")                                        \
	X(EEXIST, -3, "already exists")                                       \
	X(ENOENT, -4, "not found")                                            \
	X(EINIT, -5, "the service's init failed (see vrt_pod_error())")       \
	X(ESTATE, -6, "not allowed in the pod's current state")               \
	X(EPROFILE, -7, "invalid cost profile")

typedef enum {
#define VRT_ERR_ENUM_(name, val, msg) VRT_##name = (val),
	VRT_ERRNO_MAP(VRT_ERR_ENUM_)
#undef VRT_ERR_ENUM_
} vrt_errno_t;

/* A readable message / the symbolic name ("VRT_EINVAL") for a code.
 * Static strings. */
const char *vrt_strerror(int err);
const char *vrt_err_name(int err);

typedef struct vrt_world vrt_world_t;
typedef struct vrt_pod vrt_pod_t;
typedef struct vrt_endpoints vrt_endpoints_t;
typedef struct vrt_node vrt_node_t;
typedef struct vrt_profile vrt_profile_t;

/* ------------------------------------------------------------------ */
/* The world. */

/* Creates a world: a fresh engine seeded with |seed| (des_set_seed), whose
 * clock maps to rt_now() == |epoch| + des_now(). Defaults: the network link
 * of VRT_LINK_DEFAULT, the built-in cost profile (every method: lognormal,
 * mean 50 us, sd 20 us), logs dropped (counted only), no hooks. Returns NULL
 * when out of memory. The caller frees it with vrt_world_free(). */
vrt_world_t *vrt_world_new(uint64_t seed, rt_time_t epoch);

/* Frees the world: every pod still alive is stopped as by vrt_pod_kill()
 * (so fini runs), then the callbacks of external calls still pending run
 * with RT_CANCELLED "world freed" (so callers can free their state; new
 * calls are refused from then on), then everything is freed, including the
 * profile and the engine. Pending des events of other models are dropped
 * uncalled. Must not be called from inside vrt_run(). NULL is a no-op. */
void vrt_world_free(vrt_world_t *w);

/* The engine, for models that schedule their own events on it (the
 * cluster, the load generator, scenarios). Owned by the world. */
des_t *vrt_world_des(vrt_world_t *w);

/* The master seed and the epoch given to vrt_world_new(). */
uint64_t vrt_world_seed(const vrt_world_t *w);
rt_time_t vrt_world_epoch(const vrt_world_t *w);

/* rt_now() as every pod sees it: epoch + des_now(). */
rt_time_t vrt_world_now(const vrt_world_t *w);

/* Runs events up to virtual time |until| (des time: ns since the world
 * started, not rt time) as des_run() does; returns des_run()'s value. */
int vrt_run(vrt_world_t *w, des_time_t until);

/* ------------------------------------------------------------------ */
/* Cost profile: the CPU demand of one call, per (service, method). */

typedef enum vrt_dist {
	VRT_DIST_CONSTANT,    /* always the mean */
	VRT_DIST_EXPONENTIAL, /* exponential with the mean (sd ignored) */
	VRT_DIST_LOGNORMAL    /* lognormal with the mean and sd; sd 0: constant */
} vrt_dist_t;

/* An empty profile: every method gets the default (lognormal, mean 50 us,
 * sd 20 us). NULL when out of memory. */
vrt_profile_t *vrt_profile_new(void);
void vrt_profile_free(vrt_profile_t *p);

/* Sets the demand of |method| ("hipstershop.CurrencyService/Convert"), or
 * the default for methods not listed when |method| is NULL. |mean_us| > 0,
 * |sd_us| >= 0, in microseconds of one core. A later call replaces an
 * earlier one. 0, VRT_EINVAL or VRT_ENOMEM. */
int vrt_profile_set(vrt_profile_t *p, const char *method, vrt_dist_t dist,
                    double mean_us, double sd_us);

/* Sets the client cost of |service| (a service's name, "loadgenerator"):
 * the CPU its pods spend on each call they make (rt_invoke,
 * rt_http_invoke), drawn from the pod's stream "<pod name>/clientcpu" and
 * served on the calling pod's CPU (processor sharing with its other work)
 * before the request leaves; the client's deadline runs from the call's
 * start, so the time counts in the caller's latency. Only for services
 * whose served methods' costs do not already include their client work
 * (the load generator serves nothing); services without an entry pay
 * nothing. Same units and rules as vrt_profile_set. 0, VRT_EINVAL (no name,
 * a name with '/', a bad cost) or VRT_ENOMEM. */
int vrt_profile_set_client(vrt_profile_t *p, const char *service,
                           vrt_dist_t dist, double mean_us, double sd_us);

/* Loads a profile file (JSON, see data/cost-profile.json):
 *   {"version": 1,
 *    "default": {"mean_us": 50, "sd_us": 20},
 *    "methods": {"hipstershop.CurrencyService/Convert":
 *                  {"mean_us": 40, "sd_us": 15, "dist": "lognormal"}, ...},
 *    "clients": {"loadgenerator": {"mean_us": 250, "sd_us": 100}}}
 * "dist" is optional ("lognormal", "exponential" or "constant"; default
 * lognormal); "clients" (optional) are vrt_profile_set_client's entries,
 * by service name; unknown keys are errors (typos would silently mean
 * defaults). On success stores a new profile (the caller's) in |*out| and
 * returns 0. On error returns VRT_EPROFILE (or VRT_ENOMEM) and writes
 * "FILE:LINE:COLUMN: FIELD: why" into |err| (|errsize| bytes, may be 0). */
int vrt_profile_load(const char *path, vrt_profile_t **out, char *err,
                     size_t errsize);

/* The same from |len| bytes of |buf| (no NUL needed), |file| naming it in
 * messages. VRT_EINVAL when |file| or |out| is NULL, or |buf| is NULL with
 * |len| > 0. */
int vrt_profile_parse(const char *file, const char *buf, size_t len,
                      vrt_profile_t **out, char *err, size_t errsize);

/* Gives |p| to the world (which frees it; the previous one is freed).
 * Takes effect for calls arriving from now on. NULL restores the built-in
 * default profile. */
void vrt_world_set_profile(vrt_world_t *w, vrt_profile_t *p);

/* ------------------------------------------------------------------ */
/* Network. */

/* The most quantile points of a jitter distribution, and the most
 * distributions (bands of sleep) a link's jitter has. */
#define VRT_JITTER_MAX 16
#define VRT_JITTER_BANDS 6

/* An extra delay's distribution, given by n quantile points (q[i], at[i]),
 * 0 < q[0] < ... < q[n-1] = 1 and 0 <= at[0] <= ... <= at[n-1]; below q[0]
 * it rises linearly from 0, between points linearly (the inverse CDF of a
 * piecewise-uniform density). n = 0: none. */
typedef struct vrt_jitter {
	unsigned n;
	double q[VRT_JITTER_MAX];
	des_time_t at[VRT_JITTER_MAX];
} vrt_jitter_t;

/* A one-way link: a message of |bytes| takes latency + bytes*8/bandwidth
 * (rounded up to the ns), and when the link has a jitter (nbands > 0) the
 * receiver's wake-up: a process asleep that is sent a message waits for a
 * CPU before it reads it, longer the longer it slept (an idle vCPU is
 * slow to wake) and on a busy node (sim/vrt/README.md, "Network"). The
 * wake-up is drawn from band i's distribution, the first whose
 * slept[i] exceeds how long the receiver slept; slept[] rises and the
 * last is DES_TIME_MAX. bits_per_sec 0 means infinite bandwidth. */
typedef struct vrt_link {
	des_time_t latency;
	uint64_t bits_per_sec;
	unsigned nbands;
	des_time_t slept[VRT_JITTER_BANDS];
	vrt_jitter_t jitter[VRT_JITTER_BANDS];
} vrt_link_t;

/* The world's default link: 200 us one way, 1 Gbit/s (a same-zone hop). */
#define VRT_LINK_DEFAULT ((vrt_link_t){DES_US(200), 1000000000u})

/* The transit time of |bytes| over |l| without its jitter. */
des_time_t vrt_link_transit(const vrt_link_t *l, size_t bytes);

/* A draw of |j|'s extra delay for the uniform variate |u| in [0, 1):
 * its inverse CDF (0 when it has no points). */
des_time_t vrt_jitter_at(const vrt_jitter_t *j, double u);

/* Checks |j|'s points (the rules above): 0, or VRT_EINVAL. */
int vrt_jitter_check(const vrt_jitter_t *j);

/* The wake-up of a receiver that slept |slept| over |l| for the uniform
 * variate |u| (0 when |l| has no jitter). */
des_time_t vrt_link_wake(const vrt_link_t *l, des_time_t slept, double u);

/* Checks |l|: latency >= 0, and its bands (the rules above; each band's
 * distribution has points and passes vrt_jitter_check). 0 or VRT_EINVAL. */
int vrt_link_check(const vrt_link_t *l);

/* The optional top-level "link": {"latency_us": L, "jitter": [...]} of a
 * loaded profile (sim/vrt/README.md): the one-way link `meshsim calibrate`
 * measured on its machine (the default link's bandwidth, latency L >= 0,
 * and the jitter's bands when the file has them). Loading a profile never
 * applies it (vrt_world_set_profile does not); a caller that wants the
 * simulated network to match that machine passes it to
 * vrt_world_set_link_default(). 0 with |*out| set (|out| may be NULL), or
 * VRT_ENOENT when the profile has none (or |p| is NULL). */
int vrt_profile_link(const vrt_profile_t *p, vrt_link_t *out);

/* The network model: how long |bytes| take from |from| to |to| (either is
 * NULL for the outside world, e.g. vrt_client_call()). |bytes| is the gRPC
 * message with its 5-byte length prefix, or the whole serialised HTTP/1.1
 * message (start line, headers, body); control messages (a cancellation,
 * a status without a body, a refused connection) are 0 bytes. Must be
 * deterministic and >= 0. */
typedef des_time_t (*vrt_net_fn)(void *user, const vrt_pod_t *from,
                                 const vrt_pod_t *to, size_t bytes);

/* Replaces the network model; NULL restores the built-in one (default link
 * plus the overrides of vrt_world_set_link()). */
void vrt_world_set_net(vrt_world_t *w, vrt_net_fn fn, void *user);

/* The built-in model's default link (it must pass vrt_link_check). */
void vrt_world_set_link_default(vrt_world_t *w, vrt_link_t link);

/* An override of the built-in model for messages from pod |from| to pod
 * |to| (pod names; "*" matches any pod; "external" the outside world).
 * The most specific match wins (both names, then |from| only, then |to|
 * only); setting the same pair again replaces it. 0, VRT_EINVAL, VRT_ENOMEM. */
int vrt_world_set_link(vrt_world_t *w, const char *from, const char *to,
                       vrt_link_t link);

/* ------------------------------------------------------------------ */
/* Addressing: endpoint sets (Kubernetes Services) and the resolver. */

typedef enum vrt_lb {
	VRT_LB_ROUND_ROBIN,  /* one rotating index per endpoint set */
	VRT_LB_LEAST_REQUEST /* power of two choices on active calls, as Envoy */
} vrt_lb_t;

/* Creates an empty endpoint set named |name| (copied; for traces), owned by
 * the world. NULL on a bad argument or out of memory. */
vrt_endpoints_t *vrt_endpoints_new(vrt_world_t *w, const char *name,
                                   vrt_lb_t lb);

/* Makes rt_invoke()'s |addr| ("productcatalogservice:3550") resolve to
 * |eps|; several addresses may share a set. |eps| NULL removes the binding.
 * 0, VRT_EINVAL (no ':' in addr) or VRT_ENOMEM. */
int vrt_world_bind(vrt_world_t *w, const char *addr, vrt_endpoints_t *eps);

/* The set |addr| resolves to, or NULL. */
vrt_endpoints_t *vrt_world_resolve(vrt_world_t *w, const char *addr);

/* Adds |pod| at the end of |eps| / removes it. A pod that dies (killed,
 * terminated) leaves every set by itself; vrt_pod_terminate() also removes
 * it at once, as Kubernetes drops a terminating pod from Endpoints.
 * 0, VRT_EEXIST / VRT_ENOENT, VRT_ESTATE (adding a dead pod), VRT_ENOMEM. */
int vrt_endpoints_add(vrt_endpoints_t *eps, vrt_pod_t *pod);
int vrt_endpoints_remove(vrt_endpoints_t *eps, vrt_pod_t *pod);
size_t vrt_endpoints_count(const vrt_endpoints_t *eps);
vrt_pod_t *vrt_endpoints_pod(const vrt_endpoints_t *eps, size_t i);
const char *vrt_endpoints_name(const vrt_endpoints_t *eps);

/* ------------------------------------------------------------------ */
/* Pods. */

typedef enum vrt_pod_state {
	VRT_POD_STARTING,    /* inside svc->init */
	VRT_POD_READY,       /* serving */
	VRT_POD_TERMINATING, /* refusing new calls, finishing the others */
	VRT_POD_DEAD,        /* stopped: fini has run */
	VRT_POD_FAILED       /* init failed: never served */
} vrt_pod_state_t;

/* "READY" etc. Static storage. */
const char *vrt_pod_state_name(vrt_pod_state_t s);

/* Creates pod |name| (unique in the world, e.g. "currencyservice-7d9f-0")
 * running |svc| with environment |env| ("KEY=VALUE", NULL-terminated; NULL
 * for none; copied) on |cores| CPU cores (> 0; e.g. 0.1 for a 100m limit),
 * and calls svc->init at the current virtual time. The pod draws rt_rand()
 * from des_rng_stream(seed, name), its served calls' CPU demands from the
 * stream "<name>/cpu" and its client costs (vrt_profile_set_client) from
 * "<name>/clientcpu", so none depends on another or on other pods.
 * On success the pod is READY, not yet in any endpoint set; stores it in
 * |*pod| (owned by the world, valid until vrt_world_free) and returns 0.
 * If init fails, the pod stays in the world as FAILED with the reason in
 * vrt_pod_error(), |*pod| is set, and VRT_EINIT is returned (fini is not
 * called, as on the live runtime). VRT_EEXIST when the name is taken,
 * VRT_EINVAL, VRT_ENOMEM (then |*pod| is NULL). */
int vrt_pod_start(vrt_world_t *w, const rt_service_t *svc, const char *name,
                  const char *const *env, double cores, vrt_pod_t **pod);

/* Abrupt stop (SIGKILL, node loss). At once: the pod leaves its endpoint
 * sets; calls waiting for its CPU are dropped; calls held by its handlers
 * are cancelled (children first, then on_cancel, as rt.h says); its own
 * outgoing calls end with RT_CANCELLED "calling pod stopped", their
 * callbacks run now so the service can free its per-call state (their
 * servers see a cancellation; the service can start nothing new: a dead
 * pod's rt_invoke and rt_timer_start return NULL); its timers are
 * cancelled; then fini runs. Each of its
 * clients gets UNAVAILABLE one network latency later. Calls that reach it
 * afterwards are refused with UNAVAILABLE. No-op on a DEAD or FAILED pod. */
void vrt_pod_kill(vrt_pod_t *pod);

/* Graceful stop (SIGTERM with terminationGracePeriodSeconds |grace|): the
 * pod leaves its endpoint sets and refuses new calls (UNAVAILABLE "server
 * shutting down"); calls already accepted go on, and the pod stops (as
 * vrt_pod_kill, in a separate event) when the last has ended, or when
 * |grace| has passed, whichever is first. No-op unless READY. */
void vrt_pod_terminate(vrt_pod_t *pod, des_time_t grace);

vrt_pod_state_t vrt_pod_state(const vrt_pod_t *pod);

/* 1 while the pod accepts calls (READY), else 0: what a readiness probe
 * of the cluster model sees. */
int vrt_pod_serving(const vrt_pod_t *pod);

/* The pod by name, or NULL. */
vrt_pod_t *vrt_world_pod(vrt_world_t *w, const char *name);
/* Every pod, in creation order: i in [0, vrt_world_pod_count()). */
size_t vrt_world_pod_count(const vrt_world_t *w);
vrt_pod_t *vrt_world_pod_at(const vrt_world_t *w, size_t i);

const char *vrt_pod_name(const vrt_pod_t *pod);
/* The service's name ("currencyservice"). */
const char *vrt_pod_service(const vrt_pod_t *pod);
rt_t *vrt_pod_rt(vrt_pod_t *pod);
double vrt_pod_cores(const vrt_pod_t *pod);
vrt_world_t *vrt_pod_world(const vrt_pod_t *pod);

/* Why init failed: the config errors reported through rt_config_error, one
 * per line "NAME=VALUE: why", or "" when there were none. Owned by the pod. */
const char *vrt_pod_error(const vrt_pod_t *pod);

/* A pointer the model driving the world keeps with the pod (the cluster's
 * own pod object, a zone for the network model). Not touched by vrt. */
void vrt_pod_set_data(vrt_pod_t *pod, void *data);
void *vrt_pod_data(const vrt_pod_t *pod);

/* Calls accepted and not yet ended (on the CPU or held by a handler). */
size_t vrt_pod_active_calls(const vrt_pod_t *pod);

/* CPU accounting, up to now: |busy| is the time with at least one job on
 * the CPU, |core_ns| the core-nanoseconds consumed (integral of
 * min(jobs, cores), or of its allocation on a node: vrt_pod_cpu_rate()),
 * |jobs| the jobs completed. Any pointer may be NULL. */
void vrt_pod_cpu(vrt_pod_t *pod, des_time_t *busy, double *core_ns,
                 uint64_t *jobs);

/* Log lines counted per severity (RT_DEBUG..RT_ERROR), kept or not. */
uint64_t vrt_pod_log_count(const vrt_pod_t *pod, rt_severity_t sev);

/* ------------------------------------------------------------------ */
/* Nodes: pods sharing a machine's cores.
 *
 * By default every pod is its own processor-sharing server of vrt_pod_cores()
 * cores. Pods put on a node share the node's |cores| as well: a busy pod i
 * with n_i jobs and limit c_i demands d_i = min(n_i, c_i) cores; while the
 * node's busy pods demand no more than its cores, each gets d_i (as alone);
 * otherwise the cores are split by weighted max-min fairness (water-filling):
 * a pod demanding less than its weighted fair share gets its demand, the
 * others split what is left in proportion to their weights. A pod's jobs
 * share its allocation equally (d_i / n_i each). The weight is the pod's CPU
 * request: the kubelet gives a container cpu.shares = request x 1024 (cgroup
 * v1; cpu.weight is its image on v2), and CFS divides a contended CPU among
 * runnable cgroups in proportion to those (see cpu.c). */

/* Creates a node named |name| (copied; for traces) with |cores| cores
 * (> 0, finite), owned by the world and valid until vrt_world_free. NULL on a
 * bad argument or out of memory. Names need not be unique. */
vrt_node_t *vrt_node_new(vrt_world_t *w, const char *name, double cores);

const char *vrt_node_name(const vrt_node_t *node);
double vrt_node_cores(const vrt_node_t *node);
/* The cores the node's pods are using now (the sum of their allocations). */
double vrt_node_used(const vrt_node_t *node);

/* Puts |pod| on |node| with weight |weight| (> 0, finite: its CPU request in
 * cores, or a small value for none; Kubernetes' minimum is 2 shares, 2/1024
 * of a core), or takes it off its node when |node| is NULL (it is then its
 * own server again; |weight| is ignored). Jobs already on the pod's CPU keep
 * the work they have received; from now on they progress at the new rate,
 * and every other pod of the old and new node is re-shared at once. The
 * node does not own the pod. A pod that dies stays on its node with no
 * demand (it releases its share at once). 0; VRT_EINVAL (a bad weight, a
 * node of another world); VRT_ESTATE (joining a node with a DEAD or FAILED
 * pod). */
int vrt_pod_set_node(vrt_pod_t *pod, vrt_node_t *node, double weight);

/* The pod's node, or NULL. */
vrt_node_t *vrt_pod_node(const vrt_pod_t *pod);

/* The cores the pod's jobs get now, together: min(jobs, cores) without a
 * node, its allocation on a node; 0 when idle. */
double vrt_pod_cpu_rate(vrt_pod_t *pod);

/* ------------------------------------------------------------------ */
/* Calls from outside (load generators, tests). */

/* Calls |service|/|method| at |addr| from outside the cluster (from == NULL
 * in the network model) with |req|, expecting |resp_type|; |timeout| 0 is
 * none. As rt_invoke(): |req| is serialised before this returns, |cb| runs
 * exactly once, later, from an event, with a response the callback owns.
 * Returns a handle for rt_invoke_cancel() valid until |cb| runs, or NULL
 * with errno EINVAL on a bad argument (then |cb| never runs). */
rt_invoke_t *vrt_client_call(vrt_world_t *w, const char *addr,
                             const char *service, const char *method,
                             const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *resp_type,
                             rt_time_t timeout, rt_invoke_cb cb, void *user);

/* Sends an HTTP/1.1 request |method| |target| ("/cart?x=1") to |addr|
 * ("frontend:80") from outside the cluster, with |headers| (|n|) and
 * |body| (|len|), all copied before this returns; |timeout| 0 is none. As
 * rt_http_invoke(): the runtime adds Host and Content-Length; |cb| runs
 * exactly once, later, from an event, with RT_OK and the response when one
 * arrived (whatever its HTTP status), else the transport's failure.
 * Returns a handle for rt_invoke_cancel() valid until |cb| runs, or NULL
 * with errno EINVAL on a bad argument (then |cb| never runs). */
rt_invoke_t *vrt_client_http(vrt_world_t *w, const char *addr,
                             const char *method, const char *target,
                             const rt_http_header_t *headers, size_t n,
                             const void *body, size_t len, rt_time_t timeout,
                             rt_http_invoke_cb cb, void *user);

/* ------------------------------------------------------------------ */
/* Observations, traces and logs. */

typedef enum vrt_reporter {
	VRT_REPORT_CLIENT, /* the caller's view: sent .. outcome known */
	VRT_REPORT_SERVER  /* the server's view: arrived .. call ended */
} vrt_reporter_t;

typedef enum vrt_proto {
	VRT_PROTO_GRPC, /* rt_invoke, vrt_client_call */
	VRT_PROTO_HTTP  /* rt_http_invoke, vrt_client_http */
} vrt_proto_t;

/* One finished call, seen by one side (Istio's reporter=source/destination).
 * Times are des times (ns since the world started). Strings and pods are
 * valid during the hook only.
 *
 * HTTP calls: |service| is "HTTP", |method| the request's method and path
 * without the query ("GET /product/OLJCESPC7Z"); |status| on the client
 * side is the transport's outcome (RT_OK whenever a response arrived, as
 * rt_http_invoke_cb sees it) and on the server side what the handler ended
 * with (RT_OK for rt_http_respond, the code of rt_fail, or CANCELLED /
 * UNAVAILABLE when cut short); |http_status| is the HTTP status answered or
 * received (0 when none was); the byte counts are the serialised request
 * and response (start line, headers, body). */
typedef struct vrt_obs {
	vrt_reporter_t reporter;
	uint64_t id;              /* the call's number, shared by both reports */
	des_time_t start, end;
	const vrt_pod_t *client;  /* NULL: from outside */
	const vrt_pod_t *server;  /* NULL: no endpoint was found */
	const char *addr;         /* "productcatalogservice:3550" */
	const char *service;      /* "hipstershop.ProductCatalogService" */
	const char *method;       /* "ListProducts" */
	rt_status_t status;
	size_t req_bytes, resp_bytes; /* gRPC: encoded messages, no framing */
	vrt_proto_t proto;            /* added last: older initialisers */
	int http_status;              /* still compile (zero: gRPC) */
	/* What the sidecars add (sim/dataplane); without a mesh: "-" and 0.
	 * |response_flags| is Envoy's ("UH", "UO,URX", "-"), static or owned
	 * by the call; |mtls| 1 when the hop was mutual TLS (Istio's
	 * connection_security_policy="mutual_tls"), else 0 ("none"). */
	const char *response_flags;
	int mtls;
} vrt_obs_t;

typedef void (*vrt_obs_cb)(void *user, const vrt_obs_t *obs);

/* Installs (NULL: removes) the hook called for every finished call: once
 * with VRT_REPORT_CLIENT when the caller learns the outcome (not for calls
 * dropped because the calling pod died), once with VRT_REPORT_SERVER when
 * a server that accepted the call ends it (status: what it answered, or
 * CANCELLED / DEADLINE_EXCEEDED / UNAVAILABLE when it was cut short). */
void vrt_world_set_obs(vrt_world_t *w, vrt_obs_cb cb, void *user);

/* A readable, deterministic line per state change (calls sent, arriving,
 * dispatched, answered, cancelled; pods starting and stopping), with its
 * des time, for golden tests and the "one request, hop by hop" view.
 * |line| has no newline and is valid during the call only. NULL removes. */
typedef void (*vrt_trace_cb)(void *user, des_time_t t, const char *line);
void vrt_world_set_trace(vrt_world_t *w, vrt_trace_cb cb, void *user);

/* The log sink. Lines at |min| or above go to |cb| with their des time;
 * every line is counted per pod and severity (vrt_pod_log_count) whether
 * or not it is passed on. Default: no sink (dropped, counted). |fields| is
 * the NULL-terminated key, value array of rt_log(). */
typedef void (*vrt_log_cb)(void *user, des_time_t t, const vrt_pod_t *pod,
                           rt_severity_t sev, const char *msg,
                           const char *const *fields);
void vrt_world_set_log(vrt_world_t *w, rt_severity_t min, vrt_log_cb cb,
                       void *user);

/* A ready sink: |user| is a FILE *; writes one JSON object per line, as the
 * live runtime does, with "time" the virtual rt time in RFC 3339 with
 * nanoseconds and "pod" added: {"time","severity","service","pod",
 * "message",fields...}. Needs the world: pass vrt_log_json_file as |cb| and
 * a vrt_log_file_t as |user|. */
typedef struct vrt_log_file {
	FILE *f;
	const vrt_world_t *w;
} vrt_log_file_t;
void vrt_log_json_file(void *user, des_time_t t, const vrt_pod_t *pod,
                       rt_severity_t sev, const char *msg,
                       const char *const *fields);

/* ------------------------------------------------------------------ */
/* The mesh hook: where the sidecars (sim/dataplane) plug in.
 *
 * vrt knows no mesh. A world with a hook asks it, for every attempt of
 * every call (rt_invoke, rt_http_invoke, vrt_client_call, vrt_client_http):
 *   send  (client side, when the attempt starts): which pod, how much
 *         later and with how many extra bytes the request leaves (routing,
 *         load balancing, a new connection's handshake, a fault's delay,
 *         the sidecars' own latency), or that the client's sidecar answers
 *         by itself (no route, no healthy upstream, pool overflow, a
 *         failed handshake, a fault's abort);
 *   recv  (server side, when the request reaches a READY pod, before its
 *         app sees it): whether the server's sidecar refuses it
 *         (AuthorizationPolicy: 403 / PERMISSION_DENIED);
 *   end   (client side, when the attempt's outcome is known, before the
 *         callback): release what |send| took (pooled streams, counters),
 *         learn from the outcome (outlier detection), and say whether to
 *         try again (VirtualService retries) and after how long.
 * The hook owns the policy; vrt only carries calls as it always does.
 * Each |send| is followed by exactly one |end| with the same |token|
 * (also for calls abandoned with their pod or the world, with |abandoned|
 * set, when no retry may be asked). Hooks run inside des events (or inside
 * rt_invoke for |send| of a first attempt) and must not start or cancel
 * calls, nor change pods or endpoints. */

/* One attempt of a call, as the sidecars see it. Valid during the hook. */
typedef struct vrt_mesh_call {
	uint64_t id;              /* the call's number (as vrt_obs_t.id) */
	unsigned attempt;         /* 1: the first try; 2: the first retry ... */
	const vrt_pod_t *client;  /* NULL: from outside (an ingress) */
	const char *addr;         /* as dialled: "cartservice:7070" */
	vrt_endpoints_t *eps;     /* |send| only: what |addr| resolves to,
	                             or NULL; NULL in |recv| and |end| */
	vrt_proto_t proto;
	const char *service, *method; /* as in vrt_obs_t */
	const char *path;         /* gRPC "/pkg.Svc/Method"; HTTP the target's
	                             path (no query) */
	const char *http_method;  /* HTTP "GET"; gRPC "POST" */
	const char *target;       /* HTTP: path and query; gRPC: as |path| */
	const rt_http_header_t *headers; /* HTTP: the request's, names lower
	                                    case, "host" first; gRPC: none */
	size_t n_headers;
	size_t req_bytes;         /* the request as observations count it */
	des_time_t start;         /* when the call was made */
	des_time_t deadline;      /* the client's, DES_TIME_MAX: none */
} vrt_mesh_call_t;

/* |send|'s answer; vrt zeroes it (|server| NULL, |flags| NULL) first. */
typedef struct vrt_mesh_send {
	/* Forwarding: the pod to send to (NULL: vrt's own pick from |eps|,
	 * as without a mesh), |delay| added before the request leaves,
	 * |extra_bytes| added to its bytes on the wire. */
	vrt_pod_t *server;
	des_time_t delay;
	size_t extra_bytes;
	/* 1: nothing leaves; the client's sidecar answers after |delay|:
	 * gRPC |status| with |msg|, HTTP a response |http_status| with
	 * |msg| as its text/plain body (the client's status is RT_OK, as
	 * for any response), or with |http_status| 0 no response: the
	 * transport's failure |status| (a reset connection). |msg| is
	 * copied. */
	int local;
	rt_status_t status;
	int http_status;
	const char *msg;
	/* Envoy's response flags for the client's report ("UH", "-" when
	 * NULL); static storage. |mtls|: the hop is mutual TLS. */
	const char *flags;
	int mtls;
	void *token; /* the hook's, given back to |recv| and |end| */
	/* > 0 (read once, from the first attempt that is not answered
	 * locally): the client's sidecar gives up on the whole call (every
	 * attempt) |timeout| after the call started (a route timeout): the
	 * server hears a reset, the client gets gRPC
	 * UNAVAILABLE "upstream request timeout" or an HTTP 504 with that
	 * body, and |end| sees |timed_out|. */
	des_time_t timeout;
	/* > 0: this attempt gives up after |try_timeout| (perTryTimeout):
	 * the server hears a reset and |end| runs with |try_timed_out| (an
	 * HTTP 504 / gRPC UNAVAILABLE outcome); a retry it asks for starts
	 * once the server has ended the abandoned attempt (usually a network
	 * latency later, when the reset has cancelled it). */
	des_time_t try_timeout;
} vrt_mesh_send_t;

/* |recv|'s answer; vrt zeroes it first. |deny| 1: the server's sidecar
 * answers |status| (gRPC) or |http_status| with |msg| (HTTP) without the
 * app and without CPU; the server's report carries |flags| (NULL: "-"). */
typedef struct vrt_mesh_recv {
	int deny;
	rt_status_t status;
	int http_status;
	const char *msg;
	const char *flags;
} vrt_mesh_recv_t;

/* |end|'s input and answer. */
typedef struct vrt_mesh_end {
	/* in: the attempt's outcome as the client would see it */
	rt_status_t status;       /* gRPC status; HTTP: RT_OK when a response came */
	int http_status;          /* HTTP: the response's status, 0: none */
	const vrt_pod_t *server;  /* where it was sent, NULL: nowhere */
	int local;                /* answered by the client's sidecar */
	int reached;              /* the server's app accepted it */
	int reset;                /* the connection was lost on the way (the
	                             pod died, the wrong protocol) */
	int refused;              /* the pod refused the connection (not
	                             ready, shutting down) */
	int abandoned;            /* the caller is gone: no retry possible */
	int gave_up;              /* the client's deadline or a cancel */
	int timed_out;            /* the sidecar's route timeout fired */
	int try_timed_out;        /* the attempt's per-try timeout fired */
	/* out: >= 0: try again after this long (vrt calls |send| again with
	 * attempt + 1); < 0 (vrt's default, -1): this outcome is final, with
	 * |flags| (NULL: what |send| said) in the client's report. */
	des_time_t retry_after;
	const char *flags;
} vrt_mesh_end_t;

typedef struct vrt_mesh_ops {
	void (*send)(void *user, const vrt_mesh_call_t *c, vrt_mesh_send_t *out);
	void (*recv)(void *user, const vrt_mesh_call_t *c, void *token,
	             const vrt_pod_t *server, vrt_mesh_recv_t *out);
	void (*end)(void *user, const vrt_mesh_call_t *c, void *token,
	            vrt_mesh_end_t *io);
} vrt_mesh_ops_t;

/* Installs the hook (|ops| must outlive the world or the next call; NULL
 * removes it) for calls started from now on. */
void vrt_world_set_mesh(vrt_world_t *w, const vrt_mesh_ops_t *ops, void *user);

/* What the built-in or installed network model gives for |bytes| from
 * |from| to |to| (NULL: outside): for hooks that model extra round trips. */
des_time_t vrt_world_transit(vrt_world_t *w, const vrt_pod_t *from,
                             const vrt_pod_t *to, size_t bytes);

/* Calls sent to |pod| and not yet answered (what least-request balancing
 * compares). */
size_t vrt_pod_outstanding(const vrt_pod_t *pod);

/* World-wide counters since vrt_world_new(). */
typedef struct vrt_stats {
	uint64_t calls;              /* calls started (rt_invoke + external) */
	uint64_t by_status[17];      /* client outcomes by status code */
	uint64_t dropped;            /* calls abandoned with their calling pod
	                                (or the world), not in by_status */
	uint64_t bytes;              /* message bytes carried (both ways) */
	uint64_t freezes;            /* the machine's freezes begun (or a
	                                running one lengthened: the profile's
	                                "freezes", sim/vrt/README.md) */
} vrt_stats_t;
void vrt_world_stats(const vrt_world_t *w, vrt_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_VRT_H */
