/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * buffer.h - the one bounds-checked byte buffer that every DNS parser and
 * builder in dnsd goes through.
 *
 * A dns_buf is a window [0, len) over memory plus a cursor pos. Every read
 * and write checks the bounds here, and nowhere else. An access that does not
 * fit sets the sticky flag err, does not move the cursor and reads as 0; later
 * accesses are then no-ops. So a parser can read a whole header and check
 * err once, and a builder can write a whole record and check err once, and
 * neither can ever touch a byte outside the window.
 *
 * Multi-byte values on the wire are big-endian (network order); the get/put
 * functions take and return host-order integers.
 */
#ifndef DNS_BUFFER_H
#define DNS_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dns_buf {
	uint8_t *data; /* read-only when the buffer was made with dns_buf_reader */
	size_t len;    /* readable bytes (reader) or capacity (writer) */
	size_t pos;    /* cursor, 0..len */
	bool err;      /* sticky: an access did not fit */
};

static inline struct dns_buf dns_buf_reader(const uint8_t *data, size_t len)
{
	/* The cast is safe: no put function is ever called on a reader. */
	return (struct dns_buf){.data = (uint8_t *)data, .len = len};
}

static inline struct dns_buf dns_buf_writer(uint8_t *data, size_t cap)
{
	return (struct dns_buf){.data = data, .len = cap};
}

static inline size_t dns_buf_remaining(const struct dns_buf *b)
{
	return b->err ? 0 : b->len - b->pos;
}

/* true when n more bytes fit at the cursor; sets err when they do not. */
static inline bool dns_buf_need(struct dns_buf *b, size_t n)
{
	if (b->err || n > b->len - b->pos) {
		b->err = true;
		return false;
	}
	return true;
}

static inline uint8_t dns_buf_get_u8(struct dns_buf *b)
{
	if (!dns_buf_need(b, 1))
		return 0;
	return b->data[b->pos++];
}

static inline uint16_t dns_buf_get_u16(struct dns_buf *b)
{
	uint16_t v;

	if (!dns_buf_need(b, 2))
		return 0;
	v = (uint16_t)(b->data[b->pos] << 8 | b->data[b->pos + 1]);
	b->pos += 2;
	return v;
}

static inline uint32_t dns_buf_get_u32(struct dns_buf *b)
{
	uint32_t v;

	if (!dns_buf_need(b, 4))
		return 0;
	v = (uint32_t)b->data[b->pos] << 24 | (uint32_t)b->data[b->pos + 1] << 16 |
	    (uint32_t)b->data[b->pos + 2] << 8 | b->data[b->pos + 3];
	b->pos += 4;
	return v;
}

static inline void dns_buf_get_bytes(struct dns_buf *b, void *out, size_t n)
{
	if (!dns_buf_need(b, n))
		return;
	memcpy(out, b->data + b->pos, n);
	b->pos += n;
}

static inline void dns_buf_skip(struct dns_buf *b, size_t n)
{
	if (dns_buf_need(b, n))
		b->pos += n;
}

/* The byte at absolute offset off, without moving the cursor (0 + err when outside). */
static inline uint8_t dns_buf_peek_at(struct dns_buf *b, size_t off)
{
	if (b->err || off >= b->len) {
		b->err = true;
		return 0;
	}
	return b->data[off];
}

/* Move the cursor to an absolute offset within the window. */
static inline void dns_buf_seek(struct dns_buf *b, size_t off)
{
	if (b->err || off > b->len)
		b->err = true;
	else
		b->pos = off;
}

static inline void dns_buf_put_u8(struct dns_buf *b, uint8_t v)
{
	if (dns_buf_need(b, 1))
		b->data[b->pos++] = v;
}

static inline void dns_buf_put_u16(struct dns_buf *b, uint16_t v)
{
	if (!dns_buf_need(b, 2))
		return;
	b->data[b->pos] = (uint8_t)(v >> 8);
	b->data[b->pos + 1] = (uint8_t)v;
	b->pos += 2;
}

static inline void dns_buf_put_u32(struct dns_buf *b, uint32_t v)
{
	if (!dns_buf_need(b, 4))
		return;
	b->data[b->pos] = (uint8_t)(v >> 24);
	b->data[b->pos + 1] = (uint8_t)(v >> 16);
	b->data[b->pos + 2] = (uint8_t)(v >> 8);
	b->data[b->pos + 3] = (uint8_t)v;
	b->pos += 4;
}

static inline void dns_buf_put_bytes(struct dns_buf *b, const void *p, size_t n)
{
	if (!dns_buf_need(b, n))
		return;
	if (n)
		memcpy(b->data + b->pos, p, n);
	b->pos += n;
}

/* Overwrite a u16 already written at absolute offset off (counts, lengths). */
static inline void dns_buf_poke_u16(struct dns_buf *b, size_t off, uint16_t v)
{
	if (b->err || off > b->pos || b->pos - off < 2) {
		b->err = true;
		return;
	}
	b->data[off] = (uint8_t)(v >> 8);
	b->data[off + 1] = (uint8_t)v;
}

#endif /* DNS_BUFFER_H */
