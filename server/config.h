/*
 * config.h - adviced's configuration: one file of `name = value` lines, parsed by a table
 * (name, type, bounds, default, help) in config.c. Secrets are not in this file: the pepper
 * and keys live in separate files named by it, readable by the service user only.
 */
#ifndef ADVICE_CONFIG_H
#define ADVICE_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_PATH_MAX	   512
#define CONFIG_MAX_ORIGINS 8
#define CONFIG_MAX_PROXIES 16

struct config {
	/* network */
	char listen[64];		       /* address to bind, default 127.0.0.1 */
	int port;			       /* default 8080 */
	char web_root[CONFIG_PATH_MAX];	       /* static files of client-web */
	char origins[CONFIG_MAX_ORIGINS][256]; /* allowed Origin values, exact */
	int norigins;
	char tls_cert[CONFIG_PATH_MAX]; /* PEM; empty: plain HTTP (behind a TLS proxy or on localhost) */
	char tls_key[CONFIG_PATH_MAX];
	int max_message_bytes;		 /* one WebSocket message, default ADVICE_MAX_MESSAGE_BYTES */
	int outq_max_messages;		 /* per-connection outbound queue, default 256 */
	int outq_max_bytes;		 /* default 1 MiB */
	int max_inflight;		 /* requests per connection awaiting a reply before reads pause, 64 */
	int max_fragments;		 /* frames of one WebSocket message, default 256 */
	int message_time_s;		 /* time from a message's first frame to its last, default 30 */
	int max_connections;		 /* default 60000 */
	int ping_interval_s;		 /* idle seconds before a ping, default 30 */
	int idle_timeout_s;		 /* hang up when no pong by then, default 75 */
	int handshake_timeout_s;	 /* default 10 */
	int header_timeout_s;		 /* request headers, absolute, default 10 */
	int body_timeout_s;		 /* request body, absolute, default 30 */
	int max_connections_per_address; /* HTTP and WebSocket together, default 256 */
	/* reverse proxies whose X-Forwarded-For names the client (IPv4 or IPv6 addresses) */
	char trusted_proxies[CONFIG_MAX_PROXIES][48];
	int ntrusted_proxies;
	int shutdown_grace_s; /* SIGTERM: time to finish pending work, default 10 */
	/* health and metrics: /healthz and /metrics on a listener of their own (net_metrics.c) */
	char metrics_listen[64]; /* default 127.0.0.1 */
	int metrics_port;	 /* default 0: off */

	/* store */
	char data_dir[CONFIG_PATH_MAX];
	char database[CONFIG_PATH_MAX];	      /* default <data_dir>/advice.db */
	char shred_database[CONFIG_PATH_MAX]; /* the shred shares; default <database>-shred.db */
	int request_keep_s;		      /* a write's stored reply is kept this long, default 7 days */
	int session_keep_s;		      /* an ended session's row after its end, default 1 day */
	int max_pending;		      /* requests queued for the core thread, default 10000 */
	int wal_limit_mb;		      /* WAL bound, default 64 */
	int wal_idle_s;			 /* idle seconds before the WAL is emptied, default 10; 0: never */
	int memory_trim_mb;		 /* RSS growth that returns free memory when idle, 16; 0: never */
	int memory_trim_s;		 /* least seconds between two such returns, default 10 */
	int session_max_pending;	 /* of them, one session's at most, default 256 */
	int session_max_connections;	 /* WebSockets of one session, default 8 */
	int session_request_burst;	 /* WebSocket messages of one session at once, default 600 */
	int session_requests_per_minute; /* and a minute after that, default 1800; 0: no limit */
	int address_request_burst;	 /* WebSocket messages of one address at once, default 3000 */
	int address_requests_per_minute; /* and a minute after that, default 12000; 0: no limit */

	/* secrets */
	/* 32 random bytes, outside the data folder (config_check); default the systemd credential
	 * $CREDENTIALS_DIRECTORY/pepper, else <data_dir>/secrets/pepper (test mode only) */
	char pepper_file[CONFIG_PATH_MAX];

