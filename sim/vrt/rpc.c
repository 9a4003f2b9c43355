/* sim/vrt/rpc.c: one unary call, both ends of it.
 *
 * A call is one struct (vrpc_t) with two heads: the client's rt_invoke_t
 * and the server's rt_call_t. Each side has its own state:
 *
 *   client  WAIT --(response arrives / deadline)------------> DONE
 *           WAIT --(cancel, parent cancelled, refused early)--> DECIDED
 *                --(a "vrt.done" event runs the callback)-----> DONE
 *   server  WIRE --(request arrives)--> CPU --(demand served)--> HANDLER
 *                --(handler ends it)--> DONE   (or DONE from any state
 *                when refused, dropped with its pod, or the client left)
 *
 * and the struct is freed when both are DONE. Everything that crosses
 * between the sides travels as a des event with a network delay: the
 * request (vrt.arrive), the answer (vrt.response), the client's
 * cancellation (vrt.rst, an RST_STREAM). Bytes cross as bytes: the request
 * is packed at rt_invoke() and unpacked at the server; the reply is packed
 * at rt_reply() and unpacked for the client's callback.
 *
 * HTTP/1.1 calls (http.c) are the same struct with |http| set and take
 * the same path; what differs is only at the ends: how the request and
 * the answer are built and sized, how the server routes and charges it,
 * and that HTTP carries no deadline to the server (its call has none; the
 * client giving up closes the connection, which the server hears of one
 * latency later, as an RST_STREAM).
 *
 * Deadlines, as gRPC: the client's deadline fires at exactly the deadline;
 * the server learns a relative timeout, so its deadline is its arrival
 * time plus what was left when the request was sent (later than the
 * client's by the request's transit time). Children (rt_invoke with
 * opts.parent) take the earlier of their own timeout and that deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt_int.h"

#define C_WAIT VRT_C_WAIT
#define C_DECIDED VRT_C_DECIDED
#define C_DONE VRT_C_DONE
#define S_WIRE VRT_S_WIRE
#define S_CPU VRT_S_CPU
#define S_HANDLER VRT_S_HANDLER
#define S_DONE VRT_S_DONE

/* gRPC's length prefix, counted on the wire with each message. */
#define GRPC_PREFIX 5

#define FROM_INV(p) ((vrpc_t *)((char *)(p) - offsetof(vrpc_t, ihead)))
#define FROM_CALL(p) ((vrpc_t *)((char *)(p) - offsetof(vrpc_t, chead)))

_Noreturn void vrt__die(const char *what)
{
	fprintf(stderr, "vrt: contract violation: %s\n", what);
	abort();
}

#define die vrt__die

static des_time_t now_of(const vrpc_t *r) { return des_now(r->w->des); }

static int tracing(const vrpc_t *r) { return r->w->trace != NULL; }

/* ---- list plumbing -------------------------------------------------------- */

#define LIST_APPEND(l, r, prev, next)              \
	do {                                       \
		(r)->prev = (l)->tail;             \
		(r)->next = NULL;                  \
		if ((l)->tail)                     \
			(l)->tail->next = (r);     \
		else                               \
			(l)->head = (r);           \
		(l)->tail = (r);                   \
		(l)->n++;                          \
	} while (0)

#define LIST_REMOVE(l, r, prev, next)              \
	do {                                       \
		if ((r)->prev)                     \
			(r)->prev->next = (r)->next; \
		else                               \
			(l)->head = (r)->next;     \
		if ((r)->next)                     \
			(r)->next->prev = (r)->prev; \
		else                               \
			(l)->tail = (r)->prev;     \
		(r)->prev = (r)->next = NULL;      \
		(l)->n--;                          \
	} while (0)

static void kid_unlink(vrpc_t *r)
{
	vrpc_t *p = r->parent;
	if (!p)
		return;
	if (r->kprev)
		r->kprev->knext = r->knext;
	else
		p->kids_head = r->knext;
	if (r->knext)
		r->knext->kprev = r->kprev;
	else
		p->kids_tail = r->kprev;
	r->kprev = r->knext = NULL;
	r->parent = NULL;
}

static void kids_detach(vrpc_t *r)
{
	while (r->kids_head)
		kid_unlink(r->kids_head);
}

static void rpc_free(vrpc_t *r)
{
	vrt_world_t *w = r->w;
	des_cancel(w->des, r->ev_req);
	des_cancel(w->des, r->ev_resp);
	des_cancel(w->des, r->ev_rst);
	des_cancel(w->des, r->ev_cdl);
	des_cancel(w->des, r->ev_sdl);
	des_cancel(w->des, r->ev_mto);
	des_cancel(w->des, r->ev_try);
	if (r->aprev)
		r->aprev->anext = r->anext;
	else
		w->rpcs = r->anext;
	if (r->anext)
		r->anext->aprev = r->aprev;
	if (r->req)
		protobuf_c_message_free_unpacked(r->req, rt__msg_allocator());
	if (r->http || r->hresp)
		vrt__http_free(r->http, r->hresp);
	free(r->req_buf);
	free(r->resp_buf);
	free(r->msg);
	if (w->nfree_rpcs < VRT_RPC_POOL_MAX && !w->freeing) {
		r->anext = w->free_rpcs;
		w->free_rpcs = r;
		w->nfree_rpcs++;
		return;
	}
	free(r->strs);
	free(r);
}

static void maybe_free(vrpc_t *r)
{
	if (r->cstate == C_DONE && r->sstate == S_DONE)
		rpc_free(r);
}

void vrt__rpc_free_all(vrt_world_t *w)
{
	while (w->rpcs) {
		vrpc_t *r = w->rpcs;
		r->parent = NULL;
		r->kids_head = r->kids_tail = NULL;
		rpc_free(r);
	}
	while (w->free_rpcs) {
		vrpc_t *r = w->free_rpcs;
		w->free_rpcs = r->anext;
		free(r->strs);
		free(r);
	}
	w->nfree_rpcs = 0;
}

/* A zeroed call whose strs holds at least |n| bytes: a pooled one, or
 * new. NULL when out of memory. */
static vrpc_t *rpc_alloc(vrt_world_t *w, size_t n)
{
	vrpc_t *r = w->free_rpcs;
	char *s = NULL;
	size_t cap = 0;
	if (r) {
		w->free_rpcs = r->anext;
		w->nfree_rpcs--;
		s = r->strs;
		cap = r->strs_cap;
		memset(r, 0, sizeof *r);
	} else if (!(r = calloc(1, sizeof *r))) {
		return NULL;
	}
	if (cap < n) {
		free(s);
		cap = n < 128 ? 128 : n;
		if (!(s = malloc(cap))) {
			free(r);
			return NULL;
		}
	}
	r->strs = s;
	r->strs_cap = cap;
	return r;
}

