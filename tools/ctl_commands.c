/*
 * ctl_commands.c - advicectl's command table and the help printed from it. The server side
 * of each CTL_SERVER* command is in server/core/core_admin.c's table.
 */
#include "ctl_commands.h"

#include <ctype.h>
#include <string.h>

#define SETUP "setup"
#define UNITS "units and queues"
#define STAFF "staff accounts"
#define DUTY  "duty queues"
#define KEYS  "keys"
#define AUDIT "audit"
#define REGDT "register duties"
#define BACKP "backup and restore"
#define AS_WK "as a worker"
#define DEVEL "development"
#define WHEN_D                                                                                               \
	"WHEN is YYYY-MM-DD (the last day: the end is the following midnight, Helsinki time),\n"             \
	"now, +SECONDS, or none (no end)."

const char *const ctl_groups[] = { SETUP, UNITS, STAFF, DUTY, KEYS, AUDIT, REGDT, BACKP, AS_WK, DEVEL };
const size_t ctl_ngroups = sizeof ctl_groups / sizeof ctl_groups[0];

const struct ctl_command ctl_commands[] = {
	{ "help", SETUP, "[COMMAND]", "list the commands, or explain one",
	  "Without COMMAND, lists every command with a one-line summary, group by group.\n"
	  "With it, prints the command's arguments, where it runs, what it does and an\n"
	  "example. `advicectl COMMAND --help` does the same.",
	  "advicectl help roster-add", CTL_HELP },
	{ "init", SETUP,
	  "DIR [--demo] [--test-mode] [--pepper-file FILE | --credentials CREDDIR] [--port N] "
	  "[--listen ADDR] [--web-root PATH] [--bank-port N] [--no-totp]",
	  "make a new data folder: configuration, keys, database",
	  "Creates DIR (it must not exist or be empty) with adviced.conf, the two bank-ID\n"
	  "keys in DIR/secrets (mode 600), the database and its shred store.\n"
	  "--credentials CREDDIR (for the systemd unit) puts the pepper and the bank-ID keys\n"
	  "in CREDDIR instead, as the credentials pepper, oidc-sig.pem and oidc-enc.pem the\n"
	  "unit loads, and names no secret file in adviced.conf. Otherwise the pepper goes to\n"
	  "--pepper-file FILE (a new file, mode 600, outside DIR: adviced refuses a pepper in\n"
	  "its data folder outside test mode), named in adviced.conf; without it, to\n"
	  "DIR/secrets/pepper (with a warning outside test mode: move it before adviced\n"
	  "starts). --port (default 8080), --listen\n"
	  "(default 127.0.0.1) and --web-root (default client-web) go to adviced.conf.\n"
	  "--test-mode sets up the development test bank on --bank-port (default port + 1);\n"
	  "--demo (test mode only) adds the demo units, accounts and roster; --no-totp (test\n"
	  "mode only) leaves the demo accounts without a second factor.",
	  "advicectl init data --test-mode --demo --port 8080", CTL_INIT },
	{ "unit-add", UNITS, "NAME", "add a unit",
	  "Adds a unit (a team of workers that answers threads) called NAME. With --json\n"
	  "it prints {\"unit\": {\"id\", \"name\"}}.",
	  "advicectl -d data unit-add \"Adult social work\"", CTL_SERVER },
	{ "queue-add", UNITS, "UNIT CATEGORY NAME", "add the unit's queue for a category",
	  "Adds to UNIT (its name) the queue that takes citizens' threads of CATEGORY (a short\n"
	  "code the client shows, e.g. adult-social-work); NAME is the queue's display name.",
	  "advicectl -d data queue-add \"Adult social work\" adult-social-work \"Adult social work\"",
	  CTL_SERVER },
	{ "unit-list", UNITS, "", "list the units with their languages, hours and queues",
	  "Lists every unit: the languages it serves, its service hours on working days\n"
	  "(Helsinki time), how many members it has and its queues. --json gives\n"
	  "{\"units\": [{\"id\", \"name\", \"langs\", \"open\", \"close\", \"members\", \"queues\"}]}.",
	  "advicectl -d data unit-list", CTL_SERVER },
	{ "queue-list", UNITS, "", "list the queues and their settings",
	  "Lists every queue: its category, name and unit, how its threads are assigned\n"
	  "(policy and cap), its answer deadlines and warning, its fallback and its language\n"
	  "routes. --json gives {\"queues\": [{\"category\", \"name\", \"unit\", \"policy\",\n"
	  "\"cap\", \"fallback\", \"first_days\", \"follow_days\", \"warn_pct\", \"routes\"}]}.",
	  "advicectl -d data queue-list", CTL_SERVER },
	{ "worker-add", STAFF, "USERNAME [--unit UNIT [--supervisor]] [--password-stdin]",
	  "add a worker account; prints its one-time setup code",
	  "Adds the account USERNAME, a member of UNIT when given (its supervisor with\n"
	  "--supervisor). It prints a one-time setup code for the worker: the first login\n"
	  "with it chooses the password and enrols the second factor. --password-stdin sets\n"
	  "a password read from standard input instead (only its derived key is sent).\n"
	  "--json gives {\"worker\": {\"username\", \"id\", \"setup_code\", \"setup_expires\",\n"
	  "\"unit\", \"role\"}} (setup_code null with --password-stdin).",
	  "advicectl -d data worker-add anna --unit \"Adult social work\"", CTL_SERVER_PASSWORD },
	{ "worker-list", STAFF, "", "list the accounts: state, end date, units and roles",
	  "Lists every account with its state (setup pending, active, locked or ended),\n"
	  "its end date, and its units and roles with their end dates (Helsinki time).\n"
	  "--json gives {\"workers\": [{\"username\", \"state\", \"ends\", \"setup_expires\",\n"
	  "\"keys\", \"units\": [{\"unit\", \"role\", \"ends\"}]}]}; times are ISO 8601 or null.",
	  "advicectl -d data worker-list", CTL_SERVER },
	{ "member-list", STAFF, "UNIT", "list a unit's members",
	  "Lists UNIT's members: role, open threads and the end dates of the role and of\n"
	  "the account.",
	  "advicectl -d data member-list \"Adult social work\"", CTL_SERVER },
	{ "member-add", STAFF, "USERNAME UNIT [--supervisor]",
	  "make a worker a member (or supervisor) of a unit",
	  "Adds USERNAME to UNIT as a worker, or as its supervisor with --supervisor; for a\n"
	  "member already, changes the role.",
	  "advicectl -d data member-add ben \"Adult social work\"", CTL_SERVER },
	{ "worker-end", STAFF, "USERNAME WHEN", "end an account (logins refused, sessions closed)",
	  "Sets the day the account ends: from then on its logins are refused and its open\n"
	  "sessions close. " WHEN_D,
	  "advicectl -d data worker-end anna 2026-06-30", CTL_SERVER },
	{ "role-end", STAFF, "USERNAME UNIT WHEN", "end a worker's membership in a unit",
	  "Sets the day USERNAME's membership in UNIT ends; the account itself goes on.\n" WHEN_D,
	  "advicectl -d data role-end anna \"Adult social work\" 2026-06-30", CTL_SERVER },
	{ "worker-reset", STAFF, "USERNAME", "a forgotten password: a new one-time setup code",
	  "Clears the account's password and second factor, closes its sessions and prints a\n"
	  "new one-time setup code: the next login chooses a password and enrols again.",
	  "advicectl -d data worker-reset anna", CTL_SERVER },
	{ "totp-reset", STAFF, "USERNAME", "a lost authenticator: the next login enrols again",
	  "Clears the account's second factor; the password stays. The next login enrols a\n"
	  "new authenticator.",
	  "advicectl -d data totp-reset anna", CTL_SERVER },
	{ "worker-name", STAFF, "USERNAME NAME [TITLE]", "the name and title others see of a worker",
	  "Sets the display name (e.g. the full name) and title of USERNAME. Colleagues see\n"
	  "both; citizens see the title and the full name or only its first word, as the\n"
	  "unit's unit-name-style says. An empty NAME removes them (only the title is never\n"
	  "shown alone). At most 128 bytes each.",
	  "advicectl -d data worker-name anna \"Anna Virtanen\" \"Social worker\"", CTL_SERVER },
	{ "unlock", STAFF, "USERNAME", "clear an account's failed logins and lock",
	  "Clears the failed-login count, the backoff and the lock of the account.",
	  "advicectl -d data unlock anna", CTL_SERVER },
	{ "unit-name-style", UNITS, "UNIT full|first", "how a unit's citizens see who answers them",
	  "full: citizens of UNIT see the full display name and title of the worker their\n"
	  "thread is assigned to; first (the default): the first name and title only.",
	  "advicectl -d data unit-name-style \"Adult social work\" full", CTL_SERVER },
	{ "unit-langs", DUTY, "UNIT LANGS", "the languages a unit serves",
	  "Sets the languages UNIT answers in: a comma-separated list of fi, sv and en.",
	  "advicectl -d data unit-langs \"Adult social work\" fi,sv", CTL_SERVER },
	{ "unit-hours", DUTY, "UNIT HH:MM HH:MM", "a unit's service hours on working days",
	  "Sets UNIT's service hours on working days (Helsinki time); a thread opened outside\n"
	  "them gets the out-of-hours notice.",
	  "advicectl -d data unit-hours \"Adult social work\" 08:00 16:00", CTL_SERVER },
	{ "queue-policy", DUTY, "CATEGORY manual|round-robin|least-loaded [CAP]",
	  "how a queue's threads are assigned",
	  "manual: workers on duty claim threads by hand; round-robin: each new thread goes\n"
	  "to the next worker on duty; least-loaded: to the one with the fewest open threads,\n"
	  "at most CAP (0..1000, default 0: no limit) each.",
	  "advicectl -d data queue-policy adult-social-work least-loaded 5", CTL_SERVER },
	{ "queue-fallback", DUTY, "CATEGORY FALLBACK|-", "the queue used when nobody is on duty",
	  "Threads of CATEGORY go to the queue of category FALLBACK while nobody is on duty\n"
	  "in CATEGORY's unit; - removes the fallback.",
	  "advicectl -d data queue-fallback disability-services adult-social-work", CTL_SERVER },
	{ "queue-deadlines", DUTY, "CATEGORY FIRST FOLLOW WARN%",
	  "a queue's answer deadlines in working days",
	  "FIRST (1..60) working days to the first answer, FOLLOW (1..60) to each later one;\n"
	  "supervisors are warned at WARN (1..99) percent of the time.",
	  "advicectl -d data queue-deadlines adult-social-work 3 3 75", CTL_SERVER },
	{ "route-add", DUTY, "CATEGORY LANG TARGET", "send a category's threads in a language elsewhere",
	  "Threads of CATEGORY in LANG (fi, sv or en) go to the queue of category TARGET.",
	  "advicectl -d data route-add adult-social-work sv children-and-families", CTL_SERVER },
	{ "route-del", DUTY, "CATEGORY LANG", "remove a language route",
	  "Removes the route of CATEGORY's threads in LANG (route-add).",
	  "advicectl -d data route-del adult-social-work sv", CTL_SERVER },
	{ "closed-add", DUTY, "YYYY-MM-DD NAME", "add a closed day",
	  "Adds a day the service is closed, besides the public holidays (holidays lists\n"
	  "both); shifts added with --holidays still run on it.",
	  "advicectl -d data closed-add 2027-12-31 \"New Year's Eve\"", CTL_SERVER },
	{ "closed-del", DUTY, "YYYY-MM-DD", "remove a closed day",
	  "Removes a closed day added with closed-add.", "advicectl -d data closed-del 2027-12-31",
	  CTL_SERVER },
	{ "holidays", DUTY, "YEAR", "the public holidays and closed days of a year",
	  "Lists the Finnish public holidays of YEAR and the closed days added to it.",
	  "advicectl -d data holidays 2027", CTL_SERVER },
	{ "roster-add", DUTY, "USERNAME UNIT DAYS HH:MM HH:MM [--holidays]",
	  "put a worker on duty; prints the shift with its number",
	  "Puts USERNAME (a member of UNIT) on duty in UNIT on DAYS (mon-fri, sat,sun, all)\n"
	  "from the first time to the second, Helsinki time; --holidays: also on holidays\n"
	  "and closed days. A shift that repeats or overlaps one of the worker's shifts in\n"
	  "UNIT is added with a warning. --json gives {\"shift\": {\"id\", \"username\",\n"
	  "\"unit\", \"days\", \"start\", \"end\", \"on_holidays\"}}.",
	  "advicectl -d data roster-add anna \"Adult social work\" mon-fri 08:00 16:00", CTL_SERVER },
	{ "roster-del", DUTY, "ID", "remove a shift",
	  "Removes the shift ID (roster-add prints it; roster-list shows it).",
	  "advicectl -d data roster-del 4", CTL_SERVER },
	{ "roster-list", DUTY, "[UNIT]", "list the shifts",
	  "Lists the shifts, of UNIT only when given. --json gives {\"shifts\": [...]}, each\n"
	  "as roster-add's.",
	  "advicectl -d data roster-list \"Adult social work\"", CTL_SERVER },
	{ "root-create", KEYS, "FILE", "make the municipal root key into a new key file",
	  "Makes the root key of end-to-end encryption into FILE (mode 600, never\n"
	  "overwritten) and prints its public key for root-install. Keep FILE offline.",
	  "advicectl root-create /media/keys/root.key", CTL_ROOT_CREATE },
	{ "root-install", KEYS, "PUBKEY", "the root public key the server hands out",
	  "Installs the root public key (root-create prints it); clients pin it.",
	  "advicectl -d data root-install PUBKEY", CTL_SERVER_KEYS },
	{ "admin-certify", KEYS, "ROOTFILE ADMINFILE", "a new admin key, certified by the root",
	  "Makes a new admin key into ADMINFILE, certified with the root key in ROOTFILE.",
	  "advicectl -d data admin-certify /media/keys/root.key admin.key", CTL_SERVER_KEYS },
	{ "worker-certify", KEYS, "USERNAME ADMINFILE [FINGERPRINT]",
	  "certify the keys a worker's first login made",
	  "A worker's first login makes the worker's keys on the worker's own machine and\n"
	  "prints their fingerprint; the server keeps them as a pending key request. Without\n"
	  "FINGERPRINT this shows the request's fingerprint (nothing is changed): compare it\n"
	  "with the worker's, in person or by phone. With FINGERPRINT, when it is the same,\n"
	  "the keys are certified with the admin key in ADMINFILE and the current key of each\n"
	  "of the worker's units is sealed to them (a different one certifies nothing).",
	  "advicectl -d data worker-certify maija admin.key\n"
	  "  advicectl -d data worker-certify maija admin.key '3f2a 91c0 5d7e 0b44 e8a1 7c2f 66d0 9a13'",
	  CTL_SERVER_KEYS },
	{ "unit-key-rotate", KEYS, "UNIT ADMINFILE", "the unit's next key generation",
	  "Makes UNIT's next key generation (the first one too), sealed to its members.",
	  "advicectl -d data unit-key-rotate \"Adult social work\" admin.key", CTL_SERVER_KEYS },
	{ "unit-member-add", KEYS, "USERNAME UNIT ADMINFILE [--supervisor]",
	  "a membership with the unit's key sealed to it",
	  "Adds USERNAME to UNIT and seals the unit's current key seed to them.",
	  "advicectl -d data unit-member-add ben \"Adult social work\" admin.key", CTL_SERVER_KEYS },
	{ "unit-member-remove", KEYS, "USERNAME UNIT ADMINFILE", "end a membership and rotate the unit key",
	  "Ends USERNAME's membership in UNIT and rotates the unit key, so they cannot read\n"
	  "what is written after.",
	  "advicectl -d data unit-member-remove ben \"Adult social work\" admin.key", CTL_SERVER_KEYS },
	{ "thread-shred", KEYS, "THREAD", "crypto-shred a thread: delete its key share",
	  "Deletes the shred share of THREAD (its id) from the shred store, so that its\n"
	  "messages open from no copy of the database any more, backups included; the thread\n"
	  "is recorded as shredded and never gets a share again. Warns when the thread is\n"
	  "not closed. Keep the shred store's own backups only as long as a shredded thread\n"
	  "may stay readable (the README's \"Running it for real\").",
	  "advicectl -d data thread-shred 0123456789abcdef0123456789abcdef", CTL_SERVER },
	{ "unit-log-renew", KEYS, "UNIT ADMINFILE [DAYS]", "renew the unit log's validity (on a schedule)",
	  "Signs a renewal entry in UNIT's key log: clients refuse a log whose newest entry\n"
	  "is past its validity (a server could be withholding newer entries), so run this\n"
	  "on a schedule, more often than DAYS (default 7, at most 90).",
	  "advicectl -d data unit-log-renew \"Adult social work\" admin.key 7", CTL_SERVER_KEYS },
	{ "cert-revoke", KEYS, "USERNAME ADMINFILE", "revoke a worker's certificates",
	  "Revokes USERNAME's worker certificates from now on, with an entry in the key log\n"
	  "of each of their units: clients refuse what those keys sign after it. Remove the\n"
	  "worker from their units too (unit-member-remove), which rotates the unit keys.",
	  "advicectl -d data cert-revoke ben admin.key", CTL_SERVER_KEYS },
	{ "connector-add", KEYS, "NAME --box-pk B --sign-pk S ROOTFILE",
	  "a records connector's account, certified by the root key",
	  "Makes the account of the records connector NAME (advice-connector, inside the\n"
	  "municipality's network) with the public keys its keygen printed, and its\n"
	  "certificate (role connector) signed with the root key in ROOTFILE. Citizens' apps\n"
	  "seal a consented thread's keys to it; it logs in with that key.",
	  "advicectl -d data connector-add records --box-pk BOX --sign-pk SIGN /media/keys/root.key",
	  CTL_SERVER_KEYS },
	{ "connector-unit-add", KEYS, "NAME UNIT ADMINFILE", "seal a unit's key to the connector",
	  "Seals UNIT's current key seed to the connector NAME (unit-key-rotate seals every\n"
	  "later one to it too), with an entry in the unit's key log: what export orders of\n"
	  "the unit's threads need.",
	  "advicectl -d data connector-unit-add records \"Adult social work\" admin.key", CTL_SERVER_KEYS },
	{ "connector-list", KEYS, "", "list the records connectors",
	  "Lists the connectors: name, key id, the units whose keys they hold, and when an\n"
	  "ended one ended. --json gives {\"connectors\": [{\"id\", \"name\", \"kid\", \"units\",\n"
	  "\"ended\"}]}.",
	  "advicectl -d data connector-list", CTL_SERVER },
	{ "connector-end", KEYS, "NAME", "end a records connector",
	  "Ends the connector NAME: its sessions end at once, it logs in no more and no\n"
	  "consent can name it. Remove it from its units' keys with unit-key-rotate.",
	  "advicectl -d data connector-end records", CTL_SERVER },
	{ "export-order", AUDIT, "CITIZEN --recipient TEXT --basis TEXT",
	  "order an export of a citizen's threads (GDPR 15, 20)",
	  "Orders the export of every thread of CITIZEN (a pseudonym, 32 hex digits) for\n"
	  "RECIPIENT on BASIS; the records connector produces it (advice-connector export)\n"
	  "and each export is written to the disclosure log. Prints the order's id; --json\n"
	  "gives {\"order\"}.",
	  "advicectl -d data export-order 0123456789abcdef0123456789abcdef --recipient \"the citizen\" "
	  "--basis \"GDPR 15\"",
	  CTL_SERVER },
	{ "backup", BACKP, "BACKUP", "back up the data folder while adviced serves",
	  "Makes a consistent backup of DIR's running adviced in the folder BACKUP (made,\n"
	  "mode 700, or an existing empty one): the database and the shred store (SQLite's\n"
	  "online backup: clients are served meanwhile), the attachments' blobs, adviced.conf\n"
	  "and the register file, and BACKUP/manifest.json with each file's size and\n"
	  "BLAKE2b-256. Not in it: the pepper, the bank-ID keys, the TLS key and the\n"
	  "notifier's secrets; keep them apart. Run as root, BACKUP is given to adviced's\n"
	  "user, which writes it. --json gives {\"backup\": {\"folder\", \"made\", \"files\",\n"
	  "\"database_bytes\", \"shred_bytes\", \"blobs\", \"blob_bytes\", ...}}.",
	  "advicectl -d data backup /var/backups/adviced/2026-12-07", CTL_SERVER_BACKUP },
	{ "restore", BACKP, "BACKUP DATADIR", "restore a backup into a new data folder",
	  "With adviced stopped: checks BACKUP against its manifest (every file's size and\n"
	  "hash, nothing unlisted), copies it into DATADIR (made, or an existing empty\n"
	  "folder; run as root, the files get DATADIR's owner), then runs SQLite's integrity\n"
	  "check, checks every attachment has its blob, and verifies the access log's and the\n"
	  "disclosure log's hash chains. The configuration becomes DATADIR/adviced.conf\n"
	  "(check its data_dir); put the pepper and the keys back before adviced starts.",
	  "advicectl restore /var/backups/adviced/2026-12-07 data", CTL_RESTORE },
	{ "audit-verify", AUDIT, "", "check the access and disclosure logs' hash chains",
	  "Walks the hash chains of the access log and of the disclosure log. Exit 0: both\n"
	  "intact; exit 3: one is broken, and the first broken row is named. --json gives\n"
	  "{\"audit\": {\"intact\", \"rows\" or \"broken_row\"}, \"disclosure\": {the same}}.",
	  "advicectl -d data audit-verify", CTL_SERVER },
	{ "retention-run", REGDT, "[--dry-run] [--at WHEN]", "shred the threads whose retention has ended",
	  "Applies the register file's retention rules (PROTOCOL.md 14.10) as at WHEN\n"
	  "(YYYY-MM-DD: the end of that day, Helsinki time; now; +SECONDS; default now):\n"
	  "lists the closed threads due and those kept because their channel copy is past\n"
	  "its time but they were not handed over to the client record; without --dry-run\n"
	  "shreds the due ones crash-safely (share, messages, wraps, files and their blobs,\n"
	  "epochs, notes, identity boxes) and prints what each erasure note records. adviced\n"
	  "runs the same every hour. --json gives {\"at\", \"dry_run\", \"due\", \"held\",\n"
	  "\"run\", \"shredded\": [note...], \"unfinished\"}.",
	  "advicectl -d data retention-run --dry-run --at 2040-12-31", CTL_SERVER },
	{ "thread-erase", REGDT, "THREAD --reason TEXT [--request ID]", "erase a thread now (GDPR 17)",
	  "Shreds THREAD now as retention would, its erasure note saying erasure, your OS\n"
	  "user, the reason and the request's id. Refused for a thread handed over to the\n"
	  "client record: it is a client document whose retention runs, exempt from erasure\n"
	  "(GDPR 17(3)(b)). Warns when the thread was not closed.",
	  "advicectl -d data thread-erase 0123456789abcdef0123456789abcdef --reason \"asked by the client\" "
	  "--request 2041",
	  CTL_SERVER },
	{ "privacy-notice", REGDT, "[--lang fi|sv|en]", "print the privacy notice of the register file",
	  "Prints the privacy notice (register description) that the register file makes, in\n"
	  "Finnish (default), Swedish or English, as the apps show it. --json gives\n"
	  "{\"register\": the document GET /api/v1/register serves}.",
	  "advicectl -d data privacy-notice --lang sv", CTL_SERVER },
	{ "requests", REGDT, "[--open] [--due-within DAYS]",
	  "the citizens' rights requests and their deadlines",
	  "Lists the rights requests (correction, restriction, objection, erasure) by\n"
	  "deadline: kind, state, thread, unit, when made and when due (one month, or three\n"
	  "when extended; GDPR 12(3)), Helsinki time. Open requests due within 7 days are\n"
	  "flagged DUE WITHIN 7 DAYS, those past their deadline OVERDUE. --open lists the\n"
	  "open and extended ones only; --due-within DAYS the open ones due within DAYS days\n"
	  "(overdue included). --json gives {\"requests\": [{\"id\", \"thread\", \"unit\",\n"
	  "\"kind\", \"state\", \"made\", \"due\", \"decided\", \"extended\", \"overdue\",\n"
	  "\"due_soon\", \"message\", \"decision_message\"}]}.",
	  "advicectl -d data requests --due-within 7", CTL_SERVER },
	{ "restrict", REGDT, "THREAD --reason TEXT",
	  "restrict a thread (GDPR 18): frozen, read for legal claims",
	  "Restricts THREAD (its id): nothing more is written to it and its staff read its\n"
	  "content only for a legal claim, each read logged with its reason; its citizen\n"
	  "still reads it. TEXT (1..500 characters) says why; it is kept with who restricted\n"
	  "it and when, and in the command's access-log row.",
	  "advicectl -d data restrict 0123456789abcdef0123456789abcdef --reason \"request of 2 May\"",
	  CTL_SERVER },
	{ "unrestrict", REGDT, "THREAD --reason TEXT", "lift a thread's restriction",
	  "Lifts the restriction of THREAD (its id); TEXT (1..500 characters) says why.",
	  "advicectl -d data unrestrict 0123456789abcdef0123456789abcdef --reason \"claim settled\"",
	  CTL_SERVER },
	{ "disclosure-list", AUDIT, "[--client CLIENT]", "list the disclosure log",
	  "Lists the disclosure log, oldest first (at most 1000 rows): what was given out\n"
	  "of the service, to whom, on what basis, which data and how; with --client, only\n"
	  "those of one client pseudonym. --json gives {\"disclosures\": [{\"row\", \"time\",\n"
	  "\"user\", \"role\", \"unit\", \"client\", \"object\", \"recipient\", \"basis\",\n"
	  "\"dataset\", \"method\", \"outcome\"}]}.",
	  "advicectl -d data disclosure-list --client 0123456789abcdef0123456789abcdef", CTL_SERVER },
	{ "log-report", AUDIT, "CLIENT [--from DATE] [--to DATE] [--special-reason TEXT]",
	  "a client's log report: who processed their data, to whom it was disclosed",
	  "The client's log report (703/2023 11 §) from the access and disclosure logs:\n"
	  "who processed the data of CLIENT (a pseudonym: citizen-find gives it), with\n"
	  "unit, role and staff name, and to whom it was disclosed, on what basis. The\n"
	  "default period is the last two years; older data only with --special-reason,\n"
	  "which is written in the access log with the request. DATE is YYYY-MM-DD or\n"
	  "YYYY-MM-DDTHH:MM, Helsinki time. --json gives {\"report\": {\"client\", \"from\",\n"
	  "\"to\", \"accesses\", \"disclosures\", \"more\", \"special_reason\"}}.",
	  "advicectl -d data log-report 0123456789abcdef0123456789abcdef --from 2020-01-01 \\\n"
	  "    --special-reason \"court order 123/2026\"",
	  CTL_SERVER },
	{ "citizen-find", AUDIT, "", "the client pseudonym of an identity code read from stdin",
	  "Reads a personal identity code from standard input and prints the pseudonym the\n"
	  "logs know its client by. The code is sent apart from the arguments, so that it is\n"
	  "never written to the access log or any other log; the lookup itself is logged\n"
	  "with the pseudonym found. --json gives {\"client\"}.",
	  "echo 010190-900P | advicectl -d data citizen-find", CTL_SERVER_STDIN },
	{ "breach-scope", AUDIT, "[--user NAME] [--unit NAME] --from DATE --to DATE",
	  "the clients whose data an account, unit or time window touched",
	  "For a personal data breach (GDPR 33, 34): lists the client pseudonyms whose data\n"
	  "the access and disclosure logs show touched from --from to --to, by the account\n"
	  "NAME (a username, a user id or os:NAME) and/or in the unit NAME, with counts and\n"
	  "the kinds of objects (thread, file, identity, keys, note, log, admin, export).\n"
	  "DATE is YYYY-MM-DD or YYYY-MM-DDTHH:MM, Helsinki time. --json gives {\"clients\":\n"
	  "[{\"client\", \"accesses\", \"denied\", \"disclosures\", \"objects\"}], \"window\"}.",
	  "advicectl -d data breach-scope --user ben --from 2026-06-01 --to 2026-06-30", CTL_SERVER },
	{ "login", AS_WK, "URL USERNAME [--setup-code CODE] [--totp CODE] [--ca-file FILE]",
	  "log in as a worker; with --setup-code, the first login",
	  "Logs USERNAME in to the server at URL as the staff app would, prints the welcome\n"
	  "and logs out. The password comes from standard input; the second factor's code\n"
	  "from --totp or, when the server asks for it, from the next line of input.\n"
	  "--setup-code (from worker-add or worker-reset) makes the first login: choose a\n"
	  "password (asked twice on a terminal), add the printed otpauth:// URI or secret to\n"
	  "an authenticator app, give its current code. An account without a second factor\n"
	  "(after totp-reset) enrols one the same way. Refusals give the server's reason.\n"
	  "An https:// URL's certificate must chain to the system's CAs, or to those in the\n"
	  "PEM file --ca-file names, and name the URL's host.\n"
	  "The first login also makes the worker's end-to-end keys here, seals them under the\n"
	  "new password, sends them for an administrator to certify (worker-certify) and\n"
	  "prints their fingerprint to compare.",
	  "advicectl login http://localhost:8080 maija --setup-code ABCD-EFGH-JKLM-NPQR\n"
	  "  printf 'anna-demo\\n' | advicectl login http://localhost:8080 anna --totp 123456",
	  CTL_LOGIN },
	{ "request", AS_WK, "URL USERNAME|--citizen TYPE [JSON] [--totp CODE] [--ca-file FILE]",
	  "one protocol request as a worker (or a citizen); prints the reply",
	  "Logs USERNAME in as login does (password, then the code unless --totp, on\n"
	  "standard input; --ca-file as for login), sends one request of TYPE\n"
	  "(proto/PROTOCOL.md) with the fields of the JSON object (default {}), prints the\n"
	  "reply as indented JSON and logs out.\n"
	  "--citizen instead of USERNAME logs in a citizen with the identity token on\n"
	  "standard input (in test mode `advicectl -d DIR dev-token HETU` makes one).\n"
	  "Exit 0 for an ok reply; an error reply's code and reason go to standard error,\n"
	  "exit 1. A JSON argument that is not an object is refused before anything is sent.",
	  "printf 'sara-demo\\n%s\\n' \"$(advicectl -d data demo-totp sara)\" |\n"
	  "    advicectl request http://localhost:8080 sara dashboard.get\n"
	  "  echo sara-demo | advicectl request http://localhost:8080 sara thread.reassign \\\n"
	  "    '{\"thread\": \"THREAD_ID\", \"to_user\": \"USER_ID\", \"reason\": \"sick leave\"}' "
	  "--totp 123456",
	  CTL_REQUEST },
	{ "demo-totp", DEVEL, "USERNAME", "test mode: the account's current second-factor code",
	  "Test mode only: prints the current code of the account's second factor.",
	  "advicectl -d data demo-totp anna", CTL_SERVER },
	{ "dev-token", DEVEL, "HETU [--acr URI] [--valid SECONDS] [--given NAME] [--family NAME]",
	  "test mode: an ID token from the test bank key",
	  "Test mode only: prints an ID token for the identity code HETU signed with the\n"
	  "development test bank's key (DIR/testbank), valid SECONDS (default 600), with the\n"
	  "person's given and family names when given (as the test bank issues them). adviced\n"
	  "need not run.",
	  "advicectl -d data dev-token 010594Y9032", CTL_DEV_TOKEN },
};
const size_t ctl_ncommands = sizeof ctl_commands / sizeof ctl_commands[0];

