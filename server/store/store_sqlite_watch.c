/*
 * store_sqlite_watch.c - the change generations of the writable store (store_tx_ops
 * generation): TEMP triggers on the writer's connection call advice_gen_bump() on every
 * insert, update and delete of the watched tables (SQL of any operation, cascades too), so
 * no operation has to remember it (staff certificates count as devices); rollbacks bump every generation
 * (store_sqlite.c). The touches of last_seen and last_used name only that column and bump nothing.
 */
#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

static void gen_bump(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store_sqlite *s = sqlite3_user_data(ctx);
	int which = argc == 1 ? sqlite3_value_int(argv[0]) : -1;

	if (which >= 0 && which < STORE_GEN__COUNT && s->gen[which] != 0)
		s->gen[which]++;
	else
		sqs_gen_bump_all(s);
	sqlite3_result_null(ctx);
}

/* The triggers: table, events, generation. UPDATE OF lists every column but the touched one. */
#define SESSIONS "0"
#define DEVICES	 "1"
static const char watch_sql[] =
	"CREATE TEMP TRIGGER gen_sessions_u AFTER UPDATE OF hash, user_id, role, created, idle_ms,"
	" expires, revoked ON main.sessions BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_sessions_d AFTER DELETE ON main.sessions"
	" BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_members_i AFTER INSERT ON main.memberships"
	" BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_members_u AFTER UPDATE ON main.memberships"
	" BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_members_d AFTER DELETE ON main.memberships"
	" BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_role_ends_i AFTER INSERT ON main.role_ends"
	" BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_role_ends_u AFTER UPDATE ON main.role_ends"
	" BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_role_ends_d AFTER DELETE ON main.role_ends"
	" BEGIN SELECT advice_gen_bump(" SESSIONS "); END;"
	"CREATE TEMP TRIGGER gen_users_u AFTER UPDATE ON main.users"
	" BEGIN SELECT advice_gen_bump(); END;"
	"CREATE TEMP TRIGGER gen_users_d AFTER DELETE ON main.users"
	" BEGIN SELECT advice_gen_bump(); END;"
	"CREATE TEMP TRIGGER gen_devices_i AFTER INSERT ON main.e2e_devices"
	" BEGIN SELECT advice_gen_bump(" DEVICES "); END;"
	"CREATE TEMP TRIGGER gen_devices_u AFTER UPDATE OF kid, user_id, box_pk, sign_pk, created,"
	" identity_id, cert ON main.e2e_devices BEGIN SELECT advice_gen_bump(" DEVICES "); END;"
	"CREATE TEMP TRIGGER gen_devices_d AFTER DELETE ON main.e2e_devices"
	" BEGIN SELECT advice_gen_bump(" DEVICES "); END;"
	"CREATE TEMP TRIGGER gen_certs_i AFTER INSERT ON main.e2e_certs"
	" BEGIN SELECT advice_gen_bump(" DEVICES "); END;"
	"CREATE TEMP TRIGGER gen_certs_u AFTER UPDATE ON main.e2e_certs"
	" BEGIN SELECT advice_gen_bump(" DEVICES "); END;"
	"CREATE TEMP TRIGGER gen_certs_d AFTER DELETE ON main.e2e_certs"
	" BEGIN SELECT advice_gen_bump(" DEVICES "); END;";

void sqs_gen_bump_all(struct store_sqlite *s)
{
	for (int i = 0; i < STORE_GEN__COUNT; i++)
		if (s->gen[i] != 0) /* a store not watched stays at 0 */
			s->gen[i]++;
}

int sqs_watch_install(struct store_sqlite *s)
{
	char *err = NULL;

	if (sqlite3_create_function(s->db, "advice_gen_bump", -1, SQLITE_UTF8, s, gen_bump, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(s->db, watch_sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("cannot watch the session and device tables: %s", err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return -1;
	}
	for (int i = 0; i < STORE_GEN__COUNT; i++)
		s->gen[i] = 1; /* 0 means "cannot tell" */
	return 0;
}

uint64_t sqs_generation(struct store *st, enum store_gen which)
{
	struct store_sqlite *s = (struct store_sqlite *)st;

	return which >= 0 && which < STORE_GEN__COUNT ? s->gen[which] : 0;
}
