/* sim/dataplane/mtls.c: TLS 1.3 mTLS handshakes over memory BIOs at a
 * virtual time, their cost measurement, and the connection pool model
 * (see mtls.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mtls.h"
#include "rng.h"

const char *mtls_strerror(int err)
{
	switch (err) {
#define MTLS_STR_(name, val, msg) case val: return msg;
	MTLS_ERRNO_MAP(MTLS_STR_)
#undef MTLS_STR_
	default: return "unknown error";
	}
}

const char *mtls_err_name(int err)
{
	switch (err) {
#define MTLS_NAME_(name, val, msg) case val: return "MTLS_" #name;
	MTLS_ERRNO_MAP(MTLS_NAME_)
#undef MTLS_NAME_
	default: return "MTLS_UNKNOWN";
	}
}

/* Appends |s| to the string in |buf| (|len| bytes), truncating. */
static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf), m = strlen(s);
	if (n + 1 >= len)
		return;
	if (m > len - 1 - n)
		m = len - 1 - n;
	memcpy(buf + n, s, m);
	buf[n + m] = '\0';
}

/* Appends OpenSSL's queued errors to |buf| ("; "-separated) and empties
 * the queue. Returns the first error's packed code (0 if none). */
static unsigned long drain_errors(char *buf, size_t len)
{
	unsigned long e, first = 0;
	while ((e = ERR_get_error()) != 0) {
		if (first == 0)
			first = e;
		char one[256];
		ERR_error_string_n(e, one, sizeof one);
		if (buf[0] != '\0')
			append(buf, len, "; ");
		append(buf, len, one);
	}
	return first;
}

/* ------------------------------------------------------------------ */
/* Sides. */

struct mtls_side {
	SSL_CTX *ctx;
	int no_client_auth;
	int64_t epoch; /* of the certificate's CA: virtual time 0 in UTC ns */
	char id[MESH_ID_MAX];
};

/* ALPN as Istio's sidecars offer it to each other, in wire format. */
static const unsigned char alpn_offer[] =
	"\x13istio-peer-exchange\x05istio\x02h2";

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
	for (unsigned int i = 0; i < inlen;) {
		unsigned int n = in[i];
		if (i + 1 + n > inlen)
			break;
		if (n == 2 && memcmp(in + i + 1, "h2", 2) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

mtls_side_t *mtls_side_new(const mesh_cert_t *cert, const mesh_bundle_t *bundle,
                           const mtls_side_opts_t *opts, char *err, size_t errlen)
{
	char scratch[1];
	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof scratch;
	}
	err[0] = '\0';
	if (cert == NULL || bundle == NULL) {
		snprintf(err, errlen, "mtls_side_new: NULL argument");
		return NULL;
	}
	mtls_side_t *s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, errlen, "mtls_side_new: out of memory");
		return NULL;
	}
	snprintf(s->id, sizeof s->id, "%s", mesh_cert_spiffe_id(cert));
	s->no_client_auth = opts != NULL && opts->no_client_auth;
	s->epoch = mesh_cert_epoch(cert);
	ERR_clear_error();
	SSL_CTX *ctx = s->ctx = SSL_CTX_new(TLS_method());
	if (ctx == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, mesh_cert_x509(cert)) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, mesh_cert_key(cert)) != 1)
		goto fail;
	for (int i = 0; i < mesh_cert_chain_len(cert); i++)
		if (!SSL_CTX_add1_chain_cert(ctx, mesh_cert_chain_at(cert, i)))
			goto fail;
	if (SSL_CTX_check_private_key(ctx) != 1 ||
	    !SSL_CTX_set1_verify_cert_store(ctx, mesh_bundle_store(bundle)))
		goto fail;
	/* Send exactly the chain given; never complete it from a store. */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
	/* No resumption (see mtls.h): no tickets, no session cache. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (!SSL_CTX_set_num_tickets(ctx, 0))
		goto fail;
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return s;
fail:
	snprintf(err, errlen, "mtls_side_new: %s", s->id);
	drain_errors(err, errlen);
	mtls_side_free(s);
	return NULL;
}

void mtls_side_free(mtls_side_t *s)
{
	if (s == NULL)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

const char *mtls_side_spiffe_id(const mtls_side_t *s)
{
	return s->id;
}

/* ------------------------------------------------------------------ */
/* One handshake. */

