/*
 * oidc_discovery.h - compares the identity provider's discovery document (OpenID Connect
 * Discovery 1.0, /.well-known/openid-configuration) with our bank-ID login settings, for
 * `adviced --check-config --fetch-discovery`.
 */
#ifndef ADVICE_OIDC_DISCOVERY_H
#define ADVICE_OIDC_DISCOVERY_H

#include <stddef.h>

/* What the settings say (idp_issuer and the oidc_*_url settings); empty strings are not compared. */
struct oidc_discovery_expect {
	const char *issuer;
	const char *authorize_url;
	const char *token_url;
	const char *jwks_url;
};

/* Takes one problem found (a sentence without the document's address). */
typedef void (*oidc_discovery_report_fn)(void *arg, const char *problem);

/* The discovery document's address for an issuer: <issuer>/.well-known/openid-configuration
 * (without a doubled slash) into `out`; 0, or -1 when it does not fit. */
int oidc_discovery_url(const char *issuer, char *out, size_t size);

/*
 * Fetches the document at `url` and reports each difference from `want`: the issuer must be
 * equal; each endpoint equal, or differ only by naming this machine otherwise (localhost,
 * 127.0.0.1, [::1]). Then fetches the JWKS at want->jwks_url (or the document's jwks_uri) and
 * reports when it holds no usable key. A failed fetch or a document that is not a JSON
 * object is one problem. Needs curl_global_init. Returns the number of problems.
 */
int oidc_discovery_check(const char *url, const struct oidc_discovery_expect *want,
			 oidc_discovery_report_fn report, void *arg);

#endif
