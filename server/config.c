/*
 * config.c - adviced's configuration file, parsed by one table (config.h).
 *
 * Format: `name = value` per line; `#` starts a comment; blank lines are ignored. Every
 * setting has a type, bounds and a default; an unknown name, a repeated name, a value out
 * of bounds or a line without `=` is an error naming the file and line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advice_proto.h"
#include "config.h"

#define MAX_LINE 1024
#define MAX_FILE (64 * 1024)

enum setting_type { T_INT, T_BOOL, T_STR, T_PATH, T_ORIGINS, T_LEVEL, T_ADDRESSES };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	size_t size; /* for strings: buffer size */
	long min, max;
	const char *def;
	const char *help;
};

/* clang-format off */
#define INT(n, lo, hi, d, h) { #n, T_INT, offsetof(struct config, n), sizeof(int), lo, hi, #d, h }
#define BOOL(n, d, h) { #n, T_BOOL, offsetof(struct config, n), sizeof(int), 0, 1, d, h }
#define STR(n, d, h) { #n, T_STR, offsetof(struct config, n), sizeof(((struct config *)0)->n), 0, 0, d, h }
#define PATH(n, d, h) { #n, T_PATH, offsetof(struct config, n), sizeof(((struct config *)0)->n), 0, 0, d, h }
#define TEXT_SIZE(f) sizeof(((struct config *)0)->f[0])
#define TEXT(name, f, i, h) { name, T_STR, offsetof(struct config, f) + (i) * TEXT_SIZE(f), TEXT_SIZE(f), 0, 0, "", h }
/* clang-format on */

