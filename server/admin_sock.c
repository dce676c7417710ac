/*
 * admin_sock.c - the admin socket's thread (admin_sock.h): accept, check the peer, read
 * lines, run each through dispatch_call, write the reply. Plain sockets and poll: the
 * traffic is a register keeper's commands, one at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "admin_sock.h"
#include "backup.h"
#include "core.h"
#include "dispatch.h"
#include "log.h"

#define SEND_TIMEOUT_S	     5
#define ADMIN_SOCK_MAX_STEPS 100000 /* further steps of one command (admin_out.again) */

struct admin_conn {
	int fd;
	char user[64]; /* the peer's OS user name */
	char *buf;     /* ADMIN_SOCK_LINE_MAX + 1 bytes */
	size_t len;
};

struct admin_sock {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int wake[2]; /* a byte on wake[1] stops the thread */
	struct dispatch *d;
	pthread_t thread;
	struct admin_conn conn[ADMIN_SOCK_MAX_CONN];
	struct backup_source backup; /* what "backup" copies (admin_sock_set_backup) */
	char *backup_text[7];	     /* backup's strings, owned */
	int has_backup;
};

/* Writes all of `text` and a newline; errors end the connection later, at its next read. */
static void send_line(int fd, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (n <= 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
	send(fd, "\n", 1, MSG_NOSIGNAL);
}

/* An error reply: {"id": id, "type": "error", "code": code, "message": message}. */
static void send_error(int fd, json_t *id, const char *code, const char *message)
{
	json_t *o = json_pack("{s:O?, s:s, s:s, s:s}", "id", id, "type", "error", "code", code, "message",
			      message);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (text != NULL)
		send_line(fd, text);
	free(text);
	json_decref(o);
}

/* The body of a CORE_REQ_ADMIN request: the client's command with the peer's user name,
 * which the client cannot choose. NULL with a reason when the request is not usable. */
static char *admin_body(json_t *req, const char *user, const char **why)
{
	json_t *cmd = json_object_get(req, "command"), *args = json_object_get(req, "args");
	json_t *auth = json_object_get(req, "auth"), *records = json_object_get(req, "records");
	json_t *input = json_object_get(req, "stdin");
	json_t *body;
	char *text;

	auth = json_is_null(auth) ? NULL : auth; /* null: absent */
	records = json_is_null(records) ? NULL : records;
	args = json_is_null(args) ? NULL : args;
	input = json_is_null(input) ? NULL : input;

	if (!json_is_string(cmd) || (args != NULL && !json_is_array(args)) ||
	    (auth != NULL && !json_is_object(auth)) || (records != NULL && !json_is_array(records)) ||
	    (input != NULL && (!json_is_string(input) || json_string_length(input) > 256))) {
		*why = "a request is {\"id\", \"command\": NAME, \"args\": [STRING...]}";
		return NULL;
	}
	body = json_pack("{s:s, s:O}", "user", user, "command", cmd);
	if (body != NULL && args != NULL)
		json_object_set(body, "args", args);
	if (body != NULL && auth != NULL)
		json_object_set(body, "auth", auth);
	if (body != NULL && records != NULL)
		json_object_set(body, "records", records);
	if (body != NULL && input != NULL)
		json_object_set(body, "stdin", input);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	*why = "out of memory";
	return text; /* NULL only when out of memory: reported as a bad request, nothing ran */
}

/* One CORE_REQ_ADMIN request with `body` as the peer; its reply as JSON, or NULL (busy,
 * stopping, or out of memory). */
static json_t *admin_call(struct admin_sock *a, const struct admin_conn *c, const char *body)
{
	struct core_request *r = core_request_new(CORE_REQ_ADMIN, 0, body, strlen(body));
	struct core_reply *rep;
	json_t *o;

	if (r == NULL)
		return NULL;
	snprintf(r->peer, sizeof r->peer, "admin:%.*s", (int)sizeof r->peer - 7, c->user);
	rep = dispatch_call(a->d, r); /* frees r */
	o = rep != NULL ? json_loads(rep->json, 0, NULL) : NULL;
	core_reply_free(rep);
	return o;
}

/* Joins a further step's reply into the first's: output appended, data merged (later keys
 * win), warnings appended, exit and any error taken from the step. */
static void join_step(json_t *o, json_t *step)
{
	const char *a = json_string_value(json_object_get(o, "output"));
	const char *b = json_string_value(json_object_get(step, "output"));
	json_t *data = json_object_get(step, "data"), *warnings = json_object_get(step, "warnings");
	const char *type = json_string_value(json_object_get(step, "type"));
	json_t *exit_status = json_object_get(step, "exit");
	char *text;

	if (type != NULL && strcmp(type, "ok") != 0) {
		json_object_clear(o);
		json_object_update(o, step);
		return;
	}
	if (b != NULL && (text = malloc(strlen(a ? a : "") + strlen(b) + 1)) != NULL) {
		strcpy(text, a ? a : "");
		strcat(text, b);
		json_object_set_new(o, "output", json_string(text));
		free(text);
	}
	if (json_is_object(data)) {
		if (!json_is_object(json_object_get(o, "data")))
			json_object_set_new(o, "data", json_object());
		json_object_update(json_object_get(o, "data"), data);
	}
	if (json_is_array(warnings)) {
		if (!json_is_array(json_object_get(o, "warnings")))
			json_object_set_new(o, "warnings", json_array());
		json_array_extend(json_object_get(o, "warnings"), warnings);
	}
	if (exit_status != NULL)
		json_object_set(o, "exit", exit_status);
	json_object_del(o, "again");
	if (json_object_get(step, "again") != NULL)
		json_object_set(o, "again", json_object_get(step, "again"));
}

/* A command that takes several commits (retention-run, thread-erase) names its next step in
 * "again" ([command, args...]); each step is run in a batch of its own until none is named. */
static void run_steps(struct admin_sock *a, const struct admin_conn *c, json_t *o)
{
	for (int steps = 0; steps < ADMIN_SOCK_MAX_STEPS; steps++) {
		json_t *words = json_object_get(o, "again"), *body, *step;
		char *text;

		if (!json_is_array(words) || json_array_size(words) == 0)
			break;
		body = json_pack("{s:s, s:O, s:[]}", "user", c->user, "command", json_array_get(words, 0),
				 "args");
		for (size_t i = 1; body != NULL && i < json_array_size(words); i++)
			json_array_append(json_object_get(body, "args"), json_array_get(words, i));
		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		json_decref(body);
		step = text ? admin_call(a, c, text) : NULL;
		free(text);
		if (step == NULL) {
			log_err("admin socket: a further step of %s did not run; the next run carries on",
				json_string_value(json_array_get(words, 0)));
			break;
		}
		join_step(o, step);
		json_decref(step);
	}
	json_object_del(o, "again");
}

/*
 * "backup DIR": the request goes through dispatch first, so it is checked by the policy and
 * written to the access log like every command; then this thread makes the backup on
 * connections of its own (backup.h), off the core thread, so that clients' requests go on
 * meanwhile. Other admin connections wait until it is done.
 */
static void handle_backup(struct admin_sock *a, struct admin_conn *c, json_t *req, const char *body)
{
	json_t *id = json_object_get(req, "id"), *args = json_object_get(req, "args"), *o, *data = NULL;
	const char *dir = json_string_value(json_array_get(args, 0)), *type;
	char err[600], *text = NULL, *line;
	int rc;

	if (json_array_size(args) != 1 || dir == NULL || dir[0] != '/') {
		send_error(c->fd, id, "bad_request",
			   "backup takes one argument: the absolute path of an empty folder");
		return;
	}
	if (!a->has_backup) {
		send_error(c->fd, id, "unavailable", "this server makes no backups");
		return;
	}
	if ((o = admin_call(a, c, body)) == NULL) {
		send_error(c->fd, id, "unavailable", "the server is busy or stopping: no backup was made");
		return;
	}
	type = json_string_value(json_object_get(o, "type"));
	if (type == NULL || strcmp(type, "ok") != 0) {
		json_object_set(o, "id", id ? id : json_null());
		if ((line = json_dumps(o, JSON_COMPACT)) != NULL)
			send_line(c->fd, line);
		free(line);
		json_decref(o);
		return;
	}
	json_decref(o);
	log_notice("admin socket: backup by %s started", c->user);
	rc = backup_make(&a->backup, dir, &text, &data, err, sizeof err);
	if (rc != 0) {
		log_err("admin socket: backup by %s failed: %s", c->user, err);
		send_error(c->fd, id, rc == -2 ? "bad_request" : "failed", err);
		return;
	}
	o = json_pack("{s:O?, s:s, s:s, s:i, s:o}", "id", id, "type", "ok", "output", text ? text : "",
		      "exit", 0, "data", data ? data : json_object());
	line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line != NULL)
		send_line(c->fd, line);
	else
		send_error(c->fd, id, "failed", "out of memory for the reply; the backup was made");
	free(line);
	free(text);
	json_decref(o);
}

