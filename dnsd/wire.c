// SPDX-License-Identifier: BSD-2-Clause
/*
 * wire.c - DNS query parser and answer builder: pure, every access through
 * buffer.h. The outcomes for each kind of query are listed in wire.h.
 */
#include <errno.h>
#include <stdio.h>

#include "wire.h"
#include "zone.h"

/* At most this many compression pointers per name; strictly-backwards already bounds it. */
#define DNS_MAX_JUMPS 64
/* OPT record: root name, type, class, ttl, rdlen. */
#define DNS_OPT_LEN 11
/* An A record with a compressed owner: pointer, type, class, ttl, rdlen, address. */
#define DNS_A_RR_LEN 16

int dns_name_read(struct dns_buf *b, uint8_t *out, size_t *out_len)
{
	size_t cur = b->pos, limit = b->pos, end = 0, olen = 0;
	unsigned int jumps = 0;
	bool jumped = false;
	uint8_t c;

	for (;;) {
		c = dns_buf_peek_at(b, cur);
		if (b->err)
			return -EBADMSG;
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			target = (size_t)(c & 0x3f) << 8 | dns_buf_peek_at(b, cur + 1);
			if (b->err)
				return -EBADMSG;
			/*
			 * Strictly backwards: every jump lands before where the
			 * name (or the previous jump's target) began, so positions
			 * only decrease and a loop is impossible. A compressor
			 * only ever points at earlier names, so this refuses
			 * nothing a real one writes.
			 */
			if (target >= limit || ++jumps > DNS_MAX_JUMPS) {
				b->err = true;
				return -EBADMSG;
			}
			limit = target;
			if (!jumped)
				end = cur + 2;
			jumped = true;
			cur = target;
			continue;
		}
		if (c & 0xc0) {
			/* 01 and 10: extended label types (RFC 6891 retired them). */
			b->err = true;
			return -EBADMSG;
		}
		/* c <= 63 here: a length byte can never name a longer label. */
		if (olen + 1 + c > DNS_NAME_MAX) {
			b->err = true;
			return -EBADMSG;
		}
		out[olen++] = c;
		if (c == 0)
			break;
		if (cur + 1 + c > b->len) {
			b->err = true;
			return -EBADMSG;
		}
		memcpy(out + olen, b->data + cur + 1, c);
		olen += c;
		cur += 1 + c;
	}
	if (!jumped)
		end = cur + 1;
	*out_len = olen;
	dns_buf_seek(b, end);
	return b->err ? -EBADMSG : 0;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

void dns_name_lower(uint8_t *out, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = lower(in[i]);
}

bool dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Skip one resource record of a section; the name may be compressed. */
static int skip_rr(struct dns_buf *b)
{
	uint8_t name[DNS_NAME_MAX];
	size_t nlen;
	uint16_t rdlen;

	if (dns_name_read(b, name, &nlen))
		return -EBADMSG;
	dns_buf_skip(b, 8); /* type, class, ttl */
	rdlen = dns_buf_get_u16(b);
	dns_buf_skip(b, rdlen);
	return b->err ? -EBADMSG : 0;
}

/* An OPT record after its owner name: validate it and take the EDNS fields. */
static int read_opt(struct dns_buf *b, struct dns_query *q)
{
	uint32_t ttl;
	uint16_t rdlen, olen;
	size_t end;

	q->edns_size = dns_buf_get_u16(b); /* class field: requestor's UDP payload size */
	ttl = dns_buf_get_u32(b);	   /* extended rcode, version, DO, Z */
	rdlen = dns_buf_get_u16(b);
	if (b->err || rdlen > dns_buf_remaining(b))
		return -EBADMSG;
	end = b->pos + rdlen;
	/* Options are code, length, data: each must fit the record exactly. */
	while (b->pos < end) {
		if (end - b->pos < 4)
			return -EBADMSG;
		dns_buf_skip(b, 2);
		olen = dns_buf_get_u16(b);
		if (olen > end - b->pos)
			return -EBADMSG;
		dns_buf_skip(b, olen);
	}
	if (b->err)
		return -EBADMSG;
	q->edns = true;
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = ttl & 0x8000;
	/* RFC 6891 6.2.3: values below 512 are treated as 512. */
	if (q->edns_size < DNS_UDP_MIN)
		q->edns_size = DNS_UDP_MIN;
	return 0;
}

