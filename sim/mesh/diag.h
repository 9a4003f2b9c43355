/* sim/mesh/diag.h: findings about configuration, for people.
 *
 * A finding names the place (file, line, column), a severity, a message and
 * optionally a suggested fix. The parser (istio.h) and the analyzer
 * (analyze.h) append to one list; the caller prints or inspects it.
 *
 * Memory: the list owns its strings; mesh_diags_free() releases them.
 */
#ifndef MESHSIM_SIM_MESH_DIAG_H
#define MESHSIM_SIM_MESH_DIAG_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mesh_sev { MESH_SEV_ERROR, MESH_SEV_WARNING, MESH_SEV_INFO } mesh_sev_t;

typedef struct mesh_diag {
	mesh_sev_t sev;
	char *file; /* NULL when not tied to a file */
	int line, col; /* 0 when unknown */
	char *msg;
	char *fix;  /* NULL when there is no suggestion */
	size_t seq_; /* internal: insertion order */
} mesh_diag_t;

typedef struct mesh_diags {
	size_t n, cap;
	mesh_diag_t *v;
	size_t nerrors, nwarnings;
} mesh_diags_t;

/* Appends a finding; |fix| may be NULL. Out of memory drops the finding
 * but still counts it, so a failed allocation never hides an error. */
void mesh_diag_add(mesh_diags_t *d, mesh_sev_t sev, const char *file, int line, int col,
		   const char *fix, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Sorts by file, line, column, then severity (stable for equal places). */
void mesh_diags_sort(mesh_diags_t *d);
/* Prints "file:line: severity: message (fix: ...)" lines. */
void mesh_diags_print(const mesh_diags_t *d, FILE *out);
void mesh_diags_free(mesh_diags_t *d);
const char *mesh_sev_name(mesh_sev_t sev);

#ifdef __cplusplus
}
#endif
#endif /* MESHSIM_SIM_MESH_DIAG_H */
