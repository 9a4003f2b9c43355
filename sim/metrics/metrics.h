/* sim/metrics/metrics.h: Istio's standard metrics, as the sidecars report
 * them, for the simulator.
 *
 * A registry (ms_registry_t) holds one series per full label set: for
 * HTTP/gRPC, istio_requests_total, the istio_request_duration_milliseconds,
 * istio_request_bytes and istio_response_bytes histograms, and for gRPC the
 * istio_request_messages_total / istio_response_messages_total counters;
 * for TCP, the istio_tcp_* counters. Names, labels and buckets are those of
 * /work/shared/MESH.md ("Telemetry") and Istio's reference
 * (istio.io docs/reference/config/telemetry/metrics).
 *
 * ms_obs_*() turns the virtual runtime's observations (vrt_obs_t, one per
 * finished call and reporter) into records, with the pods' metadata from a
 * resolver the caller gives (the cluster's Deployments and labels).
 *
 * ms_write_prometheus() writes the Prometheus text exposition format 0.0.4
 * in a fixed order, so the same run gives the same bytes. metrics_db.h
 * keeps snapshots in SQLite; serve.h serves the exposition over HTTP.
 *
 * Cost: a record hashes its label values and finds its series in an
 * open-addressing table; only a new label set allocates (one block).
 *
 * Threads: none; a registry belongs to one thread.
 */
#ifndef MESHSIM_SIM_METRICS_H
#define MESHSIM_SIM_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes: 0 or one of these (negative). */
#define MS_ERRNO_MAP(X)                                                   \
	X(EINVAL, -1, "invalid argument")                                 \
	X(ENOMEM, -2, "out of memory")                                    \
	X(EIO, -3, "input/output error")                                  \
	X(EDB, -4, "SQLite error")                                        \
	X(ENOENT, -5, "not found")

typedef enum ms_err {
#define MS_ERR_ENUM(name, code, msg) MS_##name = code,
	MS_ERRNO_MAP(MS_ERR_ENUM)
#undef MS_ERR_ENUM
} ms_err_t;

const char *ms_strerror(int err);
const char *ms_err_name(int err);

/* The label set, in exposition order (MESH.md's list). Every value is a
 * NUL-terminated string, copied by the registry when a new series starts;
 * NULL means "unknown". For TCP records |response_code| and
 * |grpc_response_status| are not labels (Istio's TCP metrics have neither)
 * and are ignored. */
typedef struct ms_labels {
	const char *reporter; /* "source" or "destination" */
	const char *source_workload;
	const char *source_workload_namespace;
	const char *source_principal;
	const char *source_app;
	const char *source_version;
	const char *destination_workload;
	const char *destination_workload_namespace;
	const char *destination_principal;
	const char *destination_app;
	const char *destination_version;
	const char *destination_service; /* "cartservice.cartservice.svc.cluster.local" */
	const char *destination_service_name;
	const char *destination_service_namespace;
	const char *request_protocol;     /* "grpc", "http", "tcp" */
	const char *response_code;        /* "200", "403", "0" */
	const char *grpc_response_status; /* "0".."16"; "" for plain HTTP */
	const char *response_flags;       /* Envoy's, "-" for none */
	const char *connection_security_policy; /* "mutual_tls", "none", "unknown" */
	const char *source_cluster;       /* "Kubernetes" */
	const char *destination_cluster;
} ms_labels_t;

#define MS_NLABELS 21

/* Label names in exposition order; MS_NLABELS entries. Static. */
extern const char *const ms_label_names[MS_NLABELS];

/* Histogram buckets (upper bounds, inclusive, ascending; +Inf implied). */
#define MS_DURATION_NBUCKETS 19
extern const double ms_duration_buckets[MS_DURATION_NBUCKETS];
#define MS_BYTES_NBUCKETS 8
extern const double ms_bytes_buckets[MS_BYTES_NBUCKETS];

/* The metric families, in exposition order. */
typedef enum ms_family_id {
	MS_REQUESTS_TOTAL,
	MS_REQUEST_DURATION,
	MS_REQUEST_BYTES,
	MS_RESPONSE_BYTES,
	MS_REQUEST_MESSAGES,
	MS_RESPONSE_MESSAGES,
	MS_TCP_SENT_BYTES,
	MS_TCP_RECEIVED_BYTES,
	MS_TCP_OPENED,
	MS_TCP_CLOSED,
	MS_NFAMILIES
} ms_family_id_t;

