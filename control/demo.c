// SPDX-License-Identifier: BSD-2-Clause
/*
 * demo.c - `sluice demo`: what sluice does, shown on a throwaway topology.
 *
 * Network namespaces stand in for a host, three containers and a remote
 * client on the host's uplink; a cgroup of the demo's own holds the local
 * processes that reach published ports at the socket. Every control step runs
 * the real CLI (this binary, re-executed inside the demo's host namespace with
 * an instance of its own) and prints it with its output as a transcript.
 * Every line about traffic comes from a child process that entered a
 * namespace (and, for the socket level, the cgroup) and sent that traffic
 * just now. Names are asked of the instance's sluice-dnsd (started by `up`)
 * by a DNS client of the demo's own, on 127.0.0.11 in a container's namespace.
 *
 * Cleanup is registered before anything is created and runs on success, on
 * failure and on SIGINT/SIGTERM. Time is bounded: each child has a timeout,
 * the steps share a budget, cleanup has a reserve, and an alarm() backstop
 * kills the children and removes the namespaces if all of that failed.
 *
 * The scenario is the table demo_steps[]; later features add rows.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/sockios.h>

#include "ctl.h"
#include "datapath.h"
#include "log.h"
#include "nl.h"
#include "out.h"

#define DEMO_STEPS_MS	       22000 /* budget of all steps together */
#define DEMO_CLEANUP_MS	       4000  /* `down --purge` at the end, outside the budget */
#define DEMO_BACKSTOP_S	       27    /* alarm(): the hard stop, in case a bound above failed */
#define DEMO_BACKSTOP_PURGE_MS 1000  /* the backstop's own `down --purge` */
#define DEMO_CLI_MS	       8000  /* one CLI command */
#define DEMO_KID_MS	       4000  /* one helper child (netns creation, a probe) */
#define DEMO_BLOCK_MS	       1000  /* connect timeout of the TCP probes */
#define DEMO_IO_S	       2     /* send/receive timeout of a TCP exchange */
#define DEMO_PINGS	       3
#define DEMO_PING_GAP_MS       200
#define DEMO_PORT	       8080
#define DEMO_MAX_KIDS	       16
#define DEMO_MAX_ARGS	       32
#define DEMO_MAX_CHECKS	       32
#define DEMO_OUT_MAX	       8192
#define DEMO_WEB_PORT	       80   /* web's second port: the published one */
#define DEMO_PUB_PORT	       8080 /* published on every host address: 8080:80 */
#define DEMO_LOCAL_PORT	       8081 /* published on 127.0.0.1 only: 127.0.0.1:8081:80 */
#define DEMO_CLOSED_PORT       5300 /* published UDP, nothing listens in web: 5300:5300/udp */
#define DEMO_RMDIR_TRIES       20   /* the cgroup's last process may take a moment to leave */
#define DEMO_DNS_IP	       "127.0.0.11" /* sluice-dnsd, in every connected container's netns */
#define DEMO_DNS_PORT	       53
#define DEMO_DNS_TRIES	       3    /* UDP attempts of one query, as a stub resolver makes */
#define DEMO_DNS_WAIT_MS       500  /* one attempt */
#define DEMO_DNS_RETRY_MS      100  /* after a refused port: the socket may not be bound yet */
#define DEMO_DNS_MAX_A	       8    /* A records kept from one answer */
#define DEMO_DNSD_STOP_MS      1000 /* cleanup: a dnsd 'down --purge' left gets this, then SIGKILL */
#define NETNS_RUN_DIR	       "/run/netns"

#define WEB_IP	   "10.89.1.2"
#define APP_IP	   "10.89.1.3"
#define OTHER_IP   "10.89.2.2"
#define GW_IP	   "10.89.1.1" /* front's gateway: the host's address on that network */
#define UPLINK	   "up0"       /* the host's uplink, towards the remote client */
#define UPLINK_IP  "10.89.0.1"
#define CLIENT_IF  "eth0"
#define CLIENT_IP  "10.89.0.2"
#define LOCAL_IP   "127.0.0.1"
#define UPLINK_PFX 24

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The first NS_CLIENT are made at the start; the client when it is wired. */
enum demo_ns { NS_HOST, NS_WEB, NS_APP, NS_OTHER, NS_CLIENT, NS_MAX };

static const char *const ns_role[NS_MAX] = {"host", "web", "app", "other", "client"};
/* The addresses the connect steps give the containers (--ip), and the client's. */
static const char *const ns_ip[NS_MAX] = {NULL, WEB_IP, APP_IP, OTHER_IP, CLIENT_IP};

struct kid {
	pid_t pid;
	int out; /* read end of the child's stdout and stderr */
};

struct demo_check {
	char name[48];
	bool ok;
	char detail[160];
};

struct demo {
	pid_t pid;
	char instance[SL_INSTANCE_NAME_MAX];
	struct sl_instance inst; /* the demo's instance: its counters and directories */
	char ns_path[NS_MAX][64];
	bool ns_made[NS_MAX]; /* the file is ours: cleanup removes it */
	int ns_fd[NS_MAX];
	volatile pid_t kids[DEMO_MAX_KIDS]; /* live children, for cleanup and the backstop */
	pid_t dnsd_pid;			    /* the instance's sluice-dnsd as last seen, or 0 */
	char dnsd_pidfile[SL_DIR_MAX + 16]; /* RUN_DIR/dnsd.pid of the instance */
	char children[64];		    /* /proc/self/task/PID/children: orphans_reap() */
	struct kid server;		    /* web's TCP server */
	bool touched;			    /* a CLI step ran: the instance needs a purge */
	bool uplink_made;	 /* UPLINK exists in the host namespace: ours to delete */
	bool cgroup_made;	 /* cgroup is ours: cleanup removes it */
	char cgroup[SL_DIR_MAX]; /* the demo's cgroup for the socket-level hooks */
	bool keep;
	FILE *tr;	    /* the transcript: stdout, or stderr under -j */
	long long deadline; /* CLOCK_MONOTONIC ms: end of the steps' budget */
	unsigned int section;
	struct sl_counter base[SL_CTR_MAX]; /* counters before the traffic */
	char detail[160];		    /* a RUN step's one-line outcome */
	struct demo_check checks[DEMO_MAX_CHECKS];
	unsigned int n_checks;
	char why[256];	     /* the first failure that stopped the demo */
	char *purge_argv[6]; /* for the backstop, which may not build it */
};

enum step_kind { STEP_SECTION, STEP_CLI, STEP_RUN };

/* An excerpt of a CLI step's output: true for the lines to show. */
typedef bool (*line_filter)(const struct demo *d, const char *line);

/*
 * One row of the scenario. A RUN step's fn returns 0 when the outcome was the
 * expected one, 1 when it was not (the demo goes on and fails at the end), or
 * a negative errno when the demo cannot go on. A RUN step with a text is an
 * expected outcome and appears in the result.
 */
struct demo_step {
	enum step_kind kind;
	const char *text;	 /* SECTION: heading; RUN: the outcome checked, or NULL */
	const char *const *args; /* CLI: args after the global options; "@ROLE": netns path,
				    "@cgroup": the demo's cgroup */
	line_filter keep;	 /* CLI: show only these lines of the output, or NULL: all */
	int (*fn)(struct demo *d, const struct demo_step *s);
	enum demo_ns from;  /* probes: the sender */
	enum demo_ns to;    /* probes: the receiver */
	bool expect_reply;  /* TCP probes: a reply (true) or no way through (false) */
	const char *dst;    /* TCP probes: address to connect to; NULL: to's own */
	int port;	    /* TCP probes: port; 0: DEMO_PORT */
	const char *seen;   /* TCP probes: the source web must report; NULL: from's own */
	bool in_cgroup;	    /* TCP probes: the sender joins the demo's cgroup first */
	const int *ctrs;    /* counter checks: SL_CTR_* that must rise, ending with -1 */
	const char *qname;  /* DNS probes: the name asked for */
	const char *answer; /* DNS probes: the one address expected; NULL: NXDOMAIN */
	const char *note;   /* DNS probes: said after the expected answer */
};

static volatile sig_atomic_t demo_stop; /* the signal that asked us to stop */
static struct demo *demo_live;		/* for the emergency cleanup */

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long now_ms(void)
{
	return now_us() / 1000;
}

/* want_ms, or what is left of the steps' budget when that is less. */
static int budget(const struct demo *d, int want_ms)
{
	long long left = d->deadline - now_ms();

	if (left <= 0)
		return 0;
	return left < want_ms ? (int)left : want_ms;
}

static void set_detail(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_detail(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

/* Record why the demo stopped; the first reason wins. Returns -1. */
static int demo_failf(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int demo_failf(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	if (d->why[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	return -1;
}

static void check_add(struct demo *d, const char *name, bool ok, const char *detail)
{
	struct demo_check *c;

	if (d->n_checks >= DEMO_MAX_CHECKS)
		return;
	c = &d->checks[d->n_checks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->detail, sizeof(c->detail), "%s", detail);
	c->ok = ok;
}

/* The loader's recorded error (then cleared), or strerror. */
static const char *take_err(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", sl_err_msg() ? sl_err_msg() : strerror(err < 0 ? -err : err));
	sl_err_clear();
	return buf;
}

/* Print text with every line indented, as the output of the command above it. */
static void print_indented(FILE *f, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		int n = nl ? (int)(nl - text) : (int)strlen(text);

		fprintf(f, n ? "    %.*s\n" : "%.*s\n", n, text);
		text += n + (nl ? 1 : 0);
	}
}

/* The first line of text, for a one-line detail. */
static void first_line(char *out, size_t len, const char *text)
{
	size_t n = strcspn(text, "\n");

	snprintf(out, len, "%.*s", (int)n, text);
}

/* The last non-empty line of text. */
static void last_line(char *out, size_t len, const char *text)
{
	const char *nl;

	out[0] = '\0';
	while (*text) {
		nl = strchr(text, '\n');
		if (nl != text)
			first_line(out, len, text);
		if (!nl)
			break;
		text = nl + 1;
	}
}

/* ---- children ---- */

static void kid_track(struct demo *d, pid_t pid)
{
	for (unsigned int i = 0; i < DEMO_MAX_KIDS; i++) {
		if (!d->kids[i]) {
			d->kids[i] = pid;
			return;
		}
	}
}

static void kid_untrack(struct demo *d, pid_t pid)
{
	for (unsigned int i = 0; i < DEMO_MAX_KIDS; i++)
		if (d->kids[i] == pid)
			d->kids[i] = 0;
}

static void kid_reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

static bool kid_tracked(const struct demo *d, pid_t pid)
{
	for (unsigned int i = 0; i < DEMO_MAX_KIDS; i++)
		if (d->kids[i] == pid)
			return true;
	return false;
}

/*
 * Reap the children of the demo that exited, but spare (0: none) and, unless
 * all, the tracked kids (kid_wait() reaps those). The demo is a child
 * subreaper (see cmd_demo()): sluice-dnsd detaches with a double fork, so the
 * daemon and its middle process become the demo's children, not init's. An
 * init that reaps late, or never, would otherwise leave the stopped daemon a
 * zombie, which `down` takes for a daemon still running. Async-signal-safe:
 * the backstop calls it too.
 */
static void orphans_reap(struct demo *d, pid_t spare, bool all)
{
	char buf[1024];
	ssize_t n;
	pid_t pid = 0;
	int fd = open(d->children, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	/* Space-separated PIDs; a list cut at the end of buf loses its last one for now. */
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] >= '0' && buf[i] <= '9') {
			pid = pid * 10 + (buf[i] - '0');
			continue;
		}
		if (pid > 0 && pid != spare && (all || !kid_tracked(d, pid)))
			waitpid(pid, NULL, WNOHANG);
		pid = 0;
	}
}

/*
 * In a new child: die with the demo, ignore the terminal's Ctrl-C (the demo
 * decides when its children stop), never outlive the time bound, write to
 * outfd and enter the network namespace nsfd (-1: stay).
 */
static void child_init(const struct demo *d, int nsfd, int outfd)
{
	demo_live = NULL; /* the emergency cleanup is the demo's, not a child's */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != d->pid)
		_exit(126);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	alarm(DEMO_BACKSTOP_S);
	if (dup2(outfd, STDOUT_FILENO) < 0 || dup2(outfd, STDERR_FILENO) < 0)
		_exit(126);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "enter the network namespace: %s\n", strerror(errno));
		_exit(126);
	}
}

/* Run fn(d, arg) in a child inside nsfd; its stdout and stderr go to k->out. */
static int kid_spawn(struct demo *d, int nsfd, int (*fn)(struct demo *d, const void *arg),
		     const void *arg, struct kid *k)
{
	int p[2], err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		err = -errno;
		return sl_errf(err, "create a pipe: %s", strerror(-err));
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return sl_errf(err, "fork: %s", strerror(-err));
	}
	if (pid == 0) {
		int rc;

		child_init(d, nsfd, p[1]);
		rc = fn(d, arg);
		fflush(NULL);
		_exit(rc);
	}
	close(p[1]);
	kid_track(d, pid);
	k->pid = pid;
	k->out = p[0];
	return 0;
}

