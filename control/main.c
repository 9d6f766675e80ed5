// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - `sluice [OPTIONS] OBJECT COMMAND [ARGS]`: global options and the
 * top-level command table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "out.h"
#include "sluice_abi.h"

#define SLUICE_VERSION "0.1.0"

static void usage_main(void)
{
	fprintf(stderr,
		"Usage: sluice [OPTIONS] COMMAND [ARGS]\n"
		"OPTIONS := { --instance NAME | -j | --json | -v | --verbose | -h | --help | "
		"--version }\n"
		"COMMAND := { up | down | status | stats | network | port | demo }\n"
		"\n"
		"  up [--uplink IFACE]...          load the datapath, restore networks and "
		"endpoints\n"
		"  down [--purge]                  remove endpoints and the datapath (--purge: and "
		"state)\n"
		"  status                          instance, datapath and topology summary\n"
		"  stats                           per-reason packet counters\n"
		"  network { create | rm | ls | inspect | connect | disconnect } ...\n"
		"  port { publish | unpublish | ls } ...   Docker's -p, served in eBPF\n"
		"  demo                            the main job on a throwaway topology of "
		"namespaces\n"
		"\n"
		"The instance (default \"default\", env SLUICE_INSTANCE) selects the pin, state "
		"and\n"
		"run directories. 'sluice COMMAND --help' shows a command's grammar.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int ctl_usage(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sl_errf(-EINVAL, "%s", buf);
	return CTL_USAGE;
}

bool ctl_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

const struct ctl_cmd *ctl_lookup(const struct ctl_cmd *table, const char *what, const char *word)
{
	const struct ctl_cmd *found = NULL;
	size_t len = strlen(word);
	int matches = 0;

	for (const struct ctl_cmd *t = table; t->name; t++) {
		if (!strcmp(t->name, word))
			return t;
		if (len && !strncmp(t->name, word, len)) {
			found = t;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	{
		char names[256] = "";

		for (const struct ctl_cmd *t = table; t->name; t++) {
			if (matches > 1 && strncmp(t->name, word, len))
				continue;
			if (names[0])
				strncat(names, " | ", sizeof(names) - strlen(names) - 1);
			strncat(names, t->name, sizeof(names) - strlen(names) - 1);
		}
		ctl_usage("%s '%s' %s: expected { %s }", what, word,
			  matches ? "is ambiguous" : "is unknown", names);
	}
	return NULL;
}

int ctl_dispatch(struct ctl *c, const struct ctl_cmd *table, const char *what, int argc,
		 char **argv, void (*help)(void))
{
	const struct ctl_cmd *cmd;

	if (argc < 1) {
		help();
		return ctl_usage("missing %s: see 'sluice %s --help'", what, what);
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
		help();
		return 0;
	}
	cmd = ctl_lookup(table, what, argv[0]);
	if (!cmd)
		return CTL_USAGE;
	return cmd->fn(c, argc, argv);
}

static const struct ctl_cmd top_cmds[] = {
	{"up", cmd_up},		  {"down", cmd_down}, {"status", cmd_status}, {"stats", cmd_stats},
	{"network", cmd_network}, {"port", cmd_port}, {"demo", cmd_demo},     {NULL, NULL},
};

int main(int argc, char **argv)
{
	const char *instance = getenv("SLUICE_INSTANCE");
	struct ctl c = {.prog = argv[0]};
	bool json = false;
	int verbose = 0, i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose++;
		} else if (!strncmp(a, "-v", 2) && strspn(a + 1, "v") == strlen(a + 1)) {
			verbose += strlen(a + 1);
		} else if (!strcmp(a, "--instance") || !strncmp(a, "--instance=", 11)) {
			if (a[10] == '=') {
				instance = a + 11;
			} else if (i + 1 < argc) {
				instance = argv[++i];
			} else {
				out_init(json);
				ctl_usage("--instance needs a NAME");
				out_error(sl_err_msg());
				return 2;
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage_main();
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("sluice %s (ABI %d)\n", SLUICE_VERSION, SLUICE_ABI_VERSION);
			return 0;
		} else {
			out_init(json);
			ctl_usage("unknown option '%s': see 'sluice --help'", a);
			out_error(sl_err_msg());
			return 2;
		}
	}
	out_init(json);
	sl_log_set_level(verbose > SL_LOG_VERBOSE ? SL_LOG_VERBOSE : (enum sl_log_level)verbose);
	sl_log_setup_libbpf();

	if (i >= argc) {
		usage_main();
		ctl_usage("missing COMMAND: see 'sluice --help'");
		out_error(sl_err_msg());
		return 2;
	}
	ret = sl_instance_init(&c.inst, instance && *instance ? instance : "default");
	if (!ret)
		ret = ctl_dispatch(&c, top_cmds, "command", argc - i, argv + i, usage_main);
	out_end();
	if (ret == 0)
		return 0;
	out_error(sl_err_msg() ? sl_err_msg() : strerror(ret < 0 ? -ret : EINVAL));
	return ret == CTL_USAGE ? 2 : 1;
}
