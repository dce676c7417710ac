/*
 * net_listen.c - whether adviced can listen where it is configured to, asked before
 * libwebsockets binds, so that a port already taken is said plainly rather than as lws's
 * bind error.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

/* Binds a socket to `ai` as lws's listener would (SO_REUSEADDR); 0 or an errno value. */
static int try_bind(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	int one = 1, rc = 0;

	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1) != 0)
		rc = errno;
	close(fd);
	return rc;
}

int net_listen_check(const char *listen_addr, int port, char *err, size_t errlen)
{
	const char *shown = listen_addr != NULL && listen_addr[0] != '\0' ? listen_addr : "*";
	struct addrinfo hints, *ai = NULL;
	char service[16];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%d", port);
	rc = getaddrinfo(shown[0] == '*' ? NULL : listen_addr, service, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "cannot listen on %.64s:%d: %s (check `listen =` in adviced.conf)",
			 shown, port, gai_strerror(rc));
		return -1;
	}
	rc = try_bind(ai);
	freeaddrinfo(ai);
	if (rc == EADDRINUSE) {
		snprintf(err, errlen,
			 "cannot listen on %.64s:%d: the address is already in use (another adviced or "
			 "program?); choose another port with `port =` in adviced.conf",
			 shown, port);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot listen on %.64s:%d: %s", shown, port, strerror(rc));
		return -1;
	}
	return 0;
}
