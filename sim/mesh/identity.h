/* sim/mesh/identity.h: workload identity, a mesh CA (real X.509, OpenSSL).
 *
 * What istiod's CA and the sidecar's agent do, as a library with no clock
 * of its own: a root (self-signed) and optionally an intermediate sign
 * workload certificates whose only name is the SPIFFE ID
 * spiffe://<trust-domain>/ns/<namespace>/sa/<serviceaccount> as a critical
 * URI SAN (the subject is empty, as Istio's are). Every time is a virtual
 * time (des_time_t, ns) passed in by the caller; the CA's |epoch| maps it
 * to the certificates' dates (UTC = epoch + virtual time, in whole seconds:
 * X.509 dates have no finer grain).
 *
 * Lifetimes (Istio's defaults): workload certificates live 24 h
 * (SECRET_TTL) and are renewed when the grace period is left, i.e. at
 * not_before + life x (1 - ratio), ratio = 0.5 (SECRET_GRACE_PERIOD_RATIO)
 * +- up to 0.01 (SECRET_GRACE_PERIOD_RATIO_JITTER) drawn from the caller's
 * random stream: about 12 h +- 14.4 min. A certificate is valid at t iff
 * not_before <= t < not_after, to the second, exactly as OpenSSL's chain
 * verification decides it with the same time (mtls.h uses that).
 *
 * Determinism. Serial numbers and renewal jitter come from the caller's
 * des_rng_t, so they replay from the seed. Key pairs (and the ECDSA
 * signatures' nonces) come from OpenSSL's own DRBG and are NOT
 * reproducible; no decision depends on key bytes. Sizes: RSA certificates
 * have a fixed DER size; ECDSA signatures are 70-72 bytes, so an EC
 * certificate's size varies by a few bytes between runs (see mtls.h for
 * what that means for handshake byte counts).
 *
 * Costs (this machine, see BENCHMARKS.md "mTLS handshakes"): an EC P-256
 * key pair takes ~0.1 ms, an RSA-2048 one ~50-200 ms (it is a prime
 * search). A whole shop renews a few certificates per virtual hour, so
 * either is fine in a run; tests use EC.
 *
 * Errors: 0 or a negative MESH_ID_E* code; functions that can fail take
 * |err| (may be NULL), a buffer of |errlen| bytes that receives a readable
 * message, with OpenSSL's error queue drained into it (the queue is left
 * empty either way).
 *
 * Threads: one CA per thread; certificates and bundles are immutable after
 * creation and may be read from several threads.
 */
#ifndef MESHSIM_SIM_MESH_IDENTITY_H
#define MESHSIM_SIM_MESH_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "des.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MESH_ID_ERRNO_MAP(X)                                               \
	X(EINVAL, -1, "invalid argument")                                     \
	X(ENOMEM, -2, "out of memory")                                        \
	X(ECRYPTO, -3, "OpenSSL failed")

typedef enum {
#define MESH_ID_ERR_ENUM_(name, val, msg) MESH_ID_##name = (val),
	MESH_ID_ERRNO_MAP(MESH_ID_ERR_ENUM_)
#undef MESH_ID_ERR_ENUM_
} mesh_id_errno_t;

/* A readable message / the symbolic name ("MESH_ID_EINVAL") for a code;
 * "unknown error" / "MESH_ID_UNKNOWN" otherwise. Static strings. */
const char *mesh_id_strerror(int err);
const char *mesh_id_err_name(int err);

/* Key algorithms. EC P-256 is fast (what Istio uses with
 * ECC_SIGNATURE_ALGORITHM=ECDSA); RSA 2048 is Istio's default. */
typedef enum {
	MESH_KEY_EC_P256 = 0,
	MESH_KEY_RSA_2048 = 1
} mesh_key_type_t;

/* "EC P-256" / "RSA 2048"; "?" otherwise. */
const char *mesh_key_type_name(mesh_key_type_t t);

