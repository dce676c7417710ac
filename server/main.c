/*
 * main.c - adviced: reads the configuration and secrets, opens the store, starts the core
 * thread and serves until SIGTERM or SIGINT, then finishes pending commits and exits. SIGHUP
 * reloads the TLS certificate and the log level (reload_on_hup).
 *
 *   adviced -c FILE [-p PORT] [--check-config [--fetch-discovery[=URL]]] | --help-config[=man] | --version
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "admin_sock.h"
#include "backup.h"
#include "blobs.h"
#include "config.h"
#include "core.h"
#include "datalock.h"
#include "dispatch.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "notify.h"
#include "oidc.h"
#include "oidc_discovery.h"
#include "presence.h"
#include "register.h"
#include "schema.h"
#include "sdnotify.h"
#include "secret.h"
#include "store.h"
#include "store_fault.h"
#include "token.h"

static struct net *volatile the_net;	     /* for the signal handler only */
static volatile sig_atomic_t stop_signalled; /* a stop signal came before the_net was set */

static void on_stop_signal(int sig)
{
	struct net *n = the_net;

	(void)sig;
	stop_signalled = 1;
	if (n != NULL)
		net_request_stop(n);
}

/* SIGHUP: the service thread reloads (reload_on_hup); none before the listener exists. */
static void on_reload_signal(int sig)
{
	struct net *n = the_net;

	(void)sig;
	if (n != NULL)
		net_request_reload(n);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: adviced -c FILE [-p PORT] [--check-config [--fetch-discovery[=URL]]] "
		   "| --help-config[=man] | --version\n"
		   "  --check-config     report every problem of the configuration and exit (1 if any)\n"
		   "  --fetch-discovery  also compare the identity provider's discovery document\n"
		   "                     (default URL: <idp_issuer>/.well-known/openid-configuration)\n"
		   "  --help-config      every setting, its default and whether it is required\n"
		   "                     (=man: as the manual page adviced.conf(5), in roff)\n"
		   "  --version          the version\n");
}

/* fatal(): start-up errors only. */
static void __attribute__((noreturn, format(printf, 1, 2))) fatal(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	exit(1);
}

/* Reads the 32-byte pepper; refuses a file others can read (but for a systemd credential). 0
 * or -1 with a reason. */
static int read_pepper(const char *path, uint8_t out[32], char *err, size_t errlen)
{
	size_t len;

	if (secret_credential_read(path, out, 32, &len, err, errlen) != 0)
		return -1;
	if (len != 32) {
		snprintf(err, errlen, "%.200s: must hold exactly 32 bytes", path);
		return -1;
	}
	return 0;
}

struct options {
	const char *config;
	int port;
	int check_only;
	int fetch_discovery;
	const char *discovery_url; /* NULL: from idp_issuer */
};

/* -p's port: 1..65535, or a clear message and exit 2. */
static int parse_port(const char *text)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || n < 1 || n > 65535) {
		fprintf(stderr, "adviced: -p PORT is a number from 1 to 65535, not '%s'\n", text);
		exit(2);
	}
	return (int)n;
}