/* Runs one request line and writes its reply. */
static void handle_line(struct admin_sock *a, struct admin_conn *c, const char *line, size_t len)
{
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL), *id = json_object_get(req, "id");
	const char *why = NULL;
	char *body, *text = NULL;
	json_t *o;

	if (!json_is_object(req)) {
		send_error(c->fd, NULL, "bad_request", "not a JSON object on one line");
		json_decref(req);
		return;
	}
	if ((body = admin_body(req, c->user, &why)) == NULL) {
		send_error(c->fd, id, "bad_request", why);
		json_decref(req);
		return;
	}
	if (strcmp(json_string_value(json_object_get(req, "command")), "backup") == 0) {
		handle_backup(a, c, req, body);
		free(body);
		json_decref(req);
		return;
	}
	o = admin_call(a, c, body);
	sodium_memzero(body, strlen(body)); /* it may hold an authentication key */
	free(body);
	why = "the server is busy or stopping: nothing was changed";
	if (o != NULL)
		run_steps(a, c, o);
	if (o != NULL) {
		json_object_set(o, "id", id ? id : json_null());
		text = json_dumps(o, JSON_COMPACT);
	}
	if (text != NULL)
		send_line(c->fd, text);
	else
		send_error(c->fd, id, "unavailable", why);
	free(text);
	json_decref(o);
	json_decref(req);
}

