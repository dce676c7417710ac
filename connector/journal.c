/*
 * journal.c - the connector's journal: one line per step, "<id> <state> <digest>", appended and
 * fsynced before the step counts. The newest line of an id wins; a last line without its newline
 * (a crash while writing it) is ignored. Small: a connector hands over a few threads a day, and
 * the file is read once at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "connector.h"

struct journal_entry {
	char id[CONN_ID_MAX];
	enum journal_state state;
	char digest[2 * ADVICE_HASH_BYTES + 1];
};

struct journal {
	int fd;
	size_t n, cap;
	struct journal_entry *e;
};

static struct journal_entry *journal_find(const struct journal *j, const char *id)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->e[i].id, id) == 0)
			return &j->e[i];
	return NULL;
}

/* Records a line in memory (the newest state of an id wins). 0 or -1. */
static int journal_remember(struct journal *j, const char *id, enum journal_state state, const char *digest)
{
	struct journal_entry *e = journal_find(j, id);

	if (e == NULL) {
		if (j->n == j->cap) {
			size_t cap = j->cap ? 2 * j->cap : 64;
			struct journal_entry *ne = realloc(j->e, cap * sizeof *ne);

			if (ne == NULL)
				return -1;
			j->e = ne;
			j->cap = cap;
		}
		e = &j->e[j->n++];
		snprintf(e->id, sizeof e->id, "%s", id);
	}
	e->state = state;
	snprintf(e->digest, sizeof e->digest, "%s", digest);
	return 0;
}

/* Parses one whole line; lines that are not the format are skipped. */
static void journal_line(struct journal *j, char *line)
{
	char id[CONN_ID_MAX], state[16], digest[2 * ADVICE_HASH_BYTES + 1];

	if (sscanf(line, "%79s %15s %64s", id, state, digest) != 3 || strlen(digest) != 2 * ADVICE_HASH_BYTES)
		return;
	if (strcmp(state, "delivered") == 0)
		journal_remember(j, id, JOURNAL_DELIVERED, digest);
	else if (strcmp(state, "done") == 0)
		journal_remember(j, id, JOURNAL_DONE, digest);
}

struct journal *journal_open(const char *path)
{
	struct journal *j = calloc(1, sizeof *j);
	uint8_t *data = NULL;
	size_t len = 0, start = 0;

	if (j == NULL)
		return NULL;
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0 || flock(j->fd, LOCK_EX | LOCK_NB) != 0 || fs_read_file(path, &data, &len) != 0) {
		int e = errno;

		journal_close(j);
		errno = e;
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n') {
			data[i] = '\0';
			journal_line(j, (char *)data + start);
			start = i + 1;
		}
	if (start < len) {
		/* A line cut by a crash: cut it off, so the next line starts clean. */
		if (ftruncate(j->fd, (off_t)start) != 0 || fsync(j->fd) != 0) {
			free(data);
			journal_close(j);
			return NULL;
		}
	}
	free(data);
	return j;
}

void journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->e);
	free(j);
}

enum journal_state journal_get(const struct journal *j, const char *id, char *digest)
{
	const struct journal_entry *e = journal_find(j, id);

	if (e == NULL)
		return JOURNAL_NONE;
	if (digest != NULL)
		memcpy(digest, e->digest, sizeof e->digest);
	return e->state;
}

int journal_put(struct journal *j, const char *id, enum journal_state state, const char *digest)
{
	char line[CONN_ID_MAX + 16 + 2 * ADVICE_HASH_BYTES + 4];
	int n;

	if (strlen(id) >= CONN_ID_MAX || strchr(id, ' ') != NULL || strchr(id, '\n') != NULL ||
	    strlen(digest) != 2 * ADVICE_HASH_BYTES || state == JOURNAL_NONE) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(line, sizeof line, "%s %s %s\n", id, state == JOURNAL_DONE ? "done" : "delivered",
		     digest);
	if (write(j->fd, line, (size_t)n) != n || fsync(j->fd) != 0)
		return -1;
	return journal_remember(j, id, state, digest);
}

size_t journal_delivered(const struct journal *j, char (*ids)[CONN_ID_MAX],
			 char (*digests)[2 * ADVICE_HASH_BYTES + 1], size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < j->n && n < cap; i++)
		if (j->e[i].state == JOURNAL_DELIVERED) {
			memcpy(ids[n], j->e[i].id, CONN_ID_MAX);
			memcpy(digests[n], j->e[i].digest, sizeof digests[n]);
			n++;
		}
	return n;
}
