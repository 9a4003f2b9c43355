/*
 * http1.h — HTTP/1.1 for the live runtime, without I/O: nodejs/http-parser
 * (libhttp-parser-dev) underneath, the rt.h HTTP calls on top.
 *
 * Server. An http1_server_t holds what one instance serves (its handler,
 * limits, every call in progress); an http1_conn_t is one connection of it.
 * The host feeds received bytes (http1_conn_recv), writes what
 * http1_conn_send() hands out and reports it written (http1_conn_sent), and
 * calls http1_conn_timeout() at http1_conn_deadline(). Requests on a
 * connection are served one at a time, in order: while the handler runs,
 * further (pipelined) bytes are buffered, not parsed. Time comes from the
 * server's rt_t (rt_now) and nothing else of it is used but rt_log, so a
 * fuzzer can drive the core with a fake runtime.
 *
 * Calls (rt_call_t) may outlive their connection: the handler owns its call
 * until rt_http_respond()/rt_fail(), whatever happens to the client.
 *
 * Client. An http1_client_t parses the responses on one connection, one
 * request at a time; http1_request_encode() serialises the requests.
 */
#ifndef MESHSIM_LIVE_HTTP1_H
#define MESHSIM_LIVE_HTTP1_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "h2conn.h" /* h2_child_t: outgoing calls made for a served call */
#include "rt.h"

typedef struct http1_server http1_server_t;
typedef struct http1_conn http1_conn_t;

typedef struct http1_limits {
  size_t max_header;         /* request line + header section: 431 beyond */
  size_t max_body;           /* request body (de-chunked): 413 beyond */
  rt_time_t request_timeout; /* first byte to complete request: else 408 */
  rt_time_t idle_timeout;    /* keep-alive connection without a request */
} http1_limits_t;

/* 16 KiB, 8 MiB, 30 s, 60 s. */
void http1_limits_default(http1_limits_t *lim);

typedef struct http1_server_callbacks {
  /* |conn| has bytes to send, deferred work (a pipelined request to parse
   * after a late answer) or wants to be closed: the host should call
   * http1_conn_send() soon, not from inside this callback. Required. */
  void (*want_write)(http1_conn_t *conn, void *conn_user);
  /* While draining, the last call has ended. May be NULL. */
  void (*idle)(http1_server_t *srv, void *user);
} http1_server_callbacks_t;

/* Creates a server for instance |rt| (rt_now, rt_log; must outlive it) with
 * |lim| and |cbs| (copied) and the handler that every request goes to.
 * NULL when out of memory. */
http1_server_t *http1_server_new(rt_t *rt, const http1_limits_t *lim,
                                 const http1_server_callbacks_t *cbs,
                                 void *user, rt_http_handler_cb handler,
                                 void *handler_user);

/* Frees the server; its connections must be freed first. Calls still held
 * by handlers are detached: their late answer only frees them. */
void http1_server_free(http1_server_t *srv);

/* Non-zero: log every request at debug level (method, path, status,
 * duration). */
void http1_server_set_debug(http1_server_t *srv, int on);

/* Starts draining: every later response says Connection: close and its
 * connection closes after it; connections with no request in progress close
 * now (want_write is called for each). idle() runs when the last call ends
 * (at once, from inside this function, if none is in progress). */
void http1_server_set_draining(http1_server_t *srv);

/* The number of calls handed to the handler and not yet ended. */
size_t http1_server_active_calls(const http1_server_t *srv);

/* Answers every call in progress with |status| and |message| (text/plain,
 * Connection: close) and cancels it: on_cancel runs, child calls are
 * cancelled, the handler's late answer is dropped. For the end of the
 * shutdown grace period. */
void http1_server_cancel_all(http1_server_t *srv, int status,
                             const char *message);

/* Links |child| to |call| like h2_call_link_child(): 0 linked; 1 when
 * |call| is cancelled already (not linked); -1 when |call| is not an HTTP
 * call of this runtime. */
int http1_call_link_child(rt_call_t *call, h2_child_t *child);

/* ---- Server connections ------------------------------------------------- */

/* A new connection from |remote| ("ip:port", copied; may be NULL); |user|
 * goes to want_write. NULL when out of memory. */
http1_conn_t *http1_conn_new(http1_server_t *srv, void *user,
                             const char *remote);

/* Frees the connection. A call in progress is cancelled (on_cancel runs,
 * children are cancelled) and stays owned by its handler. */
void http1_conn_free(http1_conn_t *conn);

