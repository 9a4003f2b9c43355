/*
 * check_rt_test.c — the test runtime itself: dispatch, virtual time,
 * deadlines, cancellation (of calls and, through the parent, of outgoing
 * calls), stubs, randomness, environment, config errors and logs.
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
  suite_add_tcase(s, tc);
  return check_run(s);
}
