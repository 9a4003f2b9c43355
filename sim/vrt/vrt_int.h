/* sim/vrt/vrt_int.h: the virtual runtime's internals, shared by its files
 * (world.c, pod.c, rpc.c, cpu.c, profile.c). Not for other modules. */
#ifndef MESHSIM_SIM_VRT_INT_H
#define MESHSIM_SIM_VRT_INT_H

#include "rng.h"
#include "vrt.h"

typedef struct vrpc vrpc_t;
typedef struct vhttp vhttp_t;   /* an HTTP request (http.c) */
typedef struct vhresp vhresp_t; /* an HTTP response (http.c) */

/* One cost entry of the profile, ready to draw from. */
typedef struct vrt_cost {
	vrt_dist_t dist;
	double mean_ns, sd_ns;
	double mu, sigma; /* lognormal parameters */
} vrt_cost_t;

/* A served method, resolved once: its cost entry is cached and refreshed
 * when the world's profile changes (profile_gen). */
typedef struct vserved {
	const rt_service_def_t *def;
	void *user;
	const vrt_cost_t **cost; /* per method */
	unsigned *cost_gen;
} vserved_t;

/* The pod's processor-sharing CPU (see cpu.c). */
typedef struct vjob {
	double tag; /* virtual work at which the job is done */
	uint64_t seq;
	vrpc_t *rpc;
} vjob_t;

typedef struct vcpu {
	double cores;
	double vwork;     /* work each job has received since the busy period began */
	des_time_t last;  /* when vwork was last brought up to date */
	vjob_t *heap;
	size_t n, cap;
	uint64_t seq;
	des_event_t ev;   /* the next completion */
	des_time_t busy;
	des_time_t idle_since; /* when its last job ended */
	uint64_t busy_seq;     /* busy periods begun (idle to busy) */
	double core_ns;
	uint64_t jobs;
	vrt_node_t *node; /* the node it shares, or NULL: its own server */
	double weight;    /* on a node: its CPU request (cpu.shares) */
	double alloc;     /* on a node and busy: the cores it gets */
} vcpu_t;

/* A node: a group of pods sharing |cores| (see cpu.c). */
struct vrt_node {
	vrt_world_t *w;
	char *name;
	double cores;
	vrt_pod_t **busy; /* its pods with jobs, in the order they became busy */
	size_t nbusy, cap;
	size_t *order;    /* scratch for the water-filling, cap entries */
};

typedef struct vtimer vtimer_t;

/* An intrusive doubly-linked list of rpcs (head/tail) for one role. */
typedef struct vlist {
	vrpc_t *head, *tail;
	size_t n;
} vlist_t;

struct vrt_pod {
	struct rt base; /* first: rt_t * and vrt_pod_t * convert */
	vrt_world_t *w;
	size_t index;   /* in w->pods */
	char *name;
	char **env;
	size_t nenv;
	vrt_pod_state_t state;
	char *error;
	void *data;
	des_rng_t rng, cpu_rng;
	des_rng_t ccpu_rng; /* "<name>/clientcpu": its calls' client cost */
	des_rng_t fz_rng;   /* "<name>/freeze": the freezes its CPU work begins */
	des_rng_t net_rng;  /* "<name>/net": the jitter of messages it receives */
	des_time_t wake_at; /* when it last woke (or last read a message awake) */
	size_t woke_by;     /* 1 + the index of the pod whose message woke it */
	uint64_t woke_busy; /* that pod's busy period then */
	vserved_t *served;
	size_t nserved;
	vcpu_t cpu;
	vlist_t in;  /* accepted, not yet ended (server side) */
	vlist_t out; /* outgoing, outcome not yet delivered (client side) */
	vtimer_t *timers; /* doubly linked */
	des_event_t ev_stop, ev_grace;
	uint64_t logs[4];
	size_t outstanding; /* calls sent to it and not answered: for LB */
	rt_http_handler_cb http_handler; /* rt_serve_http, or NULL */
	void *http_user;
};

struct vrt_endpoints {
	vrt_world_t *w;
	char *name;
	vrt_lb_t lb;
	vrt_pod_t **pods;
	size_t n, cap;
	size_t rr;
};

typedef struct vlinkov {
	char *from, *to;
	vrt_link_t link;
} vlinkov_t;

typedef struct vbind {
	char *addr;
	uint64_t hash;
	vrt_endpoints_t *eps;
} vbind_t;

