/* sim/cluster/memvol.h: pods' volumes in the simulator's memory, for the
 * services' SQLite files (emptyDir with medium: Memory, as far as SQLite
 * can tell).
 *
 * A SQLite VFS, "meshsim-memvol", registered as the process's default on
 * the first mount. A database file (and its -wal, -shm, -journal) whose
 * full path is under a mounted directory lives in this process's memory:
 * no system calls, no file locks, no fsync. Every other path goes to the
 * VFS that was the default before (the real files of "unix"), unchanged.
 * Services see nothing: they open the path their environment gives them
 * (rt_env), on the live runtime as here.
 *
 * What SQLite relies on is kept: files outlive connections (a container
 * restart finds its database, a PersistentVolumeClaim's files outlive the
 * pod), several connections to one file share its contents, its locks
 * (SHARED, RESERVED, PENDING, EXCLUSIVE) and its WAL index, and a file
 * removed while open stays readable until its last handle closes (POSIX
 * unlink). Reads past the end are short reads filled with zeros.
 *
 * The mounts and the files are process-wide (SQLite's VFS list is) and not
 * thread-safe: one simulator thread. Directories stay real: the cluster
 * still makes them, and any non-SQLite file goes to disk. */
#ifndef MESHSIM_CL_MEMVOL_H
#define MESHSIM_CL_MEMVOL_H

/* Mounts |dir| (an existing directory; its real path is what counts) in
 * memory, registering the VFS first if needed. Mounting a directory again
 * is a no-op. Returns 0, or -1 with errno (ENOENT and the like from
 * realpath(), ENOMEM, EIO when SQLite refuses the VFS). */
int cl_memvol_mount(const char *dir);

/* Removes the files under |path| (a directory, or one file), as rm -rf
 * would: handles still open keep their file until they close. */
void cl_memvol_remove(const char *path);

/* Removes the files under |dir| and unmounts it: later opens under |dir|
 * go to disk. The VFS stays registered (open handles may still use it).
 * Not mounted: a no-op. */
void cl_memvol_unmount(const char *dir);

#endif /* MESHSIM_CL_MEMVOL_H */