static const struct setting settings[] = {
	STR(listen, "127.0.0.1", "address to listen on"),
	INT(port, 1, 65535, 8080, "TCP port for HTTP and WebSocket"),
	PATH(web_root, "", "folder of the browser app (client-web) served at /"),
	{ "origins", T_ORIGINS, offsetof(struct config, origins), 0, 0, 0, "",
	  "allowed Origin values, comma-separated, exact (scheme://host[:port])" },
	PATH(tls_cert, "", "TLS certificate chain (PEM); empty: plain HTTP behind a TLS proxy"),
	PATH(tls_key, "",
	     "TLS private key (PEM); default with tls_cert: the systemd credential tls.key if the "
	     "service has it"),
	INT(max_message_bytes, 1024, ADVICE_MAX_MESSAGE_BYTES, 65536, "largest WebSocket message"),
	INT(outq_max_messages, 8, 1000000, 256, "outbound queue per connection, messages"),
	INT(outq_max_bytes, 2 * ADVICE_MAX_REPLY_BYTES, 268435456, 1048576,
	    "outbound queue per connection, bytes"),
	INT(max_inflight, 1, 10000, 64, "requests per connection awaiting replies before reads pause"),
	INT(max_fragments, 1, 1000000, 256,
	    "frames of one WebSocket message (more: the connection closes with 1008)"),
	INT(message_time_s, 1, 3600, 30,
	    "seconds from a WebSocket message's first frame to its last (longer: closes with 1008)"),
	INT(max_connections, 16, 1000000, 60000, "simultaneous connections"),
	INT(ping_interval_s, 1, 3600, 30,
	    "idle seconds before the server pings (each connection at a point of its own between half this "
	    "and this)"),
	INT(idle_timeout_s, 2, 7200, 75, "hang up when nothing arrived for this long"),
	INT(handshake_timeout_s, 1, 120, 10, "time allowed for the HTTP and WebSocket handshake"),
	INT(header_timeout_s, 1, 300, 10,
	    "time from a connection's start (or its last answer) to a request's last header line, "
	    "however fast its bytes arrive"),
	INT(body_timeout_s, 1, 3600, 30,
	    "time from a request's headers to the end of its body, however "
	    "fast its bytes arrive"),
	INT(max_connections_per_address, 1, 1000000, 256,
	    "simultaneous connections (HTTP and WebSocket) from one client address (IPv6: one /64)"),
	{ "trusted_proxies", T_ADDRESSES, offsetof(struct config, trusted_proxies), 0, 0, 0, "",
	  "reverse proxies (IPv4 or IPv6 addresses, comma-separated, at most 16) whose "
	  "X-Forwarded-For names the client address that the per-address limits count; from any "
	  "other peer the header is ignored; empty: none" },
	INT(shutdown_grace_s, 0, 600, 10, "on SIGTERM, time to finish pending work"),
	/* health and metrics (net_metrics.c) */
	STR(metrics_listen, "127.0.0.1",
	    "address of the health and metrics listener (/healthz, /metrics): keep it on loopback"),
	INT(metrics_port, 0, 65535, 0,
	    "TCP port of the health and metrics listener, apart from the public one; 0: off"),
	PATH(data_dir, ".", "data folder"),
	PATH(database, "", "SQLite file; default <data_dir>/advice.db"),
	PATH(shred_database, "",
	     "SQLite file of the threads' shred shares, kept and backed up apart from the database; "
	     "default the database's name without .db, then -shred.db (<data_dir>/advice-shred.db)"),
	INT(request_keep_s, 3600, 31536000, 604800,
	    "seconds a write's reply is kept, so that a resend with the same request id gets it "
	    "instead of running again"),
	INT(session_keep_s, 0, 31536000, 86400,
	    "seconds an ended session's record is kept after its absolute end"),
	INT(max_pending, 16, 10000000, 10000, "requests queued for the core thread"),
	INT(wal_limit_mb, 1, 65536, 64,
	    "the SQLite WAL's bound: past it the WAL is copied back and its file cut back to it"),
	INT(wal_idle_s, 0, 86400, 10, "seconds without writes after which the WAL is emptied; 0: never"),
	INT(memory_trim_mb, 0, 1048576, 16,
	    "growth of the resident memory since the last return after which free memory is given "
	    "back to the system once the requests are done; 0: never"),
	INT(memory_trim_s, 1, 86400, 10, "least seconds between two returns of free memory"),
	INT(session_max_pending, 1, 10000000, 256,
	    "requests of one session queued for the core thread; more get 429 rate_limited"),
	INT(session_max_connections, 1, 1000000, 8,
	    "WebSockets one session may have open; another upgrade gets 429 rate_limited"),
	INT(session_request_burst, 1, 1000000, 600,
	    "WebSocket messages one session may send at once before it gets 429 rate_limited"),
	INT(session_requests_per_minute, 0, 1000000, 1800,
	    "WebSocket messages one session may send a minute after its burst; 0: no limit"),
	INT(address_request_burst, 1, 1000000, 3000,
	    "WebSocket messages one client address may send at once before it gets 429 rate_limited"),
	INT(address_requests_per_minute, 0, 1000000, 12000,
	    "WebSocket messages one client address may send a minute after its burst; 0: no limit"),
	PATH(pepper_file, "",
	     "32-byte secret for keyed hashes, outside the data folder (test mode excepted); default "
	     "$CREDENTIALS_DIRECTORY/pepper (a systemd credential), else <data_dir>/secrets/pepper"),
	PATH(admin_socket, "", "advicectl's Unix socket (mode 600); default <data_dir>/admin.sock"),
	STR(idp_issuer, "", "issuer (iss) of citizen ID tokens (https with the bank-ID login)"),
	STR(idp_audience, "", "our client id (aud) at the identity provider"),
	PATH(idp_keys_file, "", "identity provider's public keys: JSON list of {kid, alg, pem}"),
	STR(idp_hetu_claim, "hetu", "claim that holds the identity code (hetu, urn:oid:1.2.246.21, nin)"),
	INT(token_skew_s, 0, 300, 60, "allowed clock difference for exp/nbf/iat"),
	INT(token_max_age_s, 30, 3600, 600, "an ID token's iat may be at most this old"),
	STR(oidc_profile, "ftn", "bank-ID login profile: ftn (signed request, encrypted ID token) or plain"),
	STR(oidc_authorize_url, "",
	    "identity provider's authorization endpoint (https); empty: no bank-ID login"),
	STR(oidc_token_url, "", "identity provider's token endpoint (https)"),
	STR(oidc_jwks_url, "", "identity provider's JWKS, its signing keys (https)"),
	STR(oidc_redirect_uri, "",
	    "our callback, https://HOST/api/v1/auth/bank/callback, registered exactly"),
	STR(oidc_scope, "openid", "scope of the authorization request (Signicat: openid nin)"),
	STR(oidc_acr_values, "http://ftn.ficora.fi/2017/loa2",
	    "levels of assurance requested, space-separated: the only acr accepted (test mode: also "
	    "loatest2 for loa2, loatest3 for loa3)"),
	STR(oidc_ui_locales, "fi", "language of the identity provider's pages (fi, sv, en; empty: none)"),
	PATH(oidc_sig_key, "",
	     "our RSA key signing request objects and client assertions (PEM, mode 600); default: the "
	     "systemd credential oidc-sig.pem if the service has it"),
	PATH(oidc_enc_key, "",
	     "our RSA key the ID token is encrypted to (PEM, mode 600); default: the systemd credential "
	     "oidc-enc.pem if the service has it"),
	INT(oidc_jwks_refetch_s, 0, 86400, 60, "least seconds between JWKS refetches on an unknown key id"),
	STR(oidc_after_login, "/", "path the browser is sent to after a bank-ID login"),
	INT(oidc_rate_per_minute, 1, 100000, 30,
	    "bank-ID /start and /callback requests a minute per client address (more: 429)"),
	INT(oidc_rate_burst, 1, 100000, 20,
	    "bank-ID /start and /callback requests per client address at once"),
	INT(service_rate_per_minute, 1, 100000, 60,
	    "front page data requests (GET /api/v1/service) a minute per client address (more: 429)"),
	INT(service_rate_burst, 1, 100000, 30,
	    "front page data requests (GET /api/v1/service) per client address at once"),
	INT(citizen_idle_s, 60, 86400, 1800, "citizen session idle timeout"),
	INT(citizen_abs_s, 300, 604800, 28800, "citizen session absolute timeout"),
	INT(staff_idle_s, 60, 86400, 1800, "staff session idle timeout"),
	INT(staff_abs_s, 300, 604800, 43200, "staff session absolute timeout"),
	INT(session_warn_s, 0, 3600, 300,
	    "seconds before a session ends (idle or absolute) that its connections are warned; 0: never"),
	INT(backoff_after, 1, 100, 3, "failed logins before each attempt must wait"),
	INT(lock_after, 2, 1000, 10, "failed logins that lock the account"),
	INT(backoff_max_s, 1, 86400, 900, "longest wait between attempts"),
	INT(lock_s, 0, 2592000, 900,
	    "how long lock_after failures lock a worker account (or name); 0: until advicectl unlock"),
	INT(staff_login_burst, 1, 1000000, 10,
	    "failed staff logins one address may make at once before it gets 429 rate_limited"),
	INT(staff_login_per_minute, 0, 1000000, 2,
	    "failed staff logins one address may make a minute after its burst; 0: no per-address limit"),
	BOOL(staff_totp_required, "1",
	     "workers log in with a TOTP second factor (enrolled at the first login)"),
	INT(password_max_age_days, 0, 3650, 0, "days until a worker must choose a new password; 0: never"),
	INT(citizen_open_threads, 0, 100000, 10,
	    "threads one citizen may have not closed (more: 429 on thread.open); 0: no limit"),
	INT(citizen_threads_per_day, 0, 100000, 20,
	    "threads one citizen may open a day, Helsinki time (more: 429 until midnight); 0: no limit"),
	INT(citizen_bytes_per_day, 0, 1073741824, 4194304,
	    "bytes of messages one citizen may write a day, Helsinki time (more: 429 until midnight); "
	    "0: no limit"),
	INT(device_idle_days, 1, 3650, 180,
	    "days after which a citizen's device that was not used is removed (frees its place)"),
	INT(session_check_s, 1, 300, 30,
	    "seconds between checks that end the sessions of ended accounts and roles"),
	STR(public_url, "", "the service's public address, the link in notifications (https://...)"),
	STR(mail_from, "", "sender of notification e-mails; its domain names their Message-IDs"),
	STR(smtp_host, "", "SMTP relay for notification e-mails; empty: no e-mail"),
	INT(smtp_port, 1, 65535, 25, "SMTP relay port (587 with starttls, 465 with tls)"),
	STR(smtp_tls, "starttls",
	    "none, starttls (required) or tls (SMTPS); none: to this host or test mode"),
	STR(smtp_user, "", "SMTP user name; empty: no authentication"),
	PATH(smtp_password_file, "",
	     "file holding the SMTP password (mode 600); default with smtp_user: the systemd "
	     "credential smtp-password if the service has it"),
	PATH(notify_ca_file, "", "CA certificates of the SMTP relay and SMS gateway (PEM); empty: system's"),
	STR(sms_url, "", "SMS gateway (JSON POST, https outside test mode); empty: no SMS"),
	PATH(sms_token_file, "",
	     "file holding the gateway's bearer token (mode 600); default: the systemd credential "
	     "sms-token if the service has it, else none"),
	STR(sms_sender, "", "sender name or number of notification SMS; empty: the gateway's default"),
	INT(notify_timeout_s, 1, 300, 20, "time allowed for one notification attempt"),
	INT(notify_retry_base_s, 1, 86400, 30, "first retry of a notification after this, doubling"),
	INT(notify_retry_max_s, 1, 604800, 3600, "longest time between notification retries"),
	INT(notify_max_attempts, 1, 1000, 48, "attempts before a notification is given up"),
	INT(notify_poll_ms, 50, 60000, 1000, "how often the notifier looks for due notifications"),
	TEXT("notify_text_fi", notify_text, 0, "notification text in Finnish ({link}); empty: built-in"),
	TEXT("notify_text_sv", notify_text, 1, "notification text in Swedish ({link}); empty: built-in"),
	TEXT("notify_text_en", notify_text, 2, "notification text in English ({link}); empty: built-in"),
	TEXT("ack_text_fi", ack_text, 0, "thread.open acknowledgement in Finnish ({date}); empty: built-in"),
	TEXT("ack_text_sv", ack_text, 1, "thread.open acknowledgement in Swedish ({date}); empty: built-in"),
	TEXT("ack_text_en", ack_text, 2, "thread.open acknowledgement in English ({date}); empty: built-in"),
	TEXT("emergency_text_fi", emergency_text, 0, "out-of-hours notice in Finnish; empty: built-in"),
	TEXT("emergency_text_sv", emergency_text, 1, "out-of-hours notice in Swedish; empty: built-in"),
	TEXT("emergency_text_en", emergency_text, 2, "out-of-hours notice in English; empty: built-in"),
	STR(exit_url, "https://www.ilmatieteenlaitos.fi/",
	    "where the app's Exit this page button leaves to at once: a neutral site (https)"),
	STR(emergency_number, "112", "the emergency number the front page gives (digits, spaces, +, -)"),
	STR(social_emergency_number, "",
	    "the social emergency service's number the front page gives; empty: not shown"),
	STR(controller_name, "",
	    "the register controller the privacy notice names (the municipality or wellbeing services "
	    "county and its board); empty: the notice says it is not filled in"),
	STR(privacy_contact, "",
	    "the privacy notice's contact for the data protection officer and for requests about "
	    "one's data (address, e-mail or phone); empty: the notice says it is not filled in"),
	PATH(register_file, "",
	     "the register file (JSON, PROTOCOL.md section 14.9): the privacy notice in Finnish, Swedish and "
	     "English, the consent texts and the retention rules; empty: the embedded demo register "
	     "(marked demo: set your own before real use)"),
	STR(accessibility_contact, "",
	    "where the accessibility statement sends feedback (e-mail or address); empty: the "
	    "statement says it is not filled in"),
	BOOL(test_mode, "0", "accept only test identity codes (900-999) and test-bed acr values"),
	BOOL(require_envelopes, "1",
	     "thread.open and message.send accept only signed envelopes of the thread"),
	{ "log_level", T_LEVEL, offsetof(struct config, log_level), 16, 0, 0, "notice",
	  "err, warn, notice, info or debug" },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static const char *type_name(enum setting_type t)
{
	static const char *const names[] = { "integer", "boolean", "string",   "path",
					     "origins", "level",   "addresses" };

	return names[t];
}

static int set_int(const struct setting *s, struct config *cfg, const char *v, char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0') {
		snprintf(err, errlen, "%s: not an integer", s->name);
		return -1;
	}
	if (n < s->min || n > s->max) {
		snprintf(err, errlen, "%s: %ld is out of range %ld..%ld", s->name, n, s->min, s->max);
		return -1;
	}
	*(int *)((char *)cfg + s->offset) = (int)n;
	return 0;
}

