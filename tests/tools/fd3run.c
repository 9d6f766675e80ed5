// SPDX-License-Identifier: BSD-2-Clause
/*
 * fd3run.c - run a command the way dockerd runs its userland proxy, for
 * tests/integration/test_proxy.sh: fd 3 is the write end of a pipe, and
 * what the command writes there is kept byte for byte.
 *
 *   fd3run STATUS PIDFILE CMD [ARG]...
 *
 * Starts CMD with the pipe on fd 3 and writes its pid to PIDFILE. When the
 * command closes fd 3 (or exits), the bytes it wrote are stored in STATUS.
 * Both files appear atomically (written aside, then renamed), so a test can
 * poll for them. Then fd3run waits for CMD and prints "exit N" or
 * "signal N" on stdout; its own exit status is CMD's (128+N for a signal).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Write len bytes to path atomically (path.tmp, rename). */
static int put_file(const char *path, const char *buf, size_t len)
{
	char tmp[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	char buf[65536], pid_text[32];
	size_t len = 0;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	if (argc < 4) {
		fprintf(stderr, "usage: fd3run STATUS PIDFILE CMD [ARG]...\n");
		return 2;
	}
	/* Keep the pipe off fds 0..3, so dup2 to 3 never clobbers its other end. */
	if (pipe(p) < 0)
		return perror("pipe"), 2;
	for (int i = 0; i < 2; i++) {
		int fd = fcntl(p[i], F_DUPFD_CLOEXEC, 10);

		close(p[i]);
		p[i] = fd;
	}
	pid = fork();
	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		if (dup2(p[1], 3) < 0)
			_exit(126);
		execvp(argv[3], argv + 3);
		fprintf(stderr, "fd3run: exec %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	snprintf(pid_text, sizeof(pid_text), "%d\n", (int)pid);
	if (put_file(argv[2], pid_text, strlen(pid_text)))
		perror("fd3run: write pid file");
	while (len < sizeof(buf) && (n = read(p[0], buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += n;
	}
	close(p[0]);
	if (put_file(argv[1], buf, len))
		perror("fd3run: write status file");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return perror("waitpid"), 2;
	if (WIFSIGNALED(status)) {
		printf("signal %d\n", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	printf("exit %d\n", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}
