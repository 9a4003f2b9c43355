/*
 * rt_test.h — the in-memory test runtime: runs one service instance (its
 * rt_service_t) inside a unit test, with a virtual clock, a seeded random
 * stream, a fixed environment, captured log lines, and stubs standing in for
 * the remote services it calls through rt_invoke().
 *
 * Calls go through the same motions as on the wire: the request is encoded
 * and decoded again before the handler sees it, the reply is encoded and
 * decoded into the type the test asked for. Nothing happens in real time:
 * rt_test_call() runs the event loop (timers, deadlines, stub replies) in
 * virtual time until the call is over, then returns.
 *
 * HTTP services (rt_serve_http) are driven with rt_test_http(), and the
 * servers a service calls with rt_http_invoke() are stood in for by
 * rt_test_http_stub(): see the HTTP sections below.
 *
 * Contract violations by the service (ending a call twice, replying with the
 * wrong message type, rt_reply on an HTTP call or rt_http_respond on a gRPC
 * one, an HTTP status outside 100..599, CR or LF in a response header, a
 * timer or invoke callback after the runtime is gone) abort the process, so a Check test running in fork mode reports them.
 */
#ifndef MESHSIM_RT_TEST_H
#define MESHSIM_RT_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "rt.h"

typedef struct rt_test rt_test_t;
typedef struct rt_test_stub rt_test_stub_t;

/* The virtual clock's default start: 2026-01-01T00:00:00Z. */
#define RT_TEST_EPOCH ((rt_time_t)1767225600 * RT_SEC)

/* Creates an instance of |svc| with environment |env| ("KEY=VALUE" strings,
 * NULL-terminated; NULL for none; copied) and randomness seeded from |seed|,
 * then calls svc->init. Returns NULL when out of memory or when init fails;
 * the reason (config errors reported through rt_config_error, in order) is
 * then kept for rt_test_last_init_error(). */
rt_test_t *rt_test_new(const rt_service_t *svc, const char *const *env,
                       uint64_t seed);

/* The config errors of the last failed rt_test_new(), one per line as
 * "NAME=VALUE: why", or "" when init failed without one. Static storage,
 * overwritten by the next rt_test_new(). */
const char *rt_test_last_init_error(void);

/* Calls svc->fini and frees everything, including stubs. NULL is a no-op. */
void rt_test_free(rt_test_t *t);

/* The instance, for calling rt_* functions directly from a test. */
rt_t *rt_test_rt(rt_test_t *t);

/* Virtual clock. set_now moves it (also backwards: for tests only). */
void rt_test_set_now(rt_test_t *t, rt_time_t now);
rt_time_t rt_test_now(const rt_test_t *t);

/* Runs every event due up to now + |delta| and leaves the clock there.
 * Returns the number of events run. */
size_t rt_test_advance(rt_test_t *t, rt_time_t delta);

/* Calls |service| ("hipstershop.CurrencyService" or just "CurrencyService")
 * method |method| with |req|, and runs the loop until the call is over for
 * both sides: the client has an outcome and the handler has ended the call.
 * |timeout| (0: none) sets the call's deadline. |*status| gets the gRPC
 * status; |*message| the error message ("" on success; owned by |t|, valid
 * until the next call); |*resp| the decoded reply of type |resp_type| (NULL
 * on error), owned by the caller: free with rt_msg_free(). Any out pointer
 * may be NULL.
 * Returns 0, or -1 when the method is not served, the request or the reply
 * does not encode/decode, or the handler never ended the call (the loop ran
 * out of events): then |*message| says which. */
int rt_test_call(rt_test_t *t, const char *service, const char *method,
                 const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *resp_type,
                 rt_time_t timeout, rt_status_t *status, const char **message,
                 ProtobufCMessage **resp);

/* As rt_test_call(), and the client cancels the call (as with RST_STREAM)
 * |cancel_after| after it starts, if it is still running then (0: never). */
int rt_test_call_ex(rt_test_t *t, const char *service, const char *method,
                    const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_type,
                    rt_time_t timeout, rt_time_t cancel_after,
                    rt_status_t *status, const char **message,
                    ProtobufCMessage **resp);

/* Virtual time the last call took, from start to the client's outcome. */
rt_time_t rt_test_last_duration(const rt_test_t *t);

/* ---- stubs for the services the instance calls ---- */

/* Answers one stubbed call. |req| is the decoded request. To succeed, set
 * |*resp| to a message the stub keeps owning (it is encoded at once) and
 * return RT_OK; to fail, return a code and write a message into |msg|. */
typedef rt_status_t (*rt_test_stub_fn)(void *user, const ProtobufCMessage *req,
                                       const ProtobufCMessage **resp,
                                       char *msg, size_t msgsize);

/* Serves |service|/|method| at |addr| ("*" matches any address) with |fn|,
 * whose request type is |req_type|. A later stub for the same triple
 * replaces the earlier one. Calls to anything not stubbed fail with
 * UNAVAILABLE "no route to <addr>". Returns the stub (owned by |t|) or NULL
 * when out of memory. */
rt_test_stub_t *rt_test_stub(rt_test_t *t, const char *addr,
                             const char *service, const char *method,
                             const ProtobufCMessageDescriptor *req_type,
                             rt_test_stub_fn fn, void *user);

/* The stub's reply arrives |delay| after the call (default 0). */
void rt_test_stub_set_delay(rt_test_stub_t *s, rt_time_t delay);
/* Number of calls the stub received. */
unsigned rt_test_stub_calls(const rt_test_stub_t *s);
/* Deadline of the latest call the stub received (RT_TIME_INFINITE: none). */
rt_time_t rt_test_stub_last_deadline(const rt_test_stub_t *s);
/* Number of the stub's calls that ended by cancellation (incl. parent's). */
unsigned rt_test_stub_cancelled(const rt_test_stub_t *s);

