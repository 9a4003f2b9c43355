/* sim/metrics/metrics.c: the registry of Istio's standard metrics and its
 * Prometheus exposition. See metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors -------------------------------------------------------------- */

const char *ms_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define MS_ERR_STR(name, code, msg) case code: return msg;
		MS_ERRNO_MAP(MS_ERR_STR)
#undef MS_ERR_STR
	}
	return "unknown error";
}

const char *ms_err_name(int err)
{
	switch (err) {
	case 0:
		return "OK";
#define MS_ERR_NAME(name, code, msg) case code: return "MS_" #name;
		MS_ERRNO_MAP(MS_ERR_NAME)
#undef MS_ERR_NAME
	}
	return "MS_UNKNOWN";
}

/* ---- the metrics --------------------------------------------------------- */

const char *const ms_label_names[MS_NLABELS] = {
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "request_protocol",
    "response_code",
    "grpc_response_status",
    "response_flags",
    "connection_security_policy",
    "source_cluster",
    "destination_cluster",
};
#define LBL_RESPONSE_CODE 15
#define LBL_GRPC_STATUS 16

/* MESH.md's list, which is Istio's default for the duration histogram. */
const double ms_duration_buckets[MS_DURATION_NBUCKETS] = {
    0.5,  1,     5,     10,     25,     50,      100,     250,     500, 1000,
    2500, 5000,  10000, 30000,  60000,  300000,  600000,  1800000, 3600000,
};

/* Istio's sidecars expose istio_request_bytes and istio_response_bytes with
 * exponential buckets 1, 10, ..., 10^7 (istio/proxy's stats filter, as seen
 * in a sidecar's /stats/prometheus; the telemetry reference at
 * istio.io/latest/docs/reference/config/telemetry/metrics names the
 * metrics as DISTRIBUTIONs without listing bounds). */
const double ms_bytes_buckets[MS_BYTES_NBUCKETS] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
};

const ms_family_t ms_families[MS_NFAMILIES] = {
    [MS_REQUESTS_TOTAL] = {"istio_requests_total", "counter",
                           "Requests handled by an Istio proxy."},
    [MS_REQUEST_DURATION] = {"istio_request_duration_milliseconds",
                             "histogram",
                             "Duration of requests in milliseconds."},
    [MS_REQUEST_BYTES] = {"istio_request_bytes", "histogram",
                          "Sizes of requests in bytes."},
    [MS_RESPONSE_BYTES] = {"istio_response_bytes", "histogram",
                           "Sizes of responses in bytes."},
    [MS_REQUEST_MESSAGES] = {"istio_request_messages_total", "counter",
                             "gRPC messages sent by clients."},
    [MS_RESPONSE_MESSAGES] = {"istio_response_messages_total", "counter",
                              "gRPC messages sent by servers."},
    [MS_TCP_SENT_BYTES] = {"istio_tcp_sent_bytes_total", "counter",
                           "Bytes sent in responses over TCP."},
    [MS_TCP_RECEIVED_BYTES] = {"istio_tcp_received_bytes_total", "counter",
                               "Bytes received in requests over TCP."},
    [MS_TCP_OPENED] = {"istio_tcp_connections_opened_total", "counter",
                       "TCP connections opened."},
    [MS_TCP_CLOSED] = {"istio_tcp_connections_closed_total", "counter",
                       "TCP connections closed."},
};

int ms_family_find(const char *name)
{
	if (!name)
		return -1;
	size_t n = strlen(name);
	for (int i = 0; i < MS_NFAMILIES; i++) {
		const ms_family_t *f = &ms_families[i];
		size_t fn = strlen(f->name);
		if (n == fn && !memcmp(name, f->name, n))
			return i;
		if (strcmp(f->type, "histogram") || n <= fn ||
		    memcmp(name, f->name, fn))
			continue;
		const char *suf = name + fn;
		if (!strcmp(suf, "_bucket") || !strcmp(suf, "_sum") ||
		    !strcmp(suf, "_count"))
			return i;
	}
	return -1;
}