static void conn_close(struct admin_conn *c)
{
	close(c->fd);
	c->fd = -1;
	if (c->buf != NULL)
		sodium_memzero(c->buf, c->len);
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}

/* Reads what is there and runs every complete line. An overlong line is answered with an
 * error and ends the connection. */
static void conn_read(struct admin_sock *a, struct admin_conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, ADMIN_SOCK_LINE_MAX + 1 - c->len, MSG_DONTWAIT);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t line = (size_t)(nl - c->buf);

		handle_line(a, c, c->buf, line);
		memmove(c->buf, nl + 1, c->len - line - 1);
		c->len -= line + 1;
	}
	if (c->fd >= 0 && c->len > ADMIN_SOCK_LINE_MAX) {
		send_error(c->fd, NULL, "too_large", "a request line is at most 1 MiB");
		log_warn("admin socket: a request line over %d bytes from %s; connection closed",
			 ADMIN_SOCK_LINE_MAX, c->user);
		conn_close(c);
	}
}

/* The peer's user name if it may administer (root or our own user), else -1 (logged). */
static int peer_allowed(int fd, char *user, size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct passwd pw, *found = NULL;
	char pwbuf[1024];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_warn("admin socket: cannot read the peer's credentials: %s", strerror(errno));
		return -1;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_warn("admin socket: refused uid %u (pid %d): only root and uid %u may administer",
			 (unsigned)cred.uid, (int)cred.pid, (unsigned)geteuid());
		return -1;
	}
	if (getpwuid_r(cred.uid, &pw, pwbuf, sizeof pwbuf, &found) == 0 && found != NULL)
		snprintf(user, size, "%s", found->pw_name);
	else
		snprintf(user, size, "uid%u", (unsigned)cred.uid);
	return 0;
}

static void accept_one(struct admin_sock *a)
{
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	struct admin_conn *free_slot = NULL;
	char user[64];
	int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (peer_allowed(fd, user, sizeof user) != 0) {
		send_error(fd, NULL, "forbidden", "only root and adviced's own user may administer");
		close(fd);
		return;
	}
	for (size_t i = 0; i < ADMIN_SOCK_MAX_CONN && free_slot == NULL; i++)
		if (a->conn[i].fd < 0)
			free_slot = &a->conn[i];
	if (free_slot == NULL || (free_slot->buf = malloc(ADMIN_SOCK_LINE_MAX + 1)) == NULL) {
		send_error(fd, NULL, "unavailable", "too many admin connections: try again");
		close(fd);
		return;
	}
	free_slot->fd = fd;
	free_slot->len = 0;
	snprintf(free_slot->user, sizeof free_slot->user, "%s", user);
}

