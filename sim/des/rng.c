/* sim/des/rng.c: stream derivation and the non-uniform distributions. */
#include "rng.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* SplitMix64's finaliser alone: a bijective 64-bit mixer. */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void des_rng_seed(des_rng_t *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	/* SplitMix64 is a bijection on distinct counters, so the four words
	 * are never all zero, the one state xoshiro must avoid. */
	r->spare = 0;
	r->has_spare = 0;
}

uint64_t des_rng_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	if (name != NULL)
		for (const unsigned char *p = (const unsigned char *)name; *p; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

uint64_t des_hash_str(uint64_t h, const char *s)
{
	size_t n = strlen(s);
	h ^= n;
	for (; n >= 8; n -= 8, s += 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	uint64_t t = 0;
	memcpy(&t, s, n);
	h = (h ^ t) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/* The three inputs go through the mixer one after another, so a change
 * in any of them changes the whole seed; the domain tag keeps the plain
 * stream and every member of its family apart. */
static void stream_seed(des_rng_t *r, uint64_t master, const char *name,
                        uint64_t domain, uint64_t index)
{
	uint64_t z = mix64(master ^ 0x6a09e667f3bcc908ULL);
	z = mix64(z ^ des_rng_hash(name));
	z = mix64(z ^ domain);
	z = mix64(z + index);
	des_rng_seed(r, z);
}

void des_rng_stream(des_rng_t *r, uint64_t master, const char *name)
{
	stream_seed(r, master, name, 0x53545245414d0000ULL /* "STREAM" */, 0);
}

void des_rng_substream(des_rng_t *r, uint64_t master, const char *name,
                       uint64_t index)
{
	stream_seed(r, master, name, 0x5355425354520000ULL /* "SUBSTR" */,
	            index);
}

double des_rng_exp(des_rng_t *r, double mean)
{
	/* 1 - u is in (0, 1], so the log is finite. */
	return -mean * log(1.0 - des_rng_uniform(r));
}

int64_t des_rng_exp_ns(des_rng_t *r, double mean_ns)
{
	double x = des_rng_exp(r, mean_ns) + 0.5;
	if (!(x < 9.2e18)) /* also catches NaN from a bad mean */
		return x > 0 ? INT64_MAX : 0;
	return x < 0 ? 0 : (int64_t)x;
}

double des_rng_normal(des_rng_t *r, double mu, double sigma)
{
	if (r->has_spare) {
		r->has_spare = 0;
		return mu + sigma * r->spare;
	}
	/* Box-Muller: u1 in (0, 1] keeps the log finite. */
	double u1 = 1.0 - des_rng_uniform(r);
	double u2 = des_rng_uniform(r);
	double rad = sqrt(-2.0 * log(u1));
	double th = 6.283185307179586 * u2;
	r->spare = rad * sin(th);
	r->has_spare = 1;
	return mu + sigma * rad * cos(th);
}

double des_rng_lognormal(des_rng_t *r, double mu, double sigma)
{
	return exp(des_rng_normal(r, mu, sigma));
}

void des_rng_lognormal_params(double mean, double sd, double *mu,
                              double *sigma)
{
	double cv2 = (sd / mean) * (sd / mean);
	double s2 = log1p(cv2);
	*sigma = sqrt(s2);
	*mu = log(mean) - s2 / 2;
}