/* --help-config: the settings in short, or with =man as the manual page adviced.conf(5). */
static void print_config_help(const char *form)
{
	if (form == NULL) {
		config_print_help();
	} else if (strcmp(form, "man") == 0) {
		config_print_man(stdout, ADVICE_VERSION);
	} else {
		fprintf(stderr, "adviced: --help-config takes =man or nothing, not '%s'\n", form);
		exit(2);
	}
}

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "help-config", optional_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "fetch-discovery", optional_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof *o);
	while ((ch = getopt_long(argc, argv, "c:p:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'p': o->port = parse_port(optarg); break;
		case 'n': o->check_only = 1; break;
		case 'D':
			o->fetch_discovery = 1;
			o->discovery_url = optarg;
			break;
		case 'H': print_config_help(optarg); exit(0);
		case 'h': usage(stdout); exit(0);
		case 'V': printf("adviced %s\n", ADVICE_VERSION); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (o->config == NULL || optind != argc || (o->fetch_discovery && !o->check_only)) {
		usage(stderr);
		exit(2);
	}
}

/* Prints a configuration problem: plain lines for --check-config, else to the log. */
static void config_problem(void *arg, int warning, const char *problem)
{
	const struct options *o = arg;

	if (o->check_only)
		fprintf(stderr, "%s: %s%s\n", o->config, warning ? "warning: " : "", problem);
	else if (warning)
		log_warn("%s: %s", o->config, problem);
	else
		log_err("%s: %s", o->config, problem);
}

/* Reads and checks the configuration, every problem reported; exits 1 when there are errors. */
static void read_config(const struct options *o, struct config *cfg)
{
	int errors;

	config_defaults(cfg);
	errors = config_load_all(cfg, o->config, config_problem, (void *)o);
	if (o->port)
		cfg->port = o->port;
	errors += config_check(cfg, config_problem, (void *)o);
	if (errors > 0)
		fatal("%s: %d problem%s; adviced --help-config describes every setting", o->config, errors,
		      errors == 1 ? "" : "s");
}

/* What a SIGHUP reload works on: the options (the file's path) and the running settings. */
struct reload_state {
	const struct options *o;
	struct config *cfg;
};

static void reload_needs_restart(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "log_level") != 0)
		log_warn("reload: %s changed; it takes effect at a restart", name);
}

/*
 * SIGHUP, on the service thread: reads the configuration file again and applies log_level,
 * names every other setting that changed (those need a restart), and reloads the TLS
 * certificate and key from their files (net_tls_reload). A file with errors changes nothing
 * but the certificate. Tells systemd RELOADING=1 before and READY=1 after.
 */
static void reload_on_hup(void *arg)
{
	struct reload_state *r = arg;
	struct config *fresh = malloc(sizeof *fresh);
	char err[512];
	int errors, rc;

	sdnotify_reloading();
	log_notice("reload: reading %s", r->o->config);
	if (fresh != NULL) {
		config_defaults(fresh);
		errors = config_load_all(fresh, r->o->config, config_problem, (void *)r->o);
		if (r->o->port)
			fresh->port = r->o->port;
		errors += config_check(fresh, config_problem, (void *)r->o);
		if (errors > 0) {
			log_err("reload: %s has %d problem%s; the settings stay as they were", r->o->config,
				errors, errors == 1 ? "" : "s");
		} else {
			config_diff(r->cfg, fresh, reload_needs_restart, NULL);
			if (strcmp(fresh->log_level, r->cfg->log_level) != 0) {
				log_set_level((enum log_level)log_level_parse(fresh->log_level));
				memcpy(r->cfg->log_level, fresh->log_level, sizeof r->cfg->log_level);
			}
			log_notice("reload: log level %s", r->cfg->log_level);
		}
		free(fresh);
	} else {
		log_err("reload: out of memory; the settings stay as they were");
	}
	rc = net_tls_reload(the_net, err, sizeof err);
	if (rc == 0)
		log_notice("reload: TLS certificate %s and key reloaded", r->cfg->tls_cert);
	else if (rc < 0)
		log_err("reload: TLS certificate not reloaded (the one served stays): %s", err);
	sdnotify_ready();
}

static void discovery_problem(void *arg, const char *problem)
{
	config_problem(arg, 0, problem);
}

/* --fetch-discovery: the provider's discovery document and keys against the settings;
 * exits 1 when they differ. */
static void check_discovery(const struct options *o, const struct config *cfg)
{
	const struct oidc_discovery_expect want = { cfg->idp_issuer, cfg->oidc_authorize_url,
						    cfg->oidc_token_url, cfg->oidc_jwks_url };
	char url[600];
	int problems;

	if (o->discovery_url != NULL)
		snprintf(url, sizeof url, "%s", o->discovery_url);
	else if (oidc_discovery_url(cfg->idp_issuer, url, sizeof url) != 0)
		fatal("%s: idp_issuer too long for a discovery address", o->config);
	problems = oidc_discovery_check(url, &want, discovery_problem, (void *)o);
	if (problems > 0)
		fatal("%s: %d difference%s from the identity provider's discovery document %s", o->config,
		      problems, problems == 1 ? "" : "s", url);
	printf("%s: matches the identity provider's discovery document %s\n", o->config, url);
}