/* Append what can be read now to buf; false at the end of the output. */
static bool kid_read(const struct kid *k, char *buf, size_t len, size_t *used)
{
	char tmp[1024];
	ssize_t n = read(k->out, tmp, sizeof(tmp));
	size_t room = len - 1 - *used;

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	if ((size_t)n < room)
		room = n;
	memcpy(buf + *used, tmp, room);
	*used += room;
	buf[*used] = '\0';
	return true;
}

static void kid_drain(const struct kid *k, char *buf, size_t len, size_t *used)
{
	struct pollfd p = {.fd = k->out, .events = POLLIN};

	while (poll(&p, 1, 0) > 0 && kid_read(k, buf, len, used))
		;
}

static void kid_close(struct demo *d, struct kid *k)
{
	kid_untrack(d, k->pid);
	if (k->out >= 0)
		close(k->out);
	k->pid = 0;
	k->out = -1;
}

/*
 * Collect k's output into buf until it exits. After timeout_ms, or at once
 * when the demo is stopping and the child is interruptible, it is killed.
 * Returns its exit status (128+N for signal N), -ETIMEDOUT or -EINTR.
 */
static int kid_wait(struct demo *d, struct kid *k, int timeout_ms, bool interruptible, char *buf,
		    size_t len)
{
	long long end = now_ms() + timeout_ms, left;
	bool open = true;
	size_t used = 0;
	int status, ret;

	buf[0] = '\0';
	for (;;) {
		struct pollfd p = {.fd = k->out, .events = POLLIN};

		if (waitpid(k->pid, &status, WNOHANG) == k->pid) {
			kid_drain(k, buf, len, &used);
			ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		orphans_reap(d, 0, false); /* `down` may be waiting for a sluice-dnsd to go */
		left = end - now_ms();
		if (left <= 0 || (interruptible && demo_stop)) {
			kill(k->pid, SIGKILL);
			kid_reap(k->pid, &status);
			kid_drain(k, buf, len, &used);
			ret = left <= 0 ? -ETIMEDOUT : -EINTR;
			break;
		}
		/* Output closed: the child is exiting; look again soon. */
		p.fd = open ? k->out : -1;
		if (poll(&p, 1, open ? (left < 50 ? left : 50) : 2) > 0 &&
		    !kid_read(k, buf, len, &used))
			open = false;
	}
	kid_close(d, k);
	return ret;
}

/* Read k's first line (without the newline) within timeout_ms; false if there is none. */
static bool kid_read_line(const struct kid *k, int timeout_ms, char *buf, size_t len)
{
	long long end = now_ms() + timeout_ms, left;
	size_t used = 0;

	buf[0] = '\0';
	while (!strchr(buf, '\n') && used < len - 1) {
		struct pollfd p = {.fd = k->out, .events = POLLIN};

		left = end - now_ms();
		if (left <= 0 || demo_stop)
			return false;
		if (poll(&p, 1, left) > 0 && !kid_read(k, buf, len, &used))
			return false;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* Kill every child still running, by PID. */
static void kids_kill_all(struct demo *d)
{
	for (unsigned int i = 0; i < DEMO_MAX_KIDS; i++) {
		pid_t pid = d->kids[i];

		if (!pid)
			continue;
		kill(pid, SIGKILL);
		kid_reap(pid, NULL);
		d->kids[i] = 0;
	}
	if (d->server.out >= 0)
		close(d->server.out);
	d->server.pid = 0;
	d->server.out = -1;
}

/* ---- the CLI ---- */

/* A CLI argument: "@cgroup" is the demo's cgroup, "@ROLE" a namespace's path. */
static const char *cli_arg(const struct demo *d, const char *arg)
{
	if (arg[0] != '@')
		return arg;
	if (!strcmp(arg + 1, "cgroup"))
		return d->cgroup;
	for (int i = 0; i < NS_MAX; i++)
		if (!strcmp(ns_role[i], arg + 1))
			return d->ns_path[i];
	return arg;
}

/* Print the lines of text that keep() wants, indented, and say how many were left out. */
static void print_excerpt(const struct demo *d, const char *text, line_filter keep)
{
	unsigned int hidden = 0;
	char line[256];

	while (*text) {
		size_t n = strcspn(text, "\n");

		first_line(line, sizeof(line), text);
		if (keep(d, line))
			fprintf(d->tr, "    %s\n", line);
		else
			hidden++;
		text += n + (text[n] ? 1 : 0);
	}
	fprintf(d->tr, "    (excerpt: %u more line%s not shown)\n", hidden, hidden == 1 ? "" : "s");
}

static int cli_exec(struct demo *d, const void *arg)
{
	(void)d;
	execv("/proc/self/exe", (char *const *)arg);
	fprintf(stderr, "execute /proc/self/exe: %s\n", strerror(errno));
	return 127;
}

/* How a CLI child ended, when not with 0. */
static void cli_status(int status, int timeout_ms, char *buf, size_t len)
{
	if (status == -ETIMEDOUT)
		snprintf(buf, len, "killed: no result within %.1f s", timeout_ms / 1000.0);
	else if (status == -EINTR)
		snprintf(buf, len, "interrupted");
	else
		snprintf(buf, len, "exit status %d", status);
}

/*
 * Print `$ sluice ARGS`, run it as `sluice --instance demoPID ARGS` inside the
 * demo's host namespace and print its output (only the lines keep() wants when
 * it succeeded and keep is not NULL). Returns 0 or -1 (recorded).
 */
static int run_cli(struct demo *d, const char *const *args, line_filter keep, int timeout_ms)
{
	const char *argv[DEMO_MAX_ARGS];
	char out[DEMO_OUT_MAX], cmd[1024] = "sluice", why[256], last[200];
	struct kid k;
	int n = 0, st;

	argv[n++] = "sluice";
	argv[n++] = "--instance";
	argv[n++] = d->instance;
	for (; *args && n < DEMO_MAX_ARGS - 1; args++) {
		size_t used = strlen(cmd);

		argv[n] = cli_arg(d, *args);
		/* Only the echo can be cut short (it has room for most), not argv. */
		if (snprintf(cmd + used, sizeof(cmd) - used, " %s", argv[n++]) < 0)
			cmd[used] = '\0';
	}
	argv[n] = NULL;
	fprintf(d->tr, "$ %s\n", cmd);
	d->touched = true;
	if (kid_spawn(d, d->ns_fd[NS_HOST], cli_exec, argv, &k))
		return demo_failf(d, "'%s': %s", cmd, take_err(-EIO, why, sizeof(why)));
	st = kid_wait(d, &k, timeout_ms, false, out, sizeof(out));
	if (st == 0 && keep) {
		print_excerpt(d, out, keep);
		return 0;
	}
	print_indented(d->tr, out);
	if (st == 0)
		return 0;
	cli_status(st, timeout_ms, why, sizeof(why));
	fprintf(d->tr, "    (%s)\n", why);
	/* The CLI's error line comes last. */
	last_line(last, sizeof(last), out);
	return demo_failf(d, "'%s' failed (%s)%s%s", cmd, why, last[0] ? ": " : "", last);
}

/* ---- namespaces ---- */

/* Like `ip netns add`: /run/netns is a shared mount, so the mounts show in every mount ns. */
static int netns_dir_ready(void)
{
	int err;

	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		return sl_errf(err, "create %s: %s", NETNS_RUN_DIR, strerror(-err));
	}
	for (bool bound = false;; bound = true) {
		if (!mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
			return 0;
		err = -errno;
		if (err != -EINVAL || bound)
			break;
		/* Not a mount point yet: bind it onto itself first. */
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0) {
			err = -errno;
			break;
		}
	}
	return sl_errf(err, "make %s a shared mount: %s", NETNS_RUN_DIR, strerror(-err));
}

/* In a child: a new network namespace, kept alive by a bind mount on arg (the path). */
static int netns_bind(struct demo *d, const void *arg)
{
	(void)d;
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	if (mount("/proc/thread-self/ns/net", arg, "none", MS_BIND, NULL) < 0) {
		fprintf(stderr, "bind-mount the namespace on %s: %s\n", (const char *)arg,
			strerror(errno));
		return 1;
	}
	return 0;
}

static int netns_lo_up(int nsfd)
{
	struct sl_link_info li;
	struct sl_nl *nl;
	int err;

	if ((err = sl_nl_open_netns(nsfd, &nl)))
		return err;
	err = sl_nl_link_get(nl, "lo", &li);
	if (!err)
		err = sl_nl_link_set_up(nl, li.ifindex);
	sl_nl_close(nl);
	return err;
}

/* Create the named namespace i, as `ip netns add` does, with lo up. */
static int netns_add(struct demo *d, int i)
{
	const char *path = d->ns_path[i];
	char out[512];
	struct kid k;
	int fd, err;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		return sl_errf(err, "create %s: %s", path, strerror(-err));
	}
	close(fd);
	d->ns_made[i] = true; /* cleanup owns it from here on */
	if ((err = kid_spawn(d, -1, netns_bind, path, &k)))
		return err;
	err = kid_wait(d, &k, DEMO_KID_MS, false, out, sizeof(out));
	if (err) {
		out[strcspn(out, "\n")] = '\0';
		return sl_errf(-EIO, "create the network namespace %s: %s", path,
			       out[0] ? out : "the child failed");
	}
	d->ns_fd[i] = sl_netns_open_path(path, NULL, NULL);
	if (d->ns_fd[i] < 0)
		return d->ns_fd[i];
	return netns_lo_up(d->ns_fd[i]);
}

/* Unmount and remove every namespace the demo made, last first. Returns how many failed. */
static int netns_remove_all(struct demo *d, char *why, size_t len)
{
	int failed = 0;

	for (int i = NS_MAX - 1; i >= 0; i--) {
		if (d->ns_fd[i] >= 0)
			close(d->ns_fd[i]);
		d->ns_fd[i] = -1;
		if (!d->ns_made[i])
			continue;
		umount2(d->ns_path[i], MNT_DETACH);
		if (unlink(d->ns_path[i]) < 0 && errno != ENOENT && !failed++)
			snprintf(why, len, "remove %s: %s", d->ns_path[i], strerror(errno));
		d->ns_made[i] = false;
	}
	return failed;
}

static int step_netns(struct demo *d, const struct demo_step *s)
{
	char why[256];
	int err;

	(void)s;
	err = netns_dir_ready();
	for (int i = 0; !err && i < NS_CLIENT; i++)
		err = netns_add(d, i);
	if (err) {
		set_detail(d, "%s", take_err(err, why, sizeof(why)));
		fprintf(d->tr, "    %s\n", d->detail);
		return err;
	}
	fprintf(d->tr, "created as 'ip netns add' does; each has only lo, up:\n");
	for (int i = 0; i < NS_CLIENT; i++)
		fprintf(d->tr, "    %-22s %s%s\n", strrchr(d->ns_path[i], '/') + 1,
			i == NS_HOST ? "the host: sluice runs here" : "container ",
			i == NS_HOST ? "" : ns_role[i]);
	return 0;
}

/* ---- traffic ---- */

static int sockaddr_of(const char *ip, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

static void set_io_timeouts(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Read up to a newline (dropped) or EOF; returns the length or -errno. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	while (used < len - 1) {
		n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += n;
		buf[used] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[used] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strlen(buf);
}

/* web's answer to one connection: who it saw calling. */
static void web_answer(int fd, const struct sockaddr_in *peer)
{
	char req[256], ip[INET_ADDRSTRLEN], reply[128];
	int n;

	set_io_timeouts(fd, DEMO_IO_S);
	if (read_line(fd, req, sizeof(req)) < 0)
		return;
	inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof(ip));
	n = snprintf(reply, sizeof(reply), "hello from web, you are %s\n", ip);
	if (write(fd, reply, n) < 0)
		return;
}

/* A listening TCP socket on WEB_IP:port, or -1 (said on stdout). */
static int web_listen(int port)
{
	struct sockaddr_in sa;
	int one = 1, fd;

	sockaddr_of(WEB_IP, port, &sa);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		printf("cannot listen on %s:%d: %s\n", WEB_IP, port, strerror(errno));
		return -1;
	}
	return fd;
}

/*
 * In a child in web's namespace: a TCP server on WEB_IP, DEMO_PORT (reached
 * from its network) and DEMO_WEB_PORT (published), until killed.
 */
static int web_serve(struct demo *d, const void *arg)
{
	struct pollfd p[2] = {{.fd = web_listen(DEMO_PORT), .events = POLLIN},
			      {.fd = web_listen(DEMO_WEB_PORT), .events = POLLIN}};

	(void)d;
	(void)arg;
	if (p[0].fd < 0 || p[1].fd < 0)
		return 1;
	printf("listening on %s:%d and %s:%d\n", WEB_IP, DEMO_PORT, WEB_IP, DEMO_WEB_PORT);
	fflush(stdout);
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			printf("poll: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < 2; i++) {
			struct sockaddr_in peer;
			socklen_t len = sizeof(peer);
			int c;

			if (!(p[i].revents & POLLIN))
				continue;
			c = accept4(p[i].fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
			if (c < 0 && errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
				printf("accept: %s\n", strerror(errno));
				return 1;
			}
			if (c < 0)
				continue;
			web_answer(c, &peer);
			close(c);
		}
	}
}

static int step_server(struct demo *d, const struct demo_step *s)
{
	char line[256], why[256];
	int st;

	(void)s;
	if (kid_spawn(d, d->ns_fd[NS_WEB], web_serve, NULL, &d->server)) {
		set_detail(d, "start web's server: %s", take_err(-EIO, why, sizeof(why)));
		return -EIO;
	}
	if (kid_read_line(&d->server, budget(d, DEMO_KID_MS), line, sizeof(line)) &&
	    !strncmp(line, "listening", 9)) {
		fprintf(d->tr, "web: a TCP server in web's namespace (pid %d), %s\n", d->server.pid,
			line);
		return 0;
	}
	st = kid_wait(d, &d->server, 0, true, line, sizeof(line));
	first_line(why, sizeof(why), line);
	set_detail(d, "web's server did not start: %s", why[0] ? why : strerror(-st));
	fprintf(d->tr, "    %s\n", d->detail);
	return -EIO;
}

/* Connect within ms: 0, -ETIMEDOUT, or the connect error. */
static int connect_within(int fd, const struct sockaddr_in *sa, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int flags = fcntl(fd, F_GETFL), err = 0, n;
	socklen_t len = sizeof(err);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		n = poll(&p, 1, ms);
		if (n == 0)
			return -ETIMEDOUT;
		if (n < 0)
			return -errno;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -errno;
		if (err)
			return -err;
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

/* One request, one reply line; checks web saw the sender's own address. */
static int tcp_exchange(int fd, const char *from_ip, long long t_conn)
{
	static const char req[] = "hello\n";
	char reply[256], want[128];
	long long t0, t1;
	int n;

	set_io_timeouts(fd, DEMO_IO_S);
	t0 = now_us();
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		printf("send: %s\n", strerror(errno));
		return 1;
	}
	n = read_line(fd, reply, sizeof(reply));
	if (n == 0)
		printf("no reply: the connection closed\n");
	else if (n == -EAGAIN)
		printf("no reply within %d s\n", DEMO_IO_S);
	else if (n < 0)
		printf("no reply: %s\n", strerror(-n));
	if (n <= 0)
		return 1;
	t1 = now_us();
	printf("reply: \"%s\"\n", reply);
	printf("connect %.3f ms, request to reply %.3f ms\n", t_conn / 1000.0, (t1 - t0) / 1000.0);
	snprintf(want, sizeof(want), "hello from web, you are %s", from_ip);
	if (strcmp(reply, want)) {
		printf("expected \"%s\"\n", want);
		return 1;
	}
	return 0;
}

/* What a probe that must not get through saw: blocked, or how it got through. */
static int tcp_report_blocked(int err, long long elapsed_us)
{
	if (err == -ETIMEDOUT) {
		printf("blocked (timeout: no answer within %.1f s)\n", elapsed_us / 1e6);
		return 0;
	}
	if (err == -ENETUNREACH || err == -EHOSTUNREACH) {
		printf("blocked (%s)\n", strerror(-err));
		return 0;
	}
	if (err == 0)
		printf("NOT blocked: the connection was accepted\n");
	else if (err == -ECONNREFUSED)
		printf("NOT blocked: the destination answered with a reset (%s)\n", strerror(-err));
	else
		printf("unexpected: %s\n", strerror(-err));
	return 1;
}

static const char *probe_dst(const struct demo_step *s)
{
	return s->dst ? s->dst : ns_ip[s->to];
}

static int probe_port(const struct demo_step *s)
{
	return s->port ? s->port : DEMO_PORT;
}

/* The source address web must report. */
static const char *probe_seen(const struct demo_step *s)
{
	return s->seen ? s->seen : ns_ip[s->from];
}

/* In a child: move this process into the demo's cgroup. */
static int cgroup_join(const struct demo *d)
{
	char path[SL_DIR_MAX + 16], pid[16];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", d->cgroup);
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, n) != n)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err)
		printf("join the cgroup %s: %s\n", d->cgroup, strerror(err));
	return err ? 1 : 0;
}

