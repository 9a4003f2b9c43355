/* tests/dataplane/mtls_test.c: unit tests of sim/dataplane/mtls.c (Check,
 * fork mode): real TLS 1.3 mTLS handshakes at virtual times, their
 * failures, the cost measurement, and the connection pool model. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtls.h"

#define HOUR DES_S(3600)
#define FRONTEND "spiffe://cluster.local/ns/frontend/sa/frontend"
#define CART "spiffe://cluster.local/ns/cart/sa/cartservice"

/* A mesh: one CA, a frontend (client) and a cart (server) workload. */
struct mesh {
	des_rng_t rng;
	mesh_ca_t *ca;
	mesh_cert_t *fc, *cc;   /* frontend's and cart's certificates */
	mtls_side_t *fe, *cart; /* their sides */
};

static mtls_side_t *side(const mesh_cert_t *c, const mesh_bundle_t *b)
{
	char err[512];
	mtls_side_t *s = mtls_side_new(c, b, NULL, err, sizeof err);
	ck_assert_msg(s != NULL, "mtls_side_new: %s", err);
	return s;
}

static mesh_cert_t *issue(mesh_ca_t *ca, const char *ns, const char *sa,
                          des_time_t now, des_time_t ttl, des_rng_t *rng)
{
	char err[512];
	mesh_cert_t *c = NULL;
	int rc = mesh_ca_issue(ca, ns, sa, now, ttl, rng, &c, err, sizeof err);
	ck_assert_msg(rc == 0, "mesh_ca_issue: %s", err);
	return c;
}

/* |client_ttl|/|server_ttl| 0: the default 24 h. */
static void mesh_init(struct mesh *m, const mesh_ca_opts_t *o, uint64_t seed,
                      des_time_t client_ttl, des_time_t server_ttl)
{
	char err[512];
	memset(m, 0, sizeof *m);
	des_rng_stream(&m->rng, seed, "mesh/ca");
	ck_assert_msg(mesh_ca_new(o, 0, &m->rng, &m->ca, err, sizeof err) == 0, "%s", err);
	m->fc = issue(m->ca, "frontend", "frontend", 0, client_ttl, &m->rng);
	m->cc = issue(m->ca, "cart", "cartservice", 0, server_ttl, &m->rng);
	m->fe = side(m->fc, mesh_ca_bundle(m->ca));
	m->cart = side(m->cc, mesh_ca_bundle(m->ca));
}

static void mesh_fini(struct mesh *m)
{
	mtls_side_free(m->fe);
	mtls_side_free(m->cart);
	mesh_cert_free(m->fc);
	mesh_cert_free(m->cc);
	mesh_ca_free(m->ca);
}

static void expect_ok(const mtls_result_t *r)
{
	ck_assert_msg(r->err == 0, "handshake: %s (%s)", mtls_err_name(r->err), r->msg);
	ck_assert_int_eq(r->side, MTLS_SIDE_NONE);
	ck_assert_int_eq(r->flights, 3);
	ck_assert_int_eq(r->round_trips, 1);
	ck_assert_uint_gt(r->bytes_c2s, 0);
	ck_assert_uint_gt(r->bytes_s2c, 0);
}

START_TEST(test_handshake_ok)
{
	struct mesh m;
	mesh_init(&m, NULL, 1, 0, 0);
	mtls_result_t r;
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR, CART, &r), 0);
	expect_ok(&r);
	ck_assert_str_eq(r.client_principal, "cluster.local/ns/frontend/sa/frontend");
	ck_assert_str_eq(r.server_principal, "cluster.local/ns/cart/sa/cartservice");
	ck_assert_str_eq(r.msg, "");
	/* The nominal sizes the simulator charges are these (ECDSA's DER
	 * signatures make them vary by a few bytes). */
	ck_assert_msg(llabs((long long)r.bytes_c2s - MTLS_BYTES_EC_C2S) <= 8 &&
	              llabs((long long)r.bytes_s2c - MTLS_BYTES_EC_S2C) <= 8,
	              "bytes %llu/%llu: update MTLS_BYTES_EC_*",
	              (unsigned long long)r.bytes_c2s, (unsigned long long)r.bytes_s2c);
	ck_assert_str_eq(mtls_side_spiffe_id(m.fe), FRONTEND);

	/* The other way round, and with no expectation (any SAN). */
	ck_assert_int_eq(mtls_handshake(m.cart, m.fe, HOUR, FRONTEND, &r), 0);
	ck_assert_str_eq(r.client_principal, "cluster.local/ns/cart/sa/cartservice");
	ck_assert_str_eq(r.server_principal, "cluster.local/ns/frontend/sa/frontend");
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR, NULL, &r), 0);
	ck_assert_str_eq(r.server_principal, "cluster.local/ns/cart/sa/cartservice");
	mesh_fini(&m);
}
END_TEST