static void load_token_config(const struct config *cfg, struct token_config *tc)
{
	char err[256];

	memset(tc, 0, sizeof *tc);
	snprintf(tc->issuer, sizeof tc->issuer, "%s", cfg->idp_issuer);
	snprintf(tc->audience, sizeof tc->audience, "%s", cfg->idp_audience);
	snprintf(tc->hetu_claim, sizeof tc->hetu_claim, "%s", cfg->idp_hetu_claim);
	snprintf(tc->acr_values, sizeof tc->acr_values, "%s", cfg->oidc_acr_values);
	tc->skew_s = cfg->token_skew_s;
	tc->max_age_s = cfg->token_max_age_s;
	tc->test_mode = cfg->test_mode;
	if (cfg->idp_keys_file[0] == '\0')
		return; /* bank-ID login only: its keys come from the JWKS */
	if (token_keys_load(cfg->idp_keys_file, &tc->keys, &tc->nkeys, err, sizeof err) != 0)
		fatal("identity provider keys: %s", err);
}

/* The bank-ID relying party from the configuration; 0 when it is configured, 1 when not. */
static int load_oidc_config(const struct config *cfg, struct oidc_config *oc)
{
	char err[256];
	int ftn = strcmp(cfg->oidc_profile, "ftn") == 0;

	memset(oc, 0, sizeof *oc);
	if (cfg->oidc_authorize_url[0] == '\0')
		return 1;
	snprintf(oc->issuer, sizeof oc->issuer, "%s", cfg->idp_issuer);
	snprintf(oc->client_id, sizeof oc->client_id, "%s", cfg->idp_audience);
	snprintf(oc->authorize_url, sizeof oc->authorize_url, "%s", cfg->oidc_authorize_url);
	snprintf(oc->token_url, sizeof oc->token_url, "%s", cfg->oidc_token_url);
	snprintf(oc->jwks_url, sizeof oc->jwks_url, "%s", cfg->oidc_jwks_url);
	snprintf(oc->redirect_uri, sizeof oc->redirect_uri, "%s", cfg->oidc_redirect_uri);
	snprintf(oc->scope, sizeof oc->scope, "%s", cfg->oidc_scope);
	snprintf(oc->acr_values, sizeof oc->acr_values, "%s", cfg->oidc_acr_values);
	snprintf(oc->ui_locales, sizeof oc->ui_locales, "%s", cfg->oidc_ui_locales);
	oc->use_request_object = ftn;
	oc->require_encryption = ftn;
	oc->jwks_refetch_s = cfg->oidc_jwks_refetch_s;
	snprintf(oc->token.issuer, sizeof oc->token.issuer, "%s", cfg->idp_issuer);
	snprintf(oc->token.audience, sizeof oc->token.audience, "%s", cfg->idp_audience);
	snprintf(oc->token.hetu_claim, sizeof oc->token.hetu_claim, "%s", cfg->idp_hetu_claim);
	snprintf(oc->token.acr_values, sizeof oc->token.acr_values, "%s", cfg->oidc_acr_values);
	oc->token.skew_s = cfg->token_skew_s;
	oc->token.max_age_s = cfg->token_max_age_s;
	oc->token.test_mode = cfg->test_mode;
	if (oidc_config_load_keys(oc, cfg->oidc_sig_key, cfg->oidc_enc_key, err, sizeof err) != 0)
		fatal("bank-ID login keys: %s", err);
	return 0;
}

/* What the admin socket's "backup" copies: this server's files (backup.h). 0 or -1. */
static int set_backup(struct admin_sock *admin, const struct config *cfg, const struct core_config *cc,
		      const char *config_file)
{
	const struct backup_source src = {
		.data_dir = cfg->data_dir,
		.database = cfg->database,
		.shred_database = cfg->shred_database,
		.blob_dir = cc->blob_dir,
		.config_file = config_file,
		.register_file = cfg->register_file,
		.version = ADVICE_VERSION,
	};

	return admin_sock_set_backup(admin, &src);
}