/* What one end learns while verifying its peer (the SSL's app data). */
struct hs_peer {
	const char *expected; /* SPIFFE ID the peer must have; NULL: any */
	int verify_err;       /* first X509_V_ERR_* seen; 0 none */
	int verify_depth;
	int san_mismatch;
	char peer_id[MESH_ID_MAX]; /* the peer leaf's SPIFFE ID, "" if none */
};

/* The single spiffe:// URI SAN of |x| into |out|; "" when there is none or
 * several (an SVID has exactly one URI SAN). */
static void spiffe_of(X509 *x, char out[MESH_ID_MAX])
{
	out[0] = '\0';
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	int uris = 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type != GEN_URI)
			continue;
		uris++;
		const ASN1_IA5STRING *u = gn->d.uniformResourceIdentifier;
		int n = ASN1_STRING_length(u);
		const unsigned char *d = ASN1_STRING_get0_data(u);
		if (n > 9 && n < MESH_ID_MAX && memcmp(d, "spiffe://", 9) == 0 &&
		    memchr(d, '\0', (size_t)n) == NULL) {
			memcpy(out, d, (size_t)n);
			out[n] = '\0';
		}
	}
	if (uris != 1)
		out[0] = '\0';
	GENERAL_NAMES_free(gens);
}

static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct hs_peer *st = SSL_get_app_data(ssl);
	int depth = X509_STORE_CTX_get_error_depth(xs);
	if (!ok) {
		if (st->verify_err == 0) {
			st->verify_err = X509_STORE_CTX_get_error(xs);
			st->verify_depth = depth;
		}
		return 0;
	}
	if (depth != 0)
		return 1;
	spiffe_of(X509_STORE_CTX_get_current_cert(xs), st->peer_id);
	if (st->expected != NULL && strcmp(st->peer_id, st->expected) != 0) {
		st->san_mismatch = 1;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		if (st->verify_err == 0)
			st->verify_err = X509_V_ERR_APPLICATION_VERIFICATION;
		return 0;
	}
	return 1;
}

/* Per-side CPU accounting, only when measuring. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct end {
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl once set */
	struct hs_peer peer;
	int done, failed;
	char why[256];
	unsigned long first_err; /* OpenSSL's first queued error on failure */
	uint64_t *cpu;           /* NULL: not measuring */
};

static SSL *end_new(struct end *e, mtls_side_t *side, int server, des_time_t now,
                    const char *expected)
{
	int64_t utc_s = mesh_id_utc_seconds(side->epoch, now);
	memset(e, 0, sizeof *e);
	e->peer.expected = expected;
	SSL *ssl = e->ssl = SSL_new(side->ctx);
	e->rbio = BIO_new(BIO_s_mem());
	e->wbio = BIO_new(BIO_s_mem());
	if (ssl == NULL || e->rbio == NULL || e->wbio == NULL) {
		BIO_free(e->rbio);
		BIO_free(e->wbio);
		return NULL;
	}
	SSL_set_bio(ssl, e->rbio, e->wbio);
	SSL_set_app_data(ssl, &e->peer);
	X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), (time_t)utc_s);
	if (server) {
		SSL_set_accept_state(ssl);
		SSL_set_verify(ssl, side->no_client_auth ? SSL_VERIFY_NONE
		               : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		               verify_cb);
	} else {
		SSL_set_connect_state(ssl);
		SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_cb);
		if (SSL_set_alpn_protos(ssl, alpn_offer, sizeof alpn_offer - 1) != 0)
			return NULL;
	}
	return ssl;
}

/* One handshake step (or, once done, a peek that surfaces an alert the
 * peer sent after our Finished). */
static void end_step(struct end *e)
{
	uint64_t t0 = e->cpu != NULL ? cpu_ns() : 0;
	ERR_clear_error();
	int r;
	if (!e->done) {
		r = SSL_do_handshake(e->ssl);
		if (r == 1)
			e->done = 1;
	} else {
		char byte;
		r = SSL_peek(e->ssl, &byte, 1);
	}
	if (r <= 0) {
		int se = SSL_get_error(e->ssl, r);
		if (se != SSL_ERROR_WANT_READ && se != SSL_ERROR_WANT_WRITE) {
			e->failed = 1;
			e->first_err = drain_errors(e->why, sizeof e->why);
			if (e->why[0] == '\0')
				snprintf(e->why, sizeof e->why, "SSL_get_error %d", se);
		}
	}
	if (e->cpu != NULL)
		*e->cpu += cpu_ns() - t0;
}