static void *admin_main(void *arg)
{
	struct admin_sock *a = arg;
	struct pollfd p[2 + ADMIN_SOCK_MAX_CONN];

	for (;;) {
		p[0] = (struct pollfd){ .fd = a->wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = a->listen_fd, .events = POLLIN };
		for (size_t i = 0; i < ADMIN_SOCK_MAX_CONN; i++)
			p[2 + i] = (struct pollfd){ .fd = a->conn[i].fd, .events = POLLIN };
		if (poll(p, 2 + ADMIN_SOCK_MAX_CONN, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		for (size_t i = 0; i < ADMIN_SOCK_MAX_CONN; i++)
			if (a->conn[i].fd >= 0 && p[2 + i].revents)
				conn_read(a, &a->conn[i]);
		if (p[1].revents & POLLIN)
			accept_one(a);
	}
	return NULL;
}

/* Removes a socket file left by an adviced that did not stop cleanly. The caller holds the
 * data folder's lock, so no running adviced serves it. 0, or -1 when something else is
 * there. */
static int remove_stale(const char *path, char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(path, &sb) != 0 && errno == ENOENT)
		return 0;
	if (lstat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: remove it or set admin_socket", path);
		return -1;
	}
	if (unlink(path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	log_notice("admin socket: replaced a stale %s", path);
	return 0;
}

/* The listening socket at a->path, mode 600. 0 or -1. */
static int listen_at(struct admin_sock *a, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (remove_stale(a->path, err, errlen) != 0)
		return -1;
	memcpy(sa.sun_path, a->path, sizeof sa.sun_path);
	a->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* fchmod before bind sets the mode the socket file is created with (Linux); the chmod
	 * after it makes sure. The data folder is mode 700 besides. */
	if (a->listen_fd < 0 || fchmod(a->listen_fd, 0600) != 0 ||
	    bind(a->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(a->path, 0600) != 0 ||
	    listen(a->listen_fd, ADMIN_SOCK_MAX_CONN) != 0) {
		snprintf(err, errlen, "admin socket %s: %s", a->path, strerror(errno));
		return -1;
	}
	return 0;
}

struct admin_sock *admin_sock_start(const char *path, struct dispatch *d, char *err, size_t errlen)
{
	struct admin_sock *a = calloc(1, sizeof *a);

	err[0] = '\0';
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->listen_fd = a->wake[0] = a->wake[1] = -1;
	a->d = d;
	for (size_t i = 0; i < ADMIN_SOCK_MAX_CONN; i++)
		a->conn[i].fd = -1;
	if (strlen(path) >= sizeof a->path) {
		snprintf(err, errlen, "admin_socket: the path is longer than %zu bytes", sizeof a->path - 1);
		free(a);
		return NULL;
	}
	snprintf(a->path, sizeof a->path, "%s", path);
	if (listen_at(a, err, errlen) != 0 || pipe2(a->wake, O_CLOEXEC) != 0 ||
	    pthread_create(&a->thread, NULL, admin_main, a) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot start the admin socket's thread");
		if (a->listen_fd >= 0) {
			close(a->listen_fd);
			unlink(a->path);
		}
		if (a->wake[0] >= 0) {
			close(a->wake[0]);
			close(a->wake[1]);
		}
		free(a);
		return NULL;
	}
	return a;
}

int admin_sock_set_backup(struct admin_sock *a, const struct backup_source *src)
{
	const char *from[7] = { src->data_dir,	  src->database,      src->shred_database, src->blob_dir,
				src->config_file, src->register_file, src->version };

	for (size_t i = 0; i < 7; i++) {
		free(a->backup_text[i]);
		if ((a->backup_text[i] = strdup(from[i] ? from[i] : "")) == NULL)
			return -1;
	}
	a->backup = (struct backup_source){ a->backup_text[0], a->backup_text[1], a->backup_text[2],
					    a->backup_text[3], a->backup_text[4], a->backup_text[5],
					    a->backup_text[6] };
	a->has_backup = 1;
	return 0;
}

void admin_sock_stop(struct admin_sock *a)
{
	if (a == NULL)
		return;
	while (write(a->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(a->thread, NULL);
	for (size_t i = 0; i < ADMIN_SOCK_MAX_CONN; i++)
		if (a->conn[i].fd >= 0)
			conn_close(&a->conn[i]);
	close(a->listen_fd);
	unlink(a->path);
	close(a->wake[0]);
	close(a->wake[1]);
	for (size_t i = 0; i < 7; i++)
		free(a->backup_text[i]);
	free(a);
}
