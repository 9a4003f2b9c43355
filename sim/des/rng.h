/* sim/des/rng.h: seeded random streams for the simulator.
 *
 * Generator: xoshiro256** (Blackman & Vigna, 2018): 256 bits of state,
 * period 2^256 - 1, passes BigCrush, a few ns per draw. Not for secrets.
 *
 * Streams. Every consumer of randomness (a pod, a load generator, a fault
 * injector) draws from its own named stream, seeded from the run's master
 * seed and the stream's name only:
 *
 *     state = SplitMix64 expansion of mix(master, FNV-1a-64(name), index)
 *
 * so adding, removing or reordering streams never changes the numbers any
 * other stream produces, and a run replays from (master seed, model).
 *
 * A des_rng_t is a plain value owned by the caller (embed it in the pod's
 * struct; copy it to fork a replay). Nothing here allocates or fails; the
 * functions are not thread-safe on one stream and independent across
 * streams. All O(1).
 */
#ifndef MESHSIM_SIM_DES_RNG_H
#define MESHSIM_SIM_DES_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct des_rng {
	uint64_t s[4];
	double spare; /* the second normal deviate of a Box-Muller pair */
	int has_spare;
} des_rng_t;

/* Seed |r| directly from a 64-bit value (SplitMix64 expansion; any seed,
 * including 0, gives a valid state). */
void des_rng_seed(des_rng_t *r, uint64_t seed);

/* Seed |r| as the stream |name| (NUL-terminated, NULL means "") of the
 * run seeded with |master|. */
void des_rng_stream(des_rng_t *r, uint64_t master, const char *name);

/* The |index|-th member of a family of streams ("cart", 0), ("cart", 1)...
 * for per-replica streams without formatting names. Distinct from
 * des_rng_stream(r, master, name) for every index. */
void des_rng_substream(des_rng_t *r, uint64_t master, const char *name,
                       uint64_t index);

/* 64-bit FNV-1a of a string, the name hash used by the streams. */
uint64_t des_rng_hash(const char *name);

/* |s| (its length and bytes) mixed into |h|, eight bytes a step: for hash
 * tables that are only looked up, where byte-at-a-time FNV costs a
 * multiply per byte. Not for streams (des_rng_hash is theirs, fixed). */
uint64_t des_hash_str(uint64_t h, const char *s);

/* The next 64 random bits. */
static inline uint64_t des_rng_u64(des_rng_t *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5;
	uint64_t result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* Uniform double in [0, 1), 53 random bits. */
static inline double des_rng_uniform(des_rng_t *r)
{
	return (double)(des_rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n) without bias (Lemire's multiply-and-reject);
 * 0 when n is 0. */
static inline uint64_t des_rng_below(des_rng_t *r, uint64_t n)
{
	if (n == 0)
		return 0;
	__extension__ typedef unsigned __int128 u128;
	u128 m = (u128)des_rng_u64(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t thresh = -n % n;
		while (lo < thresh) {
			m = (u128)des_rng_u64(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Exponential with the given mean (> 0): inter-arrival times of a Poisson
 * process. Always finite and >= 0. */
double des_rng_exp(des_rng_t *r, double mean);

/* Normal (Gaussian) with mean |mu| and standard deviation |sigma| >= 0
 * (Box-Muller; the pair's second value is kept for the next call). */
double des_rng_normal(des_rng_t *r, double mu, double sigma);

/* Lognormal: exp(N(mu, sigma)), where |mu|, |sigma| are the parameters of
 * the underlying normal. Service times: see des_rng_lognormal_params(). */
double des_rng_lognormal(des_rng_t *r, double mu, double sigma);

/* The (mu, sigma) of a lognormal with the given |mean| > 0 and standard
 * deviation |sd| >= 0 of the variable itself, for profiles that record a
 * service time's mean and spread. */
void des_rng_lognormal_params(double mean, double sd, double *mu,
                              double *sigma);

/* A duration in ns drawn from an exponential of |mean_ns|, rounded to the
 * nearest ns and clamped to [0, INT64_MAX]. */
int64_t des_rng_exp_ns(des_rng_t *r, double mean_ns);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_DES_RNG_H */
