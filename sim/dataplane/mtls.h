/* sim/dataplane/mtls.h: real TLS 1.3 mutual-TLS handshakes between two
 * sidecars, in memory, at a virtual time; and the connection pool model
 * that decides when a handshake happens.
 *
 * Handshakes. mtls_handshake() runs OpenSSL's TLS 1.3 client and server
 * over memory BIOs in one thread, shuttling the bytes each side writes to
 * the other until both are done or one gives up: no sockets, no clock.
 * Both sides verify the peer's chain against their own trust bundle at the
 * VIRTUAL time given (X509_VERIFY_PARAM_set_time), so a certificate past
 * its not_after fails exactly as in a real mesh once its time has come.
 * The client also requires the server's SPIFFE URI SAN to equal the ID
 * it expected (Envoy's match_subject_alt_names on an ISTIO_MUTUAL
 * cluster); the server requires a client certificate and records the
 * client's principal ("cluster.local/ns/NS/sa/SA", for AuthorizationPolicy)
 * without matching it (authorization decides later, per request). A SAN
 * mismatch fails inside verification, so the client sends an alert and the
 * server's handshake fails too, as on the wire.
 *
 * Settings: TLS 1.3 only, OpenSSL's default groups (X25519 first) and
 * suites (TLS_AES_256_GCM_SHA384 first), ALPN "istio-peer-exchange",
 * "istio", "h2" offered by the client and "h2" chosen by the server.
 * Session resumption is off (no tickets, no session cache): Envoy's
 * upstream connections to sidecars mostly do full handshakes, and
 * connections are long-lived anyway, so every handshake here is a full
 * one with certificates both ways (1 round trip; 3 flights: ClientHello;
 * ServerHello..Finished with CertificateRequest; client Certificate,
 * CertificateVerify, Finished).
 *
 * Determinism. The outcome (error code, side, principals, flights) is a
 * function of the certificates and the virtual time. Byte counts are exact
 * for RSA certificates but vary by a few bytes from run to run with ECDSA
 * (its signatures are 70-72 bytes of DER); a replayable simulation must
 * charge the network the nominal sizes (MTLS_BYTES_*) rather than the
 * measured ones, and CPU from the profile (MTLS_COST_*), never from a
 * measurement taken during the run.
 *
 * Plaintext. A client that sends plaintext to a STRICT workload (decided by
 * the caller from PeerAuthentication) is refused by the server's sidecar
 * before any handshake: mtls_result_plaintext_refused() fills a result the
 * same way a failed handshake does (Envoy then reports 503 UC
 * "upstream connect error or disconnect/reset before headers. reset
 * reason: connection termination"; gRPC UNAVAILABLE).
 *
 * Memory: an mtls_side_t holds its own references to the certificate, key,
 * chain and trust store (the mesh_cert_t and bundle may be freed after
 * mtls_side_new()). Not thread-safe per side; sides share nothing.
 */
#ifndef MESHSIM_SIM_DATAPLANE_MTLS_H
#define MESHSIM_SIM_DATAPLANE_MTLS_H

#include <stddef.h>
#include <stdint.h>

#include "des.h"
#include "identity.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Errors and handshake outcomes: 0 or one of these. */
#define MTLS_ERRNO_MAP(X)                                                  \
	X(EINVAL, -1, "invalid argument")                                     \
	X(ENOMEM, -2, "out of memory")                                        \
	X(ECRYPTO, -3, "OpenSSL failed outside a handshake")                  \
	X(EEXPIRED, -10, "certificate expired")                               \
	X(ENOTYETVALID, -11, "certificate not yet valid")                     \
	X(EUNKNOWNCA, -12, "certificate signed by an unknown CA")             \
	X(ESANMISMATCH, -13, "peer SPIFFE ID does not match")                 \
	X(ENOPEERCERT, -14, "peer sent no certificate")                       \
	X(EBADCERT, -15, "peer certificate rejected")                         \
	X(EPLAINTEXT, -16, "plaintext refused by a STRICT mTLS workload")     \
	X(EHANDSHAKE, -17, "TLS handshake failed")                            \
	X(EPOOLFULL, -20, "connection pool overflow (maxConnections)")

typedef enum {
#define MTLS_ERR_ENUM_(name, val, msg) MTLS_##name = (val),
	MTLS_ERRNO_MAP(MTLS_ERR_ENUM_)
#undef MTLS_ERR_ENUM_
} mtls_errno_t;

/* A readable message / the symbolic name ("MTLS_EEXPIRED"); "unknown
 * error" / "MTLS_UNKNOWN" otherwise. Static strings. */
const char *mtls_strerror(int err);
const char *mtls_err_name(int err);

