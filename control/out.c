// SPDX-License-Identifier: BSD-2-Clause
/* out.c - text/JSON output with one code path per field. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "out.h"

#define OUT_MAX_DEPTH 16

static bool json_mode;
static int depth;
static bool need_comma[OUT_MAX_DEPTH];

void out_init(bool json)
{
	json_mode = json;
	depth = 0;
	need_comma[0] = false;
}

bool out_is_json(void)
{
	return json_mode;
}

static void json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Comma and key before a value at the current level. */
static void json_key(const char *key)
{
	if (need_comma[depth])
		fputc(',', stdout);
	need_comma[depth] = true;
	if (key) {
		json_escape(stdout, key);
		fputc(':', stdout);
	}
}

static void json_push(char c)
{
	fputc(c, stdout);
	if (depth < OUT_MAX_DEPTH - 1)
		depth++;
	need_comma[depth] = false;
}

void out_obj_open(const char *key)
{
	if (!json_mode)
		return;
	json_key(key);
	json_push('{');
}

void out_obj_close(void)
{
	if (!json_mode)
		return;
	fputc('}', stdout);
	if (depth > 0)
		depth--;
}

void out_arr_open(const char *key)
{
	if (!json_mode)
		return;
	json_key(key);
	json_push('[');
}

void out_arr_close(void)
{
	if (!json_mode)
		return;
	fputc(']', stdout);
	if (depth > 0)
		depth--;
}

void out_str(const char *key, const char *fmt, const char *val)
{
	if (json_mode) {
		json_key(key);
		json_escape(stdout, val ? val : "");
	} else if (fmt) {
		printf(fmt, val ? val : "");
	}
}

void out_u64(const char *key, const char *fmt, unsigned long long val)
{
	if (json_mode) {
		json_key(key);
		printf("%llu", val);
	} else if (fmt) {
		printf(fmt, val);
	}
}

void out_bool(const char *key, const char *fmt, bool val)
{
	if (json_mode) {
		json_key(key);
		fputs(val ? "true" : "false", stdout);
	} else if (fmt) {
		printf(fmt, val ? "yes" : "no");
	}
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void out_end(void)
{
	if (json_mode && depth == 0 && need_comma[0])
		fputc('\n', stdout);
	need_comma[0] = false;
	fflush(stdout);
}

void out_error(const char *msg)
{
	if (json_mode) {
		/* Errors end whatever was half-printed: start a fresh document. */
		if (need_comma[0] || depth)
			fputc('\n', stdout);
		fputs("{\"error\":", stdout);
		json_escape(stdout, msg);
		fputs("}\n", stdout);
		fflush(stdout);
	} else {
		fflush(stdout);
		fprintf(stderr, "sluice: %s\n", msg);
	}
}
