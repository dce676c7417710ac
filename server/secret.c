/*
 * secret.c - reads secrets from owner-only files (see secret.h): one check of the file's
 * mode and size for every secret the server and advicectl read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

/* secret_file_read, with the mode checked or not (a systemd credential: its folder is the
 * service's alone, and the group bits may show the access list that gives it the file). */
static int read_secret(const char *path, int check_mode, void *buf, size_t max, size_t *len, char *err,
		       size_t errlen)
{
	struct stat sb;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%.200s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || (check_mode && (sb.st_mode & 077) != 0)) {
		snprintf(err, errlen, "%.200s: must be readable by its owner only (chmod 600)", path);
		close(fd);
		return -1;
	}
	/* One byte more than allowed tells a file that is too long from one that fits. */
	for (;;) {
		char *p = buf;
		char extra;
		ssize_t n = got < max ? read(fd, p + got, max - got) : read(fd, &extra, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%.200s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (got == max) {
			snprintf(err, errlen, "%.200s: longer than %zu bytes", path, max);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got == 0) {
		snprintf(err, errlen, "%.200s: empty", path);
		return -1;
	}
	*len = got;
	return 0;
}

int secret_file_read(const char *path, void *buf, size_t max, size_t *len, char *err, size_t errlen)
{
	return read_secret(path, 1, buf, max, len, err, errlen);
}

int secret_credential_read(const char *path, void *buf, size_t max, size_t *len, char *err, size_t errlen)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n = dir != NULL ? strlen(dir) : 0;
	int credential = n > 0 && dir[0] == '/' && strncmp(path, dir, n) == 0 && path[n] == '/' &&
			 strchr(path + n + 1, '/') == NULL;

	return read_secret(path, !credential, buf, max, len, err, errlen);
}
