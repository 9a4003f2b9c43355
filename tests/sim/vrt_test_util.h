/* tests/sim/vrt_test_util.h: what the virtual runtime's tests share: the
 * source directory, a world at the tests' epoch, starting a pod behind an
 * address. Static functions, for Check test programs only. */
#ifndef MESHSIM_TESTS_VRT_TEST_UTIL_H
#define MESHSIM_TESTS_VRT_TEST_UTIL_H

#include <check.h>
#include <stdlib.h>

#include "vrt.h"

/* 2026-01-01T00:00:00Z, a Thursday. */
#define EPOCH ((rt_time_t)1767225600 * RT_SEC)

static inline const char *srcdir(void)
{
	const char *s = getenv("MESHSIM_SRCDIR");
	return s ? s : ".";
}

static inline vrt_world_t *world(uint64_t seed)
{
	vrt_world_t *w = vrt_world_new(seed, EPOCH);
	ck_assert_ptr_nonnull(w);
	return w;
}

/* Starts pod |name| and, when |addr| is set, adds it to the endpoint set
 * bound at |addr| (made round-robin on first use). */
static inline vrt_pod_t *start(vrt_world_t *w, const rt_service_t *svc,
                               const char *name, const char *const *env,
                               double cores, const char *addr)
{
	vrt_pod_t *pod = NULL;
	int rc = vrt_pod_start(w, svc, name, env, cores, &pod);
	ck_assert_msg(rc == 0, "%s: %s: %s", name, vrt_strerror(rc),
	              pod ? vrt_pod_error(pod) : "");
	if (addr) {
		vrt_endpoints_t *eps = vrt_world_resolve(w, addr);
		if (!eps) {
			eps = vrt_endpoints_new(w, addr, VRT_LB_ROUND_ROBIN);
			ck_assert_int_eq(vrt_world_bind(w, addr, eps), 0);
		}
		ck_assert_int_eq(vrt_endpoints_add(eps, pod), 0);
	}
	return pod;
}

/* Runs |s| (fork mode unless CK_FORK says otherwise): main's exit status. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* MESHSIM_TESTS_VRT_TEST_UTIL_H */
