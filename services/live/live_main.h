/*
 * live_main.h — the whole process of one live service, for its main():
 *
 *   #include "live_main.h"
 *   int main(int argc, char **argv) {
 *     return rt_live_main(&currencyservice, argc, argv);
 *   }
 *
 * Includes no libuv or nghttp2 header, so service code can use it.
 */
#ifndef MESHSIM_LIVE_MAIN_H
#define MESHSIM_LIVE_MAIN_H

#include "rt.h"

/* Runs |svc| as a gRPC server until SIGTERM or SIGINT, and returns the
 * process exit status:
 *   0  after a graceful shutdown (health NOT_SERVING, listener closed,
 *      GOAWAY, in-flight calls finish within SHUTDOWN_GRACE_SECONDS, then
 *      svc->fini), also when the grace period ran out;
 *   0  for --help (usage on stdout) and --version;
 *   1  when init fails or the port cannot be bound;
 *   2  for a bad command line or configuration (PORT, BIND_ADDR,
 *      SHUTDOWN_GRACE_SECONDS, GRPC_KEEPALIVE_SECONDS, LOG_LEVEL, or
 *      rt_config_error() from init): a one-line message on stderr naming the
 *      variable and value, plus a JSON log line on stdout.
 * Environment: PORT (default svc->default_port; 0 = ephemeral, logged),
 * BIND_ADDR (default 0.0.0.0), SHUTDOWN_GRACE_SECONDS (default 5),
 * GRPC_KEEPALIVE_SECONDS (default 60), LOG_LEVEL (debug|info|warning|error,
 * default info); for a service that serves HTTP/1.1 (rt_serve_http in
 * init) also HTTP_MAX_BODY_BYTES (default 8 MiB), HTTP_REQUEST_TIMEOUT_SECONDS
 * (default 30), HTTP_IDLE_TIMEOUT_SECONDS (default 60). Logs are JSON lines
 * on stdout; "listening" carries the address and port (and "protocol":"http"
 * for an HTTP service). */
int rt_live_main(const rt_service_t *svc, int argc, char **argv);

#endif /* MESHSIM_LIVE_MAIN_H */
