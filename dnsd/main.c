// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - sluice-dnsd: options, daemon life (pidfile, detaching, signals,
 * privileges) and the one epoll loop that serves every container.
 *
 * Start-up: read the upstreams and the instance's state, open the sockets in
 * every connected container's namespace, write the pidfile, drop the
 * capabilities that are no longer needed, and only then report success (the
 * parent of a daemonizing start exits 0 once the child serves, 1 when it
 * could not start). Live updates: an inotify watch on the state directory
 * sees the CLI's atomic rename of "state"; SIGHUP also reloads (and re-reads
 * /etc/resolv.conf). A reload parses everything and opens the new sockets
 * first, then swaps; a bad state file keeps the old table.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "dns_log.h"
#include "dnsd.h"
#include "state.h"

#define DNSD_VERSION "0.1"

static const char usage_text[] =
	"Usage: sluice-dnsd [OPTIONS]\n"
	"OPTIONS := { --instance NAME | -d | --foreground | -v | --verbose | -n | --check |\n"
	"             --upstream IP[:PORT] | --no-upstream | --forward-rate N |\n"
	"             --resolv-conf PATH | -h | --help | --version }\n"
	"\n"
	"Answers container names on 127.0.0.11:53 inside every container connected to a\n"
	"network of the sluice instance (default \"default\", env SLUICE_INSTANCE), and\n"
	"forwards other names to the upstream resolvers.\n"
	"\n"
	"  -d, --foreground      stay in the foreground, log to stderr (for a service manager)\n"
	"  -v, --verbose         more logging; repeat for debug and per-query lines\n"
	"  -n, --check           check the state and the options, print a summary, exit\n"
	"  --upstream IP[:PORT]  an upstream resolver (repeatable; IPv6 as [ADDR]:PORT);\n"
	"                        default: the nameservers of /etc/resolv.conf\n"
	"  --no-upstream         answer local names only; others get REFUSED\n"
	"  --forward-rate N      forwarded queries per second per container (default 200,\n"
	"                        0 = no limit); beyond it: REFUSED\n"
	"  --resolv-conf PATH    read the upstreams from PATH instead of /etc/resolv.conf\n"
	"\n"
	"The pidfile is RUN_DIR/dnsd.pid of the instance; SIGTERM or SIGINT stops the\n"
	"daemon, SIGHUP reloads. Exit status: 0 success, 1 failure, 2 usage error.\n";

static struct dnsd dnsd;

uint64_t dnsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int dnsd_ep_add(struct dnsd *d, struct dns_ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev->fd, &e) < 0 ? -errno : 0;
}

void dnsd_ep_mod(struct dnsd *d, struct dns_ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	epoll_ctl(d->epfd, EPOLL_CTL_MOD, ev->fd, &e);
}

void dnsd_ep_del(struct dnsd *d, struct dns_ev *ev)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, ev->fd, NULL);
}

void dnsd_bury(struct dnsd *d, struct dns_ev *ev)
{
	ev->dead = true;
	ev->next_dead = d->dead;
	d->dead = ev;
}

static void free_dead(struct dnsd *d)
{
	struct dns_ev *ev, *next;

	for (ev = d->dead; ev; ev = next) {
		next = ev->next_dead;
		free(ev);
	}
	d->dead = NULL;
}

/* --- the state directory watch --------------------------------------------- */