static int set_bool(const struct setting *s, struct config *cfg, const char *v, char *err, size_t errlen)
{
	int *p = (int *)((char *)cfg + s->offset);

	if (strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0)
		*p = 1;
	else if (strcmp(v, "0") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
		 strcmp(v, "off") == 0)
		*p = 0;
	else {
		snprintf(err, errlen, "%s: expected yes or no", s->name);
		return -1;
	}
	return 0;
}

static int set_str(const struct setting *s, struct config *cfg, const char *v, const char *base, char *err,
		   size_t errlen)
{
	char *p = (char *)cfg + s->offset;
	int n;

	if (s->type == T_PATH && v[0] != '\0' && v[0] != '/' && base != NULL && base[0] != '\0')
		n = snprintf(p, s->size, "%s/%s", base, v);
	else
		n = snprintf(p, s->size, "%s", v);
	if (n < 0 || (size_t)n >= s->size) {
		snprintf(err, errlen, "%s: longer than %zu bytes", s->name, s->size - 1);
		return -1;
	}
	return 0;
}

static int set_origins(struct config *cfg, const char *v, char *err, size_t errlen)
{
	char buf[MAX_LINE], *save = NULL;

	snprintf(buf, sizeof buf, "%s", v);
	cfg->norigins = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (cfg->norigins == CONFIG_MAX_ORIGINS) {
			snprintf(err, errlen, "origins: more than %d", CONFIG_MAX_ORIGINS);
			return -1;
		}
		if ((strncmp(tok, "http://", 7) != 0 && strncmp(tok, "https://", 8) != 0) ||
		    strlen(tok) >= sizeof cfg->origins[0] || strstr(tok, "://")[3] == '\0' ||
		    strchr(strstr(tok, "://") + 3, '/') != NULL) {
			snprintf(err, errlen, "origins: '%.80s' is not scheme://host[:port]", tok);
			return -1;
		}
		snprintf(cfg->origins[cfg->norigins++], sizeof cfg->origins[0], "%s", tok);
	}
	return 0;
}