/* Defaults. */
#define MESH_ID_TRUST_DOMAIN "cluster.local"
#define MESH_ID_WORKLOAD_TTL DES_S(24 * 3600)         /* SECRET_TTL */
#define MESH_ID_ROOT_TTL DES_S(10LL * 365 * 24 * 3600) /* self-signed root */
#define MESH_ID_INTERMEDIATE_TTL DES_S(365LL * 24 * 3600)
#define MESH_ID_GRACE_RATIO 0.5   /* SECRET_GRACE_PERIOD_RATIO */
#define MESH_ID_GRACE_JITTER 0.01 /* SECRET_GRACE_PERIOD_RATIO_JITTER */
/* 2026-01-01T00:00:00Z in ns since the Unix epoch (rt_time_t units). */
#define MESH_ID_EPOCH ((int64_t)1767225600 * 1000000000)
/* The longest SPIFFE ID accepted, NUL included (namespaces are at most 63
 * bytes and service accounts 253 in Kubernetes, so real ones fit). */
#define MESH_ID_MAX 512

/* How to build a CA. Zero fields take the defaults above, so
 * `mesh_ca_opts_t o = {0};` is Istio's self-signed CA with EC keys. */
typedef struct mesh_ca_opts {
	const char *trust_domain;  /* NULL: "cluster.local"; copied */
	mesh_key_type_t ca_key;    /* root's and intermediate's keys */
	mesh_key_type_t workload_key;
	int intermediate;          /* 1: root -> intermediate -> workloads */
	int64_t epoch;             /* UTC ns at virtual time 0; 0: MESH_ID_EPOCH */
	des_time_t root_ttl;       /* 0: MESH_ID_ROOT_TTL */
	des_time_t intermediate_ttl; /* 0: MESH_ID_INTERMEDIATE_TTL */
	des_time_t workload_ttl;   /* 0: MESH_ID_WORKLOAD_TTL */
	double grace_ratio;        /* 0: MESH_ID_GRACE_RATIO; in (0, 1] */
	double grace_jitter;       /* 0: MESH_ID_GRACE_JITTER; < 0: none */
} mesh_ca_opts_t;

typedef struct mesh_ca mesh_ca_t;
typedef struct mesh_cert mesh_cert_t;
typedef struct mesh_bundle mesh_bundle_t;

/* Creates a CA at virtual time |now|: a root key and self-signed
 * certificate (O=<trust domain>) valid from |now| for root_ttl, and with
 * |opts->intermediate| an intermediate (O=<trust domain>, CN=Intermediate
 * CA, pathlen 0) signed by it. Serials are drawn from |rng|. |opts| may be
 * NULL (defaults) and is copied. Stores the CA in |*out| and returns 0; the
 * caller owns it and frees it with mesh_ca_free(). Errors: MESH_ID_EINVAL
 * (NULL out/rng, bad ratio, TTL <= 0, a trust domain that is empty or has
 * '/'), MESH_ID_ENOMEM, MESH_ID_ECRYPTO. */
int mesh_ca_new(const mesh_ca_opts_t *opts, des_time_t now, des_rng_t *rng,
                mesh_ca_t **out, char *err, size_t errlen);

/* Frees the CA; certificates it issued and bundles holding its root stay
 * valid (they hold their own references). NULL is a no-op. */
void mesh_ca_free(mesh_ca_t *ca);

/* The trust domain, and the CA's own trust bundle (its root alone). Both
 * borrowed: valid while the CA lives. */
const char *mesh_ca_trust_domain(const mesh_ca_t *ca);
const mesh_bundle_t *mesh_ca_bundle(const mesh_ca_t *ca);

/* The root (and intermediate, NULL without one) certificate, borrowed. */
X509 *mesh_ca_root(const mesh_ca_t *ca);
X509 *mesh_ca_intermediate(const mesh_ca_t *ca);

/* Issues a workload certificate for ServiceAccount |sa| in namespace |ns|
 * at virtual time |now| (not_before = |now| rounded down to the second,
 * not_after = not_before + |ttl| or the CA's workload_ttl when |ttl| is 0).
 * A fresh key pair; a 16-byte serial and then the renewal jitter drawn from
 * |rng| (in that order, 3 draws). Extensions: basicConstraints CA:FALSE,
 * keyUsage digitalSignature (+ keyEncipherment for RSA), extKeyUsage
 * serverAuth + clientAuth, SAN URI (critical), SKID, AKID. The chain sent
 * in handshakes is the leaf plus the intermediate if any. The certificate
 * may outlive its issuer's validity: verification then fails, as it
 * would in Istio. Stores it in |*out| (the caller owns it; free it with
 * mesh_cert_free()) and returns 0. Errors: MESH_ID_EINVAL (NULL argument,
 * |ns| or |sa| empty or holding '/', an ID of MESH_ID_MAX bytes or more,
 * |ttl| < 0), MESH_ID_ENOMEM, MESH_ID_ECRYPTO. */