/* Freed calls the world keeps for reuse (vrt_world_t.free_rpcs). */
#define VRT_RPC_POOL_MAX 4096

/* A freeze of the machine (cpu.c): [at, end) in virtual time. */
typedef struct vfreeze {
	des_time_t at, end;
} vfreeze_t;

struct vrt_world {
	des_t *des;
	uint64_t seed;
	rt_time_t epoch;
	vrt_pod_t **pods;
	size_t npods, cappods;
	vrt_endpoints_t **eps;
	size_t neps, capeps;
	vrt_node_t **nodes;
	size_t nnodes, capnodes;
	vbind_t *binds; /* open addressing, power-of-two size */
	size_t nbinds, capbinds;
	vrt_profile_t *profile;
	unsigned profile_gen;
	/* The machine's freezes (cpu.c), in order, none overlapping; those
	 * that ended before every busy server's last sync may be dropped. */
	vfreeze_t *fz;
	size_t nfz, capfz;
	vrt_net_fn net;
	void *net_user;
	vrt_link_t link;
	vlinkov_t *links;
	size_t nlinks;
	des_rng_t lb_rng;
	des_rng_t net_rng; /* "vrt/net": the jitter of messages to the outside */
	vrt_obs_cb obs;
	void *obs_user;
	const vrt_mesh_ops_t *mesh; /* the sidecars' hook, or NULL */
	void *mesh_user;
	vrt_trace_cb trace;
	void *trace_user;
	vrt_log_cb log;
	void *log_user;
	rt_severity_t log_min;
	vrt_stats_t stats;
	uint64_t next_id;
	vrpc_t *rpcs; /* every call not yet freed */
	/* Freed calls kept for the next ones (linked by anext, each with its
	 * strs block), at most VRT_RPC_POOL_MAX: calloc and two frees per
	 * call were 1 % of a whole-shop run. */
	vrpc_t *free_rpcs;
	size_t nfree_rpcs;
	int freeing;
	int64_t date_sec; /* the cached HTTP Date value's second, or -1 */
	char date[40];    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
};

/* One call, both ends (see rpc.c): gRPC, or HTTP/1.1 when |http| is set.
 * The lifecycle (wire, deadlines, cancellation, propagation, pods dying)
 * is rpc.c's for both; http.c adds what differs: encoding, routing, the
 * handler, the response. */
enum { VRT_C_WAIT, VRT_C_DECIDED, VRT_C_DONE };
enum { VRT_S_WIRE, VRT_S_CPU, VRT_S_HANDLER, VRT_S_DONE };

struct vrpc {
	struct rt_invoke ihead; /* the client's handle */
	struct rt_call chead;   /* the server's handle */
	vrt_world_t *w;
	uint64_t id;
	vrt_pod_t *client, *server; /* client NULL: external */
	vrpc_t *parent;             /* the served call this one is made for */
	vrpc_t *kids_head, *kids_tail, *kprev, *knext;
	vrpc_t *iprev, *inext; /* server->in */
	vrpc_t *oprev, *onext; /* client->out */
	vrpc_t *aprev, *anext; /* w->rpcs */
	char *strs; /* addr \0 path \0 service \0 method \0 */
	size_t strs_cap; /* bytes allocated at strs */
	const char *addr, *path, *service, *method;
	size_t service_len;
	const vserved_t *sv;
	size_t mi;
	uint8_t *req_buf;
	size_t req_len;              /* the request's size, for the observation */
	ProtobufCMessage *req;
	uint8_t *resp_buf;
	size_t resp_len, resp_bytes; /* resp_bytes: for the observation */
	size_t resp_wire;            /* the answer's bytes on the wire */
	char *msg;                   /* the client's outcome message, or NULL */
	rt_status_t status;          /* the answer in flight / the outcome */
	rt_status_t sstatus;         /* what the server ended with */
	const ProtobufCMessageDescriptor *resp_type;
	rt_invoke_cb cb;
	rt_http_invoke_cb hcb;
	void *user;
	des_time_t start, arrived;
	des_time_t sent; /* the request left (start + the client's CPU) */
	des_time_t deadline;  /* client's, DES_TIME_MAX: none */
	des_time_t sdeadline; /* server's, DES_TIME_MAX: none */
	des_event_t ev_req, ev_resp, ev_rst, ev_cdl, ev_sdl;
	des_event_t ev_mto; /* the mesh's route timeout (vrt_mesh_send_t) */
	des_event_t ev_try; /* the mesh's per-try timeout */
	des_time_t retry_delay; /* with retry_hold: the back-off to wait */
	rt_cancel_cb ccb;
	void *cuser;
	vhttp_t *http;   /* HTTP: the request (both sides), or NULL */
	vhresp_t *hresp; /* HTTP: the response in flight, or NULL */
	int http_status; /* HTTP: the status answered / received, 0: none */
	/* The mesh hook (vrt_world_set_mesh): the attempt's token, the
	 * response flags of each side's report, the hop's mTLS. */
	void *mtoken;
	const char *cflags, *sflags;
	unsigned attempt;
	unsigned char mtls, msent, mlocal, mreached, retry_wait, mtimeout;
	unsigned char mrefused, mlost; /* the attempt's connection refused / lost */
	unsigned char retry_hold; /* a timed-out try's server side must end
	                             before the next try (same struct) */
	size_t req_wire; /* the request's bytes on the wire, for retries */
	unsigned char cstate, sstate, cancelled, counted, cut;
	unsigned char ccpu; /* on its client pod's CPU (a client cost) */
};

