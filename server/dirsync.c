/*
 * dirsync.c - fsync of a folder (dirsync.h): the backup, the chunk writer, the shred and the blob
 * sweep need it.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dirsync.h"

int dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
