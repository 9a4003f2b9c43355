/* sim/metrics/serve.h: a scrape endpoint on loopback.
 *
 * A small HTTP/1.1 server on its own thread, for a real Prometheus to read
 * a simulation while it runs: GET /metrics or /stats/prometheus (the
 * sidecars' path) answers the last published exposition with
 * "Content-Type: text/plain; version=0.0.4; charset=utf-8"; GET / a short
 * page; anything else 404 (405 for other methods). One request per
 * connection (Connection: close), a 5 s limit to read a request, 16 KiB
 * at most. The simulation's thread publishes; it never waits on a client.
 */
#ifndef MESHSIM_SIM_METRICS_SERVE_H
#define MESHSIM_SIM_METRICS_SERVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_server ms_server_t;

/* Listens on |addr| ("127.0.0.1:9100", "localhost:0", "[::1]:9100"; port 0
 * picks a free one) and starts serving an empty exposition. Only loopback
 * addresses are accepted. 0 and |*out| (the caller's: ms_server_stop), or
 * MS_EINVAL (not a loopback host:port), MS_EIO (bind/listen/thread), and
 * MS_ENOMEM; |err| says why. */
int ms_server_start(const char *addr, ms_server_t **out, char *err,
                    size_t errsize);

/* The port listened on (useful with port 0). */
int ms_server_port(const ms_server_t *srv);

/* Replaces what /metrics answers with a copy of |text| (|len| bytes).
 * 0, MS_ENOMEM (the previous text stays). Thread-safe with the server. */
int ms_server_publish(ms_server_t *srv, const char *text, size_t len);

/* Requests answered so far (any path). */
uint64_t ms_server_requests(ms_server_t *srv);

/* Stops the thread (within about 0.2 s, and after the request in hand),
 * closes the socket and frees the server. NULL: no-op. */
void ms_server_stop(ms_server_t *srv);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_METRICS_SERVE_H */
