/* sim/metrics/serve.c: the scrape endpoint. See serve.h. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "metrics.h"

#define REQ_MAX 16384
#define READ_TIMEOUT_S 5

struct ms_server {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	char *text; /* under |mu| */
	size_t len;
	uint64_t requests;
	volatile int stop; /* set under |mu| */
};

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void respond(int fd, const char *status, const char *ctype,
                    const char *body, size_t len, int head_only)
{
	char h[256];
	int n = snprintf(h, sizeof h,
	                 "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                 status, ctype, len);
	if (send_all(fd, h, (size_t)n) == 0 && !head_only && len)
		send_all(fd, body, len);
}

static void serve_one(ms_server_t *srv, int fd)
{
	struct timeval tv = {.tv_sec = READ_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char *req = malloc(REQ_MAX + 1);
	if (!req)
		return;
	size_t n = 0;
	/* Until the end of the headers, the limit, EOF or the timeout. */
	while (n < REQ_MAX) {
		ssize_t k = recv(fd, req + n, REQ_MAX - n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = 0;
	char method[16] = "", target[512] = "";
	if (sscanf(req, "%15s %511s", method, target) != 2) {
		respond(fd, "400 Bad Request", "text/plain", "bad request\n", 12,
		        0);
		free(req);
		return;
	}
	free(req);
	char *q = strchr(target, '?');
	if (q)
		*q = 0;
	int head = !strcmp(method, "HEAD");
	pthread_mutex_lock(&srv->mu);
	srv->requests++;
	pthread_mutex_unlock(&srv->mu);
	if (strcmp(method, "GET") && !head) {
		respond(fd, "405 Method Not Allowed", "text/plain",
		        "only GET\n", 9, 0);
	} else if (!strcmp(target, "/metrics") ||
	           !strcmp(target, "/stats/prometheus")) {
		pthread_mutex_lock(&srv->mu);
		size_t len = srv->len;
		char *copy = len ? malloc(len) : NULL;
		if (copy)
			memcpy(copy, srv->text, len);
		pthread_mutex_unlock(&srv->mu);
		if (len && !copy)
			respond(fd, "503 Service Unavailable", "text/plain",
			        "out of memory\n", 14, head);
		else
			respond(fd, "200 OK",
			        "text/plain; version=0.0.4; charset=utf-8",
			        copy, len, head);
		free(copy);
	} else if (!strcmp(target, "/")) {
		static const char page[] =
		    "meshsim: Istio's standard metrics of the simulation at "
		    "/metrics and /stats/prometheus\n";
		respond(fd, "200 OK", "text/plain; charset=utf-8", page,
		        sizeof page - 1, head);
	} else {
		respond(fd, "404 Not Found", "text/plain", "not found\n", 10,
		        head);
	}
}

static void *serve_loop(void *arg)
{
	ms_server_t *srv = arg;
	for (;;) {
		pthread_mutex_lock(&srv->mu);
		int stop = srv->stop;
		pthread_mutex_unlock(&srv->mu);
		if (stop)
			break;
		struct pollfd p = {.fd = srv->fd, .events = POLLIN};
		int r = poll(&p, 1, 200);
		if (r <= 0)
			continue;
		int c = accept(srv->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(srv, c);
		close(c);
	}
	return NULL;
}

int ms_server_start(const char *addr, ms_server_t **out, char *err,
                    size_t errsize)
{
	*out = NULL;
	char host[256];
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	if (!colon || (size_t)(colon - addr) >= sizeof host || !colon[1]) {
		snprintf(err, errsize, "'%s': expected HOST:PORT",
		         addr ? addr : "");
		return MS_EINVAL;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	if (host[0] == '[') { /* [::1] */
		size_t hl = strlen(host);
		if (hl < 2 || host[hl - 1] != ']') {
			snprintf(err, errsize, "'%s': bad IPv6 address", addr);
			return MS_EINVAL;
		}
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICSERV},
	                *ai = NULL;
	int gr = getaddrinfo(host, colon + 1, &hints, &ai);
	if (gr != 0 || !ai) {
		snprintf(err, errsize, "'%s': %s", addr, gai_strerror(gr));
		return MS_EINVAL;
	}
	if (!is_loopback(ai->ai_addr)) {
		snprintf(err, errsize,
		         "'%s': only loopback addresses (127.0.0.0/8, ::1)",
		         addr);
		freeaddrinfo(ai);
		return MS_EINVAL;
	}
	ms_server_t *srv = calloc(1, sizeof *srv);
	if (!srv) {
		freeaddrinfo(ai);
		snprintf(err, errsize, "out of memory");
		return MS_ENOMEM;
	}
	srv->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (srv->fd >= 0)
		setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (srv->fd < 0 || bind(srv->fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(srv->fd, 16) != 0) {
		snprintf(err, errsize, "'%s': %s", addr, strerror(errno));
		if (srv->fd >= 0)
			close(srv->fd);
		free(srv);
		freeaddrinfo(ai);
		return MS_EIO;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(srv->fd, (struct sockaddr *)&ss, &sl) == 0)
		srv->port = ntohs(ss.ss_family == AF_INET6
		                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                      : ((struct sockaddr_in *)&ss)->sin_port);
	pthread_mutex_init(&srv->mu, NULL);
	if (pthread_create(&srv->thread, NULL, serve_loop, srv) != 0) {
		snprintf(err, errsize, "cannot start the server's thread");
		pthread_mutex_destroy(&srv->mu);
		close(srv->fd);
		free(srv);
		return MS_EIO;
	}
	*out = srv;
	return 0;
}

int ms_server_port(const ms_server_t *srv) { return srv->port; }

int ms_server_publish(ms_server_t *srv, const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return MS_ENOMEM;
	memcpy(copy, text, len);
	pthread_mutex_lock(&srv->mu);
	char *old = srv->text;
	srv->text = copy;
	srv->len = len;
	pthread_mutex_unlock(&srv->mu);
	free(old);
	return 0;
}

uint64_t ms_server_requests(ms_server_t *srv)
{
	pthread_mutex_lock(&srv->mu);
	uint64_t n = srv->requests;
	pthread_mutex_unlock(&srv->mu);
	return n;
}

void ms_server_stop(ms_server_t *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->mu);
	srv->stop = 1;
	pthread_mutex_unlock(&srv->mu);
	pthread_join(srv->thread, NULL);
	close(srv->fd);
	pthread_mutex_destroy(&srv->mu);
	free(srv->text);
	free(srv);
}
