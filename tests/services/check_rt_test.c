/*
 * check_rt_test.c — the test runtime itself: dispatch, virtual time,
 * deadlines, cancellation (of calls and, through the parent, of outgoing
 * calls), stubs, randomness, environment, config errors and logs; the HTTP
 * driver (rt_test_http) and HTTP stubs (rt_test_http_stub).
 */
#include "check_util.h"

typedef struct sleeper {
  rt_call_t *call;
  rt_timer_t *timer;
} sleeper_t;

static int cancel_cb_runs;

static void sleep_fire(void *arg) {
  sleeper_t *s = arg;
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  rt_reply(s->call, &e.base);
  free(s);
}

static void sleep_cancelled(rt_call_t *call, void *arg) {
  sleeper_t *s = arg;
  cancel_cb_runs++;
  ck_assert(rt_call_cancelled(call));
  rt_timer_cancel(s->timer);
  rt_fail(call, RT_CANCELLED, "gave up");
  free(s);
}

/* Echo: replies at once. */
static void on_echo(rt_call_t *call, const ProtobufCMessage *req, void *u) {
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  rt_reply(call, &e.base);
}

/* Sleep: replies after 1 s, or ends at once when cancelled. */
static void on_sleep(rt_call_t *call, const ProtobufCMessage *req, void *u) {
  sleeper_t *s = calloc(1, sizeof *s);
  s->call = call;
  s->timer = rt_timer_start(rt_call_rt(call), RT_SEC, sleep_fire, s);
  rt_call_on_cancel(call, sleep_cancelled, s);
}

/* Hang: never ends the call (a bug the runtime must report). */
static void on_hang(rt_call_t *call, const ProtobufCMessage *req, void *u) {}

/* Relay: calls Remote/Get at remote:1 on the call's behalf. */
static void relay_done(void *user, rt_status_t st, const char *msg,
                       ProtobufCMessage *resp) {
  rt_call_t *call = user;
  rt_msg_free(resp);
  if (st == RT_OK) {
    Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
    rt_reply(call, &e.base);
  } else {
    rt_fail(call, st, "remote: %s", msg);
  }
}

static void on_relay(rt_call_t *call, const ProtobufCMessage *req, void *u) {
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  rt_invoke_opts_t o = {0, call};
  rt_invoke_t *inv =
      rt_invoke(rt_call_rt(call), "remote:1", "test.Remote", "Get", &e.base,
                &hipstershop__empty__descriptor, &o, relay_done, call);
  ck_assert_ptr_nonnull(inv);
}

static const rt_method_t methods[] = {
    {"Echo", &hipstershop__empty__descriptor, &hipstershop__empty__descriptor,
     on_echo},
    {"Sleep", &hipstershop__empty__descriptor, &hipstershop__empty__descriptor,
     on_sleep},
    {"Hang", &hipstershop__empty__descriptor, &hipstershop__empty__descriptor,
     on_hang},
    {"Relay", &hipstershop__empty__descriptor, &hipstershop__empty__descriptor,
     on_relay},
};
static const rt_service_def_t def = {"test.Svc", methods, 4};

static int fake_init(rt_t *rt) {
  const char *bad = rt_env(rt, "BAD");
  if (bad) {
    rt_config_error(rt, "BAD", bad, "not allowed");
    return -1;
  }
  rt_log(rt, RT_INFO, "started", "mode", rt_env(rt, "MODE"), NULL);
  return rt_serve(rt, &def, NULL);
}

static const rt_service_t fake = {"fakeservice", 1, fake_init, NULL};

static rt_status_t remote_ok(void *user, const ProtobufCMessage *req,
                             const ProtobufCMessage **resp, char *msg,
                             size_t n) {
  static Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  *resp = &e.base;
  return RT_OK;
}

static rt_status_t remote_fail(void *user, const ProtobufCMessage *req,
                               const ProtobufCMessage **resp, char *msg,
                               size_t n) {
  snprintf(msg, n, "boom");
  return RT_NOT_FOUND;
}

static Hipstershop__Empty empty = HIPSTERSHOP__EMPTY__INIT;
static rt_status_t st;
static const char *msg;
static ProtobufCMessage *resp;