/* ------------------------------------------------------------------ */
/* Measured defaults.
 *
 * CPU per full handshake, per side, in us of one core, including SSL_new
 * and SSL_free, without an intermediate; from mtls_measure() through
 * `make bench-mtls` on the development VM (2 vCPU AMD EPYC, Debian 12,
 * OpenSSL 3.0.22, gcc 12 -O2) on 2026-11-25. That machine is shared and
 * contention only ever inflates CPU time (by up to 2x in those runs), so
 * these are the lowest of 11 runs, i.e. an uncontended core (the two
 * quietest runs agreed within 1 us). An intermediate
 * adds about 30 % (one more signature to verify each way). See
 * BENCHMARKS.md "mTLS handshakes". The data plane charges these in virtual
 * time (the cost profile may override them). */
#define MTLS_COST_EC_CLIENT_US 560.0
#define MTLS_COST_EC_SERVER_US 535.0
#define MTLS_COST_RSA_CLIENT_US 700.0
#define MTLS_COST_RSA_SERVER_US 675.0
/* Bytes on the wire per full mTLS handshake (TLS records, no TCP/IP
 * headers), client to server and back, without an intermediate (EC: +-2
 * bytes from run to run, see above). An intermediate adds about its DER
 * size each way: +465 bytes (EC), +861 (RSA). */
#define MTLS_BYTES_EC_C2S 945
#define MTLS_BYTES_EC_S2C 920
#define MTLS_BYTES_RSA_C2S 1526
#define MTLS_BYTES_RSA_S2C 1500

/* ------------------------------------------------------------------ */
/* Sides. */

typedef struct mtls_side_opts {
	/* Server role: 1 = do not ask for a client certificate (plain TLS,
	 * only for the benchmark's reference; never what Istio does). */
	int no_client_auth;
} mtls_side_opts_t;

/* One sidecar's TLS configuration: its certificate, key and chain, and the
 * roots it trusts. Usable as client and as server. Build one per
 * certificate (a rotated certificate needs a new side; established
 * connections are not affected, see the pool). |opts| may be NULL.
 * Returns NULL on failure, with a message in |err| (may be NULL). The
 * caller owns the side (mtls_side_free). */
typedef struct mtls_side mtls_side_t;
mtls_side_t *mtls_side_new(const mesh_cert_t *cert, const mesh_bundle_t *bundle,
                           const mtls_side_opts_t *opts, char *err, size_t errlen);
void mtls_side_free(mtls_side_t *s);

/* The side's own SPIFFE ID (borrowed). */
const char *mtls_side_spiffe_id(const mtls_side_t *s);

/* ------------------------------------------------------------------ */
/* Handshakes. */

enum {
	MTLS_SIDE_NONE = 0,
	MTLS_SIDE_CLIENT = 1, /* the client rejected the server (or failed) */
	MTLS_SIDE_SERVER = 2  /* the server rejected the client (or failed) */
};

typedef struct mtls_result {
	int err;  /* 0 or an MTLS_E* code */
	int side; /* MTLS_SIDE_*: who gave up first */
	/* What each side verified in the other's certificate (principal form,
	 * "cluster.local/ns/NS/sa/SA"); "" when the handshake failed or the
	 * certificate had no single spiffe:// URI SAN. */
	char client_principal[MESH_ID_MAX]; /* seen by the server */
	char server_principal[MESH_ID_MAX]; /* seen by the client */
	uint64_t bytes_c2s, bytes_s2c; /* TLS record bytes, alerts included */
	int flights;     /* runs of bytes in one direction */
	int round_trips; /* server replies the client waited for: 1 normally */
	char msg[512];   /* why it failed, for people (OpenSSL's words) */
} mtls_result_t;

/* One full handshake between |client| and |server| at virtual time |now|;
 * the client expects the server's SPIFFE ID |expected_server_id| (NULL:
 * any, as with DestinationRule tls.mode MUTUAL without subjectAltNames).
 * Returns |res->err|: 0 with both principals set, or MTLS_EEXPIRED,
 * MTLS_ENOTYETVALID, MTLS_EUNKNOWNCA, MTLS_ESANMISMATCH, MTLS_ENOPEERCERT,
 * MTLS_EBADCERT, MTLS_EHANDSHAKE (res->side says who refused), or
 * MTLS_EINVAL / MTLS_ENOMEM (nothing happened on the wire). */
int mtls_handshake(mtls_side_t *client, mtls_side_t *server, des_time_t now,
                   const char *expected_server_id, mtls_result_t *res);

/* Fills |res| for plaintext refused by a STRICT server (see above):
 * err MTLS_EPLAINTEXT, side SERVER, one flight, one round trip, no
 * principals. */
void mtls_result_plaintext_refused(mtls_result_t *res);

/* ------------------------------------------------------------------ */
/* Cost calibration. */

typedef struct mtls_cost {
	double client_us, server_us; /* mean thread CPU per handshake and side */
	double wall_us;              /* mean wall time per handshake (both sides) */
	uint64_t bytes_c2s, bytes_s2c; /* of the last handshake */
	int flights;
	int n; /* handshakes measured */
} mtls_cost_t;

