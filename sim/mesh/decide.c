/* sim/mesh/decide.c: Istio's decisions, pure. */
#include "decide.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PeerAuthentication ---- */
static int pa_has_labels(const mesh_peerauth_t *p)
{
	return p->has_selector && p->selector.n > 0;
}

static const mesh_peerauth_t *oldest(const mesh_peerauth_t *a, const mesh_peerauth_t *b)
{
	return !a || (b && b->meta.age < a->meta.age) ? b : a;
}

mesh_peer_decision_t mesh_peer_mode(const mesh_config_t *cfg, const mesh_workload_t *w, int port)
{
	const mesh_peerauth_t *mesh = NULL, *ns = NULL, *wl = NULL;
	for (size_t i = 0; i < cfg->npa; i++) {
		const mesh_peerauth_t *p = cfg->pa[i];
		if (!pa_has_labels(p)) {
			if (!strcmp(p->meta.ns, MESH_ROOT_NAMESPACE))
				mesh = oldest(mesh, p);
			if (!strcmp(p->meta.ns, w->ns))
				ns = oldest(ns, p);
		} else if (!strcmp(p->meta.ns, w->ns) && mesh_labels_match(&p->selector, &w->labels)) {
			wl = oldest(wl, p);
		}
	}
	mesh_peer_decision_t d = {MESH_MTLS_PERMISSIVE, NULL, MESH_PEER_DEFAULT};
	if (mesh && mesh->mode != MESH_MTLS_UNSET)
		d = (mesh_peer_decision_t){mesh->mode, mesh, MESH_PEER_MESH};
	if (ns && ns != mesh && ns->mode != MESH_MTLS_UNSET)
		d = (mesh_peer_decision_t){ns->mode, ns, MESH_PEER_NAMESPACE};
	if (wl) {
		if (wl->mode != MESH_MTLS_UNSET)
			d = (mesh_peer_decision_t){wl->mode, wl, MESH_PEER_WORKLOAD};
		for (size_t i = 0; i < wl->nports; i++)
			if (wl->ports[i].port == port && wl->ports[i].mode != MESH_MTLS_UNSET)
				d = (mesh_peer_decision_t){wl->ports[i].mode, wl, MESH_PEER_PORT};
	}
	return d;
}

int mesh_peer_accepts(mesh_mtls_t mode, int mtls)
{
	switch (mode) {
	case MESH_MTLS_STRICT:
		return mtls;
	case MESH_MTLS_DISABLE:
		return !mtls;
	default:
		return 1;
	}
}

/* ---- AuthorizationPolicy ---- */

/* Istio's string match: "*" anything, "abc*" prefix, "*abc" suffix, else
 * exact. */
static int glob(const char *pat, const char *v, int nocase)
{
	if (!v)
		return 0;
	size_t pl = strlen(pat), vl = strlen(v);
	int (*cmp)(const char *, const char *, size_t) = nocase ? strncasecmp : strncmp;
	if (!strcmp(pat, "*"))
		return 1;
	if (pl && pat[pl - 1] == '*')
		return vl >= pl - 1 && !cmp(pat, v, pl - 1);
	if (pat[0] == '*')
		return vl >= pl - 1 && !cmp(pat + 1, v + vl - (pl - 1), pl - 1);
	return pl == vl && !cmp(pat, v, pl);
}

static int any_glob(const mesh_strs_t *s, const char *v, int nocase)
{
	for (size_t i = 0; i < s->n; i++)
		if (glob(s->v[i], v, nocase))
			return 1;
	return 0;
}

static int parse_ipv4(const char *s, uint32_t *out)
{
	unsigned a, b, c, d;
	char tail;
	if (!s || sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return -1;
	*out = a << 24 | b << 16 | c << 8 | d;
	return 0;
}

static int cidr_match(const char *block, const char *ip)
{
	uint32_t a, b;
	char net[64];
	int bits = 32;
	const char *slash = strchr(block, '/');
	snprintf(net, sizeof net, "%.*s", slash ? (int)(slash - block) : (int)strlen(block), block);
	if (slash)
		bits = atoi(slash + 1);
	if (parse_ipv4(net, &a) < 0 || parse_ipv4(ip, &b) < 0 || bits < 0 || bits > 32)
		return ip && !strcmp(block, ip); /* IPv6 and odd forms: exact only */
	uint32_t mask = bits ? ~0u << (32 - bits) : 0;
	return (a & mask) == (b & mask);
}

static int any_cidr(const mesh_strs_t *s, const char *ip)
{
	for (size_t i = 0; i < s->n; i++)
		if (cidr_match(s->v[i], ip))
			return 1;
	return 0;
}

/* pos/neg: a set list must match, a set not-list must not. */
#define FIELD_OK(pos, neg, matchexpr_pos, matchexpr_neg)                                   \
	(((pos).n == 0 || (matchexpr_pos)) && ((neg).n == 0 || !(matchexpr_neg)))

typedef struct areq {
	const mesh_authz_req_t *r;
	const char *principal; /* NULL without mTLS */
	char ns[256];          /* "" unknown */
	const char *path;      /* without query */
	char pathbuf[1024];
	char portstr[16];
} areq_t;

static const char *hdr(const mesh_kv_t *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(h[i].key, name))
			return h[i].value;
	return NULL;
}