static void core_config_from(const struct config *cfg, const struct token_config *tc,
			     const struct schema *schema, struct core_config *cc)
{
	char err[256];

	memset(cc, 0, sizeof *cc);
	cc->token = tc;
	cc->schema = schema;
	if (read_pepper(cfg->pepper_file, cc->pepper, err, sizeof err) != 0)
		fatal("pepper: %s", err);
	cc->citizen_idle_ms = cfg->citizen_idle_s * 1000LL;
	cc->citizen_abs_ms = cfg->citizen_abs_s * 1000LL;
	cc->staff_idle_ms = cfg->staff_idle_s * 1000LL;
	cc->staff_abs_ms = cfg->staff_abs_s * 1000LL;
	cc->backoff_after = cfg->backoff_after;
	cc->lock_after = cfg->lock_after;
	cc->backoff_max_ms = cfg->backoff_max_s * 1000LL;
	cc->lock_ms = cfg->lock_s * 1000LL;
	cc->staff_totp_required = cfg->staff_totp_required;
	cc->password_max_age_ms = cfg->password_max_age_days * 86400000LL;
	cc->session_check_ms = cfg->session_check_s * 1000LL;
	cc->session_warn_ms = cfg->session_warn_s * 1000LL;
	cc->request_keep_ms = cfg->request_keep_s * 1000LL;
	cc->session_keep_ms = cfg->session_keep_s * 1000LL;
	cc->test_mode = cfg->test_mode;
	snprintf(cc->blob_dir, sizeof cc->blob_dir, "%.500s/blobs", cfg->data_dir);
	cc->require_envelopes = cfg->require_envelopes;
	cc->citizen_open_threads = cfg->citizen_open_threads;
	cc->device_idle_ms = cfg->device_idle_days * 86400000LL;
	cc->citizen_threads_per_day = cfg->citizen_threads_per_day;
	cc->citizen_bytes_per_day = cfg->citizen_bytes_per_day;
	snprintf(cc->service.exit_url, sizeof cc->service.exit_url, "%s", cfg->exit_url);
	snprintf(cc->service.emergency_number, sizeof cc->service.emergency_number, "%s",
		 cfg->emergency_number);
	snprintf(cc->service.social_emergency_number, sizeof cc->service.social_emergency_number, "%s",
		 cfg->social_emergency_number);
	snprintf(cc->service.controller_name, sizeof cc->service.controller_name, "%s", cfg->controller_name);
	snprintf(cc->service.privacy_contact, sizeof cc->service.privacy_contact, "%s", cfg->privacy_contact);
	snprintf(cc->service.accessibility_contact, sizeof cc->service.accessibility_contact, "%s",
		 cfg->accessibility_contact);
	for (int i = 0; i < 3; i++) {
		snprintf(cc->ack_text[i], sizeof cc->ack_text[i], "%s", cfg->ack_text[i]);
		snprintf(cc->emergency_text[i], sizeof cc->emergency_text[i], "%s", cfg->emergency_text[i]);
	}
}

/* notify_config.run: the notifier's transaction as a CORE_REQ_CALL on the core thread,
 * committed with its batch before this returns. 0, or -1 when it did not commit. */
static int run_on_core(void *arg, int (*fn)(void *), void *fn_arg)
{
	struct core_request *r = core_request_new(CORE_REQ_CALL, 0, "", 0);
	struct core_reply *rep;
	int rc;

	if (r == NULL)
		return -1;
	r->call = fn;
	r->call_arg = fn_arg;
	rep = dispatch_call(arg, r);
	rc = rep != NULL && rep->http_status == 200 ? 0 : -1;
	core_reply_free(rep);
	return rc;
}

static int file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/*
 * --check-config's look at the store: opened read-only, it changes nothing. A database
 * another process has open (its -wal and -shm are there) is read beside it; otherwise it
 * is read as immutable, which opens no -wal or -shm, under the data folder's shared lock
 * when there is one to take. Returns 0, or exits with the reason.
 */