/* trusted_proxies: a comma-separated list of IPv4 or IPv6 addresses (empty: none). */
static int set_addresses(struct config *cfg, const char *v, char *err, size_t errlen)
{
	char buf[MAX_LINE], *save = NULL;
	unsigned char bytes[16];

	snprintf(buf, sizeof buf, "%s", v);
	cfg->ntrusted_proxies = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (cfg->ntrusted_proxies == CONFIG_MAX_PROXIES) {
			snprintf(err, errlen, "trusted_proxies: more than %d", CONFIG_MAX_PROXIES);
			return -1;
		}
		if (inet_pton(AF_INET, tok, bytes) != 1 && inet_pton(AF_INET6, tok, bytes) != 1) {
			snprintf(err, errlen, "trusted_proxies: '%.80s' is not an IPv4 or IPv6 address", tok);
			return -1;
		}
		snprintf(cfg->trusted_proxies[cfg->ntrusted_proxies++], sizeof cfg->trusted_proxies[0], "%s",
			 tok);
	}
	return 0;
}

static int set_value(const struct setting *s, struct config *cfg, const char *v, const char *base, char *err,
		     size_t errlen)
{
	switch (s->type) {
	case T_INT: return set_int(s, cfg, v, err, errlen);
	case T_BOOL: return set_bool(s, cfg, v, err, errlen);
	case T_ORIGINS: return set_origins(cfg, v, err, errlen);
	case T_ADDRESSES: return set_addresses(cfg, v, err, errlen);
	case T_LEVEL:
		if (strcmp(v, "err") && strcmp(v, "warn") && strcmp(v, "notice") && strcmp(v, "info") &&
		    strcmp(v, "debug")) {
			snprintf(err, errlen, "log_level: unknown level '%.20s'", v);
			return -1;
		}
		return set_str(s, cfg, v, NULL, err, errlen);
	default: return set_str(s, cfg, v, base, err, errlen);
	}
}

void config_defaults(struct config *cfg)
{
	char err[128];

	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NSETTINGS; i++)
		set_value(&settings[i], cfg, settings[i].def, NULL, err, sizeof err);
}

/* Strips leading and trailing white space in place. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_line(struct config *cfg, char *line, const char *base, unsigned char *seen, char *err,
		      size_t errlen)
{
	char *eq, *name, *value;

	if ((eq = strchr(line, '#')) != NULL)
		*eq = '\0';
	line = trim(line);
	if (*line == '\0')
		return 0;
	if ((eq = strchr(line, '=')) == NULL) {
		snprintf(err, errlen, "expected name = value");
		return -1;
	}
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (strcmp(settings[i].name, name) != 0)
			continue;
		if (seen[i]++) {
			snprintf(err, errlen, "%s: set twice", name);
			return -1;
		}
		return set_value(&settings[i], cfg, value, base, err, errlen);
	}
	snprintf(err, errlen, "unknown setting '%.64s'", name);
	return -1;
}

/*
 * Secrets as systemd credentials: a secret setting left empty names the service's credential
 * of the same purpose ($CREDENTIALS_DIRECTORY/NAME, LoadCredential=NAME:FILE in the unit) when
 * that file exists and the setting it goes with is set. A setting naming a file wins. The
 * pepper's default is derive_paths' (its credential whether it exists or not).
 */
static const struct credential {
	const char *setting, *name; /* the setting, the credential's name */
	size_t offset;		    /* the setting's path in struct config */
	size_t with;		    /* the setting it goes with (offset); the pepper: none */
} credentials[] = {
	{ "pepper_file", "pepper", offsetof(struct config, pepper_file), 0 },
	{ "oidc_sig_key", "oidc-sig.pem", offsetof(struct config, oidc_sig_key),
	  offsetof(struct config, oidc_authorize_url) },
	{ "oidc_enc_key", "oidc-enc.pem", offsetof(struct config, oidc_enc_key),
	  offsetof(struct config, oidc_authorize_url) },
	{ "tls_key", "tls.key", offsetof(struct config, tls_key), offsetof(struct config, tls_cert) },
	{ "smtp_password_file", "smtp-password", offsetof(struct config, smtp_password_file),
	  offsetof(struct config, smtp_user) },
	{ "sms_token_file", "sms-token", offsetof(struct config, sms_token_file),
	  offsetof(struct config, sms_url) },
};

/* The credentials folder when the service has one (an absolute path), else NULL. */
static const char *credentials_dir(void)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	return dir != NULL && dir[0] == '/' ? dir : NULL;
}

/* Fills each empty secret setting but the pepper from its credential, when it exists. */
static void derive_credentials(struct config *cfg)
{
	const char *dir = credentials_dir();

	/* From 1: the first, the pepper, is derive_paths'. */
	for (size_t i = 1; dir != NULL && i < sizeof credentials / sizeof credentials[0]; i++) {
		char *path = (char *)cfg + credentials[i].offset;
		const char *with = (const char *)cfg + credentials[i].with;
		char candidate[CONFIG_PATH_MAX];

		if (path[0] != '\0' || with[0] == '\0')
			continue;
		if (snprintf(candidate, sizeof candidate, "%s/%s", dir, credentials[i].name) >=
		    (int)sizeof candidate)
			continue;
		if (access(candidate, F_OK) == 0)
			memcpy(path, candidate, strlen(candidate) + 1);
	}
}

/* Fills the paths that default to places in the data folder; the pepper defaults to the
 * systemd credential `pepper` when the service has credentials. The shred store's default
 * is the store's own rule (store_sqlite_shred_path). */
static void derive_paths(struct config *cfg)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	size_t n;

	if (cfg->database[0] == '\0')
		snprintf(cfg->database, sizeof cfg->database, "%.400s/advice.db", cfg->data_dir);
	n = strlen(cfg->database);
	if (cfg->shred_database[0] == '\0' && n > 3 && strcmp(cfg->database + n - 3, ".db") == 0)
		snprintf(cfg->shred_database, sizeof cfg->shred_database, "%.*s-shred.db", (int)(n - 3),
			 cfg->database);
	else if (cfg->shred_database[0] == '\0')
		snprintf(cfg->shred_database, sizeof cfg->shred_database, "%.400s-shred.db", cfg->database);
	if (cfg->pepper_file[0] == '\0' && creds != NULL && creds[0] == '/')
		snprintf(cfg->pepper_file, sizeof cfg->pepper_file, "%.400s/pepper", creds);
	else if (cfg->pepper_file[0] == '\0')
		snprintf(cfg->pepper_file, sizeof cfg->pepper_file, "%.400s/secrets/pepper", cfg->data_dir);
	if (cfg->admin_socket[0] == '\0')
		snprintf(cfg->admin_socket, sizeof cfg->admin_socket, "%.400s/admin.sock", cfg->data_dir);
	derive_credentials(cfg);
}