/* Print both ends of the connected socket fd as its owner sees them; true when local is want. */
static bool sock_ends(const struct demo *d, int fd, const char *want)
{
	struct sockaddr_in me, peer;
	socklen_t me_len = sizeof(me), peer_len = sizeof(peer);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&me, &me_len) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &peer_len) < 0) {
		printf("getsockname/getpeername: %s\n", strerror(errno));
		return false;
	}
	inet_ntop(AF_INET, &me.sin_addr, a, sizeof(a));
	inet_ntop(AF_INET, &peer.sin_addr, b, sizeof(b));
	printf("the client: pid %d in the host namespace and cgroup %s\n", (int)getpid(),
	       strrchr(d->cgroup, '/') + 1);
	printf("its socket: local %s:%d, peer %s:%d (getsockname, getpeername)\n", a,
	       ntohs(me.sin_port), b, ntohs(peer.sin_port));
	return !strcmp(a, want);
}

/*
 * After a published port answered. A remote client: web saw its own address.
 * A local one: its socket's own ends show where connect() went (the local
 * address is on web's network, not loopback) and what the process asked for.
 */
static int published_report(const struct demo *d, const struct demo_step *s, int fd)
{
	if (!s->in_cgroup) {
		printf("web saw the client's own address: docker-proxy would have shown its own\n");
		return 0;
	}
	if (!sock_ends(d, fd, probe_seen(s))) {
		printf("expected the local address %s: the connection went elsewhere\n",
		       probe_seen(s));
		return 1;
	}
	printf("no proxy process: the connect() itself was pointed at the container\n");
	return 0;
}

/* In a child in s->from's namespace (and maybe the cgroup): connect to web's server. */
static int tcp_probe(struct demo *d, const void *arg)
{
	const struct demo_step *s = arg;
	struct sockaddr_in sa;
	long long t0, t1;
	int fd, err;

	if (s->in_cgroup && cgroup_join(d))
		return 1;
	sockaddr_of(probe_dst(s), probe_port(s), &sa);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("socket: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_us();
	err = connect_within(fd, &sa, DEMO_BLOCK_MS);
	t1 = now_us();
	if (!s->expect_reply)
		return tcp_report_blocked(err, t1 - t0);
	if (err) {
		printf("connect: %s\n", strerror(-err));
		return 1;
	}
	if (tcp_exchange(fd, probe_seen(s), t1 - t0))
		return 1;
	return s->dst ? published_report(d, s, fd) : 0;
}

/* Which line of a probe's output is its one-line outcome in the result. */
enum probe_detail {
	DETAIL_FIRST,
	DETAIL_LAST,  /* a summary, printed last */
	DETAIL_REPLY, /* the "reply: " line of a TCP exchange, else the last (what went wrong) */
};

/* The first line of text that starts with prefix; false when there is none. */
static bool prefixed_line(char *out, size_t len, const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (; *text; text += strcspn(text, "\n") + (text[strcspn(text, "\n")] ? 1 : 0)) {
		if (!strncmp(text, prefix, n)) {
			first_line(out, len, text);
			return true;
		}
	}
	return false;
}

/* Run a probe child for step s and print what it saw. */
static int run_probe(struct demo *d, const struct demo_step *s,
		     int (*fn)(struct demo *d, const void *arg), enum probe_detail pick)
{
	char out[2048], why[256];
	struct kid k;
	int st;

	if (kid_spawn(d, d->ns_fd[s->from], fn, s, &k)) {
		set_detail(d, "%s", take_err(-EIO, why, sizeof(why)));
		return -EIO;
	}
	st = kid_wait(d, &k, budget(d, DEMO_KID_MS), true, out, sizeof(out));
	if (st == -ETIMEDOUT)
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
			 "no result in time (killed)\n");
	else if (st == -EINTR)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "interrupted\n");
	print_indented(d->tr, out);
	if (pick == DETAIL_REPLY && st >= 0 &&
	    prefixed_line(d->detail, sizeof(d->detail), out, "reply: "))
		return st == 0 ? 0 : 1;
	if (pick != DETAIL_FIRST && st >= 0)
		last_line(d->detail, sizeof(d->detail), out);
	else
		first_line(d->detail, sizeof(d->detail), out);
	return st == 0 ? 0 : 1;
}

static int step_tcp(struct demo *d, const struct demo_step *s)
{
	fprintf(d->tr, "%s: %s:%d", s->text, probe_dst(s), probe_port(s));
	if (!s->expect_reply)
		fprintf(d->tr, " (%.0f s timeout)", DEMO_BLOCK_MS / 1000.0);
	fprintf(d->tr, "\n");
	return run_probe(d, s, tcp_probe, DETAIL_FIRST);
}

/*
 * In a child in the client's namespace: a connected UDP socket to a published
 * port web does not serve. web's kernel answers port unreachable about
 * client -> web:port; only translated (from the host address, quoting
 * host:port) can the client's kernel match it to the socket, which then
 * reports ECONNREFUSED. Untranslated, the client waits out its timeout.
 */
static int udp_refused_probe(struct demo *d, const void *arg)
{
	const struct demo_step *s = arg;
	struct sockaddr_in sa;
	char buf[64];
	long long t0;
	ssize_t n;
	int fd;

	(void)d;
	sockaddr_of(probe_dst(s), probe_port(s), &sa);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("socket: %s\n", strerror(errno));
		return 1;
	}
	set_io_timeouts(fd, DEMO_BLOCK_MS / 1000);
	t0 = now_us();
	if (send(fd, "hello", 5, 0) < 0) {
		printf("send: %s\n", strerror(errno));
		return 1;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == ECONNREFUSED) {
		printf("refused in %.3f ms: web's port unreachable came back from %s:%d\n",
		       (now_us() - t0) / 1e3, probe_dst(s), probe_port(s));
		printf("    sluice translated it; untranslated, the client would wait out its "
		       "timeout\n");
		return 0;
	}
	if (n < 0)
		printf("no refusal: %s after %.1f s\n", strerror(errno), (now_us() - t0) / 1e6);
	else
		printf("unexpected: an answer of %zd bytes\n", n);
	return 1;
}

static int step_udp_refused(struct demo *d, const struct demo_step *s)
{
	fprintf(d->tr, "%s: %s:%d\n", s->text, probe_dst(s), probe_port(s));
	return run_probe(d, s, udp_refused_probe, DETAIL_FIRST);
}

/* The Internet checksum, summed in memory order. */
static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	uint16_t w;

	for (; len > 1; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

struct echo {
	struct icmphdr h;
	uint8_t data[56]; /* 64 bytes of ICMP, as ping sends */
};

static int echo_send(int fd, const struct sockaddr_in *dst, uint16_t id, uint16_t seq)
{
	struct echo e = {.h.type = ICMP_ECHO};

	e.h.un.echo.id = htons(id);
	e.h.un.echo.sequence = htons(seq);
	for (size_t i = 0; i < sizeof(e.data); i++)
		e.data[i] = i;
	e.h.checksum = inet_csum(&e, sizeof(e));
	if (sendto(fd, &e, sizeof(e), 0, (const struct sockaddr *)dst, sizeof(*dst)) < 0)
		return -errno;
	return 0;
}

/* Wait up to 1 s from t0 for the echo reply id/seq from dst; rtt in us, or -1. */
static long long echo_wait(int fd, const struct sockaddr_in *dst, uint16_t id, uint16_t seq,
			   long long t0, int *ttl, int *bytes)
{
	long long end = t0 + 1000000, left;
	uint8_t buf[1500];

	while ((left = end - now_us()) > 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		const struct iphdr *ip = (const struct iphdr *)buf;
		const struct icmphdr *ic;
		ssize_t n;

		if (poll(&p, 1, (left + 999) / 1000) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(*ip) || n < ip->ihl * 4 + (ssize_t)sizeof(*ic))
			continue;
		ic = (const struct icmphdr *)(buf + ip->ihl * 4);
		if (ip->saddr != dst->sin_addr.s_addr || ic->type != ICMP_ECHOREPLY ||
		    ntohs(ic->un.echo.id) != id || ntohs(ic->un.echo.sequence) != seq)
			continue;
		*ttl = ip->ttl;
		*bytes = n - ip->ihl * 4;
		return now_us() - t0;
	}
	return -1;
}

/* In a child in s->from's namespace: DEMO_PINGS echo requests to s->to. */
static int ping_probe(struct demo *d, const void *arg)
{
	const struct demo_step *s = arg;
	long long rtt, min = 0, max = 0, sum = 0;
	uint16_t id = getpid() & 0xffff;
	struct sockaddr_in dst;
	int fd, got = 0, ttl, bytes, err;

	(void)d;
	sockaddr_of(ns_ip[s->to], 0, &dst);
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0) {
		printf("raw ICMP socket: %s\n", strerror(errno));
		return 1;
	}
	for (int seq = 1; seq <= DEMO_PINGS; seq++) {
		long long t0;

		if (seq > 1)
			poll(NULL, 0, DEMO_PING_GAP_MS);
		t0 = now_us();
		err = echo_send(fd, &dst, id, seq);
		if (err) {
			printf("icmp_seq=%d: send: %s\n", seq, strerror(-err));
			continue;
		}
		rtt = echo_wait(fd, &dst, id, seq, t0, &ttl, &bytes);
		if (rtt < 0) {
			printf("icmp_seq=%d: no reply within 1 s\n", seq);
			continue;
		}
		printf("%d bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms\n", bytes, ns_ip[s->to],
		       seq, ttl, rtt / 1000.0);
		min = got && min < rtt ? min : rtt;
		max = max > rtt ? max : rtt;
		sum += rtt;
		got++;
	}
	printf("%d sent, %d received", DEMO_PINGS, got);
	if (got)
		printf(", rtt min/avg/max %.3f/%.3f/%.3f ms", min / 1000.0, sum / 1000.0 / got,
		       max / 1000.0);
	printf("\n");
	return got == DEMO_PINGS ? 0 : 1;
}

