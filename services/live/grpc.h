/*
 * grpc.h — the gRPC-over-HTTP/2 wire rules that need no I/O: length-prefixed
 * message framing, grpc-timeout, grpc-message percent-encoding, content-type
 * and HTTP-status rules (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md).
 *
 * Pure functions and one small decoder object; nothing here touches a socket,
 * a clock or a global. Used by the server and client connections (h2conn.c,
 * h2cli.c) and driven directly by tests/live/check_grpc.c and fuzz/grpc_frame.c.
 */
#ifndef MESHSIM_LIVE_GRPC_H
#define MESHSIM_LIVE_GRPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt.h"

/* Error codes: 0 is success, these are negative. */
#define GRPC_ERR_MAP(X)                                   \
  X(-1, NOMEM, "out of memory")                           \
  X(-2, TOO_LARGE, "message larger than the limit")       \
  X(-3, BAD_FLAG, "invalid message flags byte")           \
  X(-4, BAD_TIMEOUT, "malformed grpc-timeout")

typedef enum grpc_err {
#define GRPC_ERR_ENUM(n, name, text) GRPC_ERR_##name = n,
  GRPC_ERR_MAP(GRPC_ERR_ENUM)
#undef GRPC_ERR_ENUM
} grpc_err_t;

/* A readable text for |err|, static storage. */
const char *grpc_strerror(int err);

/* Size of the prefix before every message: flags byte + 4-byte big-endian length. */
#define GRPC_PREFIX_LEN 5

/* Writes the 5-byte prefix of a message of |len| bytes into |out|. */
void grpc_frame_prefix(uint8_t out[GRPC_PREFIX_LEN], int compressed,
                       uint32_t len);

/* ---- Decoder ------------------------------------------------------------ */

/* Reassembles length-prefixed messages from bytes that arrive in chunks of any
 * size. Holds at most one partial message. */
typedef struct grpc_decoder {
  uint32_t max;   /* largest accepted message length */
  uint8_t hdr[GRPC_PREFIX_LEN];
  uint8_t nhdr;   /* prefix bytes seen */
  uint8_t compressed;
  uint32_t len;   /* length of the message being read */
  uint32_t have;  /* body bytes read */
  uint8_t *buf;   /* body, |len| bytes (NULL until the prefix is complete) */
} grpc_decoder_t;

/* One complete message handed out by grpc_decoder_feed(). |data| is owned by
 * the receiver (free()); it is non-NULL even for an empty message. */
typedef struct grpc_msg {
  uint8_t *data;
  uint32_t len;
  int compressed;
} grpc_msg_t;

/* Prepares |d| to accept messages of at most |max| bytes. */
void grpc_decoder_init(grpc_decoder_t *d, uint32_t max);

/* Frees the partial message, if any. |d| may be reused after init. */
void grpc_decoder_free(grpc_decoder_t *d);

/* Consumes bytes of |in| until one message completes or |in| runs out.
 * Returns the number of bytes consumed (<= n); when a message completed,
 * |out->data| is set (else NULL) and the caller must feed the remaining bytes
 * again. Returns GRPC_ERR_TOO_LARGE when a prefix announces more than |max|
 * bytes, GRPC_ERR_BAD_FLAG for a flags byte other than 0 or 1, GRPC_ERR_NOMEM;
 * after an error the decoder must only be freed. */
ssize_t grpc_decoder_feed(grpc_decoder_t *d, const uint8_t *in, size_t n,
                          grpc_msg_t *out);

/* Non-zero while part of a message has been read: the stream ended early if
 * it ends now. */
int grpc_decoder_partial(const grpc_decoder_t *d);

/* ---- grpc-timeout ------------------------------------------------------- */

/* Parses a grpc-timeout value ("1*8DIGIT unit", unit one of H M S m u n) of
 * |n| bytes into nanoseconds (saturating at RT_TIME_INFINITE - 1).
 * Returns 0 or GRPC_ERR_BAD_TIMEOUT. */
int grpc_timeout_parse(const char *s, size_t n, rt_time_t *out);

/* Formats |ns| as a grpc-timeout value into |out| (NUL-terminated), choosing
 * the finest unit that fits in 8 digits and rounding up so the receiver never
 * sees a shorter timeout. |ns| <= 0 gives "1n". Returns the length (< 16). */
size_t grpc_timeout_format(rt_time_t ns, char out[16]);

/* ---- grpc-message percent-encoding -------------------------------------- */

/* Percent-encodes |n| bytes of |in| (every byte outside 0x20..0x7E, and '%',
 * becomes %XX). Returns a NUL-terminated malloc'd string (caller frees) and
 * its length in |*outlen| (may be NULL), or NULL when out of memory. */
char *grpc_pct_encode(const char *in, size_t n, size_t *outlen);

/* Decodes %XX sequences of |n| bytes of |in|; an invalid sequence is kept as
 * is. Returns a NUL-terminated malloc'd string (caller frees) and its length
 * in |*outlen| (may be NULL), or NULL when out of memory. */
char *grpc_pct_decode(const char *in, size_t n, size_t *outlen);

/* ---- Headers ------------------------------------------------------------ */

/* Non-zero when the content-type |v| (|n| bytes) is one this runtime serves:
 * "application/grpc" or "application/grpc+proto", optionally followed by
 * ";params". Anything else gets HTTP 415. */
int grpc_content_type_ok(const char *v, size_t n);

/* The gRPC status for a response whose HTTP :status is |http| and which has
 * no usable grpc-status (the spec's "HTTP to gRPC status code mapping"). */
rt_status_t grpc_status_from_http(int http);

/* Parses a grpc-status value (decimal, 0..99). Returns the code, or -1. */
int grpc_status_parse(const char *v, size_t n);

/* Splits a request :path "/pkg.Service/Method" (|n| bytes) into service and
 * method: on success returns 0 and sets the offsets/lengths (pointing into
 * |path|); returns -1 when malformed. */
int grpc_path_split(const char *path, size_t n, size_t *svc_len,
                    const char **method, size_t *method_len);

#endif /* MESHSIM_LIVE_GRPC_H */
