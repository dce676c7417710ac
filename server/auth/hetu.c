/*
 * hetu.c - validation of the Finnish personal identity code (see hetu.h for the rules).
 *
 * Pure functions over a byte buffer: no allocation, no logging (codes are personal data).
 */
#include <string.h>
#include <time.h>

#include "hetu.h"

#define HETU_POS_SIGN  6
#define HETU_POS_CHECK 10
#define HETU_UNIX_MAX  253402300799LL /* 9999-12-31T23:59:59Z */

static const char hetu_check_chars[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";

static int hetu__is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Two ASCII digits at `p` as a number; the caller has checked they are digits. */
static int hetu__two_digits(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* The century (1800, 1900, 2000) of a century sign, or -1 when `c` is not a sign. */
static int hetu__century(char c)
{
	switch (c) {
	case '+': return 1800;
	case '-':
	case 'Y':
	case 'X':
	case 'W':
	case 'V':
	case 'U': return 1900;
	case 'A':
	case 'B':
	case 'C':
	case 'D':
	case 'E':
	case 'F': return 2000;
	default: return -1;
	}
}

/*
 * Checks the shape: 11 bytes, digits at 0-5 and 7-9, a century sign at 6 and a character
 * of the check table at 10. Returns 0 when clean, -1 otherwise.
 */
static int hetu__check_format(const char *code, size_t len)
{
	if (code == NULL || len != HETU_LEN)
		return -1;
	for (size_t i = 0; i < HETU_LEN; i++) {
		if (i == HETU_POS_SIGN || i == HETU_POS_CHECK)
			continue;
		if (!hetu__is_digit(code[i]))
			return -1;
	}
	if (hetu__century(code[HETU_POS_SIGN]) < 0)
		return -1;
	/* memchr, not strchr: strchr would find the table's terminating NUL. */
	if (memchr(hetu_check_chars, code[HETU_POS_CHECK], sizeof hetu_check_chars - 1) == NULL)
		return -1;
	return 0;
}

static int hetu__is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int hetu__days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && hetu__is_leap(year))
		return 29;
	return days[month - 1];
}

/* The birth date of a format-clean code as YYYYMMDD, or -1 when it is not a real date. */
static int hetu__date(const char *code)
{
	int day = hetu__two_digits(code);
	int month = hetu__two_digits(code + 2);
	int year = hetu__century(code[HETU_POS_SIGN]) + hetu__two_digits(code + 4);

	if (month < 1 || month > 12)
		return -1;
	if (day < 1 || day > hetu__days_in_month(year, month))
		return -1;
	return year * 10000 + month * 100 + day;
}

/* The individual number ZZZ of a format-clean code. */
static int hetu__individual(const char *code)
{
	return (code[7] - '0') * 100 + hetu__two_digits(code + 8);
}

/* The expected check character of a format-clean code: DDMMYYZZZ mod 31 in the table. */
static char hetu__expected_check(const char *code)
{
	unsigned long n = 0;

	for (size_t i = 0; i < 10; i++) {
		if (i == HETU_POS_SIGN)
			continue; /* the century sign is not covered by the check character */
		n = n * 10 + (unsigned long)(code[i] - '0');
	}
	return hetu_check_chars[n % 31];
}

int hetu_check(const char *code, size_t len, int test_mode, int today_ymd)
{
	int ymd, individual;

	if (hetu__check_format(code, len) != 0)
		return HETU_BAD_FORMAT;
	ymd = hetu__date(code);
	if (ymd < 0 || ymd > today_ymd)
		return HETU_BAD_DATE;
	individual = hetu__individual(code);
	if (individual < 2)
		return HETU_BAD_INDIVIDUAL;
	if (code[HETU_POS_CHECK] != hetu__expected_check(code))
		return HETU_BAD_CHECK;
	if (!test_mode && individual >= 900)
		return HETU_TEST_CODE;
	if (test_mode && individual < 900)
		return HETU_REAL_CODE;
	return HETU_OK;
}

const char *hetu_result_text(int r)
{
	switch (r) {
	case HETU_OK: return "ok";
	case HETU_BAD_FORMAT: return "malformed identity code";
	case HETU_BAD_DATE: return "invalid birth date in identity code";
	case HETU_BAD_CHECK: return "identity code check character mismatch";
	case HETU_BAD_INDIVIDUAL: return "invalid individual number in identity code";
	case HETU_TEST_CODE: return "test identity code refused in production";
	case HETU_REAL_CODE: return "real identity code refused in test mode";
	default: return "unknown";
	}
}

int hetu_birth_ymd(const char *code, size_t len)
{
	if (hetu__check_format(code, len) != 0)
		return -1;
	return hetu__date(code);
}

int hetu_ymd_from_unix(int64_t t)
{
	time_t tt;
	struct tm tm;

	if (t < 0 || t > HETU_UNIX_MAX)
		return -1;
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}