/* Moves what |from| wrote to |to|'s input; counts bytes and flights. */
static int shuttle(struct end *from, struct end *to, uint64_t *count, int dir,
                   int *last_dir, mtls_result_t *res)
{
	char buf[4096];
	int moved = 0, n;
	while ((n = BIO_read(from->wbio, buf, sizeof buf)) > 0) {
		BIO_write(to->rbio, buf, n);
		*count += (uint64_t)n;
		moved = 1;
	}
	if (moved && *last_dir != dir) {
		res->flights++;
		*last_dir = dir;
	}
	return moved;
}

static int classify(const struct end *e)
{
	if (e->peer.san_mismatch)
		return MTLS_ESANMISMATCH;
	switch (e->peer.verify_err) {
	case 0:
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return MTLS_EEXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return MTLS_ENOTYETVALID;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return MTLS_EUNKNOWNCA;
	default:
		return MTLS_EBADCERT;
	}
	if (ERR_GET_LIB(e->first_err) == ERR_LIB_SSL &&
	    (ERR_GET_REASON(e->first_err) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
	     ERR_GET_REASON(e->first_err) == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED))
		return MTLS_ENOPEERCERT;
	return MTLS_EHANDSHAKE;
}

/* The message of the side that gave up first, then what the other saw:
 * "client: peer SPIFFE ID "A" is not the expected "B" (OpenSSL's error);
 * server saw: OpenSSL's error". */
static void describe(mtls_result_t *res, const struct end *first, const char *fname,
                     const struct end *other, const char *oname)
{
	char *m = res->msg;
	size_t len = sizeof res->msg;
	m[0] = '\0';
	append(m, len, fname);
	append(m, len, ": ");
	if (first->peer.san_mismatch) {
		append(m, len, "peer SPIFFE ID \"");
		append(m, len, first->peer.peer_id);
		append(m, len, "\" is not the expected \"");
		append(m, len, first->peer.expected);
		append(m, len, "\" (");
	} else if (first->peer.verify_err != 0) {
		char v[64];
		snprintf(v, sizeof v, "certificate verify failed at depth %d: ",
		         first->peer.verify_depth);
		append(m, len, v);
		append(m, len, X509_verify_cert_error_string(first->peer.verify_err));
		append(m, len, " (");
	}
	append(m, len, first->why);
	if (first->peer.san_mismatch || first->peer.verify_err != 0)
		append(m, len, ")");
	if (other->failed) {
		append(m, len, "; ");
		append(m, len, oname);
		append(m, len, " saw: ");
		append(m, len, other->why);
	}
}

/* "spiffe://X" -> "X"; "" -> "". */
static void principal_of(char dst[MESH_ID_MAX], const char id[MESH_ID_MAX])
{
	size_t n = strnlen(id, MESH_ID_MAX - 1);
	if (n <= 9) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, id + 9, n - 9);
	dst[n - 9] = '\0';
}

