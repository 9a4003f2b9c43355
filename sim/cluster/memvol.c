/* sim/cluster/memvol.c: see memvol.h.
 *
 * Why: at 1000 requests/s the cart's and the checkout's SQLite files on
 * tmpfs cost a quarter of `meshsim run`'s time in system calls alone
 * (pwrite of WAL frames 14 %, fcntl locks 11 %, perf 2026-11-25), for a
 * disk the simulation does not model anyway. Here a file is an array of
 * 64 KiB chunks and a lock is a counter. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "memvol.h"

typedef struct mv_file mv_file;
typedef struct mv_handle mv_handle;

struct mv_file {
	char *path;        /* full path, as SQLite names it */
	int linked;        /* in the table (not removed) */
	int refs;          /* open handles */
	/* Contents: n bytes in chunks of CHUNK bytes (never one big buffer: a
	 * journal of 100 MB grows without copies and without 2x slack). */
	unsigned char **chunks;
	size_t n_chunks, cap_chunks;
	sqlite3_int64 n;
	/* The database file's locks: SHARED holders, and the one handle that
	 * holds RESERVED, PENDING, EXCLUSIVE. */
	int n_shared;
	mv_handle *reserved, *pending, *exclusive;
	/* The WAL index (the -shm "file"): regions, mapped by shm_refs handles,
	 * gone with the last (SQLite rebuilds it from the WAL). */
	void **regions;
	int n_regions, shm_refs;
	int shm_shared[SQLITE_SHM_NLOCK];
	mv_handle *shm_excl[SQLITE_SHM_NLOCK];
	mv_file *next;
};

struct mv_handle {
	sqlite3_file base;
	mv_file *f;
	int lock;          /* SQLITE_LOCK_* held */
	int shm_mapped;
	unsigned shm_shared, shm_excl; /* bit i: holds slot i */
};

static sqlite3_vfs *base_vfs; /* the default before ours */
static sqlite3_vfs mv_vfs;
static char **mounts;
static size_t n_mounts;
static mv_file *files;

/* ---- the table ---- */

static int under(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return strncmp(path, dir, l) == 0 && (path[l] == '/' || path[l] == '\0');
}

static int mounted(const char *path)
{
	for (size_t i = 0; i < n_mounts; i++)
		if (under(path, mounts[i]))
			return 1;
	return 0;
}

