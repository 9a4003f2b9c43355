/* tests/dataplane/identity_test.c: unit tests of sim/mesh/identity.c
 * (Check, fork mode): the mesh CA, workload certificates, renewal and
 * expiry at virtual times, determinism from the seed. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity.h"

#define HOUR DES_S(3600)

static mesh_ca_t *new_ca(const mesh_ca_opts_t *o, uint64_t seed, des_rng_t *rng)
{
	char err[512];
	mesh_ca_t *ca = NULL;
	des_rng_stream(rng, seed, "mesh/ca");
	int rc = mesh_ca_new(o, 0, rng, &ca, err, sizeof err);
	ck_assert_msg(rc == 0, "mesh_ca_new: %s", err);
	return ca;
}

static mesh_cert_t *issue(mesh_ca_t *ca, const char *ns, const char *sa,
                          des_time_t now, des_rng_t *rng)
{
	char err[512];
	mesh_cert_t *c = NULL;
	int rc = mesh_ca_issue(ca, ns, sa, now, 0, rng, &c, err, sizeof err);
	ck_assert_msg(rc == 0, "mesh_ca_issue: %s", err);
	return c;
}

/* 1 if |x| verifies against |ca|'s root at virtual time |t|. */
static int verifies(const mesh_ca_t *ca, const mesh_cert_t *c, des_time_t t)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	for (int i = 0; i < mesh_cert_chain_len(c); i++)
		sk_X509_push(untrusted, mesh_cert_chain_at(c, i));
	ck_assert(X509_STORE_CTX_init(ctx, mesh_bundle_store(mesh_ca_bundle(ca)),
	                              mesh_cert_x509(c), untrusted));
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
	                           (time_t)mesh_id_utc_seconds(mesh_cert_epoch(c), t));
	int ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return ok;
}

START_TEST(test_issue_spiffe_san)
{
	des_rng_t rng;
	mesh_ca_t *ca = new_ca(NULL, 1, &rng);
	mesh_cert_t *c = issue(ca, "cart", "cartservice", DES_S(10), &rng);
	X509 *x = mesh_cert_x509(c);

	ck_assert_str_eq(mesh_cert_spiffe_id(c), "spiffe://cluster.local/ns/cart/sa/cartservice");
	ck_assert_str_eq(mesh_cert_principal(c), "cluster.local/ns/cart/sa/cartservice");

	/* Exactly one SAN, a URI, and critical (the subject is empty). */
	int crit = -1;
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	ck_assert_ptr_nonnull(gens);
	ck_assert_int_eq(crit, 1);
	ck_assert_int_eq(sk_GENERAL_NAME_num(gens), 1);
	const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, 0);
	ck_assert_int_eq(gn->type, GEN_URI);
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
	                 "spiffe://cluster.local/ns/cart/sa/cartservice");
	GENERAL_NAMES_free(gens);
	ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(x)), 0);

	/* 24 h of validity from the issue time, in the certificate and in
	 * virtual time. */
	int days = -1, secs = -1;
	ck_assert(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)));
	ck_assert_int_eq(days, 1);
	ck_assert_int_eq(secs, 0);
	ck_assert_int_eq(mesh_cert_not_before(c), DES_S(10));
	ck_assert_int_eq(mesh_cert_not_after(c), DES_S(10) + 24 * HOUR);
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x),
	                                      (time_t)(MESH_ID_EPOCH / 1000000000 + 10)), 0);

	/* Usages: a TLS client and server leaf, not a CA. */
	uint32_t ku = X509_get_key_usage(x);
	ck_assert(ku & KU_DIGITAL_SIGNATURE);
	ck_assert(!(ku & KU_KEY_CERT_SIGN));
	ck_assert(!(ku & KU_KEY_ENCIPHERMENT)); /* EC */
	uint32_t eku = X509_get_extended_key_usage(x);
	ck_assert(eku & XKU_SSL_SERVER);
	ck_assert(eku & XKU_SSL_CLIENT);
	ck_assert_int_eq(X509_check_ca(x), 0);
	ck_assert_int_eq(mesh_cert_key_type(c), MESH_KEY_EC_P256);
	ck_assert_int_eq(mesh_cert_chain_len(c), 0);
	ck_assert_int_eq((int)strlen(mesh_cert_serial_hex(c)), 32);

	/* The root: self-signed CA, O = the trust domain. */
	X509 *root = mesh_ca_root(ca);
	ck_assert_int_gt(X509_check_ca(root), 0);
	ck_assert_int_eq(X509_check_issued(root, x), X509_V_OK);
	ck_assert_ptr_null(mesh_ca_intermediate(ca));
	ck_assert_str_eq(mesh_ca_trust_domain(ca), "cluster.local");
	ck_assert(verifies(ca, c, DES_S(10)));

	mesh_cert_free(c);
	mesh_ca_free(ca);
}
END_TEST