	/* administration: advicectl's Unix socket (mode 600); default <data_dir>/admin.sock */
	char admin_socket[CONFIG_PATH_MAX];

	/* citizen identity tokens */
	char idp_issuer[256];
	char idp_audience[256];
	char idp_keys_file[CONFIG_PATH_MAX]; /* JSON list of {kid, alg, pem} */
	char idp_hetu_claim[64];	     /* default "hetu" */
	int token_skew_s;		     /* default 60 */
	int token_max_age_s;		     /* iat no older than this, default 600 */

	/* bank-ID login over OpenID Connect (oidc.h); off while oidc_authorize_url is empty */
	char oidc_profile[16]; /* "ftn" (JAR + JWE required) or "plain" */
	char oidc_authorize_url[512];
	char oidc_token_url[512];
	char oidc_jwks_url[512];
	char oidc_redirect_uri[512];	    /* our .../api/v1/auth/bank/callback, as registered */
	char oidc_scope[128];		    /* default "openid" */
	char oidc_acr_values[128];	    /* requested and accepted levels; default FTN loa2 */
	char oidc_ui_locales[16];	    /* default "fi" */
	char oidc_sig_key[CONFIG_PATH_MAX]; /* our RSA signing key (PEM, mode 600) */
	char oidc_enc_key[CONFIG_PATH_MAX]; /* our RSA decryption key (PEM, mode 600) */
	int oidc_jwks_refetch_s;	    /* least seconds between JWKS refetches, default 60 */
	char oidc_after_login[256];	    /* where the browser goes after login, default "/" */
	int oidc_rate_per_minute;	    /* /start and /callback per client address, default 30 */
	int oidc_rate_burst;		    /* of them at once, default 20 */
	int service_rate_per_minute;	    /* GET /api/v1/service per client address, default 60 */
	int service_rate_burst;		    /* of them at once, default 30 */

	/* sessions and logins */
	int citizen_idle_s, citizen_abs_s; /* defaults 1800, 28800 */
	int staff_idle_s, staff_abs_s;	   /* defaults 1800, 43200 */
	int session_warn_s;		   /* warn this long before a session ends, default 300 */
	int backoff_after;		   /* default 3 */
	int lock_after;			   /* default 10 */
	int backoff_max_s;		   /* default 900 */
	int lock_s;			   /* lock length after lock_after failures; 0: until unlocked; 900 */
	int staff_login_burst;		   /* failed staff logins per address at once, default 10 */
	int staff_login_per_minute;	   /* and a minute after that, default 2; 0: no limit */
	int staff_totp_required;	   /* workers need a TOTP second factor, default yes */
	int password_max_age_days;	   /* 0 (default): workers' passwords do not expire */
	int session_check_s;		   /* how often ended accounts and roles are swept, 30 */
	int citizen_open_threads;	   /* threads of a citizen not closed, default 10; 0: none */
	int device_idle_days;		   /* an unused citizen device is removed after, default 180 */
	int citizen_threads_per_day;	   /* threads a citizen opens a Helsinki day, default 20 */
	int citizen_bytes_per_day;	   /* message bytes a citizen writes a day, default 4 MiB */

	/* notifications (notify.h): e-mail when smtp_host is set, SMS when sms_url is set */
	char public_url[256];			  /* the link in notifications: the service's address */
	char mail_from[255];			  /* sender address; its domain names the Message-IDs */
	char smtp_host[256];			  /* relay; "" = no e-mail */
	int smtp_port;				  /* default 25 */
	char smtp_tls[16];			  /* none, starttls (default) or tls */
	char smtp_user[128];			  /* "" = no authentication */
	char smtp_password_file[CONFIG_PATH_MAX]; /* mode 600 */
	char notify_ca_file[CONFIG_PATH_MAX];	  /* "" = the system's CAs */
	char sms_url[512];			  /* the SMS gateway; "" = no SMS */
	char sms_token_file[CONFIG_PATH_MAX];	  /* bearer token, mode 600; "" = none */
	char sms_sender[16];			  /* "" = the gateway's default */
	int notify_timeout_s, notify_retry_base_s, notify_retry_max_s, notify_max_attempts, notify_poll_ms;
	char notify_text[3][512];    /* fi, sv, en; "" = built-in; {link} = public_url */
	char ack_text[3][512];	     /* thread.open acknowledgement; "" = built-in; {date} */
	char emergency_text[3][512]; /* out-of-hours notice; "" = built-in */