START_TEST(test_expired_server)
{
	struct mesh m;
	mesh_init(&m, NULL, 2, 0, 0);
	des_time_t na = mesh_cert_not_after(m.cc);
	ck_assert_int_eq(na, 24 * HOUR);
	mtls_result_t r;
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, na - 1, CART, &r), 0);
	expect_ok(&r);
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, na, CART, &r), MTLS_EEXPIRED);
	ck_assert_int_eq(r.err, MTLS_EEXPIRED);
	ck_assert_int_eq(r.side, MTLS_SIDE_CLIENT);
	ck_assert_msg(strstr(r.msg, "certificate has expired") != NULL, "%s", r.msg);
	/* The server hears of it from the client's alert. */
	ck_assert_msg(strstr(r.msg, "server saw:") != NULL, "%s", r.msg);
	ck_assert_str_eq(r.client_principal, "");
	ck_assert_str_eq(r.server_principal, "");
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, na + 365 * 24 * HOUR, CART, &r),
	                 MTLS_EEXPIRED);
	mesh_fini(&m);
}
END_TEST

START_TEST(test_expired_client)
{
	struct mesh m;
	mesh_init(&m, NULL, 3, HOUR, 0); /* the client's certificate lives 1 h */
	mtls_result_t r;
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR - 1, CART, &r), 0);
	expect_ok(&r);
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR, CART, &r), MTLS_EEXPIRED);
	ck_assert_int_eq(r.side, MTLS_SIDE_SERVER);
	ck_assert_msg(strstr(r.msg, "certificate has expired") != NULL, "%s", r.msg);
	/* A TLS 1.3 client has finished before the server checks it: it
	 * learns of the refusal from the alert, one more round trip. */
	ck_assert_msg(strstr(r.msg, "client saw:") != NULL &&
	              strstr(r.msg, "certificate expired") != NULL, "%s", r.msg);
	ck_assert_int_eq(r.round_trips, 2);
	ck_assert_int_eq(r.flights, 4);
	mesh_fini(&m);
}
END_TEST

START_TEST(test_not_yet_valid)
{
	struct mesh m;
	mesh_init(&m, NULL, 4, 0, 0);
	/* A server certificate issued at 100 s, used at 50 s. */
	mesh_cert_t *late = issue(m.ca, "cart", "cartservice", DES_S(100), 0, &m.rng);
	mtls_side_t *s = side(late, mesh_ca_bundle(m.ca));
	mtls_result_t r;
	ck_assert_int_eq(mtls_handshake(m.fe, s, DES_S(50), CART, &r), MTLS_ENOTYETVALID);
	ck_assert_int_eq(r.side, MTLS_SIDE_CLIENT);
	ck_assert_int_eq(mtls_handshake(m.fe, s, DES_S(100), CART, &r), 0);
	mtls_side_free(s);
	mesh_cert_free(late);
	mesh_fini(&m);
}
END_TEST

