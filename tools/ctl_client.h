/*
 * ctl_client.h - advicectl's commands that act as a worker's client of the server at a URL,
 * through libadvice only: `login` (also a new account's first login with its setup code) and
 * `request` (one protocol request as that worker). No data folder is involved.
 */
#ifndef ADVICE_CTL_CLIENT_H
#define ADVICE_CTL_CLIENT_H

/*
 * login URL USERNAME [--totp CODE] [--setup-code CODE] (argv[0] is "login"). The password
 * comes from standard input (asked twice, unechoed, for a new one on a terminal); the
 * second factor's code from --totp or, when the server asks for it, from standard input.
 * With --setup-code: chooses the password, enrols the second factor (prints its otpauth://
 * URI and secret), confirms it with a code and says what comes next. An account without a
 * second factor enrols one the same way. Prints the welcome, then logs out.
 * Returns the exit status: 0 done, 1 refused or failed (the reason on stderr), 2 wrong
 * arguments.
 */
int ctl_client_login(int argc, char **argv);

/*
 * request URL USERNAME TYPE [JSON] [--totp CODE] (argv[0] is "request"): logs in as login
 * does (no enrolment), sends one request of TYPE with the fields of the JSON object (default
 * {}), prints an ok reply as indented JSON on stdout and logs out. Returns 0 for an ok reply;
 * 1 for an error reply (its code and reason on stderr) or a failed login; 2 for wrong
 * arguments or a JSON argument that is not an object without "type" and "id" (nothing is
 * sent then, not even the login).
 */
int ctl_client_request(int argc, char **argv);

#endif