enum dns_parse dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q)
{
	struct dns_buf b = dns_buf_reader(msg, len);
	uint16_t qdcount, ancount, nscount, arcount;
	uint8_t name[DNS_NAME_MAX];
	size_t nlen;
	unsigned int i;
	uint16_t type;

	memset(q, 0, sizeof(*q));
	q->id = dns_buf_get_u16(&b);
	q->flags = dns_buf_get_u16(&b);
	qdcount = dns_buf_get_u16(&b);
	ancount = dns_buf_get_u16(&b);
	nscount = dns_buf_get_u16(&b);
	arcount = dns_buf_get_u16(&b);
	if (b.err)
		return DNS_P_DROP; /* not even a header: nothing to echo */
	q->opcode = (q->flags & DNS_F_OPCODE) >> 11;
	if (q->flags & DNS_F_QR)
		return DNS_P_DROP;
	if (q->opcode != 0)
		return DNS_P_NOTIMP;
	if (qdcount != 1)
		return DNS_P_FORMERR;

	if (dns_name_read(&b, q->qname, &q->qname_len))
		goto formerr;
	q->qtype = dns_buf_get_u16(&b);
	q->qclass = dns_buf_get_u16(&b);
	if (b.err)
		goto formerr;

	/* A query has no business carrying these, but they are well-formed RRs: skip them. */
	for (i = 0; i < (unsigned int)ancount + nscount; i++)
		if (skip_rr(&b))
			goto formerr;
	for (i = 0; i < arcount; i++) {
		if (dns_name_read(&b, name, &nlen))
			goto formerr;
		type = dns_buf_get_u16(&b);
		if (b.err)
			goto formerr;
		if (type != DNS_T_OPT) {
			/* Type read; skip class, ttl and the rdata. */
			dns_buf_skip(&b, 6);
			dns_buf_skip(&b, dns_buf_get_u16(&b));
			if (b.err)
				goto formerr;
			continue;
		}
		/* RFC 6891 6.1.1: one OPT at most, owned by the root. */
		if (q->edns || nlen != 1 || read_opt(&b, q))
			goto formerr;
	}
	if (q->edns && q->edns_version > 0)
		return DNS_P_BADVERS;
	return DNS_P_OK;

formerr:
	/* Nothing after the header is trusted: the answer is the header alone. */
	q->qname_len = 0;
	q->edns = false;
	return DNS_P_FORMERR;
}

size_t dns_udp_limit(const struct dns_query *q)
{
	return q->edns ? q->edns_size : DNS_UDP_MIN;
}

static void put_header(struct dns_buf *b, const struct dns_query *q, unsigned int rcode,
		       uint16_t flags, uint16_t qdcount)
{
	/* Echo opcode, RD and CD; AD is never set: nothing here is validated. */
	flags |= DNS_F_QR | (q->flags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD)) | (rcode & 0xf);
	dns_buf_put_u16(b, q->id);
	dns_buf_put_u16(b, flags);
	dns_buf_put_u16(b, qdcount);
	dns_buf_put_u16(b, 0);
	dns_buf_put_u16(b, 0);
	dns_buf_put_u16(b, 0);
}

static void put_question(struct dns_buf *b, const struct dns_query *q)
{
	dns_buf_put_bytes(b, q->qname, q->qname_len);
	dns_buf_put_u16(b, q->qtype);
	dns_buf_put_u16(b, q->qclass);
}

static void put_opt(struct dns_buf *b, const struct dns_query *q, unsigned int rcode)
{
	dns_buf_put_u8(b, 0); /* root */
	dns_buf_put_u16(b, DNS_T_OPT);
	dns_buf_put_u16(b, DNS_EDNS_SIZE);
	/* Upper 8 bits of the extended rcode, version 0, DO echoed (RFC 3225). */
	dns_buf_put_u32(b, (uint32_t)(rcode >> 4) << 24 | (q->edns_do ? 0x8000 : 0));
	dns_buf_put_u16(b, 0);
}

size_t dns_reply_empty(const struct dns_query *q, unsigned int rcode, uint16_t flags, uint8_t *out,
		       size_t cap)
{
	struct dns_buf b = dns_buf_writer(out, cap);
	bool question = q->qname_len > 0;

	put_header(&b, q, rcode, flags, question);
	if (question)
		put_question(&b, q);
	if (q->edns) {
		put_opt(&b, q, rcode);
		dns_buf_poke_u16(&b, 10, 1); /* arcount */
	}
	return b.err ? 0 : b.pos;
}

