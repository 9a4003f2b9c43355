/* sim/mesh/identity.c: the mesh CA and workload certificates (see
 * identity.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity.h"

#define NS_PER_S 1000000000LL

struct mesh_bundle {
	X509_STORE *store;
};

struct mesh_ca {
	char td[256];
	mesh_ca_opts_t o; /* defaults filled in; o.trust_domain points to td */
	EVP_PKEY *root_key;
	X509 *root;
	EVP_PKEY *int_key; /* NULL without an intermediate */
	X509 *inter;
	mesh_bundle_t *bundle;
};

struct mesh_cert {
	X509 *x509;
	EVP_PKEY *key;
	X509 *chain[1];
	int nchain;
	mesh_key_type_t key_type;
	int64_t epoch;
	des_time_t not_before, not_after, renew_at;
	char serial[33];
	char id[MESH_ID_MAX];
};

/* ------------------------------------------------------------------ */
/* Errors. */

const char *mesh_id_strerror(int err)
{
	switch (err) {
#define MESH_ID_STR_(name, val, msg) case val: return msg;
	MESH_ID_ERRNO_MAP(MESH_ID_STR_)
#undef MESH_ID_STR_
	default: return "unknown error";
	}
}

const char *mesh_id_err_name(int err)
{
	switch (err) {
#define MESH_ID_NAME_(name, val, msg) case val: return "MESH_ID_" #name;
	MESH_ID_ERRNO_MAP(MESH_ID_NAME_)
#undef MESH_ID_NAME_
	default: return "MESH_ID_UNKNOWN";
	}
}

/* Formats the message into |err| and appends OpenSSL's queued errors
 * ("; "-separated); the queue is emptied whether or not |err| is NULL.
 * Returns |code|. */
__attribute__((format(printf, 4, 5)))
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		unsigned long e;
		const char *sep = ": ";
		while ((e = ERR_get_error()) != 0) {
			size_t n = strlen(err);
			if (n + 3 >= errlen)
				break;
			char buf[256];
			ERR_error_string_n(e, buf, sizeof buf);
			snprintf(err + n, errlen - n, "%s%s", sep, buf);
			sep = "; ";
		}
	}
	ERR_clear_error();
	return code;
}

/* ------------------------------------------------------------------ */
/* Helpers. */

const char *mesh_key_type_name(mesh_key_type_t t)
{
	switch (t) {
	case MESH_KEY_EC_P256: return "EC P-256";
	case MESH_KEY_RSA_2048: return "RSA 2048";
	}
	return "?";
}

int64_t mesh_id_utc_seconds(int64_t epoch, des_time_t t)
{
	int64_t ns = epoch + t;
	int64_t s = ns / NS_PER_S;
	if (ns % NS_PER_S < 0)
		s--;
	return s;
}

/* The virtual time at which UTC second |s| starts. */
static des_time_t virtual_of_utc(int64_t epoch, int64_t s)
{
	return s * NS_PER_S - epoch;
}

/* A name part: non-empty, at most 253 bytes, [A-Za-z0-9._-] only (what
 * Kubernetes names and DNS-like trust domains use; it also keeps the
 * SPIFFE ID free of '/' and of anything a URI would have to escape). */
