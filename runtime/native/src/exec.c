/* Exec: a new process in a running container's namespaces and cgroups. The
 * namespaces are opened first and entered in one go, the mount namespace
 * last, because after it the host's /proc is out of sight. A TTY session gets
 * a pty from the container's own devpts instance, and this process relays
 * between it and its stdin/stdout. fd 3, when open, carries resize requests
 * as "COLUMNS ROWS\n" lines. */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *const namespaces[] = {"ipc", "uts", "net", "pid", "mnt"};
#define N_NAMESPACES (sizeof namespaces / sizeof namespaces[0])

static void enter_container(const struct options *options) {
  int fds[N_NAMESPACES];
  for (size_t i = 0; i < N_NAMESPACES; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/%s", options->target_pid, namespaces[i]);
    fds[i] = open_or_die(path, O_RDONLY);
  }
  join_cgroups(options);
  for (size_t i = 0; i < N_NAMESPACES; i++) {
    if (setns(fds[i], 0) < 0) die_errno("setns %s of pid %s", namespaces[i], options->target_pid);
    close(fds[i]);
  }
}

static void start_process(const struct options *options, int pty_master) {
  if (pty_master >= 0) {
    if (setsid() < 0) die_errno("setsid");
    const char *name = ptsname(pty_master);
    if (!name) die_errno("ptsname");
    int slave = open(name, O_RDWR);
    if (slave < 0) die_errno("open `%s`", name);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) die_errno("ioctl TIOCSCTTY");
    for (int fd = 0; fd < 3; fd++) dup2(slave, fd);
    if (slave > 2) close(slave);
  } else if (setsid() < 0) {
    /* A session of its own leaves the kubelet's terminal behind, and its
     * process group lets a cancelled exec be killed with everything it started. */
    die_errno("setsid");
  }
  close_fds_from(3, -1);
  set_identity(options);
  if (options->cwd && chdir(options->cwd) < 0) die_errno("chdir `%s`", options->cwd);

  exec_command(options, STDERR_FILENO);
}

static void resize(int pty_master, int control) {
  char line[64];
  ssize_t count = read(control, line, sizeof line - 1);
  if (count <= 0) return;
  line[count] = '\0';
  unsigned short columns, rows;
  if (sscanf(line, "%hu %hu", &columns, &rows) != 2) return;
  struct winsize size = {.ws_row = rows, .ws_col = columns};
  ioctl(pty_master, TIOCSWINSZ, &size);
}

static void copy(int from, int to, int *open_flag) {
  char buffer[16384];
  ssize_t count = read(from, buffer, sizeof buffer);
  if (count <= 0) {
    if (count < 0 && (errno == EAGAIN || errno == EINTR)) return;
    *open_flag = 0;
    return;
  }
  write_all(to, buffer, (size_t)count);
}

/* Relays the terminal until the pty's last slave closes (read gives EIO). */
static void relay(int pty_master, int control) {
  int input_open = 1, output_open = 1, control_open = control >= 0;
  while (output_open) {
    struct pollfd fds[3] = {
        {pty_master, POLLIN, 0},
        {input_open ? STDIN_FILENO : -1, POLLIN, 0},
        {control_open ? control : -1, POLLIN, 0},
    };
    if (poll(fds, 3, -1) < 0 && errno != EINTR) die_errno("poll");
    /* Resizes first: input sent after a resize must meet the new size. */
    if (fds[2].revents & POLLIN) resize(pty_master, control);
    else if (fds[2].revents) control_open = 0;
    if (fds[0].revents) copy(pty_master, STDOUT_FILENO, &output_open);
    if (fds[1].revents) copy(STDIN_FILENO, pty_master, &input_open);
  }
}

int run_exec(struct options *options) {
  if (!options->target_pid) die("pid=PID is required");
  if (!options->argv || !options->argv[0]) die("no command given");
  int control = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
  if (!options->tty) control = -1;

  enter_container(options);
  int pty_master = -1;
  if (options->tty) {
    pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (pty_master < 0) die_errno("open `/dev/ptmx`");
    if (grantpt(pty_master) < 0 || unlockpt(pty_master) < 0) die_errno("unlockpt");
  }

  pid_t child = fork();
  if (child < 0) die_errno("fork");
  if (child == 0) start_process(options, pty_master);

  if (pty_master >= 0) relay(pty_master, control);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die_errno("waitpid %d", child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_netns_exec(struct options *options) {
  if (!options->target_pid) die("pid=PID is required");
  if (!options->argv || !options->argv[0]) die("no command given");
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/ns/net", options->target_pid);
  int fd = open_or_die(path, O_RDONLY);
  if (setns(fd, CLONE_NEWNET) < 0) die_errno("setns net of pid %s", options->target_pid);
  close(fd);
  execvp(options->argv[0], options->argv);
  die_errno("exec `%s`", options->argv[0]);
}