static int source_ok(const areq_t *a, const mesh_authz_source_t *s)
{
	const char *ns = a->ns[0] ? a->ns : NULL;
	const char *rip = a->r->remote_ip ? a->r->remote_ip : a->r->source_ip;
	return FIELD_OK(s->principals, s->not_principals, any_glob(&s->principals, a->principal, 0),
			any_glob(&s->not_principals, a->principal, 0)) &&
	       FIELD_OK(s->request_principals, s->not_request_principals,
			any_glob(&s->request_principals, a->r->request_principal, 0),
			any_glob(&s->not_request_principals, a->r->request_principal, 0)) &&
	       FIELD_OK(s->namespaces, s->not_namespaces, any_glob(&s->namespaces, ns, 0),
			any_glob(&s->not_namespaces, ns, 0)) &&
	       FIELD_OK(s->ip_blocks, s->not_ip_blocks, any_cidr(&s->ip_blocks, a->r->source_ip),
			any_cidr(&s->not_ip_blocks, a->r->source_ip)) &&
	       FIELD_OK(s->remote_ip_blocks, s->not_remote_ip_blocks, any_cidr(&s->remote_ip_blocks, rip),
			any_cidr(&s->not_remote_ip_blocks, rip));
}

/* 1 matches, 0 does not, 2 may match (op_unknown and the operation
 * constrains host, method or path). */
static int op_ok(const areq_t *a, const mesh_authz_operation_t *o)
{
	if (a->r->op_unknown) {
		if (!FIELD_OK(o->ports, o->not_ports, any_glob(&o->ports, a->portstr, 0),
			      any_glob(&o->not_ports, a->portstr, 0)))
			return 0;
		return o->hosts.n || o->not_hosts.n || o->methods.n || o->not_methods.n || o->paths.n ||
				       o->not_paths.n
			   ? 2
			   : 1;
	}
	return FIELD_OK(o->hosts, o->not_hosts, any_glob(&o->hosts, a->r->host, 1),
			any_glob(&o->not_hosts, a->r->host, 1)) &&
	       FIELD_OK(o->ports, o->not_ports, any_glob(&o->ports, a->portstr, 0),
			any_glob(&o->not_ports, a->portstr, 0)) &&
	       FIELD_OK(o->methods, o->not_methods, any_glob(&o->methods, a->r->method, 0),
			any_glob(&o->not_methods, a->r->method, 0)) &&
	       FIELD_OK(o->paths, o->not_paths, any_glob(&o->paths, a->path, 0),
			any_glob(&o->not_paths, a->path, 0));
}

static int cond_value_ok(const areq_t *a, const char *key, const mesh_strs_t *vals)
{
	const mesh_authz_req_t *r = a->r;
	if (!strncmp(key, "request.headers[", 16)) {
		char name[256];
		const char *end = strchr(key + 16, ']');
		snprintf(name, sizeof name, "%.*s", end ? (int)(end - key - 16) : 0, key + 16);
		return any_glob(vals, hdr(r->headers, r->nheaders, name), 0);
	}
	if (!strcmp(key, "source.ip"))
		return any_cidr(vals, r->source_ip);
	if (!strcmp(key, "remote.ip"))
		return any_cidr(vals, r->remote_ip ? r->remote_ip : r->source_ip);
	if (!strcmp(key, "source.namespace"))
		return any_glob(vals, a->ns[0] ? a->ns : NULL, 0);
	if (!strcmp(key, "source.principal"))
		return any_glob(vals, a->principal, 0);
	if (!strcmp(key, "destination.port"))
		return any_glob(vals, a->portstr, 0);
	if (!strcmp(key, "connection.sni"))
		return any_glob(vals, r->sni, 0);
	if (!strcmp(key, "request.auth.principal"))
		return any_glob(vals, r->request_principal, 0);
	return 0; /* destination.ip, request.auth.audiences/presenter: not modelled */
}

