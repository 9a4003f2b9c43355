/* sim/metrics/store.h: Istio metrics of a run as time series in SQLite.
 *
 * Schema (see sim/metrics/README.md):
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)      -- "schema" = "1", and what
 *                                                  the writer adds (seed, ...)
 *   scrapes(t_ms INTEGER PRIMARY KEY)           -- every snapshot's time
 *   series(id INTEGER PRIMARY KEY,
 *          family INTEGER,  -- index in ms_families (exposition order)
 *          name TEXT,       -- the sample name: istio_requests_total,
 *                              istio_request_bytes_bucket, ..._sum, ..._count
 *          labels TEXT,     -- the exposition's label text, without le
 *          le TEXT,         -- the bucket bound for _bucket samples, else NULL
 *          ord INTEGER,     -- position within the label set (buckets, sum,
 *                              count)
 *          labels_json TEXT -- {"reporter":"source",...,"le":"0.5"}
 *          UNIQUE(name, labels, le))
 *   samples(series_id INTEGER, t_ms INTEGER, value REAL,
 *           PRIMARY KEY(series_id, t_ms)) WITHOUT ROWID
 *
 * t_ms is virtual time in milliseconds since the simulated world started.
 * A snapshot writes the samples of every label set that changed since the
 * previous one (counters only grow): the value of a series at time T is its
 * latest sample at or before T.
 */
#ifndef MESHSIM_SIM_METRICS_STORE_H
#define MESHSIM_SIM_METRICS_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_store ms_store_t;

/* Creates the database |path| afresh (an existing file there is replaced)
 * with the schema above. 0 and |*out| (the caller's: ms_store_close), or
 * MS_EDB / MS_ENOMEM with a message in |err|. */
int ms_store_create(const char *path, ms_store_t **out, char *err,
                    size_t errsize);

/* Opens an existing database read-only. 0, MS_EDB (not one of ours, or
 * unreadable; |err| says why), MS_ENOMEM. */
int ms_store_open(const char *path, ms_store_t **out, char *err,
                  size_t errsize);

/* Sets meta |key| to |value| (replacing). 0, MS_EDB. */
int ms_store_set_meta(ms_store_t *st, const char *key, const char *value);

/* Records a snapshot of |reg| at |t_ms| (one transaction): the samples of
 * the label sets changed since the last snapshot, then marks |reg| clean.
 * A second snapshot at the same time replaces the first's samples.
 * 0, MS_EDB, MS_ENOMEM (the registry is then left as it was). */
int ms_store_snapshot(ms_store_t *st, ms_registry_t *reg, int64_t t_ms);

/* The last snapshot's time in |*t_ms|: 0, MS_ENOENT (no snapshot), MS_EDB. */
int ms_store_last(ms_store_t *st, int64_t *t_ms);

/* Writes the exposition (as ms_write_prometheus, same order and bytes) of
 * every series' latest value at or before |at_ms| (< 0: the last
 * snapshot). |match|: only that family (a family or sample name), NULL all.
 * 0, MS_EDB, MS_EIO, MS_EINVAL (|match| names no family). */
int ms_store_write_prometheus(ms_store_t *st, int64_t at_ms,
                              const char *match, FILE *out);

/* Closes (and for a writer, commits) the database. 0, MS_EDB. NULL: 0. */
int ms_store_close(ms_store_t *st);

/* The last SQLite message, for people. */
const char *ms_store_errmsg(const ms_store_t *st);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_METRICS_STORE_H */