/* ---- series -------------------------------------------------------------- */

typedef struct hist {
	uint64_t n[MS_DURATION_NBUCKETS + 1]; /* per bucket, not cumulative;
	                                         the last is +Inf */
	uint64_t count;
	double sum;
} hist_t;

struct ms_series {
	uint64_t hash;
	int tcp;
	int grpc;  /* has message counters */
	int dirty; /* changed since ms_registry_mark_clean */
	ms_labels_t l;   /* values, in |block| */
	char *text;      /* the escaped label text, in |block| */
	uint64_t requests;
	hist_t dur, reqb, respb;
	uint64_t req_msgs, resp_msgs;
	uint64_t tcp_sent, tcp_recv, tcp_open, tcp_close;
	char block[]; /* label values, then |text| */
};
typedef struct ms_series series_t;

struct ms_registry {
	series_t **all; /* creation order */
	size_t n, cap;
	uint32_t *slots; /* index + 1 into |all|; 0 empty */
	size_t nslots;   /* power of two, at least 2 n */
	uint64_t records;
};

#define VAL(p) ((p) ? (p) : "unknown")

static const char *label_at(const ms_labels_t *l, int i)
{
	return ((const char *const *)l)[i];
}

static int label_skipped(int tcp, int i)
{
	return tcp && (i == LBL_RESPONSE_CODE || i == LBL_GRPC_STATUS);
}

/* FNV-1a over the values, each ended by a 0 byte, then the kind. */
static uint64_t labels_hash(const ms_labels_t *l, int tcp)
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < MS_NLABELS; i++) {
		if (label_skipped(tcp, i))
			continue;
		const unsigned char *p = (const unsigned char *)VAL(label_at(l, i));
		for (; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	h = (h ^ (uint64_t)(tcp + 1)) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static int labels_equal(const series_t *s, const ms_labels_t *l, int tcp)
{
	if (s->tcp != tcp)
		return 0;
	for (int i = 0; i < MS_NLABELS; i++) {
		if (label_skipped(tcp, i))
			continue;
		if (strcmp(label_at(&s->l, i), VAL(label_at(l, i))))
			return 0;
	}
	return 1;
}

size_t ms_escape_label(const char *v, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = v; *p; p++) {
		char e = 0;
		if (*p == '\\')
			e = '\\';
		else if (*p == '"')
			e = '"';
		else if (*p == '\n')
			e = 'n';
		if (e) {
			if (n + 1 < size)
				out[n] = '\\';
			n++;
			if (n + 1 < size)
				out[n] = e;
			n++;
		} else {
			if (n + 1 < size)
				out[n] = *p;
			n++;
		}
	}
	if (size)
		out[n < size ? n : size - 1] = 0;
	return n;
}

static series_t *series_new(const ms_labels_t *l, int tcp, uint64_t h)
{
	size_t vals = 0, text = 0;
	for (int i = 0; i < MS_NLABELS; i++) {
		if (label_skipped(tcp, i))
			continue;
		const char *v = VAL(label_at(l, i));
		vals += strlen(v) + 1;
		text += strlen(ms_label_names[i]) + 4 +
		        ms_escape_label(v, NULL, 0);
	}
	series_t *s = calloc(1, sizeof *s + vals + text + 1);
	if (!s)
		return NULL;
	s->hash = h;
	s->tcp = tcp;
	char *p = s->block;
	const char **dst = (const char **)&s->l;
	for (int i = 0; i < MS_NLABELS; i++) {
		if (label_skipped(tcp, i)) {
			dst[i] = NULL;
			continue;
		}
		const char *v = VAL(label_at(l, i));
		size_t n = strlen(v) + 1;
		memcpy(p, v, n);
		dst[i] = p;
		p += n;
	}
	s->text = p;
	size_t left = text + 1;
	for (int i = 0; i < MS_NLABELS; i++) {
		if (label_skipped(tcp, i))
			continue;
		size_t k = (size_t)snprintf(p, left, "%s%s=\"",
		                            p == s->text ? "" : ",",
		                            ms_label_names[i]);
		p += k, left -= k;
		k = ms_escape_label(dst[i], p, left);
		p += k, left -= k;
		*p++ = '"', left--;
	}
	*p = 0;
	return s;
}

ms_registry_t *ms_registry_new(void)
{
	ms_registry_t *reg = calloc(1, sizeof *reg);
	if (!reg)
		return NULL;
	reg->nslots = 256;
	reg->slots = calloc(reg->nslots, sizeof *reg->slots);
	if (!reg->slots) {
		free(reg);
		return NULL;
	}
	return reg;
}

void ms_registry_free(ms_registry_t *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->n; i++)
		free(reg->all[i]);
	free(reg->all);
	free(reg->slots);
	free(reg);
}