static int check_store(const struct config *cfg)
{
	char wal[CONFIG_PATH_MAX + 8], shm[CONFIG_PATH_MAX + 8], err[512];
	int lock = datalock_take(cfg->data_dir, DATALOCK_SHARED, err, sizeof err);
	struct store *st;

	if (lock == -1)
		fatal("%s", err);
	snprintf(wal, sizeof wal, "%s-wal", cfg->database);
	snprintf(shm, sizeof shm, "%s-shm", cfg->database);
	if (!file_exists(cfg->database)) {
		printf("%s: no database yet (adviced creates it when it starts)\n", cfg->database);
	} else {
		st = store_sqlite_open(cfg->database, file_exists(wal) && file_exists(shm) ? STORE_READONLY
											   : STORE_IMMUTABLE);
		if (st == NULL)
			fatal("cannot open the store %s read-only", cfg->database);
		st->ops->close(st);
	}
	if (lock >= 0)
		close(lock);
	return 0;
}

/* The register file (or the embedded demo register), checked; exits with the problem and its
 * JSON path when it is not right. */
static struct register_doc *load_register(const struct config *cfg)
{
	struct register_doc *reg;
	char err[600];

	if (register_load(cfg->register_file, &reg, err, sizeof err) != 0)
		fatal("register_file: %s", err);
	return reg;
}

/* The bytes GET /api/v1/register answers: {"type": "ok", ...the document}. malloc'd. */
static char *register_reply(const struct register_doc *reg)
{
	json_t *o = json_deep_copy(reg->doc);
	char *text;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "type", json_string("ok"));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* Takes the data folder for this adviced (datalock.h), or exits saying who has it. */