START_TEST(test_unknown_ca)
{
	struct mesh a, b;
	mesh_init(&a, NULL, 5, 0, 0);
	mesh_init(&b, NULL, 6, 0, 0); /* a second mesh root, same trust domain */
	mtls_result_t r;
	/* Client of mesh a, server of mesh b: the client rejects the server. */
	ck_assert_int_eq(mtls_handshake(a.fe, b.cart, HOUR, CART, &r), MTLS_EUNKNOWNCA);
	ck_assert_int_eq(r.side, MTLS_SIDE_CLIENT);
	ck_assert_msg(strstr(r.msg, "unable to get local issuer certificate") != NULL, "%s", r.msg);
	ck_assert_msg(strstr(r.msg, "unknown ca") != NULL, "%s", r.msg);

	/* A client trusting both roots accepts the server; the server, which
	 * trusts only its own root, rejects the client. */
	mesh_bundle_t *both = mesh_bundle_new();
	ck_assert_int_eq(mesh_bundle_add_ca(both, a.ca), 0);
	ck_assert_int_eq(mesh_bundle_add_ca(both, b.ca), 0);
	mtls_side_t *fe = side(a.fc, both);
	mesh_bundle_free(both); /* the side keeps its own reference */
	ck_assert_int_eq(mtls_handshake(fe, b.cart, HOUR, CART, &r), MTLS_EUNKNOWNCA);
	ck_assert_int_eq(r.side, MTLS_SIDE_SERVER);
	ck_assert_int_eq(mtls_handshake(fe, a.cart, HOUR, CART, &r), 0);
	mtls_side_free(fe);
	mesh_fini(&a);
	mesh_fini(&b);
}
END_TEST

START_TEST(test_san_mismatch)
{
	struct mesh m;
	mesh_init(&m, NULL, 7, 0, 0);
	mtls_result_t r;
	const char *want = "spiffe://cluster.local/ns/cart/sa/other";
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR, want, &r), MTLS_ESANMISMATCH);
	ck_assert_int_eq(r.side, MTLS_SIDE_CLIENT);
	ck_assert_msg(strstr(r.msg, CART) != NULL && strstr(r.msg, want) != NULL, "%s", r.msg);
	ck_assert_msg(strstr(r.msg, "server saw:") != NULL, "%s", r.msg);
	/* Another trust domain's ID does not match either. */
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR,
	                                "spiffe://example.org/ns/cart/sa/cartservice", &r),
	                 MTLS_ESANMISMATCH);
	mesh_fini(&m);
}
END_TEST

START_TEST(test_intermediate)
{
	struct mesh plain, inter;
	mesh_init(&plain, NULL, 8, 0, 0);
	mesh_ca_opts_t o = {.intermediate = 1};
	mesh_init(&inter, &o, 8, 0, 0);
	mtls_result_t r0, r1;
	ck_assert_int_eq(mtls_handshake(plain.fe, plain.cart, HOUR, CART, &r0), 0);
	ck_assert_int_eq(mtls_handshake(inter.fe, inter.cart, HOUR, CART, &r1), 0);
	expect_ok(&r1);
	ck_assert_str_eq(r1.client_principal, "cluster.local/ns/frontend/sa/frontend");
	/* Each side also sends the intermediate (a few hundred bytes). */
	ck_assert_uint_gt(r1.bytes_c2s, r0.bytes_c2s + 300);
	ck_assert_uint_gt(r1.bytes_s2c, r0.bytes_s2c + 300);
	/* An expired intermediate fails like an expired leaf. */
	ck_assert_int_eq(mtls_handshake(inter.fe, inter.cart,
	                                MESH_ID_INTERMEDIATE_TTL, CART, &r1), MTLS_EEXPIRED);
	mesh_fini(&plain);
	mesh_fini(&inter);
}
END_TEST

START_TEST(test_rsa_bytes_deterministic)
{
	struct mesh m;
	mesh_ca_opts_t o = {.ca_key = MESH_KEY_RSA_2048, .workload_key = MESH_KEY_RSA_2048};
	mesh_init(&m, &o, 9, 0, 0);
	mtls_result_t a, b;
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR, CART, &a), 0);
	expect_ok(&a);
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR, CART, &b), 0);
	ck_assert_uint_eq(a.bytes_c2s, b.bytes_c2s);
	ck_assert_uint_eq(a.bytes_s2c, b.bytes_s2c);
	ck_assert_uint_eq(a.bytes_c2s, MTLS_BYTES_RSA_C2S);
	ck_assert_uint_eq(a.bytes_s2c, MTLS_BYTES_RSA_S2C);
	ck_assert_str_eq(a.client_principal, "cluster.local/ns/frontend/sa/frontend");
	mesh_fini(&m);
}
END_TEST