static int handshake(mtls_side_t *cs, mtls_side_t *ss, des_time_t now,
                     const char *expected, mtls_result_t *res, uint64_t cpu[2])
{
	memset(res, 0, sizeof *res);
	if (cs == NULL || ss == NULL) {
		res->err = MTLS_EINVAL;
		snprintf(res->msg, sizeof res->msg, "mtls_handshake: NULL side");
		return res->err;
	}
	/* Each side verifies at the virtual time, in UTC under its own
	 * certificate's epoch (one mesh, one epoch). */
	struct end c, s;
	uint64_t t0 = cpu != NULL ? cpu_ns() : 0;
	SSL *cssl = end_new(&c, cs, 0, now, expected);
	if (cpu != NULL) {
		uint64_t t1 = cpu_ns();
		cpu[0] += t1 - t0;
		t0 = t1;
	}
	SSL *sssl = end_new(&s, ss, 1, now, NULL);
	if (cpu != NULL)
		cpu[1] += cpu_ns() - t0;
	c.cpu = cpu != NULL ? &cpu[0] : NULL;
	s.cpu = cpu != NULL ? &cpu[1] : NULL;
	if (cssl == NULL || sssl == NULL) {
		SSL_free(c.ssl);
		SSL_free(s.ssl);
		ERR_clear_error();
		res->err = MTLS_ENOMEM;
		snprintf(res->msg, sizeof res->msg, "mtls_handshake: out of memory");
		return res->err;
	}

	int last_dir = 0, first = MTLS_SIDE_NONE, s2c_flights = 0;
	for (int round = 0; round < 16; round++) {
		int progress = 0;
		if (!c.done && !c.failed) {
			end_step(&c);
			if (c.done || c.failed)
				res->round_trips = s2c_flights;
			if (c.failed && first == MTLS_SIDE_NONE)
				first = MTLS_SIDE_CLIENT;
		}
		progress |= shuttle(&c, &s, &res->bytes_c2s, 1, &last_dir, res);
		if (!s.done && !s.failed) {
			end_step(&s);
			if (s.failed && first == MTLS_SIDE_NONE)
				first = MTLS_SIDE_SERVER;
		}
		if (shuttle(&s, &c, &res->bytes_s2c, 2, &last_dir, res)) {
			progress = 1;
			s2c_flights++;
		}
		if (first != MTLS_SIDE_NONE || (c.done && s.done) || !progress)
			break;
	}
	/* Let the side that did not give up read the alert, as it would on
	 * the wire (a TLS 1.3 client is "done" before the server has checked
	 * its certificate: it learns of a refusal on its first read). */
	if (first == MTLS_SIDE_SERVER && !c.failed) {
		end_step(&c);
		res->round_trips = s2c_flights;
	} else if (first == MTLS_SIDE_CLIENT && !s.failed) {
		end_step(&s);
		shuttle(&s, &c, &res->bytes_s2c, 2, &last_dir, res);
	}

	if (first == MTLS_SIDE_CLIENT) {
		res->err = classify(&c);
		res->side = MTLS_SIDE_CLIENT;
		describe(res, &c, "client", &s, "server");
	} else if (first == MTLS_SIDE_SERVER) {
		res->err = classify(&s);
		res->side = MTLS_SIDE_SERVER;
		describe(res, &s, "server", &c, "client");
	} else if (!(c.done && s.done)) {
		res->err = MTLS_EHANDSHAKE;
		res->side = MTLS_SIDE_NONE;
		snprintf(res->msg, sizeof res->msg, "handshake stalled");
	} else {
		/* The server's view of the client: what its verify callback
		 * saw (none with no_client_auth). */
		principal_of(res->client_principal, s.peer.peer_id);
		principal_of(res->server_principal, c.peer.peer_id);
	}
	t0 = cpu != NULL ? cpu_ns() : 0;
	SSL_free(c.ssl);
	if (cpu != NULL) {
		uint64_t t1 = cpu_ns();
		cpu[0] += t1 - t0;
		t0 = t1;
	}
	SSL_free(s.ssl);
	if (cpu != NULL)
		cpu[1] += cpu_ns() - t0;
	ERR_clear_error();
	return res->err;
}

int mtls_handshake(mtls_side_t *client, mtls_side_t *server, des_time_t now,
                   const char *expected_server_id, mtls_result_t *res)
{
	if (res == NULL)
		return MTLS_EINVAL;
	return handshake(client, server, now, expected_server_id, res, NULL);
}

void mtls_result_plaintext_refused(mtls_result_t *res)
{
	memset(res, 0, sizeof *res);
	res->err = MTLS_EPLAINTEXT;
	res->side = MTLS_SIDE_SERVER;
	res->flights = 1;
	res->round_trips = 1;
	snprintf(res->msg, sizeof res->msg,
	         "server: plaintext refused: the workload's PeerAuthentication is "
	         "STRICT (upstream connect error or disconnect/reset before headers. "
	         "reset reason: connection termination)");
}

