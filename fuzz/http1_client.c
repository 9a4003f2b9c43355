/*
 * http1_client.c — fuzz target: bytes from a server into the HTTP/1.1
 * response parser of one client connection (services/live/http1.c), as a
 * sequence of responses on a kept-alive connection, then EOF. Each complete
 * response is detached and checked (lower-case names, body within the
 * limit, NUL-terminated). Also encodes a request from the input's first
 * bytes, which must either be refused or start with its request line.
 *
 * Input: byte 0 — bits 0-5: feed in chunks of that many bytes times 5 (0:
 * all at once); bit 6: the requests are HEAD; bit 7: a 100-byte response
 * limit. The rest is the byte stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"

static void check_response(const rt_http_response_t *r, size_t limit) {
  if (r->status < 200 || r->status > 599 || r->body_len > limit ||
      r->body[r->body_len] != 0)
    abort();
  for (size_t i = 0; i < r->n_headers; i++)
    for (const char *p = r->headers[i].name; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t limit = data[0] & 0x80 ? 100 : 16u * 1024u * 1024u;
  int head = (data[0] & 0x40) != 0;
  size_t chunk = (size_t)(data[0] & 0x3f) * 5;

  /* A request built from the first bytes as method and target. */
  char method[16] = "", target[64] = "";
  if (size > 1) {
    size_t ml = size - 1 < 8 ? size - 1 : 8;
    memcpy(method, data + 1, ml);
    method[ml] = 0;
    size_t tl = size - 1 - ml < 40 ? size - 1 - ml : 40;
    memcpy(target, data + 1 + ml, tl);
    target[tl] = 0;
  }
  rt_http_header_t h[] = {{"X-T", target}, {"Host", "ignored"}};
  size_t rl;
  uint8_t *req = http1_request_encode(method, target, "h:1", h, 2, "b", 1, &rl);
  if (req) {
    size_t ml = strlen(method);
    if (rl < ml + 1 || memcmp(req, method, ml) != 0 || req[ml] != ' ')
      abort();
    free(req);
  }

  http1_client_t *c = http1_client_new(limit);
  if (!c)
    return 0;
  http1_client_start(c, head);
  const uint8_t *p = data + 1;
  size_t left = size - 1;
  int r = 0;
  while (left) {
    size_t n = chunk && chunk < left ? chunk : left;
    r = http1_client_recv(c, p, n);
    p += n;
    left -= n;
    if (r < 0)
      break;
    if (r == 1) {
      int reuse = http1_client_reusable(c);
      http1_response_t *resp = http1_client_take(c);
      if (resp) {
        check_response(http1_response_view(resp), limit);
        http1_response_free(resp);
      }
      if (!reuse)
        break;
      http1_client_start(c, head);
      r = 0;
    }
  }
  if (r == 0 && http1_client_eof(c) == 1) {
    http1_response_t *resp = http1_client_take(c);
    if (resp) {
      check_response(http1_response_view(resp), limit);
      http1_response_free(resp);
    }
  }
  const char *msg;
  (void)http1_client_error(c, &msg);
  (void)http1_client_received(c);
  http1_client_free(c);
  return 0;
}
