/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire.h - the DNS message parser and answer builder of sluice-dnsd.
 *
 * Pure: bytes in, struct or bytes out, no I/O, no clock, no allocation. Every
 * byte is read and written through buffer.h. The daemon feeds each query to
 * dns_respond(), which either fills the answer, says to forward the query
 * upstream, or says to drop it; forward.c uses the other helpers to check
 * upstream replies and to make SERVFAIL and truncated replies.
 *
 * What a query gets (RFC 1035, 6891 EDNS0, 2308 negative answers):
 *   shorter than a header, or QR set        dropped (never answer an answer:
 *                                           no loops, no reflection)
 *   opcode other than QUERY                 NOTIMP, header only
 *   qdcount != 1, a bad name (label type
 *   01/10, compression loop or pointer not
 *   strictly backwards, past the end, name
 *   > 255 bytes), truncated sections, two
 *   OPT records or an OPT not at the root   FORMERR, header only
 *   EDNS version > 0                        BADVERS (OPT with extended rcode 1)
 *   qtype OPT                               FORMERR
 *   qtype AXFR/IXFR                         NOTIMP
 *   qclass other than IN or ANY             REFUSED
 *   a local name (container, alias, their
 *   NAME.NETWORK forms), visible to asker   A: every address, rotated by rot;
 *                                           ANY: the same A records (RFC 8482:
 *                                           a subset is a valid ANY answer);
 *                                           other types: NODATA (NOERROR, no
 *                                           records)
 *   x.x.x.x.in-addr.arpa of an endpoint
 *   on a network of the asker               PTR "container.network." (NODATA for
 *                                           other types)
 *   ... of a free address of such a subnet  NXDOMAIN
 *   any other single-label name             NXDOMAIN: never forwarded, so the
 *                                           answer for a name of a network the
 *                                           asker is not on is the answer for a
 *                                           name that does not exist
 *   anything else                           forwarded when there are upstreams,
 *                                           else REFUSED
 * Local answers are authoritative (AA), carry TTL DNS_TTL and no SOA, so
 * negative answers are not cached (RFC 2308) either. ID, opcode, RD, CD and
 * the question (name case included) are echoed; RA is set when forwarding is
 * available. An OPT in the query is answered with ours (size DNS_EDNS_SIZE,
 * DO echoed, no options). Bytes after the last section are ignored.
 *
 * Size: over UDP an answer is at most 512 bytes, or the EDNS size the query
 * advertised; one that does not fit is sent as header + question (+ OPT) with
 * TC set, and the client retries over TCP. Over TCP as many records as fit in
 * 65535 bytes are sent. Answer owner names are compressed to the question.
 */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

struct dns_zone;
struct dns_view;

#define DNS_HDR_LEN   12
#define DNS_NAME_MAX  255 /* wire form, root label included */
#define DNS_LABEL_MAX 63
#define DNS_UDP_MIN   512   /* without EDNS */
#define DNS_EDNS_SIZE 4096  /* the UDP size we advertise and accept */
#define DNS_MSG_MAX   65535 /* TCP's two-byte length */
/*
 * TTL of local answers, seconds. Short so a cached answer goes stale within
 * seconds after a container leaves a network or changes address (Docker's
 * 600 s keeps a moved container unreachable for ten minutes in caching
 * clients); a query costs microseconds on loopback, so clients may ask often.
 */
#define DNS_TTL 5

/* Header flag bits (host order of the 16-bit flags word). */
#define DNS_F_QR     0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_AA     0x0400
#define DNS_F_TC     0x0200
#define DNS_F_RD     0x0100
#define DNS_F_RA     0x0080
#define DNS_F_AD     0x0020
#define DNS_F_CD     0x0010
#define DNS_F_RCODE  0x000f

enum dns_rcode {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_BADVERS = 16, /* extended: upper bits go in the OPT record */
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_OPT = 41,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};

#define DNS_C_IN  1
#define DNS_C_ANY 255

