/*
 * admin_retention.h - advicectl's register duties, run by the core (core_admin.c):
 *
 *   retention-run [--dry-run] [--at WHEN]   the threads due at WHEN (default now) by the
 *                                           register's rules, and held ones; without
 *                                           --dry-run they are marked and shredded
 *   thread-erase THREAD --reason TEXT [--request ID]
 *                                           erasure now, refused for a thread handed over
 *                                           to the client record (GDPR 17(3)(b))
 *   privacy-notice [--lang fi|sv|en]        the register's privacy notice as text
 *
 * retention-run and thread-erase continue with "--continue RUN" steps (admin_out.again),
 * each in a commit of its own, until the run's shreds are done; the last step reports them.
 */
#ifndef ADVICE_ADMIN_RETENTION_H
#define ADVICE_ADMIN_RETENTION_H

#include <stdint.h>

#include "admin_out.h"
#include "register.h"
#include "store.h"

struct admin_retention_env {
	const struct register_doc *reg; /* NULL: none loaded */
	const char *blob_dir;		/* "" = attachments off */
	const char *os_user;		/* who runs the command */
	int64_t now;
};

/*
 * Runs command argv[0] inside the caller's transaction. 0 when done (out->again may ask for
 * the next step), 1 when argv is not one of these commands with these arguments, -1 with a
 * reason in err when it failed (the caller rolls back).
 */
int admin_retention_run(struct store *st, const struct admin_retention_env *env, int argc, char **argv,
			struct admin_out *out, char *err, size_t errlen);

#endif