/* ------------------------------------------------------------------ */
/* Calibration. */

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int mtls_measure(mtls_side_t *client, mtls_side_t *server, des_time_t now,
                 const char *expected_server_id, int n, mtls_cost_t *cost,
                 mtls_result_t *res)
{
	if (cost == NULL || res == NULL || n <= 0)
		return MTLS_EINVAL;
	memset(cost, 0, sizeof *cost);
	uint64_t cpu[2] = {0, 0};
	/* Warm-up: first-use costs (method fetches, lazy tables) are not a
	 * handshake's. */
	if (handshake(client, server, now, expected_server_id, res, cpu) != 0)
		return res->err;
	cpu[0] = cpu[1] = 0;
	uint64_t w0 = wall_ns();
	for (int i = 0; i < n; i++)
		if (handshake(client, server, now, expected_server_id, res, cpu) != 0)
			return res->err;
	uint64_t w = wall_ns() - w0;
	cost->n = n;
	cost->client_us = (double)cpu[0] / n / 1e3;
	cost->server_us = (double)cpu[1] / n / 1e3;
	cost->wall_us = (double)w / n / 1e3;
	cost->bytes_c2s = res->bytes_c2s;
	cost->bytes_s2c = res->bytes_s2c;
	cost->flights = res->flights;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connection pools. */

struct conn {
	uint64_t id;
	uint32_t streams;  /* requests in flight */
	uint64_t started;  /* requests ever started on it */
	des_time_t last_used, not_after;
};

struct pair {
	char *client, *server;
	uint64_t hash;
	uint32_t seq; /* connections ever opened: the low half of ids */
	struct conn *conns; /* open ones, in creation order */
	size_t n, cap;
};

struct mtls_pool {
	mtls_pool_opts_t o;
	struct pair *pairs; /* in creation order */
	size_t npairs, cappairs;
	uint32_t *slots;    /* open addressing: pair index + 1, 0 empty */
	size_t nslots;      /* a power of two, at least 2 x npairs */
	mtls_pool_stats_t st;
};

/* Eight bytes a step (des_hash_str): FNV byte by byte of the two pod
 * names was 1.3 % of a whole-shop run. The slots are only looked up (the
 * pairs are walked in creation order), so the hash changes no outcome. */
static uint64_t pair_hash(const char *a, const char *b)
{
	return des_hash_str(des_hash_str(1469598103934665603ULL, a), b);
}

mtls_pool_t *mtls_pool_new(const mtls_pool_opts_t *opts)
{
	mtls_pool_t *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	if (opts != NULL)
		p->o = *opts;
	return p;
}

void mtls_pool_free(mtls_pool_t *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->npairs; i++) {
		free(p->pairs[i].client);
		free(p->pairs[i].server);
		free(p->pairs[i].conns);
	}
	free(p->pairs);
	free(p->slots);
	free(p);
}

static struct pair *pair_find(const mtls_pool_t *p, const char *client,
                              const char *server, uint64_t h, size_t *slot)
{
	if (p->nslots == 0)
		return NULL;
	size_t mask = p->nslots - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		if (p->slots[i] == 0) {
			if (slot != NULL)
				*slot = i;
			return NULL;
		}
		struct pair *q = &p->pairs[p->slots[i] - 1];
		if (q->hash == h && strcmp(q->client, client) == 0 &&
		    strcmp(q->server, server) == 0)
			return q;
	}
}

static int rehash(mtls_pool_t *p, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof *slots);
	if (slots == NULL)
		return MTLS_ENOMEM;
	for (size_t k = 0; k < p->npairs; k++) {
		size_t i = (size_t)p->pairs[k].hash & (nslots - 1);
		while (slots[i] != 0)
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)(k + 1);
	}
	free(p->slots);
	p->slots = slots;
	p->nslots = nslots;
	return 0;
}

static struct pair *pair_get(mtls_pool_t *p, const char *client, const char *server)
{
	uint64_t h = pair_hash(client, server);
	struct pair *q = pair_find(p, client, server, h, NULL);
	if (q != NULL)
		return q;
	if (p->npairs >= UINT32_MAX - 1)
		return NULL;
	if (2 * (p->npairs + 1) > p->nslots &&
	    rehash(p, p->nslots ? 2 * p->nslots : 16) != 0)
		return NULL;
	if (p->npairs == p->cappairs) {
		size_t cap = p->cappairs ? 2 * p->cappairs : 16;
		struct pair *a = realloc(p->pairs, cap * sizeof *a);
		if (a == NULL)
			return NULL;
		p->pairs = a;
		p->cappairs = cap;
	}
	q = &p->pairs[p->npairs];
	memset(q, 0, sizeof *q);
	q->client = strdup(client);
	q->server = strdup(server);
	if (q->client == NULL || q->server == NULL) {
		free(q->client);
		free(q->server);
		return NULL;
	}
	q->hash = h;
	size_t slot = 0;
	pair_find(p, client, server, h, &slot);
	p->slots[slot] = (uint32_t)(++p->npairs);
	return q;
}

static void conn_close(mtls_pool_t *p, struct pair *q, size_t i)
{
	memmove(&q->conns[i], &q->conns[i + 1], (q->n - i - 1) * sizeof q->conns[0]);
	q->n--;
	p->st.closed++;
	p->st.open--;
}