START_TEST(test_echo_and_names) {
  const char *env[] = {"MODE=fast", NULL};
  rt_test_t *t = rt_test_new(&fake, env, 1);
  ck_assert_ptr_nonnull(t);
  CALL(t, "test.Svc", "Echo", &empty.base, &hipstershop__empty__descriptor, 0,
       &st, &msg, &resp);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_str_eq(msg, "");
  ck_assert_ptr_nonnull(resp);
  rt_msg_free(resp);
  CALL(t, "Svc", "Echo", &empty.base, &hipstershop__empty__descriptor, 0, &st,
       &msg, &resp);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(resp);
  ck_assert_int_eq(rt_test_call(t, "test.Svc", "Nope", &empty.base,
                                &hipstershop__empty__descriptor, 0, &st, &msg,
                                &resp),
                   -1);
  ck_assert_int_ge(rt_test_log_find(t, "INFO started mode=fast"), 0);
  ck_assert_str_eq(rt_name(rt_test_rt(t)), "fakeservice");
  ck_assert_str_eq(rt_env(rt_test_rt(t), "MODE"), "fast");
  ck_assert_ptr_null(rt_env(rt_test_rt(t), "MOD"));
  rt_test_free(t);
}
END_TEST

START_TEST(test_init_error) {
  const char *env[] = {"BAD=1", NULL};
  ck_assert_ptr_null(rt_test_new(&fake, env, 1));
  ck_assert_str_eq(rt_test_last_init_error(), "BAD=1: not allowed\n");
}
END_TEST

START_TEST(test_virtual_time_and_deadline) {
  rt_test_t *t = rt_test_new(&fake, NULL, 1);
  rt_time_t t0 = rt_test_now(t);
  ck_assert_int_eq(t0, RT_TEST_EPOCH);
  CALL(t, "Svc", "Sleep", &empty.base, &hipstershop__empty__descriptor, 0, &st,
       &msg, &resp);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(resp);
  ck_assert_int_eq(rt_test_last_duration(t), RT_SEC);
  ck_assert_int_eq(rt_test_now(t), t0 + RT_SEC);

  cancel_cb_runs = 0;
  CALL(t, "Svc", "Sleep", &empty.base, &hipstershop__empty__descriptor,
       300 * RT_MSEC, &st, &msg, &resp);
  ck_assert_int_eq(st, RT_DEADLINE_EXCEEDED);
  ck_assert_ptr_null(resp);
  ck_assert_int_eq(rt_test_last_duration(t), 300 * RT_MSEC);
  ck_assert_int_eq(cancel_cb_runs, 1);
  rt_test_free(t);
}
END_TEST

START_TEST(test_client_cancel) {
  rt_test_t *t = rt_test_new(&fake, NULL, 1);
  cancel_cb_runs = 0;
  ck_assert_int_eq(rt_test_call_ex(t, "Svc", "Sleep", &empty.base,
                                   &hipstershop__empty__descriptor, 0,
                                   100 * RT_MSEC, &st, &msg, &resp),
                   0);
  ck_assert_int_eq(st, RT_CANCELLED);
  ck_assert_int_eq(cancel_cb_runs, 1);
  ck_assert_int_eq(rt_test_last_duration(t), 100 * RT_MSEC);
  rt_test_free(t);
}
END_TEST

START_TEST(test_hang_reported) {
  rt_test_t *t = rt_test_new(&fake, NULL, 1);
  ck_assert_int_eq(rt_test_call(t, "Svc", "Hang", &empty.base,
                                &hipstershop__empty__descriptor, 0, &st, &msg,
                                &resp),
                   -1);
  ck_assert_ptr_nonnull(strstr(msg, "never ended"));
  rt_test_free(t);
}
END_TEST

