/*
 * admin_sock.h - the admin socket: how advicectl reaches a running adviced.
 *
 * A Unix stream socket (mode 600, in the data folder by default) served by a thread of its
 * own. Only root and the user adviced runs as may connect (SO_PEERCRED); others are refused
 * and the refusal logged. One JSON request per line, one JSON reply per line
 * (proto/PROTOCOL.md, "Admin socket"); each request becomes a CORE_REQ_ADMIN request through
 * dispatch, so it is checked, logged and committed like any client's.
 */
#ifndef ADVICE_ADMIN_SOCK_H
#define ADVICE_ADMIN_SOCK_H

#include <stddef.h>

struct dispatch;
struct admin_sock;

#define ADMIN_SOCK_LINE_MAX (1024 * 1024) /* bytes of one request line */
#define ADMIN_SOCK_MAX_CONN 8		  /* connections served at once */

/* Creates the socket at `path` (a stale socket file there is replaced; anything else is
 * refused) and starts its thread. NULL with a reason in `err`. */
struct admin_sock *admin_sock_start(const char *path, struct dispatch *d, char *err, size_t errlen);

struct backup_source;
/* Lets the "backup" command copy `src` (its strings are copied); without it the command is
 * refused as unavailable. Call before the first connection. 0, or -1 when out of memory. */
int admin_sock_set_backup(struct admin_sock *a, const struct backup_source *src);

/* Stops the thread, closes every connection and removes the socket file. NULL is fine. */
void admin_sock_stop(struct admin_sock *a);

#endif
