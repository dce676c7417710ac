/*
 * store_fault.c - fault injection under the SQLite store: a VFS that passes everything to
 * the default one, except that the Nth write or sync (counted from start-up) fails with
 * an I/O error or "disk full", and so does every later one (a disk that broke stays broken).
 *
 * Enabled only by the environment: ADVICE_FAULT_INJECT="<write|sync>:<N>:<eio|enospc>", for
 * the fault tests and the crash campaign. Without the variable nothing is registered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_fault.h"

struct fault_file {
	sqlite3_file base; /* must be first: SQLite sees this */
	sqlite3_file *real;
};

static struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *real;
	int on_sync;	/* 1: count syncs, 0: count writes */
	long countdown; /* operations left before the fault */
	int code;	/* SQLITE_IOERR_* or SQLITE_FULL */
	sqlite3_io_methods methods;
} fault;

/* Counts one operation of the watched kind; the error to return, or SQLITE_OK. */
static int fault_hit(int is_sync)
{
	if (is_sync != fault.on_sync)
		return SQLITE_OK;
	/* Atomic: the checkpoint thread writes and syncs too. */
	if (__atomic_load_n(&fault.countdown, __ATOMIC_SEQ_CST) > 0 &&
	    __atomic_sub_fetch(&fault.countdown, 1, __ATOMIC_SEQ_CST) > 0)
		return SQLITE_OK;
	return fault.code == SQLITE_FULL ? SQLITE_FULL : (is_sync ? SQLITE_IOERR_FSYNC : SQLITE_IOERR_WRITE);
}

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct fault_file *)f)->real;
}

static int f_close(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);
	int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;

	sqlite3_free(r);
	return rc;
}

static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}

static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	int rc = fault_hit(0);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	int rc = fault_hit(1);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int f_lock(sqlite3_file *f, int l)
{
	return real_of(f)->pMethods->xLock(real_of(f), l);
}

static int f_unlock(sqlite3_file *f, int l)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), l);
}

static int f_check_lock(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
	return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int f_device(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return real_of(f)->pMethods->xShmMap(real_of(f), pg, pgsz, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return real_of(f)->pMethods->xShmLock(real_of(f), off, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
	return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return real_of(f)->pMethods->xFetch(real_of(f), off, n, pp);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct fault_file *ff = (struct fault_file *)f;
	int rc;

	(void)vfs;
	ff->real = sqlite3_malloc(fault.real->szOsFile);
	if (ff->real == NULL)
		return SQLITE_NOMEM;
	memset(ff->real, 0, (size_t)fault.real->szOsFile);
	rc = fault.real->xOpen(fault.real, name, ff->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		sqlite3_free(ff->real);
		ff->real = NULL;
		f->pMethods = NULL;
		return rc;
	}
	f->pMethods = &fault.methods;
	return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return fault.real->xDelete(fault.real, name, sync_dir);
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return fault.real->xAccess(fault.real, name, flags, out);
}

static int v_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return fault.real->xFullPathname(fault.real, name, n, out);
}

static int v_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return fault.real->xRandomness(fault.real, n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return fault.real->xSleep(fault.real, us);
}

static int v_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return fault.real->xCurrentTime(fault.real, out);
}

static int v_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return fault.real->xGetLastError(fault.real, n, out);
}

static int v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return fault.real->xCurrentTimeInt64(fault.real, out);
}

/* Parses "<write|sync>:<N>:<eio|enospc>". 0 or -1. */
static int fault_parse(const char *spec)
{
	char kind[8], err[8];
	long n;

	if (sscanf(spec, "%7[a-z]:%ld:%7[a-z]", kind, &n, err) != 3 || n < 1)
		return -1;
	if (strcmp(kind, "write") == 0)
		fault.on_sync = 0;
	else if (strcmp(kind, "sync") == 0)
		fault.on_sync = 1;
	else
		return -1;
	if (strcmp(err, "eio") == 0)
		fault.code = SQLITE_IOERR;
	else if (strcmp(err, "enospc") == 0)
		fault.code = SQLITE_FULL;
	else
		return -1;
	fault.countdown = n;
	return 0;
}

static void fault_methods_init(void)
{
	sqlite3_io_methods *m = &fault.methods;

	m->iVersion = 3;
	m->xClose = f_close;
	m->xRead = f_read;
	m->xWrite = f_write;
	m->xTruncate = f_truncate;
	m->xSync = f_sync;
	m->xFileSize = f_size;
	m->xLock = f_lock;
	m->xUnlock = f_unlock;
	m->xCheckReservedLock = f_check_lock;
	m->xFileControl = f_control;
	m->xSectorSize = f_sector;
	m->xDeviceCharacteristics = f_device;
	m->xShmMap = f_shm_map;
	m->xShmLock = f_shm_lock;
	m->xShmBarrier = f_shm_barrier;
	m->xShmUnmap = f_shm_unmap;
	m->xFetch = f_fetch;
	m->xUnfetch = f_unfetch;
}

int store_fault_setup(void)
{
	const char *spec = getenv("ADVICE_FAULT_INJECT");

	if (spec == NULL || spec[0] == '\0')
		return 0;
	if (fault.real != NULL)
		return 1; /* already registered */
	if (fault_parse(spec) != 0) {
		log_err("ADVICE_FAULT_INJECT: expected <write|sync>:<N>:<eio|enospc>");
		return -1;
	}
	fault.real = sqlite3_vfs_find(NULL);
	if (fault.real == NULL)
		return -1;
	fault.vfs = *fault.real;
	fault.vfs.zName = "advice-fault";
	fault.vfs.szOsFile = (int)sizeof(struct fault_file);
	fault.vfs.pNext = NULL;
	fault.vfs.xOpen = v_open;
	fault.vfs.xDelete = v_delete;
	fault.vfs.xAccess = v_access;
	fault.vfs.xFullPathname = v_fullpath;
	fault.vfs.xRandomness = v_random;
	fault.vfs.xSleep = v_sleep;
	fault.vfs.xCurrentTime = v_time;
	fault.vfs.xGetLastError = v_last_error;
	fault.vfs.xCurrentTimeInt64 = v_time64;
	fault.vfs.xSetSystemCall = NULL;
	fault.vfs.xGetSystemCall = NULL;
	fault.vfs.xNextSystemCall = NULL;
	fault_methods_init();
	if (sqlite3_vfs_register(&fault.vfs, 1) != SQLITE_OK)
		return -1;
	log_warn("fault injection on: %s", spec);
	return 1;
}

int store_fault_arm(const char *spec)
{
	int on_sync = fault.on_sync, code = fault.code;
	long countdown = fault.countdown;

	if (fault.real == NULL || spec == NULL)
		return -1;
	if (fault_parse(spec) != 0) { /* keep the fault as it was */
		fault.on_sync = on_sync;
		fault.code = code;
		fault.countdown = countdown;
		return -1;
	}
	log_warn("fault injection now: %s", spec);
	return 0;
}
