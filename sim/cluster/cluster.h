/* sim/cluster/cluster.h: the Kubernetes model of the simulator.
 *
 * A cluster (cl_cluster_t) lives on a virtual-runtime world (sim/vrt) and
 * turns chart values (values.h) into what Kubernetes would run: nodes,
 * namespaces, Deployments with their ReplicaSets and pods, Services with
 * endpoints, rolling updates and HorizontalPodAutoscalers. Pods run the
 * real service code as vrt pods; a Service is a vrt endpoint set bound to
 * the names callers dial. Every state change happens in a des event of the
 * world's engine, in a fixed order, so a run replays from its seed. See
 * sim/cluster/README.md for the model, its timings and its assumptions.
 *
 * Names follow Kubernetes: Deployment "<chart name>" (and
 * "<chart name>-canary" when the values enable a canary), ReplicaSet
 * "<deployment>-<template hash>", pod "<replicaset>-<5 chars>" from the
 * seeded stream "cl/<replicaset>". A container restart is a new vrt pod
 * named "<pod>#<restart count>" (vrt names are unique for a whole run).
 *
 * Threads: none; the cluster belongs to its world's thread. As for vrt,
 * the functions that change the cluster are called between vrt_run() calls
 * or from des event callbacks, never from service code or hooks.
 */
#ifndef MESHSIM_SIM_CLUSTER_H
#define MESHSIM_SIM_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "des.h"
#include "rt.h"
#include "values.h"
#include "vrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cl_cluster cl_cluster_t;

/* A node's shape. The default cluster is the seed's EKS node group:
 * three t2.medium, "node-1".."node-3", 2 vCPU, 4 GiB, 17 pods each. */
typedef struct cl_node_spec {
	const char *name;
	int64_t cpu_m;     /* allocatable CPU, millicores */
	int64_t mem_bytes; /* allocatable memory */
	int max_pods;      /* 0: no limit */
} cl_node_spec_t;

#define CL_NODE_T2_MEDIUM_CPU_M 2000
#define CL_NODE_T2_MEDIUM_MEM ((int64_t)4 << 30)
#define CL_NODE_T2_MEDIUM_PODS 17

/* Where the scheduler puts a pod among the nodes it fits on. */
typedef enum cl_placement {
	CL_PLACE_LEAST_ALLOCATED, /* kube-scheduler's default scoring: most
	                             free CPU and memory (mean of the two
	                             fractions); ties to the earlier node */
	CL_PLACE_FIRST_FIT        /* the first node in order */
} cl_placement_t;

/* One `kubectl get events` line. Strings are valid during the callback. */
typedef struct cl_event {
	des_time_t t;        /* des time (ns since the world started) */
	const char *type;    /* "Normal" or "Warning" */
	const char *kind;    /* "Pod", "ReplicaSet", "Deployment", "Node",
	                        "HorizontalPodAutoscaler", "Service" */
	const char *ns;      /* "" for nodes */
	const char *name;
	const char *reason;  /* "Scheduled", "FailedScheduling", "Started",
	                        "BackOff", "ScalingReplicaSet", ... */
	const char *message;
} cl_event_t;

typedef void (*cl_event_cb)(void *user, const cl_event_t *ev);

typedef struct cl_config {
	/* Nodes, in scheduling order; NULL / 0: three t2.medium. Copied. */
	const cl_node_spec_t *nodes;
	size_t n_nodes;
	/* The services that can run: a chart named N runs the entry whose
	 * ->name is N. NULL-terminated; the array and the services must
	 * outlive the cluster. */
	const rt_service_t *const *services;
	/* Container creation and start with the image cached (default 2 s),
	 * and the extra time of an image's first pull on a node (default 0:
	 * every image already cached; pullPolicy Always pays it every time). */
	des_time_t start_delay;
	des_time_t pull_delay;
	cl_placement_t placement;  /* default least-allocated */
	vrt_lb_t lb;               /* Services' load balancing; round robin */
	/* A directory for pods' volumes (storage.enabled charts); NULL: a
	 * fresh one under $TMPDIR (or /tmp), removed by cl_cluster_free(). */
	const char *volume_dir;
	/* Non-zero: the services' SQLite files in those volumes live in this
	 * process's memory (memvol.h), not on the disk under volume_dir; the
	 * services see the same paths. Default 0. */
	int memory_volumes;
	/* Non-zero: a node's pods share its CPU (vrt_node_new with the node's
	 * allocatable cores; each pod's container on it with its CPU request
	 * as weight, the cpu.shares the kubelet gives it): pods are slowed
	 * when their node is contended, as well as capped by their limits.
	 * Default 0: each pod is its own CPU of its limit (no contention). */
	int node_cpu;
	cl_event_cb on_event;      /* may be NULL */
	void *event_user;
} cl_config_t;