START_TEST(test_stubs) {
  rt_test_t *t = rt_test_new(&fake, NULL, 1);
  /* No stub: no route. */
  CALL(t, "Svc", "Relay", &empty.base, &hipstershop__empty__descriptor, 0, &st,
       &msg, &resp);
  ck_assert_int_eq(st, RT_UNAVAILABLE);
  ck_assert_str_eq(msg, "remote: no route to remote:1");

  rt_test_stub_t *s = rt_test_stub(t, "remote:1", "test.Remote", "Get",
                                   &hipstershop__empty__descriptor, remote_ok,
                                   NULL);
  rt_test_stub_set_delay(s, 50 * RT_MSEC);
  CALL(t, "Svc", "Relay", &empty.base, &hipstershop__empty__descriptor,
       RT_SEC, &st, &msg, &resp);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(resp);
  ck_assert_int_eq(rt_test_last_duration(t), 50 * RT_MSEC);
  ck_assert_uint_eq(rt_test_stub_calls(s), 1);
  /* The parent's deadline is propagated. */
  ck_assert_int_eq(rt_test_stub_last_deadline(s),
                   rt_test_now(t) - 50 * RT_MSEC + RT_SEC);

  /* Parent deadline before the stub answers: the outgoing call is cut. */
  rt_test_stub_set_delay(s, 5 * RT_SEC);
  CALL(t, "Svc", "Relay", &empty.base, &hipstershop__empty__descriptor,
       RT_SEC, &st, &msg, &resp);
  ck_assert_int_eq(st, RT_DEADLINE_EXCEEDED);
  ck_assert_uint_eq(rt_test_stub_cancelled(s), 1);

  /* Client cancels the parent: the child is cancelled too. */
  ck_assert_int_eq(rt_test_call_ex(t, "Svc", "Relay", &empty.base,
                                   &hipstershop__empty__descriptor, 0,
                                   10 * RT_MSEC, &st, &msg, &resp),
                   0);
  ck_assert_int_eq(st, RT_CANCELLED);
  ck_assert_uint_eq(rt_test_stub_cancelled(s), 2);

  /* Remote errors come back with their code and message. */
  rt_test_stub(t, "*", "Remote", "Get", &hipstershop__empty__descriptor,
               remote_fail, NULL);
  rt_test_stub(t, "remote:1", "test.Remote", "Get",
               &hipstershop__empty__descriptor, remote_fail, NULL);
  CALL(t, "Svc", "Relay", &empty.base, &hipstershop__empty__descriptor, 0, &st,
       &msg, &resp);
  ck_assert_int_eq(st, RT_NOT_FOUND);
  ck_assert_str_eq(msg, "remote: boom");
  rt_test_free(t);
}
END_TEST

static int fired;
static void count_fire(void *arg) { fired += *(int *)arg; }

START_TEST(test_timers_and_rand) {
  rt_test_t *t = rt_test_new(&fake, NULL, 42);
  rt_t *rt = rt_test_rt(t);
  int one = 1, ten = 10;
  fired = 0;
  rt_timer_start(rt, 2 * RT_SEC, count_fire, &one);
  rt_timer_t *x = rt_timer_start(rt, RT_SEC, count_fire, &ten);
  rt_timer_start(rt, 3 * RT_SEC, count_fire, &ten);
  rt_timer_cancel(x);
  ck_assert_uint_eq(rt_test_advance(t, 2 * RT_SEC), 1);
  ck_assert_int_eq(fired, 1);
  ck_assert_uint_eq(rt_test_advance(t, 2 * RT_SEC), 1);
  ck_assert_int_eq(fired, 11);
  rt_test_set_now(t, 5);
  ck_assert_int_eq(rt_now(rt), 5);

  rt_test_t *u = rt_test_new(&fake, NULL, 42);
  rt_test_t *v = rt_test_new(&fake, NULL, 43);
  uint64_t a = rt_rand(rt), b = rt_rand(rt_test_rt(u)),
           c = rt_rand(rt_test_rt(v));
  ck_assert_uint_eq(a, b);
  ck_assert_uint_ne(a, c);
  for (int i = 0; i < 1000; i++)
    ck_assert_uint_lt(rt_rand_below(rt, 7), 7);
  rt_test_free(t);
  rt_test_free(u);
  rt_test_free(v);
}
END_TEST

/* ---------------- HTTP ---------------- */

typedef struct hslow {
  rt_call_t *call;
  rt_timer_t *timer;
  rt_invoke_t *inv;
} hslow_t;

