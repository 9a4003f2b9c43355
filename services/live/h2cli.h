/*
 * h2cli.h — the gRPC client side of one HTTP/2 connection, without I/O.
 *
 * Like h2conn.h for servers: the host feeds received bytes (h2cli_recv) and
 * writes what h2cli_send() produces. Each stream is one unary call; when it
 * ends, on_done reports the gRPC status and the response message bytes.
 * The host (live.c) keeps deadlines, retries and connection management.
 */
#ifndef MESHSIM_LIVE_H2CLI_H
#define MESHSIM_LIVE_H2CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt.h"

typedef struct h2cli h2cli_t;

typedef struct h2cli_callbacks {
  /* New bytes to send; call h2cli_send() soon. May run inside h2cli_recv. */
  void (*want_write)(h2cli_t *cli, void *user);
  /* The stream of |stream_user| ended. |message| (percent-decoded) is valid
   * during the call only; on RT_OK, |body| is the response message (|len|
   * bytes, valid during the call only). |refused| is non-zero when the server
   * did not process the request at all (REFUSED_STREAM, GOAWAY): safe to
   * retry elsewhere. Runs from inside h2cli_recv or h2cli_fail_all. */
  void (*on_done)(h2cli_t *cli, void *stream_user, rt_status_t status,
                  const char *message, const uint8_t *body, size_t len,
                  int refused);
  /* The server sent GOAWAY: start no new streams here. May be NULL. */
  void (*on_goaway)(h2cli_t *cli, void *user);
} h2cli_callbacks_t;

/* A new client connection to |authority| ("host:port", copied). The
 * connection preface and SETTINGS are queued at once. NULL when out of
 * memory. */
h2cli_t *h2cli_new(const h2cli_callbacks_t *cbs, void *user,
                   const char *authority);

/* Frees the connection; on_done is not called for open streams (use
 * h2cli_fail_all() first). */
void h2cli_free(h2cli_t *cli);

/* Starts a unary call: POST |path| with the message |msg| (|len| bytes,
 * copied; framed here) and, when |timeout| > 0, a grpc-timeout header.
 * Returns the stream id (> 0), or -1 when the connection cannot take a new
 * stream (GOAWAY received, fatal error, out of memory). */
int32_t h2cli_submit(h2cli_t *cli, const char *path, rt_time_t timeout,
                     const uint8_t *msg, size_t len, void *stream_user);

/* Resets stream |id| with CANCEL; on_done will not run for it. */
void h2cli_cancel(h2cli_t *cli, int32_t id);

/* Ends every open stream with on_done(|status|, |message|); for a
 * connection that closed. */
void h2cli_fail_all(h2cli_t *cli, rt_status_t status, const char *message);

/* As for h2conn: feed, drain, and whether the connection still wants I/O. */
int h2cli_recv(h2cli_t *cli, const uint8_t *data, size_t len);
ssize_t h2cli_send(h2cli_t *cli, const uint8_t **data);
int h2cli_want_io(const h2cli_t *cli);

/* Queues a PING (keep-alive). h2cli_pings_acked() counts PING ACKs
 * received. Returns 0 or -1. */
int h2cli_ping(h2cli_t *cli);
uint64_t h2cli_pings_acked(const h2cli_t *cli);

/* Non-zero while new streams may be started (no GOAWAY, no fatal error). */
int h2cli_usable(const h2cli_t *cli);

/* The number of streams not yet ended. */
size_t h2cli_active(const h2cli_t *cli);

#endif /* MESHSIM_LIVE_H2CLI_H */