size_t ms_registry_series(const ms_registry_t *reg) { return reg->n; }
uint64_t ms_registry_records(const ms_registry_t *reg) { return reg->records; }

static int grow_slots(ms_registry_t *reg)
{
	size_t ns = reg->nslots * 2;
	uint32_t *sl = calloc(ns, sizeof *sl);
	if (!sl)
		return MS_ENOMEM;
	for (size_t i = 0; i < reg->n; i++) {
		size_t j = (size_t)reg->all[i]->hash & (ns - 1);
		while (sl[j]) /* bounded: the table is at most half full */
			j = (j + 1) & (ns - 1);
		sl[j] = (uint32_t)i + 1;
	}
	free(reg->slots);
	reg->slots = sl;
	reg->nslots = ns;
	return 0;
}

/* The series of |l|, made when new; NULL when out of memory. */
static series_t *series_get(ms_registry_t *reg, const ms_labels_t *l, int tcp)
{
	uint64_t h = labels_hash(l, tcp);
	size_t mask = reg->nslots - 1, j = (size_t)h & mask;
	for (;;) { /* ends: the table always has empty slots */
		uint32_t k = reg->slots[j];
		if (!k)
			break;
		series_t *s = reg->all[k - 1];
		if (s->hash == h && labels_equal(s, l, tcp))
			return s;
		j = (j + 1) & mask;
	}
	if ((reg->n + 1) * 2 > reg->nslots || reg->n == reg->cap) {
		if (reg->n == reg->cap) {
			size_t nc = reg->cap ? reg->cap * 2 : 64;
			series_t **na = realloc(reg->all, nc * sizeof *na);
			if (!na)
				return NULL;
			reg->all = na;
			reg->cap = nc;
		}
		if ((reg->n + 1) * 2 > reg->nslots) {
			if (grow_slots(reg) != 0)
				return NULL;
			mask = reg->nslots - 1;
		}
		j = (size_t)h & mask;
		while (reg->slots[j])
			j = (j + 1) & mask;
	}
	if (reg->n >= UINT32_MAX - 1)
		return NULL;
	series_t *s = series_new(l, tcp, h);
	if (!s)
		return NULL;
	reg->all[reg->n] = s;
	reg->slots[j] = (uint32_t)++reg->n;
	return s;
}