static int valid_part(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static EVP_PKEY *keygen(mesh_key_type_t t)
{
	switch (t) {
	case MESH_KEY_EC_P256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case MESH_KEY_RSA_2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	}
	return NULL;
}

/* 16 bytes from two draws; the top bit clear (positive) and the next one
 * set, so the DER INTEGER is always 16 bytes long (fixed certificate
 * sizes) and never zero. */
static void draw_serial(des_rng_t *rng, unsigned char out[16])
{
	for (int k = 0; k < 2; k++) {
		uint64_t v = des_rng_u64(rng);
		for (int i = 0; i < 8; i++)
			out[k * 8 + i] = (unsigned char)(v >> (56 - 8 * i));
	}
	out[0] = (unsigned char)((out[0] & 0x7f) | 0x40);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return 0;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* What kind of certificate make_cert() builds. */
enum { CERT_ROOT, CERT_INTERMEDIATE, CERT_LEAF };

/* A certificate for |key| signed by |issuer_key| (|issuer| NULL: self-
 * signed). |o|/|cn| the subject's O and CN (NULL: none); |uri| the SAN of
 * a leaf. NULL on failure, with OpenSSL's queue holding why. */
static X509 *make_cert(int kind, EVP_PKEY *key, const char *o, const char *cn,
                       const char *uri, X509 *issuer, EVP_PKEY *issuer_key,
                       const unsigned char serial[16], int64_t nb_s,
                       int64_t na_s, int rsa_leaf)
{
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	GENERAL_NAMES *gens = NULL;
	if (x == NULL || !X509_set_version(x, X509_VERSION_3))
		goto fail;
	bn = BN_bin2bn(serial, 16, NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb_s) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na_s) == NULL)
		goto fail;
	X509_NAME *name = X509_get_subject_name(x);
	if (o != NULL && !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	                                             (const unsigned char *)o, -1, -1, 0))
		goto fail;
	if (cn != NULL && !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                              (const unsigned char *)cn, -1, -1, 0))
		goto fail;
	X509 *signer = issuer != NULL ? issuer : x;
	if (!X509_set_issuer_name(x, X509_get_subject_name(signer)) ||
	    !X509_set_pubkey(x, key))
		goto fail;

	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, signer, x, NULL, NULL, 0);
	switch (kind) {
	case CERT_ROOT:
		if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
		    !add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    !add_ext(x, &ctx, NID_subject_key_identifier, "hash"))
			goto fail;
		break;
	case CERT_INTERMEDIATE:
		if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
		    !add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
		    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
			goto fail;
		break;
	default:
		if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
		    !add_ext(x, &ctx, NID_key_usage,
		             rsa_leaf ? "critical,digitalSignature,keyEncipherment"
		                      : "critical,digitalSignature") ||
		    !add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") ||
		    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
		    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
			goto fail;
		/* Built by hand rather than from a config string, so nothing in
		 * the ID is ever parsed as config syntax. Critical: the subject
		 * is empty (RFC 5280 4.2.1.6), as in Istio's certificates. */
		gens = sk_GENERAL_NAME_new_null();
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
		if (gens == NULL || gn == NULL || ia5 == NULL ||
		    !ASN1_STRING_set(ia5, uri, (int)strlen(uri))) {
			GENERAL_NAME_free(gn);
			ASN1_IA5STRING_free(ia5);
			goto fail;
		}
		GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
		if (!sk_GENERAL_NAME_push(gens, gn)) {
			GENERAL_NAME_free(gn);
			goto fail;
		}
		if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 1,
		                      X509V3_ADD_DEFAULT) != 1)
			goto fail;
		break;
	}
	if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	GENERAL_NAMES_free(gens);
	return x;
fail:
	BN_free(bn);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Bundles. */

mesh_bundle_t *mesh_bundle_new(void)
{
	mesh_bundle_t *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->store = X509_STORE_new();
	if (b->store == NULL) {
		free(b);
		ERR_clear_error();
		return NULL;
	}
	return b;
}

void mesh_bundle_free(mesh_bundle_t *b)
{
	if (b == NULL)
		return;
	X509_STORE_free(b->store);
	free(b);
}

int mesh_bundle_add_ca(mesh_bundle_t *b, const mesh_ca_t *ca)
{
	if (b == NULL || ca == NULL)
		return MESH_ID_EINVAL;
	if (!X509_STORE_add_cert(b->store, ca->root))
		return fail(MESH_ID_ECRYPTO, NULL, 0, "X509_STORE_add_cert");
	return 0;
}

