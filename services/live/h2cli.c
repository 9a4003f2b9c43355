/*
 * h2cli.c — gRPC client streams over nghttp2 in memory mode.
 *
 * The status of a finished stream comes from, in order: a local error (the
 * response was too large or malformed), a non-200 HTTP :status (mapped as the
 * gRPC spec says), grpc-status from trailers (or trailers-only headers), and
 * last the RST_STREAM code.
 */
#include "h2cli.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"
#include "h2mem.h"

#define STREAM_WINDOW (1 << 20)
#define CONN_WINDOW (16 << 20)
#define POOL_MAX 64          /* recycled streams; pool blocks per class */
#define OUT_KEEP (16 * 1024) /* a recycled stream keeps a request buffer this big */

typedef struct cstream {
  h2cli_t *cli;
  int32_t id;
  void *user; /* NULL once cancelled or reported */
  struct cstream *prev, *next;
  uint8_t *out; /* kept (with its capacity) when the stream is recycled */
  size_t outlen, outoff, outcap;
  int http;        /* :status, 0 until seen */
  int grpc_status; /* -1 until seen */
  char *message;   /* raw (percent-encoded) grpc-message */
  size_t messagelen;
  int local_status; /* non-zero: our own verdict */
  char local_message[96];
  grpc_decoder_t dec;
  grpc_msg_t msg;
} cstream_t;

struct h2cli {
  h2cli_callbacks_t cbs;
  void *user;
  char *authority;
  nghttp2_session *session;
  cstream_t *streams;
  size_t nstreams;
  int goaway, fatal;
  uint64_t pings_acked;
  cstream_t *free_streams; /* recycled, linked through |next| */
  size_t nfree;
  h2mem_pool_t mem; /* nghttp2's small allocations */
};

static void stream_unlink(cstream_t *s) {
  h2cli_t *cli = s->cli;
  if (s->prev)
    s->prev->next = s->next;
  else
    cli->streams = s->next;
  if (s->next)
    s->next->prev = s->prev;
  cli->nstreams--;
}

static void stream_free(cstream_t *s) {
  h2cli_t *cli = s->cli;
  grpc_decoder_free(&s->dec);
  free(s->msg.data);
  free(s->message);
  if (cli->nfree < POOL_MAX && s->outcap <= OUT_KEEP) {
    uint8_t *out = s->out;
    size_t outcap = s->outcap;
    memset(s, 0, sizeof *s);
    s->cli = cli;
    s->out = out;
    s->outcap = outcap;
    s->next = cli->free_streams;
    cli->free_streams = s;
    cli->nfree++;
    return;
  }
  free(s->out);
  free(s);
}

static ssize_t read_cb(nghttp2_session *session, int32_t id, uint8_t *buf,
                       size_t length, uint32_t *flags,
                       nghttp2_data_source *source, void *user) {
  cstream_t *s = source->ptr;
  size_t n = s->outlen - s->outoff;
  if (n > length)
    n = length;
  memcpy(buf, s->out + s->outoff, n);
  s->outoff += n;
  if (s->outoff == s->outlen) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    s->outlen = s->outoff = 0;
  }
  return (ssize_t)n;
}

static void set_local(cstream_t *s, rt_status_t st, const char *msg) {
  if (s->local_status)
    return;
  s->local_status = st;
  snprintf(s->local_message, sizeof s->local_message, "%s", msg);
  nghttp2_submit_rst_stream(s->cli->session, NGHTTP2_FLAG_NONE, s->id,
                            NGHTTP2_CANCEL);
}

static int is(const uint8_t *p, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen, const uint8_t *value,
                     size_t valuelen, uint8_t flags, void *user) {
  if (frame->hd.type != NGHTTP2_HEADERS)
    return 0;
  cstream_t *s =
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
  if (!s)
    return 0;
  if (is(name, namelen, ":status")) {
    int http = 0;
    for (size_t i = 0; i < valuelen && i < 3; i++)
      http = http * 10 + (value[i] - '0');
    /* Informational 1xx headers precede the real response. */
    if (http >= 200)
      s->http = http;
  } else if (is(name, namelen, "grpc-status")) {
    int st = grpc_status_parse((const char *)value, valuelen);
    s->grpc_status = st >= 0 && st <= 16 ? st : RT_UNKNOWN;
  } else if (is(name, namelen, "grpc-message")) {
    free(s->message);
    s->message = malloc(valuelen + 1);
    if (s->message) {
      memcpy(s->message, value, valuelen);
      s->message[valuelen] = '\0';
      s->messagelen = valuelen;
    }
  }
  return 0;
}