static void set_msg(vrpc_t *r, const char *msg)
{
	free(r->msg);
	r->msg = msg && *msg ? strdup(msg) : NULL;
}

static void observe(vrpc_t *r, vrt_reporter_t who, des_time_t start,
                    rt_status_t st)
{
	vrt_world_t *w = r->w;
	if (!w->obs)
		return;
	vrt_obs_t o = {who,       r->id,     start,      now_of(r),
	               r->client, r->server, r->addr,    r->service,
	               r->method, st,        r->req_len, r->resp_bytes,
	               r->http ? VRT_PROTO_HTTP : VRT_PROTO_GRPC,
	               r->http_status, "-", r->mtls};
	const char *f = who == VRT_REPORT_CLIENT ? r->cflags : r->sflags;
	if (f)
		o.response_flags = f;
	w->obs(w->obs_user, &o);
}

/* ---- the mesh hook ---------------------------------------------------------- */

static void mesh_call(const vrpc_t *r, vrt_mesh_call_t *c, int resolve)
{
	memset(c, 0, sizeof *c);
	c->id = r->id;
	c->attempt = r->attempt;
	c->client = r->client;
	c->addr = r->addr;
	c->eps = resolve ? vrt_world_resolve(r->w, r->addr) : NULL;
	c->proto = r->http ? VRT_PROTO_HTTP : VRT_PROTO_GRPC;
	c->service = r->service;
	c->method = r->method;
	c->path = r->path;
	c->req_bytes = r->req_len;
	c->start = r->start;
	c->deadline = r->deadline;
	if (r->http) {
		vrt__http_view(r, &c->http_method, &c->target, &c->headers,
		               &c->n_headers);
	} else {
		c->http_method = "POST";
		c->target = r->path;
	}
}

/* Tells the hook the attempt is over (|io| in: the outcome). Returns the
 * hook's retry delay (< 0: none). */
static des_time_t mesh_end(vrpc_t *r, vrt_mesh_end_t *io)
{
	vrt_world_t *w = r->w;
	io->retry_after = -1;
	io->flags = NULL;
	if (!r->msent)
		return -1;
	r->msent = 0;
	if (!w->mesh || !w->mesh->end)
		return -1;
	vrt_mesh_call_t c;
	mesh_call(r, &c, 0);
	w->mesh->end(w->mesh_user, &c, r->mtoken, io);
	r->mtoken = NULL;
	if (io->flags)
		r->cflags = io->flags;
	return io->abandoned ? -1 : io->retry_after;
}

static void ev_retry(des_t *des, void *arg);
static void deliver(vrpc_t *r);

/* Another attempt: forget this one's answer and server side, keep the
 * call, its deadline and its parent. The server side is over. */
static void attempt_reset(vrpc_t *r)
{
	vrt_world_t *w = r->w;
	des_cancel(w->des, r->ev_resp);
	r->ev_resp = DES_EVENT_NULL;
	free(r->resp_buf);
	r->resp_buf = NULL;
	if (r->hresp) {
		vrt__http_free(NULL, r->hresp);
		r->hresp = NULL;
	}
	if (r->counted) {
		r->counted = 0;
		r->server->outstanding--;
	}
	if (r->req) {
		protobuf_c_message_free_unpacked(r->req, rt__msg_allocator());
		r->req = NULL;
	}
	r->server = NULL;
	r->http_status = 0;
	r->resp_bytes = r->resp_len = r->resp_wire = 0;
	r->sstate = S_WIRE;
	r->cancelled = r->cut = 0;
	r->arrived = 0;
	r->mreached = r->mlocal = r->mlost = r->mrefused = 0;
	r->sflags = NULL;
}
static void tell_server_gone(vrpc_t *r);

/* The sidecar's per-try timeout: this attempt is abandoned (the server
 * hears a reset); the hook says whether another follows. */
static void ev_try_timeout(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	(void)des;
	r->ev_try = DES_EVENT_NULL;
	if (r->cstate != C_WAIT || r->retry_wait || r->retry_hold)
		return;
	vrt_mesh_end_t io = {
	    .status = r->http ? RT_OK : RT_UNAVAILABLE,
	    .http_status = r->http ? 504 : 0,
	    .server = r->server,
	    .reached = r->mreached,
	    .try_timed_out = 1,
	};
	des_time_t after = mesh_end(r, &io);
	tell_server_gone(r);
	if (tracing(r))
		vrt__trace(r->w, "call %llu try timeout %s%s",
		           (unsigned long long)r->id, vrt__pod_label(r->client),
		           after >= 0 ? " (retry)" : "");
	if (after >= 0 && (r->deadline == DES_TIME_MAX ||
	                   now_of(r) + after < r->deadline)) {
		if (r->sstate == S_WIRE || r->sstate == S_DONE) {
			/* Not arrived (it never will: dropped) or over. */
			des_cancel(r->w->des, r->ev_req);
			r->ev_req = DES_EVENT_NULL;
			attempt_reset(r);
			r->retry_wait = 1;
			if (des_schedule_full(r->w->des, now_of(r) + after,
			                      DES_PRIO_DEFAULT, "vrt.retry",
			                      ev_retry, r, &r->ev_req) != 0)
				die("cannot schedule (out of memory)");
		} else {
			/* Wait for its server side to end (server_done). */
			r->retry_hold = 1;
			r->retry_delay = after;
			des_cancel(r->w->des, r->ev_resp);
			r->ev_resp = DES_EVENT_NULL;
		}
		return;
	}
	/* The last try: its outcome is the sidecar's 504. */
	free(r->resp_buf);
	r->resp_buf = NULL;
	if (r->http) {
		vrt__http_local(r, 504, "upstream request timeout");
		r->status = RT_OK;
		set_msg(r, NULL);
	} else {
		r->status = RT_UNAVAILABLE;
		set_msg(r, "upstream request timeout");
	}
	deliver(r);
}

/* The sidecar's route timeout: the attempt in flight (or the wait before
 * the next) is abandoned, the server hears a reset, the client gets the
 * sidecar's answer. */
static void ev_mesh_timeout(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	(void)des;
	r->ev_mto = DES_EVENT_NULL;
	if (r->cstate != C_WAIT)
		return;
	tell_server_gone(r);
	free(r->resp_buf);
	r->resp_buf = NULL;
	r->mtimeout = 1;
	if (r->http) {
		vrt__http_local(r, 504, "upstream request timeout");
		r->status = RT_OK;
		set_msg(r, NULL);
	} else {
		r->status = RT_UNAVAILABLE;
		set_msg(r, "upstream request timeout");
	}
	if (tracing(r))
		vrt__trace(r->w, "call %llu route timeout %s",
		           (unsigned long long)r->id, vrt__pod_label(r->client));
	deliver(r);
}