START_TEST(test_no_client_auth_and_plaintext)
{
	struct mesh m;
	mesh_init(&m, NULL, 10, 0, 0);
	mtls_side_opts_t so = {.no_client_auth = 1};
	mtls_side_t *srv = mtls_side_new(m.cc, mesh_ca_bundle(m.ca), &so, NULL, 0);
	ck_assert_ptr_nonnull(srv);
	mtls_result_t r, full;
	ck_assert_int_eq(mtls_handshake(m.fe, srv, HOUR, CART, &r), 0);
	ck_assert_str_eq(r.client_principal, ""); /* no client certificate */
	ck_assert_str_eq(r.server_principal, "cluster.local/ns/cart/sa/cartservice");
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, HOUR, CART, &full), 0);
	ck_assert_uint_lt(r.bytes_c2s + 300, full.bytes_c2s);
	/* Expiry of the client's certificate does not matter without client
	 * auth... but the server's does. */
	ck_assert_int_eq(mtls_handshake(m.fe, srv, 24 * HOUR, CART, &r), MTLS_EEXPIRED);
	mtls_side_free(srv);

	mtls_result_plaintext_refused(&r);
	ck_assert_int_eq(r.err, MTLS_EPLAINTEXT);
	ck_assert_int_eq(r.side, MTLS_SIDE_SERVER);
	ck_assert_ptr_nonnull(strstr(r.msg, "STRICT"));
	ck_assert_str_eq(mtls_err_name(MTLS_EPLAINTEXT), "MTLS_EPLAINTEXT");
	ck_assert_str_eq(mtls_strerror(MTLS_EEXPIRED), "certificate expired");
	ck_assert_str_eq(mtls_err_name(1), "MTLS_UNKNOWN");

	ck_assert_int_eq(mtls_handshake(NULL, m.cart, 0, NULL, &r), MTLS_EINVAL);
	ck_assert_int_eq(mtls_handshake(m.fe, m.cart, 0, NULL, NULL), MTLS_EINVAL);
	ck_assert_ptr_null(mtls_side_new(NULL, mesh_ca_bundle(m.ca), NULL, NULL, 0));
	mesh_fini(&m);
}
END_TEST

START_TEST(test_measure)
{
	struct mesh m;
	mesh_init(&m, NULL, 11, 0, 0);
	mtls_cost_t cost;
	mtls_result_t r;
	ck_assert_int_eq(mtls_measure(m.fe, m.cart, HOUR, CART, 5, &cost, &r), 0);
	ck_assert_int_eq(cost.n, 5);
	ck_assert(cost.client_us > 10 && cost.client_us < 1e6);
	ck_assert(cost.server_us > 10 && cost.server_us < 1e6);
	ck_assert(cost.wall_us >= 0.5 * (cost.client_us + cost.server_us));
	ck_assert_int_eq(cost.flights, 3);
	/* A failing handshake stops the measurement with its error. */
	ck_assert_int_eq(mtls_measure(m.fe, m.cart, 48 * HOUR, CART, 5, &cost, &r),
	                 MTLS_EEXPIRED);
	mesh_fini(&m);
}
END_TEST

/* 1000 requests, up to 8 at once, through a pool: every new connection
 * gets a real handshake, and there are exactly as many handshakes as
 * connections. */