static int on_data_chunk_recv(nghttp2_session *session, uint8_t flags,
                              int32_t stream_id, const uint8_t *data,
                              size_t len, void *user) {
  cstream_t *s = nghttp2_session_get_stream_user_data(session, stream_id);
  while (s && len && !s->local_status) {
    grpc_msg_t m;
    ssize_t k = grpc_decoder_feed(&s->dec, data, len, &m);
    if (k < 0) {
      set_local(s, k == GRPC_ERR_TOO_LARGE ? RT_RESOURCE_EXHAUSTED : RT_INTERNAL,
                k == GRPC_ERR_TOO_LARGE ? "response message larger than 4 MiB"
                                        : grpc_strerror((int)k));
      return 0;
    }
    data += k;
    len -= (size_t)k;
    if (!m.data)
      continue;
    if (m.compressed) {
      free(m.data);
      set_local(s, RT_INTERNAL, "compressed response message not supported");
    } else if (s->msg.data) {
      free(m.data);
      set_local(s, RT_INTERNAL, "more than one response message for a unary call");
    } else {
      s->msg = m;
    }
  }
  return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user) {
  h2cli_t *cli = user;
  if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK))
    cli->pings_acked++;
  if (frame->hd.type == NGHTTP2_GOAWAY && !cli->goaway) {
    cli->goaway = 1;
    if (cli->cbs.on_goaway)
      cli->cbs.on_goaway(cli, cli->user);
  }
  return 0;
}

static rt_status_t status_from_rst(uint32_t code) {
  switch (code) {
  case NGHTTP2_REFUSED_STREAM:
    return RT_UNAVAILABLE;
  case NGHTTP2_CANCEL:
    return RT_CANCELLED;
  case NGHTTP2_ENHANCE_YOUR_CALM:
    return RT_RESOURCE_EXHAUSTED;
  case NGHTTP2_INADEQUATE_SECURITY:
    return RT_PERMISSION_DENIED;
  default:
    return RT_INTERNAL;
  }
}

static void report(cstream_t *s, uint32_t error_code) {
  h2cli_t *cli = s->cli;
  void *u = s->user;
  s->user = NULL;
  rt_status_t st;
  char buf[128];
  const char *msg = "";
  char *decoded = NULL;
  int refused = 0;
  if (s->local_status) {
    st = s->local_status;
    msg = s->local_message;
  } else if (s->http && s->http != 200) {
    st = grpc_status_from_http(s->http);
    snprintf(buf, sizeof buf, "HTTP status %d", s->http);
    msg = buf;
  } else if (s->grpc_status >= 0) {
    st = s->grpc_status;
    if (s->message)
      msg = decoded = grpc_pct_decode(s->message, s->messagelen, NULL);
    if (!msg)
      msg = "";
    if (st == RT_OK && (!s->msg.data || grpc_decoder_partial(&s->dec))) {
      st = RT_INTERNAL;
      msg = "no response message for a unary call";
    }
  } else {
    st = status_from_rst(error_code);
    refused = error_code == NGHTTP2_REFUSED_STREAM;
    snprintf(buf, sizeof buf, "stream closed without status (HTTP/2 error %u)",
             error_code);
    msg = buf;
    if (error_code == NGHTTP2_NO_ERROR && !s->http)
      refused = 0;
  }
  if (st == RT_OK)
    cli->cbs.on_done(cli, u, st, "", s->msg.data, s->msg.len, 0);
  else
    cli->cbs.on_done(cli, u, st, msg, NULL, 0, refused);
  free(decoded);
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user) {
  cstream_t *s = nghttp2_session_get_stream_user_data(session, stream_id);
  if (!s)
    return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, NULL);
  stream_unlink(s);
  if (s->user)
    report(s, error_code);
  stream_free(s);
  return 0;
}