/* ---- the client side ------------------------------------------------------ */

/* The client learns its outcome now (we are in an event): runs the
 * callback. |r| may be freed on return. */
static void deliver_ex(vrpc_t *r, int quiet)
{
	vrt_world_t *w = r->w;
	des_cancel(w->des, r->ev_try);
	r->ev_try = DES_EVENT_NULL;
	if (r->retry_hold) {
		/* Given up while the abandoned try's server side ends: it
		 * ends on its own; no next try. */
		r->retry_hold = 0;
	}
	if (r->retry_wait) {
		/* Given up between two attempts: no request is out. */
		des_cancel(w->des, r->ev_req);
		r->ev_req = DES_EVENT_NULL;
		r->retry_wait = 0;
		r->sstate = S_DONE;
	}
	if (r->msent) {
		vrt_mesh_end_t io = {
		    .status = r->status,
		    .http_status = r->http && r->status == RT_OK ? r->http_status : 0,
		    .server = r->server,
		    .local = r->mlocal,
		    .reached = r->mreached,
		    .reset = r->mlost,
		    .refused = r->mrefused,
		    .abandoned = quiet,
		    .gave_up = !r->mtimeout && (r->cstate == C_DECIDED ||
		               r->status == RT_DEADLINE_EXCEEDED),
		    .timed_out = r->mtimeout,
		};
		des_time_t after = mesh_end(r, &io);
		if (after >= 0 && !quiet && !io.gave_up && !io.timed_out &&
		    r->sstate == S_DONE &&
		    r->cstate == C_WAIT &&
		    (r->deadline == DES_TIME_MAX ||
		     now_of(r) + after < r->deadline)) {
			attempt_reset(r);
			r->retry_wait = 1;
			if (tracing(r))
				vrt__trace(w, "call %llu retry %s after %lldns",
				           (unsigned long long)r->id,
				           rt_status_name((int)r->status),
				           (long long)after);
			if (des_schedule_full(w->des, now_of(r) + after,
			                      DES_PRIO_DEFAULT, "vrt.retry",
			                      ev_retry, r, &r->ev_req) != 0)
				die("cannot schedule (out of memory)");
			return;
		}
	}
	des_cancel(w->des, r->ev_mto);
	r->ev_mto = DES_EVENT_NULL;
	des_cancel(w->des, r->ev_cdl);
	des_cancel(w->des, r->ev_resp);
	r->ev_cdl = r->ev_resp = DES_EVENT_NULL;
	r->cstate = C_DONE;
	if (r->client)
		LIST_REMOVE(&r->client->out, r, oprev, onext);
	kid_unlink(r);
	if (r->counted) {
		r->counted = 0;
		r->server->outstanding--;
	}
	ProtobufCMessage *resp = NULL;
	if (r->http) {
		if (r->status == RT_OK && r->resp_bytes > VRT_HTTP_MAX_RESPONSE) {
			r->status = RT_RESOURCE_EXHAUSTED;
			set_msg(r, "response too large");
		}
		if (r->status != RT_OK)
			r->http_status = 0;
	} else if (r->status == RT_OK) {
		resp = protobuf_c_message_unpack(r->resp_type, rt__msg_allocator(),
		                                 r->resp_len,
		                                 r->resp_buf);
		if (!resp) {
			char m[300];
			snprintf(m, sizeof m, "response does not decode as %s",
			         r->resp_type->name);
			r->status = RT_INTERNAL;
			set_msg(r, m);
		}
	}
	free(r->resp_buf);
	r->resp_buf = NULL;
	rt_status_t st = r->status;
	if (quiet)
		w->stats.dropped++;
	else
		w->stats.by_status[(unsigned)st <= 16 ? st : RT_UNKNOWN]++;
	if (tracing(r))
		vrt__trace(w, "call %llu %s %s %s%s%s", (unsigned long long)r->id,
		           quiet ? "abandoned" : "outcome",
		           vrt__pod_label(r->client), rt_status_name((int)st),
		           r->msg ? ": " : "", r->msg ? r->msg : "");
	if (!quiet)
		observe(r, VRT_REPORT_CLIENT, r->start, st);
	rt_invoke_cb cb = r->cb;
	rt_http_invoke_cb hcb = r->http ? r->hcb : NULL;
	vhresp_t *hr = st == RT_OK ? r->hresp : NULL;
	void *user = r->user;
	char *msg = r->msg;
	r->msg = NULL;
	if (hr)
		r->hresp = NULL;
	maybe_free(r); /* the callback may do anything: be done with |r| */
	if (hcb)
		vrt__http_callback(w, hcb, user, st, msg ? msg : "", hr);
	else
		cb(user, st, msg ? msg : "", resp);
	free(msg);
}

static void deliver(vrpc_t *r) { deliver_ex(r, 0); }

static void ev_done(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	(void)des;
	r->ev_resp = DES_EVENT_NULL;
	deliver(r);
}

/* The outcome is decided outside an event (inside rt_invoke, a cancel):
 * the callback runs from a "vrt.done" event at the same virtual time. */
static void decide(vrpc_t *r, rt_status_t st, const char *msg)
{
	vrt_world_t *w = r->w;
	des_cancel(w->des, r->ev_cdl);
	des_cancel(w->des, r->ev_resp);
	r->ev_cdl = r->ev_resp = DES_EVENT_NULL;
	free(r->resp_buf);
	r->resp_buf = NULL;
	r->status = st;
	set_msg(r, msg);
	r->cstate = C_DECIDED;
	if (des_schedule_full(w->des, des_now(w->des), DES_PRIO_DEFAULT,
	                      "vrt.done", ev_done, r, &r->ev_resp) != 0)
		die("cannot schedule (out of memory)");
}

static void ev_rst(des_t *des, void *arg);

/* The client has left (deadline, cancel, its pod died): the server hears
 * of it one network latency later, if it has the call. */
static void tell_server_gone(vrpc_t *r)
{
	if (r->sstate != S_CPU && r->sstate != S_HANDLER)
		return; /* on the wire: the arrival sees the client gone */
	if (r->cancelled || r->ev_rst)
		return;
	vrt_world_t *w = r->w;
	des_time_t at = now_of(r) + vrt__transit(w, r->client, r->server, 0);
	if (des_schedule_full(w->des, at, DES_PRIO_DEFAULT, "vrt.rst", ev_rst,
	                      r, &r->ev_rst) != 0)
		die("cannot schedule (out of memory)");
}

static void ev_client_deadline(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	(void)des;
	r->ev_cdl = DES_EVENT_NULL;
	if (r->cstate != C_WAIT)
		return;
	free(r->resp_buf);
	r->resp_buf = NULL;
	r->status = RT_DEADLINE_EXCEEDED;
	set_msg(r, "deadline exceeded");
	tell_server_gone(r);
	deliver(r);
}