static mv_file *lookup(const char *path)
{
	for (mv_file *f = files; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			return f;
	return NULL;
}

static void file_free(mv_file *f)
{
	for (int i = 0; i < f->n_regions; i++)
		free(f->regions[i]);
	free(f->regions);
	for (size_t i = 0; i < f->n_chunks; i++)
		free(f->chunks[i]);
	free(f->chunks);
	free(f->path);
	free(f);
}

static void unlink_file(mv_file *f)
{
	for (mv_file **pp = &files; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->linked = 0;
	f->next = NULL;
	if (f->refs == 0)
		file_free(f);
}

static void remove_under(const char *path)
{
	mv_file *f = files;
	while (f) {
		mv_file *next = f->next;
		if (under(f->path, path))
			unlink_file(f);
		f = next;
	}
}

/* |path| resolved when it exists, as given otherwise; malloc'd. */
static char *resolve(const char *path)
{
	char *r = realpath(path, NULL);
	return r ? r : strdup(path);
}

/* ---- I/O methods ---- */

static void shm_release(mv_handle *h)
{
	mv_file *f = h->f;
	for (int i = 0; i < SQLITE_SHM_NLOCK; i++) {
		if (h->shm_shared & (1u << i))
			f->shm_shared[i]--;
		if (h->shm_excl & (1u << i))
			f->shm_excl[i] = NULL;
	}
	h->shm_shared = h->shm_excl = 0;
}

static int mv_shm_unmap(sqlite3_file *pf, int delete_flag)
{
	mv_handle *h = (mv_handle *)pf;
	mv_file *f = h->f;
	(void)delete_flag; /* the index goes with its last mapping anyway */
	if (!h->shm_mapped)
		return SQLITE_OK;
	shm_release(h);
	h->shm_mapped = 0;
	if (--f->shm_refs == 0) {
		for (int i = 0; i < f->n_regions; i++)
			free(f->regions[i]);
		free(f->regions);
		f->regions = NULL;
		f->n_regions = 0;
	}
	return SQLITE_OK;
}

static int mv_unlock(sqlite3_file *pf, int level);

static int mv_close(sqlite3_file *pf)
{
	mv_handle *h = (mv_handle *)pf;
	mv_file *f = h->f;
	mv_shm_unmap(pf, 0);
	mv_unlock(pf, SQLITE_LOCK_NONE);
	if (--f->refs == 0 && !f->linked)
		file_free(f);
	h->f = NULL;
	return SQLITE_OK;
}

#define CHUNK ((sqlite3_int64)1 << 16)

/* Copies |len| bytes at |off| (inside the allocated chunks) out of the
 * file (|out|), into it (|in|), or zeroes them (both NULL). */
static void span(mv_file *f, sqlite3_int64 off, sqlite3_int64 len, void *out,
                 const void *in)
{
	while (len > 0) {
		unsigned char *c = f->chunks[off / CHUNK] + off % CHUNK;
		sqlite3_int64 k = CHUNK - off % CHUNK;
		if (k > len)
			k = len;
		if (out) {
			memcpy(out, c, (size_t)k);
			out = (unsigned char *)out + k;
		} else if (in) {
			memcpy(c, in, (size_t)k);
			in = (const unsigned char *)in + k;
		} else {
			memset(c, 0, (size_t)k);
		}
		off += k;
		len -= k;
	}
}

/* Allocates the chunks up to |end|. */
static int reserve(mv_file *f, sqlite3_int64 end)
{
	size_t need = (size_t)((end + CHUNK - 1) / CHUNK);
	if (need > f->cap_chunks) {
		size_t cap = f->cap_chunks ? 2 * f->cap_chunks : 16;
		while (cap < need)
			cap *= 2;
		unsigned char **c = realloc(f->chunks, cap * sizeof *c);
		if (!c)
			return -1;
		f->chunks = c;
		f->cap_chunks = cap;
	}
	while (f->n_chunks < need) {
		if (!(f->chunks[f->n_chunks] = malloc((size_t)CHUNK)))
			return -1;
		f->n_chunks++;
	}
	return 0;
}

/* Sets the size to |size|: zeroes what a growth exposes, frees the chunks
 * a shrink leaves empty. */
static int resize(mv_file *f, sqlite3_int64 size)
{
	if (size > f->n) {
		if (reserve(f, size) != 0)
			return -1;
		span(f, f->n, size - f->n, NULL, NULL);
	} else {
		size_t keep = (size_t)((size + CHUNK - 1) / CHUNK);
		while (f->n_chunks > keep)
			free(f->chunks[--f->n_chunks]);
	}
	f->n = size;
	return 0;
}

static int mv_read(sqlite3_file *pf, void *buf, int amt, sqlite3_int64 off)
{
	mv_file *f = ((mv_handle *)pf)->f;
	sqlite3_int64 have = off < f->n ? f->n - off : 0;
	if (have >= amt) {
		span(f, off, amt, buf, NULL);
		return SQLITE_OK;
	}
	if (have > 0)
		span(f, off, have, buf, NULL);
	memset((char *)buf + have, 0, (size_t)(amt - have));
	return SQLITE_IOERR_SHORT_READ;
}

static int mv_write(sqlite3_file *pf, const void *buf, int amt,
                    sqlite3_int64 off)
{
	mv_file *f = ((mv_handle *)pf)->f;
	if (off + amt > f->n && resize(f, off + amt) != 0)
		return SQLITE_IOERR_NOMEM;
	span(f, off, amt, NULL, buf);
	return SQLITE_OK;
}

static int mv_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	if (resize(((mv_handle *)pf)->f, size) != 0)
		return SQLITE_IOERR_NOMEM;
	return SQLITE_OK;
}

static int mv_sync(sqlite3_file *pf, int flags)
{
	(void)pf;
	(void)flags;
	return SQLITE_OK;
}

static int mv_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	*size = ((mv_handle *)pf)->f->n;
	return SQLITE_OK;
}