/* Reports one problem, formatted, to `report`; 1 for an error, 0 for a warning (to count errors). */
static int __attribute__((format(printf, 4, 5)))
report_problem(config_report_fn report, void *arg, int warning, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(arg, warning, msg);
	return !warning;
}

#define ERROR(...)   report_problem(report, arg, 0, __VA_ARGS__)
#define WARNING(...) report_problem(report, arg, 1, __VA_ARGS__)

/* Where config_parse, config_load and config_validate keep their first error. */
struct first_error {
	char *err;
	size_t errlen;
	int found;
};

static void keep_first_error(void *arg, int warning, const char *problem)
{
	struct first_error *f = arg;

	if (!warning && f->found++ == 0)
		snprintf(f->err, f->errlen, "%s", problem);
}

/* Parses `text` over `cfg`, every line, each bad one reported; the number of errors. */
static int parse_text(struct config *cfg, const char *text, size_t len, const char *base_dir,
		      config_report_fn report, void *arg)
{
	unsigned char seen[NSETTINGS] = { 0 };
	char line[MAX_LINE], why[256];
	size_t pos = 0;
	int lineno = 0, errors = 0;

	if (len > MAX_FILE)
		return ERROR("configuration larger than %d bytes", MAX_FILE);
	for (; pos < len; pos++) {
		size_t end = pos;

		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		if (end - pos >= sizeof line || memchr(text + pos, '\0', end - pos) != NULL) {
			errors += ERROR("line %d: too long or not text", lineno);
		} else {
			memcpy(line, text + pos, end - pos);
			line[end - pos] = '\0';
			if (parse_line(cfg, line, base_dir, seen, why, sizeof why) != 0)
				errors += ERROR("line %d: %s", lineno, why);
		}
		pos = end;
	}
	derive_paths(cfg);
	return errors;
}

int config_parse(struct config *cfg, const char *text, size_t len, const char *base_dir, char *err,
		 size_t errlen)
{
	struct first_error f = { err, errlen, 0 };

	return parse_text(cfg, text, len, base_dir, keep_first_error, &f) == 0 ? 0 : -1;
}