static int step_ping(struct demo *d, const struct demo_step *s)
{
	fprintf(d->tr, "%s: %s\n", s->text, ns_ip[s->to]);
	return run_probe(d, s, ping_probe, DETAIL_LAST);
}

/* ---- names: a minimal DNS client for sluice-dnsd ---- */

#define DNS_HDR_LEN	   12
#define DNS_NAME_MAX	   255 /* wire form, length octets included (RFC 1035 3.1) */
#define DNS_LABEL_MAX	   63
#define DNS_QUERY_MAX	   (DNS_HDR_LEN + DNS_NAME_MAX + 4)
#define DNS_PTR_HOPS	   32 /* compression pointers followed in one name */
#define DNS_TYPE_A	   1
#define DNS_CLASS_IN	   1
#define DNS_F_QR	   0x8000 /* header flags, host order: a response */
#define DNS_F_AA	   0x0400 /* authoritative answer */
#define DNS_F_TC	   0x0200 /* truncated */
#define DNS_F_RD	   0x0100 /* recursion desired */
#define DNS_OPCODE(f)	   (((f) >> 11) & 0xf)
#define DNS_RCODE(f)	   ((f)&0xf)
#define DNS_RCODE_NXDOMAIN 3

/* What an answer to one A query said. */
struct dns_reply {
	unsigned int rcode; /* DNS_RCODE_*: 0 NOERROR, 3 NXDOMAIN, ... */
	bool aa;	    /* authoritative (a local name of sluice-dnsd) */
	bool tc;	    /* truncated */
	unsigned int n_a;   /* A records of the name asked for, at most DEMO_DNS_MAX_A kept */
	struct in_addr a[DEMO_DNS_MAX_A]; /* network byte order, in the answer's order */
	uint32_t ttl;			  /* seconds, of the first A record */
};

/* A read cursor over one message: every read of the parser is bounds-checked here. */
struct dns_buf {
	const uint8_t *p;
	size_t len; /* bytes in p */
	size_t off; /* the next byte to read */
};

static bool dnsb_u16(struct dns_buf *b, uint16_t *v)
{
	if (b->len - b->off < 2)
		return false;
	*v = (uint16_t)(b->p[b->off] << 8 | b->p[b->off + 1]);
	b->off += 2;
	return true;
}

static bool dnsb_u32(struct dns_buf *b, uint32_t *v)
{
	uint16_t hi, lo;

	if (!dnsb_u16(b, &hi) || !dnsb_u16(b, &lo))
		return false;
	*v = (uint32_t)hi << 16 | lo;
	return true;
}

static bool dnsb_skip(struct dns_buf *b, size_t n)
{
	if (b->len - b->off < n)
		return false;
	b->off += n;
	return true;
}

/*
 * Read the name at the cursor into out, dotted and without the root's dot
 * ("" for the root), and move the cursor past it. Compression pointers are
 * followed only strictly backwards, so they cannot loop. False when the name
 * is truncated, has a reserved label type, a pointer forwards, is longer than
 * DNS_NAME_MAX or does not fit out.
 */
static bool dnsb_name(struct dns_buf *b, char *out, size_t len)
{
	size_t pos = b->off, after = 0, used = 0, wire = 1;
	unsigned int hops = 0;

	out[0] = '\0';
	for (;;) {
		uint8_t l;

		if (pos >= b->len)
			return false;
		l = b->p[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= b->len || ++hops > DNS_PTR_HOPS)
				return false;
			to = (size_t)(l & 0x3f) << 8 | b->p[pos + 1];
			if (to >= pos)
				return false;
			if (!after)
				after = pos + 2; /* the cursor ends after the first pointer */
			pos = to;
			continue;
		}
		if (l & 0xc0)
			return false; /* 01 and 10: extended and reserved label types */
		if (!l)
			break;
		wire += 1 + l;
		if (wire > DNS_NAME_MAX || b->len - pos - 1 < l || used + l + 2 > len)
			return false;
		if (used)
			out[used++] = '.';
		memcpy(out + used, b->p + pos + 1, l);
		used += l;
		out[used] = '\0';
		pos += 1 + l;
	}
	b->off = after ? after : pos + 1;
	return true;
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * A query with ID id for the A record of name (dotted; a final dot is
 * allowed), with RD set as a stub resolver sends it, into buf of len bytes.
 * Returns its length, or -EINVAL for an empty label, a label over 63 bytes or
 * a name over 255, -ENOBUFS when buf is shorter than DNS_QUERY_MAX.
 */
static int dns_query_build(uint8_t *buf, size_t len, uint16_t id, const char *name)
{
	size_t off = DNS_HDR_LEN;

	if (len < DNS_QUERY_MAX)
		return -ENOBUFS;
	memset(buf, 0, DNS_HDR_LEN);
	put_u16(buf, id);
	put_u16(buf + 2, DNS_F_RD);
	put_u16(buf + 4, 1); /* qdcount; an, ns and ar stay 0 */
	while (*name) {
		size_t n = strcspn(name, ".");

		if (!n || n > DNS_LABEL_MAX || off + 1 + n + 1 > DNS_HDR_LEN + DNS_NAME_MAX)
			return -EINVAL;
		buf[off++] = n;
		memcpy(buf + off, name, n);
		off += n;
		name += n + (name[n] == '.');
	}
	buf[off++] = 0;
	put_u16(buf + off, DNS_TYPE_A);
	put_u16(buf + off + 2, DNS_CLASS_IN);
	return off + 4;
}

/*
 * Parse msg as the answer to query id for the A record of name. Outcomes:
 *   0         the answer: r holds its rcode, flags and the A records of name
 *             (owner compared case-insensitively; other records skipped)
 *   -ESRCH    not an answer to that query (another ID, not a response, not
 *             a standard query, another question): keep waiting
 *   -EBADMSG  malformed: a section cut short, a bad name, several questions
 */
static int dns_reply_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
			   struct dns_reply *r)
{
	struct dns_buf b = {.p = msg, .len = len};
	uint16_t rid, flags, qd, an, type, class, rdlen;
	char owner[DNS_NAME_MAX + 1];
	uint32_t ttl;

	memset(r, 0, sizeof(*r));
	if (!dnsb_u16(&b, &rid) || !dnsb_u16(&b, &flags) || !dnsb_u16(&b, &qd) ||
	    !dnsb_u16(&b, &an) || !dnsb_skip(&b, 4)) /* nscount, arcount: not read */
		return -EBADMSG;
	if (rid != id || !(flags & DNS_F_QR) || DNS_OPCODE(flags) != 0)
		return -ESRCH;
	r->rcode = DNS_RCODE(flags);
	r->aa = flags & DNS_F_AA;
	r->tc = flags & DNS_F_TC;
	if (qd > 1)
		return -EBADMSG;
	if (!qd) /* allowed for an error (FORMERR, ...): the rcode is the answer */
		return an ? -EBADMSG : 0;
	if (!dnsb_name(&b, owner, sizeof(owner)) || !dnsb_u16(&b, &type) || !dnsb_u16(&b, &class))
		return -EBADMSG;
	if (strcasecmp(owner, name) || type != DNS_TYPE_A || class != DNS_CLASS_IN)
		return -ESRCH;
	for (unsigned int i = 0; i < an; i++) {
		if (!dnsb_name(&b, owner, sizeof(owner)) || !dnsb_u16(&b, &type) ||
		    !dnsb_u16(&b, &class) || !dnsb_u32(&b, &ttl) || !dnsb_u16(&b, &rdlen) ||
		    b.len - b.off < rdlen)
			return -EBADMSG;
		if (type == DNS_TYPE_A && class == DNS_CLASS_IN && rdlen == 4 &&
		    !strcasecmp(owner, name) && r->n_a < DEMO_DNS_MAX_A) {
			memcpy(&r->a[r->n_a], b.p + b.off, 4);
			if (!r->n_a)
				r->ttl = ttl;
			r->n_a++;
		}
		b.off += rdlen;
	}
	return 0;
}

static const char *dns_rcode_name(unsigned int rcode)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};

	return rcode < ARRAY_SIZE(names) ? names[rcode] : "an unknown rcode";
}

/* The answer in one line: "NAME -> A[, A...] (TTL n)", "NAME -> NXDOMAIN", ... */
static void dns_line(char *out, size_t len, const char *name, const struct dns_reply *r)
{
	char ip[INET_ADDRSTRLEN];
	size_t used;

	used = snprintf(out, len, "%s -> ", name);
	if (r->rcode || !r->n_a) {
		snprintf(out + used, len - used, "%s%s", dns_rcode_name(r->rcode),
			 r->rcode ? "" : " with no address (NODATA)");
		return;
	}
	for (unsigned int i = 0; i < r->n_a && used < len; i++) {
		inet_ntop(AF_INET, &r->a[i], ip, sizeof(ip));
		used += snprintf(out + used, len - used, "%s%s", i ? ", " : "", ip);
	}
	if (used < len)
		snprintf(out + used, len - used, " (TTL %u)", r->ttl);
}

/* True when r is NOERROR with exactly the address ip. */
static bool dns_is(const struct dns_reply *r, const char *ip)
{
	struct in_addr want;

	return inet_pton(AF_INET, ip, &want) == 1 && !r->rcode && r->n_a == 1 &&
	       r->a[0].s_addr == want.s_addr;
}

/*
 * In a child in a container's namespace: ask DEMO_DNS_IP:53 over UDP for the
 * A record of name, as a stub resolver does: a random ID, up to DEMO_DNS_TRIES
 * attempts of DEMO_DNS_WAIT_MS, and only a reply to that very query counts.
 * Returns 0 with the answer in r, the round trip of the answered attempt in
 * *rtt_us and the attempts in *tries; or -errno, said on stdout.
 */