static void watch_state(struct dnsd *d)
{
	int err;

	if (d->ino_wd >= 0)
		return;
	/* The CLI creates it on first save; watch it from the start. */
	err = sl_mkdirs(d->inst.state_dir, 0700);
	if (err) {
		errno = -err;
		dns_warn("create state directory %s", d->inst.state_dir);
		return;
	}
	d->ino_wd = inotify_add_watch(d->ino.fd, d->inst.state_dir,
				      IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM |
					      IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (d->ino_wd < 0)
		dns_warn("watch %s; changes are seen on SIGHUP only", d->inst.state_dir);
}

static void inotify_ready(struct dnsd *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	ssize_t n;

	for (;;) {
		n = read(d->ino.fd, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n; p += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)p;
			if (e->mask &
			    (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) {
				/* The directory went (down --purge): the state is empty now. */
				if (e->mask & IN_IGNORED)
					d->ino_wd = -1;
				d->reload = true;
				continue;
			}
			if (e->len && !strcmp(e->name, "state"))
				d->reload = true;
		}
	}
}

/* --- signals --------------------------------------------------------------- */

static int signals_setup(struct dnsd *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	d->sig = (struct dns_ev){.kind = DNS_EV_SIGNAL};
	d->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sig.fd < 0 ? -errno : 0;
}

static void log_stats(struct dnsd *d)
{
	dns_info("queries %llu: local %llu, forwarded %llu, servfail %llu, refused by rate "
		 "%llu, dropped %llu; %u namespaces, %u TCP clients, %u in flight upstream",
		 (unsigned long long)d->n_queries, (unsigned long long)d->n_local,
		 (unsigned long long)d->n_forwarded, (unsigned long long)d->n_servfail,
		 (unsigned long long)d->n_refused_rate, (unsigned long long)d->n_dropped, d->n_ns,
		 d->n_tcp, d->n_fwd);
}

static void signal_ready(struct dnsd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			dns_info("SIGHUP: reloading");
			d->reload = true;
			d->reload_upstreams = true;
			break;
		case SIGUSR1:
			log_stats(d);
			break;
		default:
			dns_info("%s: stopping", strsignal((int)si.ssi_signo));
			d->stop = true;
		}
	}
}

/* --- privileges ------------------------------------------------------------ */

/*
 * After setup the daemon needs CAP_SYS_ADMIN (setns into the namespaces of
 * containers connected later); its port there is not a privileged one
 * (DNSD_LISTEN_PORT). Everything else goes, from the bounding set too, and
 * no exec can regain it.
 */
static int drop_privileges(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};
	const uint64_t keep = 1ULL << CAP_SYS_ADMIN;

	for (int cap = 0; cap < 64; cap++)
		if (!(keep & 1ULL << cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EINVAL && errno != EPERM)
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* --- pidfile and detaching ----------------------------------------------- */

static char pid_path[SL_DIR_MAX + 16];
static int pid_fd = -1;

static int pidfile_lock(struct dnsd *d)
{
	char buf[32] = "";
	int err;

	err = sl_mkdirs(d->inst.run_dir, 0700);
	if (err)
		return sl_errf(err, "create run directory %s: %s", d->inst.run_dir, strerror(-err));
	snprintf(pid_path, sizeof(pid_path), "%s/dnsd.pid", d->inst.run_dir);
	pid_fd = open(pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pid_fd < 0)
		return sl_errf(-errno, "open pidfile %s: %s", pid_path, strerror(errno));
	if (flock(pid_fd, LOCK_EX | LOCK_NB) < 0) {
		err = -errno;
		if (read(pid_fd, buf, sizeof(buf) - 1) > 0)
			buf[strcspn(buf, "\n")] = '\0';
		close(pid_fd);
		pid_fd = -1;
		if (err == -EWOULDBLOCK)
			return sl_errf(
				-EEXIST,
				"sluice-dnsd already runs for instance %s (pid %s, pidfile %s)",
				d->inst.name, buf[0] ? buf : "?", pid_path);
		return sl_errf(err, "lock pidfile %s: %s", pid_path, strerror(-err));
	}
	return 0;
}

static int pidfile_write(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(pid_fd, 0) < 0 || pwrite(pid_fd, buf, (size_t)n, 0) != n)
		return sl_errf(-errno, "write pidfile %s: %s", pid_path, strerror(errno));
	return 0;
}

static void pidfile_remove(void)
{
	if (pid_fd < 0)
		return;
	/* Still ours: we hold its lock, so no other daemon wrote it. */
	unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
}

/*
 * Fork twice; the original process waits on a pipe for the daemon's verdict
 * and exits with it. Returns the pipe's write end in the daemon.
 */