static int http_cancels;

static void hslow_fire(void *arg) {
  hslow_t *h = arg;
  rt_http_respond(h->call, 200, NULL, 0, "late", 4);
  free(h);
}

static void hslow_cancel(rt_call_t *call, void *arg) {
  hslow_t *h = arg;
  http_cancels++;
  ck_assert(rt_call_cancelled(call));
  rt_timer_cancel(h->timer);
  /* The respond after the client left is dropped. */
  rt_http_respond(call, 200, NULL, 0, "dropped", 7);
  free(h);
}

static void hrelay_done(void *user, rt_status_t code, const char *message,
                        const rt_http_response_t *r) {
  rt_call_t *call = user;
  if (code != RT_OK) {
    rt_fail(call, code, "upstream: %s", message);
    return;
  }
  char buf[256];
  int n = snprintf(buf, sizeof buf, "%d %s %.*s", r->status,
                   r->n_headers ? r->headers[0].name : "-", (int)r->body_len,
                   (const char *)r->body);
  rt_http_respond(call, 200, NULL, 0, buf, (size_t)n);
}

static void on_http(rt_call_t *call, const rt_http_request_t *req, void *u) {
  ck_assert_str_eq(rt_call_path(call), req->path);
  ck_assert_ptr_eq(u, &fired);
  if (strcmp(req->path, "/echo") == 0) {
    char buf[512];
    const char *x = rt_http_header(req, "X-Thing");
    int n = snprintf(buf, sizeof buf, "%s|%s|%s|%s|%s|%zu|%s|%.*s",
                     req->method, req->target, req->path, req->query,
                     x ? x : "-", req->n_headers,
                     req->n_headers ? req->headers[0].name : "-",
                     (int)req->body_len, (const char *)req->body);
    rt_http_header_t h[] = {{"Content-Type", "text/plain"},
                            {"Set-Cookie", "a=1"},
                            {"Set-Cookie", "b=2"}};
    rt_http_respond(call, 201, h, 3, buf, (size_t)n);
  } else if (strcmp(req->path, "/slow") == 0) {
    hslow_t *h = calloc(1, sizeof *h);
    h->call = call;
    h->timer = rt_timer_start(rt_call_rt(call), RT_SEC, hslow_fire, h);
    rt_call_on_cancel(call, hslow_cancel, h);
  } else if (strcmp(req->path, "/relay") == 0) {
    rt_invoke_opts_t o = {0, call};
    rt_http_header_t h[] = {{"Accept", "*/*"}};
    ck_assert_ptr_nonnull(rt_http_invoke(rt_call_rt(call), "shop:80", "POST",
                                         "/up?q=1", h, 1, "hi", 2, &o,
                                         hrelay_done, call));
  } else if (strcmp(req->path, "/hang") == 0) {
  } else {
    rt_fail(call, RT_NOT_FOUND, "no route %s", req->path);
  }
}

static int http_init(rt_t *rt) {
  ck_assert_int_eq(rt_serve_http(rt, on_http, &fired), 0);
  ck_assert_int_eq(rt_serve_http(rt, on_http, NULL), -1);
  ck_assert_int_eq(rt_serve(rt, &def, NULL), -1);
  return 0;
}

static const rt_service_t fakehttp = {"fakefrontend", 8080, http_init, NULL};