static int dns_ask(const char *name, struct dns_reply *r, long long *rtt_us, int *tries)
{
	struct timespec pause = {.tv_nsec = DEMO_DNS_RETRY_MS * 1000000L};
	uint8_t q[DNS_QUERY_MAX], buf[1500];
	int fd, qlen, err = -ETIMEDOUT;
	struct sockaddr_in sa;
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(now_us() ^ getpid());
	qlen = dns_query_build(q, sizeof(q), id, name);
	if (qlen < 0) {
		printf("%s: cannot ask for it: %s\n", name, strerror(-qlen));
		return qlen;
	}
	sockaddr_of(DEMO_DNS_IP, DEMO_DNS_PORT, &sa);
	/* Connected: a port nobody listens on shows as ECONNREFUSED, not a timeout. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		printf("UDP socket to %s:%d: %s\n", DEMO_DNS_IP, DEMO_DNS_PORT, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	for (*tries = 1; *tries <= DEMO_DNS_TRIES; (*tries)++) {
		long long t0 = now_us(), end = t0 + DEMO_DNS_WAIT_MS * 1000LL, left;

		err = send(fd, q, qlen, 0) < 0 ? -errno : -ETIMEDOUT;
		while (err != -ECONNREFUSED && (left = end - now_us()) > 0) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			ssize_t n;

			if (poll(&p, 1, (left + 999) / 1000) <= 0)
				continue;
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0) {
				err = errno == ECONNREFUSED ? -ECONNREFUSED : err;
				continue;
			}
			err = dns_reply_parse(buf, n, id, name, r);
			if (err == -ESRCH) {
				err = -ETIMEDOUT;
				continue;
			}
			*rtt_us = now_us() - t0;
			close(fd);
			if (err)
				printf("%s: a malformed answer from %s:%d (%zd bytes)\n", name,
				       DEMO_DNS_IP, DEMO_DNS_PORT, n);
			return err;
		}
		if (err == -ECONNREFUSED && *tries < DEMO_DNS_TRIES)
			nanosleep(&pause, NULL);
	}
	close(fd);
	*tries = DEMO_DNS_TRIES;
	if (err == -ECONNREFUSED)
		printf("%s: no DNS server on %s:%d in this namespace (port unreachable, %d "
		       "attempts)\n",
		       name, DEMO_DNS_IP, DEMO_DNS_PORT, DEMO_DNS_TRIES);
	else if (err == -ETIMEDOUT)
		printf("%s: no answer from %s:%d (%d attempts of %.1f s)\n", name, DEMO_DNS_IP,
		       DEMO_DNS_PORT, DEMO_DNS_TRIES, DEMO_DNS_WAIT_MS / 1000.0);
	else
		printf("%s: send to %s:%d: %s\n", name, DEMO_DNS_IP, DEMO_DNS_PORT, strerror(-err));
	return err;
}

/* How the answer came: "authoritative answer from 127.0.0.11:53 in 0.123 ms". */
static void dns_say_how(const struct dns_reply *r, long long rtt_us, int tries)
{
	printf("%s answer from %s:%d in %.3f ms", r->aa ? "authoritative" : "non-authoritative",
	       DEMO_DNS_IP, DEMO_DNS_PORT, rtt_us / 1000.0);
	if (tries > 1)
		printf(" (attempt %d of %d)", tries, DEMO_DNS_TRIES);
	printf("%s\n", r->tc ? ", truncated" : "");
}

/*
 * In a child in s->from's namespace: ask for s->qname; expected is the one
 * address s->answer, or NXDOMAIN (s->answer NULL). For NXDOMAIN the asker's
 * own name is asked too: the server answers there, it just does not know
 * the name.
 */
static int dns_probe(struct demo *d, const void *arg)
{
	const struct demo_step *s = arg;
	const char *self = ns_role[s->from];
	struct dns_reply r;
	char line[256];
	long long rtt;
	int tries;
	bool ok;

	(void)d;
	if (dns_ask(s->qname, &r, &rtt, &tries))
		return 1;
	dns_line(line, sizeof(line), s->qname, &r);
	ok = s->answer ? dns_is(&r, s->answer) : r.rcode == DNS_RCODE_NXDOMAIN && !r.n_a;
	printf("%s%s%s\n", line, ok && s->note ? ": " : "", ok && s->note ? s->note : "");
	dns_say_how(&r, rtt, tries);
	if (!ok) {
		printf("expected %s%s\n", s->answer ? s->answer : "NXDOMAIN",
		       s->answer ? " only" : "");
		return 1;
	}
	if (s->answer)
		return 0;
	if (dns_ask(self, &r, &rtt, &tries))
		return 1;
	dns_line(line, sizeof(line), self, &r);
	ok = dns_is(&r, ns_ip[s->from]);
	printf("%s%s\n", line,
	       ok ? ": its own name does resolve: the server answers here"
		  : ": expected its own "
		    "address");
	return ok ? 0 : 1;
}

static int step_dns(struct demo *d, const struct demo_step *s)
{
	fprintf(d->tr, "%s: an A query to %s:%d over UDP, from %s's namespace\n", s->text,
		DEMO_DNS_IP, DEMO_DNS_PORT, ns_role[s->from]);
	return run_probe(d, s, dns_probe, DETAIL_FIRST);
}

/* In a child in s->from's namespace: resolve s->qname, connect to the address in the answer. */
static int tcp_byname_probe(struct demo *d, const void *arg)
{
	const struct demo_step *s = arg;
	char line[256], ip[INET_ADDRSTRLEN];
	struct sockaddr_in sa;
	struct dns_reply r;
	long long rtt, t0, t1;
	int fd, tries, err;

	(void)d;
	if (dns_ask(s->qname, &r, &rtt, &tries))
		return 1;
	dns_line(line, sizeof(line), s->qname, &r);
	if (r.rcode || !r.n_a) {
		printf("%s: no address to connect to\n", line);
		return 1;
	}
	inet_ntop(AF_INET, &r.a[0], ip, sizeof(ip));
	printf("%s, in %.3f ms: connect to %s:%d, the address in the answer\n", line, rtt / 1000.0,
	       ip, probe_port(s));
	sockaddr_of(ip, probe_port(s), &sa);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("socket: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_us();
	err = connect_within(fd, &sa, DEMO_BLOCK_MS);
	t1 = now_us();
	if (err) {
		printf("connect: %s\n", strerror(-err));
		return 1;
	}
	return tcp_exchange(fd, probe_seen(s), t1 - t0);
}

static int step_tcp_byname(struct demo *d, const struct demo_step *s)
{
	fprintf(d->tr, "%s: %s:%d, the name asked of %s:%d\n", s->text, s->qname, probe_port(s),
		DEMO_DNS_IP, DEMO_DNS_PORT);
	return run_probe(d, s, tcp_byname_probe, DETAIL_REPLY);
}

/* ---- the instance's sluice-dnsd ---- */

/* The pid in the instance's dnsd.pid, or 0 when there is none. */
static pid_t dnsd_pidfile_read(const struct demo *d)
{
	FILE *f = fopen(d->dnsd_pidfile, "re");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/*
 * True when pid runs sluice-dnsd for the demo's instance (not a zombie: the
 * daemon is no child of ours, whoever reaps it may take a while); its command
 * line into cmd, arguments separated by spaces.
 */
static bool dnsd_is_ours(const struct demo *d, pid_t pid, char *cmd, size_t len)
{
	char path[64], buf[1024], *arg, *end, state = '?';
	bool instance = false;
	const char *base;
	size_t used = 0;
	ssize_t n;
	FILE *f;
	int fd;

	cmd[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re"))) {
		/* After the last ')': comm may hold anything. */
		if (fgets(buf, sizeof(buf), f) && (arg = strrchr(buf, ')')))
			state = arg[1] == ' ' ? arg[2] : '?';
		fclose(f);
	}
	if (state == '?' || state == 'Z' || state == 'X')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	end = buf + n;
	base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	for (arg = buf; arg < end; arg += strlen(arg) + 1) {
		if (!strcmp(arg, "--instance") && arg + strlen(arg) + 1 < end)
			instance = instance || !strcmp(arg + strlen(arg) + 1, d->instance);
		if (used < len)
			used += snprintf(cmd + used, len - used, "%s%s", used ? " " : "", arg);
	}
	return !strcmp(base, "sluice-dnsd") && instance;
}

/* True when the command line cmd (space-separated) has the argument arg. */
static bool cmd_has(const char *cmd, const char *arg)
{
	size_t n = strlen(arg);

	for (const char *p = strstr(cmd, arg); p; p = strstr(p + 1, arg))
		if ((p == cmd || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* A running sluice-dnsd of the instance, found in /proc, or 0. */
static pid_t dnsd_find(const struct demo *d)
{
	DIR *dir = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;
	char cmd[512];

	while (dir && !found && (e = readdir(dir))) {
		pid_t pid = atoi(e->d_name);

		if (pid > 1 && dnsd_is_ours(d, pid, cmd, sizeof(cmd)))
			found = pid;
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Whether process pid is in the demo's host namespace. */
static bool pid_in_host_ns(const struct demo *d, pid_t pid)
{
	struct stat host, st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return d->ns_fd[NS_HOST] >= 0 && !fstat(d->ns_fd[NS_HOST], &host) && !stat(path, &st) &&
	       st.st_ino == host.st_ino && st.st_dev == host.st_dev;
}

/* `up` started the instance's sluice-dnsd: from its pidfile, running, answering local names only. */
static int step_dnsd_up(struct demo *d, const struct demo_step *s)
{
	char cmd[512];
	bool local, here;
	pid_t pid;

	(void)s;
	pid = dnsd_pidfile_read(d);
	if (!pid || !dnsd_is_ours(d, pid, cmd, sizeof(cmd))) {
		if (pid)
			set_detail(d, "pid %d of %s is not a running sluice-dnsd of %s", (int)pid,
				   d->dnsd_pidfile, d->instance);
		else
			set_detail(d, "no pid in %s: sluice-dnsd is not running", d->dnsd_pidfile);
		fprintf(d->tr, "dnsd: %s\n", d->detail);
		return 1;
	}
	d->dnsd_pid = pid;
	local = cmd_has(cmd, "--no-upstream");
	here = pid_in_host_ns(d, pid);
	set_detail(d, "sluice-dnsd pid %d, %s", (int)pid,
		   local ? "local names only (--no-upstream)" : "forwarding: no --no-upstream");
	fprintf(d->tr, "dnsd: sluice-dnsd pid %d (from %s) runs\n", (int)pid, d->dnsd_pidfile);
	fprintf(d->tr, "    its command line: %s\n", cmd);
	fprintf(d->tr, "    %s\n",
		local ? "--no-upstream: it answers local names only, forwards nothing"
		      : "expected --no-upstream: it would forward names to an upstream");
	fprintf(d->tr, "    it runs in %s%s; it answers on %s:%d inside each container\n",
		here ? strrchr(d->ns_path[NS_HOST], '/') + 1 : "another namespace",
		here ? ", the host's namespace" : " (expected the host's)", DEMO_DNS_IP,
		DEMO_DNS_PORT);
	return local && here ? 0 : 1;
}

/* Another `up` kept the running sluice-dnsd: the pidfile still names it and it runs. */
static int step_dnsd_kept(struct demo *d, const struct demo_step *s)
{
	pid_t pid = dnsd_pidfile_read(d);
	char cmd[512];
	bool runs = pid && dnsd_is_ours(d, pid, cmd, sizeof(cmd));

	(void)s;
	if (runs && pid == d->dnsd_pid)
		set_detail(d, "sluice-dnsd pid %d still runs, the one the first 'up' started",
			   (int)pid);
	else if (runs)
		set_detail(d, "sluice-dnsd pid %d runs, but the first 'up' started pid %d",
			   (int)pid, (int)d->dnsd_pid);
	else
		set_detail(d, "no running sluice-dnsd in %s", d->dnsd_pidfile);
	fprintf(d->tr, "dnsd: %s\n", d->detail);
	if (runs && pid == d->dnsd_pid)
		return 0;
	d->dnsd_pid = runs ? pid : 0; /* the one the checks below must know */
	return 1;
}

/* `down` stopped it: the pidfile is gone and so is the process. */
static int step_dnsd_down(struct demo *d, const struct demo_step *s)
{
	pid_t file = dnsd_pidfile_read(d), was = d->dnsd_pid, runs = dnsd_find(d);

	(void)s;
	if (!runs && !file)
		set_detail(d, "sluice-dnsd pid %d gone, %s removed, no other of %s runs", (int)was,
			   strrchr(d->dnsd_pidfile, '/') + 1, d->instance);
	else if (runs)
		set_detail(d, "sluice-dnsd pid %d still runs", (int)runs);
	else
		set_detail(d, "%s still names pid %d", d->dnsd_pidfile, (int)file);
	d->dnsd_pid = runs;
	fprintf(d->tr, "dnsd: %s\n", d->detail);
	return !runs && !file ? 0 : 1;
}

/*
 * Every running sluice-dnsd of the instance, listed in left; each is stopped
 * (SIGTERM, SIGKILL after DEMO_DNSD_STOP_MS). True when there was one.
 */
static bool dnsd_kill_left(struct demo *d, char *left, size_t len)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	size_t used = strlen(left);
	char cmd[512];
	struct dirent *e;
	bool found = false;
	DIR *dir = opendir("/proc");

	while (dir && (e = readdir(dir))) {
		pid_t pid = atoi(e->d_name);

		if (pid <= 1 || !dnsd_is_ours(d, pid, cmd, sizeof(cmd)))
			continue;
		found = true;
		kill(pid, SIGTERM);
		for (int i = 0;
		     i < DEMO_DNSD_STOP_MS / 10 && dnsd_is_ours(d, pid, cmd, sizeof(cmd)); i++)
			nanosleep(&tick, NULL);
		if (dnsd_is_ours(d, pid, cmd, sizeof(cmd)))
			kill(pid, SIGKILL);
		if (used < len)
			used += snprintf(left + used, len - used,
					 "%ssluice-dnsd pid %d (now stopped by the demo)",
					 used ? ", " : "", (int)pid);
	}
	if (dir)
		closedir(dir);
	return found;
}

/* ---- published ports: the remote client and the cgroup ---- */

/* In a child in the client's namespace: TX checksum offload off on CLIENT_IF, read back. */
static int txcsum_off(struct demo *d, const void *arg)
{
	struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
	struct ifreq ifr;
	int fd;

	(void)d;
	(void)arg;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", CLIENT_IF);
	ifr.ifr_data = (char *)&ev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		printf("%s: turn TX checksum offload off (SIOCETHTOOL ETHTOOL_STXCSUM): %s\n",
		       CLIENT_IF, strerror(errno));
		return 1;
	}
	ev.cmd = ETHTOOL_GTXCSUM;
	ev.data = 1;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || ev.data) {
		printf("%s: TX checksum offload is still on (ETHTOOL_GTXCSUM: %s)\n", CLIENT_IF,
		       ev.data ? "on" : strerror(errno));
		return 1;
	}
	printf("%s: TX checksum offload off (ETHTOOL_STXCSUM, read back off): XDP on %s needs "
	       "complete checksums\n",
	       CLIENT_IF, UPLINK);
	return 0;
}

/* Give the link name of nl's namespace ip/UPLINK_PFX and set it up. */
static int link_addr_up(struct sl_nl *nl, const char *name, const char *ip)
{
	struct sl_link_info li;
	struct in_addr a;
	int err;

	if (inet_pton(AF_INET, ip, &a) != 1)
		return sl_errf(-EINVAL, "bad address %s", ip);
	if ((err = sl_nl_link_get(nl, name, &li)) ||
	    (err = sl_nl_addr_add(nl, li.ifindex, a.s_addr, UPLINK_PFX, false)))
		return err;
	return sl_nl_link_set_up(nl, li.ifindex);
}

/* The client's namespace, and the veth pair UPLINK (host) <-> CLIENT_IF (client). */
static int client_wire(struct demo *d)
{
	struct sl_veth_spec spec = {.name = UPLINK, .peer_name = CLIENT_IF};
	struct sl_nl *host = NULL, *client = NULL;
	int err;

	if ((err = netns_add(d, NS_CLIENT)))
		return err;
	spec.peer_netns_fd = d->ns_fd[NS_CLIENT];
	if ((err = sl_nl_open_netns(d->ns_fd[NS_HOST], &host)) ||
	    (err = sl_nl_open_netns(d->ns_fd[NS_CLIENT], &client)))
		goto out;
	if ((err = sl_nl_veth_create(host, &spec)))
		goto out;
	d->uplink_made = true; /* cleanup deletes it before it counts the veths left */
	if (!(err = link_addr_up(host, UPLINK, UPLINK_IP)))
		err = link_addr_up(client, CLIENT_IF, CLIENT_IP);
out:
	sl_nl_close(client);
	sl_nl_close(host);
	return err;
}

static int step_client(struct demo *d, const struct demo_step *s)
{
	char out[512], why[256];
	struct kid k;
	int err, st;

	(void)s;
	if ((err = client_wire(d))) {
		set_detail(d, "wire the client: %s", take_err(err, why, sizeof(why)));
		fprintf(d->tr, "    %s\n", d->detail);
		return err;
	}
	fprintf(d->tr,
		"%-22s the remote client, wired to the host by a veth pair (loader netlink):\n",
		strrchr(d->ns_path[NS_CLIENT], '/') + 1);
	fprintf(d->tr, "    host side %s %s/%d <-> client side %s %s/%d, both up\n", UPLINK,
		UPLINK_IP, UPLINK_PFX, CLIENT_IF, CLIENT_IP, UPLINK_PFX);
	if (kid_spawn(d, d->ns_fd[NS_CLIENT], txcsum_off, NULL, &k)) {
		set_detail(d, "%s", take_err(-EIO, why, sizeof(why)));
		return -EIO;
	}
	st = kid_wait(d, &k, budget(d, DEMO_KID_MS), true, out, sizeof(out));
	print_indented(d->tr, out);
	if (st == 0)
		return 0;
	first_line(why, sizeof(why), out);
	set_detail(d, "client: %s", why[0] ? why : "checksum offload: no result in time");
	return -EIO;
}

/* The cgroup v2 hierarchy: /sys/fs/cgroup/unified on hybrid hosts, else /sys/fs/cgroup. */
static const char *cgroup2_root(void)
{
	static const char *const roots[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	struct statfs sf;

	for (size_t i = 0; i < ARRAY_SIZE(roots); i++)
		if (!statfs(roots[i], &sf) && sf.f_type == CGROUP2_SUPER_MAGIC)
			return roots[i];
	return NULL;
}

/* A cgroup of the demo's own: the socket-level hooks never go on the root. */
static int step_cgroup(struct demo *d, const struct demo_step *s)
{
	const char *root = cgroup2_root();
	int err;

	(void)s;
	if (!root) {
		set_detail(d, "no cgroup v2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup");
		fprintf(d->tr, "    %s\n", d->detail);
		return -ENOENT;
	}
	snprintf(d->cgroup, sizeof(d->cgroup), "%s/sldemo%d", root, (int)d->pid);
	if (mkdir(d->cgroup, 0755) < 0) {
		err = -errno;
		set_detail(d, "create the cgroup %s: %s", d->cgroup, strerror(-err));
		fprintf(d->tr, "    %s\n", d->detail);
		return err;
	}
	d->cgroup_made = true;
	fprintf(d->tr, "cgroup %s: created for the demo, empty\n", d->cgroup);
	fprintf(d->tr,
		"    its processes will reach published ports at the socket; the hooks go on\n"
		"    this cgroup, not on the root one: no other process of the machine is "
		"affected\n");
	return 0;
}

/* Remove the demo's cgroup; its last process may take a moment to leave. 0 or -1 (why). */
static int cgroup_remove(struct demo *d, char *why, size_t len)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	int err;

	for (int i = 0; d->cgroup_made && rmdir(d->cgroup) < 0; i++) {
		err = errno;
		if (err == ENOENT)
			break;
		if (err != EBUSY || i >= DEMO_RMDIR_TRIES) {
			snprintf(why, len, "remove the cgroup %s: %s", d->cgroup, strerror(err));
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	d->cgroup_made = false;
	return 0;
}

/* ---- what it took ---- */

static int read_counters(struct demo *d, struct sl_counter *ctr)
{
	char why[256];
	struct sl_dp dp;
	int err;

	err = sl_dp_open(&d->inst, &dp);
	if (!err) {
		err = sl_dp_stats_read(&dp, ctr);
		sl_dp_close(&dp);
	}
	if (err)
		set_detail(d, "read the counters of %s: %s", d->instance,
			   take_err(err, why, sizeof(why)));
	return err;
}

static int step_counters_before(struct demo *d, const struct demo_step *s)
{
	(void)s;
	return read_counters(d, d->base);
}

static const char *const ctr_names[] = SL_CTR_NAMES;

/* Every counter of s->ctrs rose since the traffic began. */
static int step_counters(struct demo *d, const struct demo_step *s)
{
	struct sl_counter now[SL_CTR_MAX];
	bool rose = true;
	size_t used = 0;

	if (read_counters(d, now)) {
		fprintf(d->tr, "    %s\n", d->detail);
		return 1;
	}
	for (const int *c = s->ctrs; *c >= 0 && used < sizeof(d->detail); c++) {
		unsigned long long delta = now[*c].packets - d->base[*c].packets;

		used += snprintf(d->detail + used, sizeof(d->detail) - used, "%s%s +%llu packets",
				 used ? ", " : "", ctr_names[*c], delta);
		rose = rose && delta > 0;
	}
	fprintf(d->tr, "during the traffic above: %s\n", d->detail);
	return rose ? 0 : 1;
}

/* `sluice stats`: the header, the counters that changed since the traffic began, conntrack. */
static bool stats_line(const struct demo *d, const char *line)
{
	unsigned long long packets;
	char name[32];

	if (!strncmp(line, "COUNTER ", 8) || !strncmp(line, "conntrack ", 10) ||
	    !strncmp(line, "flows ", 6))
		return true;
	if (sscanf(line, "%31s %llu", name, &packets) != 2)
		return false;
	for (int i = 0; i < SL_CTR_MAX; i++)
		if (!strcmp(ctr_names[i], name))
			return packets != d->base[i].packets;
	return false;
}

/* `sluice status`: the XDP mode and the uplinks. */
static bool status_line(const struct demo *d, const char *line)
{
	(void)d;
	return !strncmp(line, "xdp ", 4) || !strncmp(line, "uplinks ", 8);
}

struct link_tally {
	unsigned int veth, bridge, other;
	char list[256];
};

static int tally_link(const struct sl_link_info *li, void *arg)
{
	struct link_tally *t = arg;
	size_t n = strlen(t->list);

	if (!strcmp(li->kind, "veth"))
		t->veth++;
	else if (!strcmp(li->kind, "bridge"))
		t->bridge++;
	else
		t->other++;
	snprintf(t->list + n, sizeof(t->list) - n, "%s%s%s%s%s", n ? ", " : "", li->name,
		 li->kind[0] ? " (" : "", li->kind, li->kind[0] ? ")" : "");
	return 0;
}

static int nft_count_table(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(int *)arg)++;
	return MNL_CB_OK;
}

/* How many nftables tables (every family) this namespace has, or -errno. */
static int nft_tables(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	unsigned int seq = time(NULL), portid;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int count = 0, ret = -1;
	ssize_t n;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	set_io_timeouts(mnl_socket_get_fd(nl), DEMO_IO_S);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0 &&
	       (ret = mnl_cb_run(buf, n, seq, portid, nft_count_table, &count)) > 0)
		;
	if (n < 0)
		ret = -1;
out:
	ret = ret < 0 ? -errno : count;
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* How many legacy iptables tables this namespace has (0 when the module is not loaded). */
static int legacy_tables(void)
{
	FILE *f = fopen("/proc/self/net/ip_tables_names", "re");
	char line[64];
	int n = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* In a child in the host namespace: count the firewall tables there. */
static int firewall_probe(struct demo *d, const void *arg)
{
	int nft = nft_tables(), ipt = legacy_tables();

	(void)d;
	(void)arg;
	if (nft < 0)
		printf("nftables: cannot list tables (%s), ", strerror(-nft));
	else
		printf("%d nftables tables, ", nft);
	if (ipt < 0)
		printf("iptables: cannot list tables (%s)\n", strerror(-ipt));
	else
		printf("%d iptables tables\n", ipt);
	return nft == 0 && ipt == 0 ? 0 : 1;
}

/* The links of the demo's host namespace. */
static int host_links(struct demo *d, struct link_tally *t)
{
	char why[256];
	struct sl_nl *nl;
	int err;

	memset(t, 0, sizeof(*t));
	err = sl_nl_open_netns(d->ns_fd[NS_HOST], &nl);
	if (!err) {
		err = sl_nl_link_foreach(nl, tally_link, t);
		sl_nl_close(nl);
	}
	if (err)
		set_detail(d, "list the host's links: %s", take_err(err, why, sizeof(why)));
	return err;
}

static int step_host(struct demo *d, const struct demo_step *s)
{
	/* A veth per container, and the uplink to the client. */
	unsigned int want = (NS_CLIENT - NS_WEB) + d->uplink_made;
	struct link_tally t;
	char fw[256], why[256];
	struct kid k;
	int st;

	(void)s;
	if (host_links(d, &t)) {
		fprintf(d->tr, "    %s\n", d->detail);
		return 1;
	}
	if (kid_spawn(d, d->ns_fd[NS_HOST], firewall_probe, NULL, &k)) {
		set_detail(d, "%s", take_err(-EIO, why, sizeof(why)));
		return 1;
	}
	st = kid_wait(d, &k, budget(d, DEMO_KID_MS), true, why, sizeof(why));
	first_line(fw, sizeof(fw), st < 0 ? "firewall check: no result in time" : why);
	fprintf(d->tr, "host namespace links: %s\n", t.list);
	set_detail(d, "%u veth, %u bridge devices, %s", t.veth, t.bridge, fw);
	fprintf(d->tr, "host namespace: %s%s\n", d->detail,
		st == 0 && !t.bridge ? ": no bridge, no iptables needed" : "");
	return st == 0 && t.bridge == 0 && t.veth == want ? 0 : 1;
}

/*
 * Sockets of this namespace from /proc/self/net/FILE (tcp, tcp6, udp, udp6):
 * with listening, only TCP ones listening; or -errno.
 */
static int net_sockets(const char *file, bool listening)
{
	char path[64], line[512];
	unsigned int state;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/net/%s", file);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*u: %*s %*s %x", &state) == 1 &&
		    (!listening || state == 0x0a)) /* TCP_LISTEN */
			n++;
	fclose(f);
	return n;
}

/*
 * Processes of this network namespace but the caller and the instance's
 * sluice-dnsd (pid dnsd, 0: none), printed; *dnsd_here says whether that
 * one is here. Or -errno.
 */
static int netns_procs(pid_t dnsd, bool *dnsd_here)
{
	char path[64], comm[32];
	struct stat me, st;
	struct dirent *e;
	int n = 0;
	DIR *dir;

	*dnsd_here = false;
	if (stat("/proc/self/ns/net", &me) < 0 || !(dir = opendir("/proc")))
		return -errno;
	while ((e = readdir(dir))) {
		int pid = atoi(e->d_name);
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		if (pid <= 0 || pid == getpid() || stat(path, &st) < 0 || st.st_ino != me.st_ino ||
		    st.st_dev != me.st_dev)
			continue;
		if (pid == dnsd) {
			*dnsd_here = true;
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		comm[0] = '\0';
		if ((f = fopen(path, "re"))) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = '\0';
		printf("%spid %d (%s)", n++ ? ", " : "other process in the host namespace: ", pid,
		       comm);
	}
	closedir(dir);
	if (n)
		printf("\n");
	return n;
}

/*
 * In a child in the host namespace: what docker-proxy would be, a process
 * there listening on the published ports. Counts the namespace's listening
 * TCP sockets, its UDP sockets and its processes besides this one and the
 * instance's sluice-dnsd (which serves inside the containers' namespaces).
 */
static int proxy_probe(struct demo *d, const void *arg)
{
	int l4 = net_sockets("tcp", true), l6 = net_sockets("tcp6", true),
	    u4 = net_sockets("udp", false), u6 = net_sockets("udp6", false), procs;
	bool dnsd_here;

	(void)arg;
	procs = netns_procs(d->dnsd_pid, &dnsd_here);
	if (l4 < 0 || l6 < 0 || u4 < 0 || u6 < 0 || procs < 0) {
		printf("cannot list the sockets or processes: %s\n", strerror(-(l4 < 0	 ? l4
										: l6 < 0 ? l6
										: u4 < 0 ? u4
										: u6 < 0 ? u6
											 : procs)));
		return 1;
	}
	if (dnsd_here)
		printf("pid %d (sluice-dnsd) runs here: the instance's DNS server, it listens "
		       "inside the containers' namespaces\n",
		       (int)d->dnsd_pid);
	printf("%d listening TCP sockets, %d UDP sockets, %d other processes besides this check\n",
	       l4 + l6, u4 + u6, procs);
	return l4 + l6 == 0 && u4 + u6 == 0 && procs == 0 ? 0 : 1;
}

static int step_noproxy(struct demo *d, const struct demo_step *s)
{
	char out[1024], why[256];
	struct kid k;
	int st;

	(void)s;
	if (kid_spawn(d, d->ns_fd[NS_HOST], proxy_probe, NULL, &k)) {
		set_detail(d, "%s", take_err(-EIO, why, sizeof(why)));
		return 1;
	}
	st = kid_wait(d, &k, budget(d, DEMO_KID_MS), true, out, sizeof(out));
	last_line(why, sizeof(why), st < 0 ? "no result in time" : out);
	set_detail(d, "%s", why);
	if (st == 0)
		fprintf(d->tr, "host namespace: nothing there accepts and relays connections as "
			       "docker-proxy does:\n");
	print_indented(d->tr, out);
	return st == 0 ? 0 : 1;
}

/* ---- the scenario ---- */

/* clang-format off */
#define SECTION(t) {.kind = STEP_SECTION, .text = (t)}
#define CLI(...)    {.kind = STEP_CLI, .args = (const char *const[]){__VA_ARGS__, NULL}}
/* A CLI step that shows only the lines f() keeps. */
#define CLI_EXCERPT(f, ...) \
	{.kind = STEP_CLI, .keep = (f), .args = (const char *const[]){__VA_ARGS__, NULL}}
#define RUN(t, f)   {.kind = STEP_RUN, .text = (t), .fn = (f)}
#define PROBE(t, f, src, dst, reply) \
	{.kind = STEP_RUN, .text = (t), .fn = (f), .from = (src), .to = (dst), \
	 .expect_reply = (reply)}
/* src connects to ip:port, a published port of web, which must see the source seen. */
#define PUBLISHED(t, src, ip, dport, seen_ip, cg) \
	{.kind = STEP_RUN, .text = (t), .fn = step_tcp, .from = (src), .to = NS_WEB, \
	 .expect_reply = true, .dst = (ip), .port = (dport), .seen = (seen_ip), .in_cgroup = (cg)}
#define COUNTERS(t, ...) \
	{.kind = STEP_RUN, .text = (t), .fn = step_counters, .ctrs = (const int[]){__VA_ARGS__, -1}}
/* src asks sluice-dnsd for name: the one address ip (then says note), or NXDOMAIN (ip NULL). */
#define DNS(t, src, name, ip, say) \
	{.kind = STEP_RUN, .text = (t), .fn = step_dns, .from = (src), .qname = (name), \
	 .answer = (ip), .note = (say)}
/* src resolves name, then connects to the address in the answer: dst must reply. */
#define BYNAME(t, src, dst, name) \
	{.kind = STEP_RUN, .text = (t), .fn = step_tcp_byname, .from = (src), .to = (dst), \
	 .expect_reply = true, .qname = (name)}
#define STR(x)  #x
#define XSTR(x) STR(x)
/* clang-format on */

/* Every `up` of the demo: its sluice-dnsd answers the containers' names, forwards nothing. */
#define UP	    "up", "--dns-upstream", "none"
#define PUB_SPEC    XSTR(DEMO_PUB_PORT) ":" XSTR(DEMO_WEB_PORT)
#define LOCAL_SPEC  LOCAL_IP ":" XSTR(DEMO_LOCAL_PORT) ":" XSTR(DEMO_WEB_PORT)
#define CLOSED_SPEC XSTR(DEMO_CLOSED_PORT) ":" XSTR(DEMO_CLOSED_PORT) "/udp"

static const struct demo_step demo_steps[] = {
	SECTION("Namespaces: a host and three containers"),
	RUN(NULL, step_netns),
	SECTION("Networks and containers, with the sluice CLI"),
	CLI(UP),
	RUN("up started sluice-dnsd", step_dnsd_up),
	CLI("network", "create", "front", "--subnet", "10.89.1.0/24"),
	CLI("network", "create", "back", "--subnet", "10.89.2.0/24"),
	CLI("network", "connect", "front", "web", "--netns", "@web", "--ip", WEB_IP, "--alias",
	    "api"),
	CLI("network", "connect", "front", "app", "--netns", "@app", "--ip", APP_IP),
	CLI("network", "connect", "back", "other", "--netns", "@other", "--ip", OTHER_IP),
	CLI("network", "ls"),
	SECTION("Traffic, by address and by name"),
	RUN(NULL, step_counters_before),
	RUN(NULL, step_server),
	PROBE("app -> web, TCP", step_tcp, NS_APP, NS_WEB, true),
	PROBE("app -> web, ICMP echo", step_ping, NS_APP, NS_WEB, true),
	PROBE("other -> web, TCP across networks", step_tcp, NS_OTHER, NS_WEB, false),
	DNS("app asks DNS for web", NS_APP, "web", WEB_IP, NULL),
	BYNAME("app -> web by name, TCP", NS_APP, NS_WEB, "web"),
	DNS("app asks DNS for api (web's alias)", NS_APP, "api", WEB_IP, "web's address"),
	DNS("other asks for web across networks", NS_OTHER, "web", NULL,
	    "names of other networks are not visible"),
	SECTION("Published ports: a remote client on the uplink, XDP in front"),
	RUN(NULL, step_client),
	CLI(UP, "--uplink", UPLINK, "--xdp", "native"),
	RUN("up again kept sluice-dnsd", step_dnsd_kept),
	CLI_EXCERPT(status_line, "status"),
	CLI("port", "publish", "web", PUB_SPEC, CLOSED_SPEC),
	CLI("port", "ls"),
	PUBLISHED("client -> web via the uplink, TCP", NS_CLIENT, UPLINK_IP, DEMO_PUB_PORT, NULL,
		  false),
	{.kind = STEP_RUN,
	 .text = "client -> web, UDP to a closed port",
	 .fn = step_udp_refused,
	 .from = NS_CLIENT,
	 .to = NS_WEB,
	 .dst = UPLINK_IP,
	 .port = DEMO_CLOSED_PORT},
	SECTION("Published ports for local processes: at the socket, no proxy"),
	RUN(NULL, step_cgroup),
	CLI(UP, "--cgroup", "@cgroup"),
	CLI("port", "publish", "web", LOCAL_SPEC),
	PUBLISHED("local -> web at the socket, TCP", NS_HOST, LOCAL_IP, DEMO_LOCAL_PORT, GW_IP,
		  true),
	SECTION("What it took: counters, no bridge, no iptables, no proxy"),
	CLI_EXCERPT(stats_line, "stats"),
	COUNTERS("forwarding counters rose", SL_CTR_FWD_LOCAL, SL_CTR_DROP_ISOLATED),
	COUNTERS("published-port counters rose", SL_CTR_NAT_NEW, SL_CTR_NAT_FWD, SL_CTR_NAT_REPLY,
		 SL_CTR_ICMP_OUT, SL_CTR_SOCK_XLATE),
	RUN("host: no bridge, no iptables", step_host),
	RUN("host: no proxy process", step_noproxy),
	SECTION("Restore: 'down' keeps the state, 'up' rebuilds it"),
	CLI("down"),
	RUN("down stopped sluice-dnsd", step_dnsd_down),
	PROBE("app -> web, TCP, while down", step_tcp, NS_APP, NS_WEB, false),
	CLI(UP),
	RUN("up started sluice-dnsd again", step_dnsd_up),
	PROBE("app -> web, TCP, after down and up", step_tcp, NS_APP, NS_WEB, true),
	BYNAME("app -> web by name, after down, up", NS_APP, NS_WEB, "web"),
	PUBLISHED("client -> web, after down and up", NS_CLIENT, UPLINK_IP, DEMO_PUB_PORT, NULL,
		  false),
	PUBLISHED("local -> web, after down and up", NS_HOST, LOCAL_IP, DEMO_LOCAL_PORT, GW_IP,
		  true),
};

static const char *sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

/* Run one step; negative when the demo cannot go on. */
static int step_run(struct demo *d, const struct demo_step *s)
{
	int rc;

	switch (s->kind) {
	case STEP_SECTION:
		fprintf(d->tr, "\n== %u. %s\n", ++d->section, s->text);
		return 0;
	case STEP_CLI:
		return run_cli(d, s->args, s->keep, budget(d, DEMO_CLI_MS));
	case STEP_RUN:
		break;
	}
	d->detail[0] = '\0';
	rc = s->fn(d, s);
	if (demo_stop)
		return demo_failf(d, "interrupted by %s", sig_name(demo_stop));
	if (s->text)
		check_add(d, s->text, rc == 0, d->detail);
	if (rc < 0 || (rc && !s->text))
		return demo_failf(d, "%s", d->detail[0] ? d->detail : "a setup step failed");
	return 0;
}

static void run_steps(struct demo *d)
{
	for (size_t i = 0; i < ARRAY_SIZE(demo_steps); i++) {
		if (demo_stop) {
			demo_failf(d, "interrupted by %s", sig_name(demo_stop));
			return;
		}
		if (now_ms() >= d->deadline) {
			demo_failf(d, "out of time (%d s) before step %zu", DEMO_STEPS_MS / 1000,
				   i);
			return;
		}
		if (step_run(d, &demo_steps[i]) < 0)
			return;
	}
}

/* ---- cleanup ---- */

/* Nothing of the instance may be left; left: what cleanup already found, or "". */
static void cleanup_verify(struct demo *d, char *left, size_t len)
{
	const char *dir = NULL;

	if (sl_dp_is_up(&d->inst))
		dir = d->inst.pin_dir;
	else if (access(d->inst.state_dir, F_OK) == 0)
		dir = d->inst.state_dir;
	else if (access(d->inst.run_dir, F_OK) == 0)
		dir = d->inst.run_dir;
	if (!left[0] && dir)
		snprintf(left, len, "%s", dir);
	if (left[0]) {
		set_detail(d, "left behind: %s", left);
		fprintf(d->tr,
			"%s: remove the instance with 'sluice --instance %s down --purge'%s%s\n",
			d->detail, d->instance, d->cgroup_made ? ", the cgroup with rmdir " : "",
			d->cgroup_made ? d->cgroup : "");
	} else {
		set_detail(d, "no veths, pins, state, sluice-dnsd, namespaces or cgroup of %s left",
			   d->instance);
	}
	check_add(d, "cleanup", !left[0], d->detail);
}

static void print_keep(struct demo *d)
{
	char self[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *host = d->ns_path[NS_HOST];

	self[n > 0 ? n : 0] = '\0';
	fprintf(d->tr, "\n== %u. Kept (--keep)\n", ++d->section);
	fprintf(d->tr, "The namespaces and instance %s stay (web's server is stopped). Try:\n",
		d->instance);
	fprintf(d->tr, "    ip netns exec %s ping -c 3 %s\n", strrchr(d->ns_path[NS_APP], '/') + 1,
		WEB_IP);
	fprintf(d->tr, "    ip netns exec %s dig +short @%s web    (dig: bind9-dnsutils)\n",
		strrchr(d->ns_path[NS_APP], '/') + 1, DEMO_DNS_IP);
	fprintf(d->tr, "    nsenter --net=%s %s --instance %s network ls\n", host, self,
		d->instance);
	fprintf(d->tr, "Remove it with:\n");
	fprintf(d->tr, "    nsenter --net=%s %s --instance %s down --purge\n", host, self,
		d->instance);
	for (int i = NS_MAX - 1; i >= 0; i--)
		if (d->ns_made[i])
			fprintf(d->tr, "    ip netns del %s\n", strrchr(d->ns_path[i], '/') + 1);
	if (d->cgroup_made)
		fprintf(d->tr, "    rmdir %s\n", d->cgroup);
	for (int i = 0; i < NS_MAX; i++)
		if (d->ns_fd[i] >= 0)
			close(d->ns_fd[i]);
}

/* The names of the namespaces the demo made, last first. */
static void ns_made_list(const struct demo *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = NS_MAX - 1; i >= 0 && used < len; i--)
		if (d->ns_made[i])
			used += snprintf(buf + used, len - used, " %s",
					 strrchr(d->ns_path[i], '/') + 1);
}

/* Delete the uplink (its peer, the client's eth0, goes with it). */
static void uplink_remove(struct demo *d)
{
	struct sl_link_info li;
	struct sl_nl *nl;

	if (!d->uplink_made || sl_nl_open_netns(d->ns_fd[NS_HOST], &nl))
		return;
	if (!sl_nl_link_get(nl, UPLINK, &li) && !sl_nl_link_del(nl, li.ifindex))
		d->uplink_made = false;
	sl_nl_close(nl);
	sl_err_clear();
}

/* Purge the instance, check its veths and its sluice-dnsd went; left: what is left, or "". */
static void instance_remove(struct demo *d, char *left, size_t len)
{
	static const char *const purge[] = {"down", "--purge", NULL};
	struct link_tally t;

	if (d->touched)
		run_cli(d, purge, NULL, DEMO_CLEANUP_MS);
	uplink_remove(d);
	if (host_links(d, &t))
		snprintf(left, len, "%s", d->detail);
	else if (t.veth)
		snprintf(left, len, "%u veth(s) in %s", t.veth,
			 strrchr(d->ns_path[NS_HOST], '/') + 1);
	if (dnsd_kill_left(d, left, len))
		fprintf(d->tr, "'down --purge' left %s\n", left);
	d->dnsd_pid = 0;
}

/* Remove the demo's cgroup; left: what is left, or "" (a failure is added). */
static void cgroup_cleanup(struct demo *d, char *left, size_t len)
{
	char why[SL_DIR_MAX + 64];

	if (!cgroup_remove(d, why, sizeof(why))) {
		fprintf(d->tr, "removed the cgroup %s\n", d->cgroup);
		return;
	}
	fprintf(d->tr, "%s\n", why);
	if (!left[0])
		snprintf(left, len, "%s", why);
}

/* Purge the instance, check its veths went, remove the namespaces and the cgroup. */
static void demo_cleanup(struct demo *d)
{
	char left[SL_DIR_MAX + 64] = "", why[SL_DIR_MAX + 64] = "", names[256];

	kids_kill_all(d);
	if (d->keep) {
		print_keep(d);
		return;
	}
	fprintf(d->tr, "\n== %u. Cleanup\n", ++d->section);
	if (d->ns_fd[NS_HOST] >= 0)
		instance_remove(d, left, sizeof(left));
	ns_made_list(d, names, sizeof(names));
	if (netns_remove_all(d, why, sizeof(why))) {
		fprintf(d->tr, "%s\n", why);
		if (!left[0])
			snprintf(left, sizeof(left), "%s", why);
	} else if (names[0]) {
		fprintf(d->tr, "removed the namespaces%s\n", names);
	}
	if (d->cgroup_made)
		cgroup_cleanup(d, left, sizeof(left));
	cleanup_verify(d, left, sizeof(left));
}

/* ---- signals ---- */

static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE};

struct demo_sigs {
	struct sigaction intr, term, alrm, pipe, chld, crash[ARRAY_SIZE(crash_sigs)];
};

static void on_stop(int sig)
{
	demo_stop = sig;
}

static void backstop_say(const char *text)
{
	if (write(STDERR_FILENO, text, strlen(text)) < 0)
		_exit(1);
}

/*
 * From the backstop: `sluice --instance NAME down --purge` in the demo's host
 * namespace, output discarded, given at most DEMO_BACKSTOP_PURGE_MS.
 * Only async-signal-safe calls. Returns true when it succeeded.
 */
static bool backstop_purge(struct demo *d)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	int status, null;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0 ||
		    (d->ns_fd[NS_HOST] >= 0 && setns(d->ns_fd[NS_HOST], CLONE_NEWNET) < 0))
			_exit(126);
		execv("/proc/self/exe", d->purge_argv);
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < DEMO_BACKSTOP_PURGE_MS / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		orphans_reap(d, pid, true); /* the stopped sluice-dnsd, the killed kids */
		nanosleep(&tick, NULL);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return false;
}

/*
 * From the backstop, when the purge failed: SIGKILL the pid of the instance's
 * dnsd.pid if /proc says it is a sluice-dnsd. Only async-signal-safe calls.
 */
static void backstop_kill_dnsd(const struct demo *d)
{
	static const char want[] = "sluice-dnsd\n";
	char buf[32], path[40] = "/proc/";
	ssize_t n;
	pid_t pid = 0;
	int fd, i;

	fd = open(d->dnsd_pidfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && pid < 4194304; i++)
		pid = pid * 10 + (buf[i] - '0');
	if (pid <= 1 || i > 7)
		return;
	/* "/proc/" then the digits, then "/comm". */
	memcpy(path + 6, buf, i);
	memcpy(path + 6 + i, "/comm", sizeof("/comm"));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n == (ssize_t)sizeof(want) - 1 && !memcmp(buf, want, n))
		kill(pid, SIGKILL);
}

/* rmdir, waiting up to DEMO_RMDIR_TRIES ticks for killed processes to leave. Signal-safe. */
static bool backstop_rmdir(const char *path)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};

	for (int i = 0; rmdir(path) < 0; i++) {
		if (errno == ENOENT)
			return true;
		if (errno != EBUSY || i >= DEMO_RMDIR_TRIES)
			return false;
		nanosleep(&tick, NULL);
	}
	return true;
}