static int daemonize(void)
{
	int fds[2];
	pid_t pid;
	char c = 1;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			c = 1; /* died before saying anything: it logged why */
		_exit(c ? 1 : 0);
	}
	close(fds[0]);
	setsid();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	return fds[1];
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* --- the loop -------------------------------------------------------------- */

static void loop(struct dnsd *d)
{
	struct epoll_event evs[64];
	int n, timeout, t;
	uint64_t now, next_watch = 0;

	while (!d->stop) {
		now = dnsd_now_ms();
		timeout = dnsd_fwd_next_deadline(d, now);
		t = dnsd_tcp_next_deadline(d, now);
		if (t >= 0 && (timeout < 0 || t < timeout))
			timeout = t;
		if (d->ino_wd < 0 && (timeout < 0 || timeout > 1000))
			timeout = 1000; /* retry the state directory watch */
		n = epoll_wait(d->epfd, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			dns_warn("epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			struct dns_ev *ev = evs[i].data.ptr;

			if (ev->dead)
				continue;
			switch (ev->kind) {
			case DNS_EV_SIGNAL:
				signal_ready(d);
				break;
			case DNS_EV_INOTIFY:
				inotify_ready(d);
				break;
			case DNS_EV_UDP:
				dnsd_udp_ready(d, (struct dns_ns *)((char *)ev -
								    offsetof(struct dns_ns, udp)));
				break;
			case DNS_EV_TCP_LISTEN:
				dnsd_tcp_accept(d, (struct dns_ns *)((char *)ev -
								     offsetof(struct dns_ns, tcp)));
				break;
			case DNS_EV_TCP_CONN:
				dnsd_tcp_event(d, dnsd_tcp_of(ev), evs[i].events);
				break;
			case DNS_EV_UPSTREAM:
				dnsd_fwd_event(d, ev, evs[i].events);
				break;
			}
		}
		now = dnsd_now_ms();
		dnsd_fwd_expire(d, now);
		dnsd_tcp_expire(d, now);
		if (d->ino_wd < 0 && now >= next_watch) {
			watch_state(d);
			if (d->ino_wd >= 0)
				d->reload = true; /* it may have changed while unwatched */
			next_watch = now + 1000;
		}
		if (d->reload_upstreams) {
			d->reload_upstreams = false;
			if (!d->upstream_from_cli && dnsd_upstreams_load(d, NULL, 0))
				dns_warn_sl("reload upstreams");
		}
		if (d->reload) {
			d->reload = false;
			dnsd_reload(d);
		}
		free_dead(d);
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;

	/* Two sockets per container, plus clients and upstream queries. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int check_config(struct dnsd *d)
{
	struct dns_zone *z = NULL;
	struct sl_state st;
	int err;

	err = sl_state_load(d->state_path, &st);
	if (err)
		return err;
	err = dns_zone_build(&st, NULL, &z);
	if (err) {
		sl_state_free(&st);
		return sl_errf(err, "build the name table: %s", strerror(-err));
	}
	printf("instance %s: state %s: %u networks, %u endpoints, %u names; %u upstreams%s\n",
	       d->inst.name, d->state_path, st.n_networks, st.n_endpoints, dns_zone_n_names(z),
	       d->n_upstreams, d->no_upstream ? " (--no-upstream)" : "");
	dns_zone_free(z);
	sl_state_free(&st);
	return 0;
}

enum {
	OPT_INSTANCE = 256,
	OPT_UPSTREAM,
	OPT_NO_UPSTREAM,
	OPT_RATE,
	OPT_RESOLV,
	OPT_VERSION,
};

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "sluice-dnsd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sluice-dnsd --help'.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"instance", required_argument, NULL, OPT_INSTANCE},
		{"foreground", no_argument, NULL, 'd'},
		{"verbose", no_argument, NULL, 'v'},
		{"check", no_argument, NULL, 'n'},
		{"upstream", required_argument, NULL, OPT_UPSTREAM},
		{"no-upstream", no_argument, NULL, OPT_NO_UPSTREAM},
		{"forward-rate", required_argument, NULL, OPT_RATE},
		{"resolv-conf", required_argument, NULL, OPT_RESOLV},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{0},
	};
	const char *upstreams[DNSD_MAX_UPSTREAMS + 1];
	const char *instance = getenv("SLUICE_INSTANCE");
	struct dnsd *d = &dnsd;
	unsigned int n_up = 0, verbose = 0;
	int opt, err, ready_fd = -1;
	unsigned long rate;
	char *end;

	memset(d, 0, sizeof(*d));
	d->rate = DNSD_RATE_DEFAULT;
	d->resolv_conf = "/etc/resolv.conf";
	d->ino_wd = -1;
	d->epfd = d->self_netns = -1;
	while ((opt = getopt_long(argc, argv, "dvnh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_INSTANCE:
			instance = optarg;
			break;
		case 'd':
			d->foreground = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'n':
			d->check_only = true;
			break;
		case OPT_UPSTREAM:
			if (n_up > DNSD_MAX_UPSTREAMS)
				usage_error("too many --upstream (at most %s)", "8");
			upstreams[n_up++] = optarg;
			break;
		case OPT_NO_UPSTREAM:
			d->no_upstream = true;
			break;
		case OPT_RATE:
			errno = 0;
			rate = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || rate > 1000000)
				usage_error("bad --forward-rate '%s': a number 0..1000000", optarg);
			d->rate = (unsigned int)rate;
			break;
		case OPT_RESOLV:
			d->resolv_conf = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			printf("sluice-dnsd %s\n", DNSD_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'sluice-dnsd --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (d->no_upstream && n_up)
		usage_error("%s", "--upstream and --no-upstream exclude each other");
	dns_log_init("sluice-dnsd", verbose >= 3 ? SL_LOG_VERBOSE : (enum sl_log_level)verbose);

	if (sl_instance_init(&d->inst, instance && *instance ? instance : "default"))
		goto fail;
	d->state_path = d->inst.state_file;
	d->upstream_from_cli = n_up > 0;
	if (dnsd_upstreams_load(d, upstreams, n_up))
		goto fail;
	if (d->check_only) {
		if (check_config(d))
			goto fail;
		return 0;
	}

	if (pidfile_lock(d))
		goto fail;
	if (!d->foreground) {
		ready_fd = daemonize();
		if (ready_fd < 0) {
			sl_errf(ready_fd, "fork: %s", strerror(-ready_fd));
			goto fail;
		}
	}

	raise_nofile();
	d->self_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->ino = (struct dns_ev){.kind = DNS_EV_INOTIFY};
	d->ino.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->self_netns < 0 || d->epfd < 0 || d->ino.fd < 0) {
		sl_errf(-errno, "set up: %s", strerror(errno));
		goto fail;
	}
	if ((err = signals_setup(d)) || (err = dnsd_ep_add(d, &d->sig, EPOLLIN)) ||
	    (err = dnsd_ep_add(d, &d->ino, EPOLLIN))) {
		sl_errf(err, "set up signals and inotify: %s", strerror(-err));
		goto fail;
	}
	watch_state(d);
	if (dnsd_reload(d))
		goto fail_logged;
	if (pidfile_write())
		goto fail;
	if ((err = drop_privileges())) {
		sl_errf(err, "drop capabilities: %s", strerror(-err));
		goto fail;
	}
	dns_info("serving instance %s (pid %d)", d->inst.name, (int)getpid());
	if (ready_fd >= 0) {
		char ok = 0;

		if (write(ready_fd, &ok, 1) != 1)
			dns_warn("tell the parent we are up");
		close(ready_fd);
		if (chdir("/") < 0)
			dns_warn("chdir /");
		detach_stdio();
		dns_log_detach();
	}

	loop(d);

	log_stats(d);
	dnsd_fwd_close_all(d);
	dnsd_ns_close_all(d);
	free_dead(d);
	dns_zone_free(d->zone);
	pidfile_remove();
	return 0;

fail:
	dns_warn_sl("cannot start");
fail_logged:
	pidfile_remove();
	return 1;
}