/* Header-only error answer to a query whose body was not trusted. */
static size_t reply_header_only(const struct dns_query *q, unsigned int rcode, uint8_t *out,
				size_t cap)
{
	struct dns_buf b = dns_buf_writer(out, cap);

	put_header(&b, q, rcode, 0, 0);
	return b.err ? 0 : b.pos;
}

int dns_name_to_reverse(const uint8_t *lname, size_t len, uint32_t *addr)
{
	static const uint8_t suffix[] = "\7in-addr\4arpa"; /* and the root label, the NUL */
	struct dns_buf b = dns_buf_reader(lname, len);
	uint8_t octets[4];

	for (int i = 0; i < 4; i++) {
		uint8_t l = dns_buf_get_u8(&b), digits[3];
		unsigned int v = 0;

		if (b.err || l < 1 || l > 3)
			return -EINVAL;
		dns_buf_get_bytes(&b, digits, l);
		if (b.err || (l > 1 && digits[0] == '0'))
			return -EINVAL; /* canonical decimal only */
		for (int j = 0; j < l; j++) {
			if (digits[j] < '0' || digits[j] > '9')
				return -EINVAL;
			v = v * 10 + (digits[j] - '0');
		}
		if (v > 255)
			return -EINVAL;
		/* The name lists the octets last first: 4.0.11.10 is 10.11.0.4. */
		octets[3 - i] = (uint8_t)v;
	}
	if (dns_buf_remaining(&b) != sizeof(suffix) ||
	    !dns_name_equal(b.data + b.pos, sizeof(suffix), suffix, sizeof(suffix)))
		return -EINVAL;
	memcpy(addr, octets, 4); /* network order in memory */
	return 0;
}

int dns_name_from_text(const char *text, uint8_t *out, size_t *out_len)
{
	size_t olen = 0, llen;
	const char *p = text, *dot;

	if (!strcmp(text, ".")) {
		out[0] = 0;
		*out_len = 1;
		return 0;
	}
	while (*p) {
		dot = strchr(p, '.');
		llen = dot ? (size_t)(dot - p) : strlen(p);
		if (llen == 0 || llen > DNS_LABEL_MAX || olen + 1 + llen + 1 > DNS_NAME_MAX)
			return -EINVAL;
		out[olen++] = (uint8_t)llen;
		memcpy(out + olen, p, llen);
		olen += llen;
		p += llen;
		if (*p == '.')
			p++;
	}
	if (olen == 0)
		return -EINVAL;
	out[olen++] = 0;
	*out_len = olen;
	return 0;
}

void dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (len == 0 || name[0] == 0) {
		snprintf(out, cap, ".");
		return;
	}
	while (i < len && name[i] != 0) {
		uint8_t l = name[i++];

		for (uint8_t j = 0; j < l && i < len; j++, i++) {
			uint8_t c = name[i];
			int n;

			if (c > 32 && c < 127 && c != '.' && c != '\\')
				n = snprintf(out + o, cap - o, "%c", c);
			else
				n = snprintf(out + o, cap - o, "\\%03u", c);
			if (n < 0 || (size_t)n >= cap - o)
				return;
			o += (size_t)n;
		}
		if (o + 1 >= cap)
			return;
		out[o++] = '.';
		out[o] = '\0';
	}
}

/* Number of labels of a wire-form name (root not counted). */
static unsigned int name_labels(const uint8_t *name, size_t len)
{
	unsigned int n = 0;
	size_t i = 0;

	while (i < len && name[i] != 0) {
		i += 1 + name[i];
		n++;
	}
	return n;
}

/* Header + question; the caller then adds the records and fixes the counts. */
static void begin_answer(struct dns_buf *b, const struct dns_query *q, unsigned int rcode,
			 uint16_t flags)
{
	put_header(b, q, rcode, flags, 1);
	put_question(b, q);
}

static void end_answer(struct dns_buf *b, const struct dns_query *q, uint16_t ancount)
{
	dns_buf_poke_u16(b, 6, ancount);
	if (q->edns) {
		put_opt(b, q, 0);
		dns_buf_poke_u16(b, 10, 1);
	}
}

