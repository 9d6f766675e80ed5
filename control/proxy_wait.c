// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy_wait.c - sluice-proxy-wait: what a sluice-proxy becomes once its
 * mapping is installed. dockerd runs one proxy per binding and keeps each
 * alive for the life of the binding: a range of 1000 ports is 2000 processes
 * (0.0.0.0 and ::), so what one waiting process costs is what matters. The
 * full sluice-proxy (libbpf, libelf, the C library) keeps ~170 kB of private
 * pages while it waits; this program keeps a page or two of stack.
 *
 * It is built freestanding (no C library, -nostdlib -static): a C library's
 * start-up alone dirties more pages than the whole wait needs. It makes five
 * system calls, through the small per-architecture shims below; on an
 * architecture without a shim it is not built and sluice-proxy waits in
 * process instead.
 *
 * The contract with sluice-proxy (control/proxy.c), which execs it with its
 * own argv, so `ps` still shows dockerd's arguments:
 *   SLUICE_PROXY_WAIT=<dockerd pid> <mapping id> <path of sluice-proxy>
 *   signals  SIGINT, SIGTERM and SIGHUP arrive blocked (the mask survives
 *            exec, so a stop sent meanwhile is pending, not lost)
 * On a stop request it execs sluice-proxy again, same argv, with that
 * variable replaced by SLUICE_PROXY_STOP=<mapping id>: the full program
 * removes the mapping (same pid, so the registry record is still ours).
 * A SIGTERM from dockerd itself (its Pdeathsig: dockerd is exiting) or after
 * dockerd is gone leaves the mapping for a restarted dockerd to adopt, as
 * sluice-proxy does when it waits in process.
 */
#include <linux/prctl.h>
#include <linux/signal.h>
#include <asm/unistd.h>

#ifndef SI_USER
#define SI_USER 0
#endif

#define WAIT_VAR "SLUICE_PROXY_WAIT="
#define STOP_VAR "SLUICE_PROXY_STOP="

/* The kernel's siginfo, as far as we read it (the rest is padding we give room). */
struct ksiginfo {
	int signo;
	int errno_;
	int code;
	int pad0;
	int pid;
	int uid;
	char rest[128 - 6 * sizeof(int)];
};

#if defined(__x86_64__)
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call wait_main\n"
	"	hlt\n");

static long sys4(long n, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	and sp, x0, #~15\n"
	"	bl wait_main\n"
	"	brk #0\n");

static long sys4(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}
#else
#error "sluice-proxy-wait has no system call shim for this architecture"
#endif

static void __attribute__((noreturn)) sys_exit(int code)
{
	for (;;)
		sys4(__NR_exit_group, code, 0, 0, 0);
}

static unsigned long slen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *a, const char *b)
{
	sys4(__NR_write, 2, (long)a, slen(a), 0);
	sys4(__NR_write, 2, (long)b, slen(b), 0);
}

static const char *has_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return s;
}

/* A decimal number followed by one space; 0 on anything else. */
static const char *parse_num(const char *s, long *out)
{
	long v = 0;

	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9' && v < 100000000000L)
		v = v * 10 + (*s++ - '0');
	if (*s != ' ')
		return 0;
	*out = v;
	return s + 1;
}

/* Write "SLUICE_PROXY_STOP=<id>" over the SLUICE_PROXY_WAIT string: it is longer. */
static void make_stop_var(char *var, const char *id_start)
{
	unsigned long i;

	for (i = 0; STOP_VAR[i]; i++)
		var[i] = STOP_VAR[i];
	while (*id_start != ' ')
		var[i++] = *id_start++;
	var[i] = '\0';
}

__attribute__((used)) void wait_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char *var = 0, *exe;
	const char *p, *id_start;
	long parent, id;
	unsigned long set = (1UL << (SIGINT - 1)) | (1UL << (SIGTERM - 1)) | (1UL << (SIGHUP - 1));
	struct ksiginfo si;
	long sig;

	for (char **e = envp; *e; e++)
		if (has_prefix(*e, WAIT_VAR))
			var = *e;
	p = var ? has_prefix(var, WAIT_VAR) : 0;
	if (p)
		p = parse_num(p, &parent);
	id_start = p;
	if (p)
		p = parse_num(p, &id);
	if (!p || !*p) {
		say("sluice-proxy-wait: started without SLUICE_PROXY_WAIT: ",
		    "it is run by sluice-proxy only\n");
		sys_exit(2);
	}
	exe = (char *)p;
	sys4(__NR_prctl, PR_SET_NAME, (long)"sluice-proxy", 0, 0);

	do
		sig = sys4(__NR_rt_sigtimedwait, (long)&set, (long)&si, 0, sizeof(set));
	while (sig < 0);

	if (id == 0)
		sys_exit(0); /* nothing was installed (a :: binding) */
	if (sig == SIGTERM && ((si.code == SI_USER && si.pid == parent) ||
			       sys4(__NR_getppid, 0, 0, 0, 0) != parent)) {
		say("sluice-proxy: dockerd is exiting: ", "the mapping stays for its restart\n");
		sys_exit(0);
	}
	make_stop_var(var, id_start);
	sys4(__NR_execve, (long)exe, (long)argv, (long)envp, 0);
	say("sluice-proxy: cannot run sluice-proxy to remove the mapping; ",
	    "the next sluice run reaps it\n");
	sys_exit(1);
}