/* Processes |len| received bytes: parses requests and hands them to the
 * handler, or buffers them while a request is in progress. Errors of the
 * client are answered (400, 408, 413, 417, 431) and end the connection
 * (http1_conn_want_io() turns 0 once the answer is sent). */
void http1_conn_recv(http1_conn_t *conn, const uint8_t *data, size_t len);

/* The client closed its side (or the connection broke): a call in progress
 * is cancelled, buffered requests are dropped, and the connection ends once
 * what is queued is sent. */
void http1_conn_eof(http1_conn_t *conn);

/* Points |*data| at the next bytes to send and returns their count, after
 * doing deferred work (parsing a buffered request). 0: nothing to send, or
 * a previous batch is still out. The bytes stay valid and unchanged until
 * http1_conn_sent(); the host must write all of them. */
ssize_t http1_conn_send(http1_conn_t *conn, const uint8_t **data);

/* The batch from the last http1_conn_send() is written. */
void http1_conn_sent(http1_conn_t *conn);

/* 0 while the host should not read (a request is in progress and enough
 * input is buffered, or the connection is ending). */
int http1_conn_want_read(const http1_conn_t *conn);

/* 0 once the connection can be closed: it is ending and everything queued
 * has been handed out and reported sent. */
int http1_conn_want_io(const http1_conn_t *conn);

/* Non-zero when the connection ends because of an error of the client (the
 * host should linger: half-close and discard input for a moment, so the
 * client reads the error instead of a reset). */
int http1_conn_linger(const http1_conn_t *conn);

/* The absolute time (rt_now) at which http1_conn_timeout() should run, or
 * RT_TIME_INFINITE. */
rt_time_t http1_conn_deadline(const http1_conn_t *conn);

/* Handles timeouts due at |now|: 408 for a request that takes too long to
 * arrive, closing an idle keep-alive connection. */
void http1_conn_timeout(http1_conn_t *conn, rt_time_t now);

/* ---- Client ------------------------------------------------------------- */

/* Serialises a request: "METHOD target HTTP/1.1", Host: |host|, |headers|
 * (those the runtime owns: Host, Content-Length, Transfer-Encoding,
 * Connection, are skipped), Content-Length when there is a body or the
 * method usually has one, then the body. Returns a malloc'd buffer (length
 * in |*outlen|), or NULL with errno EINVAL (method not a token, target empty
 * or with a space or control character, a header name not a token or a value
 * with CR, LF or NUL) or ENOMEM. */
uint8_t *http1_request_encode(const char *method, const char *target,
                              const char *host,
                              const rt_http_header_t *headers, size_t n,
                              const void *body, size_t body_len,
                              size_t *outlen);

typedef struct http1_client http1_client_t;

/* A response parser for one connection; responses larger than
 * |max_response| bytes (body) or with a header section over 64 KiB fail.
 * NULL when out of memory. */
http1_client_t *http1_client_new(size_t max_response);
void http1_client_free(http1_client_t *c);

/* Expects the response to a new request (|head|: to a HEAD request, so
 * without a body). */
void http1_client_start(http1_client_t *c, int head);

/* Feeds |len| bytes. Returns 1 when the response is complete (see
 * http1_client_take), 0 when more is needed, -1 on an error (bad response,
 * RT_UNAVAILABLE; too large, RT_RESOURCE_EXHAUSTED: http1_client_error). */
int http1_client_recv(http1_client_t *c, const uint8_t *data, size_t len);

/* The peer closed the connection: 1 when that completes a response whose
 * end is the close, -1 otherwise. */
int http1_client_eof(http1_client_t *c);

/* The error of the last -1, with its message (static or owned by |c|). */
rt_status_t http1_client_error(const http1_client_t *c, const char **message);

/* Bytes of the current response received so far (0: none: a stale
 * keep-alive connection closed by the server before answering). */
size_t http1_client_received(const http1_client_t *c);

/* After a complete response: non-zero when the connection may carry another
 * request (keep-alive, and no stray bytes followed the response). */
int http1_client_reusable(const http1_client_t *c);

/* A complete response, detached from the parser: the caller owns it and
 * frees it with http1_response_free(). NULL when out of memory. */
typedef struct http1_response http1_response_t;
http1_response_t *http1_client_take(http1_client_t *c);
const rt_http_response_t *http1_response_view(const http1_response_t *r);
void http1_response_free(http1_response_t *r);

#endif /* MESHSIM_LIVE_HTTP1_H */
