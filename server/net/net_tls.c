/*
 * net_tls.c - adviced's own TLS listener: the protocol versions and ciphers it accepts, and
 * the certificate reload (SIGHUP) that changes the served certificate without a restart.
 *
 * TLS 1.2 and 1.3 only. TLS 1.2 offers ECDHE key exchange with AEAD ciphers only (AES-GCM,
 * ChaCha20-Poly1305): forward secrecy, no CBC, no RSA key transport, no SHA-1 MACs. TLS 1.3's
 * suites are OpenSSL's defaults, all AEAD. No renegotiation; the server's preference wins.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "net_int.h"

#define NET_TLS12_CIPHERS                                                                                    \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"           \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

void net_tls_setup(const struct config *cfg, struct lws_context_creation_info *info)
{
	if (cfg->tls_cert[0] == '\0')
		return;
	/* HTTP/1.1 only (the h2 large-body bug of lws 4.1, and no ws-over-h2). */
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = cfg->tls_cert;
	info->ssl_private_key_filepath = cfg->tls_key;
	info->alpn = "http/1.1";
	info->ssl_cipher_list = NET_TLS12_CIPHERS;
	info->ssl_options_set = (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
				       SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

/* The first certificate of the PEM file `path`; NULL with `err` set. */
static X509 *net_tls_read_cert(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read the certificate %s", path);
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		snprintf(err, errlen, "%s holds no PEM certificate", path);
	return x;
}

/* The private key in the PEM file `path`; NULL with `err` set. */
static EVP_PKEY *net_tls_read_key(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read the private key %s", path);
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		snprintf(err, errlen, "%s holds no PEM private key", path);
	return k;
}

/*
 * Whether the files hold a certificate and the private key that belongs to it: 0, or -1
 * with the reason in `err`. A certificate outside its validity period is served (the
 * administrator decides) but logged as a warning. Checked before lws swaps them in, so that
 * a half-written or mismatched pair never replaces a working one.
 */
static int net_tls_check_pair(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	X509 *x = net_tls_read_cert(cert_path, err, errlen);
	EVP_PKEY *k = x != NULL ? net_tls_read_key(key_path, err, errlen) : NULL;
	int rc = -1;

	if (x != NULL && k != NULL) {
		if (X509_check_private_key(x, k) != 1) {
			snprintf(err, errlen, "the private key %s does not belong to the certificate %s",
				 key_path, cert_path);
		} else {
			rc = 0;
			if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
				log_warn("the certificate %s has expired", cert_path);
			else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
				log_warn("the certificate %s is not valid yet", cert_path);
		}
	}
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return rc;
}

int net_tls_reload(struct net *n, char *err, size_t errlen)
{
	const struct config *cfg = n->cfg;

	if (cfg->tls_cert[0] == '\0')
		return 1;
	if (net_tls_check_pair(cfg->tls_cert, cfg->tls_key, err, errlen) != 0)
		return -1;
	/* lws swaps them into every vhost that loaded these paths; connections open keep the
	 * certificate they were made with. */
	if (lws_tls_cert_updated(n->ctx, cfg->tls_cert, cfg->tls_key, NULL, 0, NULL, 0) != 0) {
		snprintf(err, errlen, "the TLS library refused %s", cfg->tls_cert);
		return -1;
	}
	return 0;
}
