/*
 * check_live.c — the live runtime end to end, in one process and one loop:
 * a server instance of the test service on 127.0.0.1 (ephemeral port) and a
 * client instance calling it over real sockets. Each test runs in its own
 * process (Check's fork mode) and ends by freeing both instances and checking
 * that the loop closes clean.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.pb-c.h"
#include "health.pb-c.h"
#include "live.h"
#include "testsvc.h"

typedef struct fixture {
  uv_loop_t loop;
  rt_t *srv, *cli;
  char addr[64];
} fixture_t;

static fixture_t F;

static void setup(void) {
  ck_assert_int_eq(uv_loop_init(&F.loop), 0);
  rt_live_config_t cfg;
  char err[256];
  unsetenv("PORT");
  ck_assert_int_eq(rt_live_config_from_env(&cfg, &testsvc_service, err,
                                           sizeof err), 0);
  snprintf(cfg.bind_addr, sizeof cfg.bind_addr, "127.0.0.1");
  cfg.port = 0;
  cfg.grace = 2 * RT_SEC;
  cfg.log_level = RT_WARNING;
  int st = -1;
  F.srv = rt_live_server_new(&F.loop, &testsvc_service, &cfg, &st);
  ck_assert_ptr_nonnull(F.srv);
  ck_assert_int_eq(st, 0);
  ck_assert_int_gt(rt_live_port(F.srv), 0);
  snprintf(F.addr, sizeof F.addr, "127.0.0.1:%d", rt_live_port(F.srv));
  setenv("CHILD_ADDR", F.addr, 1);
  setenv("LOG_LEVEL", "warning", 1);
  F.cli = rt_live_client_new(&F.loop, "testclient");
  ck_assert_ptr_nonnull(F.cli);
  ck_assert_int_eq(rt_live_port(F.cli), -1);
  memset(&testsvc_stats, 0, sizeof testsvc_stats);
  testsvc_stats.child_status = -1;
}

static void teardown(void) {
  rt_live_client_free(F.cli);
  if (F.srv)
    rt_live_free(F.srv);
  uv_run(&F.loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&F.loop), 0);
}

/* One outgoing call's outcome. */
typedef struct result {
  int done;
  rt_status_t status;
  char message[512];
  ProtobufCMessage *resp;
} result_t;

static void on_result(void *user, rt_status_t st, const char *msg,
                      ProtobufCMessage *resp) {
  result_t *r = user;
  r->done++;
  r->status = st;
  snprintf(r->message, sizeof r->message, "%s", msg);
  r->resp = resp;
}

static rt_invoke_t *convert(result_t *r, const char *to, int64_t units,
                            rt_time_t timeout) {
  Hipstershop__Money from = HIPSTERSHOP__MONEY__INIT;
  from.currency_code = (char *)"USD";
  from.units = units;
  from.nanos = 7;
  Hipstershop__CurrencyConversionRequest req =
      HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
  req.from = &from;
  req.to_code = (char *)to;
  rt_invoke_opts_t opts = {.timeout = timeout};
  memset(r, 0, sizeof *r);
  rt_invoke_t *inv = rt_invoke(F.cli, F.addr, "hipstershop.CurrencyService",
                               "Convert", &req.base,
                               &hipstershop__money__descriptor, &opts,
                               on_result, r);
  ck_assert_ptr_nonnull(inv);
  ck_assert_int_eq(r->done, 0); /* never from inside rt_invoke */
  return inv;
}

static void stop_cb(uv_timer_t *t) { uv_stop(t->loop); }