static void ev_response(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	r->ev_resp = DES_EVENT_NULL;
	if (r->cstate != C_WAIT)
		return;
	des_time_t thaw = vrt__thaw(r->w);
	if (thaw > 0 && des_schedule_full(des, thaw, DES_PRIO_DEFAULT, "vrt.response",
	                                  ev_response, r, &r->ev_resp) == 0)
		return;
	deliver(r);
}

/* Sends an answer (status, message, packed body in r->resp_buf or none)
 * from the server to a waiting client. */
static void send_answer(vrpc_t *r, rt_status_t st, const char *msg)
{
	if (r->cstate != C_WAIT || r->ev_resp || r->retry_hold)
		return;
	vrt_world_t *w = r->w;
	r->status = st;
	set_msg(r, msg);
	size_t bytes = r->resp_wire;
	w->stats.bytes += bytes ? r->resp_bytes : 0;
	des_time_t at = now_of(r) + vrt__transit(w, r->server, r->client, bytes);
	if (des_schedule_full(w->des, at, DES_PRIO_DEFAULT, "vrt.response",
	                      ev_response, r, &r->ev_resp) != 0)
		die("cannot schedule (out of memory)");
}

/* ---- the server side ------------------------------------------------------ */

static const char *reason_of(const vrt_pod_t *p)
{
	return p->state == VRT_POD_TERMINATING ? "server shutting down"
	                                        : "connection refused";
}

/* The server side is over. */
static void server_done(vrpc_t *r, rt_status_t st)
{
	vrt_pod_t *pod = r->server;
	des_cancel(r->w->des, r->ev_sdl);
	des_cancel(r->w->des, r->ev_rst);
	r->ev_sdl = r->ev_rst = DES_EVENT_NULL;
	if (r->sstate == S_CPU || r->sstate == S_HANDLER)
		LIST_REMOVE(&pod->in, r, iprev, inext);
	kids_detach(r);
	int accepted = r->sstate != S_WIRE;
	r->sstate = S_DONE;
	r->sstatus = st;
	if (r->mreached && r->cancelled && st == RT_CANCELLED && !r->sflags)
		r->sflags = "DC"; /* downstream (the client's sidecar) reset */
	if (accepted)
		observe(r, VRT_REPORT_SERVER, r->arrived, st);
	if (pod->state == VRT_POD_TERMINATING && pod->in.n == 0)
		vrt__pod_maybe_done(pod);
	if (r->retry_hold && r->cstate == C_WAIT) {
		/* The abandoned try is over: the next one after its back-off. */
		r->retry_hold = 0;
		attempt_reset(r);
		r->retry_wait = 1;
		if (des_schedule_full(r->w->des, now_of(r) + r->retry_delay,
		                      DES_PRIO_DEFAULT, "vrt.retry", ev_retry, r,
		                      &r->ev_req) != 0)
			die("cannot schedule (out of memory)");
	}
}

static void ev_server_deadline(des_t *des, void *arg);

/* The server's sidecar refuses the request (vrt_mesh_recv_t.deny): no
 * app, no CPU; the server's report says so. */
static void mesh_deny(vrpc_t *r, const vrt_mesh_recv_t *mr)
{
	rt_status_t st = mr->status != RT_OK ? mr->status : RT_PERMISSION_DENIED;
	const char *msg = mr->msg ? mr->msg : "";
	r->sflags = mr->flags;
	if (tracing(r))
		vrt__trace(r->w, "call %llu denied %s: %s %s",
		           (unsigned long long)r->id, r->server->name,
		           rt_status_name((int)st), msg);
	r->sstate = S_DONE;
	r->sstatus = st;
	if (r->http) {
		vrt__http_local(r, mr->http_status ? mr->http_status : 403, msg);
		send_answer(r, RT_OK, NULL);
	} else {
		send_answer(r, st, msg);
	}
	observe(r, VRT_REPORT_SERVER, r->arrived, st);
}

static void ev_arrive(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	vrt_world_t *w = r->w;
	vrt_pod_t *pod = r->server;
	r->ev_req = DES_EVENT_NULL;
	des_time_t thaw = vrt__thaw(w);
	if (thaw > 0 && des_schedule_full(des, thaw, DES_PRIO_DEFAULT, "vrt.arrive", ev_arrive,
	                                  r, &r->ev_req) == 0)
		return;
	r->arrived = now_of(r);
	if (r->cstate != C_WAIT) { /* its RST_STREAM follows it: never served */
		r->sstate = S_DONE;
		maybe_free(r);
		return;
	}
	char m[400];
	if (pod->state != VRT_POD_READY) {
		snprintf(m, sizeof m, "cannot connect to %s (pod %s): %s", r->addr,
		         pod->name, reason_of(pod));
		if (tracing(r))
			vrt__trace(w, "call %llu refused %s: %s",
			           (unsigned long long)r->id, pod->name,
			           reason_of(pod));
		r->mrefused = 1;
		vrt__rpc_refuse(r, RT_UNAVAILABLE, m);
		return;
	}
	if (r->msent) {
		r->mreached = 1;
		if (w->mesh && w->mesh->recv) {
			vrt_mesh_recv_t mr;
			vrt_mesh_call_t c;
			memset(&mr, 0, sizeof mr);
			mesh_call(r, &c, 0);
			w->mesh->recv(w->mesh_user, &c, r->mtoken, pod, &mr);
			if (mr.deny) {
				mesh_deny(r, &mr);
				return;
			}
		}
	}
	if (r->http) {
		vrt__http_arrive(r);
		return;
	}
	if (pod->http_handler) {
		/* The HTTP/1.1 server answers the HTTP/2 preface 400 and
		 * closes. */
		snprintf(m, sizeof m,
		         "connection to %s (pod %s) lost: not a gRPC server",
		         r->addr, pod->name);
		r->mlost = 1;
		vrt__rpc_refuse(r, RT_UNAVAILABLE, m);
		return;
	}
	/* Find the method, as the live server does. */
	const vserved_t *sv = NULL;
	size_t mi = 0;
	for (size_t i = 0; i < pod->nserved && !sv; i++) {
		const char *name = pod->served[i].def->name;
		if (strlen(name) == r->service_len &&
		    memcmp(name, r->service, r->service_len) == 0)
			sv = &pod->served[i];
	}
	if (sv) {
		for (mi = 0; mi < sv->def->n_methods; mi++)
			if (strcmp(sv->def->methods[mi].name, r->method) == 0)
				break;
	}
	if (!sv || mi == sv->def->n_methods) {
		if (!sv)
			snprintf(m, sizeof m, "unknown service %.*s",
			         (int)r->service_len, r->service);
		else
			snprintf(m, sizeof m,
			         "unknown method %s for service %s", r->method,
			         sv->def->name);
		if (tracing(r))
			vrt__trace(w, "call %llu arrive %s: %s",
			           (unsigned long long)r->id, pod->name, m);
		vrt__rpc_refuse(r, RT_UNIMPLEMENTED, m);
		return;
	}
	const rt_method_t *meth = &sv->def->methods[mi];
	r->req = protobuf_c_message_unpack(meth->input, rt__msg_allocator(),
	                                   r->req_len,
	                                   r->req_buf);
	free(r->req_buf);
	r->req_buf = NULL;
	if (!r->req) {
		snprintf(m, sizeof m, "error unmarshalling request as %s",
		         meth->input->name);
		vrt__rpc_refuse(r, RT_INTERNAL, m);
		return;
	}
	r->sv = sv;
	r->mi = mi;
	if (r->deadline != DES_TIME_MAX) {
		/* grpc-timeout carries what was left at sending. */
		des_time_t left = r->deadline - r->sent;
		r->sdeadline = r->arrived + left;
		if (des_schedule_full(w->des, r->sdeadline, DES_PRIO_DEFAULT,
		                      "vrt.sdeadline", ev_server_deadline, r,
		                      &r->ev_sdl) != 0)
			die("cannot schedule (out of memory)");
	}
	/* The CPU demand, from the profile (cached per served method). */
	vserved_t *svm = &pod->served[sv - pod->served];
	if (!svm->cost[mi] || svm->cost_gen[mi] != w->profile_gen) {
		svm->cost[mi] = vrt__profile_cost(w->profile, sv->def->name,
		                                  r->method);
		svm->cost_gen[mi] = w->profile_gen;
	}
	vrt__rpc_accept(r, svm->cost[mi]);
}