/* Runs |n| full handshakes (after one unmeasured warm-up) between |client|
 * and |server| at |now| and measures each side's thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID around its own SSL calls, SSL_new and SSL_free
 * included) and the wall time. Every handshake must succeed: otherwise
 * returns its error with |*res| describing it. 0 on success. For
 * calibration and benchmarks only: the numbers are not reproducible. */
int mtls_measure(mtls_side_t *client, mtls_side_t *server, des_time_t now,
                 const char *expected_server_id, int n, mtls_cost_t *cost,
                 mtls_result_t *res);

/* ------------------------------------------------------------------ */
/* Connection pools.
 *
 * A model of Envoy's upstream connection pools between sidecars, so that
 * handshakes happen per connection, not per request. Keyed by (client
 * workload, server workload) names given by the caller (pod names, say).
 * Each pair has connections in creation order; a request takes the oldest
 * open connection with a free stream, else opens a new one (the caller
 * then does the handshake and closes it again if that fails), else
 * overflows (MTLS_EPOOLFULL: Envoy's 503 UO). No OpenSSL, no events: time
 * only moves through the |now| arguments, and idle connections are reaped
 * lazily when their pair is next used.
 *
 * Certificate rotation and expiry: Envoy keeps established connections when
 * SDS pushes a new certificate and never re-checks an established
 * connection's certificates, so by default neither closes anything here
 * (new connections simply handshake with the new certificates).
 * |close_on_expiry| instead retires a connection, once idle, from the
 * moment the earlier of its two certificates' not_after has passed.
 *
 * Deterministic: lookups go through a hash table but every choice walks
 * a pair's connections in creation order; connection ids are opaque,
 * never 0, and the same from run to run (pair number << 32 | the pair's
 * connection count).
 */
typedef struct mtls_pool_opts {
	uint32_t max_connections;   /* per pair; 0 = unlimited (Envoy's default) */
	uint32_t max_streams;       /* per connection: 1 = HTTP/1.1; 0 = unlimited (HTTP/2) */
	uint32_t max_requests_per_conn; /* 0 = unlimited (maxRequestsPerConnection) */
	des_time_t idle_timeout;    /* 0 = never (Istio's default is 1 h) */
	int close_on_expiry;        /* see above; 0 = Envoy's behaviour */
} mtls_pool_opts_t;

typedef struct mtls_pool mtls_pool_t;

typedef struct mtls_pool_stats {
	uint64_t opened;   /* connections opened = handshakes started */
	uint64_t reused;   /* requests that found an open connection */
	uint64_t closed;   /* connections closed for any reason */
	uint64_t overflow; /* MTLS_EPOOLFULL answers */
	uint64_t open;     /* open now */
} mtls_pool_stats_t;

/* A new empty pool (|opts| NULL: all defaults, i.e. HTTP/2 with unlimited
 * connections and streams, no idle timeout). NULL when out of memory. The
 * caller owns it (mtls_pool_free). */
mtls_pool_t *mtls_pool_new(const mtls_pool_opts_t *opts);
void mtls_pool_free(mtls_pool_t *p);

/* Takes a stream for a request from |client| to |server| at |now|. Stores
 * the connection's id in |*conn| and whether it was just opened in
 * |*fresh| (1: the caller must do the handshake, then mtls_pool_close() it
 * if that failed); |cert_not_after| is the earlier not_after of the two
 * certificates a new connection would use (only used with
 * close_on_expiry; pass DES_TIME_MAX otherwise). Returns 0, MTLS_EPOOLFULL
 * (every connection busy and max_connections reached), MTLS_ENOMEM or
 * MTLS_EINVAL. Names are copied. */
int mtls_pool_acquire(mtls_pool_t *p, const char *client, const char *server,
                      des_time_t now, des_time_t cert_not_after,
                      uint64_t *conn, int *fresh);

/* Gives the stream back at |now|, the request done. A connection that has
 * served max_requests_per_conn requests closes when its last stream ends.
 * Unknown or closed ids are ignored (returns 0, else 1). */
int mtls_pool_release(mtls_pool_t *p, uint64_t conn, des_time_t now);

/* Closes a connection at once (a failed handshake, a reset); streams still
 * on it are forgotten (their release is ignored). 1 if it was open. */
int mtls_pool_close(mtls_pool_t *p, uint64_t conn);

/* Closes every connection from or to workload |name| (a pod that died).
 * Returns how many were closed. */
size_t mtls_pool_close_workload(mtls_pool_t *p, const char *name);

/* Open connections of one pair (0 for an unknown pair), and the totals. */
size_t mtls_pool_count(const mtls_pool_t *p, const char *client, const char *server);
void mtls_pool_stats(const mtls_pool_t *p, mtls_pool_stats_t *st);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_DATAPLANE_MTLS_H */
