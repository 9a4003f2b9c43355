/* tests/sim/vrt_mesh_test.c: the virtual runtime's mesh hook
 * (vrt_world_set_mesh) with a scripted hook, no mesh library: the pod the
 * hook picks, its delay, local answers, a server-side denial, retries (one
 * client report, a server report per attempt), the route and per-try
 * timeouts, and |end| for every |send|, also for abandoned calls (Check,
 * fork mode). */
#include <check.h>
#include <string.h>

#include "currency/currency.h"
#include "proto/demo.pb-c.h"
#include "vrt_test_util.h"

#define ADDR "currencyservice:7000"

typedef struct script {
	/* what the hook does */
	vrt_pod_t *pick;
	des_time_t delay, timeout, try_timeout;
	int local_until; /* attempts 1..local_until answer locally */
	int deny;
	int retries;     /* retry this many times after a failure */
	/* what it saw */
	int sends, recvs, ends, abandoned, last_attempt, timed_out, try_timed_out;
	int tokens_ok;
} script_t;

static void h_send(void *user, const vrt_mesh_call_t *c, vrt_mesh_send_t *o)
{
	script_t *s = user;
	s->sends++;
	s->last_attempt = (int)c->attempt;
	ck_assert_ptr_nonnull(c->eps); /* resolved for send */
	ck_assert_str_eq(c->path, "/hipstershop.CurrencyService/GetSupportedCurrencies");
	o->token = s;
	o->mtls = 1;
	o->flags = "S";
	o->timeout = s->timeout;
	o->try_timeout = s->try_timeout;
	if ((int)c->attempt <= s->local_until) {
		o->local = 1;
		o->status = RT_UNAVAILABLE;
		o->msg = "local";
		o->delay = DES_MS(5);
		o->flags = "L";
		return;
	}
	o->server = s->pick;
	o->delay = s->delay;
}

static void h_recv(void *user, const vrt_mesh_call_t *c, void *token,
                   const vrt_pod_t *server, vrt_mesh_recv_t *o)
{
	script_t *s = user;
	(void)c;
	(void)server;
	s->recvs++;
	s->tokens_ok += token == s;
	if (s->deny) {
		o->deny = 1;
		o->status = RT_PERMISSION_DENIED;
		o->msg = "RBAC: access denied";
		o->flags = "D";
	}
}

static void h_end(void *user, const vrt_mesh_call_t *c, void *token,
                  vrt_mesh_end_t *io)
{
	script_t *s = user;
	s->ends++;
	s->tokens_ok += token == s;
	s->abandoned += io->abandoned;
	s->timed_out += io->timed_out;
	s->try_timed_out += io->try_timed_out;
	if (!io->abandoned && (io->status != RT_OK || io->try_timed_out) &&
	    (int)c->attempt <= s->retries)
		io->retry_after = DES_MS(10);
	else if (io->status == RT_OK)
		io->flags = "-";
}

static const vrt_mesh_ops_t OPS = {h_send, h_recv, h_end};

typedef struct rec {
	int done;
	rt_status_t st;
	des_time_t at;
	vrt_world_t *w;
	int nobs, nsobs;
	char cflags[16], sflags[16];
	int cmtls;
	char server[32];
} rec_t;

static void on_obs(void *user, const vrt_obs_t *o)
{
	rec_t *r = user;
	r->nobs++;
	if (o->reporter == VRT_REPORT_CLIENT) {
		snprintf(r->cflags, sizeof r->cflags, "%s", o->response_flags);
		r->cmtls = o->mtls;
	} else {
		r->nsobs++;
		snprintf(r->sflags, sizeof r->sflags, "%s", o->response_flags);
		snprintf(r->server, sizeof r->server, "%s", vrt_pod_name(o->server));
	}
}

static void on_done(void *user, rt_status_t st, const char *msg,
                    ProtobufCMessage *resp)
{
	rec_t *r = user;
	(void)msg;
	r->done++;
	r->st = st;
	r->at = des_now(vrt_world_des(r->w));
	rt_msg_free(resp);
}

static void call(vrt_world_t *w, vrt_pod_t *from, rec_t *r)
{
	Hipstershop__Empty req = HIPSTERSHOP__EMPTY__INIT;
	r->w = w;
	ck_assert_ptr_nonnull(rt_invoke(
	    vrt_pod_rt(from), ADDR, "hipstershop.CurrencyService",
	    "GetSupportedCurrencies", &req.base,
	    &hipstershop__get_supported_currencies_response__descriptor, NULL,
	    on_done, r));
}

typedef struct env {
	vrt_world_t *w;
	vrt_pod_t *a, *b, *client;
	script_t s;
	rec_t r;
} env_t;

static void env_init(env_t *e)
{
	memset(e, 0, sizeof *e);
	e->w = world(5);
	e->a = start(e->w, &currency_service, "cur-a", NULL, 1, ADDR);
	e->b = start(e->w, &currency_service, "cur-b", NULL, 1, ADDR);
	e->client = start(e->w, &currency_service, "client", NULL, 1, NULL);
	vrt_world_set_obs(e->w, on_obs, &e->r);
	vrt_world_set_mesh(e->w, &OPS, &e->s);
}