static int own_data_folder(const struct config *cfg)
{
	char err[512];
	int fd = datalock_take(cfg->data_dir, DATALOCK_EXCLUSIVE, err, sizeof err);

	if (fd == DATALOCK_BUSY)
		fatal("the data folder %s is in use by another adviced or an offline advicectl command",
		      cfg->data_dir);
	if (fd < 0)
		fatal("%s", err);
	return fd;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct config cfg;
	struct token_config tc;
	struct oidc_config oc;
	struct oidc_worker *ow = NULL;
	struct notifier *notifier = NULL;
	struct core_config cc;
	struct schema *schema;
	struct register_doc *reg;
	char *reg_reply;
	struct store *st, *ro;
	struct core *core;
	struct presence *presence;
	struct dispatch *d;
	struct admin_sock *admin;
	struct sigaction sa;
	struct reload_state reload = { &opt, &cfg };
	char err[512];
	int lock;
	size_t swept;

	parse_args(argc, argv, &opt);
	read_config(&opt, &cfg);
	/* Before anything is opened: a port in use is said plainly (lws's bind error is not). */
	if (!opt.check_only && net_listen_check(cfg.listen, cfg.port, err, sizeof err) != 0)
		fatal("%s", err);
	if (!opt.check_only && cfg.metrics_port != 0 &&
	    net_listen_check(cfg.metrics_listen, cfg.metrics_port, err, sizeof err) != 0)
		fatal("metrics_port: %s", err);
	log_set_level((enum log_level)log_level_parse(cfg.log_level));
	if (sodium_init() < 0)
		fatal("libsodium cannot start");
	schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	if (schema == NULL)
		fatal("protocol schema: %s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatal("libcurl cannot start");
	load_token_config(&cfg, &tc);
	if (load_oidc_config(&cfg, &oc) == 0 && opt.check_only == 0)
		log_notice("bank-ID login: %s profile, client %s", cfg.oidc_profile, oc.client_id);
	core_config_from(&cfg, &tc, schema, &cc);
	reg = load_register(&cfg);
	cc.reg = reg;
	if (store_fault_setup() < 0)
		fatal("bad fault injection setting");
	if (opt.check_only) {
		if (notify_setup(&cfg, NULL, NULL, NULL, 0, &notifier, err, sizeof err) != 0)
			fatal("notifications: %s", err);
		check_store(&cfg);
		notify_free(notifier);
		if (opt.fetch_discovery)
			check_discovery(&opt, &cfg);
		config_print_secrets(&cfg, stdout, opt.config);
		printf("%s: register %s checked\n", opt.config,
		       cfg.register_file[0] ? cfg.register_file : "(the embedded demo register)");
		printf("%s: configuration OK\n", opt.config);
		register_free(reg);
		token_keys_free(tc.keys, tc.nkeys);
		oidc_config_free(&oc);
		schema_free(schema);
		curl_global_cleanup();
		return 0;
	}
	lock = own_data_folder(&cfg);
	if ((st = store_sqlite_open_shred(cfg.database, cfg.shred_database, STORE_READWRITE)) == NULL)
		fatal("cannot open the store %s (shred store %s)", cfg.database, cfg.shred_database);
	if (store_sqlite_set_wal_limits(st, (int64_t)cfg.wal_limit_mb << 20, cfg.wal_idle_s * 1000LL) != 0)
		fatal("cannot bound the store's WAL");
	if ((ro = store_sqlite_open(cfg.database, STORE_READONLY)) == NULL)
		fatal("cannot open the store %s read-only", cfg.database);
	metrics_start(ADVICE_VERSION); /* before the core counts its first request */
	if ((presence = presence_new()) == NULL)
		fatal("out of memory");
	cc.presence = presence;
	if ((core = core_new(st, &cc)) == NULL)
		fatal("out of memory");
	/* Before any chunk is written: blobs whose upload went while their chunk was being written
	 * when the server stopped. A failure leaves them for the next start and goes on (logged). */
	if (blobs_sweep(st, cc.blob_dir, &swept) != 0)
		log_warn("the blob folder was not swept for attachments without an upload");
	sodium_memzero(cc.pepper, sizeof cc.pepper);
	/* The handlers go in before the port opens: a stop signal from then on, even one that
	 * arrives before the_net is set, ends the server through the drain below. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A reload comes while serving: calls it interrupts in other threads are restarted. */
	sa.sa_handler = on_reload_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if ((the_net = net_new(&cfg, core_config_pepper(core), ro)) == NULL)
		fatal("cannot start the network layer");
	net_set_presence(the_net, presence);
	net_set_reload(the_net, reload_on_hup, &reload);
	if ((reg_reply = register_reply(reg)) == NULL ||
	    net_set_register(the_net, reg_reply, strlen(reg_reply)) != 0)
		fatal("out of memory for the register document");
	free(reg_reply);
	if (stop_signalled)
		net_request_stop(the_net);
	if ((d = dispatch_start(core, st, (size_t)cfg.max_pending, net_wake, the_net)) == NULL)
		fatal("cannot start the core thread");
	/* The notifier's outbox work runs through dispatch on the one writer (run_on_core). */
	if (notify_setup(&cfg, st, run_on_core, d, 1, &notifier, err, sizeof err) != 0)
		fatal("notifications: %s", err);
	if ((admin = admin_sock_start(cfg.admin_socket, d, err, sizeof err)) == NULL)
		fatal("%s", err);
	if (set_backup(admin, &cfg, &cc, opt.config) != 0)
		fatal("out of memory");
	if (oc.sig_key != NULL) {
		if ((ow = oidc_worker_start(&oc, net_wake, the_net)) == NULL ||
		    net_set_oidc(the_net, &oc, ow) != 0)
			fatal("cannot start the bank-ID login thread");
	}

	log_notice("serving on %s:%d (%s)", cfg.listen, cfg.port, cfg.test_mode ? "test mode" : "production");
	sdnotify_ready();
	sdnotify_status("serving on %s:%d", cfg.listen, cfg.port);
	net_run(the_net, d);
	sdnotify_stopping();
	sdnotify_status("stopping: finishing pending commits");
	oidc_worker_stop(ow);	/* before the net: it wakes the net */
	admin_sock_stop(admin); /* before the dispatcher: it submits */
	notify_free(notifier);
	net_set_oidc(the_net, NULL, NULL);
	dispatch_stop(d); /* commits whatever is still pending */
	net_free(the_net);
	the_net = NULL;
	core_free(core);
	presence_free(presence);
	ro->ops->close(ro);
	st->ops->close(st);
	close(lock); /* the data folder is free once the store is closed */
	token_keys_free(tc.keys, tc.nkeys);
	oidc_config_free(&oc);
	curl_global_cleanup();
	schema_free(schema);
	register_free(reg);
	log_notice("stopped");
	return 0;
}
