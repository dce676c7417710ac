/*
 * store_sqlite_schema.c - the SQLite store's schema as its history: the numbered migrations
 * that store_sqlite.c runs at open. Each adds the tables of one step of the project, whatever
 * domains they serve.
 */
#include <stddef.h>

#include "store_sqlite_int.h"

/* Pieces of migration 10's triggers: a running clock of thread `row` ("OLD" or "NEW") at
 * `level` (1 at risk, 2 missed), and what a new or changed thread adds to its assignee's load and its
 * citizen's open threads. */
#define COUNT_CLOCK(row, level)                                                                              \
	"(SELECT count(*) FROM thread_clock WHERE thread_id = " row ".id AND state = 1 AND level = " level ")"
#define COUNT_LOAD_ADD                                                                                       \
	"  INSERT INTO staff_load(user_id, open) SELECT NEW.assignee_id, 1"                                  \
	"    WHERE NEW.assignee_id IS NOT NULL AND NEW.state != 4"                                           \
	"    ON CONFLICT(user_id) DO UPDATE SET open = open + 1;"
#define COUNT_CITIZEN_ADD                                                                                    \
	"  INSERT INTO citizen_usage VALUES(NEW.citizen_id, NEW.state != 4, 0, 0, 0)"                        \
	"    ON CONFLICT(citizen_id) DO UPDATE SET open = open + excluded.open;"

/* Migrations, run in this order where not yet applied. Never edit one that has shipped;
 * add a new one with the next unused id. */