extern const rt_ops_t vrt__pod_ops;
extern const rt_ops_t vrt__call_ops;

/* world.c */
des_time_t vrt__transit(vrt_world_t *w, const vrt_pod_t *from,
                        const vrt_pod_t *to, size_t bytes);
vrt_pod_t *vrt__pick(vrt_endpoints_t *eps);
void vrt__trace(vrt_world_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vrt__remove_everywhere(vrt_pod_t *pod);

/* pod.c */
const char *vrt__pod_label(const vrt_pod_t *pod); /* name or "external" */
void vrt__pod_maybe_done(vrt_pod_t *pod);
void vrt__pod_free(vrt_pod_t *pod);

/* rpc.c */
/* A new call from |client| (NULL: outside) with |opts| (timeout, parent):
 * registered, deadline and parent set, not sent. |path| NULL means
 * "/service/method". NULL with errno EINVAL, ESHUTDOWN or ENOMEM. */
vrpc_t *vrt__rpc_new(vrt_world_t *w, vrt_pod_t *client,
                     const rt_invoke_opts_t *opts, const char *addr,
                     const char *service, const char *method,
                     const char *path);
/* Sends it: |wire| bytes on the network (|r->req_len| is what the
 * observation reports). Picks the endpoint; refusals come from an event. */
void vrt__rpc_launch(vrpc_t *r, size_t wire);
/* What rt_invoke and rt_http_invoke call instead: when the profile gives
 * the calling pod's service a client cost, the call first waits for that
 * demand on the client's CPU (its deadline already runs), then launches;
 * otherwise launches now. */
void vrt__rpc_send(vrpc_t *r);
void vrt__rpc_client_cpu_done(vrpc_t *r);    /* its client cost is served */
void vrt__rpc_client_cpu_dropped(vrpc_t *r); /* its client pod died */
/* The outcome is decided before the request left (the server never
 * sees it): the callback runs from an event at this virtual time. */
void vrt__rpc_fail_early(vrpc_t *r, rt_status_t st, const char *msg);
/* At arrival: the server answers |st| at once without serving the call
 * (|r->resp_wire| bytes: an HTTP error page, or 0). */
void vrt__rpc_refuse(vrpc_t *r, rt_status_t st, const char *msg);
/* At arrival: the server accepts the call with CPU demand from |cost|. */
void vrt__rpc_accept(vrpc_t *r, const vrt_cost_t *cost);
/* The handler ends the call: the client is sent |st| (|msg| unless OK),
 * the server side ends with |sst|. |r| may be freed on return. */
void vrt__rpc_end(vrpc_t *r, rt_status_t st, const char *msg,
                  rt_status_t sst);
/* Non-zero while an answer would still reach the client. */
int vrt__rpc_wanted(const vrpc_t *r);
_Noreturn void vrt__die(const char *what);
rt_invoke_t *vrt__invoke(vrt_world_t *w, vrt_pod_t *client, const char *addr,
                         const char *service, const char *method,
                         const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *resp_type,
                         const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                         void *user);
void vrt__rpc_cpu_done(vrpc_t *r);      /* its CPU demand is served */
void vrt__rpc_cpu_dropped(vrpc_t *r);   /* its pod died with it queued */
/* The pod stops: incoming calls cut (each client gets UNAVAILABLE with
 * |why|); outgoing calls end CANCELLED with their callbacks run now, or
 * (|callbacks| 0, after a failed init) silently. */
void vrt__rpc_pod_cut_incoming(vrt_pod_t *pod, const char *why);
void vrt__rpc_pod_drop_outgoing(vrt_pod_t *pod, int callbacks);
void vrt__rpc_pod_orphan_incoming(vrt_pod_t *pod);
void vrt__rpc_abandon_external(vrt_world_t *w);
void vrt__rpc_free_all(vrt_world_t *w);

/* http.c */
void vrt__http_free(vhttp_t *h, vhresp_t *hr);
void vrt__http_arrive(vrpc_t *r);   /* an HTTP request reaches its pod */
void vrt__http_dispatch(vrpc_t *r); /* its CPU demand is served */
/* The request as the mesh hook sees it. */
void vrt__http_view(const vrpc_t *r, const char **method, const char **target,
                    const rt_http_header_t **h, size_t *n);
/* A response |status| with |text| (text/plain) made by a sidecar, not
 * the app: stored in |r| as the answer to send or deliver. */
void vrt__http_local(vrpc_t *r, int status, const char *text);
/* rt_fail on an HTTP call: the status for |code|, |msg| as text/plain. */
void vrt__http_fail(vrpc_t *r, rt_status_t code, const char *msg);
/* Runs an HTTP client's callback with the outcome and the response |hr|
 * (NULL unless |st| is RT_OK), then frees |hr|. */
void vrt__http_callback(vrt_world_t *w, rt_http_invoke_cb cb, void *user,
                        rt_status_t st, const char *msg, vhresp_t *hr);
/* Responses larger than this fail the client's call RESOURCE_EXHAUSTED,
 * as in the live client; request bodies beyond HTTP_MAX_BODY_BYTES (the
 * server's environment, default 8 MiB) are answered 413, request headers
 * beyond 16 KiB 431, without the handler. */
#define VRT_HTTP_MAX_RESPONSE (16u * 1024u * 1024u)
int vrt__pod_serve_http(rt_t *rt, rt_http_handler_cb handler, void *user);
rt_invoke_t *vrt__pod_http_invoke(rt_t *rt, const char *addr,
                                  const char *method, const char *target,
                                  const rt_http_header_t *headers,
                                  size_t n_headers, const void *body,
                                  size_t body_len,
                                  const rt_invoke_opts_t *opts,
                                  rt_http_invoke_cb cb, void *user);
void vrt__http_respond(rt_call_t *call, int status,
                       const rt_http_header_t *headers, size_t n_headers,
                       const void *body, size_t body_len);

/* cpu.c */
void vrt__cpu_init(vcpu_t *c, double cores);
void vrt__cpu_free(vcpu_t *c);
int vrt__cpu_add(vrt_pod_t *pod, vrpc_t *r, double demand_ns);
void vrt__cpu_drop_all(vrt_pod_t *pod);
void vrt__cpu_sync(vrt_pod_t *pod);
void vrt__node_free(vrt_node_t *node);
/* When the machine thaws: the end of the freeze under way now, or 0 when
 * it is not frozen. What happens to a pod then (a timer, a message) waits
 * for it, as the process it stands for cannot run. */
des_time_t vrt__thaw(const vrt_world_t *w);

/* profile.c */
const vrt_cost_t *vrt__profile_cost(const vrt_profile_t *p,
                                    const char *service, const char *method);
/* How long the freezes that a CPU demand of |work_ns| begins stop the
 * machine (ns; 0 mostly): a Poisson count with the mean of the profile's
 * "freezes" (per wake-up, plus per ns of work), each of a length drawn
 * from its quantiles. No draw from |rng| when the profile has no
 * freezes. */
des_time_t vrt__freeze_draw(const vrt_profile_t *p, double work_ns, des_rng_t *rng);
/* The entry "service/method", or NULL when the profile has none. */
const vrt_cost_t *vrt__profile_find(const vrt_profile_t *p,
                                    const char *service, const char *method);
double vrt__cost_draw(const vrt_cost_t *c, des_rng_t *rng);
/* The client cost of |service|'s pods, or NULL when it has none. */
const vrt_cost_t *vrt__profile_client(const vrt_profile_t *p,
                                      const char *service);

#endif /* MESHSIM_SIM_VRT_INT_H */