START_TEST(test_validity_boundaries)
{
	des_rng_t rng;
	mesh_ca_t *ca = new_ca(NULL, 2, &rng);
	/* Issued at 100.7 s: X.509 has whole seconds, so not_before is 100 s. */
	mesh_cert_t *c = issue(ca, "default", "default", DES_MS(100700), &rng);
	des_time_t nb = mesh_cert_not_before(c), na = mesh_cert_not_after(c);
	ck_assert_int_eq(nb, DES_S(100));
	ck_assert_int_eq(na, DES_S(100) + 24 * HOUR);

	ck_assert(!mesh_cert_valid_at(c, nb - 1));
	ck_assert(mesh_cert_valid_at(c, nb));
	ck_assert(mesh_cert_valid_at(c, na - 1));
	ck_assert(!mesh_cert_valid_at(c, na));
	/* OpenSSL agrees at each boundary. */
	ck_assert(!verifies(ca, c, nb - 1));
	ck_assert(verifies(ca, c, nb));
	ck_assert(verifies(ca, c, na - 1));
	ck_assert(!verifies(ca, c, na));
	mesh_cert_free(c);

	/* A TTL of our own. */
	char err[256];
	ck_assert_int_eq(mesh_ca_issue(ca, "a", "b", 0, HOUR, &rng, &c, err, sizeof err), 0);
	ck_assert_int_eq(mesh_cert_not_after(c), HOUR);
	mesh_cert_free(c);
	mesh_ca_free(ca);
}
END_TEST

START_TEST(test_renewal_half_life_jitter)
{
	des_time_t life = 24 * HOUR;
	/* Pure: u = 0.5 is exactly half; the extremes are +-1 % of the life. */
	ck_assert_int_eq(mesh_renew_time(0, life, 0.5, 0.01, 0.5), 12 * HOUR);
	/* u = 0: the smallest grace period, so the latest renewal. */
	ck_assert_int_eq(mesh_renew_time(0, life, 0.5, 0.01, 0.0), 12 * HOUR + life / 100);
	ck_assert_int_eq(mesh_renew_time(0, life, 0.5, 0, 0.9), 12 * HOUR);
	ck_assert_int_eq(mesh_renew_time(0, life, 1.5, 0, 0.5), 0);    /* clamped */
	ck_assert_int_eq(mesh_renew_time(0, life, -1, 0, 0.5), life); /* clamped */

	/* Issued certificates: within 12 h +- 14.4 min, spread over it. */
	des_rng_t rng;
	mesh_ca_t *ca = new_ca(NULL, 3, &rng);
	des_time_t lo = DES_TIME_MAX, hi = 0;
	double sum = 0;
	int n = 100;
	for (int i = 0; i < n; i++) {
		des_time_t now = DES_S(1000) * i;
		mesh_cert_t *c = issue(ca, "ns", "sa", now, &rng);
		des_time_t d = mesh_cert_renew_at(c) - mesh_cert_not_before(c);
		ck_assert_int_ge(d, 12 * HOUR - life / 100);
		ck_assert_int_le(d, 12 * HOUR + life / 100);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += (double)d;
		mesh_cert_free(c);
	}
	ck_assert_int_gt(hi - lo, life / 100); /* really jittered */
	double mean = sum / n;
	ck_assert_msg(mean > (double)(12 * HOUR - life / 400) &&
	              mean < (double)(12 * HOUR + life / 400), "mean %f", mean);
	mesh_ca_free(ca);

	/* Jitter off. */
	mesh_ca_opts_t o = {.grace_jitter = -1, .grace_ratio = 0.25};
	ca = new_ca(&o, 3, &rng);
	mesh_cert_t *c = issue(ca, "ns", "sa", 0, &rng);
	ck_assert_int_eq(mesh_cert_renew_at(c), 18 * HOUR);
	mesh_cert_free(c);
	mesh_ca_free(ca);
}
END_TEST