/* The database file's lock ladder, as os_unix.c keeps it between the
 * connections of one process. */
static int mv_lock(sqlite3_file *pf, int level)
{
	mv_handle *h = (mv_handle *)pf;
	mv_file *f = h->f;
	if (h->lock >= level)
		return SQLITE_OK;
	if (h->lock == SQLITE_LOCK_NONE) { /* SQLite always starts here */
		if ((f->pending && f->pending != h) ||
		    (f->exclusive && f->exclusive != h))
			return SQLITE_BUSY;
		f->n_shared++;
		h->lock = SQLITE_LOCK_SHARED;
		if (level == SQLITE_LOCK_SHARED)
			return SQLITE_OK;
	}
	if (level == SQLITE_LOCK_RESERVED) {
		if (f->reserved && f->reserved != h)
			return SQLITE_BUSY;
		f->reserved = h;
		h->lock = SQLITE_LOCK_RESERVED;
		return SQLITE_OK;
	}
	/* EXCLUSIVE (through PENDING): no new readers once pending. */
	if (f->exclusive && f->exclusive != h)
		return SQLITE_BUSY;
	if (f->pending && f->pending != h)
		return SQLITE_BUSY;
	f->pending = h;
	h->lock = SQLITE_LOCK_PENDING;
	if (f->n_shared > 1)
		return SQLITE_BUSY;
	f->exclusive = h;
	h->lock = SQLITE_LOCK_EXCLUSIVE;
	return SQLITE_OK;
}

static int mv_unlock(sqlite3_file *pf, int level)
{
	mv_handle *h = (mv_handle *)pf;
	mv_file *f = h->f;
	if (h->lock <= level)
		return SQLITE_OK;
	if (f->exclusive == h)
		f->exclusive = NULL;
	if (f->pending == h)
		f->pending = NULL;
	if (f->reserved == h)
		f->reserved = NULL;
	if (level == SQLITE_LOCK_NONE && h->lock >= SQLITE_LOCK_SHARED)
		f->n_shared--;
	h->lock = level;
	return SQLITE_OK;
}

static int mv_check_reserved(sqlite3_file *pf, int *out)
{
	mv_file *f = ((mv_handle *)pf)->f;
	*out = f->reserved || f->pending || f->exclusive;
	return SQLITE_OK;
}

static int mv_file_control(sqlite3_file *pf, int op, void *arg)
{
	(void)pf;
	(void)arg;
	if (op == SQLITE_FCNTL_VFSNAME) {
		*(char **)arg = sqlite3_mprintf("%s", mv_vfs.zName);
		return SQLITE_OK;
	}
	return SQLITE_NOTFOUND;
}

static int mv_sector_size(sqlite3_file *pf)
{
	(void)pf;
	return 4096; /* os_unix.c's default */
}

static int mv_device_characteristics(sqlite3_file *pf)
{
	(void)pf;
	return SQLITE_IOCAP_POWERSAFE_OVERWRITE; /* as os_unix.c's default */
}

static int mv_shm_map(sqlite3_file *pf, int region, int size, int extend,
                      void volatile **pp)
{
	mv_handle *h = (mv_handle *)pf;
	mv_file *f = h->f;
	if (!h->shm_mapped) {
		h->shm_mapped = 1;
		f->shm_refs++;
	}
	if (region >= f->n_regions) {
		if (!extend) {
			*pp = NULL;
			return SQLITE_OK;
		}
		void **r = realloc(f->regions, (size_t)(region + 1) * sizeof *r);
		if (!r)
			return SQLITE_IOERR_NOMEM;
		f->regions = r;
		while (f->n_regions <= region) {
			if (!(r[f->n_regions] = calloc(1, (size_t)size)))
				return SQLITE_IOERR_NOMEM;
			f->n_regions++;
		}
	}
	*pp = f->regions[region];
	return SQLITE_OK;
}

