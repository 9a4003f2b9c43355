/* sim/cluster/values.h: a meshsim chart's values.yaml, read into a typed
 * struct.
 *
 * The chart values under k8s/charts/<service>/values.yaml are the one source
 * of truth shared by the EKS deployment (Helm) and the simulator. This
 * module reads one file with libyaml, applies Helm-style `--set`
 * overrides, and checks and converts every field the cluster model uses:
 * replicas, image tag, Service port and targetPort, CPU and memory
 * quantities (exactly, in millicores and bytes), the environment, the
 * termination grace period, probes, storage, the canary Deployment, and
 * two optional keys the charts do not carry yet (`autoscaling`,
 * `strategy`; see sim/cluster/README.md).
 *
 * Errors are for people and name the place: "FILE:LINE:COLUMN: FIELD: why",
 * e.g. `k8s/charts/cartservice/values.yaml:21:5: resources.limits.cpu:
 * "abc" is not a CPU quantity`; for a value that came from an override,
 * `--set resources.limits.cpu=abc: resources.limits.cpu: ...`.
 *
 * Unknown keys: inside the maps this module reads (image, service,
 * resources, probes, storage, canary, autoscaling, strategy) any key not in
 * the chart schema is an error, so a misspelt `periodSecond` cannot
 * silently mean a default. At the top level, keys the model does not read
 * are ignored (Helm charts carry keys for templating only, e.g.
 * podSecurityContext), except those that look like a misspelling of a key
 * it does read (same letters in another case, or an edit distance of 2 or
 * less), which are errors.
 *
 * Threads: none; every function is re-entrant on distinct objects.
 */
#ifndef MESHSIM_SIM_CLUSTER_VALUES_H
#define MESHSIM_SIM_CLUSTER_VALUES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Errors: 0 on success or one of these negative codes. The cluster model
 * (cluster.h) shares this table. */
#define CL_ERRNO_MAP(X)                                                     \
	X(EINVAL, -1, "invalid argument")                                     \
	X(ENOMEM, -2, "out of memory")                                        \
	X(EIO, -3, "cannot read the file")                                    \
	X(EVALUES, -4, "invalid chart values (see the message)")              \
	X(ENOENT, -5, "no such object")                                       \
	X(ENOSVC, -6, "the chart's service is not registered")                \
	X(EEXIST, -7, "already exists")                                       \
	X(ESTATE, -8, "not allowed in the object's current state")

typedef enum {
#define CL_ERR_ENUM_(name, val, msg) CL_##name = (val),
	CL_ERRNO_MAP(CL_ERR_ENUM_)
#undef CL_ERR_ENUM_
} cl_errno_t;

/* A readable message / the symbolic name ("CL_EINVAL"). Static strings. */
const char *cl_strerror(int err);
const char *cl_err_name(int err);

typedef enum cl_probe_kind {
	CL_PROBE_NONE, /* `{}` or absent */
	CL_PROBE_GRPC,
	CL_PROBE_HTTP, /* httpGet */
	CL_PROBE_TCP   /* tcpSocket */
} cl_probe_kind_t;

/* A Kubernetes Probe; unset fields hold Kubernetes' defaults. */
typedef struct cl_probe {
	cl_probe_kind_t kind;
	int port;
	char *path;              /* httpGet only, else NULL */
	int initial_delay_s;     /* 0 */
	int period_s;            /* 10 */
	int timeout_s;           /* 1 */
	int success_threshold;   /* 1 */
	int failure_threshold;   /* 3 */
} cl_probe_t;

/* One environment variable, in the file's order. */
typedef struct cl_env {
	char *name;
	char *value;
} cl_env_t;

/* An int-or-percent ("25%" or 1), as Deployment's maxSurge. */
typedef struct cl_intstr {
	int value;
	int percent; /* 1: |value| is a percentage */
} cl_intstr_t;