/* The serials of a CA's root and of three certificates, from |seed|. */
static void serials(uint64_t seed, char out[4][33])
{
	des_rng_t rng;
	mesh_ca_t *ca = new_ca(NULL, seed, &rng);
	ASN1_INTEGER *ai = X509_get_serialNumber(mesh_ca_root(ca));
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *hex = BN_bn2hex(bn);
	snprintf(out[0], 33, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	for (int i = 1; i < 4; i++) {
		mesh_cert_t *c = issue(ca, "ns", "sa", DES_S(i), &rng);
		snprintf(out[i], 33, "%s", mesh_cert_serial_hex(c));
		/* The certificate carries the serial we report. */
		bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(mesh_cert_x509(c)), NULL);
		hex = BN_bn2hex(bn);
		ck_assert_int_eq(strcasecmp(hex, out[i]), 0);
		OPENSSL_free(hex);
		BN_free(bn);
		mesh_cert_free(c);
	}
	mesh_ca_free(ca);
}

START_TEST(test_serials_deterministic)
{
	char a[4][33], b[4][33], c[4][33];
	serials(42, a);
	serials(42, b);
	serials(43, c);
	for (int i = 0; i < 4; i++) {
		ck_assert_str_eq(a[i], b[i]);
		ck_assert_str_ne(a[i], c[i]);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(a[i], a[j]);
	}
}
END_TEST

START_TEST(test_intermediate_chain)
{
	des_rng_t rng;
	mesh_ca_opts_t o = {.intermediate = 1, .trust_domain = "example.org"};
	mesh_ca_t *ca = new_ca(&o, 4, &rng);
	X509 *inter = mesh_ca_intermediate(ca);
	ck_assert_ptr_nonnull(inter);
	ck_assert_int_gt(X509_check_ca(inter), 0);
	ck_assert_int_eq(X509_check_issued(mesh_ca_root(ca), inter), X509_V_OK);

	mesh_cert_t *c = issue(ca, "shop", "frontend", 0, &rng);
	ck_assert_str_eq(mesh_cert_spiffe_id(c), "spiffe://example.org/ns/shop/sa/frontend");
	ck_assert_int_eq(mesh_cert_chain_len(c), 1);
	ck_assert_ptr_eq(mesh_cert_chain_at(c, 0), inter);
	ck_assert_ptr_null(mesh_cert_chain_at(c, 1));
	ck_assert_int_eq(X509_check_issued(inter, mesh_cert_x509(c)), X509_V_OK);
	ck_assert(verifies(ca, c, HOUR));

	/* The certificate keeps the intermediate alive after the CA is gone. */
	mesh_ca_free(ca);
	ck_assert_int_gt(X509_check_ca(mesh_cert_chain_at(c, 0)), 0);

	char *chain = NULL, *key = NULL;
	ck_assert_int_eq(mesh_cert_pem(c, &chain, &key, NULL, 0), 0);
	const char *p = strstr(chain, "-----BEGIN CERTIFICATE-----");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p + 1, "-----BEGIN CERTIFICATE-----"));
	ck_assert_ptr_nonnull(strstr(key, "-----BEGIN PRIVATE KEY-----"));
	free(chain);
	free(key);
	mesh_cert_free(c);
}
END_TEST

START_TEST(test_rsa)
{
	des_rng_t rng;
	mesh_ca_opts_t o = {.ca_key = MESH_KEY_RSA_2048, .workload_key = MESH_KEY_RSA_2048};
	mesh_ca_t *ca = new_ca(&o, 5, &rng);
	mesh_cert_t *c = issue(ca, "cart", "cartservice", 0, &rng);
	ck_assert_int_eq(mesh_cert_key_type(c), MESH_KEY_RSA_2048);
	ck_assert_int_eq(EVP_PKEY_get_bits(mesh_cert_key(c)), 2048);
	uint32_t ku = X509_get_key_usage(mesh_cert_x509(c));
	ck_assert(ku & KU_DIGITAL_SIGNATURE);
	ck_assert(ku & KU_KEY_ENCIPHERMENT);
	ck_assert(verifies(ca, c, 0));
	ck_assert_str_eq(mesh_key_type_name(MESH_KEY_RSA_2048), "RSA 2048");
	mesh_cert_free(c);
	mesh_ca_free(ca);
}
END_TEST