const struct ctl_command *ctl_command_find(const char *name)
{
	for (size_t i = 0; i < ctl_ncommands; i++)
		if (strcmp(name, ctl_commands[i].name) == 0)
			return &ctl_commands[i];
	return NULL;
}

int ctl_command_needs_dir(const struct ctl_command *c)
{
	return c->run == CTL_DEV_TOKEN || !ctl_command_offline(c);
}

int ctl_command_offline(const struct ctl_command *c)
{
	return c->run != CTL_SERVER && c->run != CTL_SERVER_PASSWORD && c->run != CTL_SERVER_KEYS &&
	       c->run != CTL_SERVER_STDIN && c->run != CTL_SERVER_BACKUP;
}

void ctl_print_synopsis(FILE *f, const struct ctl_command *c)
{
	fprintf(f, "advicectl %s%s%s%s\n", ctl_command_needs_dir(c) ? "-d DIR " : "", c->name,
		c->args[0] ? " " : "", c->args);
}

/* Where the command runs, for its help. */
static const char *where_it_runs(const struct ctl_command *c)
{
	switch (c->run) {
	case CTL_DEV_TOKEN: return "offline: reads DIR's key files; adviced need not run";
	case CTL_LOGIN:
	case CTL_REQUEST: return "on the server at URL, as the worker's client; no data folder";
	case CTL_SERVER:
	case CTL_SERVER_STDIN:
	case CTL_SERVER_PASSWORD:
	case CTL_SERVER_BACKUP: return "on DIR's running adviced (logged with your OS user)";
	case CTL_SERVER_KEYS:
		return "signs here with your key files; DIR's running adviced writes the records";
	default: return "offline: adviced need not run";
	}
}

