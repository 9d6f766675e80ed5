/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * instance.h - where an instance keeps its things, and its lock.
 *
 * An instance NAME (--instance, env SLUICE_INSTANCE, default "default") owns
 *   pin dir    $SLUICE_PIN_ROOT/NAME   (default /sys/fs/bpf/sluice/NAME)
 *   state dir  $SLUICE_STATE_ROOT/NAME (default /var/lib/sluice/NAME)
 *   run dir    $SLUICE_RUN_ROOT/NAME   (default /run/sluice/NAME)
 * so independent instances can run side by side.
 */
#ifndef SL_INSTANCE_H
#define SL_INSTANCE_H

#include <limits.h>
#include <stdbool.h>

#define SL_INSTANCE_NAME_MAX 32	   /* including NUL; keeps host veth aliases short */
#define SL_LOCK_TIMEOUT_MS   15000 /* how long a command waits for a busy instance */
#define SL_DIR_MAX	     512   /* instance directories; longer roots are refused */

struct sl_instance {
	char name[SL_INSTANCE_NAME_MAX];
	char pin_dir[SL_DIR_MAX];
	char state_dir[SL_DIR_MAX];
	char state_file[SL_DIR_MAX + 8];
	char run_dir[SL_DIR_MAX];
	int lock_fd;
};

/* Validate the name and compute the paths; creates nothing. */
int sl_instance_init(struct sl_instance *inst, const char *name);
/*
 * Take the instance's exclusive lock (run dir/lock, flock), creating the run
 * dir. Every command that changes anything holds it for its whole run, so
 * two commands never interleave. Waits up to SL_LOCK_TIMEOUT_MS, then fails
 * naming the holder's pid. Released by sl_instance_unlock or exit.
 */
int sl_instance_lock(struct sl_instance *inst);
void sl_instance_unlock(struct sl_instance *inst);

/* Fail with a message naming the missing privilege unless we may load BPF and change links. */
int sl_check_privileges(void);
/* Make sure the pin root's filesystem is bpffs, mounting /sys/fs/bpf when it is missing. */
int sl_bpffs_ensure(const struct sl_instance *inst);

/*
 * Fault injection for tests: when SLUICE_CRASHPOINT names this point, the
 * process kills itself with SIGKILL there, as a crash or an OOM kill would,
 * so tests can prove the next run cleans up or finishes the work.
 */
void sl_crashpoint(const char *name);

/*
 * The running program's own path (/proc/self/exe) into buf; *dir_len is the
 * length of its directory part, so "%.*s/sibling" names a program installed
 * next to it. Returns 0, or -1 when it cannot be read.
 */
int sl_self_path(char *buf, size_t len, int *dir_len);

/* Remove a directory tree (pins, state); missing is fine. */
int sl_rmtree(const char *path);
/* mkdir -p with mode. */
int sl_mkdirs(const char *path, unsigned int mode);

#endif /* SL_INSTANCE_H */