/* The A records of a local name, rotated by ctx->rot. */
static size_t answer_a(const struct dns_ctx *ctx, const struct dns_query *q, const uint32_t *addrs,
		       unsigned int n, uint16_t flags, size_t limit, uint8_t *out)
{
	struct dns_buf b = dns_buf_writer(out, limit);
	size_t room;
	unsigned int fit, i;

	begin_answer(&b, q, DNS_R_NOERROR, flags);
	room = dns_buf_remaining(&b);
	room = room > (q->edns ? DNS_OPT_LEN : 0) ? room - (q->edns ? DNS_OPT_LEN : 0) : 0;
	fit = (unsigned int)(room / DNS_A_RR_LEN);
	if (b.err || fit < n) {
		/* UDP: all or nothing, the client comes back over TCP. TCP: what fits. */
		if (!ctx->tcp)
			return dns_reply_empty(q, DNS_R_NOERROR, flags | DNS_F_TC, out, limit);
		n = fit;
	}
	for (i = 0; i < n; i++) {
		dns_buf_put_u16(&b, 0xc000 | DNS_HDR_LEN); /* owner: the question's name */
		dns_buf_put_u16(&b, DNS_T_A);
		dns_buf_put_u16(&b, DNS_C_IN);
		dns_buf_put_u32(&b, DNS_TTL);
		dns_buf_put_u16(&b, 4);
		/* addrs[] are network order in memory: copy the bytes as they are. */
		dns_buf_put_bytes(&b, &addrs[(i + ctx->rot) % n], 4);
	}
	end_answer(&b, q, (uint16_t)n);
	return b.err ? 0 : b.pos;
}

static size_t answer_ptr(const struct dns_ctx *ctx, const struct dns_query *q,
			 const uint8_t *target, size_t tlen, uint16_t flags, size_t limit,
			 uint8_t *out)
{
	struct dns_buf b = dns_buf_writer(out, limit);

	begin_answer(&b, q, DNS_R_NOERROR, flags);
	dns_buf_put_u16(&b, 0xc000 | DNS_HDR_LEN);
	dns_buf_put_u16(&b, DNS_T_PTR);
	dns_buf_put_u16(&b, DNS_C_IN);
	dns_buf_put_u32(&b, DNS_TTL);
	dns_buf_put_u16(&b, (uint16_t)tlen);
	dns_buf_put_bytes(&b, target, tlen);
	end_answer(&b, q, 1);
	if (b.err && !ctx->tcp)
		return dns_reply_empty(q, DNS_R_NOERROR, flags | DNS_F_TC, out, limit);
	return b.err ? 0 : b.pos;
}

/* Resolve a parsed, well-formed query. */
static enum dns_verdict resolve(const struct dns_ctx *ctx, const struct dns_query *q, uint8_t *out,
				size_t limit, size_t *outlen)
{
	uint16_t ra = ctx->upstream ? DNS_F_RA : 0;
	uint8_t lname[DNS_NAME_MAX];
	uint32_t addrs[256], addr;
	const uint8_t *target;
	size_t tlen;
	int n, r;

	if (q->qtype == DNS_T_OPT || q->qtype == 0) {
		*outlen = dns_reply_empty(q, DNS_R_FORMERR, ra, out, limit);
		return DNS_V_ANSWER;
	}
	if (q->qtype == DNS_T_AXFR || q->qtype == DNS_T_IXFR) {
		*outlen = dns_reply_empty(q, DNS_R_NOTIMP, ra, out, limit);
		return DNS_V_ANSWER;
	}
	if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY) {
		*outlen = dns_reply_empty(q, DNS_R_REFUSED, ra, out, limit);
		return DNS_V_ANSWER;
	}

	dns_name_lower(lname, q->qname, q->qname_len);
	if (ctx->zone && ctx->view) {
		n = dns_zone_lookup(ctx->zone, ctx->view, lname, q->qname_len, addrs,
				    sizeof(addrs) / sizeof(addrs[0]));
		if (n > 0) {
			if (n > (int)(sizeof(addrs) / sizeof(addrs[0])))
				n = sizeof(addrs) / sizeof(addrs[0]);
			if (q->qtype == DNS_T_A || q->qtype == DNS_T_ANY)
				*outlen = answer_a(ctx, q, addrs, (unsigned int)n, DNS_F_AA | ra,
						   limit, out);
			else
				*outlen = dns_reply_empty(q, DNS_R_NOERROR, DNS_F_AA | ra, out,
							  limit);
			return DNS_V_ANSWER;
		}
		if (!dns_name_to_reverse(lname, q->qname_len, &addr)) {
			r = dns_zone_ptr(ctx->zone, ctx->view, addr, &target, &tlen);
			if (r == 0) {
				if (q->qtype == DNS_T_PTR || q->qtype == DNS_T_ANY)
					*outlen = answer_ptr(ctx, q, target, tlen, DNS_F_AA | ra,
							     limit, out);
				else
					*outlen = dns_reply_empty(q, DNS_R_NOERROR, DNS_F_AA | ra,
								  out, limit);
				return DNS_V_ANSWER;
			}
			if (r == -ENOENT) {
				*outlen = dns_reply_empty(q, DNS_R_NXDOMAIN, DNS_F_AA | ra, out,
							  limit);
				return DNS_V_ANSWER;
			}
		}
	}
	if (name_labels(lname, q->qname_len) == 1) {
		*outlen = dns_reply_empty(q, DNS_R_NXDOMAIN, DNS_F_AA | ra, out, limit);
		return DNS_V_ANSWER;
	}
	if (ctx->upstream)
		return DNS_V_FORWARD;
	*outlen = dns_reply_empty(q, DNS_R_REFUSED, 0, out, limit);
	return DNS_V_ANSWER;
}