/* Runs the loop for |ms| milliseconds. */
static void run_for(uint64_t ms) {
  uv_timer_t t;
  uv_timer_init(&F.loop, &t);
  uv_timer_start(&t, stop_cb, ms, 0);
  uv_run(&F.loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(&F.loop, UV_RUN_NOWAIT);
}

static void wait_idle(void) {
  ck_assert_uint_eq(rt_live_run_until_idle(F.cli, 10 * RT_SEC), 0);
}

START_TEST(test_unary_ok) {
  result_t r;
  convert(&r, "EUR", 42, 5 * RT_SEC);
  wait_idle();
  ck_assert_int_eq(r.done, 1);
  ck_assert_int_eq(r.status, RT_OK);
  ck_assert_str_eq(r.message, "");
  Hipstershop__Money *m = (Hipstershop__Money *)r.resp;
  ck_assert_ptr_nonnull(m);
  ck_assert_str_eq(m->currency_code, "EUR");
  ck_assert_int_eq(m->units, 42);
  ck_assert_int_eq(m->nanos, 7);
  rt_msg_free(r.resp);
  /* A second call reuses the connection. */
  convert(&r, "JPY", 1, 0);
  wait_idle();
  ck_assert_int_eq(r.status, RT_OK);
  rt_msg_free(r.resp);
  ck_assert_int_eq(testsvc_stats.calls, 2);
  /* one client connection + one accepted */
  ck_assert_uint_eq(rt_live_connections(F.cli), 1);
  ck_assert_uint_eq(rt_live_connections(F.srv), 1);
}
END_TEST

START_TEST(test_error_message) {
  result_t r;
  convert(&r, "ERR", 1, 0);
  wait_idle();
  ck_assert_int_eq(r.status, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(r.message, TESTSVC_ERR_MSG);
  ck_assert_ptr_null(r.resp);
}
END_TEST

START_TEST(test_unimplemented) {
  result_t a, b;
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  ck_assert_ptr_nonnull(rt_invoke(F.cli, F.addr, "hipstershop.NoSuchService",
                                  "Get", &e.base, &hipstershop__empty__descriptor,
                                  NULL, on_result, &a));
  ck_assert_ptr_nonnull(rt_invoke(F.cli, F.addr, "hipstershop.CurrencyService",
                                  "Nope", &e.base,
                                  &hipstershop__empty__descriptor, NULL,
                                  on_result, &b));
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  wait_idle();
  ck_assert_msg(a.status == RT_UNIMPLEMENTED, "%d %s", a.status, a.message);
  ck_assert_int_eq(b.status, RT_UNIMPLEMENTED);
  ck_assert_msg(strstr(a.message, "hipstershop.NoSuchService") != NULL, "%s",
                a.message);
  ck_assert_msg(strstr(b.message, "Nope") != NULL, "%s", b.message);
}
END_TEST

START_TEST(test_bad_request_body) {
  /* A Money where the server expects Empty is still valid protobuf for an
   * Empty (unknown fields); a CurrencyConversionRequest with a wrong wire
   * type is not. Send Money to Convert: field 2 (to_code, string) arrives as
   * varint units -> decode error -> INTERNAL. */
  Hipstershop__Money m = HIPSTERSHOP__MONEY__INIT;
  m.units = 5;
  result_t r;
  memset(&r, 0, sizeof r);
  ck_assert_ptr_nonnull(rt_invoke(F.cli, F.addr, "hipstershop.CurrencyService",
                                  "Convert", &m.base,
                                  &hipstershop__money__descriptor, NULL,
                                  on_result, &r));
  wait_idle();
  ck_assert_int_eq(r.status, RT_INTERNAL);
  ck_assert_msg(strstr(r.message, "cannot decode") != NULL, "%s", r.message);
  ck_assert_int_eq(testsvc_stats.calls, 0);
}
END_TEST

START_TEST(test_deadline_exceeded) {
  /* Warm the connection first, so the slow call reaches its handler well
   * inside its deadline even on a loaded machine or under ASan. */
  result_t warm;
  convert(&warm, "EUR", 1, 5 * RT_SEC);
  wait_idle();
  ck_assert_int_eq(warm.status, RT_OK);
  rt_msg_free(warm.resp);
  result_t r;
  rt_time_t t0 = rt_now(F.cli);
  convert(&r, "SLOW", 1000, 200 * RT_MSEC);
  wait_idle();
  rt_time_t took = rt_now(F.cli) - t0;
  ck_assert_int_eq(r.status, RT_DEADLINE_EXCEEDED);
  ck_assert_int_lt(took, 900 * RT_MSEC);
  /* Let the server's late reply happen (this call outlasts it): it must be
   * dropped quietly. */
  result_t w;
  convert(&w, "SLOW", 1100, 0);
  wait_idle();
  ck_assert_int_eq(w.status, RT_OK);
  rt_msg_free(w.resp);
  ck_assert_int_eq(testsvc_stats.late_replies, 1);
}
END_TEST

START_TEST(test_deadline_propagation) {
  /* CHILD (client timeout 150 ms) calls SLOWC (1 s) with the call as
   * parent: the child's deadline is the parent's; when it passes, the
   * child call is cancelled on its server (on_cancel), the parent fails. */
  result_t r;
  convert(&r, "CHILD", 1000, 150 * RT_MSEC);
  wait_idle();
  ck_assert_int_eq(r.status, RT_DEADLINE_EXCEEDED);
  /* Give the server side a moment to see its own deadlines. */
  rt_timer_t *t = rt_timer_start(F.cli, 300 * RT_MSEC, NULL, NULL);
  ck_assert_ptr_null(t); /* NULL callback refused */
  run_for(300);
  ck_assert_int_eq(testsvc_stats.cancels, 1);
  ck_assert_int_gt(testsvc_stats.child_remaining, 0);
  ck_assert_int_le(testsvc_stats.child_remaining, 150 * RT_MSEC);
  ck_assert_msg(testsvc_stats.child_status == RT_DEADLINE_EXCEEDED ||
                    testsvc_stats.child_status == RT_CANCELLED,
                "%d", testsvc_stats.child_status);
}
END_TEST

START_TEST(test_concurrent_100) {
  enum { N = 100 };
  static result_t r[N];
  for (int i = 0; i < N; i++)
    convert(&r[i], i % 10 == 0 ? "SLOW" : "EUR", i % 10 == 0 ? 20 : i,
            5 * RT_SEC);
  wait_idle();
  for (int i = 0; i < N; i++) {
    ck_assert_int_eq(r[i].done, 1);
    ck_assert_int_eq(r[i].status, RT_OK);
    ck_assert_int_eq(((Hipstershop__Money *)r[i].resp)->units,
                     i % 10 == 0 ? 20 : i);
    rt_msg_free(r[i].resp);
  }
  ck_assert_uint_eq(rt_live_connections(F.cli), 1);
  ck_assert_uint_eq(rt_live_connections(F.srv), 1);
}
END_TEST

START_TEST(test_unavailable) {
  result_t r;
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  memset(&r, 0, sizeof r);
  /* Port 1 on loopback: nothing listens there. */
  ck_assert_ptr_nonnull(rt_invoke(F.cli, "127.0.0.1:1",
                                  "hipstershop.CurrencyService",
                                  "GetSupportedCurrencies", &e.base,
                                  &hipstershop__get_supported_currencies_response__descriptor,
                                  NULL, on_result, &r));
  wait_idle();
  ck_assert_int_eq(r.status, RT_UNAVAILABLE);
  ck_assert_msg(strstr(r.message, "127.0.0.1:1") != NULL, "%s", r.message);
  /* A name that does not resolve. */
  memset(&r, 0, sizeof r);
  ck_assert_ptr_nonnull(rt_invoke(F.cli, "no-such-host.invalid:80",
                                  "hipstershop.CurrencyService",
                                  "GetSupportedCurrencies", &e.base,
                                  &hipstershop__get_supported_currencies_response__descriptor,
                                  NULL, on_result, &r));
  wait_idle();
  ck_assert_int_eq(r.status, RT_UNAVAILABLE);
  /* Malformed addresses are refused at once. */
  static const char *bad[] = {"nohost", ":80", "h:", "h:0", "h:99999",
                              "h:8x", "::1:80", "[::1:80"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    errno = 0;
    ck_assert_ptr_null(rt_invoke(F.cli, bad[i], "a.B", "C", &e.base,
                                 &hipstershop__empty__descriptor, NULL,
                                 on_result, &r));
    ck_assert_int_eq(errno, EINVAL);
  }
}
END_TEST

START_TEST(test_cancel) {
  result_t r;
  rt_invoke_t *inv = convert(&r, "SLOW", 200, 0);
  rt_invoke_cancel(inv);
  wait_idle();
  ck_assert_int_eq(r.done, 1);
  ck_assert_int_eq(r.status, RT_CANCELLED);
}
END_TEST

static void health_check(result_t *r, const char *service) {
  Grpc__Health__V1__HealthCheckRequest req =
      GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = (char *)service;
  memset(r, 0, sizeof *r);
  ck_assert_ptr_nonnull(rt_invoke(
      F.cli, F.addr, "grpc.health.v1.Health", "Check", &req.base,
      &grpc__health__v1__health_check_response__descriptor, NULL, on_result,
      r));
}

START_TEST(test_health) {
  result_t a, b, c;
  health_check(&a, "");
  health_check(&b, "hipstershop.CurrencyService");
  health_check(&c, "hipstershop.Nope");
  wait_idle();
  ck_assert_int_eq(a.status, RT_OK);
  ck_assert_int_eq(((Grpc__Health__V1__HealthCheckResponse *)a.resp)->status,
                   GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
  ck_assert_int_eq(b.status, RT_OK);
  ck_assert_int_eq(((Grpc__Health__V1__HealthCheckResponse *)b.resp)->status,
                   GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
  ck_assert_int_eq(c.status, RT_NOT_FOUND);
  rt_msg_free(a.resp);
  rt_msg_free(b.resp);
}
END_TEST

static int shutdown_done;
static void on_shutdown(rt_t *rt, void *arg) { shutdown_done++; }

START_TEST(test_graceful_shutdown) {
  /* A call in flight when shutdown starts completes; new connections are
   * refused afterwards; done runs once. */
  result_t slow, late;
  convert(&slow, "SLOW", 300, 0);
  /* Get the call to the server first. */
  while (testsvc_stats.calls == 0)
    uv_run(&F.loop, UV_RUN_ONCE);
  rt_live_shutdown(F.srv, on_shutdown, NULL);
  rt_live_shutdown(F.srv, on_shutdown, NULL); /* no-op */
  wait_idle();
  ck_assert_int_eq(slow.status, RT_OK);
  rt_msg_free(slow.resp);
  while (!shutdown_done)
    uv_run(&F.loop, UV_RUN_ONCE);
  ck_assert_int_eq(shutdown_done, 1);
  convert(&late, "EUR", 1, RT_SEC);
  wait_idle();
  ck_assert_int_eq(late.status, RT_UNAVAILABLE);
}
END_TEST

START_TEST(test_grace_expiry) {
  /* A call longer than the grace period (2 s) is failed with UNAVAILABLE. */
  result_t slow;
  convert(&slow, "SLOWC", 10000, 0);
  while (testsvc_stats.calls == 0)
    uv_run(&F.loop, UV_RUN_ONCE);
  rt_time_t t0 = rt_now(F.cli);
  rt_live_shutdown(F.srv, on_shutdown, NULL);
  wait_idle();
  ck_assert_int_eq(slow.status, RT_UNAVAILABLE);
  ck_assert_int_lt(rt_now(F.cli) - t0, 4 * RT_SEC);
  ck_assert_int_eq(testsvc_stats.cancels, 1);
  while (!shutdown_done)
    uv_run(&F.loop, UV_RUN_ONCE);
}
END_TEST

START_TEST(test_config_env) {
  rt_live_config_t cfg;
  char err[256];
  static const char *bad[][2] = {
      {"PORT", "abc"},      {"PORT", "70000"},       {"PORT", "-1"},
      {"BIND_ADDR", "x.y"}, {"SHUTDOWN_GRACE_SECONDS", "soon"},
      {"GRPC_KEEPALIVE_SECONDS", "0"}, {"LOG_LEVEL", "loud"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv(bad[i][0], bad[i][1], 1);
    ck_assert_int_eq(rt_live_config_from_env(&cfg, &testsvc_service, err,
                                             sizeof err), -1);
    ck_assert_msg(strstr(err, bad[i][0]) && strstr(err, bad[i][1]), "%s", err);
    unsetenv(bad[i][0]);
  }
  setenv("PORT", "8080", 1);
  setenv("BIND_ADDR", "::1", 1);
  setenv("SHUTDOWN_GRACE_SECONDS", "0", 1);
  ck_assert_int_eq(rt_live_config_from_env(&cfg, &testsvc_service, err,
                                           sizeof err), 0);
  ck_assert_int_eq(cfg.port, 8080);
  ck_assert_str_eq(cfg.bind_addr, "::1");
  ck_assert_int_eq(cfg.grace, 0);
  ck_assert_int_eq(cfg.keepalive, 60 * RT_SEC);
  unsetenv("PORT");
  unsetenv("BIND_ADDR");
  unsetenv("SHUTDOWN_GRACE_SECONDS");
  ck_assert_int_eq(rt_live_config_from_env(&cfg, &testsvc_service, err,
                                           sizeof err), 0);
  ck_assert_int_eq(cfg.port, 7000);
  /* rt_config_error from init: status 2, nothing left running. */
  setenv("TESTSVC_FAIL", "yes", 1);
  int st = 0;
  cfg.port = 0;
  ck_assert_ptr_null(rt_live_server_new(&F.loop, &testsvc_service, &cfg, &st));
  ck_assert_int_eq(st, 2);
  unsetenv("TESTSVC_FAIL");
}
END_TEST

START_TEST(test_rand_timers) {
  uint64_t a = rt_rand(F.cli), b = rt_rand(F.cli);
  ck_assert(a != b);
  for (int i = 0; i < 1000; i++)
    ck_assert_uint_lt(rt_rand_below(F.cli, 7), 7);
  rt_time_t now = rt_now(F.cli);
  ck_assert_int_gt(now, (rt_time_t)1700000000 * RT_SEC);
  ck_assert_str_eq(rt_name(F.cli), "testclient");
  ck_assert_str_eq(rt_name(F.srv), "testservice");
  ck_assert_int_eq(rt_serve(F.cli, NULL, NULL), -1);
}
END_TEST

static Suite *live_suite(void) {
  Suite *s = suite_create("live");
  TCase *tc = tcase_create("e2e");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_unary_ok);
  tcase_add_test(tc, test_error_message);
  tcase_add_test(tc, test_unimplemented);
  tcase_add_test(tc, test_bad_request_body);
  tcase_add_test(tc, test_deadline_exceeded);
  tcase_add_test(tc, test_deadline_propagation);
  tcase_add_test(tc, test_concurrent_100);
  tcase_add_test(tc, test_unavailable);
  tcase_add_test(tc, test_cancel);
  tcase_add_test(tc, test_health);
  tcase_add_test(tc, test_graceful_shutdown);
  tcase_add_test(tc, test_grace_expiry);
  tcase_add_test(tc, test_config_env);
  tcase_add_test(tc, test_rand_timers);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(live_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