X509_STORE *mesh_bundle_store(const mesh_bundle_t *b)
{
	return b->store;
}

/* ------------------------------------------------------------------ */
/* The CA. */

int mesh_ca_new(const mesh_ca_opts_t *opts, des_time_t now, des_rng_t *rng,
                mesh_ca_t **out, char *err, size_t errlen)
{
	if (out == NULL || rng == NULL)
		return fail(MESH_ID_EINVAL, err, errlen, "mesh_ca_new: NULL argument");
	*out = NULL;
	mesh_ca_opts_t o = {0};
	if (opts != NULL)
		o = *opts;
	const char *td = o.trust_domain != NULL ? o.trust_domain : MESH_ID_TRUST_DOMAIN;
	if (!valid_part(td))
		return fail(MESH_ID_EINVAL, err, errlen,
		            "mesh_ca_new: trust domain \"%s\": want [A-Za-z0-9._-]{1,253}", td);
	if (o.epoch == 0)
		o.epoch = MESH_ID_EPOCH;
	if (o.root_ttl == 0)
		o.root_ttl = MESH_ID_ROOT_TTL;
	if (o.intermediate_ttl == 0)
		o.intermediate_ttl = MESH_ID_INTERMEDIATE_TTL;
	if (o.workload_ttl == 0)
		o.workload_ttl = MESH_ID_WORKLOAD_TTL;
	if (o.grace_ratio == 0)
		o.grace_ratio = MESH_ID_GRACE_RATIO;
	if (o.grace_jitter == 0)
		o.grace_jitter = MESH_ID_GRACE_JITTER;
	else if (o.grace_jitter < 0)
		o.grace_jitter = 0;
	if (o.root_ttl < NS_PER_S || o.intermediate_ttl < NS_PER_S ||
	    o.workload_ttl < NS_PER_S || !(o.grace_ratio > 0 && o.grace_ratio <= 1) ||
	    !(o.grace_jitter < 1) ||
	    (o.ca_key != MESH_KEY_EC_P256 && o.ca_key != MESH_KEY_RSA_2048) ||
	    (o.workload_key != MESH_KEY_EC_P256 && o.workload_key != MESH_KEY_RSA_2048))
		return fail(MESH_ID_EINVAL, err, errlen,
		            "mesh_ca_new: a TTL under 1 s, a grace ratio outside (0, 1], "
		            "a jitter of 1 or more, or an unknown key type");

	mesh_ca_t *ca = calloc(1, sizeof *ca);
	if (ca == NULL)
		return fail(MESH_ID_ENOMEM, err, errlen, "mesh_ca_new: out of memory");
	snprintf(ca->td, sizeof ca->td, "%s", td);
	o.trust_domain = ca->td;
	ca->o = o;

	int64_t nb = mesh_id_utc_seconds(o.epoch, now);
	unsigned char serial[16];
	ca->root_key = keygen(o.ca_key);
	if (ca->root_key == NULL)
		goto crypto;
	draw_serial(rng, serial);
	ca->root = make_cert(CERT_ROOT, ca->root_key, ca->td, NULL, NULL, NULL,
	                     ca->root_key, serial, nb, nb + o.root_ttl / NS_PER_S, 0);
	if (ca->root == NULL)
		goto crypto;
	if (o.intermediate) {
		ca->int_key = keygen(o.ca_key);
		if (ca->int_key == NULL)
			goto crypto;
		draw_serial(rng, serial);
		ca->inter = make_cert(CERT_INTERMEDIATE, ca->int_key, ca->td,
		                      "Intermediate CA", NULL, ca->root, ca->root_key,
		                      serial, nb, nb + o.intermediate_ttl / NS_PER_S, 0);
		if (ca->inter == NULL)
			goto crypto;
	}
	ca->bundle = mesh_bundle_new();
	if (ca->bundle == NULL) {
		mesh_ca_free(ca);
		return fail(MESH_ID_ENOMEM, err, errlen, "mesh_ca_new: out of memory");
	}
	if (mesh_bundle_add_ca(ca->bundle, ca) != 0)
		goto crypto;
	*out = ca;
	return 0;
crypto:
	mesh_ca_free(ca);
	return fail(MESH_ID_ECRYPTO, err, errlen, "mesh_ca_new: creating the %s CA (%s)",
	            td, mesh_key_type_name(o.ca_key));
}

