/* bench/mtls_bench.c: full TLS 1.3 mTLS handshakes per second on one core
 * (`make bench-mtls`; never part of `make check`).
 *
 * For each configuration (EC P-256 or RSA 2048 keys, with or without an
 * intermediate CA) it runs, in alternating rounds, mtls_handshake() between
 * two workloads (client auth, SPIFFE ID check) and the same handshake
 * without client authentication (plain server-authenticated TLS 1.3, the
 * same-run reference), both ends in this one thread. Reports handshakes
 * per wall second, each side's thread CPU per handshake, bytes and flights,
 * and the mTLS / plain ratio of per-handshake time: medians over rounds,
 * so both figures share the machine's mood. Also the cost of issuing a
 * workload certificate (key generation + signing).
 *
 * Usage: mtls_bench [SECONDS per configuration, default 3]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mtls.h"

#define ROUNDS 5
#define CART "spiffe://cluster.local/ns/cart/sa/cartservice"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "mtls_bench: %s: %s\n", what, msg);
	exit(1);
}

static mesh_cert_t *issue(mesh_ca_t *ca, const char *ns, const char *sa, des_rng_t *rng)
{
	char err[512];
	mesh_cert_t *c = NULL;
	if (mesh_ca_issue(ca, ns, sa, 0, 0, rng, &c, err, sizeof err) != 0)
		die("mesh_ca_issue", err);
	return c;
}

/* Measures handshakes for about |secs| seconds in batches; the mean cost. */
static void run_for(mtls_side_t *c, mtls_side_t *s, double secs, mtls_cost_t *out)
{
	mtls_cost_t total = {0}, b;
	mtls_result_t r;
	double t0 = now_s();
	int batch = 20;
	do {
		if (mtls_measure(c, s, DES_S(3600), CART, batch, &b, &r) != 0)
			die("handshake", r.msg);
		total.client_us += b.client_us * b.n;
		total.server_us += b.server_us * b.n;
		total.wall_us += b.wall_us * b.n;
		total.n += b.n;
		total.bytes_c2s = b.bytes_c2s;
		total.bytes_s2c = b.bytes_s2c;
		total.flights = b.flights;
	} while (now_s() - t0 < secs);
	*out = total;
	out->client_us /= total.n;
	out->server_us /= total.n;
	out->wall_us /= total.n;
}

struct config {
	const char *name;
	mesh_key_type_t key;
	int intermediate;
};

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	if (!(secs > 0))
		secs = 3;
	static const struct config configs[] = {
		{"EC P-256", MESH_KEY_EC_P256, 0},
		{"EC P-256 + intermediate", MESH_KEY_EC_P256, 1},
		{"RSA 2048", MESH_KEY_RSA_2048, 0},
		{"RSA 2048 + intermediate", MESH_KEY_RSA_2048, 1},
	};
	printf("mtls_bench: %.1f s per configuration, %d alternating rounds of mTLS and "
	       "plain TLS 1.3 (server auth only); both ends in one thread, one core\n\n",
	       secs, ROUNDS);
	printf("| keys | mTLS handshakes per CPU-s | per wall-s | client CPU us | "
	       "server CPU us | bytes c->s | bytes s->c | flights | plain TLS per CPU-s | "
	       "mTLS / plain CPU | issue a certificate (ms) |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
		const struct config *cf = &configs[k];
		des_rng_t rng;
		des_rng_stream(&rng, 1, "bench/mtls");
		mesh_ca_opts_t o = {.ca_key = cf->key, .workload_key = cf->key,
		                    .intermediate = cf->intermediate};
		mesh_ca_t *ca = NULL;
		char err[512];
		if (mesh_ca_new(&o, 0, &rng, &ca, err, sizeof err) != 0)
			die("mesh_ca_new", err);
		/* Issue cost: a few certificates (RSA key generation is a prime
		 * search with a wide spread, hence the median). */
		int ni = cf->key == MESH_KEY_RSA_2048 ? 5 : 50;
		double issue_ms[50];
		for (int i = 0; i < ni; i++) {
			double t0 = now_s();
			mesh_cert_free(issue(ca, "ns", "sa", &rng));
			issue_ms[i] = (now_s() - t0) * 1e3;
		}
		mesh_cert_t *fc = issue(ca, "frontend", "frontend", &rng);
		mesh_cert_t *cc = issue(ca, "cart", "cartservice", &rng);
		mtls_side_opts_t plain = {.no_client_auth = 1};
		mtls_side_t *fe = mtls_side_new(fc, mesh_ca_bundle(ca), NULL, err, sizeof err);
		mtls_side_t *cart = fe ? mtls_side_new(cc, mesh_ca_bundle(ca), NULL, err, sizeof err) : NULL;
		mtls_side_t *cart_plain = cart ? mtls_side_new(cc, mesh_ca_bundle(ca), &plain,
		                                               err, sizeof err) : NULL;
		if (cart_plain == NULL)
			die("mtls_side_new", err);

		double rate[ROUNDS], wrate[ROUNDS], prate[ROUNDS], ratio[ROUNDS];
		double cus[ROUNDS], sus[ROUNDS];
		mtls_cost_t m = {0}, p = {0};
		for (int r = 0; r < ROUNDS; r++) {
			run_for(fe, cart, secs / ROUNDS / 2, &m);
			run_for(fe, cart_plain, secs / ROUNDS / 2, &p);
			rate[r] = 1e6 / (m.client_us + m.server_us);
			wrate[r] = 1e6 / m.wall_us;
			prate[r] = 1e6 / (p.client_us + p.server_us);
			ratio[r] = (m.client_us + m.server_us) / (p.client_us + p.server_us);
			cus[r] = m.client_us;
			sus[r] = m.server_us;
		}
		printf("| %s | %.0f | %.0f | %.0f | %.0f | %llu | %llu | %d | %.0f | %.2f | %.2f |\n",
		       cf->name, median(rate, ROUNDS), median(wrate, ROUNDS),
		       median(cus, ROUNDS), median(sus, ROUNDS),
		       (unsigned long long)m.bytes_c2s, (unsigned long long)m.bytes_s2c,
		       m.flights, median(prate, ROUNDS), median(ratio, ROUNDS),
		       median(issue_ms, ni));
		fflush(stdout);
		mtls_side_free(fe);
		mtls_side_free(cart);
		mtls_side_free(cart_plain);
		mesh_cert_free(fc);
		mesh_cert_free(cc);
		mesh_ca_free(ca);
	}
	return 0;
}