/* Whether an idle connection should go now. */
static int retire(const mtls_pool_t *p, const struct conn *c, des_time_t now)
{
	if (c->streams > 0)
		return 0;
	if (p->o.max_requests_per_conn > 0 && c->started >= p->o.max_requests_per_conn)
		return 1;
	if (p->o.idle_timeout > 0 && now - c->last_used >= p->o.idle_timeout)
		return 1;
	return p->o.close_on_expiry && now >= c->not_after;
}

int mtls_pool_acquire(mtls_pool_t *p, const char *client, const char *server,
                      des_time_t now, des_time_t cert_not_after,
                      uint64_t *conn, int *fresh)
{
	if (p == NULL || client == NULL || server == NULL || conn == NULL || fresh == NULL)
		return MTLS_EINVAL;
	struct pair *q = pair_get(p, client, server);
	if (q == NULL)
		return MTLS_ENOMEM;
	for (size_t i = 0; i < q->n;) {
		if (retire(p, &q->conns[i], now))
			conn_close(p, q, i);
		else
			i++;
	}
	for (size_t i = 0; i < q->n; i++) {
		struct conn *c = &q->conns[i];
		if (p->o.max_streams > 0 && c->streams >= p->o.max_streams)
			continue;
		if (p->o.max_requests_per_conn > 0 && c->started >= p->o.max_requests_per_conn)
			continue;
		if (p->o.close_on_expiry && now >= c->not_after)
			continue;
		c->streams++;
		c->started++;
		c->last_used = now;
		p->st.reused++;
		*conn = c->id;
		*fresh = 0;
		return 0;
	}
	if (p->o.max_connections > 0 && q->n >= p->o.max_connections) {
		p->st.overflow++;
		return MTLS_EPOOLFULL;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 4;
		struct conn *a = realloc(q->conns, cap * sizeof *a);
		if (a == NULL)
			return MTLS_ENOMEM;
		q->conns = a;
		q->cap = cap;
	}
	struct conn *c = &q->conns[q->n++];
	c->id = ((uint64_t)(q - p->pairs + 1) << 32) | ++q->seq;
	c->streams = 1;
	c->started = 1;
	c->last_used = now;
	c->not_after = cert_not_after;
	p->st.opened++;
	p->st.open++;
	*conn = c->id;
	*fresh = 1;
	return 0;
}

/* The pair and index of connection |id|, or NULL. */
static struct pair *conn_find(const mtls_pool_t *p, uint64_t id, size_t *idx)
{
	uint64_t k = id >> 32;
	if (k == 0 || k > p->npairs)
		return NULL;
	struct pair *q = &p->pairs[k - 1];
	for (size_t i = 0; i < q->n; i++)
		if (q->conns[i].id == id) {
			*idx = i;
			return q;
		}
	return NULL;
}

int mtls_pool_release(mtls_pool_t *p, uint64_t conn, des_time_t now)
{
	size_t i;
	struct pair *q = p != NULL ? conn_find(p, conn, &i) : NULL;
	if (q == NULL || q->conns[i].streams == 0)
		return 0;
	struct conn *c = &q->conns[i];
	c->streams--;
	c->last_used = now;
	if (c->streams == 0 &&
	    ((p->o.max_requests_per_conn > 0 && c->started >= p->o.max_requests_per_conn) ||
	     (p->o.close_on_expiry && now >= c->not_after)))
		conn_close(p, q, i);
	return 1;
}

int mtls_pool_close(mtls_pool_t *p, uint64_t conn)
{
	size_t i;
	struct pair *q = p != NULL ? conn_find(p, conn, &i) : NULL;
	if (q == NULL)
		return 0;
	conn_close(p, q, i);
	return 1;
}

size_t mtls_pool_close_workload(mtls_pool_t *p, const char *name)
{
	size_t n = 0;
	if (p == NULL || name == NULL)
		return 0;
	for (size_t k = 0; k < p->npairs; k++) {
		struct pair *q = &p->pairs[k];
		if (strcmp(q->client, name) != 0 && strcmp(q->server, name) != 0)
			continue;
		while (q->n > 0) {
			conn_close(p, q, q->n - 1);
			n++;
		}
	}
	return n;
}

size_t mtls_pool_count(const mtls_pool_t *p, const char *client, const char *server)
{
	if (p == NULL || client == NULL || server == NULL)
		return 0;
	const struct pair *q = pair_find(p, client, server, pair_hash(client, server), NULL);
	return q != NULL ? q->n : 0;
}

void mtls_pool_stats(const mtls_pool_t *p, mtls_pool_stats_t *st)
{
	*st = p->st;
}