	/* the public front page (GET /api/v1/service): shown to anyone, before login */
	char exit_url[256];		     /* where "Exit this page" leaves to: a neutral site */
	char emergency_number[32];	     /* the general emergency number (112) */
	char social_emergency_number[32];    /* the social emergency service's; "" = not shown */
	char controller_name[256];	     /* the register controller of the privacy notice */
	char privacy_contact[256];	     /* data protection officer / requests about one's data */
	char accessibility_contact[256];     /* feedback on accessibility */
	char register_file[CONFIG_PATH_MAX]; /* the register file (register.h); "" = the demo register */

	int test_mode;	       /* accepts test identity codes and test-bed acr values only */
	int require_envelopes; /* bodies must be signed envelopes of their thread (CRYPTO.md) */
	char log_level[16];
};

/* Fills `cfg` with the defaults. */
void config_defaults(struct config *cfg);
/*
 * Reads `path` over the defaults. On error returns -1 and writes "file:line: reason" to
 * `err`. Relative paths in the file are taken relative to the file's folder.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Parses a configuration held in memory (the fuzz target and tests use this). */
int config_parse(struct config *cfg, const char *text, size_t len, const char *base_dir, char *err,
		 size_t errlen);
/* Checks cross-field rules (TLS cert without key, no origin, ...). 0 or -1 with `err` (the
 * first error; warnings are not errors). */
int config_validate(const struct config *cfg, char *err, size_t errlen);
/* Prints every setting with its type, bounds, default, help and whether it is required
 * (adviced --help-config). */
void config_print_help(void);
/* Writes the manual page adviced.conf(5) to `f`: the file's format and every setting of the
 * table, as --help-config lists them (adviced --help-config=man; built into the manual at
 * build time, so the page cannot miss a setting). */
void config_print_man(FILE *f, const char *version);

/* Takes one problem found in a configuration: an error (adviced does not start), or with
 * `warning` a likely mistake adviced starts with. */
typedef void (*config_report_fn)(void *arg, int warning, const char *problem);
/*
 * Like config_load, but reads on past a bad line and reports every problem ("line N:
 * reason"; one for a file it cannot read) to `report`. Returns the number of errors; with
 * none, `cfg` holds the file over the defaults.
 */
int config_load_all(struct config *cfg, const char *path, config_report_fn report, void *arg);
/* Whether `path` lies in folder `dir` or below, both resolved through symbolic links where
 * they exist (a file not made yet: through its folder). */
int config_path_inside(const char *path, const char *dir);
/* Every cross-field error and warning of `cfg` to `report`; returns the number of errors. */
int config_check(const struct config *cfg, config_report_fn report, void *arg);
/*
 * Prints, one line each beginning with `prefix`, where every secret that is set comes from:
 * a systemd credential (a file directly in $CREDENTIALS_DIRECTORY) or a file. An empty secret
 * setting defaults to its credential when the service has it: pepper_file to `pepper`,
 * oidc_sig_key and oidc_enc_key to `oidc-sig.pem` and `oidc-enc.pem` (with
 * oidc_authorize_url), tls_key to `tls.key` (with tls_cert), smtp_password_file to
 * `smtp-password` (with smtp_user), sms_token_file to `sms-token` (with sms_url).
 */
void config_print_secrets(const struct config *cfg, FILE *out, const char *prefix);

/* The settings whose values differ between `a` and `b`, each name once to `fn` in table
 * order (SIGHUP: what a reload leaves for a restart). Returns how many differ. */
int config_diff(const struct config *a, const struct config *b, void (*fn)(void *arg, const char *name),
		void *arg);

#endif
