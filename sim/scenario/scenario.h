/* sim/scenario/scenario.h: scenario files for `meshsim run`.
 *
 * A scenario is a small YAML file (under scenarios/; the format is in
 * scenarios/README.md): how long to run, the seed, which charts and
 * overrides, the load (closed-loop users or open-loop arrivals with a rate
 * profile) and timed actions (kill or delete a pod, scale a Deployment,
 * hang a pod, drain a node), service-level objectives the run must
 * meet (sim/report/slo.h), and a canary analysis (sim/report/canary.h). Every key is optional; unknown keys are
 * errors. Errors name the place: "FILE:LINE: FIELD: why", e.g.
 * "scenarios/x.yaml:7: load.rate: \"fast\" is not a number".
 *
 * This module only reads; cmd_run applies a scenario to a world.
 * Threads: none.
 */
#ifndef MESHSIM_SIM_SCENARIO_H
#define MESHSIM_SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "arrivals.h"
#include "des.h"
#include "slo.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_load_kind {
	SC_LOAD_CHART, /* no load key: the loadgenerator chart as it is */
	SC_LOAD_USERS, /* closed loop: the loadgenerator chart's users */
	SC_LOAD_RATE   /* open loop: arrivals at the frontend */
} sc_load_kind_t;

#define SC_ACTION_MAP(X)                                                    \
	X(KILL, "kill", "the pod's container dies (restarts after back-off)") \
	X(DELETE, "delete", "kubectl delete pod (its ReplicaSet replaces it)") \
	X(SCALE, "scale", "kubectl scale deployment (with replicas:)")        \
	X(HANG, "hang", "the pod's probes fail (a hung process)")             \
	X(HEAL, "heal", "the pod's probes pass again")                        \
	X(DRAIN, "drain", "kubectl drain node")                               \
	X(CORDON, "cordon", "kubectl cordon node")                            \
	X(UNCORDON, "uncordon", "kubectl uncordon node")

typedef enum sc_action_kind {
#define SC_ACTION_ENUM_(id, key, what) SC_ACTION_##id,
	SC_ACTION_MAP(SC_ACTION_ENUM_)
#undef SC_ACTION_ENUM_
	SC_N_ACTIONS
} sc_action_kind_t;

/* "kill"; NULL out of range. */
const char *sc_action_name(sc_action_kind_t k);

typedef struct sc_action {
	des_time_t at;          /* after the load starts */
	sc_action_kind_t kind;
	char *target;           /* a pod, or a Deployment (its first running
	                           pod for pod actions); a node for drain,
	                           cordon, uncordon */
	int replicas;           /* scale */
	int grace_s;            /* delete: -1 the pod's own */
	int line;
} sc_action_t;

typedef struct sc_scenario {
	char *file;
	char *name;             /* "name:", else the file's base name */
	int has_duration, has_seed;
	des_time_t duration;
	uint64_t seed;
	char *charts;           /* resolved against the file's directory */
	char *istio;            /* "istio:" the mesh's manifests, resolved
	                           likewise; NULL: the default */
	int mesh_off;           /* "mesh: off": no sidecars */
	int node_cpu;           /* "node_cpu: on": a node's pods share its
	                           cores (meshsim run --node-cpu) */
	char **set;             /* "<chart>.<key>=<value>", NULL-terminated */
	size_t n_set;
	struct {
		sc_load_kind_t kind;
		unsigned users;     /* users */
		double spawn_rate;  /* users per second; 0: the chart's */
		ld_point_t *points; /* rate */
		size_t n_points;
		int deterministic;  /* arrivals: uniform */
		char *route;        /* NULL: the Locust mix */
	} load;
	sc_action_t *actions;   /* in time order (stable) */
	size_t n_actions;
	/* slo: one objective per bound, in file order; each entry's scope
	 * (route, service or workload; else every route) on each of its
	 * bounds, |line| the bound's. */
	slo_assert_t *slo;
	size_t n_slo;
	/* canary: progressive delivery as Flagger does it (scenarios/README.md,
	 * "Progressive delivery"); set 0 when the key is absent. */
	struct {
		int set;
		char *service;        /* the canaried pair: Deployments
		                         <service> and <service>-canary, and
		                         the VirtualService routes splitting
		                         its host between subsets stable and
		                         canary */
		des_time_t interval;  /* between checks; default 60 s */
		int step_weight;      /* 1..100; default 10 */
		int max_weight;       /* step_weight..100; default 50 */
		int threshold;        /* failed checks before rollback; 5 */
		double success_min;   /* percent (non-5xx share); default 99 */
		double p99_max_ms;    /* default 500 */
		int line;             /* of the canary: key; service_line of
		                         its service: value */
		int service_line;
	} canary;
} sc_scenario_t;

/* Reads |path|. On success stores a new scenario (the caller's; sc_free)
 * in |*out| and returns 0; else -1 with "FILE:LINE: FIELD: why" (or
 * "FILE: why") in |err|. */
int sc_load(const char *path, sc_scenario_t **out, char *err, size_t errsize);

/* The same from a buffer; |file| names it in messages and is the base of
 * a relative charts: path. */
int sc_parse(const char *file, const char *buf, size_t len,
             sc_scenario_t **out, char *err, size_t errsize);

void sc_free(sc_scenario_t *s);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_SCENARIO_H */