/* Fills |cfg| with the defaults above. */
void cl_config_init(cl_config_t *cfg);

/* Creates a cluster on |w| (which must outlive it) with |cfg| (NULL: the
 * defaults). Stores it in |*out| (the caller's; cl_cluster_free) and
 * returns 0; or CL_EINVAL (a bad node spec), CL_EIO (the volume directory),
 * CL_ENOMEM. Nothing runs until the world does. */
int cl_cluster_new(vrt_world_t *w, const cl_config_t *cfg, cl_cluster_t **out,
                   char *err, size_t errsize);

/* Frees the cluster's objects and its temporary volume directory; its
 * pending events are cancelled and its addresses unbound. The vrt pods stay
 * in the world (vrt never frees a pod before the world), still running,
 * but lose their link to the cluster. Call it before vrt_world_free(), and
 * not from inside vrt_run(). NULL is a no-op. */
void cl_cluster_free(cl_cluster_t *cl);

vrt_world_t *cl_cluster_world(const cl_cluster_t *cl);

/* `helm upgrade --install`: creates or updates the namespace, the Service
 * (bound as "<name>:<port>", "<name>.<ns>:<port>", "<name>.<ns>.svc:<port>"
 * and "<name>.<ns>.svc.cluster.local:<port>"), the stable Deployment, the
 * canary Deployment when |v| enables one, and the HPA when |v| has
 * autoscaling enabled. On an update, a changed pod template (image tag,
 * env, resources, probes, grace) starts a rollout; a changed replica count
 * scales. |v| is copied. Takes effect through events at the current time.
 * Errors: CL_ENOSVC (no registered service has the chart's name; nothing
 * is created), CL_EEXIST (another chart already binds a name the Service
 * needs), CL_EINVAL, CL_ENOMEM; |err| says which. */
int cl_cluster_apply(cl_cluster_t *cl, const cl_values_t *v, char *err,
                     size_t errsize);

/* cl_values_load() then cl_cluster_apply(). */
int cl_cluster_apply_file(cl_cluster_t *cl, const char *path,
                          const char *const *overrides, char *err,
                          size_t errsize);

/* ------------------------------------------------------------------ */
/* Actions (for scenarios and the TUI). Each takes effect at once, through
 * the same controllers as everything else. */

/* `kubectl scale deployment`: 0, CL_ENOENT. With an HPA the HPA wins at
 * its next sync, as in Kubernetes. */
int cl_deploy_scale(cl_cluster_t *cl, const char *ns, const char *name,
                    int replicas);

/* `kubectl set image` / `kubectl set env`: a new pod template, so a
 * rollout. |value| NULL removes the variable. 0, CL_ENOENT, CL_ENOMEM. */
int cl_deploy_set_image(cl_cluster_t *cl, const char *ns, const char *name,
                        const char *tag);
int cl_deploy_set_env(cl_cluster_t *cl, const char *ns, const char *name,
                      const char *var, const char *value);

/* `kubectl delete pod` with |grace_s| (< 0: the pod's own
 * terminationGracePeriodSeconds; 0: at once, like --force). The pod
 * leaves its endpoints at once and its ReplicaSet creates a replacement.
 * 0, CL_ENOENT, CL_ESTATE (already terminating). */
int cl_pod_delete(cl_cluster_t *cl, const char *pod, int grace_s);

/* The pod's container dies (SIGKILL, a crash, an OOM kill): the kubelet
 * restarts it in place after the CrashLoopBackOff delay. 0, CL_ENOENT,
 * CL_ESTATE (no running container). */
int cl_pod_kill(cl_cluster_t *cl, const char *pod);

/* Makes the pod's probes fail (|failing| 1: a hung process) or pass again
 * (0), whatever the container does: readiness then takes it out of its
 * endpoints, liveness restarts it, and the restarted container is healthy
 * again (the hang belonged to the old one). 0, CL_ENOENT. */
int cl_pod_set_failing(cl_cluster_t *cl, const char *pod, int failing);

/* `kubectl cordon` / `uncordon` / `drain` (cordon, then delete every pod
 * on the node with its grace period). 0, CL_ENOENT. */
int cl_node_cordon(cl_cluster_t *cl, const char *node, int cordoned);
int cl_node_drain(cl_cluster_t *cl, const char *node);

/* ------------------------------------------------------------------ */
/* Observation. */