static int mv_shm_lock(sqlite3_file *pf, int ofst, int n, int flags)
{
	mv_handle *h = (mv_handle *)pf;
	mv_file *f = h->f;
	unsigned mask = ((1u << n) - 1) << ofst;
	if (flags & SQLITE_SHM_UNLOCK) {
		for (int i = ofst; i < ofst + n; i++) {
			if (h->shm_shared & (1u << i))
				f->shm_shared[i]--;
			if (h->shm_excl & (1u << i))
				f->shm_excl[i] = NULL;
		}
		h->shm_shared &= ~mask;
		h->shm_excl &= ~mask;
		return SQLITE_OK;
	}
	if (flags & SQLITE_SHM_SHARED) {
		for (int i = ofst; i < ofst + n; i++)
			if (f->shm_excl[i] && f->shm_excl[i] != h)
				return SQLITE_BUSY;
		for (int i = ofst; i < ofst + n; i++)
			if (!(h->shm_shared & (1u << i))) {
				f->shm_shared[i]++;
				h->shm_shared |= 1u << i;
			}
		return SQLITE_OK;
	}
	for (int i = ofst; i < ofst + n; i++) {
		int own = (h->shm_shared >> i) & 1;
		if ((f->shm_excl[i] && f->shm_excl[i] != h) ||
		    f->shm_shared[i] - own > 0)
			return SQLITE_BUSY;
	}
	for (int i = ofst; i < ofst + n; i++)
		f->shm_excl[i] = h;
	h->shm_excl |= mask;
	return SQLITE_OK;
}

static void mv_shm_barrier(sqlite3_file *pf)
{
	(void)pf; /* one thread */
}

static const sqlite3_io_methods mv_io = {
	2, mv_close, mv_read, mv_write, mv_truncate, mv_sync, mv_file_size,
	mv_lock, mv_unlock, mv_check_reserved, mv_file_control, mv_sector_size,
	mv_device_characteristics, mv_shm_map, mv_shm_lock, mv_shm_barrier,
	mv_shm_unmap, NULL, NULL,
};

/* ---- the VFS: mounted paths here, the rest to the previous default ---- */

static int mv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *pf,
                   int flags, int *out_flags)
{
	(void)vfs;
	if (!name || !mounted(name))
		return base_vfs->xOpen(base_vfs, name, pf, flags, out_flags);
	mv_handle *h = (mv_handle *)pf;
	memset(h, 0, sizeof *h);
	mv_file *f = lookup(name);
	if (f && (flags & SQLITE_OPEN_EXCLUSIVE))
		return SQLITE_CANTOPEN;
	if (!f) {
		if (!(flags & SQLITE_OPEN_CREATE))
			return SQLITE_CANTOPEN;
		if (!(f = calloc(1, sizeof *f)) || !(f->path = strdup(name))) {
			free(f);
			return SQLITE_NOMEM;
		}
		f->linked = 1;
		f->next = files;
		files = f;
	}
	f->refs++;
	h->f = f;
	h->base.pMethods = &mv_io;
	if (flags & SQLITE_OPEN_DELETEONCLOSE)
		unlink_file(f);
	if (out_flags)
		*out_flags = flags;
	return SQLITE_OK;
}

static int mv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	if (!mounted(name))
		return base_vfs->xDelete(base_vfs, name, sync_dir);
	mv_file *f = lookup(name);
	if (!f)
		return SQLITE_IOERR_DELETE_NOENT;
	unlink_file(f);
	return SQLITE_OK;
}

