/* sim/vrt/link.c: a link's transit time and its jitter (vrt.h, "Network").
 * Pure functions, apart from the world (world.c draws the jitter). */
#include <math.h>

#include "vrt_int.h"

des_time_t vrt_link_transit(const vrt_link_t *l, size_t bytes)
{
	des_time_t t = l->latency;
	if (l->bits_per_sec && bytes) {
		/* bytes <= 4 MiB + framing: bytes * 8e9 fits 64 bits. */
		uint64_t num = (uint64_t)bytes * 8u * 1000000000u;
		t += (des_time_t)((num + l->bits_per_sec - 1) / l->bits_per_sec);
	}
	return t;
}

des_time_t vrt_jitter_at(const vrt_jitter_t *j, double u)
{
	if (!j->n)
		return 0;
	double q0 = 0, a0 = 0;
	for (unsigned i = 0; i < j->n; i++) {
		double q1 = j->q[i], a1 = (double)j->at[i];
		if (u < q1 || i + 1 == j->n) {
			double f = q1 > q0 ? (u - q0) / (q1 - q0) : 1;
			if (f > 1)
				f = 1;
			return (des_time_t)llround(a0 + f * (a1 - a0));
		}
		q0 = q1;
		a0 = a1;
	}
	return j->at[j->n - 1];
}

int vrt_jitter_check(const vrt_jitter_t *j)
{
	if (j->n > VRT_JITTER_MAX)
		return VRT_EINVAL;
	if (!j->n)
		return 0;
	double q0 = 0;
	des_time_t a0 = 0;
	for (unsigned i = 0; i < j->n; i++) {
		if (!(j->q[i] > q0) || !(j->q[i] <= 1) || j->at[i] < a0)
			return VRT_EINVAL;
		q0 = j->q[i];
		a0 = j->at[i];
	}
	return q0 == 1 ? 0 : VRT_EINVAL;
}

des_time_t vrt_link_wake(const vrt_link_t *l, des_time_t slept, double u)
{
	if (!l->nbands)
		return 0;
	unsigned b = 0;
	while (b + 1 < l->nbands && slept >= l->slept[b])
		b++;
	return vrt_jitter_at(&l->jitter[b], u);
}

int vrt_link_check(const vrt_link_t *l)
{
	if (l->latency < 0 || l->nbands > VRT_JITTER_BANDS)
		return VRT_EINVAL;
	for (unsigned b = 0; b < l->nbands; b++) {
		if (!l->jitter[b].n || vrt_jitter_check(&l->jitter[b]))
			return VRT_EINVAL;
		if (b > 0 && l->slept[b] <= l->slept[b - 1])
			return VRT_EINVAL;
		if (l->slept[b] <= 0)
			return VRT_EINVAL;
	}
	if (l->nbands && l->slept[l->nbands - 1] != DES_TIME_MAX)
		return VRT_EINVAL;
	return 0;
}
