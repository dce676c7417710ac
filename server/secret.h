/*
 * secret.h - reading a secret from a file only its owner can read: the pepper, the bank-ID
 * private keys, the notification relays' password and token, an admin's key file.
 */
#ifndef ADVICE_SECRET_H
#define ADVICE_SECRET_H

#include <stddef.h>

/*
 * Reads the whole file at `path` into `buf` (at most `max` bytes) and sets *len. Refuses a
 * symbolic link, a file that its group or others may read or write ("chmod 600"), an empty
 * file and one longer than `max`. Returns 0, or -1 with the reason (naming the path) in err.
 * The caller wipes `buf` when it is done with the secret.
 */
int secret_file_read(const char *path, void *buf, size_t max, size_t *len, char *err, size_t errlen);
/* The same, but a file directly in the service's systemd credentials folder
 * ($CREDENTIALS_DIRECTORY, which only the service may read) is taken whatever its mode. */
int secret_credential_read(const char *path, void *buf, size_t max, size_t *len, char *err, size_t errlen);

#endif