/* A parsed query: what the answer must echo and what the resolution needs. */
struct dns_query {
	uint16_t id;
	uint16_t flags; /* as received */
	uint8_t opcode;
	uint8_t qname[DNS_NAME_MAX]; /* wire form, uncompressed, case as received */
	size_t qname_len;	     /* 0: no question parsed */
	uint16_t qtype, qclass;
	bool edns;	    /* an OPT record was present */
	uint16_t edns_size; /* its UDP size, raised to 512 */
	uint8_t edns_version;
	bool edns_do;
};

enum dns_parse {
	DNS_P_OK = 0,
	DNS_P_DROP,    /* no answer at all */
	DNS_P_FORMERR, /* header-only FORMERR */
	DNS_P_NOTIMP,  /* header-only NOTIMP */
	DNS_P_BADVERS, /* question + OPT with BADVERS */
};

/*
 * Parse a query. On DNS_P_OK every field of q is set; on the errors at least
 * id, flags and opcode are (the header was complete).
 */
enum dns_parse dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q);

/*
 * Read a possibly compressed name at b's cursor of the message in b. The
 * uncompressed wire form goes to out (DNS_NAME_MAX bytes), its length to
 * *out_len, and the cursor moves past the name as it is written at that
 * place. Each pointer must point strictly before where the name, or the
 * previous pointer's target, began: positions only decrease, so no loop.
 * 0, or -EBADMSG (b->err is then set as well).
 */
int dns_name_read(struct dns_buf *b, uint8_t *out, size_t *out_len);

/* ASCII-lowercase a wire-form name (labels' length bytes are < 64, so untouched). */
void dns_name_lower(uint8_t *out, const uint8_t *in, size_t len);
/* Case-insensitive equality of two wire-form names. */
bool dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* What the daemon does with a query. */
enum dns_verdict {
	DNS_V_ANSWER,  /* send out[0..*outlen) */
	DNS_V_FORWARD, /* forward to an upstream (only when ctx->upstream) */
	DNS_V_DROP,    /* send nothing */
};

struct dns_ctx {
	const struct dns_zone *zone; /* NULL: no local names */
	const struct dns_view *view; /* the asker's networks; NULL: none */
	unsigned int rot;	     /* rotation of multi-address answers */
	bool upstream;		     /* forwarding available */
	bool tcp;		     /* the query came over TCP */
};

/*
 * Decide and build the answer to msg. out needs at least DNS_HDR_LEN bytes;
 * the answer never exceeds cap, nor the transport's limit. q receives the
 * parsed query (for forwarding and for log messages).
 */
enum dns_verdict dns_respond(const struct dns_ctx *ctx, const uint8_t *msg, size_t len,
			     struct dns_query *q, uint8_t *out, size_t cap, size_t *outlen);

/* The largest UDP answer the asker of q accepts. */
size_t dns_udp_limit(const struct dns_query *q);

/*
 * An answer to q with no records: header, question, OPT when q had one.
 * rcode may be extended (BADVERS); flags adds DNS_F_AA, DNS_F_TC, DNS_F_RA.
 * Returns the length, or 0 when cap is too small.
 */
size_t dns_reply_empty(const struct dns_query *q, unsigned int rcode, uint16_t flags, uint8_t *out,
		       size_t cap);

/*
 * Check an upstream's reply to the query q that was sent with ID id: a
 * response (QR) to a QUERY with that ID and, when it has a question, the same
 * question (name compared case-insensitively). *tc tells whether it was
 * truncated. 0 or -EBADMSG.
 */
int dns_reply_check(const uint8_t *msg, size_t len, uint16_t id, const struct dns_query *q,
		    bool *tc);

/* Decode a full x.x.x.x.in-addr.arpa name; addr in network order. 0 or -EINVAL. */
int dns_name_to_reverse(const uint8_t *lname, size_t len, uint32_t *addr);

/* Wire form of a dotted name ("a.b" -> 1a1b0); trailing dot optional. 0 or -EINVAL. */
int dns_name_from_text(const char *text, uint8_t *out, size_t *out_len);
/* Dotted text of a wire-form name, with escapes for odd bytes; for logs. */
void dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap);

#endif /* DNS_WIRE_H */