h2cli_t *h2cli_new(const h2cli_callbacks_t *cbs, void *user,
                   const char *authority) {
  h2cli_t *cli = calloc(1, sizeof *cli);
  if (!cli)
    return NULL;
  cli->cbs = *cbs;
  cli->user = user;
  cli->authority = strdup(authority);
  nghttp2_session_callbacks *ncb;
  if (!cli->authority || nghttp2_session_callbacks_new(&ncb) != 0) {
    free(cli->authority);
    free(cli);
    return NULL;
  }
  nghttp2_session_callbacks_set_on_header_callback(ncb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(ncb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(ncb,
                                                            on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(ncb, on_stream_close);
  h2mem_pool_init(&cli->mem, POOL_MAX);
  nghttp2_mem mem = h2mem_nghttp2(&cli->mem);
  int rv = nghttp2_session_client_new3(&cli->session, ncb, cli, NULL, &mem);
  nghttp2_session_callbacks_del(ncb);
  if (rv != 0) {
    free(cli->authority);
    free(cli);
    return NULL;
  }
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
  };
  if (nghttp2_submit_settings(cli->session, NGHTTP2_FLAG_NONE, iv, 2) != 0 ||
      nghttp2_session_set_local_window_size(cli->session, NGHTTP2_FLAG_NONE, 0,
                                            CONN_WINDOW) != 0) {
    h2cli_free(cli);
    return NULL;
  }
  return cli;
}

void h2cli_free(h2cli_t *cli) {
  if (!cli)
    return;
  while (cli->streams) {
    cstream_t *s = cli->streams;
    stream_unlink(s);
    stream_free(s);
  }
  nghttp2_session_del(cli->session);
  while (cli->free_streams) {
    cstream_t *s = cli->free_streams;
    cli->free_streams = s->next;
    free(s->out);
    free(s);
  }
  h2mem_pool_drain(&cli->mem);
  free(cli->authority);
  free(cli);
}

#define NV(n, v)                                                   \
  {                                                                \
    (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),      \
        NGHTTP2_NV_FLAG_NONE                                       \
  }

int32_t h2cli_submit(h2cli_t *cli, const char *path, rt_time_t timeout,
                     const uint8_t *msg, size_t len, void *stream_user) {
  if (!h2cli_usable(cli) || len > RT_MAX_MESSAGE)
    return -1;
  cstream_t *s = cli->free_streams;
  if (s) {
    cli->free_streams = s->next;
    cli->nfree--;
    s->next = NULL;
  } else if (!(s = calloc(1, sizeof *s))) {
    return -1;
  }
  s->cli = cli;
  if (GRPC_PREFIX_LEN + len > s->outcap) {
    uint8_t *out = realloc(s->out, GRPC_PREFIX_LEN + len);
    if (!out) {
      stream_free(s);
      return -1;
    }
    s->out = out;
    s->outcap = GRPC_PREFIX_LEN + len;
  }
  grpc_frame_prefix(s->out, 0, (uint32_t)len);
  if (len)
    memcpy(s->out + GRPC_PREFIX_LEN, msg, len);
  s->outlen = GRPC_PREFIX_LEN + len;
  s->cli = cli;
  s->user = stream_user;
  s->grpc_status = -1;
  grpc_decoder_init(&s->dec, RT_MAX_MESSAGE);
  char tmo[16];
  if (timeout > 0)
    grpc_timeout_format(timeout, tmo);
  nghttp2_nv nv[] = {
      NV(":method", "POST"),
      NV(":scheme", "http"),
      NV(":path", path),
      NV(":authority", cli->authority),
      NV("content-type", "application/grpc"),
      NV("te", "trailers"),
      NV("user-agent", "meshsim-live/" PACKAGE_VERSION),
      NV("grpc-timeout", timeout > 0 ? tmo : ""),
  };
  nghttp2_data_provider prd;
  prd.source.ptr = s;
  prd.read_callback = read_cb;
  int32_t id = nghttp2_submit_request(cli->session, NULL, nv,
                                      timeout > 0 ? 8 : 7, &prd, s);
  if (id < 0) {
    stream_free(s);
    return -1;
  }
  s->id = id;
  s->next = cli->streams;
  if (cli->streams)
    cli->streams->prev = s;
  cli->streams = s;
  cli->nstreams++;
  cli->cbs.want_write(cli, cli->user);
  return id;
}

void h2cli_cancel(h2cli_t *cli, int32_t id) {
  cstream_t *s = nghttp2_session_get_stream_user_data(cli->session, id);
  if (!s)
    return;
  s->user = NULL;
  nghttp2_submit_rst_stream(cli->session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  cli->cbs.want_write(cli, cli->user);
}

void h2cli_fail_all(h2cli_t *cli, rt_status_t status, const char *message) {
  for (cstream_t *s = cli->streams; s; s = s->next) {
    if (!s->user)
      continue;
    void *u = s->user;
    s->user = NULL;
    cli->cbs.on_done(cli, u, status, message, NULL, 0, 0);
  }
}

int h2cli_recv(h2cli_t *cli, const uint8_t *data, size_t len) {
  if (cli->fatal)
    return -1;
  if (nghttp2_session_mem_recv(cli->session, data, len) < 0) {
    cli->fatal = 1;
    return -1;
  }
  return 0;
}

ssize_t h2cli_send(h2cli_t *cli, const uint8_t **data) {
  ssize_t n = nghttp2_session_mem_send(cli->session, data);
  if (n < 0) {
    cli->fatal = 1;
    return -1;
  }
  return n;
}

int h2cli_want_io(const h2cli_t *cli) {
  if (cli->fatal)
    return 0;
  return nghttp2_session_want_read(cli->session) ||
         nghttp2_session_want_write(cli->session);
}

int h2cli_ping(h2cli_t *cli) {
  if (nghttp2_submit_ping(cli->session, NGHTTP2_FLAG_NONE, NULL) != 0)
    return -1;
  cli->cbs.want_write(cli, cli->user);
  return 0;
}

uint64_t h2cli_pings_acked(const h2cli_t *cli) { return cli->pings_acked; }

int h2cli_usable(const h2cli_t *cli) { return !cli->goaway && !cli->fatal; }

size_t h2cli_active(const h2cli_t *cli) { return cli->nstreams; }