typedef struct cl_values {
	char *file;        /* where it was read from (copied) */
	char *name;        /* Service, Deployment and container name */
	char *namespace_;  /* the only namespace the chart installs into */
	int replicas;      /* replicaCount; default 1 */
	struct {
		char *registry, *repository, *tag, *pull_policy;
	} image;
	struct {
		int enabled;  /* 0: no Service (loadgenerator) */
		char *type;   /* ClusterIP... */
		int port;     /* what callers dial */
		int target_port; /* the container's port */
		char *protocol;  /* "grpc" or "http" */
	} service;
	/* Quantities, exactly: CPU in millicores, memory in bytes; 0 = unset. */
	int64_t cpu_request_m, cpu_limit_m;
	int64_t mem_request, mem_limit;
	cl_env_t *env;
	size_t n_env;
	int grace_s;       /* terminationGracePeriodSeconds; default 30 */
	cl_probe_t readiness, liveness;
	struct {
		int enabled;
		char *type;       /* "emptyDir" or "persistentVolumeClaim" */
		char *mount_path;
	} storage;
	struct {
		int enabled;
		int replicas;
		char *tag;        /* NULL: the stable tag */
	} canary;
	/* autoscaling (HorizontalPodAutoscaler, autoscaling/v2 defaults);
	 * not in the charts yet. */
	struct {
		int enabled;
		int min_replicas;           /* 1 */
		int max_replicas;           /* required when enabled */
		int target_cpu_percent;     /* 80, of the CPU request */
		int scale_down_window_s;    /* 300 */
	} hpa;
	/* strategy: not in the charts yet; storage.type persistentVolumeClaim
	 * implies Recreate, as the chart's template does. */
	struct {
		int recreate;
		cl_intstr_t max_surge;       /* 25% */
		cl_intstr_t max_unavailable; /* 25% */
	} strategy;
} cl_values_t;

/* Reads |path| and applies |overrides| (NULL-terminated, may be NULL):
 * each a Helm `--set` argument, "key.sub=value[,key2=value2...]", applied
 * in order after loading. As Helm: "true"/"false" are booleans, integer
 * literals are integers, "null" removes the key, anything else is a string;
 * a backslash escapes '.', ',' and '=' in keys and values (podAnnotations'
 * "proxy\.istio\.io/config"). List indexes ("a[0]") are not supported.
 * On success stores a new object (the caller's; cl_values_free) in |*out|
 * and returns 0. Errors: CL_EIO (the file cannot be read), CL_EVALUES
 * (YAML syntax, a bad field, a bad override), CL_ENOMEM, CL_EINVAL; then
 * |err| (|errsize| bytes, may be 0) says where and why. */
int cl_values_load(const char *path, const char *const *overrides,
                   cl_values_t **out, char *err, size_t errsize);

/* The same from a buffer; |file| names it in messages. */
int cl_values_parse(const char *file, const char *buf, size_t len,
                    const char *const *overrides, cl_values_t **out,
                    char *err, size_t errsize);

/* A deep copy, or NULL when out of memory. */
cl_values_t *cl_values_dup(const cl_values_t *v);

void cl_values_free(cl_values_t *v);

/* The value of environment variable |name|, or NULL. */
const char *cl_values_env(const cl_values_t *v, const char *name);

/* Kubernetes quantities. CPU: "100m", "0.5", "2" (at most 3 decimals:
 * finer than a millicore is refused) into millicores. Memory: a plain
 * number of bytes or one with a suffix Ki Mi Gi Ti Pi Ei (powers of 1024)
 * or k M G T P E (powers of 1000), decimals allowed and rounded up to the
 * byte as Kubernetes does ("1.5Gi", "129M"). 0 or -1 (not a quantity,
 * negative, or too large). */
int cl_quantity_cpu(const char *s, int64_t *millicores);
int cl_quantity_memory(const char *s, int64_t *bytes);

/* Splits a Service address "<svc>.<ns>.svc.cluster.local:<port>" (also
 * "<svc>.<ns>:<port>", "<svc>.<ns>.svc:<port>" and "<svc>:<port>") into its
 * parts: |svc| and |ns| get the names (|ns| "" when absent), |port| the
 * port. Each buffer is |size| bytes. 0, or -1 when |addr| is not of that
 * form. */
int cl_addr_split(const char *addr, char *svc, char *ns, size_t size,
                  int *port);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_CLUSTER_VALUES_H */
