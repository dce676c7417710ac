/*
 * net.h - the network layer of adviced: one libwebsockets context serving the static
 * client, the HTTP login API and the WebSocket protocol advice.v1 on one port.
 *
 * Everything here runs on the one lws service thread, except net_wake(),
 * net_request_stop() and net_request_reload(), which other threads and signal handlers may
 * call. Requests go to the
 * core thread through dispatch.h; replies come back through dispatch_take() after the core
 * thread wakes the loop with net_wake().
 */
#ifndef ADVICE_NET_H
#define ADVICE_NET_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct dispatch;
struct store;
struct net;

/*
 * Whether a listener can be bound at `listen_addr` (empty: every address) and `port` now:
 * 0, or -1 with one plain sentence in `err` ("cannot listen on 127.0.0.1:8080: the address
 * is already in use ..."). Called before net_new, whose bind failure lws reports obscurely.
 */
int net_listen_check(const char *listen_addr, int port, char *err, size_t errlen);

/*
 * Creates the lws context (one vhost, one port) from `cfg`, which must outlive the net.
 * `ro_store` is a read-only store used only on the service thread to check the session at
 * a WebSocket upgrade; `pepper` keys the hash of the session cookie (core_session_hash).
 * Returns NULL on failure (logged).
 */
struct net *net_new(const struct config *cfg, const uint8_t pepper[32], struct store *ro_store);

/* Thread-safe: wakes the service loop (lws_cancel_service). The wake function given to
 * dispatch_start(), with the net as its argument. */
void net_wake(void *net);

/*
 * Serves until net_request_stop(); then drains: new requests and upgrades are refused,
 * it waits until dispatch_pending(d) == 0 and every reply and outbound queue is flushed
 * (at most cfg->shutdown_grace_s), then closes the WebSockets with 1001. Returns 0, or -1
 * when the service loop failed.
 */
int net_run(struct net *n, struct dispatch *d);

/* Async-signal-safe: sets the stop flag and wakes the loop. */
void net_request_stop(struct net *n);

/* Async-signal-safe: asks the service thread to run the reload function (net_set_reload)
 * at its next wake-up (SIGHUP). Ignored while draining. */
void net_request_reload(struct net *n);
/* The function the service thread runs for net_request_reload(), with `arg`; NULL: none. */
void net_set_reload(struct net *n, void (*fn)(void *arg), void *arg);
/*
 * Service thread only (from the reload function): reads the certificate and private key
 * files the configuration names (tls_cert, tls_key) again and serves them to new
 * connections; connections already open keep theirs. The pair is checked first (readable,
 * the key belongs to the certificate), so a bad pair never replaces the one served. Returns
 * 0 when reloaded, 1 when the listener has no TLS, -1 with the reason in `err` (the old
 * pair still served).
 */
int net_tls_reload(struct net *n, char *err, size_t errlen);

struct oidc_config;
struct oidc_worker;
/* Enables the bank-ID login endpoints with cfg and its back-channel worker (both must
 * outlive the net), limited per client address by the configuration's oidc_rate_*; NULL,
 * NULL disables them. Call before net_run. 0, or -1 when out of memory (left disabled). */
int net_set_oidc(struct net *n, struct oidc_config *cfg, struct oidc_worker *w);

/* The register document GET /api/v1/register answers (JSON bytes, copied), limited per
 * client address as the front page's data is. Call before net_run. 0, or -1 when out of
 * memory. Without it the path answers 404. */
int net_set_register(struct net *n, const char *json, size_t len);

struct presence;
/* Keeps `p` (which must outlive the net) up to date with the topics that have a subscriber,
 * for the core (presence.h). Call before net_run; NULL: none is kept. */
void net_set_presence(struct net *n, struct presence *p);

/* Destroys the context (closing any connection left) and frees the net. NULL is ignored. */
void net_free(struct net *n);

#endif