static int mv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	if (!mounted(name))
		return base_vfs->xAccess(base_vfs, name, flags, out);
	mv_file *f = lookup(name);
	/* os_unix.c: an empty file does not "exist" (a -wal left behind). */
	*out = f && (flags != SQLITE_ACCESS_EXISTS || f->n > 0);
	return SQLITE_OK;
}

static int mv_full_pathname(sqlite3_vfs *vfs, const char *name, int n,
                            char *out)
{
	(void)vfs;
	return base_vfs->xFullPathname(base_vfs, name, n, out);
}

static void *mv_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return base_vfs->xDlOpen(base_vfs, name);
}

static void mv_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	base_vfs->xDlError(base_vfs, n, msg);
}

static void (*mv_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return base_vfs->xDlSym(base_vfs, h, sym);
}

static void mv_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	base_vfs->xDlClose(base_vfs, h);
}

static int mv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xRandomness(base_vfs, n, out);
}

static int mv_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return base_vfs->xSleep(base_vfs, us);
}

static int mv_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return base_vfs->xCurrentTime(base_vfs, out);
}

static int mv_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xGetLastError(base_vfs, n, out);
}

static int mv_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	if (base_vfs->iVersion >= 2 && base_vfs->xCurrentTimeInt64)
		return base_vfs->xCurrentTimeInt64(base_vfs, out);
	double d;
	int rc = base_vfs->xCurrentTime(base_vfs, &d);
	*out = (sqlite3_int64)(d * 86400000.0);
	return rc;
}

static int registered(void)
{
	if (base_vfs)
		return 0;
	sqlite3_vfs *b = sqlite3_vfs_find(NULL);
	if (!b)
		return -1;
	mv_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = b->szOsFile > (int)sizeof(mv_handle)
		                    ? b->szOsFile
		                    : (int)sizeof(mv_handle),
		.mxPathname = b->mxPathname,
		.zName = "meshsim-memvol",
		.xOpen = mv_open,
		.xDelete = mv_delete,
		.xAccess = mv_access,
		.xFullPathname = mv_full_pathname,
		.xDlOpen = mv_dlopen,
		.xDlError = mv_dlerror,
		.xDlSym = mv_dlsym,
		.xDlClose = mv_dlclose,
		.xRandomness = mv_randomness,
		.xSleep = mv_sleep,
		.xCurrentTime = mv_current_time,
		.xGetLastError = mv_last_error,
		.xCurrentTimeInt64 = mv_current_time64,
	};
	base_vfs = b;
	if (sqlite3_vfs_register(&mv_vfs, 1) != SQLITE_OK) {
		base_vfs = NULL;
		return -1;
	}
	return 0;
}

int cl_memvol_mount(const char *dir)
{
	char *r = realpath(dir, NULL);
	if (!r)
		return -1;
	for (size_t i = 0; i < n_mounts; i++)
		if (strcmp(mounts[i], r) == 0) {
			free(r);
			return 0;
		}
	if (registered() != 0) {
		free(r);
		errno = EIO;
		return -1;
	}
	char **m = realloc(mounts, (n_mounts + 1) * sizeof *m);
	if (!m) {
		free(r);
		errno = ENOMEM;
		return -1;
	}
	mounts = m;
	mounts[n_mounts++] = r;
	return 0;
}

void cl_memvol_remove(const char *path)
{
	char *r = resolve(path);
	if (r)
		remove_under(r);
	free(r);
}

void cl_memvol_unmount(const char *dir)
{
	char *r = resolve(dir);
	if (!r)
		return;
	for (size_t i = 0; i < n_mounts; i++)
		if (strcmp(mounts[i], r) == 0) {
			remove_under(r);
			free(mounts[i]);
			mounts[i] = mounts[--n_mounts];
			break;
		}
	free(r);
	if (n_mounts == 0) {
		free(mounts);
		mounts = NULL;
	}
}