/* 1 matches, 0 does not, 2 may match (see op_unknown). */
static int rule_ok(const areq_t *a, const mesh_authz_rule_t *rule)
{
	int res = 1;
	if (rule->nfrom) {
		int ok = 0;
		for (size_t i = 0; i < rule->nfrom && !ok; i++)
			ok = source_ok(a, &rule->from[i]);
		if (!ok)
			return 0;
	}
	if (rule->nto) {
		int ok = 0;
		for (size_t i = 0; i < rule->nto && ok != 1; i++) {
			int k = op_ok(a, &rule->to[i]);
			if (k == 1 || (k == 2 && !ok))
				ok = k;
		}
		if (!ok)
			return 0;
		res = ok;
	}
	for (size_t i = 0; i < rule->nwhen; i++) {
		const mesh_authz_cond_t *c = &rule->when[i];
		if (a->r->op_unknown && !strncmp(c->key, "request.headers[", 16)) {
			res = 2;
			continue;
		}
		if (c->values.n && !cond_value_ok(a, c->key, &c->values))
			return 0;
		if (c->not_values.n && cond_value_ok(a, c->key, &c->not_values))
			return 0;
	}
	return res;
}

/* Index of the first matching rule (a sure match before a possible one,
 * which counts only when |maybe|), or -1. */
static int policy_match(const areq_t *a, const mesh_authz_policy_t *p, int maybe)
{
	int possible = -1;
	for (size_t i = 0; i < p->nrules; i++) {
		int k = rule_ok(a, &p->rules[i]);
		if (k == 1)
			return (int)i;
		if (k == 2 && possible < 0)
			possible = (int)i;
	}
	return maybe ? possible : -1;
}

static int ap_applies(const mesh_authz_policy_t *p, const mesh_workload_t *w)
{
	int root = !strcmp(p->meta.ns, MESH_ROOT_NAMESPACE);
	if (!root && strcmp(p->meta.ns, w->ns))
		return 0;
	if (p->has_selector && p->selector.n)
		return mesh_labels_match(&p->selector, &w->labels);
	return 1;
}

void mesh_authz(const mesh_config_t *cfg, const mesh_authz_req_t *r, mesh_authz_decision_t *out)
{
	areq_t a = {.r = r};
	memset(out, 0, sizeof *out);
	out->rule = -1;
	if (r->mtls && r->principal) {
		a.principal = r->principal;
		if (!strncmp(a.principal, "spiffe://", 9))
			a.principal += 9;
		const char *ns = r->source_ns;
		const char *p = strstr(a.principal, "/ns/");
		if (ns)
			snprintf(a.ns, sizeof a.ns, "%s", ns);
		else if (p) {
			const char *e = strchr(p + 4, '/');
			snprintf(a.ns, sizeof a.ns, "%.*s", e ? (int)(e - p - 4) : (int)strlen(p + 4), p + 4);
		}
	} else if (r->mtls && r->source_ns) {
		snprintf(a.ns, sizeof a.ns, "%s", r->source_ns);
	}
	a.path = r->path;
	if (r->path && strchr(r->path, '?')) {
		snprintf(a.pathbuf, sizeof a.pathbuf, "%.*s", (int)strcspn(r->path, "?"), r->path);
		a.path = a.pathbuf;
	}
	snprintf(a.portstr, sizeof a.portstr, "%d", r->port);

	/* CUSTOM, then DENY: in age order so the reason names the oldest. */
	for (int pass = 0; pass < 2; pass++) {
		const mesh_authz_policy_t *hit = NULL;
		int hit_rule = -1;
		for (size_t i = 0; i < cfg->nap; i++) {
			const mesh_authz_policy_t *p = cfg->ap[i];
			if (p->action != (pass ? MESH_AUTHZ_DENY : MESH_AUTHZ_CUSTOM) || !ap_applies(p, r->dest))
				continue;
			int k = policy_match(&a, p, 0);
			if (k < 0)
				continue;
			if (!pass && r->custom && r->custom(r->custom_ud, p, r))
				continue; /* the provider allowed it */
			if (!hit || p->meta.age < hit->meta.age)
				hit = p, hit_rule = k;
		}
		if (hit) {
			out->policy = hit;
			out->rule = hit_rule;
			snprintf(out->reason, sizeof out->reason, "RBAC: access denied by %s policy %s/%s rule %d%s%s",
				 pass ? "DENY" : "CUSTOM", hit->meta.ns, hit->meta.name, hit_rule,
				 pass ? "" : " (provider ", pass ? "" : hit->provider ? hit->provider : "?");
			if (!pass)
				strncat(out->reason, ")", sizeof out->reason - strlen(out->reason) - 1);
			return;
		}
	}
	int any_allow = 0;
	const mesh_authz_policy_t *hit = NULL;
	int hit_rule = -1;
	char names[200] = "";
	for (size_t i = 0; i < cfg->nap; i++) {
		const mesh_authz_policy_t *p = cfg->ap[i];
		if (p->action != MESH_AUTHZ_ALLOW || !ap_applies(p, r->dest))
			continue;
		any_allow = 1;
		size_t nl = strlen(names);
		snprintf(names + nl, sizeof names - nl, "%s%s/%s", nl ? ", " : "", p->meta.ns, p->meta.name);
		int k = policy_match(&a, p, 1);
		if (k >= 0 && (!hit || p->meta.age < hit->meta.age))
			hit = p, hit_rule = k;
	}
	if (!any_allow) {
		out->allow = 1;
		snprintf(out->reason, sizeof out->reason, "allowed: no ALLOW policy applies to %s/%s",
			 r->dest->ns, r->dest->name ? r->dest->name : "(workload)");
		return;
	}
	if (hit) {
		out->allow = 1;
		out->policy = hit;
		out->rule = hit_rule;
		snprintf(out->reason, sizeof out->reason, "allowed by ALLOW policy %s/%s rule %d",
			 hit->meta.ns, hit->meta.name, hit_rule);
		return;
	}
	snprintf(out->reason, sizeof out->reason, "RBAC: access denied (no rule of ALLOW policy %s matches%s)",
		 names, r->mtls ? "" : "; without mTLS no principal or namespace can match");
}