static void hist_add(hist_t *hh, const double *bounds, int nb, double v)
{
	/* The first bound v is at most (le is inclusive). */
	int lo = 0, hi = nb;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (v <= bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	hh->n[lo]++;
	hh->count++;
	hh->sum += v;
}

ms_series_t *ms_registry_series_get(ms_registry_t *reg, const ms_labels_t *l)
{
	return reg && l ? series_get(reg, l, 0) : NULL;
}

int ms_record_request(ms_registry_t *reg, const ms_labels_t *l,
                      double duration_ms, uint64_t req_bytes,
                      uint64_t resp_bytes, int grpc, uint64_t req_msgs,
                      uint64_t resp_msgs)
{
	if (!reg || !l || !(duration_ms >= 0))
		return MS_EINVAL;
	series_t *s = series_get(reg, l, 0);
	if (!s)
		return MS_ENOMEM;
	ms_series_add_request(reg, s, duration_ms, req_bytes, resp_bytes, grpc,
	                      req_msgs, resp_msgs);
	return 0;
}

void ms_series_add_request(ms_registry_t *reg, ms_series_t *s,
                           double duration_ms, uint64_t req_bytes,
                           uint64_t resp_bytes, int grpc, uint64_t req_msgs,
                           uint64_t resp_msgs)
{
	s->requests++;
	hist_add(&s->dur, ms_duration_buckets, MS_DURATION_NBUCKETS,
	         duration_ms);
	hist_add(&s->reqb, ms_bytes_buckets, MS_BYTES_NBUCKETS,
	         (double)req_bytes);
	hist_add(&s->respb, ms_bytes_buckets, MS_BYTES_NBUCKETS,
	         (double)resp_bytes);
	if (grpc) {
		s->grpc = 1;
		s->req_msgs += req_msgs;
		s->resp_msgs += resp_msgs;
	}
	s->dirty = 1;
	reg->records++;
}

int ms_record_tcp(ms_registry_t *reg, const ms_labels_t *l, uint64_t sent,
                  uint64_t received, uint64_t opened, uint64_t closed)
{
	if (!reg || !l)
		return MS_EINVAL;
	series_t *s = series_get(reg, l, 1);
	if (!s)
		return MS_ENOMEM;
	s->tcp_sent += sent;
	s->tcp_recv += received;
	s->tcp_open += opened;
	s->tcp_close += closed;
	s->dirty = 1;
	reg->records++;
	return 0;
}

/* ---- exposition ---------------------------------------------------------- */

const char *ms_format_value(double v, char *buf)
{
	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, 32, "%.0f", v);
	else
		snprintf(buf, 32, "%.17g", v);
	return buf;
}

static int cmp_series(const void *a, const void *b)
{
	const series_t *x = *(const series_t *const *)a;
	const series_t *y = *(const series_t *const *)b;
	int c = strcmp(x->text, y->text);
	return c ? c : x->tcp - y->tcp;
}

/* Does series |s| have samples in family |f|? */
static int in_family(const series_t *s, int f)
{
	switch (f) {
	case MS_REQUESTS_TOTAL:
	case MS_REQUEST_DURATION:
	case MS_REQUEST_BYTES:
	case MS_RESPONSE_BYTES:
		return !s->tcp;
	case MS_REQUEST_MESSAGES:
	case MS_RESPONSE_MESSAGES:
		return !s->tcp && s->grpc;
	default:
		return s->tcp;
	}
}

static int emit_hist(const series_t *s, int f, const hist_t *h,
                     const double *bounds, int nb, ms_sample_cb cb,
                     void *user)
{
	char name[96], le[32];
	const char *base = ms_families[f].name;
	ms_sample_t smp = {.family = (ms_family_id_t)f, .name = name,
	                   .labels = s->text, .l = &s->l, .tcp = s->tcp};
	uint64_t cum = 0;
	snprintf(name, sizeof name, "%s_bucket", base);
	for (int i = 0; i <= nb; i++) {
		cum += h->n[i];
		if (i < nb)
			ms_format_value(bounds[i], le);
		else
			strcpy(le, "+Inf");
		smp.le = le;
		smp.ord = i;
		smp.value = (double)cum;
		int rc = cb(user, &smp);
		if (rc)
			return rc;
	}
	smp.le = NULL;
	snprintf(name, sizeof name, "%s_sum", base);
	smp.ord = nb + 1;
	smp.value = h->sum;
	int rc = cb(user, &smp);
	if (rc)
		return rc;
	snprintf(name, sizeof name, "%s_count", base);
	smp.ord = nb + 2;
	smp.value = (double)h->count;
	return cb(user, &smp);
}