void vrt__rpc_refuse(vrpc_t *r, rt_status_t st, const char *msg)
{
	r->sstate = S_DONE;
	send_answer(r, st, msg);
}

void vrt__rpc_accept(vrpc_t *r, const vrt_cost_t *cost)
{
	vrt_pod_t *pod = r->server;
	r->sstate = S_CPU;
	LIST_APPEND(&pod->in, r, iprev, inext);
	double demand = vrt__cost_draw(cost, &pod->cpu_rng);
	if (tracing(r))
		vrt__trace(r->w, "call %llu arrive %s cpu=%.0fns",
		           (unsigned long long)r->id, pod->name, demand);
	if (vrt__cpu_add(pod, r, demand) != 0)
		die("out of memory");
}

/* Cancels the server side: children first, then on_cancel (which may end
 * the call, and free |r|). |answer|: the server itself answers |code|. */
static void server_cancel(vrpc_t *r, rt_status_t code, int answer)
{
	if (r->cancelled)
		return;
	r->cancelled = 1;
	r->sstatus = code;
	des_cancel(r->w->des, r->ev_sdl);
	r->ev_sdl = DES_EVENT_NULL;
	if (answer)
		send_answer(r, code, code == RT_DEADLINE_EXCEEDED
		                         ? "deadline exceeded"
		                         : "call cancelled");
	if (tracing(r))
		vrt__trace(r->w, "call %llu cancelled %s %s",
		           (unsigned long long)r->id, r->server->name,
		           rt_status_name((int)code));
	if (r->sstate != S_HANDLER)
		return; /* on the CPU: ends there without a handler */
	for (vrpc_t *k = r->kids_head; k; k = k->knext)
		if (k->cstate == C_WAIT) {
			tell_server_gone(k);
			decide(k, RT_CANCELLED, "parent call cancelled");
		}
	if (r->ccb) {
		rt_cancel_cb cb = r->ccb;
		r->ccb = NULL;
		cb(&r->chead, r->cuser);
	}
}

static void ev_server_deadline(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	(void)des;
	r->ev_sdl = DES_EVENT_NULL;
	server_cancel(r, RT_DEADLINE_EXCEEDED, 1);
}

static void ev_rst(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	(void)des;
	r->ev_rst = DES_EVENT_NULL;
	if (r->sstate == S_CPU || r->sstate == S_HANDLER)
		server_cancel(r, RT_CANCELLED, 0);
}

void vrt__rpc_cpu_done(vrpc_t *r)
{
	if (r->cancelled) {
		/* The client left while the request waited: no handler. */
		server_done(r, r->sstatus);
		maybe_free(r);
		return;
	}
	r->sstate = S_HANDLER;
	if (tracing(r))
		vrt__trace(r->w, "call %llu dispatch %s", (unsigned long long)r->id,
		           r->server->name);
	if (r->http) {
		vrt__http_dispatch(r);
		return;
	}
	const rt_method_t *m = &r->sv->def->methods[r->mi];
	m->handler(&r->chead, r->req, r->sv->user);
}

void vrt__rpc_cpu_dropped(vrpc_t *r)
{
	char m[400];
	snprintf(m, sizeof m, "connection to %s (pod %s) lost: %s", r->addr,
	         r->server->name, "pod stopped");
	r->mlost = 1;
	if (!r->cancelled)
		send_answer(r, RT_UNAVAILABLE, m);
	server_done(r, RT_UNAVAILABLE);
	maybe_free(r);
}

/* rt_reply / rt_fail: the handler ends the call. */
int vrt__rpc_wanted(const vrpc_t *r)
{
	return !r->cancelled && r->cstate == C_WAIT && !r->retry_hold;
}

void vrt__rpc_end(vrpc_t *r, rt_status_t st, const char *msg, rt_status_t sst)
{
	rt_status_t seen = r->cancelled ? r->sstatus : sst;
	if (!r->cancelled && r->server->state != VRT_POD_DEAD)
		send_answer(r, st, st == RT_OK ? NULL : msg);
	server_done(r, seen);
	maybe_free(r);
}