typedef struct ms_family {
	const char *name; /* "istio_requests_total" */
	const char *type; /* "counter" or "histogram" */
	const char *help;
} ms_family_t;

/* MS_NFAMILIES entries, in exposition order. Static. */
extern const ms_family_t ms_families[MS_NFAMILIES];

/* The family whose name is |name| or whose histogram sample names
 * (NAME_bucket, NAME_sum, NAME_count) |name| is; -1 for none. */
int ms_family_find(const char *name);

typedef struct ms_registry ms_registry_t;

/* A new, empty registry (the caller's: ms_registry_free), or NULL when out
 * of memory. */
ms_registry_t *ms_registry_new(void);
void ms_registry_free(ms_registry_t *reg); /* NULL: no-op */

/* One finished HTTP or gRPC request as one reporter saw it: adds 1 to
 * istio_requests_total, |duration_ms| to the duration histogram, the byte
 * counts to the size histograms, and, when |grpc| is non-zero, the message
 * counts to the messages counters (which then exist for this label set).
 * 0, MS_EINVAL (NULL |reg| or |l|, or a negative duration), MS_ENOMEM (a
 * new series could not be made; nothing recorded). */
int ms_record_request(ms_registry_t *reg, const ms_labels_t *l,
                      double duration_ms, uint64_t req_bytes,
                      uint64_t resp_bytes, int grpc, uint64_t req_msgs,
                      uint64_t resp_msgs);

/* The same in two steps, for callers that cache the series of their label
 * sets (ms_obs_record does): ms_registry_series_get() returns the series
 * of |l|, made when new (NULL: out of memory, or a NULL argument), valid
 * until the registry is freed; ms_series_add_request() records into it
 * (|duration_ms| must be >= 0). */
typedef struct ms_series ms_series_t;
ms_series_t *ms_registry_series_get(ms_registry_t *reg, const ms_labels_t *l);
void ms_series_add_request(ms_registry_t *reg, ms_series_t *s,
                           double duration_ms, uint64_t req_bytes,
                           uint64_t resp_bytes, int grpc, uint64_t req_msgs,
                           uint64_t resp_msgs);

/* TCP traffic of one reporter: bytes sent and received, connections opened
 * and closed. Istio reports these for TCP-proxied connections only, not
 * for the connections under HTTP/gRPC requests (README.md): nothing in a
 * run of the shop calls it. 0, MS_EINVAL, MS_ENOMEM. */
int ms_record_tcp(ms_registry_t *reg, const ms_labels_t *l, uint64_t sent,
                  uint64_t received, uint64_t opened, uint64_t closed);

/* Number of series (label sets, HTTP and TCP) and of records so far. */
size_t ms_registry_series(const ms_registry_t *reg);
uint64_t ms_registry_records(const ms_registry_t *reg);

/* Writes the exposition (text format 0.0.4: HELP and TYPE per family with
 * series, histograms as cumulative _bucket{le} lines through +Inf, _sum and
 * _count) to |out|. Families in ms_families order; within a family, series
 * by their label text (byte order). |match| non-NULL: only the family it
 * names (as ms_family_find). 0, MS_EIO (a write failed). */
int ms_write_prometheus(const ms_registry_t *reg, const char *match,
                        FILE *out);

/* Appends |v| to |out| escaped as a Prometheus label value (backslash,
 * double quote and newline escaped). Returns the length the escaped value
 * needs, without the NUL; writes at most |size| bytes, always terminated
 * when |size| > 0 (as snprintf). */
size_t ms_escape_label(const char *v, char *out, size_t size);

/* Formats a sample value: integers exactly, others with 17 significant
 * digits, "+Inf", "-Inf", "NaN". |buf| needs 32 bytes. Returns |buf|. */
const char *ms_format_value(double v, char *buf);

/* ---- sample iteration (for the SQLite store) --------------------------- */

/* One sample line of the exposition. Strings valid during the callback. */
typedef struct ms_sample {
	ms_family_id_t family;
	const char *name;   /* "istio_request_duration_milliseconds_bucket" */
	const char *labels; /* the series' label text, escaped, without le:
	                       reporter="source",source_workload="frontend",... */
	const char *le;     /* "0.5".."+Inf" for buckets, else NULL */
	int ord;            /* position within the series: buckets 0..n, then
	                       _sum, _count */
	double value;
	const ms_labels_t *l; /* the raw values (for JSON) */
	int tcp;              /* 1: a TCP series (no response_code, ...) */
} ms_sample_t;