static void pool_run(uint32_t max_streams, uint64_t *connections, uint64_t *handshakes)
{
	struct mesh m;
	mesh_init(&m, NULL, 12, 0, 0);
	mtls_pool_opts_t o = {.max_streams = max_streams};
	mtls_pool_t *p = mtls_pool_new(&o);
	des_rng_t rng;
	des_rng_seed(&rng, 99);
	uint64_t inflight[8];
	int n = 0;
	*handshakes = 0;
	des_time_t now = 0;
	des_time_t na = mesh_cert_not_after(m.fc) < mesh_cert_not_after(m.cc)
	                        ? mesh_cert_not_after(m.fc) : mesh_cert_not_after(m.cc);
	for (int req = 0; req < 1000; req++) {
		now += DES_MS(1);
		if (n == 8 || (n > 0 && des_rng_below(&rng, 2) == 0)) {
			int k = (int)des_rng_below(&rng, (uint64_t)n);
			ck_assert_int_eq(mtls_pool_release(p, inflight[k], now), 1);
			inflight[k] = inflight[--n];
		}
		uint64_t conn;
		int fresh;
		ck_assert_int_eq(mtls_pool_acquire(p, "frontend-1", "cart-1", now, na,
		                                   &conn, &fresh), 0);
		if (fresh) {
			mtls_result_t r;
			ck_assert_int_eq(mtls_handshake(m.fe, m.cart, now, CART, &r), 0);
			(*handshakes)++;
		}
		inflight[n++] = conn;
	}
	mtls_pool_stats_t st;
	mtls_pool_stats(p, &st);
	ck_assert_uint_eq(st.opened + st.reused, 1000);
	ck_assert_uint_eq(st.closed, 0);
	ck_assert_uint_eq(st.open, st.opened);
	ck_assert_uint_eq(mtls_pool_count(p, "frontend-1", "cart-1"), st.open);
	*connections = st.opened;
	mtls_pool_free(p);
	mesh_fini(&m);
}

START_TEST(test_pool_reuse)
{
	uint64_t conns, hs;
	pool_run(1, &conns, &hs); /* HTTP/1.1: one request per connection at once */
	ck_assert_uint_eq(hs, conns);
	ck_assert_uint_ge(conns, 2);
	ck_assert_uint_le(conns, 8);
	pool_run(0, &conns, &hs); /* HTTP/2: everything on one connection */
	ck_assert_uint_eq(hs, conns);
	ck_assert_uint_eq(conns, 1);
}
END_TEST

START_TEST(test_pool_limits)
{
	mtls_pool_opts_t o = {.max_streams = 1, .max_connections = 2};
	mtls_pool_t *p = mtls_pool_new(&o);
	uint64_t a, b, c;
	int fresh;
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 0, DES_TIME_MAX, &a, &fresh), 0);
	ck_assert_int_eq(fresh, 1);
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 0, DES_TIME_MAX, &b, &fresh), 0);
	ck_assert_int_eq(fresh, 1);
	ck_assert_uint_ne(a, b);
	ck_assert_uint_ne(a, 0);
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 0, DES_TIME_MAX, &c, &fresh),
	                 MTLS_EPOOLFULL);
	/* Another pair has its own limit. */
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "currency", 0, DES_TIME_MAX, &c, &fresh), 0);
	ck_assert_int_eq(mtls_pool_release(p, b, 1), 1);
	ck_assert_int_eq(mtls_pool_release(p, b, 1), 0); /* no stream left on it */
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 2, DES_TIME_MAX, &c, &fresh), 0);
	ck_assert_int_eq(fresh, 0);
	ck_assert_uint_eq(c, b);
	/* A failed handshake: the caller closes the new connection. */
	ck_assert_int_eq(mtls_pool_close(p, a), 1);
	ck_assert_int_eq(mtls_pool_close(p, a), 0);
	ck_assert_int_eq(mtls_pool_release(p, a, 3), 0);
	ck_assert_uint_eq(mtls_pool_count(p, "fe", "cart"), 1);
	/* A pod dies: its connections go, both directions. */
	ck_assert_uint_eq(mtls_pool_close_workload(p, "fe"), 2);
	ck_assert_uint_eq(mtls_pool_count(p, "fe", "cart"), 0);
	ck_assert_uint_eq(mtls_pool_count(p, "fe", "nobody"), 0);
	mtls_pool_stats_t st;
	mtls_pool_stats(p, &st);
	ck_assert_uint_eq(st.opened, 3);
	ck_assert_uint_eq(st.reused, 1);
	ck_assert_uint_eq(st.closed, 3);
	ck_assert_uint_eq(st.overflow, 1);
	ck_assert_uint_eq(st.open, 0);
	mtls_pool_free(p);
}
END_TEST