START_TEST(test_http_serve) {
  rt_test_t *t = rt_test_new(&fakehttp, NULL, 1);
  ck_assert_ptr_nonnull(t);
  rt_test_http_result_t r;
  rt_http_header_t h[] = {{"X-Thing", "yes"}, {"Content-Type", "a/b"}};
  ck_assert_int_eq(
      rt_test_http(t, "POST", "/echo?x=1&y", h, 2, "body!", 5, 0, &r), 0);
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(r.error, "");
  ck_assert_str_eq((const char *)r.body,
                   "POST|/echo?x=1&y|/echo|x=1&y|yes|2|x-thing|body!");
  ck_assert_uint_eq(r.body_len, strlen((const char *)r.body));
  ck_assert_str_eq(rt_test_http_result_header(&r, "content-type"),
                   "text/plain");
  ck_assert_str_eq(r.headers[0].name, "content-type");
  ck_assert_str_eq(rt_test_http_result_header_nth(&r, "Set-Cookie", 0), "a=1");
  ck_assert_str_eq(rt_test_http_result_header_nth(&r, "Set-Cookie", 1), "b=2");
  ck_assert_ptr_null(rt_test_http_result_header_nth(&r, "Set-Cookie", 2));
  ck_assert_ptr_null(rt_test_http_result_header(&r, "date"));

  /* No query, no headers, no body; HEAD drops the body. */
  ck_assert_int_eq(rt_test_http(t, "GET", "/echo", NULL, 0, NULL, 0, 0, &r), 0);
  ck_assert_str_eq((const char *)r.body, "GET|/echo|/echo||-|0|-|");
  ck_assert_int_eq(rt_test_http(t, "HEAD", "/echo", NULL, 0, NULL, 0, 0, &r), 0);
  ck_assert_int_eq(r.status, 201);
  ck_assert_uint_eq(r.body_len, 0);

  /* rt_fail maps to an HTTP status with a text/plain message. */
  ck_assert_int_eq(rt_test_http(t, "GET", "/nope", NULL, 0, NULL, 0, 0, &r), 0);
  ck_assert_int_eq(r.status, 404);
  ck_assert_int_eq(r.fail_code, RT_NOT_FOUND);
  ck_assert_str_eq((const char *)r.body, "no route /nope");
  ck_assert_str_eq(rt_test_http_result_header(&r, "Content-Type"),
                   "text/plain; charset=utf-8");

  /* Virtual time: the slow page answers after 1 s. */
  ck_assert_int_eq(rt_test_http(t, "GET", "/slow", NULL, 0, NULL, 0, 0, &r), 0);
  ck_assert_int_eq(r.status, 200);
  ck_assert_int_eq(rt_test_last_duration(t), RT_SEC);

  /* The client gives up (timeout, disconnect): the call is cancelled. */
  http_cancels = 0;
  ck_assert_int_eq(
      rt_test_http(t, "GET", "/slow", NULL, 0, NULL, 0, 100 * RT_MSEC, &r), 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.error, "deadline exceeded");
  ck_assert_int_eq(rt_test_http_ex(t, "GET", "/slow", NULL, 0, NULL, 0, 0,
                                   10 * RT_MSEC, &r),
                   0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.error, "cancelled by client");
  ck_assert_int_eq(http_cancels, 2);

  /* Hanging handler reported. */
  ck_assert_int_eq(rt_test_http(t, "GET", "/hang", NULL, 0, NULL, 0, 0, &r),
                   -1);
  ck_assert_ptr_nonnull(strstr(r.error, "never ended"));
  rt_test_free(t);

  /* Body limit from HTTP_MAX_BODY_BYTES: 413 without the handler. */
  const char *env[] = {"HTTP_MAX_BODY_BYTES=4", NULL};
  t = rt_test_new(&fakehttp, env, 1);
  ck_assert_int_eq(rt_test_http(t, "POST", "/echo", NULL, 0, "12345", 5, 0, &r),
                   0);
  ck_assert_int_eq(r.status, 413);
  ck_assert_int_eq(rt_test_http(t, "POST", "/echo", NULL, 0, "1234", 4, 0, &r),
                   0);
  ck_assert_int_eq(r.status, 201);
  rt_test_free(t);

  /* A gRPC service has no HTTP handler. */
  t = rt_test_new(&fake, NULL, 1);
  ck_assert_int_eq(rt_test_http(t, "GET", "/", NULL, 0, NULL, 0, 0, &r), -1);
  ck_assert_str_eq(r.error, "the service does not serve HTTP");
  rt_test_free(t);
}
END_TEST

static rt_status_t shop_ok(void *user, const rt_http_request_t *req,
                           rt_test_http_reply_t *reply, char *m, size_t n) {
  static const rt_http_header_t h[] = {{"X-From", "stub"}};
  static char buf[128];
  ck_assert_str_eq(req->path, "/up");
  ck_assert_str_eq(req->query, "q=1");
  ck_assert_str_eq(rt_http_header(req, "accept"), "*/*");
  snprintf(buf, sizeof buf, "%s:%.*s", req->method, (int)req->body_len,
           (const char *)req->body);
  reply->status = 202;
  reply->headers = h;
  reply->n_headers = 1;
  reply->body = buf;
  reply->body_len = strlen(buf);
  return RT_OK;
}

