/*
 * datalock.c - the data folder's lock (datalock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "datalock.h"

int datalock_take(const char *data_dir, enum datalock_kind kind, char *err, size_t errlen)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof path, "%s/adviced.lock", data_dir);
	if (kind == DATALOCK_SHARED)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	else
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && kind == DATALOCK_SHARED && errno == ENOENT)
		return DATALOCK_NONE;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, (kind == DATALOCK_SHARED ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;

		snprintf(err, errlen, "%s: %s", path, busy ? "held by another process" : strerror(errno));
		close(fd);
		return busy ? DATALOCK_BUSY : -1;
	}
	return fd;
}