static void server_end(vrpc_t *r, rt_status_t st, const char *msg,
                       const ProtobufCMessage *resp)
{
	if (r->sstate != S_HANDLER)
		die("call ended twice, or before its handler ran");
	vrt_world_t *w = r->w;
	vrt_pod_t *pod = r->server;
	char m[400];
	if (st == RT_OK) {
		const rt_method_t *meth = &r->sv->def->methods[r->mi];
		if (!resp || resp->descriptor != meth->output) {
			snprintf(m, sizeof m, "%s: handler replied with %s, not %s",
			         r->path,
			         resp ? resp->descriptor->name : "NULL",
			         meth->output->name);
			rt_log(&pod->base, RT_ERROR, "bad reply", "error", m, NULL);
			st = RT_INTERNAL;
			msg = m;
		} else if (!protobuf_c_message_check(resp)) {
			snprintf(m, sizeof m, "%s: reply is not a valid %s",
			         r->path, meth->output->name);
			rt_log(&pod->base, RT_ERROR, "bad reply", "error", m, NULL);
			st = RT_INTERNAL;
			msg = m;
		} else {
			size_t len = protobuf_c_message_get_packed_size(resp);
			if (len > RT_MAX_MESSAGE) {
				st = RT_INTERNAL;
				msg = "response too large";
			} else if (vrt__rpc_wanted(r)) {
				r->resp_buf = malloc(len ? len : 1);
				if (!r->resp_buf)
					die("out of memory");
				protobuf_c_message_pack(resp, r->resp_buf);
				r->resp_len = len;
				r->resp_wire = len + GRPC_PREFIX;
			}
			r->resp_bytes = len;
		}
	}
	if (tracing(r)) {
		if (st == RT_OK)
			vrt__trace(w, "call %llu reply %s OK resp=%zub%s",
			           (unsigned long long)r->id, pod->name,
			           r->resp_bytes,
			           vrt__rpc_wanted(r) ? "" : " (dropped)");
		else
			vrt__trace(w, "call %llu fail %s %s: %s%s",
			           (unsigned long long)r->id, pod->name,
			           rt_status_name((int)st), msg,
			           vrt__rpc_wanted(r) ? "" : " (dropped)");
	}
	vrt__rpc_end(r, st, msg, st);
}

static void op_reply(rt_call_t *call, const ProtobufCMessage *resp)
{
	vrpc_t *r = FROM_CALL(call);
	if (r->http) {
		/* As the live runtime: an error logged, 500 answered. */
		if (r->sstate == S_HANDLER)
			rt_log(&r->server->base, RT_ERROR,
			       "rt_reply on an HTTP call, sent 500", "path",
			       r->path, NULL);
		vrt__http_fail(r, RT_INTERNAL, "internal error");
		return;
	}
	server_end(r, RT_OK, NULL, resp);
}

static void op_fail(rt_call_t *call, rt_status_t code, const char *message)
{
	vrpc_t *r = FROM_CALL(call);
	if (code == RT_OK)
		code = RT_UNKNOWN;
	if (r->http)
		vrt__http_fail(r, code, message);
	else
		server_end(r, code, message, NULL);
}

static rt_t *op_call_rt(const rt_call_t *call)
{
	return &FROM_CALL(call)->server->base;
}

static const char *op_call_path(const rt_call_t *call)
{
	return FROM_CALL(call)->path;
}

static rt_time_t op_call_deadline(const rt_call_t *call)
{
	const vrpc_t *r = FROM_CALL(call);
	return r->sdeadline == DES_TIME_MAX ? RT_TIME_INFINITE
	                                    : r->w->epoch + r->sdeadline;
}

static int op_call_cancelled(const rt_call_t *call)
{
	return FROM_CALL(call)->cancelled;
}

static void op_call_on_cancel(rt_call_t *call, rt_cancel_cb cb, void *user)
{
	vrpc_t *r = FROM_CALL(call);
	r->ccb = cb;
	r->cuser = user;
}

static void op_invoke_cancel(rt_invoke_t *inv)
{
	vrpc_t *r = FROM_INV(inv);
	if (r->cstate != C_WAIT)
		return;
	tell_server_gone(r);
	decide(r, RT_CANCELLED, "cancelled");
}

const rt_ops_t vrt__call_ops = {
    .reply = op_reply,
    .fail = op_fail,
    .call_rt = op_call_rt,
    .call_path = op_call_path,
    .call_deadline = op_call_deadline,
    .call_cancelled = op_call_cancelled,
    .call_on_cancel = op_call_on_cancel,
    .invoke_cancel = op_invoke_cancel,
    .http_respond = vrt__http_respond,
};

/* ---- starting a call ------------------------------------------------------ */

vrpc_t *vrt__rpc_new(vrt_world_t *w, vrt_pod_t *client,
                     const rt_invoke_opts_t *opts, const char *addr,
                     const char *service, const char *method,
                     const char *path)
{
	if (w->freeing || (client && (client->state == VRT_POD_DEAD ||
	                              client->state == VRT_POD_FAILED))) {
		errno = ESHUTDOWN;
		return NULL;
	}
	size_t la = strlen(addr), ls = strlen(service), lm = strlen(method);
	size_t lp = path ? strlen(path) : 1 + ls + 1 + lm;
	vrpc_t *r = rpc_alloc(w, la + 1 + lp + 1 + ls + 1 + lm + 1);
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	/* addr \0 path \0 service \0 method \0 */
	char *s = r->strs;
	memcpy(s, addr, la + 1);
	char *p = s + la + 1;
	if (path) {
		memcpy(p, path, lp + 1);
	} else { /* "/service/method": no snprintf, once per call */
		p[0] = '/';
		memcpy(p + 1, service, ls);
		p[1 + ls] = '/';
		memcpy(p + 2 + ls, method, lm + 1);
	}
	r->addr = s;
	r->path = p;
	r->service = p + lp + 1;
	memcpy((char *)r->service, service, ls + 1);
	r->service_len = ls;
	r->method = r->service + ls + 1;
	memcpy((char *)r->method, method, lm + 1);
	r->ihead.ops = &vrt__call_ops;
	r->chead.ops = &vrt__call_ops;
	r->w = w;
	r->id = ++w->next_id;
	r->client = client;
	r->start = des_now(w->des);
	r->deadline = r->sdeadline = DES_TIME_MAX;
	r->sstate = S_WIRE;
	r->cstate = C_WAIT;
	r->anext = w->rpcs;
	if (w->rpcs)
		w->rpcs->aprev = r;
	w->rpcs = r;
	w->stats.calls++;
	if (client)
		LIST_APPEND(&client->out, r, oprev, onext);

	if (opts && opts->timeout > 0)
		r->deadline = opts->timeout > DES_TIME_MAX - r->start
		                  ? DES_TIME_MAX
		                  : r->start + opts->timeout;
	vrpc_t *parent = NULL;
	if (opts && opts->parent && opts->parent->ops == &vrt__call_ops) {
		parent = FROM_CALL(opts->parent);
		if (parent->sstate != S_HANDLER)
			parent = NULL; /* already ended: nothing to propagate */
	}
	if (parent) {
		if (parent->sdeadline < r->deadline)
			r->deadline = parent->sdeadline;
		r->parent = parent;
		r->kprev = parent->kids_tail;
		if (parent->kids_tail)
			parent->kids_tail->knext = r;
		else
			parent->kids_head = r;
		parent->kids_tail = r;
	}
	return r;
}

void vrt__rpc_fail_early(vrpc_t *r, rt_status_t st, const char *msg)
{
	r->sstate = S_DONE;
	decide(r, st, msg);
}