/*
 * Kill the children, purge the instance, remove the namespaces and the
 * cgroup, say what happened and what is left: for the backstop and for a
 * crash of the demo.
 */
static void emergency_cleanup(const char *what)
{
	struct demo *d = demo_live;
	bool purged = false;

	if (!d)
		return;
	demo_live = NULL;
	for (unsigned int i = 0; i < DEMO_MAX_KIDS; i++)
		if (d->kids[i])
			kill(d->kids[i], SIGKILL);
	if (d->touched)
		purged = backstop_purge(d);
	if (d->touched && !purged)
		backstop_kill_dnsd(d);
	for (int i = NS_MAX - 1; i >= 0; i--) {
		if (!d->ns_made[i])
			continue;
		umount2(d->ns_path[i], MNT_DETACH);
		unlink(d->ns_path[i]);
	}
	backstop_say("\nsluice: demo ");
	backstop_say(what);
	backstop_say(": killed its processes and removed its namespaces");
	if (d->cgroup_made && !backstop_rmdir(d->cgroup)) {
		backstop_say("; remove its cgroup with 'rmdir ");
		backstop_say(d->cgroup);
		backstop_say("'");
	}
	if (d->touched && !purged) {
		backstop_say("; remove the rest with 'sluice --instance ");
		backstop_say(d->instance);
		backstop_say(" down --purge'");
	}
	backstop_say("\n");
}