int config_load_all(struct config *cfg, const char *path, config_report_fn report, void *arg)
{
	char base[CONFIG_PATH_MAX], *text, *slash;
	FILE *f = fopen(path, "r");
	size_t n;
	int errors;

	if (f == NULL)
		return ERROR("%s", strerror(errno));
	text = malloc(MAX_FILE + 2);
	n = text ? fread(text, 1, MAX_FILE + 1, f) : 0;
	fclose(f);
	if (text == NULL)
		return ERROR("out of memory");
	snprintf(base, sizeof base, "%s", path);
	slash = strrchr(base, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		snprintf(base, sizeof base, ".");
	errors = parse_text(cfg, text, n, base, report, arg);
	free(text);
	return errors;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char why[300];
	struct first_error f = { why, sizeof why, 0 };

	if (config_load_all(cfg, path, keep_first_error, &f) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

/* Whether `url` is http(s)://host... without white space; https only outside test mode. */
static int url_ok(const char *url, int test_mode)
{
	for (const char *p = url; *p; p++)
		if (*p <= ' ' || *p >= 127)
			return 0;
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/';
	return test_mode && strncmp(url, "http://", 7) == 0 && url[7] != '\0' && url[7] != '/';
}

/*
 * The identity provider's addresses and ours: https:// only outside test mode (a code, a
 * token or the provider's keys must not travel in clear, nor may the issuer be a plain-http
 * name). An empty one is reported by check_oidc as missing, not here. The number of errors.
 */
static int check_oidc_urls(const struct config *cfg, config_report_fn report, void *arg)
{
	const struct {
		const char *name, *value;
	} urls[] = {
		{ "idp_issuer", cfg->idp_issuer },
		{ "oidc_authorize_url", cfg->oidc_authorize_url },
		{ "oidc_token_url", cfg->oidc_token_url },
		{ "oidc_jwks_url", cfg->oidc_jwks_url },
		{ "oidc_redirect_uri", cfg->oidc_redirect_uri },
	};
	int errors = 0;

	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
		if (urls[i].value[0] != '\0' && !url_ok(urls[i].value, cfg->test_mode))
			errors += ERROR("%s: an https:// address%s", urls[i].name,
					cfg->test_mode ? "" : " (plain http only in test mode)");
	return errors;
}

/*
 * oidc_acr_values: at least one level, and outside test mode no test-bed level (loatest*),
 * which no production token may carry. The number of errors.
 */
static int check_acr_values(const struct config *cfg, config_report_fn report, void *arg)
{
	const char *v = cfg->oidc_acr_values + strspn(cfg->oidc_acr_values, " ");

	if (v[0] == '\0')
		return ERROR("oidc_acr_values: at least one level of assurance (the levels requested are "
			     "the only ones accepted)");
	if (!cfg->test_mode && strstr(v, "/loatest") != NULL)
		return ERROR("oidc_acr_values: test-bed levels (loatest) only in test mode");
	return 0;
}

/* The bank-ID login settings go together when oidc_authorize_url is set; the number of errors. */
static int check_oidc(const struct config *cfg, config_report_fn report, void *arg)
{
	const struct {
		const char *name, *value;
	} needed[] = {
		{ "oidc_token_url", cfg->oidc_token_url },	 { "oidc_jwks_url", cfg->oidc_jwks_url },
		{ "oidc_redirect_uri", cfg->oidc_redirect_uri }, { "oidc_sig_key", cfg->oidc_sig_key },
		{ "oidc_enc_key", cfg->oidc_enc_key },
	};
	int errors = 0;

	if (cfg->oidc_authorize_url[0] == '\0')
		return cfg->test_mode ? 0
				      : WARNING("oidc_authorize_url: not set, so no citizen can log in "
						"(outside test mode citizens log in only through the bank)");
	for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
		if (needed[i].value[0] == '\0')
			errors += ERROR("%s is required with oidc_authorize_url", needed[i].name);
	if (strcmp(cfg->oidc_profile, "ftn") != 0 && strcmp(cfg->oidc_profile, "plain") != 0)
		errors += ERROR("oidc_profile: ftn or plain");
	if (cfg->oidc_after_login[0] != '/' || cfg->oidc_after_login[1] == '/')
		errors += ERROR("oidc_after_login: a path on this site (/...)");
	return errors + check_oidc_urls(cfg, report, arg);
}

/* Whether `host` names this machine (plain SMTP is allowed to it). */
static int host_is_local(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0;
}

/* The notification settings (notify.h); the number of errors. */
static int check_notify(const struct config *cfg, config_report_fn report, void *arg)
{
	const char *at = strchr(cfg->mail_from, '@');
	int errors = 0;

	if (strcmp(cfg->smtp_tls, "none") != 0 && strcmp(cfg->smtp_tls, "starttls") != 0 &&
	    strcmp(cfg->smtp_tls, "tls") != 0)
		errors += ERROR("smtp_tls: none, starttls or tls");
	if (cfg->notify_retry_max_s < cfg->notify_retry_base_s)
		errors += ERROR("notify_retry_max_s must not be shorter than notify_retry_base_s");
	if (cfg->smtp_host[0] == '\0' && cfg->sms_url[0] == '\0')
		return errors;
	if (!url_ok(cfg->public_url, cfg->test_mode))
		errors += ERROR("public_url: notifications need the service's https:// address");
	if (cfg->sms_url[0] != '\0' && !url_ok(cfg->sms_url, cfg->test_mode))
		errors += ERROR("sms_url: an https:// address");
	if (cfg->smtp_host[0] == '\0')
		return errors;
	if (at == NULL || at == cfg->mail_from || strchr(at + 1, '.') == NULL ||
	    strpbrk(cfg->mail_from, " <>\"()[],;:\\") != NULL)
		errors += ERROR("mail_from: a plain address (name@domain) is needed for e-mail");
	if (strcmp(cfg->smtp_tls, "none") == 0 && !cfg->test_mode && !host_is_local(cfg->smtp_host))
		errors += ERROR("smtp_tls: none only to a relay on this host");
	if (cfg->smtp_user[0] != '\0' && cfg->smtp_password_file[0] == '\0')
		errors += ERROR("smtp_user needs smtp_password_file");
	return errors;
}

/*
 * The origin (scheme://host[:port], as a browser sends it: without the scheme's default port)
 * of an http(s) URL into `out`; 0, or -1 when `url` is not one.
 */
static int url_origin(const char *url, char *out, size_t size)
{
	const char *host = strstr(url, "://");
	size_t len;

	if (host == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return -1;
	host += 3;
	len = (size_t)(host - url) + strcspn(host, "/?#");
	if (len >= size || host[0] == '\0' || host[0] == '/')
		return -1;
	memcpy(out, url, len);
	out[len] = '\0';
	len = strlen(out);
	if (url[4] == 's' && len > 4 && strcmp(out + len - 4, ":443") == 0)
		out[len - 4] = '\0';
	else if (url[4] == ':' && len > 3 && strcmp(out + len - 3, ":80") == 0)
		out[len - 3] = '\0';
	return 0;
}

/* The allowed origins against public_url's origin: warnings only (an origin may be on purpose). */
static void check_origins(const struct config *cfg, config_report_fn report, void *arg)
{
	char public_origin[sizeof cfg->public_url];
	int found = 0;

	if (cfg->norigins == 0 || url_origin(cfg->public_url, public_origin, sizeof public_origin) != 0)
		return;
	for (int i = 0; i < cfg->norigins; i++) {
		if (strcmp(cfg->origins[i], public_origin) == 0)
			found = 1;
		else if (!cfg->test_mode)
			WARNING("origins: %s is not public_url's origin %s (keep it only if browsers reach "
				"the service at that address too)",
				cfg->origins[i], public_origin);
	}
	if (!found)
		WARNING("origins: public_url's origin %s is not among them, so browsers at the public "
			"address are refused (add it to origins)",
			public_origin);
}

/* `path` resolved through symbolic links into out (PATH_MAX): the file's, or for a file not
 * there, its folder's with the name appended; else `path` as written, made absolute. */
static void resolve_path(const char *path, char *out)
{
	char parent[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
	const char *slash;

	if (realpath(path, out) != NULL)
		return;
	if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL && strlen(cwd) + strlen(path) + 2 < PATH_MAX) {
		size_t n = strlen(cwd);

		memcpy(parent, cwd, n);
		parent[n] = '/';
		memcpy(parent + n + 1, path, strlen(path) + 1);
		path = parent;
	}
	snprintf(out, PATH_MAX, "%s", path);
	slash = strrchr(out, '/');
	if (slash == NULL || slash == out)
		return;
	memcpy(parent, out, (size_t)(slash - out));
	parent[slash - out] = '\0';
	if (realpath(parent, real) != NULL && strlen(real) + strlen(slash) < PATH_MAX) {
		size_t n = strlen(real), m = strlen(slash);

		memmove(out + n, slash, m + 1);
		memcpy(out, real, n);
	}
}

int config_path_inside(const char *path, const char *dir)
{
	char p[PATH_MAX], d[PATH_MAX];
	size_t n;

	resolve_path(path, p);
	resolve_path(dir, d);
	n = strlen(d);
	while (n > 1 && d[n - 1] == '/')
		d[--n] = '\0';
	if (strcmp(d, "/") == 0)
		return p[0] == '/';
	return strncmp(p, d, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

/* The pepper keys the identity-code hashes: next to the database it would undo them
 * (README, "What the server can and cannot learn"). Test mode may keep it there. */
static int check_pepper_place(const struct config *cfg, config_report_fn report, void *arg)
{
	if (cfg->test_mode || !config_path_inside(cfg->pepper_file, cfg->data_dir))
		return 0;
	return ERROR("pepper_file: %.200s is inside the data folder, where a copy of the folder would "
		     "undo the identity-code hashes; outside test mode keep it elsewhere: move the file "
		     "(mode 600) to a folder of its own or a systemd credential (LoadCredential=pepper:FILE) "
		     "and set pepper_file to it (or leave it unset under systemd)",
		     cfg->pepper_file);
}

/* Whether `s` is a phone number as people write it: 1..31 digits, spaces, '+' and '-', with
 * at least one digit. */
static int phone_ok(const char *s)
{
	return s[0] != '\0' && s[strspn(s, "0123456789 +-")] == '\0' && strpbrk(s, "0123456789") != NULL;
}

/* What the public front page shows (GET /api/v1/service); the number of errors. */
static int check_front_page(const struct config *cfg, config_report_fn report, void *arg)
{
	int errors = 0;

	if (!url_ok(cfg->exit_url, cfg->test_mode))
		errors += ERROR("exit_url: an https:// address%s",
				cfg->test_mode ? "" : " (plain http only in test mode)");
	if (!phone_ok(cfg->emergency_number))
		errors += ERROR("emergency_number: digits, spaces, + and - only");
	if (cfg->social_emergency_number[0] != '\0' && !phone_ok(cfg->social_emergency_number))
		errors += ERROR("social_emergency_number: digits, spaces, + and - only");
	return errors;
}

/* Whether `addr` is a loopback address (127.0.0.0/8, ::1) or "localhost". */
static int loopback(const char *addr)
{
	unsigned char b[16];

	if (strcmp(addr, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, addr, b) == 1)
		return b[0] == 127;
	return inet_pton(AF_INET6, addr, b) == 1 && memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
}

/* The health and metrics listener: its own port, and loopback unless on purpose. */
static int check_metrics(const struct config *cfg, config_report_fn report, void *arg)
{
	if (cfg->metrics_port == 0)
		return 0;
	if (cfg->metrics_port == cfg->port)
		return ERROR("metrics_port: %d is the public port; the health and metrics listener needs "
			     "a port of its own",
			     cfg->metrics_port);
	if (cfg->metrics_listen[0] == '\0')
		return ERROR("metrics_listen: an address is needed (127.0.0.1 keeps it on this machine)");
	if (!loopback(cfg->metrics_listen))
		WARNING("metrics_listen: %s is not a loopback address: anyone who reaches it reads the "
			"service's figures (keep it on 127.0.0.1 or firewall it)",
			cfg->metrics_listen);
	return 0;
}

int config_check(const struct config *cfg, config_report_fn report, void *arg)
{
	int errors = 0;

	if (cfg->norigins == 0)
		errors += ERROR("origins: at least one allowed Origin is needed");
	if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0'))
		errors += ERROR("tls_cert and tls_key go together");
	if (cfg->idp_issuer[0] == '\0')
		errors += ERROR("idp_issuer is required (the issuer of citizens' ID tokens)");
	if (cfg->idp_audience[0] == '\0')
		errors += ERROR("idp_audience is required (our client id at the identity provider)");
	if (cfg->idp_keys_file[0] == '\0' && cfg->oidc_authorize_url[0] == '\0')
		errors += ERROR("idp_keys_file is required unless the bank-ID login (oidc_*) is set");
	errors += check_oidc(cfg, report, arg);
	errors += check_acr_values(cfg, report, arg);
	errors += check_notify(cfg, report, arg);
	errors += check_pepper_place(cfg, report, arg);
	errors += check_front_page(cfg, report, arg);
	if (cfg->web_root[0] == '\0')
		errors += ERROR("web_root is required");
	if (cfg->backoff_after >= cfg->lock_after)
		errors += ERROR("backoff_after must be smaller than lock_after");
	if (cfg->idle_timeout_s <= cfg->ping_interval_s)
		errors += ERROR("idle_timeout_s must be longer than ping_interval_s");
	if (cfg->session_warn_s >= cfg->citizen_idle_s || cfg->session_warn_s >= cfg->staff_idle_s)
		errors += ERROR("session_warn_s must be shorter than citizen_idle_s and staff_idle_s");
	check_origins(cfg, report, arg);
	errors += check_metrics(cfg, report, arg);
	return errors;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
	struct first_error f = { err, errlen, 0 };

	return config_check(cfg, keep_first_error, &f) == 0 ? 0 : -1;
}

/* When a setting is required (config_check refuses a configuration without it); NULL: never. */
static const char *required_when(const char *name)
{
	static const struct {
		const char *name, *when;
	} required[] = {
		{ "origins", "required" },
		{ "web_root", "required" },
		{ "idp_issuer", "required" },
		{ "idp_audience", "required" },
		{ "idp_keys_file", "required unless oidc_authorize_url is set" },
		{ "oidc_authorize_url", "needed outside test mode, where citizens log in only through the "
					"bank (--check-config warns without it)" },
		{ "oidc_token_url", "required with oidc_authorize_url" },
		{ "oidc_jwks_url", "required with oidc_authorize_url" },
		{ "oidc_redirect_uri", "required with oidc_authorize_url" },
		{ "oidc_sig_key", "required with oidc_authorize_url" },
		{ "oidc_enc_key", "required with oidc_authorize_url" },
		{ "tls_cert", "required with tls_key" },
		{ "tls_key", "required with tls_cert" },
		{ "public_url", "required with smtp_host or sms_url" },
		{ "mail_from", "required with smtp_host" },
		{ "smtp_password_file", "required with smtp_user" },
	};

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (strcmp(required[i].name, name) == 0)
			return required[i].when;
	return NULL;
}

void config_print_help(void)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *when = required_when(s->name);

		printf("%-20s %-8s ", s->name, type_name(s->type));
		if (s->type == T_INT)
			printf("%ld..%ld ", s->min, s->max);
		printf("(default '%s')\n    %s\n", s->def, s->help);
		if (when != NULL)
			printf("    * %s\n", when);
	}
}

/* Whether setting `s` has the same value in `a` and `b`. */
static int setting_equal(const struct setting *s, const struct config *a, const struct config *b)
{
	const char *pa = (const char *)a + s->offset, *pb = (const char *)b + s->offset;

	switch (s->type) {
	case T_INT:
	case T_BOOL: return memcmp(pa, pb, sizeof(int)) == 0;
	case T_ORIGINS:
		if (a->norigins != b->norigins)
			return 0;
		for (int i = 0; i < a->norigins; i++)
			if (strcmp(a->origins[i], b->origins[i]) != 0)
				return 0;
		return 1;
	case T_ADDRESSES:
		if (a->ntrusted_proxies != b->ntrusted_proxies)
			return 0;
		for (int i = 0; i < a->ntrusted_proxies; i++)
			if (strcmp(a->trusted_proxies[i], b->trusted_proxies[i]) != 0)
				return 0;
		return 1;
	default: return strncmp(pa, pb, s->size) == 0;
	}
}

int config_diff(const struct config *a, const struct config *b, void (*fn)(void *arg, const char *name),
		void *arg)
{
	int n = 0;

	for (size_t i = 0; i < NSETTINGS; i++) {
		if (setting_equal(&settings[i], a, b))
			continue;
		fn(arg, settings[i].name);
		n++;
	}
	return n;
}

/* Where one secret comes from, for config_print_secrets: its credential or its file. */
static void print_secret_source(const struct config *cfg, const struct credential *c, FILE *out,
				const char *prefix)
{
	const char *path = (const char *)cfg + c->offset;
	const char *dir = credentials_dir();
	size_t n = dir != NULL ? strlen(dir) : 0;

	if (n > 0 && strncmp(path, dir, n) == 0 && path[n] == '/' && strchr(path + n + 1, '/') == NULL)
		fprintf(out, "%s: %s: the systemd credential %s ($CREDENTIALS_DIRECTORY)\n", prefix,
			c->setting, path + n + 1);
	else
		fprintf(out, "%s: %s: the file %s%s\n", prefix, c->setting, path,
			config_path_inside(path, cfg->data_dir) ? " (inside the data folder)" : "");
}

void config_print_secrets(const struct config *cfg, FILE *out, const char *prefix)
{
	for (size_t i = 0; i < sizeof credentials / sizeof credentials[0]; i++)
		if (((const char *)cfg)[credentials[i].offset] != '\0')
			print_secret_source(cfg, &credentials[i], out, prefix);
}

/* Writes `text` to `f` as roff running text: backslashes and hyphens escaped, and a leading
 * period or apostrophe kept from being read as a request. */
static void man_text(FILE *f, const char *text)
{
	if (text[0] == '.' || text[0] == '\'')
		fputs("\\&", f);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-')
			fputs("\\-", f);
		else
			fputc(*p, f);
	}
}

/* The page's fixed part before the settings: what the file is and how it is read. */
static const char man_head[] =
	".TH ADVICED.CONF 5 \"\" \"advice %s\" \"File Formats\"\n"
	".SH NAME\n"
	"adviced.conf \\- configuration file of the online advice service\n"
	".SH SYNOPSIS\n"
	".I /var/lib/adviced/adviced.conf\n"
	".SH DESCRIPTION\n"
	".B adviced\n"
	"reads one configuration file, named by its\n"
	".B \\-c\n"
	"option.\n"
	".B advicectl init\n"
	"writes a first one into a new data folder.\n"
	"Each line is\n"
	".IB name \" = \" value\\fR;\n"
	"a\n"
	".B #\n"
	"starts a comment and blank lines are ignored.\n"
	"Every setting has a type, bounds and a default. An unknown name, a name given twice, a\n"
	"value out of its bounds or a line without\n"
	".B =\n"
	"is an error naming the file and the line, and\n"
	".B adviced\n"
	"does not start.\n"
	"A relative path is taken relative to the folder of the file.\n"
	".PP\n"
	".B adviced \\-c\n"
	".I FILE\n"
	".B \\-\\-check\\-config\n"
	"reports every problem of a file at once without serving;\n"
	".B adviced \\-\\-help\\-config\n"
	"lists the settings below in short.\n"
	".PP\n"
	"Secrets are not written in this file: the pepper, the bank\\-ID keys, the TLS key and the\n"
	"notifier's password and token are files of their own, readable by the service user only,\n"
	"or systemd credentials (see\n"
	".BR adviced (8)).\n"
	".SS Types\n"
	".TP\n"
	".B integer\n"
	"a decimal number within the bounds shown.\n"
	".TP\n"
	".B boolean\n"
	".BR yes ,\n"
	".BR true ,\n"
	".B on\n"
	"or\n"
	".BR 1 ;\n"
	".BR no ,\n"
	".BR false ,\n"
	".B off\n"
	"or\n"
	".BR 0 .\n"
	".TP\n"
	".B string\n"
	"the rest of the line, without the spaces around it.\n"
	".TP\n"
	".B path\n"
	"a file or folder; relative to the configuration file's folder unless it starts with /.\n"
	".TP\n"
	".B origins\n"
	"a comma\\-separated list of\n"
	".IR scheme :// host [: port ].\n"
	".TP\n"
	".B addresses\n"
	"a comma\\-separated list of IPv4 or IPv6 addresses.\n"
	".TP\n"
	".B level\n"
	"a log level.\n"
	".SH SETTINGS\n"
	"In the order\n"
	".B adviced \\-\\-help\\-config\n"
	"gives them.\n";

static const char man_tail[] = ".SH FILES\n"
			       ".TP\n"
			       ".I /var/lib/adviced/adviced.conf\n"
			       "the configuration of the packaged service (its systemd unit names it)\n"
			       ".SH SEE ALSO\n"
			       ".BR adviced (8),\n"
			       ".BR advicectl (8)\n";

void config_print_man(FILE *f, const char *version)
{
	fprintf(f, man_head, version);
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *when = required_when(s->name);

		fputs(".TP\n\\fB", f);
		man_text(f, s->name);
		fputs("\\fR (\\fI", f);
		man_text(f, type_name(s->type));
		fputs("\\fR", f);
		if (s->type == T_INT)
			fprintf(f, " %ld..%ld", s->min, s->max);
		fputs(s->def[0] != '\0' ? ", default \\(lq" : ", default empty", f);
		if (s->def[0] != '\0') {
			man_text(f, s->def);
			fputs("\\(rq", f);
		}
		fputs(")\n", f);
		man_text(f, s->help);
		fputs(when != NULL ? ".\n.br\n" : ".\n", f);
		if (when != NULL) {
			fputc(toupper((unsigned char)when[0]), f);
			man_text(f, when + 1);
			fputs(".\n", f);
		}
	}
	fputs(man_tail, f);
}
