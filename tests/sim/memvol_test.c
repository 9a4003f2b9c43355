/* tests/sim/memvol_test.c: sim/cluster/memvol.c, SQLite files of a mounted
 * directory in memory: WAL works and nothing reaches the disk, files
 * outlive their connections, two connections share contents and locks,
 * remove and unmount drop files (open handles keep theirs), other paths
 * stay on disk (Check, fork mode). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "memvol.h"

static char dir[256];

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/memvol-test-XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *in_dir(const char *name)
{
	static char buf[2][300];
	static int k;
	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
}

static int exec_rc(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff;
}

static long long scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *journal_mode(sqlite3 *db)
{
	static char mode[16];
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1,
	                                    &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(mode, sizeof mode, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return mode;
}

static int on_disk(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

START_TEST(wal_in_memory_and_kept_across_connections)
{
	ck_assert_int_eq(cl_memvol_mount(dir), 0);
	ck_assert_int_eq(cl_memvol_mount(dir), 0); /* again: no-op */
	char path[300];
	snprintf(path, sizeof path, "%s", in_dir("carts.db"));
	sqlite3 *db = open_db(path);
	ck_assert_str_eq(journal_mode(db), "wal");
	exec(db, "PRAGMA synchronous=FULL;"
	         "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
	exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n"
	         " WHERE i < 5000) INSERT INTO t SELECT i, hex(randomblob(50))"
	         " FROM n");
	ck_assert(!on_disk(path));
	ck_assert(!on_disk(in_dir("carts.db-wal")));
	ck_assert(!on_disk(in_dir("carts.db-shm")));
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	/* A container restart: the file is still there. */
	db = open_db(path);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM t"), 5000);
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	                                    &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	/* Shrinking (VACUUM truncates the file) and growing again. */
	long long pages = scalar(db, "PRAGMA page_count");
	exec(db, "DELETE FROM t WHERE k > 100; VACUUM");
	ck_assert_int_lt(scalar(db, "PRAGMA page_count"), pages);
	exec(db, "INSERT INTO t SELECT k + 100, v FROM t");
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM t"), 200);
	ck_assert_int_eq(scalar(db, "SELECT count(DISTINCT v) FROM t"), 100);
	sqlite3_close(db);
	cl_memvol_unmount(dir);
}
END_TEST

START_TEST(two_connections_share_contents_and_locks)
{
	ck_assert_int_eq(cl_memvol_mount(dir), 0);
	char *path = in_dir("orders.db");
	sqlite3 *a = open_db(path), *b = open_db(path);
	ck_assert_str_eq(journal_mode(a), "wal");
	exec(a, "CREATE TABLE t(v)");
	exec(a, "INSERT INTO t VALUES (1)");
	ck_assert_int_eq(scalar(b, "SELECT count(*) FROM t"), 1);
	/* One writer at a time; a reader still sees its snapshot. */
	exec(a, "BEGIN IMMEDIATE; INSERT INTO t VALUES (2)");
	ck_assert_int_eq(exec_rc(b, "BEGIN IMMEDIATE"), SQLITE_BUSY);
	ck_assert_int_eq(scalar(b, "SELECT count(*) FROM t"), 1);
	exec(a, "COMMIT");
	ck_assert_int_eq(scalar(b, "SELECT count(*) FROM t"), 2);
	exec(b, "INSERT INTO t VALUES (3)");
	ck_assert_int_eq(scalar(a, "SELECT count(*) FROM t"), 3);
	/* A rollback journal too (locks on the file itself). Leaving WAL
	 * needs the only connection: WAL ones keep a SHARED lock. */
	ck_assert_int_eq(exec_rc(a, "PRAGMA journal_mode=DELETE"), SQLITE_BUSY);
	sqlite3_close(b);
	exec(a, "PRAGMA journal_mode=DELETE");
	b = open_db(path);
	exec(a, "BEGIN EXCLUSIVE; INSERT INTO t VALUES (4)");
	ck_assert_int_eq(exec_rc(b, "SELECT count(*) FROM t"), SQLITE_BUSY);
	exec(a, "COMMIT");
	ck_assert_int_eq(scalar(b, "SELECT count(*) FROM t"), 4);
	sqlite3_close(a);
	sqlite3_close(b);
	ck_assert(!on_disk(path));
	cl_memvol_unmount(dir);
}
END_TEST

START_TEST(remove_and_unmount)
{
	ck_assert_int_eq(cl_memvol_mount(dir), 0);
	char sub[300];
	snprintf(sub, sizeof sub, "%s/pod-a", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	char path[400];
	snprintf(path, sizeof path, "%s/x.db", sub);
	sqlite3 *db = open_db(path);
	exec(db, "CREATE TABLE t(v); INSERT INTO t VALUES (7)");
	/* Removed while open: this handle keeps reading it. */
	cl_memvol_remove(sub);
	ck_assert_int_eq(scalar(db, "SELECT v FROM t"), 7);
	sqlite3_close(db);
	db = open_db(path);
	ck_assert_int_eq(exec_rc(db, "SELECT v FROM t"), SQLITE_ERROR);
	sqlite3_close(db);
	/* Unmounted: the directory is a directory again. */
	char *kept = in_dir("kept.db");
	db = open_db(kept);
	exec(db, "CREATE TABLE t(v)");
	sqlite3_close(db);
	cl_memvol_unmount(dir);
	ck_assert(!on_disk(kept));
	db = open_db(kept);
	exec(db, "CREATE TABLE t(v)"); /* a fresh file: no such table before */
	sqlite3_close(db);
	ck_assert(on_disk(kept));
}
END_TEST

START_TEST(other_paths_stay_on_disk)
{
	ck_assert_int_eq(cl_memvol_mount(dir), 0);
	char other[300];
	const char *t = getenv("TMPDIR");
	snprintf(other, sizeof other, "%s/memvol-other-XXXXXX",
	         t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(other));
	char path[400];
	snprintf(path, sizeof path, "%s/disk.db", other);
	sqlite3 *db = open_db(path);
	exec(db, "CREATE TABLE t(v)");
	sqlite3_close(db);
	ck_assert(on_disk(path));
	/* A directory whose name only starts like the mount's. */
	char twin[300];
	snprintf(twin, sizeof twin, "%s-twin", dir);
	ck_assert_int_eq(mkdir(twin, 0700), 0);
	snprintf(path, sizeof path, "%s/twin.db", twin);
	db = open_db(path);
	exec(db, "CREATE TABLE t(v)");
	sqlite3_close(db);
	ck_assert(on_disk(path));
	/* ":memory:" and temporary files are SQLite's own. */
	db = open_db(":memory:");
	exec(db, "CREATE TABLE t(v); INSERT INTO t VALUES (1)");
	sqlite3_close(db);
	char cmd[1000];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", other, twin);
	ck_assert_int_eq(system(cmd), 0);
	cl_memvol_unmount(dir);
}
END_TEST

START_TEST(mount_needs_a_directory)
{
	char missing[300];
	snprintf(missing, sizeof missing, "%s/missing", dir);
	ck_assert_int_eq(cl_memvol_mount(missing), -1);
	cl_memvol_unmount(missing); /* not mounted: no-op */
	cl_memvol_remove(missing);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("memvol");
	TCase *tc = tcase_create("memvol");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wal_in_memory_and_kept_across_connections);
	tcase_add_test(tc, two_connections_share_contents_and_locks);
	tcase_add_test(tc, remove_and_unmount);
	tcase_add_test(tc, other_paths_stay_on_disk);
	tcase_add_test(tc, mount_needs_a_directory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