/* ---- routing ---- */
static int regex_full(const char *re, const char *v, int nocase)
{
	char anchored[1024];
	snprintf(anchored, sizeof anchored, "^(%s)$", re);
	regex_t rx;
	if (regcomp(&rx, anchored, REG_EXTENDED | REG_NOSUB | (nocase ? REG_ICASE : 0)))
		return 0;
	int ok = regexec(&rx, v, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

static int sm_ok(const mesh_strmatch_t *m, const char *v, int nocase)
{
	switch (m->kind) {
	case MESH_SM_ANY:
		return 1;
	case MESH_SM_PRESENT:
		return v != NULL;
	case MESH_SM_EXACT:
		return v && (nocase ? !strcasecmp(m->value, v) : !strcmp(m->value, v));
	case MESH_SM_PREFIX:
		return v && !(nocase ? strncasecmp : strncmp)(m->value, v, strlen(m->value));
	case MESH_SM_REGEX:
		return v && regex_full(m->value, v, nocase);
	}
	return 0;
}

static int gw_in(const mesh_strs_t *refs_or_names, const char *const *resolved, const char *g)
{
	if (refs_or_names->n == 0)
		return !strcmp(g, "mesh");
	for (size_t i = 0; i < refs_or_names->n; i++)
		if (!strcmp(resolved ? resolved[i] : refs_or_names->v[i], g))
			return 1;
	return 0;
}

static int match_ok(const mesh_http_match_t *m, const mesh_route_req_t *r, const char *g,
		    const char *path)
{
	if (m->gateways.n && !gw_in(&m->gateways, NULL, g))
		return 0;
	if (!sm_ok(&m->uri, m->uri.kind == MESH_SM_PREFIX ? r->uri : path, m->ignore_uri_case))
		return 0;
	if (!sm_ok(&m->scheme, r->scheme ? r->scheme : "http", 0) || !sm_ok(&m->method, r->method, 0) ||
	    !sm_ok(&m->authority, r->host, 0))
		return 0;
	for (size_t i = 0; i < m->nheaders; i++)
		if (!sm_ok(&m->headers[i].m, hdr(r->headers, r->nheaders, m->headers[i].name), 0))
			return 0;
	for (size_t i = 0; i < m->nwithout; i++) {
		const char *v = hdr(r->headers, r->nheaders, m->without_headers[i].name);
		if (v && sm_ok(&m->without_headers[i].m, v, 0))
			return 0;
	}
	if (m->port && m->port != r->port)
		return 0;
	if (m->source_labels.n && (!r->source_labels || !mesh_labels_match(&m->source_labels, r->source_labels)))
		return 0;
	if (m->source_namespace && (!r->source_ns || strcmp(m->source_namespace, r->source_ns)))
		return 0;
	return 1;
}

/* How well VirtualService |v| claims |host|: 0 not at all; exact hosts
 * rank above every wildcard, longer wildcards above shorter. */
static size_t vs_host_rank(const mesh_vs_t *v, const char *host)
{
	size_t best = 0;
	for (size_t i = 0; i < v->hosts.n; i++) {
		const char *h = v->fqdns ? v->fqdns[i] : v->hosts.v[i];
		if (!mesh_host_matches(h, host))
			continue;
		size_t rank = h[0] == '*' ? 1 + strlen(h) : 100000;
		if (rank > best)
			best = rank;
	}
	return best;
}

void mesh_route(const mesh_config_t *cfg, const mesh_route_req_t *r, double u,
		mesh_route_result_t *out)
{
	memset(out, 0, sizeof *out);
	out->status = MESH_ROUTE_PASSTHROUGH;
	out->host = r->host;
	out->timeout_ms = -1;
	out->retries = (mesh_retry_t){0, MESH_DEFAULT_RETRY_ATTEMPTS, -1, MESH_DEFAULT_RETRY_ON, 0};
	const char *g = r->gateway && strcmp(r->gateway, "mesh") ? r->gateway : "mesh";
	int at_gateway = strcmp(g, "mesh") != 0;

	/* Applying VirtualServices, best first. */
	const mesh_vs_t *cand[64];
	size_t rank[64], nc = 0;
	for (size_t i = 0; i < cfg->nvs && nc < 64; i++) {
		const mesh_vs_t *v = cfg->vs[i];
		size_t k = vs_host_rank(v, r->host);
		if (!k || !gw_in(&v->gateways, v->gw_refs, g))
			continue;
		size_t j = nc++;
		while (j > 0 && (rank[j - 1] < k || (rank[j - 1] == k && cand[j - 1]->meta.age > v->meta.age))) {
			cand[j] = cand[j - 1];
			rank[j] = rank[j - 1];
			j--;
		}
		cand[j] = v;
		rank[j] = k;
	}
	if (!nc)
		return;
	if (!at_gateway)
		nc = 1;
	char pathbuf[2048];
	const char *path = r->uri ? r->uri : "/";
	if (strchr(path, '?')) {
		snprintf(pathbuf, sizeof pathbuf, "%.*s", (int)strcspn(path, "?"), path);
		path = pathbuf;
	}
	out->status = MESH_ROUTE_NOT_FOUND;
	out->host = NULL;
	for (size_t c = 0; c < nc; c++) {
		const mesh_vs_t *v = cand[c];
		for (size_t h = 0; h < v->nhttp; h++) {
			const mesh_http_route_t *hr = &v->http[h];
			int ok = hr->nmatch == 0;
			for (size_t m = 0; m < hr->nmatch && !ok; m++)
				ok = match_ok(&hr->match[m], r, g, path);
			if (!ok)
				continue;
			out->vs = v;
			out->http_index = h;
			out->route = hr;
			if (hr->has_redirect || hr->has_direct_response) {
				out->status = hr->has_redirect ? MESH_ROUTE_REDIRECT : MESH_ROUTE_DIRECT;
				return;
			}
			if (!hr->nroute)
				return; /* delegate: not modelled, no route */
			out->status = MESH_ROUTE_OK;
			long total = 0;
			for (size_t i = 0; i < hr->nroute; i++)
				total += hr->nroute == 1 && hr->route[i].weight < 0 ? 100
					 : hr->route[i].weight > 0                 ? hr->route[i].weight
										   : 0;
			const mesh_route_dest_t *pick = &hr->route[0];
			if (total > 0) {
				double x = u * (double)total, cum = 0;
				for (size_t i = 0; i < hr->nroute; i++) {
					int w = hr->nroute == 1 && hr->route[i].weight < 0 ? 100 : hr->route[i].weight;
					if (w <= 0)
						continue;
					cum += w;
					pick = &hr->route[i];
					if (x < cum)
						break;
				}
			}
			out->chosen = pick;
			out->host = pick->dest.fqdn ? pick->dest.fqdn : pick->dest.host;
			out->subset = pick->dest.subset;
			out->port = pick->dest.port;
			if (hr->has_fault) {
				out->fault = &hr->fault;
				out->retries.attempts = 0;
			} else {
				out->timeout_ms = hr->timeout_ms;
				out->retries = hr->retries;
			}
			if (hr->has_mirror) {
				out->mirror = &hr->mirror;
				out->mirror_pct = hr->mirror_pct;
			}
			return;
		}
	}
}

void mesh_fault_decide(const mesh_fault_t *f, double u_delay, double u_abort,
		       mesh_fault_decision_t *out)
{
	memset(out, 0, sizeof *out);
	if (!f)
		return;
	if (f->has_delay && u_delay * 100.0 < f->delay_pct)
		out->delay_ms = f->delay_ms;
	if (f->has_abort && u_abort * 100.0 < f->abort_pct) {
		out->aborted = 1;
		out->abort_http = f->abort_http;
		out->abort_grpc = f->abort_grpc;
	}
}

static int has_token(const char *list, const char *tok)
{
	size_t tl = strlen(tok);
	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		size_t l2 = len;
		while (l2 && p[l2 - 1] == ' ')
			l2--;
		if (l2 == tl && !strncmp(p, tok, tl))
			return 1;
		p += len;
	}
	return 0;
}

/* Numeric codes listed in retryOn; under Istio's default policy, 503. */
static int retriable_code(const mesh_retry_t *rp, int status)
{
	if (!rp->set || !rp->retry_on || !strcmp(rp->retry_on, MESH_DEFAULT_RETRY_ON))
		return status == 503;
	char buf[16];
	snprintf(buf, sizeof buf, "%d", status);
	return has_token(rp->retry_on, buf);
}

int mesh_retry_should(const mesh_retry_t *rp, const mesh_outcome_t *o)
{
	const char *on = rp->retry_on ? rp->retry_on : MESH_DEFAULT_RETRY_ON;
	int s = o->http_status;
	if (rp->attempts <= 0)
		return 0;
	if (o->connect_failure && (has_token(on, "connect-failure") || has_token(on, "5xx") ||
				   has_token(on, "gateway-error") || has_token(on, "reset")))
		return 1;
	if (o->refused_stream && (has_token(on, "refused-stream") || has_token(on, "5xx") || has_token(on, "reset")))
		return 1;
	if (o->reset && (has_token(on, "reset") || has_token(on, "5xx")))
		return 1;
	if (s >= 500 && s <= 599 && has_token(on, "5xx"))
		return 1;
	if ((s == 502 || s == 503 || s == 504) && has_token(on, "gateway-error"))
		return 1;
	if (s == 409 && has_token(on, "retriable-4xx"))
		return 1;
	if (s && retriable_code(rp, s) &&
	    (has_token(on, "retriable-status-codes") || (rp->set && strcmp(on, MESH_DEFAULT_RETRY_ON))))
		return 1;
	static const struct {
		int code;
		const char *name;
	} grpc[] = {{1, "cancelled"}, {4, "deadline-exceeded"}, {8, "resource-exhausted"},
		    {13, "internal"}, {14, "unavailable"}};
	for (size_t i = 0; o->grpc_status > 0 && i < sizeof grpc / sizeof *grpc; i++)
		if (o->grpc_status == grpc[i].code && has_token(on, grpc[i].name))
			return 1;
	return 0;
}

int64_t mesh_retry_backoff_ms(int n, double u)
{
	int64_t interval = MESH_RETRY_BASE_MS;
	for (int i = 1; i < n && interval < 10 * MESH_RETRY_BASE_MS; i++)
		interval *= 2;
	if (interval > 10 * MESH_RETRY_BASE_MS)
		interval = 10 * MESH_RETRY_BASE_MS;
	return (int64_t)(u * (double)interval);
}

/* ---- traffic policy ---- */
static void overlay(mesh_traffic_policy_t *out, const mesh_traffic_policy_t *tp)
{
	if (!tp->set)
		return;
	out->set = 1;
	if (tp->lb.kind != MESH_LB_DEFAULT)
		out->lb = tp->lb;
	if (tp->pool.set)
		out->pool = tp->pool;
	if (tp->outlier.set)
		out->outlier = tp->outlier;
	if (tp->tls_mode)
		out->tls_mode = tp->tls_mode;
}

static void overlay_port(mesh_traffic_policy_t *out, const mesh_dr_t *dr, int port)
{
	for (size_t i = 0; port && i < dr->nports; i++)
		if (dr->ports[i].port == port)
			overlay(out, &dr->ports[i].tp);
}

void mesh_traffic_policy_for(const mesh_config_t *cfg, const char *fqdn, const char *subset,
			     int port, mesh_traffic_policy_t *out)
{
	memset(out, 0, sizeof *out);
	out->pool.connect_timeout_ms = 10000;
	out->outlier = (mesh_outlier_cfg_t){0, 5, 0, 10000, 30000, 10, 0};
	const mesh_dr_t *dr = mesh_find_dr(cfg, fqdn);
	if (!dr)
		return;
	overlay(out, &dr->tp);
	overlay_port(out, dr, port);
	const mesh_subset_t *s = subset ? mesh_dr_subset(dr, subset) : NULL;
	if (s)
		overlay(out, &s->tp);
	/* A subset's own portLevelSettings are accepted but not modelled. */
}

/* ---- load balancing ---- */
int mesh_lb_panic_pct(const mesh_traffic_policy_t *tp)
{
	return tp && tp->outlier.set ? tp->outlier.min_health_pct : 50;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

int mesh_lb_pick(const mesh_lb_policy_t *p, mesh_lb_state_t *st, const mesh_endpoint_t *eps,
		 size_t n, const char *hash_key, double u1, double u2, int panic_pct)
{
	if (!n)
		return -1;
	size_t navail = 0;
	for (size_t i = 0; i < n; i++)
		navail += eps[i].healthy && !eps[i].ejected;
	int panic = navail * 100 < (size_t)panic_pct * n;
	if (!navail && !panic)
		return -1;
#define AVAIL(i) (panic || (eps[i].healthy && !eps[i].ejected))
	size_t m = panic ? n : navail;
	/* The k-th available endpoint. */
#define NTH(k, out)                                      \
	do {                                             \
		size_t k_ = (k), seen_ = 0;              \
		for (size_t i_ = 0; i_ < n; i_++)        \
			if (AVAIL(i_) && seen_++ == k_) { \
				(out) = i_;              \
				break;                   \
			}                                \
	} while (0)
	size_t pick = 0;
	mesh_lb_kind_t kind = p ? p->kind : MESH_LB_DEFAULT;
	if (kind == MESH_LB_CONSISTENT_HASH && !hash_key)
		kind = MESH_LB_RANDOM;
	switch (kind) {
	case MESH_LB_ROUND_ROBIN:
		for (size_t k = 0; k < n; k++) {
			size_t i = (st->rr_next + k) % n;
			if (AVAIL(i)) {
				pick = i;
				break;
			}
		}
		st->rr_next = (pick + 1) % n;
		break;
	case MESH_LB_RANDOM:
	case MESH_LB_PASSTHROUGH: {
		size_t k = (size_t)(u1 * (double)m);
		NTH(k < m ? k : m - 1, pick);
		break;
	}
	case MESH_LB_CONSISTENT_HASH: {
		uint64_t hk = fnv1a(hash_key), best = 0;
		int have = 0;
		for (size_t i = 0; i < n; i++) {
			if (!AVAIL(i))
				continue;
			uint64_t s = mix64(hk ^ mix64(fnv1a(eps[i].key)));
			if (!have || s > best)
				best = s, pick = i, have = 1;
		}
		break;
	}
	default: { /* LEAST_REQUEST, two random choices */
		size_t a = (size_t)(u1 * (double)m), b = (size_t)(u2 * (double)m), ia = 0, ib = 0;
		NTH(a < m ? a : m - 1, ia);
		NTH(b < m ? b : m - 1, ib);
		pick = eps[ib].active < eps[ia].active ? ib : ia;
		break;
	}
	}
#undef AVAIL
#undef NTH
	return (int)pick;
}

const char *mesh_lb_hash_key(const mesh_lb_policy_t *p, const mesh_kv_t *headers, size_t nheaders,
			     const char *uri, const char *source_ip, char *buf, size_t len)
{
	if (!p || p->kind != MESH_LB_CONSISTENT_HASH)
		return NULL;
	switch (p->hash_on) {
	case MESH_HASH_HEADER: {
		const char *v = hdr(headers, nheaders, p->hash_name);
		return v ? (snprintf(buf, len, "%s", v), buf) : NULL;
	}
	case MESH_HASH_SOURCE_IP:
		return source_ip ? (snprintf(buf, len, "%s", source_ip), buf) : NULL;
	case MESH_HASH_COOKIE: {
		const char *c = hdr(headers, nheaders, "cookie");
		size_t nl = strlen(p->hash_name);
		for (const char *s = c; s && *s;) {
			while (*s == ' ' || *s == ';')
				s++;
			if (!strncmp(s, p->hash_name, nl) && s[nl] == '=') {
				snprintf(buf, len, "%.*s", (int)strcspn(s + nl + 1, ";"), s + nl + 1);
				return buf;
			}
			s += strcspn(s, ";");
		}
		return NULL;
	}
	case MESH_HASH_QUERY: {
		const char *q = uri ? strchr(uri, '?') : NULL;
		size_t nl = strlen(p->hash_name);
		for (const char *s = q ? q + 1 : NULL; s && *s;) {
			if (!strncmp(s, p->hash_name, nl) && s[nl] == '=') {
				snprintf(buf, len, "%.*s", (int)strcspn(s + nl + 1, "&#"), s + nl + 1);
				return buf;
			}
			s += strcspn(s, "&");
			if (*s)
				s++;
		}
		return NULL;
	}
	default:
		return NULL;
	}
}

/* ---- connection pool ---- */
static int over(int64_t limit, int64_t value)
{
	return limit > 0 && value >= limit;
}

mesh_pool_verdict_t mesh_pool_admit(const mesh_conn_pool_t *cp, const mesh_pool_state_t *st, int http2)
{
	static const mesh_conn_pool_t unlimited;
	if (!cp)
		cp = &unlimited;
	if (over(cp->http2_max_requests, st->active_requests))
		return MESH_POOL_OVERFLOW;
	if (http2 ? st->connections > 0 : st->idle_connections > 0)
		return MESH_POOL_USE_CONN;
	if (!over(cp->max_connections, st->connections))
		return MESH_POOL_NEW_CONN;
	if (!over(cp->http1_max_pending, st->pending))
		return MESH_POOL_QUEUE;
	return MESH_POOL_OVERFLOW;
}

int mesh_pool_conn_spent(const mesh_conn_pool_t *cp, int64_t served)
{
	return cp && over(cp->max_requests_per_conn, served);
}

/* ---- outlier detection ---- */
void mesh_outlier_init(mesh_outlier_t *o, const mesh_outlier_cfg_t *cfg, mesh_outlier_host_t *hosts,
		       size_t n, int64_t now_ms)
{
	memset(o, 0, sizeof *o);
	o->cfg = *cfg;
	o->n = n;
	o->hosts = hosts;
	memset(hosts, 0, n * sizeof *hosts);
	o->next_tick_ms = now_ms + (cfg->interval_ms > 0 ? cfg->interval_ms : 10000);
}

static int64_t eject_ms(const mesh_outlier_t *o, const mesh_outlier_host_t *h)
{
	int64_t t = o->cfg.base_ejection_ms * h->ejections;
	int64_t cap = o->cfg.base_ejection_ms > MESH_OUTLIER_MAX_EJECTION_MS ? o->cfg.base_ejection_ms
									      : MESH_OUTLIER_MAX_EJECTION_MS;
	return t < cap ? t : cap;
}

int mesh_outlier_result(mesh_outlier_t *o, size_t i, int status, int64_t now_ms)
{
	if (!o->cfg.set || i >= o->n)
		return 0;
	mesh_outlier_host_t *h = &o->hosts[i];
	int is5xx = status >= 500 && status <= 599;
	int isgw = status == 502 || status == 503 || status == 504;
	h->consecutive_5xx = is5xx ? h->consecutive_5xx + 1 : 0;
	h->consecutive_gw = isgw ? h->consecutive_gw + 1 : 0;
	if (h->ejected)
		return 0;
	int trip = (o->cfg.consecutive_5xx > 0 && h->consecutive_5xx >= o->cfg.consecutive_5xx) ||
		   (o->cfg.consecutive_gateway > 0 && h->consecutive_gw >= o->cfg.consecutive_gateway);
	if (!trip)
		return 0;
	h->consecutive_5xx = h->consecutive_gw = 0;
	if ((o->nejected + 1) * 100 > (size_t)o->cfg.max_ejection_pct * o->n)
		return 0;
	h->ejected = 1;
	h->ejections++;
	h->ejected_at_ms = now_ms;
	o->nejected++;
	return 1;
}

int mesh_outlier_tick(mesh_outlier_t *o, int64_t now_ms)
{
	int back = 0;
	for (size_t i = 0; i < o->n; i++) {
		mesh_outlier_host_t *h = &o->hosts[i];
		if (h->ejected) {
			if (now_ms - h->ejected_at_ms >= eject_ms(o, h)) {
				h->ejected = 0;
				o->nejected--;
				back++;
			}
		} else if (h->ejections > 0) {
			h->ejections--;
		}
	}
	int64_t iv = o->cfg.interval_ms > 0 ? o->cfg.interval_ms : 10000;
	while (o->next_tick_ms <= now_ms)
		o->next_tick_ms += iv;
	return back;
}