/* ---- HTTP (services that call rt_serve_http) ---- */

/* What the client saw of one HTTP request made with rt_test_http(). Every
 * pointer is owned by the rt_test_t and stays valid until the next
 * rt_test_http*() call or rt_test_free(). */
typedef struct rt_test_http_result {
  /* The HTTP status: the handler's (rt_http_respond), the one rt_fail()
   * maps to (rt_http_status_for(), with the message as a text/plain body),
   * or the runtime's own (413 for a body over HTTP_MAX_BODY_BYTES, default
   * 8 MiB). 0 when the client gave up first (|timeout| or |cancel_after|):
   * |error| then says why. */
  int status;
  /* The headers the service set, in its order, names lower-cased (the
   * runtime's own Content-Length and Date are not included). */
  const rt_http_header_t *headers;
  size_t n_headers;
  /* The body (none for HEAD, as on the wire); NUL-terminated for
   * convenience (body[body_len] == 0), never NULL. */
  const uint8_t *body;
  size_t body_len;
  /* "" when a response arrived; otherwise "deadline exceeded",
   * "cancelled by client", or why the driver returned -1. */
  const char *error;
  /* The code the handler gave rt_fail() (RT_OK when it answered with
   * rt_http_respond or the runtime answered). */
  rt_status_t fail_code;
} rt_test_http_result_t;

/* Sends an HTTP request to the service's handler and runs the loop in
 * virtual time until the call is over for both sides (the client has a
 * response or gave up, and the handler has ended the call). The handler sees
 * |method| and |target| as given ("/cart?x=1", split into path and query),
 * |headers| (n of them, may be NULL when 0) with names lower-cased, |body|
 * (len bytes; may be NULL when 0) and remote "192.0.2.1:49152". |timeout|
 * (0: none) is the call's deadline: when it passes first the client gives
 * up and the call is cancelled (on_cancel runs, child invokes are
 * cancelled). Everything is copied; |out| must not be NULL.
 * Returns 0, or -1 when the service does not serve HTTP or the handler never
 * ended the call (out->error says which). */
int rt_test_http(rt_test_t *t, const char *method, const char *target,
                 const rt_http_header_t *headers, size_t n, const void *body,
                 size_t len, rt_time_t timeout, rt_test_http_result_t *out);

/* As rt_test_http(), and the client disconnects |cancel_after| after the
 * request starts, if the call is still running then (0: never). */
int rt_test_http_ex(rt_test_t *t, const char *method, const char *target,
                    const rt_http_header_t *headers, size_t n,
                    const void *body, size_t len, rt_time_t timeout,
                    rt_time_t cancel_after, rt_test_http_result_t *out);

/* The first response header |name| (case-insensitive), or NULL. */
const char *rt_test_http_result_header(const rt_test_http_result_t *r,
                                       const char *name);

/* The |i|th (from 0) response header |name| (case-insensitive), or NULL
 * past the last: iterates repeated headers such as Set-Cookie:
 *   for (size_t i = 0; (v = rt_test_http_result_header_nth(r, "set-cookie",
 *        i)); i++) ... */
const char *rt_test_http_result_header_nth(const rt_test_http_result_t *r,
                                           const char *name, size_t i);

/* ---- stubs for the HTTP servers the instance calls (rt_http_invoke) ---- */

/* A stub's answer. The stub fills it with pointers it keeps owning; the
 * runtime copies them as soon as the stub function returns. */
typedef struct rt_test_http_reply {
  int status; /* preset to 200 */
  const rt_http_header_t *headers; /* preset to none */
  size_t n_headers;
  const void *body; /* preset to none */
  size_t body_len;
} rt_test_http_reply_t;

/* Answers one stubbed HTTP request. |req| is what the server would see
 * (names lower-cased, path and query split, remote ""), valid during the
 * call. To answer, fill |reply| and return RT_OK; to fail the transport
 * (the client's callback gets that status and |msg|), return another code
 * (typically RT_UNAVAILABLE) and write a message into |msg|. */
typedef rt_status_t (*rt_test_http_stub_fn)(void *user,
                                            const rt_http_request_t *req,
                                            rt_test_http_reply_t *reply,
                                            char *msg, size_t msgsize);

/* Serves every rt_http_invoke() to |addr| ("host:port"; "*" matches any
 * address, an exact address wins over "*") with |fn|. A later stub for the
 * same address replaces the earlier one. Requests to an address without a
 * stub fail with RT_UNAVAILABLE "no route to <addr>"; responses over 16 MiB
 * with RT_RESOURCE_EXHAUSTED. The returned stub (owned by |t|, NULL when out
 * of memory) works with rt_test_stub_set_delay(), rt_test_stub_calls(),
 * rt_test_stub_last_deadline() and rt_test_stub_cancelled(). */
rt_test_stub_t *rt_test_http_stub(rt_test_t *t, const char *addr,
                                  rt_test_http_stub_fn fn, void *user);

/* ---- captured logs and config errors ---- */

/* Log lines, formatted "SEVERITY message key=value ...". Also echoed to
 * stderr when the environment variable RT_TEST_VERBOSE is set. */
size_t rt_test_log_count(const rt_test_t *t);
const char *rt_test_log_line(const rt_test_t *t, size_t i);
/* Index of the first line containing |needle|, or -1. */
long rt_test_log_find(const rt_test_t *t, const char *needle);
/* Forgets the captured lines (long-running tests keep memory flat). */
void rt_test_log_clear(rt_test_t *t);

#endif /* MESHSIM_RT_TEST_H */