START_TEST(test_pool_lifetimes)
{
	/* Idle timeout and maxRequestsPerConnection. */
	mtls_pool_opts_t o = {.idle_timeout = HOUR, .max_requests_per_conn = 3};
	mtls_pool_t *p = mtls_pool_new(&o);
	uint64_t a, b;
	int fresh;
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 0, DES_TIME_MAX, &a, &fresh), 0);
	mtls_pool_release(p, a, 10);
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 10 + HOUR - 1, DES_TIME_MAX, &b, &fresh), 0);
	ck_assert_int_eq(fresh, 0);
	mtls_pool_release(p, b, 10 + HOUR);
	ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 10 + 2 * HOUR, DES_TIME_MAX, &b, &fresh), 0);
	ck_assert_int_eq(fresh, 1); /* the idle one was reaped */
	mtls_pool_release(p, b, 10 + 2 * HOUR);
	for (int i = 0; i < 2; i++) {
		uint64_t c;
		ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 10 + 2 * HOUR, DES_TIME_MAX, &c, &fresh), 0);
		ck_assert_int_eq(fresh, 0);
		mtls_pool_release(p, c, 10 + 2 * HOUR);
	}
	/* Three requests served: it closed when the third ended. */
	ck_assert_uint_eq(mtls_pool_count(p, "fe", "cart"), 0);
	mtls_pool_free(p);

	/* Envoy's default keeps a connection past its certificates' expiry;
	 * close_on_expiry retires it. */
	for (int close = 0; close <= 1; close++) {
		mtls_pool_opts_t e = {.close_on_expiry = close};
		p = mtls_pool_new(&e);
		ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 0, 24 * HOUR, &a, &fresh), 0);
		mtls_pool_release(p, a, 1);
		ck_assert_int_eq(mtls_pool_acquire(p, "fe", "cart", 25 * HOUR, 49 * HOUR, &b, &fresh), 0);
		ck_assert_int_eq(fresh, close);
		ck_assert_uint_eq(mtls_pool_count(p, "fe", "cart"), 1);
		mtls_pool_free(p);
	}
}
END_TEST

START_TEST(test_pool_many_pairs)
{
	/* Enough pairs to rehash several times; every lookup still finds its
	 * own pair, ids are unique. */
	mtls_pool_t *p = mtls_pool_new(NULL);
	uint64_t ids[300];
	for (int i = 0; i < 300; i++) {
		char c[32], s[32];
		snprintf(c, sizeof c, "client-%d", i % 30);
		snprintf(s, sizeof s, "server-%d", i / 30);
		int fresh;
		ck_assert_int_eq(mtls_pool_acquire(p, c, s, 0, DES_TIME_MAX, &ids[i], &fresh), 0);
		ck_assert_int_eq(fresh, 1);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	}
	for (int i = 0; i < 300; i++) {
		char c[32], s[32];
		snprintf(c, sizeof c, "client-%d", i % 30);
		snprintf(s, sizeof s, "server-%d", i / 30);
		ck_assert_uint_eq(mtls_pool_count(p, c, s), 1);
		uint64_t id;
		int fresh;
		ck_assert_int_eq(mtls_pool_acquire(p, c, s, 0, DES_TIME_MAX, &id, &fresh), 0);
		ck_assert_int_eq(fresh, 0);
		ck_assert_uint_eq(id, ids[i]);
	}
	ck_assert_uint_eq(mtls_pool_close_workload(p, "server-3"), 30);
	mtls_pool_free(p);
	mtls_pool_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mtls");
	TCase *tc = tcase_create("handshake");
	tcase_add_test(tc, test_handshake_ok);
	tcase_add_test(tc, test_expired_server);
	tcase_add_test(tc, test_expired_client);
	tcase_add_test(tc, test_not_yet_valid);
	tcase_add_test(tc, test_unknown_ca);
	tcase_add_test(tc, test_san_mismatch);
	tcase_add_test(tc, test_intermediate);
	tcase_add_test(tc, test_rsa_bytes_deterministic);
	tcase_add_test(tc, test_no_client_auth_and_plaintext);
	tcase_add_test(tc, test_measure);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("pool");
	tcase_add_test(tp, test_pool_reuse);
	tcase_add_test(tp, test_pool_limits);
	tcase_add_test(tp, test_pool_lifetimes);
	tcase_add_test(tp, test_pool_many_pairs);
	suite_add_tcase(s, tp);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
