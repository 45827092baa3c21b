/* A one-shot container for an image build's RUN step. The command becomes
 * PID 1 of new pid, ipc and uts namespaces. setup_rootfs gives it a new
 * mount namespace with an overlay of the layers built so far, a fresh /proc,
 * a minimal /dev and a read-only /sys, entered with pivot_root and the old
 * root detached. It needs no pod holder and shares the node's network, as
 * `docker build --network=host` does. Its stdio is tkinit's. */
#define _GNU_SOURCE
#include "common.h"
#include "rootfs.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void start_step_process(const struct options *options) __attribute__((noreturn));
static void start_step_process(const struct options *options) {
  /* The whole pid namespace dies with PID 1, and PID 1 dies with tkinit. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
  if (options->hostname && sethostname(options->hostname, strlen(options->hostname)) < 0)
    die_errno("sethostname `%s`", options->hostname);
  setup_rootfs(options);
  set_identity(options);
  /* A change of credentials clears the parent-death signal, so it is set again. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
  close_fds_from(3, -1);
  exec_command(options, STDERR_FILENO);
}

static int wait_for_exit(pid_t child) {
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die_errno("waitpid %d", (int)child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_step(struct options *options) {
  if (!options->argv || !options->argv[0]) die("no command given");
  /* The step must not outlive the build that spawned tkinit. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
  if (unshare(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) < 0) die_errno("unshare CLONE_NEWPID|CLONE_NEWIPC|CLONE_NEWUTS");

  pid_t child = fork();
  if (child < 0) die_errno("fork");
  if (child == 0) start_step_process(options);
  return wait_for_exit(child);
}