START_TEST(hook_picks_delays_and_flags)
{
	env_t e;
	env_init(&e);
	e.s.pick = e.b; /* round robin would take cur-a first */
	e.s.delay = DES_MS(3);
	call(e.w, e.client, &e.r);
	vrt_run(e.w, DES_S(1));
	ck_assert_int_eq(e.r.st, RT_OK);
	ck_assert_str_eq(e.r.server, "cur-b");
	ck_assert_int_ge(e.r.at, DES_MS(3));
	ck_assert_str_eq(e.r.cflags, "-"); /* |end|'s flags win */
	ck_assert_str_eq(e.r.sflags, "-");
	ck_assert_int_eq(e.r.cmtls, 1);
	ck_assert_int_eq(e.s.sends, 1);
	ck_assert_int_eq(e.s.recvs, 1);
	ck_assert_int_eq(e.s.ends, 1);
	ck_assert_int_eq(e.s.tokens_ok, 2);
	vrt_world_free(e.w);
}
END_TEST

START_TEST(hook_local_answer)
{
	env_t e;
	env_init(&e);
	e.s.local_until = 1;
	call(e.w, e.client, &e.r);
	vrt_run(e.w, DES_S(1));
	ck_assert_int_eq(e.r.st, RT_UNAVAILABLE);
	ck_assert_int_eq(e.r.at, DES_MS(5));
	ck_assert_str_eq(e.r.cflags, "L");
	ck_assert_int_eq(e.r.nsobs, 0);
	ck_assert_int_eq(e.s.recvs, 0);
	ck_assert_int_eq(e.s.ends, 1);
	vrt_world_free(e.w);
}
END_TEST

START_TEST(hook_denies_at_the_server)
{
	env_t e;
	env_init(&e);
	e.s.pick = e.a;
	e.s.deny = 1;
	call(e.w, e.client, &e.r);
	vrt_run(e.w, DES_S(1));
	ck_assert_int_eq(e.r.st, RT_PERMISSION_DENIED);
	ck_assert_int_eq(e.r.nsobs, 1);
	ck_assert_str_eq(e.r.sflags, "D");
	uint64_t jobs;
	vrt_pod_cpu(e.a, NULL, NULL, &jobs);
	ck_assert_uint_eq(jobs, 0); /* the app never saw it */
	vrt_world_free(e.w);
}
END_TEST

START_TEST(hook_retries_after_a_back_off)
{
	env_t e;
	env_init(&e);
	e.s.pick = e.a;
	e.s.local_until = 2; /* two local failures, then through */
	e.s.retries = 2;
	call(e.w, e.client, &e.r);
	vrt_run(e.w, DES_S(1));
	ck_assert_int_eq(e.r.done, 1);
	ck_assert_int_eq(e.r.st, RT_OK);
	ck_assert_int_eq(e.s.sends, 3);
	ck_assert_int_eq(e.s.ends, 3);
	ck_assert_int_eq(e.s.last_attempt, 3);
	ck_assert_int_ge(e.r.at, DES_MS(2 * (5 + 10)));
	ck_assert_int_eq(e.r.nobs, 2); /* one client report, one server */
	vrt_world_free(e.w);
}
END_TEST

START_TEST(hook_route_timeout)
{
	env_t e;
	env_init(&e);
	e.s.pick = e.a;
	e.s.delay = DES_MS(50);
	e.s.timeout = DES_MS(20);
	call(e.w, e.client, &e.r);
	vrt_run(e.w, DES_S(1));
	ck_assert_int_eq(e.r.st, RT_UNAVAILABLE);
	ck_assert_int_eq(e.r.at, DES_MS(20));
	ck_assert_int_eq(e.s.timed_out, 1);
	ck_assert_int_eq(e.s.ends, 1);
	vrt_world_free(e.w);
}
END_TEST

START_TEST(hook_per_try_timeout_then_retry)
{
	env_t e;
	env_init(&e);
	e.s.pick = e.a;
	e.s.delay = DES_MS(50);
	e.s.try_timeout = DES_MS(20);
	e.s.retries = 1;
	call(e.w, e.client, &e.r);
	vrt_run(e.w, DES_S(1));
	/* Both tries time out (the request is still on its way); the second
	 * is the last: its sidecar answers. */
	ck_assert_int_eq(e.r.done, 1);
	ck_assert_int_eq(e.r.st, RT_UNAVAILABLE);
	ck_assert_int_eq(e.s.try_timed_out, 2);
	ck_assert_int_eq(e.s.sends, 2);
	ck_assert_int_eq(e.s.ends, 2);
	ck_assert_int_eq(e.s.recvs, 0);
	ck_assert_int_eq(e.r.at, DES_MS(20 + 10 + 20));
	vrt_world_free(e.w);
}
END_TEST

START_TEST(hook_end_for_abandoned_calls)
{
	env_t e;
	env_init(&e);
	e.s.pick = e.a;
	e.s.delay = DES_MS(50);
	call(e.w, e.client, &e.r);
	vrt_run(e.w, DES_MS(10));
	vrt_pod_kill(e.client);
	ck_assert_int_eq(e.s.ends, 1);
	ck_assert_int_eq(e.s.abandoned, 1);
	vrt_run(e.w, DES_S(1));
	ck_assert_int_eq(e.r.nobs, 0); /* not reported: its sidecar died too */
	vrt_world_free(e.w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vrt_mesh");
	TCase *tc = tcase_create("hook");
	tcase_add_test(tc, hook_picks_delays_and_flags);
	tcase_add_test(tc, hook_local_answer);
	tcase_add_test(tc, hook_denies_at_the_server);
	tcase_add_test(tc, hook_retries_after_a_back_off);
	tcase_add_test(tc, hook_route_timeout);
	tcase_add_test(tc, hook_per_try_timeout_then_retry);
	tcase_add_test(tc, hook_end_for_abandoned_calls);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
