/* sim/mesh/yaml_doc.h: multi-document YAML files read into a small tree
 * with the line and column of every node, for error messages that name the
 * place ("FILE:LINE:COL: ...").
 *
 * Built on libyaml's event API. Anchors and aliases are resolved (an alias
 * shares the anchored node); duplicate keys in a mapping are an error, as
 * in Kubernetes' strict decoding; tags are ignored. A file's documents are
 * its `---`-separated documents; empty documents (only comments) are
 * dropped.
 *
 * Memory: a yd_file_t owns every node and string reachable from it; free it
 * with yd_file_free(). Nodes are read-only for callers.
 *
 * Threads: none; re-entrant on distinct files.
 */
#ifndef MESHSIM_SIM_MESH_YAML_DOC_H
#define MESHSIM_SIM_MESH_YAML_DOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum yd_kind { YD_SCALAR, YD_SEQ, YD_MAP } yd_kind_t;

typedef struct yd_node {
	yd_kind_t kind;
	int line, col;         /* 1-based, of the node's first character */
	const char *str;       /* YD_SCALAR: the value (never NULL) */
	int plain;             /* YD_SCALAR: written without quotes or block style */
	size_t n;              /* YD_SEQ: items; YD_MAP: key/value pairs */
	struct yd_node **items; /* YD_SEQ: items[i]; YD_MAP: keys items[2i], values items[2i+1] */
} yd_node_t;

typedef struct yd_doc {
	yd_node_t *root; /* never NULL in a loaded file */
	int line;        /* line of the root node */
	int index;       /* 0-based position among the file's documents, empties included */
} yd_doc_t;

typedef struct yd_file {
	char *path;
	size_t ndocs;
	yd_doc_t *docs;
	void *mem_; /* internal: every allocation, freed together */
} yd_file_t;

/* Reads |path| (or |len| bytes of |text|, named |name| in messages).
 * Returns 0 and *out, or -1 with a message "FILE:LINE:COL: why" in |err|
 * (truncated to |errlen|); *out is then NULL. */
int yd_load_file(const char *path, yd_file_t **out, char *err, size_t errlen);
int yd_load_string(const char *name, const char *text, size_t len, yd_file_t **out,
		   char *err, size_t errlen);
void yd_file_free(yd_file_t *f);

/* The value under |key| in a YD_MAP node, or NULL (also when |map| is NULL
 * or not a map). */
const yd_node_t *yd_get(const yd_node_t *map, const char *key);
/* The key node of pair |i| / the value node of pair |i| of a map. */
#define YD_KEY(m, i) ((m)->items[2 * (i)])
#define YD_VAL(m, i) ((m)->items[2 * (i) + 1])
/* 1 if a plain scalar spelled null, ~ or nothing (YAML's null). */
int yd_is_null(const yd_node_t *n);
/* Follows a dotted path of map keys ("metadata.name"); NULL when absent. */
const yd_node_t *yd_path(const yd_node_t *n, const char *dotted);
/* The string of a scalar at |dotted| under |n|, or NULL. */
const char *yd_str(const yd_node_t *n, const char *dotted);

#ifdef __cplusplus
}
#endif
#endif /* MESHSIM_SIM_MESH_YAML_DOC_H */