/* The sidecar's own answer (vrt_mesh_send_t.local): nothing leaves; the
 * client hears it after |ms->delay|, unless its deadline comes first. */
static void local_answer(vrpc_t *r, const vrt_mesh_send_t *ms)
{
	vrt_world_t *w = r->w;
	r->sstate = S_DONE;
	r->mlocal = 1;
	if (r->http && ms->http_status) {
		vrt__http_local(r, ms->http_status, ms->msg ? ms->msg : "");
		r->status = RT_OK;
		set_msg(r, NULL);
	} else {
		r->status = ms->status != RT_OK ? ms->status : RT_UNAVAILABLE;
		set_msg(r, ms->msg);
	}
	if (tracing(r))
		vrt__trace(w, "call %llu local %s %s %d%s%s",
		           (unsigned long long)r->id, vrt__pod_label(r->client),
		           rt_status_name((int)r->status), r->http_status,
		           ms->flags ? " " : "", ms->flags ? ms->flags : "");
	des_time_t delay = ms->delay > 0 ? ms->delay : 0;
	if (des_schedule_full(w->des, now_of(r) + delay, DES_PRIO_DEFAULT,
	                      "vrt.response", ev_response, r, &r->ev_resp) != 0)
		die("cannot schedule (out of memory)");
}

static void launch_attempt(vrpc_t *r)
{
	vrt_world_t *w = r->w;
	vrt_endpoints_t *eps = vrt_world_resolve(w, r->addr);
	int mesh = w->mesh && w->mesh->send;
	vrt_mesh_send_t ms;
	memset(&ms, 0, sizeof ms);
	if (!mesh) {
		r->server = vrt__pick(eps);
		if (tracing(r))
			vrt__trace(w, "call %llu send %s -> %s (%s) %s req=%zub%s",
			           (unsigned long long)r->id,
			           vrt__pod_label(r->client), r->addr,
			           r->server ? r->server->name : "-",
			           r->http ? r->method : r->path, r->req_len,
			           r->deadline == DES_TIME_MAX ? "" : " deadline");
	}
	if (r->parent && r->parent->cancelled) {
		vrt__rpc_fail_early(r, RT_CANCELLED, "parent call cancelled");
		return;
	}
	r->sent = des_now(w->des); /* later than start after a client cost */
	if (r->deadline <= r->sent) {
		vrt__rpc_fail_early(r, RT_DEADLINE_EXCEEDED, "deadline exceeded");
		return;
	}
	if (mesh) {
		vrt_mesh_call_t c;
		mesh_call(r, &c, 1);
		w->mesh->send(w->mesh_user, &c, &ms);
		r->msent = 1;
		r->mtoken = ms.token;
		r->cflags = ms.flags;
		r->mtls = (unsigned char)(ms.mtls != 0);
		r->server = ms.local ? NULL : ms.server ? ms.server : vrt__pick(eps);
		if (tracing(r))
			vrt__trace(w, "call %llu send %s -> %s (%s) %s req=%zub%s "
			              "try=%u delay=%lldns%s",
			           (unsigned long long)r->id,
			           vrt__pod_label(r->client), r->addr,
			           r->server ? r->server->name : "-",
			           r->http ? r->method : r->path, r->req_len,
			           r->deadline == DES_TIME_MAX ? "" : " deadline",
			           r->attempt, (long long)ms.delay,
			           r->mtls ? " mtls" : "");
	}
	int first = r->attempt <= 1;
	if (mesh && ms.timeout > 0 && !ms.local && !r->ev_mto) {
		/* The route's timeout counts from the call's start, whichever
		 * attempt first goes out. */
		des_time_t at = r->start + ms.timeout;
		if (at < now_of(r))
			at = now_of(r);
		if ((r->deadline == DES_TIME_MAX || at < r->deadline) &&
		    des_schedule_full(w->des, at, DES_PRIO_DEFAULT, "vrt.mtimeout",
		                      ev_mesh_timeout, r, &r->ev_mto) != 0)
			die("cannot schedule (out of memory)");
	}
	if (mesh && ms.try_timeout > 0 && !ms.local &&
	    des_schedule_full(w->des, now_of(r) + ms.try_timeout,
	                      DES_PRIO_DEFAULT, "vrt.trytimeout", ev_try_timeout,
	                      r, &r->ev_try) != 0)
		die("cannot schedule (out of memory)");
	if (ms.local) {
		local_answer(r, &ms);
	} else if (!r->server) {
		char m[400];
		snprintf(m, sizeof m, "cannot connect to %s: %s", r->addr,
		         eps ? "no ready endpoint" : "unknown host");
		vrt__rpc_fail_early(r, RT_UNAVAILABLE, m);
		return;
	} else {
		r->server->outstanding++;
		r->counted = 1;
		w->stats.bytes += r->req_len;
		des_time_t delay = ms.delay > 0 ? ms.delay : 0;
		des_time_t at = now_of(r) + delay +
		                vrt__transit(w, r->client, r->server,
		                             r->req_wire + ms.extra_bytes);
		if (des_schedule_full(w->des, at, DES_PRIO_DEFAULT, "vrt.arrive",
		                      ev_arrive, r, &r->ev_req) != 0)
			die("cannot schedule (out of memory)");
	}
	if (first && r->deadline != DES_TIME_MAX && !r->ev_cdl &&
	    des_schedule_full(w->des, r->deadline, DES_PRIO_DEFAULT,
	                      "vrt.deadline", ev_client_deadline, r,
	                      &r->ev_cdl) != 0)
		die("cannot schedule (out of memory)");
}

void vrt__rpc_launch(vrpc_t *r, size_t wire)
{
	r->req_wire = wire;
	r->attempt = 1;
	launch_attempt(r);
}

static void ev_retry(des_t *des, void *arg)
{
	vrpc_t *r = arg;
	(void)des;
	r->ev_req = DES_EVENT_NULL;
	r->retry_wait = 0;
	r->attempt++;
	launch_attempt(r);
}

/* ---- the client's own CPU -------------------------------------------------- */

/* The request's bytes on the wire: HTTP's are its serialised size, gRPC's
 * the message and its length prefix. */
static size_t wire_of(const vrpc_t *r)
{
	return r->http ? r->req_len : r->req_len + GRPC_PREFIX;
}