enum dns_verdict dns_respond(const struct dns_ctx *ctx, const uint8_t *msg, size_t len,
			     struct dns_query *q, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t limit;

	*outlen = 0;
	switch (dns_query_parse(msg, len, q)) {
	case DNS_P_DROP:
		return DNS_V_DROP;
	case DNS_P_FORMERR:
		*outlen = reply_header_only(q, DNS_R_FORMERR, out, cap);
		return *outlen ? DNS_V_ANSWER : DNS_V_DROP;
	case DNS_P_NOTIMP:
		*outlen = reply_header_only(q, DNS_R_NOTIMP, out, cap);
		return *outlen ? DNS_V_ANSWER : DNS_V_DROP;
	case DNS_P_BADVERS:
		limit = ctx->tcp ? DNS_MSG_MAX : DNS_UDP_MIN;
		*outlen = dns_reply_empty(q, DNS_R_BADVERS, ctx->upstream ? DNS_F_RA : 0, out,
					  cap < limit ? cap : limit);
		return *outlen ? DNS_V_ANSWER : DNS_V_DROP;
	case DNS_P_OK:
		break;
	}
	limit = ctx->tcp ? DNS_MSG_MAX : dns_udp_limit(q);
	if (limit > cap)
		limit = cap;
	if (resolve(ctx, q, out, limit, outlen) == DNS_V_FORWARD)
		return DNS_V_FORWARD;
	return *outlen ? DNS_V_ANSWER : DNS_V_DROP;
}

int dns_reply_check(const uint8_t *msg, size_t len, uint16_t id, const struct dns_query *q,
		    bool *tc)
{
	struct dns_buf b = dns_buf_reader(msg, len);
	uint8_t name[DNS_NAME_MAX];
	uint16_t rid, flags, qdcount, type, class;
	size_t nlen;

	rid = dns_buf_get_u16(&b);
	flags = dns_buf_get_u16(&b);
	qdcount = dns_buf_get_u16(&b);
	dns_buf_skip(&b, 6);
	if (b.err || rid != id || !(flags & DNS_F_QR) || (flags & DNS_F_OPCODE))
		return -EBADMSG;
	*tc = flags & DNS_F_TC;
	/* A FORMERR or a truncated reply may come without the question. */
	if (qdcount == 0)
		return (flags & DNS_F_RCODE) || *tc ? 0 : -EBADMSG;
	if (qdcount != 1 || dns_name_read(&b, name, &nlen))
		return -EBADMSG;
	type = dns_buf_get_u16(&b);
	class = dns_buf_get_u16(&b);
	if (b.err || type != q->qtype || class != q->qclass ||
	    !dns_name_equal(name, nlen, q->qname, q->qname_len))
		return -EBADMSG;
	return 0;
}
