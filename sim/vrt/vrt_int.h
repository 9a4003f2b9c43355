/* sim/vrt/vrt_int.h: the virtual runtime's internals, shared by its files
 * (world.c, pod.c, rpc.c, cpu.c, profile.c). Not for other modules. */
#ifndef MESHSIM_SIM_VRT_INT_H
#define MESHSIM_SIM_VRT_INT_H

#include "rng.h"
#include "vrt.h"

typedef struct vrpc vrpc_t;

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
	double core_ns;
	uint64_t jobs;
} vcpu_t;

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
	vserved_t *served;
	size_t nserved;
	vcpu_t cpu;
	vlist_t in;  /* accepted, not yet ended (server side) */
	vlist_t out; /* outgoing, outcome not yet delivered (client side) */
	vtimer_t *timers; /* doubly linked */
	des_event_t ev_stop, ev_grace;
	uint64_t logs[4];
	size_t outstanding; /* calls sent to it and not answered: for LB */
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

struct vrt_world {
	des_t *des;
	uint64_t seed;
	rt_time_t epoch;
	vrt_pod_t **pods;
	size_t npods, cappods;
	vrt_endpoints_t **eps;
	size_t neps, capeps;
	vbind_t *binds; /* open addressing, power-of-two size */
	size_t nbinds, capbinds;
	vrt_profile_t *profile;
	unsigned profile_gen;
	vrt_net_fn net;
	void *net_user;
	vrt_link_t link;
	vlinkov_t *links;
	size_t nlinks;
	des_rng_t lb_rng;
	vrt_obs_cb obs;
	void *obs_user;
	vrt_trace_cb trace;
	void *trace_user;
	vrt_log_cb log;
	void *log_user;
	rt_severity_t log_min;
	vrt_stats_t stats;
	uint64_t next_id;
	vrpc_t *rpcs; /* every call not yet freed */
	int freeing;
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

/* cpu.c */
void vrt__cpu_init(vcpu_t *c, double cores);
void vrt__cpu_free(vcpu_t *c);
int vrt__cpu_add(vrt_pod_t *pod, vrpc_t *r, double demand_ns);
void vrt__cpu_drop_all(vrt_pod_t *pod);
void vrt__cpu_sync(vrt_pod_t *pod);

/* profile.c */
const vrt_cost_t *vrt__profile_cost(const vrt_profile_t *p,
                                    const char *service, const char *method);
double vrt__cost_draw(const vrt_cost_t *c, des_rng_t *rng);

#endif /* MESHSIM_SIM_VRT_INT_H */