void mesh_ca_free(mesh_ca_t *ca)
{
	if (ca == NULL)
		return;
	mesh_bundle_free(ca->bundle);
	X509_free(ca->inter);
	EVP_PKEY_free(ca->int_key);
	X509_free(ca->root);
	EVP_PKEY_free(ca->root_key);
	free(ca);
}

const char *mesh_ca_trust_domain(const mesh_ca_t *ca) { return ca->td; }
const mesh_bundle_t *mesh_ca_bundle(const mesh_ca_t *ca) { return ca->bundle; }
X509 *mesh_ca_root(const mesh_ca_t *ca) { return ca->root; }
X509 *mesh_ca_intermediate(const mesh_ca_t *ca) { return ca->inter; }

des_time_t mesh_renew_time(des_time_t not_before, des_time_t not_after,
                           double ratio, double jitter, double u)
{
	double r = ratio + jitter * (2 * u - 1);
	if (r > 1)
		r = 1;
	if (r < 0)
		r = 0;
	double life = (double)(not_after - not_before);
	return not_after - (des_time_t)(r * life);
}

int mesh_ca_issue(mesh_ca_t *ca, const char *ns, const char *sa,
                  des_time_t now, des_time_t ttl, des_rng_t *rng,
                  mesh_cert_t **out, char *err, size_t errlen)
{
	if (ca == NULL || rng == NULL || out == NULL)
		return fail(MESH_ID_EINVAL, err, errlen, "mesh_ca_issue: NULL argument");
	*out = NULL;
	if (!valid_part(ns) || !valid_part(sa))
		return fail(MESH_ID_EINVAL, err, errlen,
		            "mesh_ca_issue: namespace \"%s\" / service account \"%s\": "
		            "want [A-Za-z0-9._-]{1,253}", ns ? ns : "(null)", sa ? sa : "(null)");
	if (ttl < 0 || (ttl > 0 && ttl < NS_PER_S))
		return fail(MESH_ID_EINVAL, err, errlen, "mesh_ca_issue: TTL under 1 s");
	if (ttl == 0)
		ttl = ca->o.workload_ttl;

	mesh_cert_t *c = calloc(1, sizeof *c);
	if (c == NULL)
		return fail(MESH_ID_ENOMEM, err, errlen, "mesh_ca_issue: out of memory");
	int n = snprintf(c->id, sizeof c->id, "spiffe://%s/ns/%s/sa/%s", ca->td, ns, sa);
	if (n < 0 || (size_t)n >= sizeof c->id) {
		free(c);
		return fail(MESH_ID_EINVAL, err, errlen, "mesh_ca_issue: SPIFFE ID too long");
	}
	c->key_type = ca->o.workload_key;
	c->epoch = ca->o.epoch;
	int64_t nb = mesh_id_utc_seconds(c->epoch, now);
	int64_t na = nb + ttl / NS_PER_S;
	c->not_before = virtual_of_utc(c->epoch, nb);
	c->not_after = virtual_of_utc(c->epoch, na);

	unsigned char serial[16];
	draw_serial(rng, serial);
	for (int i = 0; i < 16; i++)
		snprintf(c->serial + 2 * i, 3, "%02x", serial[i]);
	double u = (double)(des_rng_u64(rng) >> 11) * 0x1.0p-53;
	c->renew_at = mesh_renew_time(c->not_before, c->not_after,
	                              ca->o.grace_ratio, ca->o.grace_jitter, u);

	c->key = keygen(c->key_type);
	if (c->key == NULL)
		goto crypto;
	X509 *issuer = ca->inter != NULL ? ca->inter : ca->root;
	EVP_PKEY *issuer_key = ca->inter != NULL ? ca->int_key : ca->root_key;
	c->x509 = make_cert(CERT_LEAF, c->key, NULL, NULL, c->id, issuer, issuer_key,
	                    serial, nb, na, c->key_type == MESH_KEY_RSA_2048);
	if (c->x509 == NULL)
		goto crypto;
	if (ca->inter != NULL) {
		if (!X509_up_ref(ca->inter))
			goto crypto;
		c->chain[c->nchain++] = ca->inter;
	}
	*out = c;
	return 0;
crypto:
	mesh_cert_free(c);
	return fail(MESH_ID_ECRYPTO, err, errlen, "mesh_ca_issue: %s/%s", ns, sa);
}

