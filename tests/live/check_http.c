/*
 * check_http.c — the live runtime's HTTP/1.1 server and client in one
 * process and one loop: one protocol per instance, keep-alive reuse through
 * the pool, cancellation and deadlines of rt_http_invoke (and what the
 * server sees of them), argument checks, freeing with requests in flight.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpsvc.h"
#include "live.h"
#include "proto/demo.pb-c.h"

static uv_loop_t loop;
static rt_t *srv, *cli;
static char addr[64];

static void setup(void) {
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  rt_live_config_t cfg;
  char err[256];
  unsetenv("PORT");
  ck_assert_int_eq(
      rt_live_config_from_env(&cfg, &httpsvc_service, err, sizeof err), 0);
  snprintf(cfg.bind_addr, sizeof cfg.bind_addr, "127.0.0.1");
  cfg.port = 0;
  cfg.log_level = RT_WARNING;
  int st = -1;
  srv = rt_live_server_new(&loop, &httpsvc_service, &cfg, &st);
  ck_assert_ptr_nonnull(srv);
  ck_assert_int_eq(st, 0);
  snprintf(addr, sizeof addr, "127.0.0.1:%d", rt_live_port(srv));
  setenv("LOG_LEVEL", "warning", 1);
  cli = rt_live_client_new(&loop, "client");
  ck_assert_ptr_nonnull(cli);
  memset(&httpsvc_stats, 0, sizeof httpsvc_stats);
}

static void teardown(void) {
  rt_live_client_free(cli);
  rt_live_free(srv);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}

typedef struct result {
  int done;
  rt_status_t st;
  int status;
  char body[256];
  char msg[256];
} result_t;

static void got(void *user, rt_status_t st, const char *msg,
                const rt_http_response_t *r) {
  result_t *res = user;
  res->done++;
  res->st = st;
  snprintf(res->msg, sizeof res->msg, "%s", msg);
  if (r) {
    res->status = r->status;
    snprintf(res->body, sizeof res->body, "%.*s", (int)r->body_len,
             (const char *)r->body);
  }
}

static void run_until(result_t *r, int n) {
  for (int i = 0; i < 100000 && r->done < n; i++)
    uv_run(&loop, UV_RUN_ONCE);
}

static void no_handler(rt_call_t *call, const rt_http_request_t *req,
                       void *user) {}

START_TEST(test_one_protocol) {
  static const rt_service_def_t def = {"x.Y", NULL, 0};
  errno = 0;
  ck_assert_int_eq(rt_serve(srv, &def, NULL), -1);
  ck_assert_int_eq(errno, EBUSY);
  ck_assert_int_eq(rt_serve_http(srv, no_handler, NULL), -1);
  ck_assert_int_eq(errno, EBUSY);
  ck_assert_int_eq(rt_serve_http(cli, no_handler, NULL), -1);
  ck_assert_int_eq(errno, ENOSYS);
}
END_TEST

START_TEST(test_keepalive_pool) {
  result_t r = {0};
  for (int i = 0; i < 20; i++) {
    char target[32];
    snprintf(target, sizeof target, "/echo?i=%d", i);
    ck_assert_ptr_nonnull(rt_http_invoke(cli, addr, "POST", target, NULL, 0,
                                         "abc", 3, NULL, got, &r));
    run_until(&r, i + 1);
    ck_assert_int_eq(r.st, RT_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "abc");
  }
  /* one client connection (and its server side) for all 20 */
  ck_assert_uint_eq(rt_live_connections(cli), 1);
  ck_assert_uint_eq(rt_live_connections(srv), 1);

  /* 12 at once: at most 8 connections */
  memset(&r, 0, sizeof r);
  for (int i = 0; i < 12; i++)
    ck_assert_ptr_nonnull(rt_http_invoke(cli, addr, "GET", "/slow?ms=50",
                                         NULL, 0, NULL, 0, NULL, got, &r));
  run_until(&r, 12);
  ck_assert_int_eq(r.done, 12);
  ck_assert_str_eq(r.body, "slept\n");
  ck_assert_uint_le(rt_live_connections(cli), 8);
}
END_TEST