static rt_status_t shop_down(void *user, const rt_http_request_t *req,
                             rt_test_http_reply_t *reply, char *m, size_t n) {
  snprintf(m, n, "connection refused");
  return RT_UNAVAILABLE;
}

START_TEST(test_http_stubs) {
  rt_test_t *t = rt_test_new(&fakehttp, NULL, 1);
  rt_test_http_result_t r;
  ck_assert_int_eq(rt_test_http(t, "GET", "/relay", NULL, 0, NULL, 0, 0, &r),
                   0);
  ck_assert_int_eq(r.status, 503);
  ck_assert_str_eq((const char *)r.body, "upstream: no route to shop:80");

  rt_test_stub_t *any = rt_test_http_stub(t, "*", shop_down, NULL);
  ck_assert_int_eq(rt_test_http(t, "GET", "/relay", NULL, 0, NULL, 0, 0, &r),
                   0);
  ck_assert_str_eq((const char *)r.body, "upstream: connection refused");
  ck_assert_uint_eq(rt_test_stub_calls(any), 1);

  rt_test_stub_t *s = rt_test_http_stub(t, "shop:80", shop_ok, NULL);
  rt_test_stub_set_delay(s, 20 * RT_MSEC);
  ck_assert_int_eq(
      rt_test_http(t, "GET", "/relay", NULL, 0, NULL, 0, RT_SEC, &r), 0);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq((const char *)r.body, "202 x-from POST:hi");
  ck_assert_int_eq(rt_test_last_duration(t), 20 * RT_MSEC);
  ck_assert_uint_eq(rt_test_stub_calls(s), 1);
  ck_assert_uint_eq(rt_test_stub_calls(any), 1);
  ck_assert_int_eq(rt_test_stub_last_deadline(s),
                   rt_test_now(t) - 20 * RT_MSEC + RT_SEC);

  /* The parent's deadline cuts the child; a disconnect cancels it. */
  rt_test_stub_set_delay(s, 5 * RT_SEC);
  ck_assert_int_eq(
      rt_test_http(t, "GET", "/relay", NULL, 0, NULL, 0, RT_SEC, &r), 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_uint_eq(rt_test_stub_cancelled(s), 1);
  ck_assert_int_eq(rt_test_http_ex(t, "GET", "/relay", NULL, 0, NULL, 0, 0,
                                   RT_MSEC, &r),
                   0);
  ck_assert_str_eq(r.error, "cancelled by client");
  ck_assert_uint_eq(rt_test_stub_cancelled(s), 2);

  /* Bad arguments. */
  rt_t *rt = rt_test_rt(t);
  ck_assert_ptr_null(rt_http_invoke(rt, "noport", "GET", "/", NULL, 0, NULL, 0,
                                    NULL, hrelay_done, NULL));
  ck_assert_ptr_null(rt_http_invoke(rt, "a:1", "G T", "/", NULL, 0, NULL, 0,
                                    NULL, hrelay_done, NULL));
  ck_assert_ptr_null(rt_http_invoke(rt, "a:1", "GET", "x", NULL, 0, NULL, 0,
                                    NULL, hrelay_done, NULL));
  rt_test_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("rt_test");
  TCase *tc = tcase_create("runtime");
  tcase_add_test(tc, test_echo_and_names);
  tcase_add_test(tc, test_init_error);
  tcase_add_test(tc, test_virtual_time_and_deadline);
  tcase_add_test(tc, test_client_cancel);
  tcase_add_test(tc, test_hang_reported);
  tcase_add_test(tc, test_stubs);
  tcase_add_test(tc, test_timers_and_rand);
  tcase_add_test(tc, test_http_serve);
  tcase_add_test(tc, test_http_stubs);
  suite_add_tcase(s, tc);
  return check_run(s);
}
