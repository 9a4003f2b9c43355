/* sim/metrics/store.c: snapshots of the registry in SQLite. See store.h. */
#include "store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Series ids by "name\x1flabels\x1fle", so a snapshot only inserts. */
typedef struct id_slot {
	char *key;
	uint64_t hash;
	int64_t id;
} id_slot_t;

struct ms_store {
	sqlite3 *db;
	int writer;
	sqlite3_stmt *ins_series, *ins_sample, *ins_scrape;
	id_slot_t *ids;
	size_t n_ids, n_slots;
};

static const char schema[] =
    "PRAGMA journal_mode=OFF;"
    "PRAGMA synchronous=OFF;"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE scrapes(t_ms INTEGER PRIMARY KEY);"
    "CREATE TABLE series(id INTEGER PRIMARY KEY, family INTEGER NOT NULL,"
    " name TEXT NOT NULL, labels TEXT NOT NULL, le TEXT, ord INTEGER NOT NULL,"
    " labels_json TEXT NOT NULL, UNIQUE(name, labels, le));"
    "CREATE TABLE samples(series_id INTEGER NOT NULL REFERENCES series(id),"
    " t_ms INTEGER NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY(series_id, t_ms)) WITHOUT ROWID;"
    "INSERT INTO meta VALUES('schema', '1');";

static void set_err(char *err, size_t errsize, const char *what, sqlite3 *db)
{
	if (err && errsize)
		snprintf(err, errsize, "%s: %s", what,
		         db ? sqlite3_errmsg(db) : "out of memory");
}

const char *ms_store_errmsg(const ms_store_t *st)
{
	return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}

int ms_store_create(const char *path, ms_store_t **out, char *err,
                    size_t errsize)
{
	*out = NULL;
	ms_store_t *st = calloc(1, sizeof *st);
	if (!st)
		return MS_ENOMEM;
	st->writer = 1;
	unlink(path); /* afresh; a missing file is fine */
	if (sqlite3_open_v2(path, &st->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
	                       "INSERT INTO series(family, name, labels, le, "
	                       "ord, labels_json) VALUES(?,?,?,?,?,?)",
	                       -1, &st->ins_series, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
	                       "INSERT OR REPLACE INTO samples VALUES(?,?,?)",
	                       -1, &st->ins_sample, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
	                       "INSERT OR IGNORE INTO scrapes VALUES(?)", -1,
	                       &st->ins_scrape, NULL) != SQLITE_OK) {
		set_err(err, errsize, path, st->db);
		ms_store_close(st);
		return MS_EDB;
	}
	st->n_slots = 1024;
	st->ids = calloc(st->n_slots, sizeof *st->ids);
	if (!st->ids) {
		ms_store_close(st);
		return MS_ENOMEM;
	}
	*out = st;
	return 0;
}

int ms_store_open(const char *path, ms_store_t **out, char *err,
                  size_t errsize)
{
	*out = NULL;
	ms_store_t *st = calloc(1, sizeof *st);
	if (!st)
		return MS_ENOMEM;
	sqlite3_stmt *q = NULL;
	int ok = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY, NULL) ==
	             SQLITE_OK &&
	         sqlite3_prepare_v2(st->db,
	                            "SELECT value FROM meta WHERE key='schema'",
	                            -1, &q, NULL) == SQLITE_OK &&
	         sqlite3_step(q) == SQLITE_ROW &&
	         !strcmp((const char *)sqlite3_column_text(q, 0), "1");
	if (!ok) {
		if (err && errsize)
			snprintf(err, errsize,
			         "%s: not a metrics database of meshsim run "
			         "--metrics-db (%s)",
			         path, st->db ? sqlite3_errmsg(st->db) : "?");
		sqlite3_finalize(q);
		ms_store_close(st);
		return MS_EDB;
	}
	sqlite3_finalize(q);
	*out = st;
	return 0;
}

int ms_store_set_meta(ms_store_t *st, const char *key, const char *value)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta VALUES(?,?)",
	                       -1, &q, NULL) != SQLITE_OK)
		return MS_EDB;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : MS_EDB;
	sqlite3_finalize(q);
	return rc;
}

int ms_store_close(ms_store_t *st)
{
	if (!st)
		return 0;
	sqlite3_finalize(st->ins_series);
	sqlite3_finalize(st->ins_sample);
	sqlite3_finalize(st->ins_scrape);
	int rc = st->db && sqlite3_close(st->db) != SQLITE_OK ? MS_EDB : 0;
	for (size_t i = 0; i < st->n_slots; i++)
		free(st->ids[i].key);
	free(st->ids);
	free(st);
	return rc;
}

/* ---- writing ------------------------------------------------------------- */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int ids_grow(ms_store_t *st)
{
	size_t ns = st->n_slots * 2;
	id_slot_t *n = calloc(ns, sizeof *n);
	if (!n)
		return MS_ENOMEM;
	for (size_t i = 0; i < st->n_slots; i++) {
		if (!st->ids[i].key)
			continue;
		size_t j = (size_t)st->ids[i].hash & (ns - 1);
		while (n[j].key)
			j = (j + 1) & (ns - 1);
		n[j] = st->ids[i];
	}
	free(st->ids);
	st->ids = n;
	st->n_slots = ns;
	return 0;
}

static char *labels_json(const ms_sample_t *s)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	const char *const *v = (const char *const *)s->l;
	for (int i = 0; i < MS_NLABELS; i++)
		if (v[i])
			json_object_set_new(o, ms_label_names[i],
			                    json_string(v[i]));
	if (s->le)
		json_object_set_new(o, "le", json_string(s->le));
	char *r = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return r;
}

