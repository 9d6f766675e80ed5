// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_golden.c - golden-file tests of the DNS answer builder: query bytes in,
 * answer bytes out, a pair of files per case.
 *
 * The name table is tests/dnsd/golden/zone.state, a state file. Each case is
 * NAME.query and NAME.answer in that directory. Both are hex bytes with
 * '#' comments; a .query may also hold directives, one per line:
 *   @client CONTAINER   ask from the netns of that container ("none": from a
 *                       namespace no endpoint is in); default alpha
 *   @tcp                the query came over TCP (default UDP)
 *   @rot N              rotation of multi-address answers (default 0)
 *   @no-upstream        no upstream resolvers (default: forwarding available)
 * A .answer holds the bytes, or the word "drop" or "forward".
 *
 *   test_golden [DIR]            run every case
 *   test_golden --update [DIR]   rewrite the .answer files from the builder
 *                                (review the diff before committing)
 * Regressions are named after their bug: regress_<what went wrong>.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "test.h"
#include "wire.h"
#include "zone.h"

#ifndef DNS_GOLDEN_DIR
#define DNS_GOLDEN_DIR "tests/dnsd/golden"
#endif

struct gcase {
	char client[SL_NAME_MAX];
	bool tcp, no_upstream;
	unsigned int rot;
	uint8_t bytes[DNS_MSG_MAX];
	size_t len;
	enum { G_BYTES, G_DROP, G_FORWARD } kind;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse a case file; 0 or -EINVAL with a message. */
static int parse_case(const char *text, struct gcase *g, const char *path)
{
	const char *p = text;

	memset(g, 0, sizeof(*g));
	strcpy(g->client, "alpha");
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char line[256];

		if (n >= sizeof(line)) {
			printf("  %s: line too long\n", path);
			return -EINVAL;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (eol ? 1 : 0);
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		if (line[0] == '@') {
			if (!strncmp(line, "@client ", 8))
				snprintf(g->client, sizeof(g->client), "%.63s", line + 8);
			else if (!strcmp(line, "@tcp"))
				g->tcp = true;
			else if (!strcmp(line, "@no-upstream"))
				g->no_upstream = true;
			else if (!strncmp(line, "@rot ", 5))
				g->rot = (unsigned int)atoi(line + 5);
			else {
				printf("  %s: unknown directive %s\n", path, line);
				return -EINVAL;
			}
			continue;
		}
		if (strstr(line, "drop")) {
			g->kind = G_DROP;
			continue;
		}
		if (strstr(line, "forward")) {
			g->kind = G_FORWARD;
			continue;
		}
		for (char *c = line; *c;) {
			int hi, lo;

			if (*c == ' ' || *c == '\t' || *c == '\r') {
				c++;
				continue;
			}
			hi = hexval(c[0]);
			lo = hexval(c[1]);
			if (hi < 0 || lo < 0 || g->len >= sizeof(g->bytes)) {
				printf("  %s: bad hex near '%s'\n", path, c);
				return -EINVAL;
			}
			g->bytes[g->len++] = (uint8_t)(hi << 4 | lo);
			c += 2;
		}
	}
	return 0;
}

static void print_hex(FILE *f, const uint8_t *b, size_t n, const char *indent)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%02x%s", i % 16 ? "" : indent, b[i],
			i % 16 == 15 || i + 1 == n ? "\n" : " ");
}