void vrt__rpc_send(vrpc_t *r)
{
	vrt_world_t *w = r->w;
	vrt_pod_t *pod = r->client;
	const vrt_cost_t *cost =
	    pod ? vrt__profile_client(w->profile, vrt_pod_service(pod)) : NULL;
	/* No client cost, or a call launch refuses at once anyway. */
	if (!cost || (r->parent && r->parent->cancelled) ||
	    r->deadline <= r->start) {
		vrt__rpc_launch(r, wire_of(r));
		return;
	}
	double demand = vrt__cost_draw(cost, &pod->ccpu_rng);
	if (tracing(r))
		vrt__trace(w, "call %llu client-cpu %s cpu=%.0fns",
		           (unsigned long long)r->id, pod->name, demand);
	/* The deadline runs from the call's start, CPU included. */
	if ((r->deadline != DES_TIME_MAX &&
	     des_schedule_full(w->des, r->deadline, DES_PRIO_DEFAULT,
	                       "vrt.deadline", ev_client_deadline, r,
	                       &r->ev_cdl) != 0))
		die("cannot schedule (out of memory)");
	r->ccpu = 1;
	if (vrt__cpu_add(pod, r, demand) != 0)
		die("out of memory");
}

void vrt__rpc_client_cpu_done(vrpc_t *r)
{
	r->ccpu = 0;
	if (r->cstate != C_WAIT) {
		/* Its deadline, a cancel or its parent ended it meanwhile:
		 * nothing was sent. */
		r->sstate = S_DONE;
		maybe_free(r);
		return;
	}
	vrt__rpc_launch(r, wire_of(r));
}

void vrt__rpc_client_cpu_dropped(vrpc_t *r)
{
	/* Its pod is stopping: nothing was sent, and the pod's outgoing
	 * calls are ended next (vrt__rpc_pod_drop_outgoing). */
	r->ccpu = 0;
	r->sstate = S_DONE;
	maybe_free(r);
}

rt_invoke_t *vrt__invoke(vrt_world_t *w, vrt_pod_t *client, const char *addr,
                         const char *service, const char *method,
                         const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *resp_type,
                         const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                         void *user)
{
	if (!addr || !service || !method || !req || !resp_type || !cb ||
	    !strchr(addr, ':') || !*service || !*method ||
	    req->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) {
		errno = EINVAL;
		return NULL;
	}
	vrpc_t *r = vrt__rpc_new(w, client, opts, addr, service, method, NULL);
	if (!r)
		return NULL;
	r->resp_type = resp_type;
	r->cb = cb;
	r->user = user;

	/* Really encode: what crosses is bytes. */
	char m[400];
	if (!protobuf_c_message_check(req)) {
		snprintf(m, sizeof m, "request is not a valid %s",
		         req->descriptor->name);
		vrt__rpc_fail_early(r, RT_INTERNAL, m);
		return &r->ihead;
	}
	r->req_len = protobuf_c_message_get_packed_size(req);
	if (r->req_len > RT_MAX_MESSAGE) {
		snprintf(m, sizeof m,
		         "trying to send message larger than max (%zu vs. %u)",
		         r->req_len, RT_MAX_MESSAGE);
		vrt__rpc_fail_early(r, RT_RESOURCE_EXHAUSTED, m);
		return &r->ihead;
	}
	r->req_buf = malloc(r->req_len ? r->req_len : 1);
	if (!r->req_buf)
		die("out of memory");
	protobuf_c_message_pack(req, r->req_buf);
	vrt__rpc_send(r);
	return &r->ihead;
}

rt_invoke_t *vrt_client_call(vrt_world_t *w, const char *addr,
                             const char *service, const char *method,
                             const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *resp_type,
                             rt_time_t timeout, rt_invoke_cb cb, void *user)
{
	if (!w) {
		errno = EINVAL;
		return NULL;
	}
	rt_invoke_opts_t opts = {timeout, NULL};
	return vrt__invoke(w, NULL, addr, service, method, req, resp_type,
	                   &opts, cb, user);
}

/* ---- a pod stops ---------------------------------------------------------- */

void vrt__rpc_pod_cut_incoming(vrt_pod_t *pod, const char *why)
{
	char m[400];
	/* on_cancel may end any call: rescan from the head after each. */
	for (;;) {
		vrpc_t *r = pod->in.head;
		while (r && r->cut)
			r = r->inext;
		if (!r)
			return;
		r->cut = 1;
		snprintf(m, sizeof m, "connection to %s (pod %s) lost: %s",
		         r->addr, pod->name, why);
		r->mlost = 1;
		if (!r->cancelled)
			send_answer(r, RT_UNAVAILABLE, m);
		server_cancel(r, RT_UNAVAILABLE, 0);
	}
}

void vrt__rpc_pod_orphan_incoming(vrt_pod_t *pod)
{
	while (pod->in.head) {
		vrpc_t *r = pod->in.head;
		server_done(r, r->cancelled ? r->sstatus : RT_UNAVAILABLE);
		maybe_free(r);
	}
}

/* The calling side goes away (its pod stops, the world is freed): each
 * call still waiting gets CANCELLED now, so the service (or load
 * generator) frees what it keeps per call; nothing is observed, as the
 * caller's sidecar goes with it. Callbacks cannot start new calls: the
 * pod is dead or the world is being freed. */
static void abandon(vrpc_t *r, const char *why)
{
	if (r->cstate == C_WAIT) {
		tell_server_gone(r);
		r->status = RT_CANCELLED;
		set_msg(r, why);
	}
	deliver_ex(r, 1);
}

void vrt__rpc_pod_drop_outgoing(vrt_pod_t *pod, int callbacks)
{
	vrt_world_t *w = pod->w;
	while (pod->out.head) {
		vrpc_t *r = pod->out.head;
		if (callbacks) {
			abandon(r, "calling pod stopped");
			continue;
		}
		/* After a failed init the service's state is gone: no
		 * callback may run. */
		LIST_REMOVE(&pod->out, r, oprev, onext);
		des_cancel(w->des, r->ev_cdl);
		des_cancel(w->des, r->ev_resp);
		r->ev_cdl = r->ev_resp = DES_EVENT_NULL;
		if (r->cstate == C_WAIT)
			tell_server_gone(r);
		r->cstate = C_DONE;
		kid_unlink(r);
		if (r->counted) {
			r->counted = 0;
			r->server->outstanding--;
		}
		if (r->retry_wait) {
			des_cancel(w->des, r->ev_req);
			r->ev_req = DES_EVENT_NULL;
			r->retry_wait = 0;
			r->sstate = S_DONE;
		}
		if (r->msent) {
			vrt_mesh_end_t io = {.status = RT_CANCELLED,
			                     .server = r->server,
			                     .abandoned = 1};
			mesh_end(r, &io);
		}
		w->stats.dropped++;
		maybe_free(r);
	}
}

void vrt__rpc_abandon_external(vrt_world_t *w)
{
	for (;;) {
		vrpc_t *r = w->rpcs;
		while (r && (r->client || r->cstate == C_DONE))
			r = r->anext;
		if (!r)
			return;
		abandon(r, "world freed");
	}
}
