/*
 * h2conn.h — the gRPC server side of the live runtime, without I/O.
 *
 * An h2_server_t holds what one service instance serves: the registered
 * services (rt_serve), the built-in grpc.health.v1.Health service and its
 * status, and every call in progress. An h2conn_t is one HTTP/2 connection of
 * that server (nghttp2 session in memory mode): the host feeds it the bytes it
 * received (h2conn_recv) and writes out the bytes it produces (h2conn_send).
 * It never touches a socket; for time and timers it uses the server's rt_t
 * (rt_now, rt_timer_start), so a test or a fuzzer can drive it with a fake
 * runtime.
 *
 * Calls (rt_call_t) may outlive their stream and connection: a handler owns
 * its call until rt_reply()/rt_fail(), whatever happens to the client.
 */
#ifndef MESHSIM_LIVE_H2CONN_H
#define MESHSIM_LIVE_H2CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt.h"

typedef struct h2_server h2_server_t;
typedef struct h2conn h2conn_t;

typedef struct h2_server_callbacks {
  /* |conn| has new bytes to send (after a reply made outside h2conn_recv,
   * a health change, a timeout). The host should call h2conn_send() soon;
   * it may be called from inside h2conn_recv() too. Required. */
  void (*want_write)(h2conn_t *conn, void *conn_user);
  /* While draining (h2_server_set_draining), the last call has ended.
   * May be NULL. Do not free the server from inside it. */
  void (*idle)(h2_server_t *srv, void *user);
} h2_server_callbacks_t;

/* Creates a server for the instance |rt| (used for rt_now, rt_timer_start and
 * rt_log; it must outlive the server). |cbs| is copied. Returns NULL when out
 * of memory. The health service is registered already. */
h2_server_t *h2_server_new(rt_t *rt, const h2_server_callbacks_t *cbs,
                           void *user);

/* Frees the server. All its connections must be freed first. Calls still held
 * by handlers are cancelled and detached: their late rt_reply()/rt_fail()
 * only frees them. */
void h2_server_free(h2_server_t *srv);

/* Registers |def| (must outlive the server) with handler argument |user|.
 * Returns 0, or -1 when a service of that name is registered already or out
 * of memory. */
int h2_server_add(h2_server_t *srv, const rt_service_def_t *def, void *user);

/* Non-zero: log every call at debug level. */
void h2_server_set_debug(h2_server_t *srv, int on);

/* Starts draining: every health status becomes NOT_SERVING (pushed to Watch
 * streams). Calls in progress continue; idle() runs when the last ends (at
 * once, from inside this function, if none is in progress). */
void h2_server_set_draining(h2_server_t *srv);

/* The number of calls accepted and not yet ended by their handler (health
 * Watch streams not included). */
size_t h2_server_active_calls(const h2_server_t *srv);

/* Ends every call in progress as the client would see a cancellation: each
 * stream gets |code| and |message|, each call is marked cancelled and its
 * on_cancel callback runs. Used when the shutdown grace period is over. */
void h2_server_cancel_all(h2_server_t *srv, rt_status_t code,
                          const char *message);

/* Ends every health Watch stream with |code| and |message|. */
void h2_server_end_watches(h2_server_t *srv, rt_status_t code,
                           const char *message);

/* ---- Connections -------------------------------------------------------- */

/* A new server connection; |user| is passed to want_write. The connection
 * expects the client preface first and queues its SETTINGS at once.
 * Returns NULL when out of memory. */
h2conn_t *h2conn_new(h2_server_t *srv, void *user);

/* Frees the connection. Its calls in progress are cancelled (on_cancel runs)
 * and stay owned by their handlers. */
void h2conn_free(h2conn_t *conn);

/* Processes |len| received bytes. Returns 0, or -1 when the connection is
 * unusable (bad preface, out of memory): flush what h2conn_send() still
 * gives, then close. Protocol errors of the peer are answered with GOAWAY
 * and show as h2conn_want_io() == 0 once it is sent. */
int h2conn_recv(h2conn_t *conn, const uint8_t *data, size_t len);

/* Points |*data| at the next bytes to send and returns their count; 0 when
 * there is nothing to send, -1 on a fatal error. The bytes stay valid until
 * the next call on this connection: copy them. */
ssize_t h2conn_send(h2conn_t *conn, const uint8_t **data);

/* Non-zero while the connection wants to read or write; 0 once it can be
 * closed (after GOAWAY both ways, or a fatal error). */
int h2conn_want_io(const h2conn_t *conn);

/* Graceful shutdown, first step: GOAWAY with the maximum stream id (a notice
 * that no new streams will be accepted soon). */
void h2conn_shutdown_notice(h2conn_t *conn);

/* Graceful shutdown, final step: GOAWAY with the last stream id processed;
 * later streams are refused, earlier ones complete. */
void h2conn_goaway(h2conn_t *conn);

/* Queues a PING (keep-alive). h2conn_pings_acked() counts PING ACKs
 * received. Returns 0 or -1. */
int h2conn_ping(h2conn_t *conn);
uint64_t h2conn_pings_acked(const h2conn_t *conn);

/* ---- Child calls -------------------------------------------------------- */

/* An outgoing call made on behalf of a served call: cancelled when the served
 * call is cancelled. The runtime embeds it in its invoke object. */
typedef struct h2_child {
  struct h2_child *prev, *next;
  void (*cancel)(struct h2_child *child); /* called after unlinking */
} h2_child_t;

/* Links |child| to |call|. Returns 0; 1 when |call| is cancelled already
 * (not linked: the caller should cancel at once); -1 when |call| is not a
 * call of this runtime (not linked). */
int h2_call_link_child(rt_call_t *call, h2_child_t *child);

/* Inserts |child| at the front of the list headed by |head| (a call's
 * children); h2_child_unlink() takes it out again. */
void h2_child_link(h2_child_t *head, h2_child_t *child);

/* Unlinks |child| if linked. Safe to call twice. */
void h2_child_unlink(h2_child_t *child);

#endif /* MESHSIM_LIVE_H2CONN_H */
