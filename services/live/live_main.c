/*
 * live_main.c — one live service as a process: command line, environment,
 * signals, exit status. Everything else is the runtime (live.c).
 */
#include "live_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"

typedef struct main_ctx {
  uv_loop_t *loop;
  rt_t *rt;
  uv_signal_t sigterm, sigint;
  uv_timer_t safety;
  int stopping;
} main_ctx_t;

static void usage(const rt_service_t *svc, FILE *f) {
  fprintf(f,
          "Usage: %s [--help] [--version]\n"
          "Serves %s (gRPC over cleartext HTTP/2, or HTTP/1.1) until SIGTERM "
          "or SIGINT.\n"
          "\n"
          "Environment:\n"
          "  PORT                    port to listen on (default %d; 0 picks a "
          "free port)\n"
          "  BIND_ADDR               address to bind (default 0.0.0.0)\n"
          "  SHUTDOWN_GRACE_SECONDS  time for calls to finish after SIGTERM "
          "(default 5)\n"
          "  GRPC_KEEPALIVE_SECONDS  idle time before a keep-alive PING "
          "(default 60)\n"
          "  LOG_LEVEL               debug, info, warning or error (default "
          "info)\n"
          "HTTP services (frontend, business) instead serve HTTP/1.1 on PORT:\n"
          "  HTTP_MAX_BODY_BYTES           largest request body (default "
          "8388608)\n"
          "  HTTP_REQUEST_TIMEOUT_SECONDS  time for a whole request to arrive "
          "(default 30)\n"
          "  HTTP_IDLE_TIMEOUT_SECONDS     idle keep-alive connections close "
          "(default 60)\n"
          "%s%s"
          "Logs are JSON lines on stdout. Exit status: 0 after a clean "
          "shutdown, 1 on\nstartup failure, 2 on a configuration error.\n",
          svc->name, svc->name, svc->default_port,
          svc->env_help ? "This service also reads:\n" : "",
          svc->env_help ? svc->env_help : "");
}

static void closed_cb(uv_handle_t *h) {}

static void safety_cb(uv_timer_t *h) { uv_stop(h->loop); }

static void done_cb(rt_t *rt, void *arg) {
  main_ctx_t *m = arg;
  uv_close((uv_handle_t *)&m->sigterm, closed_cb);
  uv_close((uv_handle_t *)&m->sigint, closed_cb);
  rt_live_free(rt);
  m->rt = NULL;
  /* Whatever a service leaves behind must not keep the process alive. */
  uv_timer_start(&m->safety, safety_cb, 2000, 0);
  uv_unref((uv_handle_t *)&m->safety);
}

static void signal_cb(uv_signal_t *h, int signum) {
  main_ctx_t *m = h->data;
  if (m->stopping || !m->rt)
    return;
  m->stopping = 1;
  rt_log(m->rt, RT_INFO, "signal received", "signal",
         signum == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
  rt_live_shutdown(m->rt, done_cb, m);
}

int rt_live_main(const rt_service_t *svc, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(svc, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("%s (meshsim) %s\n", svc->name, PACKAGE_VERSION);
      return 0;
    }
    fprintf(stderr, "%s: unknown argument '%s'\n", svc->name, argv[i]);
    usage(svc, stderr);
    return 2;
  }
  /* Line-buffer stdout in case a service prints directly. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_ctx_t m;
  memset(&m, 0, sizeof m);
  m.loop = uv_default_loop();
  int status = 1;
  m.rt = rt_live_server_new(m.loop, svc, NULL, &status);
  if (!m.rt) {
    uv_run(m.loop, UV_RUN_DEFAULT); /* let the instance's handles close */
    uv_loop_close(m.loop);
    return status;
  }
  uv_timer_init(m.loop, &m.safety);
  uv_signal_init(m.loop, &m.sigterm);
  uv_signal_init(m.loop, &m.sigint);
  m.sigterm.data = m.sigint.data = &m;
  uv_signal_start(&m.sigterm, signal_cb, SIGTERM);
  uv_signal_start(&m.sigint, signal_cb, SIGINT);
  uv_run(m.loop, UV_RUN_DEFAULT);
  if (m.rt) { /* the loop stopped without a shutdown: should not happen */
    rt_live_free(m.rt);
    uv_close((uv_handle_t *)&m.sigterm, closed_cb);
    uv_close((uv_handle_t *)&m.sigint, closed_cb);
  }
  uv_close((uv_handle_t *)&m.safety, closed_cb);
  uv_run(m.loop, UV_RUN_NOWAIT);
  uv_loop_close(m.loop);
  return 0;
}