/* Out of time although every wait is bounded. */
static void on_backstop(int sig)
{
	(void)sig;
	emergency_cleanup("out of time");
	_exit(1);
}

/* A bug in the demo: clean up, then die of the same signal (SA_RESETHAND restored it). */
static void on_crash(int sig)
{
	emergency_cleanup("crashed");
	raise(sig);
	_exit(128 + sig);
}

static void signals_install(struct demo *d, struct demo_sigs *old)
{
	struct sigaction stop = {.sa_handler = on_stop}, back = {.sa_handler = on_backstop},
			 ign = {.sa_handler = SIG_IGN}, dfl = {.sa_handler = SIG_DFL},
			 crash = {.sa_handler = on_crash, .sa_flags = SA_RESETHAND};

	/* No SA_RESTART: a blocking call returns EINTR and the demo notices. */
	sigemptyset(&stop.sa_mask);
	sigemptyset(&back.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&crash.sa_mask);
	demo_stop = 0;
	demo_live = d;
	sigaction(SIGINT, &stop, &old->intr);
	sigaction(SIGTERM, &stop, &old->term);
	sigaction(SIGALRM, &back, &old->alrm);
	sigaction(SIGPIPE, &ign, &old->pipe);
	/* An inherited SIG_IGN would reap the children before waitpid() sees them. */
	sigaction(SIGCHLD, &dfl, &old->chld);
	for (unsigned int i = 0; i < ARRAY_SIZE(crash_sigs); i++)
		sigaction(crash_sigs[i], &crash, &old->crash[i]);
	alarm(DEMO_BACKSTOP_S);
}