/* The id of the sample's series, inserted when new; < 0 on error. */
static int64_t series_id(ms_store_t *st, const ms_sample_t *s)
{
	size_t kn = strlen(s->name) + strlen(s->labels) +
	            (s->le ? strlen(s->le) : 0) + 3;
	char stack[2048], *key = kn <= sizeof stack ? stack : malloc(kn);
	if (!key)
		return MS_ENOMEM;
	snprintf(key, kn, "%s\x1f%s\x1f%s", s->name, s->labels,
	         s->le ? s->le : "");
	uint64_t h = str_hash(key);
	size_t mask = st->n_slots - 1, j = (size_t)h & mask;
	while (st->ids[j].key) { /* ends: at most half full */
		if (st->ids[j].hash == h && !strcmp(st->ids[j].key, key)) {
			if (key != stack)
				free(key);
			return st->ids[j].id;
		}
		j = (j + 1) & mask;
	}
	int64_t id = MS_EDB;
	char *js = labels_json(s);
	char *copy = strdup(key);
	if (!js || !copy) {
		id = MS_ENOMEM;
		goto out;
	}
	sqlite3_stmt *q = st->ins_series;
	sqlite3_reset(q);
	sqlite3_bind_int(q, 1, (int)s->family);
	sqlite3_bind_text(q, 2, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, s->labels, -1, SQLITE_STATIC);
	if (s->le)
		sqlite3_bind_text(q, 4, s->le, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 4);
	sqlite3_bind_int(q, 5, s->ord);
	sqlite3_bind_text(q, 6, js, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto out;
	id = sqlite3_last_insert_rowid(st->db);
	st->ids[j] = (id_slot_t){.key = copy, .hash = h, .id = id};
	copy = NULL;
	if (++st->n_ids * 2 > st->n_slots && ids_grow(st) != 0)
		id = MS_ENOMEM; /* the row exists; the next snapshot fails too */
out:
	free(copy);
	free(js);
	if (key != stack)
		free(key);
	return id;
}

typedef struct snap {
	ms_store_t *st;
	int64_t t_ms;
} snap_t;

static int snap_sample(void *user, const ms_sample_t *s)
{
	snap_t *sn = user;
	int64_t id = series_id(sn->st, s);
	if (id < 0)
		return (int)id;
	sqlite3_stmt *q = sn->st->ins_sample;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, sn->t_ms);
	sqlite3_bind_double(q, 3, s->value);
	return sqlite3_step(q) == SQLITE_DONE ? 0 : MS_EDB;
}

int ms_store_snapshot(ms_store_t *st, ms_registry_t *reg, int64_t t_ms)
{
	if (!st || !st->writer || !reg)
		return MS_EINVAL;
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return MS_EDB;
	snap_t sn = {st, t_ms};
	sqlite3_reset(st->ins_scrape);
	sqlite3_bind_int64(st->ins_scrape, 1, t_ms);
	int rc = sqlite3_step(st->ins_scrape) == SQLITE_DONE ? 0 : MS_EDB;
	if (!rc)
		rc = ms_registry_foreach(reg, 1, snap_sample, &sn);
	if (rc) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return MS_EDB;
	ms_registry_mark_clean(reg);
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

int ms_store_last(ms_store_t *st, int64_t *t_ms)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT max(t_ms) FROM scrapes", -1, &q,
	                       NULL) != SQLITE_OK)
		return MS_EDB;
	int rc = MS_EDB;
	if (sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_column_type(q, 0) == SQLITE_NULL) {
			rc = MS_ENOENT;
		} else {
			*t_ms = sqlite3_column_int64(q, 0);
			rc = 0;
		}
	}
	sqlite3_finalize(q);
	return rc;
}

int ms_store_write_prometheus(ms_store_t *st, int64_t at_ms,
                              const char *match, FILE *out)
{
	int only = -1;
	if (match && (only = ms_family_find(match)) < 0)
		return MS_EINVAL;
	if (at_ms < 0) {
		int rc = ms_store_last(st, &at_ms);
		if (rc == MS_ENOENT)
			return 0;
		if (rc)
			return rc;
	}
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(
	        st->db,
	        "SELECT s.family, s.name, s.labels, s.le, v.value"
	        " FROM series s JOIN samples v ON v.series_id = s.id"
	        " WHERE (?2 < 0 OR s.family = ?2) AND v.t_ms = (SELECT max(t_ms)"
	        "  FROM samples WHERE series_id = s.id AND t_ms <= ?1)"
	        " ORDER BY s.family, s.labels, s.ord",
	        -1, &q, NULL) != SQLITE_OK)
		return MS_EDB;
	sqlite3_bind_int64(q, 1, at_ms);
	sqlite3_bind_int(q, 2, only);
	int fam = -1, rc = 0, step;
	char val[32];
	while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
		int f = sqlite3_column_int(q, 0);
		if (f < 0 || f >= MS_NFAMILIES) {
			rc = MS_EDB;
			break;
		}
		if (f != fam) {
			const ms_family_t *mf = &ms_families[f];
			if (fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", mf->name,
			            mf->help, mf->name, mf->type) < 0)
				rc = MS_EIO;
			fam = f;
		}
		const char *name = (const char *)sqlite3_column_text(q, 1);
		const char *labels = (const char *)sqlite3_column_text(q, 2);
		const char *le = (const char *)sqlite3_column_text(q, 3);
		ms_format_value(sqlite3_column_double(q, 4), val);
		int w = le ? fprintf(out, "%s{%s,le=\"%s\"} %s\n", name, labels,
		                     le, val)
		           : fprintf(out, "%s{%s} %s\n", name, labels, val);
		if (w < 0)
			rc = MS_EIO;
	}
	if (!rc && step != SQLITE_DONE)
		rc = MS_EDB;
	sqlite3_finalize(q);
	return rc;
}