START_TEST(test_cancel_and_deadline) {
  result_t r = {0};
  rt_invoke_t *inv = rt_http_invoke(cli, addr, "GET", "/slow?ms=5000", NULL, 0,
                                    NULL, 0, NULL, got, &r);
  ck_assert_ptr_nonnull(inv);
  for (int i = 0; i < 200 && httpsvc_stats.calls == 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ck_assert_int_eq(httpsvc_stats.calls, 1);
  rt_invoke_cancel(inv);
  ck_assert_int_eq(r.done, 0); /* never from inside */
  run_until(&r, 1);
  ck_assert_int_eq(r.st, RT_CANCELLED);
  /* the server notices the closed connection and cancels its call */
  for (int i = 0; i < 1000 && httpsvc_stats.cancels == 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ck_assert_int_eq(httpsvc_stats.cancels, 1);

  memset(&r, 0, sizeof r);
  rt_invoke_opts_t o = {100 * RT_MSEC, NULL};
  ck_assert_ptr_nonnull(rt_http_invoke(cli, addr, "GET", "/slow?ms=3000", NULL,
                                       0, NULL, 0, &o, got, &r));
  run_until(&r, 1);
  ck_assert_int_eq(r.st, RT_DEADLINE_EXCEEDED);

  /* the pool still works */
  memset(&r, 0, sizeof r);
  ck_assert_ptr_nonnull(rt_http_invoke(cli, addr, "HEAD", "/hello", NULL, 0,
                                       NULL, 0, NULL, got, &r));
  run_until(&r, 1);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(r.body, "");
}
END_TEST

START_TEST(test_bad_arguments) {
  result_t r = {0};
  rt_http_header_t bad[] = {{"X-A", "line\r\nbreak"}};
  rt_http_header_t badname[] = {{"X A", "v"}};
  ck_assert_ptr_null(rt_http_invoke(cli, "nocolon", "GET", "/", NULL, 0, NULL,
                                    0, NULL, got, &r));
  ck_assert_int_eq(errno, EINVAL);
  ck_assert_ptr_null(rt_http_invoke(cli, addr, "G T", "/", NULL, 0, NULL, 0,
                                    NULL, got, &r));
  ck_assert_ptr_null(rt_http_invoke(cli, addr, "GET", "/a b", NULL, 0, NULL, 0,
                                    NULL, got, &r));
  ck_assert_ptr_null(rt_http_invoke(cli, addr, "GET", "/", bad, 1, NULL, 0,
                                    NULL, got, &r));
  ck_assert_ptr_null(rt_http_invoke(cli, addr, "GET", "/", badname, 1, NULL, 0,
                                    NULL, got, &r));
  ck_assert_ptr_null(rt_http_invoke(cli, addr, "GET", "/", NULL, 0, NULL, 0,
                                    NULL, NULL, &r));
  ck_assert_int_eq(errno, EINVAL);
  ck_assert_int_eq(rt_live_pending_invokes(cli), 0);
}
END_TEST

START_TEST(test_free_in_flight) {
  result_t r = {0};
  ck_assert_ptr_nonnull(rt_http_invoke(cli, addr, "GET", "/slow?ms=5000", NULL,
                                       0, NULL, 0, NULL, got, &r));
  for (int i = 0; i < 200 && httpsvc_stats.calls == 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ck_assert_ptr_nonnull(rt_http_invoke(cli, "127.0.0.1:1", "GET", "/", NULL, 0,
                                       NULL, 0, NULL, got, &r));
  /* teardown frees both instances with the calls in flight: no callback */
  rt_live_client_free(cli);
  cli = rt_live_client_new(&loop, "client2");
  rt_live_free(srv);
  setenv("PORT", "0", 1);
  setenv("BIND_ADDR", "127.0.0.1", 1);
  srv = rt_live_server_new(&loop, &httpsvc_service, NULL, NULL);
  unsetenv("PORT");
  unsetenv("BIND_ADDR");
  ck_assert_int_eq(r.done, 0);
  ck_assert_int_eq(httpsvc_stats.cancels, 1); /* the server's call */
  ck_assert_ptr_nonnull(srv);
}
END_TEST

int main(void) {
  Suite *s = suite_create("http");
  TCase *tc = tcase_create("live");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_one_protocol);
  tcase_add_test(tc, test_keepalive_pool);
  tcase_add_test(tc, test_cancel_and_deadline);
  tcase_add_test(tc, test_bad_arguments);
  tcase_add_test(tc, test_free_in_flight);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