/* ------------------------------------------------------------------ */
/* Certificates. */

void mesh_cert_free(mesh_cert_t *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->nchain; i++)
		X509_free(c->chain[i]);
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

const char *mesh_cert_spiffe_id(const mesh_cert_t *c) { return c->id; }
const char *mesh_cert_principal(const mesh_cert_t *c) { return c->id + strlen("spiffe://"); }
des_time_t mesh_cert_not_before(const mesh_cert_t *c) { return c->not_before; }
des_time_t mesh_cert_not_after(const mesh_cert_t *c) { return c->not_after; }
des_time_t mesh_cert_renew_at(const mesh_cert_t *c) { return c->renew_at; }
const char *mesh_cert_serial_hex(const mesh_cert_t *c) { return c->serial; }
mesh_key_type_t mesh_cert_key_type(const mesh_cert_t *c) { return c->key_type; }
X509 *mesh_cert_x509(const mesh_cert_t *c) { return c->x509; }
EVP_PKEY *mesh_cert_key(const mesh_cert_t *c) { return c->key; }
int mesh_cert_chain_len(const mesh_cert_t *c) { return c->nchain; }
int64_t mesh_cert_epoch(const mesh_cert_t *c) { return c->epoch; }

X509 *mesh_cert_chain_at(const mesh_cert_t *c, int i)
{
	return i >= 0 && i < c->nchain ? c->chain[i] : NULL;
}

int mesh_cert_valid_at(const mesh_cert_t *c, des_time_t now)
{
	return now >= c->not_before && now < c->not_after;
}

/* The contents of a memory BIO as a malloc'd string. */
static char *bio_string(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

int mesh_cert_pem(const mesh_cert_t *c, char **chain_pem, char **key_pem,
                  char *err, size_t errlen)
{
	if (c == NULL || chain_pem == NULL || key_pem == NULL)
		return fail(MESH_ID_EINVAL, err, errlen, "mesh_cert_pem: NULL argument");
	*chain_pem = *key_pem = NULL;
	BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());
	int rc = MESH_ID_ECRYPTO;
	if (bc == NULL || bk == NULL || !PEM_write_bio_X509(bc, c->x509))
		goto done;
	for (int i = 0; i < c->nchain; i++)
		if (!PEM_write_bio_X509(bc, c->chain[i]))
			goto done;
	if (!PEM_write_bio_PrivateKey(bk, c->key, NULL, NULL, 0, NULL, NULL))
		goto done;
	*chain_pem = bio_string(bc);
	*key_pem = bio_string(bk);
	if (*chain_pem == NULL || *key_pem == NULL) {
		free(*chain_pem);
		free(*key_pem);
		*chain_pem = *key_pem = NULL;
		rc = MESH_ID_ENOMEM;
		goto done;
	}
	rc = 0;
done:
	BIO_free(bc);
	BIO_free(bk);
	if (rc != 0)
		return fail(rc, err, errlen, "mesh_cert_pem: %s", c->id);
	return 0;
}