/* Opaque per-series mark for the store; non-zero after a change. */
typedef int (*ms_sample_cb)(void *user, const ms_sample_t *s);

/* Calls |cb| for every sample, in exposition order; |changed_only| limits
 * it to series changed since the last ms_registry_mark_clean(). Stops at
 * the first non-zero return of |cb| and returns it; else 0. */
int ms_registry_foreach(const ms_registry_t *reg, int changed_only,
                        ms_sample_cb cb, void *user);
void ms_registry_mark_clean(ms_registry_t *reg);

/* ---- observations ------------------------------------------------------ */

/* What Istio reads from a pod (its Deployment's labels and namespace).
 * NULL fields are "unknown". */
typedef struct ms_pod_meta {
	const char *workload, *ns, *app, *version, *service_account;
	const char *service; /* the Service selecting it, NULL: none */
} ms_pod_meta_t;

/* Fills |out| for |pod| and returns 0, or returns non-zero when the pod is
 * unknown (its labels are then "unknown"). Strings need to live only until
 * the call returns: the observer copies them. */
typedef int (*ms_pod_meta_fn)(void *user, const vrt_pod_t *pod,
                              ms_pod_meta_t *out);

typedef struct ms_observer ms_observer_t;

/* An observer recording into |reg| (which must outlive it), resolving pods
 * with |fn|/|user| (fn NULL: every pod unknown). Pods' metadata are cached
 * by vrt pod (vrt never frees a pod before its world), so |fn| runs once
 * per pod. The trust domain is "cluster.local", the cluster "Kubernetes".
 * The caller's: ms_observer_free. NULL when out of memory. */
ms_observer_t *ms_observer_new(ms_registry_t *reg, ms_pod_meta_fn fn,
                               void *user);
void ms_observer_free(ms_observer_t *o); /* NULL: no-op */

/* Calls from outside the mesh (obs->client NULL) enter through |gw|, the
 * ingress gateway (its workload, namespace, labels and service account;
 * copied): the destination's report names it as the source (its principal
 * when the hop was mTLS), and the client-side report of such a call is
 * the gateway's own, reporter="source" (Istio's gateways report only as
 * the source: nothing for the outside caller's hop into the gateway).
 * NULL (the default): outside callers are "unknown" and their client-side
 * reports are not recorded. Set it before recording. 0, MS_EINVAL (NULL
 * |o|), MS_ENOMEM (then unchanged). */
int ms_observer_set_ingress(ms_observer_t *o, const ms_pod_meta_t *gw);

/* Records one observation as Istio's sidecar would (a vrt_obs_cb: pass the
 * observer as |user|). A client-side report of a call from outside the
 * mesh (obs->client NULL) is not recorded unless an ingress gateway was
 * set (ms_observer_set_ingress): no sidecar reported it.
 *
 * Labels: reporter "source" for VRT_REPORT_CLIENT, "destination" for
 * VRT_REPORT_SERVER; workload, namespace, app and version from the pods'
 * metadata; principals "spiffe://cluster.local/ns/NS/sa/SA" when
 * obs->mtls, else "unknown"; connection_security_policy "unknown" on the
 * source reporter (Istio cannot tell there), "mutual_tls" or "none" on
 * the destination; destination_service the server pod's Service as
 * "NAME.NS.svc.cluster.local", or, with no server pod, the host of
 * obs->addr. response_code: see ms_obs_response_code(). */
void ms_obs_record(void *user, const vrt_obs_t *obs);

/* The response_code Envoy reports for |obs|. obs->http_status when set:
 * for HTTP the status answered or received, for gRPC a sidecar's local
 * reply (403 for an RBAC denial, 503 with no healthy upstream, ...; the
 * data plane sets it). Else a client's UNAVAILABLE with no server pod is
 * Envoy's "no healthy upstream", 503, for both protocols; other HTTP calls
 * without a status got no response, 0; gRPC is 200 whenever a response
 * came (whatever the grpc-status), and 0 when none did (CANCELLED on
 * either side, or DEADLINE_EXCEEDED seen by the client). */
int ms_obs_response_code(const vrt_obs_t *obs);

/* Number of observations recorded and skipped (outside callers). */
uint64_t ms_observer_recorded(const ms_observer_t *o);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_METRICS_H */