static const struct dns_view *client_view(const struct dns_zone *z, const struct sl_state *st,
					  const char *name)
{
	for (unsigned int i = 0; i < st->n_endpoints; i++)
		if (!strcmp(st->endpoints[i].container, name))
			return dns_zone_view(z, (struct dns_nsid){st->endpoints[i].nsdev,
								  st->endpoints[i].nsino});
	return NULL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_case(const char *dir, const char *name, const struct dns_zone *z,
		     const struct sl_state *st, bool update)
{
	static struct gcase q, a;
	static uint8_t out[DNS_MSG_MAX];
	char path[4096];
	struct dns_query pq;
	struct dns_ctx ctx;
	enum dns_verdict v;
	size_t outlen;
	char *text;
	bool ok = true;
	bool tc;

	snprintf(path, sizeof(path), "%s/%s.query", dir, name);
	text = slurp(path);
	if (!text || parse_case(text, &q, path)) {
		printf("FAIL %s (cannot read %s)\n", name, path);
		free(text);
		sl_t_failed++;
		return;
	}
	free(text);

	ctx = (struct dns_ctx){
		.zone = z,
		.view = strcmp(q.client, "none") ? client_view(z, st, q.client) : NULL,
		.rot = q.rot,
		.upstream = !q.no_upstream,
		.tcp = q.tcp,
	};
	if (strcmp(q.client, "none") && !ctx.view) {
		printf("FAIL %s (no client %s in zone.state)\n", name, q.client);
		sl_t_failed++;
		return;
	}
	v = dns_respond(&ctx, q.bytes, q.len, &pq, out, sizeof(out), &outlen);

	snprintf(path, sizeof(path), "%s/%s.answer", dir, name);
	if (update) {
		FILE *f = fopen(path, "w");

		if (!f) {
			printf("FAIL %s (cannot write %s)\n", name, path);
			sl_t_failed++;
			return;
		}
		fprintf(f, "# %s: written by test_golden --update, reviewed by hand\n", name);
		if (v == DNS_V_DROP)
			fprintf(f, "drop\n");
		else if (v == DNS_V_FORWARD)
			fprintf(f, "forward\n");
		else
			print_hex(f, out, outlen, "");
		fclose(f);
	}

	text = slurp(path);
	if (!text || parse_case(text, &a, path)) {
		printf("FAIL %s (cannot read %s)\n", name, path);
		free(text);
		sl_t_failed++;
		return;
	}
	free(text);

	if (a.kind == G_DROP && v != DNS_V_DROP) {
		printf("  %s: expected drop, got %s\n", name,
		       v == DNS_V_FORWARD ? "forward" : "an answer");
		ok = false;
	} else if (a.kind == G_FORWARD && v != DNS_V_FORWARD) {
		printf("  %s: expected forward, got %s\n", name,
		       v == DNS_V_DROP ? "drop" : "an answer");
		ok = false;
	} else if (a.kind == G_BYTES) {
		if (v != DNS_V_ANSWER) {
			printf("  %s: expected an answer, got %s\n", name,
			       v == DNS_V_DROP ? "drop" : "forward");
			ok = false;
		} else if (outlen != a.len || memcmp(out, a.bytes, outlen)) {
			size_t i = 0;

			while (i < outlen && i < a.len && out[i] == a.bytes[i])
				i++;
			printf("  %s: answer differs at byte %zu (got %zu bytes, expected %zu)\n",
			       name, i, outlen, a.len);
			printf("  got:\n");
			print_hex(stdout, out, outlen, "    ");
			printf("  expected:\n");
			print_hex(stdout, a.bytes, a.len, "    ");
			ok = false;
		}
		/* Every answer to a query with a question must pass the forwarder's own check. */
		if (ok && pq.qname_len && dns_reply_check(out, outlen, pq.id, &pq, &tc)) {
			printf("  %s: the answer fails dns_reply_check\n", name);
			ok = false;
		}
		/* And never exceed what the transport allows. */
		if (ok && !q.tcp && outlen > (pq.edns ? pq.edns_size : DNS_UDP_MIN)) {
			printf("  %s: %zu bytes over UDP exceed the limit\n", name, outlen);
			ok = false;
		}
	}
	sl_t_cur = name;
	sl_t_cur_failed = !ok;
	printf("%s %s\n", sl_t_cur_failed ? "FAIL" : "ok  ", sl_t_cur);
	if (ok)
		sl_t_passed++;
	else
		sl_t_failed++;
}

int main(int argc, char **argv)
{
	const char *dir = DNS_GOLDEN_DIR;
	char path[4096], **names = NULL;
	size_t n = 0, cap = 0;
	struct dns_zone *z = NULL;
	struct sl_state st;
	struct dirent *de;
	bool update = false;
	DIR *d;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "--update")) {
		update = true;
		i++;
	}
	if (i < argc)
		dir = argv[i];

	snprintf(path, sizeof(path), "%s/zone.state", dir);
	if (sl_state_load(path, &st) || dns_zone_build(&st, NULL, &z)) {
		printf("cannot load the golden name table %s\n", path);
		printf("dnsd/golden: 0 passed, 1 failed\n");
		return 1;
	}

	d = opendir(dir);
	if (!d) {
		printf("cannot open %s\n", dir);
		printf("dnsd/golden: 0 passed, 1 failed\n");
		return 1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len <= 6 || strcmp(de->d_name + len - 6, ".query"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				return 1;
		}
		names[n++] = strndup(de->d_name, len - 6);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t k = 0; k < n; k++) {
		run_case(dir, names[k], z, &st, update);
		free(names[k]);
	}
	free(names);
	dns_zone_free(z);
	sl_state_free(&st);
	if (n == 0)
		sl_t_failed++;
	return sl_test_summary("dnsd/golden");
}