static int emit_family(const series_t *s, int f, ms_sample_cb cb, void *user)
{
	uint64_t v;
	switch (f) {
	case MS_REQUEST_DURATION:
		return emit_hist(s, f, &s->dur, ms_duration_buckets,
		                 MS_DURATION_NBUCKETS, cb, user);
	case MS_REQUEST_BYTES:
		return emit_hist(s, f, &s->reqb, ms_bytes_buckets,
		                 MS_BYTES_NBUCKETS, cb, user);
	case MS_RESPONSE_BYTES:
		return emit_hist(s, f, &s->respb, ms_bytes_buckets,
		                 MS_BYTES_NBUCKETS, cb, user);
	case MS_REQUESTS_TOTAL: v = s->requests; break;
	case MS_REQUEST_MESSAGES: v = s->req_msgs; break;
	case MS_RESPONSE_MESSAGES: v = s->resp_msgs; break;
	case MS_TCP_SENT_BYTES: v = s->tcp_sent; break;
	case MS_TCP_RECEIVED_BYTES: v = s->tcp_recv; break;
	case MS_TCP_OPENED: v = s->tcp_open; break;
	default: v = s->tcp_close; break;
	}
	ms_sample_t smp = {.family = (ms_family_id_t)f,
	                   .name = ms_families[f].name,
	                   .labels = s->text,
	                   .value = (double)v,
	                   .l = &s->l,
	                   .tcp = s->tcp};
	return cb(user, &smp);
}

/* Calls |fam_cb| before the first sample of each family with samples. */
static int foreach(const ms_registry_t *reg, int changed_only, int only,
                   int (*fam_cb)(void *, int), ms_sample_cb cb, void *user)
{
	if (!reg->n)
		return 0;
	series_t **v = malloc(reg->n * sizeof *v);
	if (!v)
		return MS_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < reg->n; i++)
		if (!changed_only || reg->all[i]->dirty)
			v[n++] = reg->all[i];
	qsort(v, n, sizeof *v, cmp_series);
	int rc = 0;
	for (int f = 0; f < MS_NFAMILIES && !rc; f++) {
		if (only >= 0 && f != only)
			continue;
		int started = 0;
		for (size_t i = 0; i < n && !rc; i++) {
			if (!in_family(v[i], f))
				continue;
			if (!started && fam_cb)
				rc = fam_cb(user, f);
			started = 1;
			if (!rc)
				rc = emit_family(v[i], f, cb, user);
		}
	}
	free(v);
	return rc;
}

int ms_registry_foreach(const ms_registry_t *reg, int changed_only,
                        ms_sample_cb cb, void *user)
{
	return foreach(reg, changed_only, -1, NULL, cb, user);
}

void ms_registry_mark_clean(ms_registry_t *reg)
{
	for (size_t i = 0; i < reg->n; i++)
		reg->all[i]->dirty = 0;
}

static int write_family_head(void *user, int f)
{
	FILE *out = user;
	return fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", ms_families[f].name,
	               ms_families[f].help, ms_families[f].name,
	               ms_families[f].type) < 0
	           ? MS_EIO
	           : 0;
}

static int write_sample(void *user, const ms_sample_t *s)
{
	FILE *out = user;
	char val[32];
	int rc;
	if (s->le)
		rc = fprintf(out, "%s{%s,le=\"%s\"} %s\n", s->name, s->labels,
		             s->le, ms_format_value(s->value, val));
	else
		rc = fprintf(out, "%s{%s} %s\n", s->name, s->labels,
		             ms_format_value(s->value, val));
	return rc < 0 ? MS_EIO : 0;
}

int ms_write_prometheus(const ms_registry_t *reg, const char *match,
                        FILE *out)
{
	int only = -1;
	if (match && (only = ms_family_find(match)) < 0)
		return 0;
	int rc = foreach(reg, 0, only, write_family_head, write_sample, out);
	if (rc == 0 && ferror(out))
		rc = MS_EIO;
	return rc;
}