void ctl_print_help(FILE *f, const struct ctl_command *c)
{
	fputs("usage: ", f);
	ctl_print_synopsis(f, c);
	fprintf(f, "\n%c%s.\nRuns %s.\n\n%s\n\nExample:\n  %s\n", toupper((unsigned char)c->summary[0]),
		c->summary + 1, where_it_runs(c), c->description, c->example);
}

/* The mark in the list of commands that do not go to DIR's adviced. */
static const char *mark(const struct ctl_command *c)
{
	switch (c->run) {
	case CTL_INIT:
	case CTL_ROOT_CREATE:
	case CTL_DEV_TOKEN:
	case CTL_RESTORE: return " (offline)";
	case CTL_LOGIN:
	case CTL_REQUEST: return " (to a server's URL)";
	default: return "";
	}
}

void ctl_print_help_all(FILE *f)
{
	fputs("advicectl: the register keeper's command. The commands go to the running adviced of\n"
	      "the data folder DIR (advicectl -d DIR COMMAND ...) unless marked. With --json\n"
	      "(advicectl -d DIR --json COMMAND ...) they print their result as JSON for scripts.\n"
	      "Warnings (a likely mistake that did not stop the command) go to standard error.\n",
	      f);
	for (size_t g = 0; g < ctl_ngroups; g++) {
		fprintf(f, "\n%c%s:\n", toupper((unsigned char)ctl_groups[g][0]), ctl_groups[g] + 1);
		for (size_t i = 0; i < ctl_ncommands; i++) {
			const struct ctl_command *c = &ctl_commands[i];

			if (strcmp(c->group, ctl_groups[g]) == 0)
				fprintf(f, "  %-19s %s%s\n", c->name, c->summary, mark(c));
		}
	}
	fputs("\n`advicectl help COMMAND` (or `advicectl COMMAND --help`) gives its arguments and an\n"
	      "example; `advicectl --version` the version.\n",
	      f);
}

void ctl_print_usage(FILE *f)
{
	fputs("usage: advicectl -d DIR [--json] COMMAND [ARGUMENTS...]   (on DIR's running adviced)\n"
	      "       advicectl init DIR [OPTIONS...]           (a new data folder, offline)\n"
	      "       advicectl login URL USERNAME [--setup-code CODE] [--totp CODE] [--ca-file FILE]\n"
	      "       advicectl request URL USERNAME TYPE [JSON] [--totp CODE] [--ca-file FILE]\n"
	      "       advicectl root-create FILE\n"
	      "       advicectl help [COMMAND] | --version\n"
	      "Commands:",
	      f);
	for (size_t i = 0; i < ctl_ncommands; i++)
		fprintf(f, "%s%s", i % 6 == 0 ? "\n  " : " ", ctl_commands[i].name);
	fputs("\n`advicectl help` says what each one does.\n", f);
}
