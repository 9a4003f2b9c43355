/* sim/mesh/diag.c: the list of findings. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *mesh_sev_name(mesh_sev_t sev)
{
	switch (sev) {
	case MESH_SEV_ERROR:
		return "error";
	case MESH_SEV_WARNING:
		return "warning";
	default:
		return "info";
	}
}

void mesh_diag_add(mesh_diags_t *d, mesh_sev_t sev, const char *file, int line, int col,
		   const char *fix, const char *fmt, ...)
{
	if (sev == MESH_SEV_ERROR)
		d->nerrors++;
	else if (sev == MESH_SEV_WARNING)
		d->nwarnings++;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		mesh_diag_t *v = realloc(d->v, cap * sizeof *v);
		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	mesh_diag_t *g = &d->v[d->n];
	g->sev = sev;
	g->file = file ? strdup(file) : NULL;
	g->line = line;
	g->col = col;
	g->msg = strdup(buf);
	g->fix = fix ? strdup(fix) : NULL;
	g->seq_ = d->n;
	if (!g->msg || (file && !g->file) || (fix && !g->fix)) {
		free(g->file);
		free(g->msg);
		free(g->fix);
		return;
	}
	d->n++;
}

static int cmp(const void *a, const void *b)
{
	const mesh_diag_t *x = a, *y = b;
	int c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	if (x->sev != y->sev)
		return x->sev < y->sev ? -1 : 1;
	/* Equal places keep insertion order. */
	return x->seq_ < y->seq_ ? -1 : x->seq_ > y->seq_;
}

void mesh_diags_sort(mesh_diags_t *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, cmp);
}

void mesh_diags_print(const mesh_diags_t *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const mesh_diag_t *g = &d->v[i];
		if (g->file)
			fprintf(out, "%s:%d: ", g->file, g->line);
		fprintf(out, "%s: %s", mesh_sev_name(g->sev), g->msg);
		if (g->fix)
			fprintf(out, " (fix: %s)", g->fix);
		fputc('\n', out);
	}
}

void mesh_diags_free(mesh_diags_t *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].fix);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}