static void signals_restore(const struct demo_sigs *old)
{
	alarm(0);
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGTERM, &old->term, NULL);
	sigaction(SIGALRM, &old->alrm, NULL);
	sigaction(SIGPIPE, &old->pipe, NULL);
	sigaction(SIGCHLD, &old->chld, NULL);
	for (unsigned int i = 0; i < ARRAY_SIZE(crash_sigs); i++)
		sigaction(crash_sigs[i], &old->crash[i], NULL);
	demo_live = NULL;
}

/* ---- the command ---- */

static void usage_demo(void)
{
	fprintf(stderr,
		"Usage: sluice demo [--keep]\n"
		"Show what sluice does on a throwaway topology: network namespaces for a host\n"
		"and the containers web, app (network front) and other (network back), real\n"
		"traffic between them, by address and by name (the instance's sluice-dnsd on\n"
		"127.0.0.11, local names only); web's port published to a remote client (a\n"
		"namespace on the uplink up0, XDP) and to local processes (a cgroup of the\n"
		"demo's own, socket hooks); the counters, then 'down' and 'up' restoring it all.\n"
		"Each control step runs the sluice CLI itself (instance demoPID, inside the\n"
		"demo's host namespace) and is printed with its output. Everything is removed\n"
		"at the end, also on failure or Ctrl-C; the run takes less than 30 s. Needs root.\n"
		"  --keep   leave the namespaces and the instance for poking around, and print\n"
		"           how to remove them\n"
		"With -j the transcript goes to stderr and the result to stdout as JSON.\n"
		"Exit status: 0 when every expected outcome happened, 1 otherwise.\n");
}

static int parse_args(int argc, char **argv, bool *keep)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keep"))
			*keep = true;
		else
			return ctl_usage("unexpected argument '%s': usage: sluice demo [--keep]",
					 argv[i]);
	}
	return 0;
}

static int demo_init(struct demo *d, bool keep)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->pid = getpid();
	d->keep = keep;
	d->tr = out_is_json() ? stderr : stdout;
	d->server.out = -1;
	snprintf(d->instance, sizeof(d->instance), "demo%d", (int)d->pid);
	for (int i = 0; i < NS_MAX; i++) {
		snprintf(d->ns_path[i], sizeof(d->ns_path[i]), NETNS_RUN_DIR "/sldemo%d-%s",
			 (int)d->pid, ns_role[i]);
		d->ns_fd[i] = -1;
	}
	d->purge_argv[0] = "sluice";
	d->purge_argv[1] = "--instance";
	d->purge_argv[2] = d->instance;
	d->purge_argv[3] = "down";
	d->purge_argv[4] = "--purge";
	d->purge_argv[5] = NULL;
	if ((err = sl_instance_init(&d->inst, d->instance)))
		return err;
	snprintf(d->dnsd_pidfile, sizeof(d->dnsd_pidfile), "%s/dnsd.pid", d->inst.run_dir);
	snprintf(d->children, sizeof(d->children), "/proc/self/task/%d/children", (int)d->pid);
	if (sl_dp_is_up(&d->inst) || access(d->inst.state_dir, F_OK) == 0)
		return sl_errf(-EEXIST,
			       "instance %s already exists (left by a killed demo?): remove it "
			       "with 'sluice --instance %s down --purge'",
			       d->instance, d->instance);
	d->deadline = now_ms() + DEMO_STEPS_MS;
	return 0;
}

static void print_intro(struct demo *d)
{
	fprintf(d->tr,
		"sluice demo: containers made of network namespaces, wired by sluice's tc and\n"
		"XDP programs and cgroup socket hooks instead of a bridge, iptables and\n"
		"docker-proxy, and named by sluice-dnsd. Each '$ sluice ...' line runs this\n"
		"binary as 'sluice --instance %s ...' inside %s;\n"
		"every line about traffic (and names) comes from traffic sent just now.\n",
		d->instance, strrchr(d->ns_path[NS_HOST], '/') + 1);
}

/* The result: every expected outcome, then 0 or the first failure (exit 1). */
static int demo_report(struct demo *d)
{
	const char *why = d->why[0] ? d->why : NULL;
	char buf[256];

	for (unsigned int i = 0; i < d->n_checks && !why; i++) {
		if (!d->checks[i].ok) {
			snprintf(buf, sizeof(buf), "%s: %s", d->checks[i].name,
				 d->checks[i].detail);
			why = buf;
		}
	}
	out_obj_open(NULL);
	out_str("instance", NULL, d->instance);
	out_text("\n== Result\n");
	out_arr_open("checks");
	for (unsigned int i = 0; i < d->n_checks; i++) {
		const struct demo_check *c = &d->checks[i];

		out_obj_open(NULL);
		out_str("name", NULL, c->name);
		out_bool("ok", NULL, c->ok);
		out_text("  %-4s %-36s ", c->ok ? "ok" : "FAIL", c->name);
		out_str("detail", "%s\n", c->detail);
		out_obj_close();
	}
	out_arr_close();
	out_bool("ok", NULL, !why);
	out_text("%s\n", why ? "demo FAILED" : "demo passed: every expected outcome happened");
	out_obj_close();
	if (!why)
		return 0;
	sl_err_clear();
	return sl_errf(-EIO, "demo failed: %s", why);
}

int cmd_demo(struct ctl *c, int argc, char **argv)
{
	struct demo_sigs old;
	struct demo d;
	bool keep = false;
	int err;

	(void)c;
	if (ctl_wants_help(argc, argv)) {
		usage_demo();
		return 0;
	}
	if ((err = parse_args(argc, argv, &keep)))
		return err;
	if ((err = sl_check_privileges()) || (err = demo_init(&d, keep)))
		return err;
	signals_install(&d, &old);
	/* The instance's sluice-dnsd, a daemon, becomes our child: orphans_reap(). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	print_intro(&d);
	run_steps(&d);
	demo_cleanup(&d);
	orphans_reap(&d, 0, false);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	signals_restore(&old);
	fflush(d.tr);
	return demo_report(&d);
}
