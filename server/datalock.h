/*
 * datalock.h - the data folder's lock: a running adviced owns its database.
 *
 * adviced holds an exclusive flock on <data_dir>/adviced.lock for its lifetime; advicectl's
 * offline commands take it too, so they refuse while adviced runs and adviced refuses to
 * start while one of them works. adviced --check-config takes it shared, or reads the store
 * read-only beside the holder. The kernel drops the lock when the holder exits, however it
 * ends, so no stale lock is ever left.
 */
#ifndef ADVICE_DATALOCK_H
#define ADVICE_DATALOCK_H

#include <stddef.h>

enum datalock_kind { DATALOCK_EXCLUSIVE, DATALOCK_SHARED };

/*
 * Takes the lock of `data_dir` without waiting. Returns the lock's descriptor (keep it open
 * to hold the lock; close it to drop it), DATALOCK_BUSY when another process holds it,
 * DATALOCK_NONE when a shared lock is asked and no lock file exists (a shared lock creates
 * nothing), or -1 with a reason in `err` when the lock file cannot be opened.
 */
#define DATALOCK_BUSY (-2)
#define DATALOCK_NONE (-3)

int datalock_take(const char *data_dir, enum datalock_kind kind, char *err, size_t errlen);

#endif