START_TEST(test_two_roots)
{
	/* A second mesh root with the same trust domain (and so the same
	 * subject) does not verify the first one's certificates; a bundle
	 * holding both roots verifies either. */
	des_rng_t r1, r2;
	mesh_ca_t *a = new_ca(NULL, 6, &r1);
	mesh_ca_t *b = new_ca(NULL, 7, &r2);
	mesh_cert_t *ca_cert = issue(a, "ns", "sa", 0, &r1);
	ck_assert(verifies(a, ca_cert, 0));
	ck_assert(!verifies(b, ca_cert, 0));

	mesh_bundle_t *both = mesh_bundle_new();
	ck_assert_int_eq(mesh_bundle_add_ca(both, a), 0);
	ck_assert_int_eq(mesh_bundle_add_ca(both, b), 0);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	ck_assert(X509_STORE_CTX_init(ctx, mesh_bundle_store(both), mesh_cert_x509(ca_cert), NULL));
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
	                           (time_t)(MESH_ID_EPOCH / 1000000000));
	ck_assert_int_eq(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	mesh_bundle_free(both);
	mesh_cert_free(ca_cert);
	mesh_ca_free(a);
	mesh_ca_free(b);
}
END_TEST

START_TEST(test_invalid_arguments)
{
	des_rng_t rng;
	char err[256];
	mesh_ca_t *ca = NULL;
	des_rng_seed(&rng, 8);
	mesh_ca_opts_t o = {.trust_domain = "a/b"};
	ck_assert_int_eq(mesh_ca_new(&o, 0, &rng, &ca, err, sizeof err), MESH_ID_EINVAL);
	ck_assert_ptr_null(ca);
	ck_assert_ptr_nonnull(strstr(err, "trust domain"));
	mesh_ca_opts_t o2 = {.grace_ratio = 1.5};
	ck_assert_int_eq(mesh_ca_new(&o2, 0, &rng, &ca, NULL, 0), MESH_ID_EINVAL);
	ck_assert_int_eq(mesh_ca_new(NULL, 0, NULL, &ca, err, sizeof err), MESH_ID_EINVAL);

	ca = new_ca(NULL, 8, &rng);
	mesh_cert_t *c = NULL;
	ck_assert_int_eq(mesh_ca_issue(ca, "ns/x", "sa", 0, 0, &rng, &c, err, sizeof err),
	                 MESH_ID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "ns/x"));
	ck_assert_int_eq(mesh_ca_issue(ca, "", "sa", 0, 0, &rng, &c, err, sizeof err),
	                 MESH_ID_EINVAL);
	ck_assert_int_eq(mesh_ca_issue(ca, "ns", NULL, 0, 0, &rng, &c, err, sizeof err),
	                 MESH_ID_EINVAL);
	ck_assert_int_eq(mesh_ca_issue(ca, "ns", "sa", 0, DES_MS(10), &rng, &c, err, sizeof err),
	                 MESH_ID_EINVAL);
	ck_assert_ptr_null(c);
	mesh_ca_free(ca);

	ck_assert_str_eq(mesh_id_err_name(MESH_ID_ECRYPTO), "MESH_ID_ECRYPTO");
	ck_assert_str_eq(mesh_id_strerror(MESH_ID_EINVAL), "invalid argument");
	ck_assert_str_eq(mesh_id_err_name(5), "MESH_ID_UNKNOWN");
	mesh_ca_free(NULL);
	mesh_cert_free(NULL);
	mesh_bundle_free(NULL);
}
END_TEST

START_TEST(test_utc_seconds)
{
	ck_assert_int_eq(mesh_id_utc_seconds(0, DES_MS(1500)), 1);
	ck_assert_int_eq(mesh_id_utc_seconds(0, -1), -1);
	ck_assert_int_eq(mesh_id_utc_seconds(0, DES_S(-1)), -1);
	ck_assert_int_eq(mesh_id_utc_seconds(MESH_ID_EPOCH, 0), 1767225600);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_issue_spiffe_san);
	tcase_add_test(tc, test_validity_boundaries);
	tcase_add_test(tc, test_renewal_half_life_jitter);
	tcase_add_test(tc, test_serials_deterministic);
	tcase_add_test(tc, test_intermediate_chain);
	tcase_add_test(tc, test_rsa);
	tcase_add_test(tc, test_two_roots);
	tcase_add_test(tc, test_invalid_arguments);
	tcase_add_test(tc, test_utc_seconds);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
