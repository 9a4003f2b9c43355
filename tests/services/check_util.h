/*
 * check_util.h — small helpers shared by the services' Check tests.
 */
#ifndef MESHSIM_CHECK_UTIL_H
#define MESHSIM_CHECK_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/demo.pb-c.h"
#include "rt_test.h"

/* Runs |s| (fork mode, so an abort in the runtime fails one test only). */
static inline int check_run(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Writes |text| to a fresh temporary file named like |name| and returns its
 * path (static storage, one per call site is enough for our tests). */
static inline const char *check_write_tmp(const char *name, const char *text,
                                          char *path, size_t size) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, size, "%s/meshsim-%s-XXXXXX", dir && *dir ? dir : "/tmp",
           name);
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  size_t n = strlen(text);
  ck_assert_int_eq((long)write(fd, text, n), (long)n);
  close(fd);
  return path;
}

/* Calls and asserts the call itself went through (rc 0). */
#define CALL(t, svc, m, req, type, timeout, st, msg, resp)                    \
  do {                                                                        \
    int rc_ = rt_test_call((t), (svc), (m), (req), (type), (timeout), (st),   \
                           (msg), (ProtobufCMessage **)(resp));               \
    ck_assert_msg(rc_ == 0, "rt_test_call %s/%s: %s", (svc), (m), *(msg));    \
  } while (0)

#endif /* MESHSIM_CHECK_UTIL_H */