typedef enum cl_phase {
	CL_POD_PENDING,  /* unscheduled, or its first container not started */
	CL_POD_RUNNING,  /* a container started (it may be in back-off) */
	CL_POD_TERMINATING
} cl_phase_t;

/* "Pending", "Running", "Terminating". Static. */
const char *cl_phase_name(cl_phase_t p);

typedef struct cl_snap_pod {
	char *ns, *name, *deployment, *replicaset, *node; /* node NULL: none */
	cl_phase_t phase;
	/* What `kubectl get pods` shows in STATUS: "Pending",
	 * "ContainerCreating", "Running", "CrashLoopBackOff", "Error",
	 * "Terminating". */
	char *status;
	char *reason;       /* why Pending or waiting, else NULL */
	int ready;
	des_time_t ready_since; /* last change of |ready| (the condition's
	                           lastTransitionTime) */
	int restarts;
	des_time_t created, started; /* started: -1 before any container */
	vrt_pod_t *container; /* the current vrt pod, or NULL */
	int64_t cpu_request_m, mem_request;
} cl_snap_pod_t;

typedef struct cl_snap_deploy {
	char *ns, *name, *track; /* track: "stable" or "canary" */
	char *image_tag;
	int replicas;        /* desired (spec) */
	int current;         /* pods not terminating */
	int updated;         /* of them, with the current template */
	int ready;           /* ready, not terminating */
	int revision;
	int hpa;             /* 1 with an HPA; then: */
	int hpa_min, hpa_max, hpa_target_percent;
	int hpa_current_percent; /* at the last sync; -1 before the first */
} cl_snap_deploy_t;

typedef struct cl_snap_node {
	char *name;
	int64_t cpu_m, mem_bytes;       /* allocatable */
	int64_t cpu_requested_m, mem_requested;
	int64_t cpu_limits_m;           /* sum of pod limits (overcommit) */
	int pods, max_pods;
	int cordoned;
} cl_snap_node_t;

typedef struct cl_snap_service {
	char *ns, *name;
	int port;
	size_t endpoints; /* ready pods behind it */
} cl_snap_service_t;

/* A copy of the cluster's state; owns everything it points to except the
 * vrt pods. */
typedef struct cl_snapshot {
	des_time_t t;
	cl_snap_node_t *nodes;
	size_t n_nodes;
	char **namespaces;
	size_t n_namespaces;
	cl_snap_deploy_t *deploys;
	size_t n_deploys;
	cl_snap_pod_t *pods; /* in creation order */
	size_t n_pods;
	cl_snap_service_t *services;
	size_t n_services;
} cl_snapshot_t;

/* NULL when out of memory. */
cl_snapshot_t *cl_cluster_snapshot(const cl_cluster_t *cl);
void cl_snapshot_free(cl_snapshot_t *s);

/* The endpoint set of Service |name| in |ns|, or NULL. */
vrt_endpoints_t *cl_cluster_endpoints(const cl_cluster_t *cl, const char *ns,
                                      const char *name);

/* What Istio's telemetry reads from a pod: its namespace, its workload
 * (the Deployment's name), its labels app (the chart's name) and version
 * (the track, "stable" or "canary"), its ServiceAccount (the chart's name,
 * as the charts' serviceAccountName) and the Service selecting it (NULL:
 * none). Strings belong to the cluster, valid until the Deployment goes or
 * the cluster is freed: copy them. */
typedef struct cl_pod_meta {
	const char *ns, *workload, *app, *version, *service_account, *service;
} cl_pod_meta_t;

/* Fills |out| for |vp| when it is the current container of a pod of |cl|
 * and returns 0; CL_ENOENT for any other vrt pod, an earlier container of
 * a restarted pod included (nothing written). Safe from observation hooks. */
int cl_pod_meta(const cl_cluster_t *cl, const vrt_pod_t *vp,
                cl_pod_meta_t *out);

/* The current vrt pod of pod |pod| (NULL while none runs). */
vrt_pod_t *cl_pod_container(const cl_cluster_t *cl, const char *pod);

/* Who a running vrt pod is, as Kubernetes and the mesh see it: the pod
 * template's labels are app=<app> and version=<track> (the charts'
 * common templates), its serviceAccountName is <app>. Strings belong to
 * the cluster: valid until the pod is deleted or the Deployment changes,
 * so copy what you keep. 0, or CL_ENOENT when |vp| is not a current pod
 * of |cl|. */
typedef struct cl_pod_identity {
	const char *ns, *pod, *deployment, *app, *track, *service_account;
} cl_pod_identity_t;
int cl_pod_identity(const cl_cluster_t *cl, const vrt_pod_t *vp,
                    cl_pod_identity_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_CLUSTER_H */