int mesh_ca_issue(mesh_ca_t *ca, const char *ns, const char *sa,
                  des_time_t now, des_time_t ttl, des_rng_t *rng,
                  mesh_cert_t **out, char *err, size_t errlen);

/* The renewal time of a certificate living [not_before, not_after): the
 * moment the grace period |ratio| + |jitter| x (2u - 1) of its life is
 * left, with u in [0, 1) (the ratio clamped to [0, 1], as Istio does).
 * Pure; mesh_ca_issue() stores it with u = the third draw / 2^64. */
des_time_t mesh_renew_time(des_time_t not_before, des_time_t not_after,
                           double ratio, double jitter, double u);

void mesh_cert_free(mesh_cert_t *c);

/* Accessors. Strings and OpenSSL objects are borrowed (valid while |c|
 * lives). The principal is the SPIFFE ID without "spiffe://", the form
 * AuthorizationPolicy's `principals` match: "cluster.local/ns/NS/sa/SA". */
const char *mesh_cert_spiffe_id(const mesh_cert_t *c);
const char *mesh_cert_principal(const mesh_cert_t *c);
des_time_t mesh_cert_not_before(const mesh_cert_t *c);
des_time_t mesh_cert_not_after(const mesh_cert_t *c);
des_time_t mesh_cert_renew_at(const mesh_cert_t *c);
const char *mesh_cert_serial_hex(const mesh_cert_t *c); /* 32 hex digits */
mesh_key_type_t mesh_cert_key_type(const mesh_cert_t *c);
X509 *mesh_cert_x509(const mesh_cert_t *c);
EVP_PKEY *mesh_cert_key(const mesh_cert_t *c);
/* The intermediates sent after the leaf (0 or 1 of them). */
int mesh_cert_chain_len(const mesh_cert_t *c);
X509 *mesh_cert_chain_at(const mesh_cert_t *c, int i);

/* 1 if |c| is valid at |now| (not_before <= now < not_after, to the
 * second, as OpenSSL verifies it), 0 if not (expired or not yet valid). */
int mesh_cert_valid_at(const mesh_cert_t *c, des_time_t now);

/* PEM of the leaf followed by the chain, and of the private key (PKCS#8),
 * for the live data plane's files. Each malloc'd, NUL-terminated, owned by
 * the caller (free()). 0, MESH_ID_ENOMEM or MESH_ID_ECRYPTO. */
int mesh_cert_pem(const mesh_cert_t *c, char **chain_pem, char **key_pem,
                  char *err, size_t errlen);

/* A trust bundle: the roots a sidecar accepts (usually one; two while a
 * root is being migrated). Reference-counted underneath, immutable once
 * built. mesh_bundle_new() returns NULL when out of memory; the caller
 * owns it (mesh_bundle_free). */
mesh_bundle_t *mesh_bundle_new(void);
void mesh_bundle_free(mesh_bundle_t *b);
/* Adds |ca|'s root. 0, MESH_ID_EINVAL or MESH_ID_ECRYPTO. */
int mesh_bundle_add_ca(mesh_bundle_t *b, const mesh_ca_t *ca);
/* The OpenSSL store (borrowed), for mtls.c. */
X509_STORE *mesh_bundle_store(const mesh_bundle_t *b);

/* Time conversion: UTC seconds of virtual time |t| under |epoch| (ns),
 * rounded down (floor, also for negative values). */
int64_t mesh_id_utc_seconds(int64_t epoch, des_time_t t);
/* The epoch of a certificate's CA. */
int64_t mesh_cert_epoch(const mesh_cert_t *c);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_MESH_IDENTITY_H */
