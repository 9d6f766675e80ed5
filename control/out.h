/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * out.h - the one printer for command output: every field goes through it
 * and comes out as text or as JSON (-j), errors included.
 *
 * In JSON mode the key names the field and the text format is ignored; in
 * text mode the format (printf-style, one conversion) is printed and the key
 * is ignored. A NULL format prints nothing in text mode (JSON-only field).
 */
#ifndef SL_OUT_H
#define SL_OUT_H

#include <stdbool.h>

void out_init(bool json);
bool out_is_json(void);

void out_obj_open(const char *key);
void out_obj_close(void);
void out_arr_open(const char *key);
void out_arr_close(void);

void out_str(const char *key, const char *fmt, const char *val);
void out_u64(const char *key, const char *fmt, unsigned long long val);
void out_bool(const char *key, const char *fmt, bool val);
/* Text mode only. */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Finish the document (JSON: trailing newline). */
void out_end(void);

/* The error line: "sluice: MSG" on stderr, or {"error":"MSG"} on stdout. */
void out_error(const char *msg);

#endif /* SL_OUT_H */