const struct sqs_migration store_sqlite_migrations[] = {
	{ 1, "users, units, queues, sessions, threads, messages, idempotency, access log",
	  "CREATE TABLE users(id TEXT PRIMARY KEY, kind INTEGER NOT NULL, created INTEGER NOT NULL);"
	  "CREATE TABLE citizens(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  hetu_hash BLOB NOT NULL UNIQUE);"
	  "CREATE TABLE workers(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  username TEXT NOT NULL UNIQUE, salt BLOB NOT NULL, opslimit INTEGER NOT NULL,"
	  "  memlimit INTEGER NOT NULL, auth_hash BLOB NOT NULL,"
	  "  failures INTEGER NOT NULL DEFAULT 0, locked_until INTEGER NOT NULL DEFAULT 0,"
	  "  disabled INTEGER NOT NULL DEFAULT 0);"
	  "CREATE TABLE units(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	  "CREATE TABLE queues(id TEXT PRIMARY KEY, unit_id TEXT NOT NULL REFERENCES units(id),"
	  "  category TEXT NOT NULL UNIQUE, name TEXT NOT NULL);"
	  "CREATE TABLE memberships(user_id TEXT NOT NULL REFERENCES users(id),"
	  "  unit_id TEXT NOT NULL REFERENCES units(id), role INTEGER NOT NULL,"
	  "  PRIMARY KEY(user_id, unit_id)) WITHOUT ROWID;"
	  "CREATE TABLE sessions(hash BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	  "  role INTEGER NOT NULL, created INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	  "  idle_ms INTEGER NOT NULL, expires INTEGER NOT NULL,"
	  "  revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	  "CREATE TABLE threads(id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL REFERENCES users(id),"
	  "  queue_id TEXT NOT NULL REFERENCES queues(id), assignee_id TEXT REFERENCES users(id),"
	  "  state INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	  "  last_seq INTEGER NOT NULL);"
	  "CREATE INDEX threads_by_citizen ON threads(citizen_id, id);"
	  "CREATE INDEX threads_by_queue ON threads(queue_id, id);"
	  "CREATE TABLE messages(thread_id TEXT NOT NULL REFERENCES threads(id), seq INTEGER NOT NULL,"
	  "  sender_id TEXT NOT NULL REFERENCES users(id), sender_role INTEGER NOT NULL,"
	  "  created INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE(thread_id, seq));"
	  "CREATE TABLE requests(user_id TEXT NOT NULL, request_id TEXT NOT NULL,"
	  "  reply TEXT NOT NULL, created INTEGER NOT NULL,"
	  "  PRIMARY KEY(user_id, request_id)) WITHOUT ROWID;"
	  "CREATE TABLE access_log(row INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	  "  user_id TEXT NOT NULL, role INTEGER NOT NULL, unit_id TEXT NOT NULL,"
	  "  client TEXT NOT NULL, object TEXT NOT NULL, action TEXT NOT NULL,"
	  "  outcome TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL);"
	  "CREATE TRIGGER access_log_append_only_u BEFORE UPDATE ON access_log"
	  "  BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;"
	  "CREATE TRIGGER access_log_append_only_d BEFORE DELETE ON access_log"
	  "  BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;" },
	{ 2,
	  "duty queues: settings, routes, closed days, roster, duty, deadline clocks, reassignments,"
	  " notification contacts and outbox",
	  "CREATE TABLE unit_settings(unit_id TEXT PRIMARY KEY REFERENCES units(id),"
	  "  langs TEXT NOT NULL, open_min INTEGER NOT NULL, close_min INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE queue_settings(queue_id TEXT PRIMARY KEY REFERENCES queues(id),"
	  "  policy INTEGER NOT NULL, cap INTEGER NOT NULL, fallback_id TEXT REFERENCES queues(id),"
	  "  first_days INTEGER NOT NULL, follow_days INTEGER NOT NULL, warn_pct INTEGER NOT NULL,"
	  "  rr_last TEXT NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE routes(category TEXT NOT NULL, lang TEXT NOT NULL,"
	  "  queue_id TEXT NOT NULL REFERENCES queues(id), PRIMARY KEY(category, lang)) WITHOUT ROWID;"
	  "CREATE TABLE closed_days(day INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	  "CREATE TABLE roster(id INTEGER PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	  "  unit_id TEXT NOT NULL REFERENCES units(id), days INTEGER NOT NULL, start_min INTEGER NOT NULL,"
	  "  end_min INTEGER NOT NULL, on_holidays INTEGER NOT NULL);"
	  "CREATE INDEX roster_by_unit ON roster(unit_id, user_id);"
	  "CREATE TABLE duty(user_id TEXT PRIMARY KEY REFERENCES users(id), mode INTEGER NOT NULL,"
	  "  until INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE thread_clock(thread_id TEXT PRIMARY KEY REFERENCES threads(id), lang TEXT NOT NULL,"
	  "  kind INTEGER NOT NULL, state INTEGER NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL,"
	  "  used INTEGER NOT NULL, budget INTEGER NOT NULL, warn_at INTEGER NOT NULL, due INTEGER NOT NULL)"
	  "  WITHOUT ROWID;"
	  "CREATE INDEX thread_clock_running ON thread_clock(state, warn_at);"
	  "CREATE INDEX threads_by_assignee ON threads(assignee_id, state);"
	  "CREATE TABLE reassignments(id INTEGER PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads(id),"
	  "  by_user TEXT NOT NULL, from_user TEXT NOT NULL, to_user TEXT NOT NULL, from_queue TEXT NOT NULL,"
	  "  to_queue TEXT NOT NULL, reason TEXT NOT NULL, audit_row INTEGER NOT NULL, time INTEGER NOT "
	  "NULL);"
	  "CREATE TABLE notify_contacts(citizen_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  email TEXT NOT NULL, phone TEXT NOT NULL, lang TEXT NOT NULL, updated INTEGER NOT NULL)"
	  "  WITHOUT ROWID;"
	  "CREATE TABLE notify_outbox(id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL REFERENCES users(id),"
	  "  channel INTEGER NOT NULL, state INTEGER NOT NULL, attempts INTEGER NOT NULL,"
	  "  next_at INTEGER NOT NULL, attempt_id TEXT NOT NULL, created INTEGER NOT NULL,"
	  "  updated INTEGER NOT NULL);"
	  "CREATE INDEX notify_outbox_due ON notify_outbox(state, next_at);"
	  "CREATE INDEX notify_outbox_citizen ON notify_outbox(citizen_id, channel, state);" },
	{ 3, "identity: single-use bank-ID logins",
	  "CREATE TABLE bank_logins(login_hash BLOB PRIMARY KEY, used INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX bank_logins_by_time ON bank_logins(used);" },
	{ 4, "end-to-end encryption: root key, certificates, devices, unit keys, wraps, bundles, shares",
	  "CREATE TABLE e2e_root(id INTEGER PRIMARY KEY CHECK(id = 1), sign_pk BLOB NOT NULL,"
	  "  created INTEGER NOT NULL);"
	  "CREATE TABLE e2e_certs(kid BLOB PRIMARY KEY, subject_id TEXT NOT NULL, role INTEGER NOT NULL,"
	  "  cert BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX e2e_certs_by_subject ON e2e_certs(subject_id);"
	  "CREATE TABLE e2e_bundles(user_id TEXT PRIMARY KEY REFERENCES users(id), bundle BLOB NOT NULL,"
	  "  updated INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE e2e_devices(kid BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	  "  box_pk BLOB NOT NULL, sign_pk BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX e2e_devices_by_user ON e2e_devices(user_id);"
	  "CREATE TABLE e2e_unit_gens(unit_id TEXT NOT NULL REFERENCES units(id), generation INTEGER NOT "
	  "NULL,"
	  "  box_kid BLOB NOT NULL UNIQUE, event BLOB NOT NULL, chain BLOB, created INTEGER NOT NULL,"
	  "  PRIMARY KEY(unit_id, generation)) WITHOUT ROWID;"
	  "CREATE TABLE e2e_unit_seeds(unit_id TEXT NOT NULL, generation INTEGER NOT NULL, kid BLOB NOT NULL,"
	  "  user_id TEXT NOT NULL, wrap BLOB NOT NULL," /* a worker's user id or an admin's subject id */
	  "  PRIMARY KEY(unit_id, generation, kid), FOREIGN KEY(unit_id, generation)"
	  "  REFERENCES e2e_unit_gens(unit_id, generation)) WITHOUT ROWID;"
	  "CREATE INDEX e2e_unit_seeds_by_user ON e2e_unit_seeds(user_id);"
	  "CREATE TABLE e2e_wraps(thread_id TEXT NOT NULL REFERENCES threads(id), epoch INTEGER NOT NULL,"
	  "  kid BLOB NOT NULL, wrap BLOB NOT NULL, writer_id TEXT NOT NULL, created INTEGER NOT NULL,"
	  "  PRIMARY KEY(thread_id, epoch, kid)) WITHOUT ROWID;"
	  "CREATE TABLE e2e_shares(thread_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES users(id),"
	  "  share BLOB NOT NULL, created INTEGER NOT NULL, opened INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	  "CREATE INDEX e2e_shares_pending ON e2e_shares(owner_id, opened);"
	  "CREATE TABLE e2e_files(id TEXT PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads(id),"
	  "  owner_id TEXT NOT NULL REFERENCES users(id), size INTEGER NOT NULL, chunks INTEGER NOT NULL,"
	  "  received INTEGER NOT NULL DEFAULT 0, complete INTEGER NOT NULL DEFAULT 0, created INTEGER NOT "
	  "NULL)"
	  "  WITHOUT ROWID;"
	  "CREATE INDEX e2e_files_by_thread ON e2e_files(thread_id);"
	  "CREATE INDEX e2e_files_by_owner ON e2e_files(owner_id)" },
	{ 5, "staff accounts: second factor, setup codes, end dates, role ends, unknown-name failures",
	  "CREATE TABLE staff_auth(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  totp BLOB, totp_pending BLOB, totp_last_step INTEGER NOT NULL DEFAULT -1,"
	  "  password_set INTEGER NOT NULL DEFAULT 0, ends INTEGER NOT NULL DEFAULT 0,"
	  "  setup_hash BLOB, setup_expires INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	  "CREATE INDEX staff_auth_by_end ON staff_auth(ends) WHERE ends > 0;"
	  "CREATE TABLE role_ends(user_id TEXT NOT NULL REFERENCES users(id), unit_id TEXT NOT NULL,"
	  "  ends INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
	  "  PRIMARY KEY(user_id, unit_id)) WITHOUT ROWID;"
	  "CREATE INDEX role_ends_due ON role_ends(ends) WHERE done = 0;"
	  "CREATE TABLE login_ghosts(name_hash BLOB PRIMARY KEY, failures INTEGER NOT NULL,"
	  "  locked_until INTEGER NOT NULL, disabled INTEGER NOT NULL, updated INTEGER NOT NULL)"
	  "  WITHOUT ROWID;"
	  "CREATE INDEX login_ghosts_by_age ON login_ghosts(updated) WHERE disabled = 0;"
	  "CREATE INDEX sessions_by_user ON sessions(user_id);"
	  "CREATE INDEX sessions_live ON sessions(expires) WHERE revoked = 0;" },
	{ 6, "thread lists: the change counter, departures of threads from units, read state per user",
	  /* The change counter of thread lists (store.h): the store gives each change the next value
	   * and keeps the counter here, written with each commit (store_sqlite.c). Existing threads
	   * are numbered in the order of their last activity. */
	  "CREATE TABLE change_counter(id INTEGER PRIMARY KEY CHECK(id = 1), value INTEGER NOT NULL);"
	  "ALTER TABLE threads ADD COLUMN change_no INTEGER NOT NULL DEFAULT 0;"
	  "UPDATE threads SET change_no = r.n FROM"
	  "  (SELECT id, row_number() OVER (ORDER BY updated, id) AS n FROM threads) AS r"
	  "  WHERE r.id = threads.id;"
	  "INSERT INTO change_counter(id, value) SELECT 1, count(*) FROM threads;"
	  "CREATE INDEX threads_by_change ON threads(change_no);"
	  /* The last time a thread left a unit (moved to another unit's queue), with the change of
	   * that move. */
	  "CREATE TABLE thread_departures(unit_id TEXT NOT NULL, thread_id TEXT NOT NULL REFERENCES "
	  "threads(id),"
	  "  change_no INTEGER NOT NULL, PRIMARY KEY(unit_id, thread_id)) WITHOUT ROWID;"
	  "CREATE INDEX thread_departures_by_change ON thread_departures(change_no);"
	  "CREATE TRIGGER threads_departure AFTER UPDATE OF queue_id ON threads"
	  "  WHEN OLD.queue_id != NEW.queue_id BEGIN"
	  "  INSERT OR REPLACE INTO thread_departures(unit_id, thread_id, change_no)"
	  "    SELECT o.unit_id, OLD.id, NEW.change_no FROM queues o, queues n"
	  "    WHERE o.id = OLD.queue_id AND n.id = NEW.queue_id AND o.unit_id != n.unit_id;"
	  "END;"
	  "CREATE TABLE read_state(user_id TEXT NOT NULL REFERENCES users(id),"
	  "  thread_id TEXT NOT NULL REFERENCES threads(id), read_seq INTEGER NOT NULL,"
	  "  change_no INTEGER NOT NULL, PRIMARY KEY(user_id, thread_id)) WITHOUT ROWID;"
	  "CREATE INDEX read_state_by_change ON read_state(user_id, change_no);" },
	{ 7, "names: staff display names and titles, how each unit shows them to citizens",
	  "CREATE TABLE staff_names(user_id TEXT PRIMARY KEY REFERENCES users(id), name TEXT NOT NULL,"
	  "  title TEXT NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE unit_name_style(unit_id TEXT PRIMARY KEY REFERENCES units(id),"
	  "  style INTEGER NOT NULL) WITHOUT ROWID" },
	/* A lock lasts lock_s from when it began (lockout.h) instead of a flag that lasts until an
	 * administrator unlocks. The time of a lock made before was not kept: it counts from now. */
	{ 8, "failed-login locks with their start time, so that they can run out",
	  "ALTER TABLE workers ADD COLUMN locked_at INTEGER NOT NULL DEFAULT 0;"
	  "UPDATE workers SET locked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000"
	  "  WHERE disabled <> 0;"
	  "ALTER TABLE workers DROP COLUMN disabled;"
	  "ALTER TABLE login_ghosts ADD COLUMN locked_at INTEGER NOT NULL DEFAULT 0;"
	  "UPDATE login_ghosts SET locked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000"
	  "  WHERE disabled <> 0;"
	  "DROP INDEX login_ghosts_by_age;"
	  "ALTER TABLE login_ghosts DROP COLUMN disabled;"
	  "CREATE INDEX login_ghosts_by_age ON login_ghosts(updated) WHERE locked_at = 0;" },
	{ 9, "locked unknown names can be evicted too: their age over every row",
	  "CREATE INDEX login_ghosts_by_update ON login_ghosts(updated);" },
	/* Counters kept by triggers in the transaction of each write, so that no write and no
	 * dashboard counts a unit's threads: per queue (waiting, open, clocks at risk and missed),
	 * per worker (open threads assigned) and per citizen (open threads; threads opened and
	 * message bytes written on one local day, which the core adds). They start from a recount;
	 * the day's counts start from zero. */
	{ 10, "counters of queues, workers and citizens kept with each write; citizens' daily usage",
	  "CREATE TABLE queue_counts(queue_id TEXT PRIMARY KEY REFERENCES queues(id),"
	  "  waiting INTEGER NOT NULL, open INTEGER NOT NULL, at_risk INTEGER NOT NULL,"
	  "  missed INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE staff_load(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  open INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE TABLE citizen_usage(citizen_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  open INTEGER NOT NULL, day INTEGER NOT NULL, threads INTEGER NOT NULL,"
	  "  bytes INTEGER NOT NULL) WITHOUT ROWID;"
	  "INSERT INTO queue_counts SELECT q.id, count(t.id) FILTER (WHERE t.state = 0),"
	  "  count(t.id) FILTER (WHERE t.state != 4),"
	  "  count(c.thread_id) FILTER (WHERE c.state = 1 AND c.level = 1),"
	  "  count(c.thread_id) FILTER (WHERE c.state = 1 AND c.level = 2)"
	  "  FROM queues q LEFT JOIN threads t ON t.queue_id = q.id"
	  "  LEFT JOIN thread_clock c ON c.thread_id = t.id GROUP BY q.id;"
	  "INSERT INTO staff_load SELECT assignee_id, count(*) FROM threads"
	  "  WHERE assignee_id IS NOT NULL AND state != 4 GROUP BY assignee_id;"
	  "INSERT INTO citizen_usage SELECT citizen_id, count(*) FILTER (WHERE state != 4), 0, 0, 0"
	  "  FROM threads GROUP BY citizen_id;"
	  "CREATE INDEX threads_waiting ON threads(queue_id, created) WHERE state = 0;"
	  "CREATE TRIGGER queues_count AFTER INSERT ON queues BEGIN"
	  "  INSERT INTO queue_counts VALUES(NEW.id, 0, 0, 0, 0);"
	  "END;"
	  "CREATE TRIGGER threads_count_insert AFTER INSERT ON threads BEGIN"
	  "  UPDATE queue_counts SET waiting = waiting + (NEW.state = 0), open = open + (NEW.state != 4)"
	  "    WHERE queue_id = NEW.queue_id;" COUNT_LOAD_ADD COUNT_CITIZEN_ADD "END;"
	  "CREATE TRIGGER threads_count_update AFTER UPDATE OF state, queue_id, assignee_id ON threads"
	  "  WHEN OLD.state != NEW.state OR OLD.queue_id != NEW.queue_id"
	  "    OR OLD.assignee_id IS NOT NEW.assignee_id BEGIN"
	  "  UPDATE queue_counts SET waiting = waiting - (OLD.state = 0), open = open - (OLD.state != 4),"
	  "    at_risk = at_risk - " COUNT_CLOCK("OLD", "1") ", missed = missed - " COUNT_CLOCK(
		  "OLD",
		  "2") "    WHERE queue_id = OLD.queue_id;"
		       "  UPDATE queue_counts SET waiting = waiting + (NEW.state = 0), open = open + "
		       "(NEW.state != 4),"
		       "    at_risk = at_risk + " COUNT_CLOCK("NEW", "1") ", missed = missed + " COUNT_CLOCK(
			       "NEW",
			       "2") "    WHERE queue_id = NEW.queue_id;"
				    "  UPDATE staff_load SET open = open - 1 WHERE user_id = OLD.assignee_id "
				    "AND OLD.state != 4;" COUNT_LOAD_ADD
				    "  UPDATE citizen_usage SET open = open + (NEW.state != 4) - (OLD.state "
				    "!= 4)"
				    "    WHERE citizen_id = NEW.citizen_id;"
				    "END;"
				    "CREATE TRIGGER clock_count_insert AFTER INSERT ON thread_clock BEGIN"
				    "  UPDATE queue_counts SET at_risk = at_risk + (NEW.state = 1 AND "
				    "NEW.level = 1),"
				    "    missed = missed + (NEW.state = 1 AND NEW.level = 2)"
				    "    WHERE queue_id = (SELECT queue_id FROM threads WHERE id = "
				    "NEW.thread_id);"
				    "END;"
				    "CREATE TRIGGER clock_count_update AFTER UPDATE ON thread_clock BEGIN"
				    "  UPDATE queue_counts SET"
				    "    at_risk = at_risk + (NEW.state = 1 AND NEW.level = 1) - (OLD.state "
				    "= 1 AND OLD.level = 1),"
				    "    missed = missed + (NEW.state = 1 AND NEW.level = 2) - (OLD.state = "
				    "1 AND OLD.level = 2)"
				    "    WHERE queue_id = (SELECT queue_id FROM threads WHERE id = "
				    "NEW.thread_id);"
				    "END;"
				    "CREATE TRIGGER clock_count_delete AFTER DELETE ON thread_clock BEGIN"
				    "  UPDATE queue_counts SET at_risk = at_risk - (OLD.state = 1 AND "
				    "OLD.level = 1),"
				    "    missed = missed - (OLD.state = 1 AND OLD.level = 2)"
				    "    WHERE queue_id = (SELECT queue_id FROM threads WHERE id = "
				    "OLD.thread_id);"
				    "END;" },
	/* Citizen keys the server cannot mint (issue 15): identities, devices certified by one,
	 * recovery boxes and new devices' requests. Devices registered before had no certificate
	 * that a reader could check: they are removed (their citizen starts a new identity). */
	{ 12, "citizen identities, device certificates and last use, recovery boxes, device requests",
	  "CREATE TABLE e2e_identities(id BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	  "  sign_pk BLOB NOT NULL, box_pk BLOB NOT NULL, first_seen INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX e2e_identities_by_user ON e2e_identities(user_id, first_seen);"
	  "DELETE FROM e2e_devices;"
	  "ALTER TABLE e2e_devices ADD COLUMN identity_id BLOB;"
	  "ALTER TABLE e2e_devices ADD COLUMN cert BLOB;"
	  "ALTER TABLE e2e_devices ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;"
	  "CREATE TABLE e2e_recovery(identity_id BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES "
	  "users(id),"
	  "  box BLOB NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX e2e_recovery_by_user ON e2e_recovery(user_id);"
	  "CREATE TABLE e2e_device_requests(id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	  "  box_pk BLOB NOT NULL, sign_pk BLOB NOT NULL, created INTEGER NOT NULL,"
	  "  answered INTEGER NOT NULL DEFAULT 0, answer BLOB) WITHOUT ROWID;"
	  "CREATE INDEX e2e_device_requests_by_user ON e2e_device_requests(user_id, created);"
	  "CREATE INDEX e2e_device_requests_by_time ON e2e_device_requests(created);" },
	/* Re-keying (issue 15): the unit log admins sign and the thread epoch events clients sign. */
	{ 14, "end-to-end encryption: unit logs and thread key epochs",
	  "CREATE TABLE e2e_unit_log(unit_id TEXT NOT NULL REFERENCES units(id), seq INTEGER NOT NULL,"
	  "  entry BLOB NOT NULL, created INTEGER NOT NULL, PRIMARY KEY(unit_id, seq)) WITHOUT ROWID;"
	  "CREATE TABLE e2e_epochs(thread_id TEXT NOT NULL REFERENCES threads(id), epoch INTEGER NOT NULL,"
	  "  event BLOB NOT NULL, writer_id TEXT NOT NULL, created INTEGER NOT NULL,"
	  "  PRIMARY KEY(thread_id, epoch)) WITHOUT ROWID;" },
	{ 15, "message ids: unique in their thread (a replayed envelope is refused)",
	  /* Only bodies that are envelopes have one (CRYPTO-FORMATS.md: prefix, size bounds,
	   * padding); where a thread already holds an id twice, the first keeps it. */
	  "ALTER TABLE messages ADD COLUMN msg_id BLOB;"
	  "CREATE UNIQUE INDEX messages_by_msg_id ON messages(thread_id, msg_id) WHERE msg_id IS NOT NULL;"
	  "UPDATE OR IGNORE messages SET msg_id = substr(body, 23, 16)"
	  "  WHERE length(body) BETWEEN 466 AND 32768 AND substr(body, 1, 6) = X'514101010100'"
	  "  AND (length(body) - 210) % 256 = 0;" },
	/* The shred shares moved to the shred store (store_sqlite.c copies them there before this
	 * runs, in a commit of their own), and the stored replies of thread.prepare lose theirs:
	 * no idempotency record holds a secret. The deleted pages are zeroed (secure_delete); older
	 * copies of the file (backups, a VACUUM not yet run) still hold the shares. Stored replies
	 * and ended sessions are purged by their age (core_purge.c). */
	{ 16, "shred shares in the shred store; thread shreds; purging of stored replies and sessions",
	  "DROP TABLE e2e_shares;"
	  "UPDATE requests SET reply = json_remove(reply, '$.share')"
	  "  WHERE json_valid(reply) AND json_type(reply, '$.share') IS NOT NULL;"
	  "CREATE TABLE thread_shreds(thread_id TEXT PRIMARY KEY, shredded INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX requests_by_time ON requests(created);"
	  "CREATE INDEX sessions_by_expiry ON sessions(expires);" },
	/* A worker's own keys (issue 15): the signed key request of the first login, pending until
	 * an admin certifies the keys it names (advicectl worker-certify). */
	{ 17, "end-to-end encryption: workers' key requests",
	  "CREATE TABLE e2e_key_requests(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  request BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;" },
	/* Device approval commits, then reveals (issue 15): a request holds the new device's
	 * commitment, then an existing device's challenge, then the keys and nonce. Requests live ten
	 * minutes; those of the old form (keys without a commitment) are dropped. */
	{ 18, "device requests: commitment, challenge and reveal",
	  "DROP TABLE e2e_device_requests;"
	  "CREATE TABLE e2e_device_requests(id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	  "  commitment BLOB NOT NULL, created INTEGER NOT NULL, identity_id BLOB, challenge BLOB,"
	  "  box_pk BLOB, sign_pk BLOB, nonce BLOB, answered INTEGER NOT NULL DEFAULT 0, answer BLOB)"
	  "  WITHOUT ROWID;"
	  "CREATE INDEX e2e_device_requests_by_user ON e2e_device_requests(user_id, created);"
	  "CREATE INDEX e2e_device_requests_by_time ON e2e_device_requests(created);" },
	/* Attachments may be uploaded to a thread the citizen prepared and has not opened yet
	 * (PROTOCOL.md §12.4), which has no row in threads: the files lose that reference. Files
	 * whose thread is neither opened nor prepared are deleted by the purge (core_files.c). */
	{ 19, "attachments of prepared threads: files without a reference to threads",
	  "CREATE TABLE e2e_files_v19(id TEXT PRIMARY KEY, thread_id TEXT NOT NULL,"
	  "  owner_id TEXT NOT NULL REFERENCES users(id), size INTEGER NOT NULL, chunks INTEGER NOT NULL,"
	  "  received INTEGER NOT NULL DEFAULT 0, complete INTEGER NOT NULL DEFAULT 0,"
	  "  created INTEGER NOT NULL) WITHOUT ROWID;"
	  "INSERT INTO e2e_files_v19 SELECT id, thread_id, owner_id, size, chunks, received, complete,"
	  "  created FROM e2e_files;"
	  "DROP TABLE e2e_files;"
	  "ALTER TABLE e2e_files_v19 RENAME TO e2e_files;"
	  "CREATE INDEX e2e_files_by_thread ON e2e_files(thread_id);"
	  "CREATE INDEX e2e_files_by_owner ON e2e_files(owner_id)" },
	/* Internal notes and canned answers (issue 17): unit texts sealed to a unit key generation,
	 * kept as bytes. Notes in the order they were added (seq); a shredded thread's are deleted. */
	{ 20, "internal notes on threads and canned answers of units",
	  "CREATE TABLE unit_notes(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	  "  thread_id TEXT NOT NULL REFERENCES threads(id), unit_id TEXT NOT NULL REFERENCES units(id),"
	  "  generation INTEGER NOT NULL, author_id TEXT NOT NULL REFERENCES users(id),"
	  "  created INTEGER NOT NULL, copy_of TEXT, box BLOB NOT NULL);"
	  "CREATE INDEX unit_notes_by_thread ON unit_notes(thread_id, seq);"
	  "CREATE TABLE canned_answers(id TEXT PRIMARY KEY, unit_id TEXT NOT NULL REFERENCES units(id),"
	  "  generation INTEGER NOT NULL, author_id TEXT NOT NULL REFERENCES users(id),"
	  "  updated INTEGER NOT NULL, box BLOB NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX canned_answers_by_unit ON canned_answers(unit_id, updated);" },
	/* A unit's own closed days (PROTOCOL.md §11.9), beside the service's closed_days. */
	{ 21, "staff tools: a unit's own closed days; access-log queries by unit, user and client",
	  "CREATE TABLE unit_closed_days(unit_id TEXT NOT NULL REFERENCES units(id), day INTEGER NOT NULL,"
	  "  note TEXT, PRIMARY KEY(unit_id, day)) WITHOUT ROWID;"
	  "CREATE INDEX access_log_by_unit ON access_log(unit_id, row);"
	  "CREATE INDEX access_log_by_client ON access_log(client, row);"
	  "CREATE INDEX access_log_by_user ON access_log(user_id, row);"
	  "CREATE INDEX reassignments_by_row ON reassignments(audit_row)" },
	/* The citizen's identity (issue 17): between the bank login and thread.open the name and
	 * identity code live only sealed in the session row (under a key derived from the pepper),
	 * and go with it: when the session ends (revoked: logout, expiry, an ended account) and when
	 * it is purged. A thread keeps identity boxes (CRYPTO-FORMATS.md, type 15) sealed to its
	 * units' key generations; they go when the thread is shredded. */
	{ 22, "the citizen's identity: sealed in the session, identity boxes per thread and unit generation",
	  "ALTER TABLE sessions ADD COLUMN identity BLOB;"
	  "CREATE TRIGGER sessions_identity_ends AFTER UPDATE OF revoked ON sessions"
	  "  WHEN NEW.revoked != 0 AND NEW.identity IS NOT NULL"
	  "  BEGIN UPDATE sessions SET identity = NULL WHERE hash = NEW.hash; END;"
	  "CREATE TABLE thread_identity(thread_id TEXT NOT NULL, unit_id TEXT NOT NULL,"
	  "  generation INTEGER NOT NULL, box BLOB NOT NULL, created INTEGER NOT NULL,"
	  "  PRIMARY KEY(thread_id, unit_id, generation)) WITHOUT ROWID;"
	  "CREATE TRIGGER thread_identity_shredded AFTER INSERT ON thread_shreds"
	  "  BEGIN DELETE FROM thread_identity WHERE thread_id = NEW.thread_id; END;" },
	/* The disclosure log (issue 18, 906/2019 17 §): beside the access log, append-only and
	 * hash-chained with its own chain (disclosure.h). The citizen's log report and breach
	 * scoping read both logs by client, user or unit and time. */
	{ 23, "disclosure log; access-log queries by client and time",
	  "CREATE TABLE disclosure_log(row INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	  "  user_id TEXT NOT NULL, role INTEGER NOT NULL, unit_id TEXT NOT NULL, client TEXT NOT NULL,"
	  "  object TEXT NOT NULL, recipient TEXT NOT NULL, basis TEXT NOT NULL, dataset TEXT NOT NULL,"
	  "  method TEXT NOT NULL, outcome TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL);"
	  "CREATE TRIGGER disclosure_log_append_only_u BEFORE UPDATE ON disclosure_log"
	  "  BEGIN SELECT RAISE(ABORT, 'disclosure log is append-only'); END;"
	  "CREATE TRIGGER disclosure_log_append_only_d BEFORE DELETE ON disclosure_log"
	  "  BEGIN SELECT RAISE(ABORT, 'disclosure log is append-only'); END;"
	  "CREATE INDEX disclosure_log_by_client ON disclosure_log(client, time);"
	  "CREATE INDEX disclosure_log_by_user ON disclosure_log(user_id, time);"
	  "CREATE INDEX disclosure_log_by_time ON disclosure_log(time);"
	  "CREATE INDEX access_log_by_client_time ON access_log(client, time);"
	  "CREATE INDEX access_log_by_time ON access_log(time)" },
	/* Consent and the records connector (issue 18): connector accounts (users of kind 5) and
	 * the units whose seeds are sealed to them; consents of threads to a connector (one live
	 * per thread, the citizen's signed event kept); hand-overs, one per thread and epoch; the
	 * register keeper's export orders. */
	{ 24, "consent and the records connector: connectors, consents, hand-overs, export orders",
	  "CREATE TABLE connectors(id TEXT PRIMARY KEY REFERENCES users(id), name TEXT NOT NULL UNIQUE,"
	  "  kid BLOB NOT NULL UNIQUE, sign_kid BLOB NOT NULL, created INTEGER NOT NULL,"
	  "  ended INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	  "CREATE TABLE connector_units(connector_id TEXT NOT NULL REFERENCES connectors(id),"
	  "  unit_id TEXT NOT NULL REFERENCES units(id), created INTEGER NOT NULL,"
	  "  PRIMARY KEY(connector_id, unit_id)) WITHOUT ROWID;"
	  "CREATE INDEX connector_units_by_unit ON connector_units(unit_id);"
	  "CREATE TABLE consents(seq INTEGER PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads(id),"
	  "  connector_id TEXT NOT NULL REFERENCES connectors(id), kid BLOB NOT NULL, given INTEGER NOT NULL,"
	  "  withdrawn INTEGER NOT NULL DEFAULT 0, epoch INTEGER NOT NULL, event BLOB NOT NULL,"
	  "  withdraw_event BLOB);"
	  "CREATE UNIQUE INDEX consents_live ON consents(thread_id) WHERE withdrawn = 0;"
	  "CREATE INDEX consents_by_thread ON consents(thread_id, seq);"
	  "CREATE INDEX consents_by_connector ON consents(connector_id, withdrawn, seq);"
	  "CREATE TABLE handovers(thread_id TEXT NOT NULL REFERENCES threads(id), epoch INTEGER NOT NULL,"
	  "  connector_id TEXT NOT NULL REFERENCES connectors(id), at INTEGER NOT NULL, digest TEXT NOT NULL,"
	  "  PRIMARY KEY(thread_id, epoch)) WITHOUT ROWID;"
	  "CREATE TABLE export_orders(id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL REFERENCES users(id),"
	  "  recipient TEXT NOT NULL, basis TEXT NOT NULL, created INTEGER NOT NULL,"
	  "  done INTEGER NOT NULL DEFAULT 0, connector_id TEXT, digest TEXT, files INTEGER) WITHOUT ROWID;"
	  "CREATE INDEX export_orders_open ON export_orders(done, citizen_id);" },
	/* Register duties, the citizen's rights (issue 18): rights requests with their deadlines and
	 * decisions, corrections (the corrected message stays as it was: a later message of the
	 * thread names it), a thread's restriction as last set or lifted, and the reason of each
	 * read of a restricted thread for a legal claim, beside its access-log row. */
	{ 25, "rights requests, corrections, restriction of threads, reasons of legal-claim reads",
	  "CREATE TABLE rights_requests(id TEXT PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads(id),"
	  "  citizen_id TEXT NOT NULL REFERENCES users(id), unit_id TEXT NOT NULL, kind INTEGER NOT NULL,"
	  "  state INTEGER NOT NULL, extended INTEGER NOT NULL DEFAULT 0, made INTEGER NOT NULL,"
	  "  due INTEGER NOT NULL, decided INTEGER, decided_by TEXT, message_id TEXT NOT NULL,"
	  "  decision_message_id TEXT) WITHOUT ROWID;"
	  "CREATE INDEX rights_requests_by_thread ON rights_requests(thread_id, kind, state);"
	  "CREATE INDEX rights_requests_by_citizen ON rights_requests(citizen_id, due);"
	  "CREATE INDEX rights_requests_by_due ON rights_requests(due, id);"
	  "CREATE TABLE corrections(thread_id TEXT NOT NULL REFERENCES threads(id), seq INTEGER NOT NULL,"
	  "  corrected_id TEXT NOT NULL, message_id TEXT, corrector_id TEXT NOT NULL, role INTEGER NOT NULL,"
	  "  time INTEGER NOT NULL, PRIMARY KEY(thread_id, seq)) WITHOUT ROWID;"
	  "CREATE TABLE thread_restrictions(thread_id TEXT PRIMARY KEY REFERENCES threads(id),"
	  "  restricted INTEGER NOT NULL, set_by TEXT NOT NULL, time INTEGER NOT NULL, reason TEXT NOT NULL)"
	  "  WITHOUT ROWID;"
	  "CREATE TABLE legal_claim_reads(audit_row INTEGER PRIMARY KEY, reason TEXT NOT NULL);" },
	/* Retention and erasure (issue 18, S-LIFE): when a thread was closed (kept by a trigger,
	 * so that no write path has to), and the shred marks: a thread marked for shredding goes
	 * through its phases (shred.c) and its row stays as the erasure note. */
	{ 26, "retention and erasure: close times, shred marks and erasure notes",
	  "ALTER TABLE threads ADD COLUMN closed INTEGER;"
	  "UPDATE threads SET closed = updated WHERE state = 4;"
	  "CREATE TRIGGER threads_closed AFTER UPDATE OF state ON threads"
	  "  WHEN NEW.state = 4 AND OLD.state != 4"
	  "  BEGIN UPDATE threads SET closed = NEW.updated WHERE id = NEW.id; END;"
	  "CREATE TRIGGER threads_reopened AFTER UPDATE OF state ON threads"
	  "  WHEN NEW.state != 4 AND OLD.state = 4"
	  "  BEGIN UPDATE threads SET closed = NULL WHERE id = NEW.id; END;"
	  "CREATE INDEX threads_closed_by_citizen ON threads(citizen_id, closed);"
	  "CREATE TABLE thread_erasures(thread_id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL,"
	  "  run TEXT NOT NULL, phase INTEGER NOT NULL, erasure INTEGER NOT NULL, by_user TEXT NOT NULL,"
	  "  request TEXT NOT NULL, reason TEXT NOT NULL, due INTEGER NOT NULL, marked INTEGER NOT NULL,"
	  "  done INTEGER NOT NULL DEFAULT 0, messages INTEGER NOT NULL, files INTEGER NOT NULL,"
	  "  file_bytes INTEGER NOT NULL, wraps INTEGER NOT NULL, epochs INTEGER NOT NULL,"
	  "  notes INTEGER NOT NULL, idboxes INTEGER NOT NULL, other_rows INTEGER NOT NULL DEFAULT 0)"
	  "  WITHOUT ROWID;"
	  "CREATE INDEX thread_erasures_pending ON thread_erasures(phase, marked) WHERE phase < 3;"
	  "CREATE INDEX thread_erasures_by_run ON thread_erasures(run, marked);" },
};

const size_t store_sqlite_nmigrations = sizeof store_sqlite_migrations / sizeof store_sqlite_migrations[0];
