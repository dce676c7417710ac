/*
 * admin_out.c - the text, data and warnings of an advicectl command's answer, and the
 * Helsinki-time formats people and scripts read (admin_out.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "admin_out.h"
#include "calendar.h"
#include "store.h"

int admin_out_open(struct admin_out *o, char **buf, size_t *len)
{
	memset(o, 0, sizeof *o);
	o->text = open_memstream(buf, len);
	o->data = json_object();
	o->warnings = json_array();
	if (o->text != NULL && o->data != NULL && o->warnings != NULL)
		return 0;
	admin_out_close(o);
	return -1;
}

int admin_out_null(struct admin_out *o)
{
	memset(o, 0, sizeof *o);
	o->text = fopen("/dev/null", "w");
	o->data = json_object();
	o->warnings = json_array();
	if (o->text != NULL && o->data != NULL && o->warnings != NULL)
		return 0;
	admin_out_close(o);
	return -1;
}

void admin_out_close(struct admin_out *o)
{
	if (o->text != NULL)
		fclose(o->text);
	json_decref(o->data);
	json_decref(o->warnings);
	json_decref(o->again);
	memset(o, 0, sizeof *o);
}

void admin_warn(struct admin_out *o, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_array_append_new(o->warnings, json_string(text));
}

void admin_data_set(struct admin_out *o, const char *key, json_t *value)
{
	if (value != NULL)
		json_object_set_new(o->data, key, value);
}

void admin_time_text(int64_t utc_ms, char out[ADMIN_TIME_TEXT])
{
	struct cal_local l;
	char date[11];

	cal_local(utc_ms, &l);
	if (l.minute == 0 && utc_ms % 60000 == 0) {
		cal_format_date(l.day - 1, date);
		snprintf(out, ADMIN_TIME_TEXT, "%s at 24:00 Helsinki time", date);
		return;
	}
	cal_format_date(l.day, date);
	snprintf(out, ADMIN_TIME_TEXT, "%s at %02u:%02u Helsinki time", date, (unsigned)l.minute / 60 % 24,
		 (unsigned)l.minute % 60);
}

void admin_time_iso(int64_t utc_ms, char out[ADMIN_TIME_ISO])
{
	struct cal_local l;
	char date[11];
	int64_t sec = utc_ms / 1000;

	cal_local(utc_ms, &l);
	cal_format_date(l.day, date);
	snprintf(out, ADMIN_TIME_ISO, "%sT%02u:%02u:%02u+%02u:00", date, (unsigned)l.minute / 60 % 24,
		 (unsigned)l.minute % 60, (unsigned)(((sec % 60) + 60) % 60),
		 (unsigned)l.offset_min / 60 % 24);
}

json_t *admin_time_json(int64_t utc_ms)
{
	char iso[ADMIN_TIME_ISO];

	if (utc_ms == 0)
		return json_null();
	admin_time_iso(utc_ms, iso);
	return json_string(iso);
}

void admin_hhmm(int minute, char out[6])
{
	unsigned m = minute < 0 ? 0u : (unsigned)minute % 6000;

	snprintf(out, 6, "%02u:%02u", m / 60, m % 60);
}

const char *admin_role_name(int role)
{
	return role == ROLE_SUPERVISOR ? "supervisor" : "worker";
}
