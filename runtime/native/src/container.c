/* Starting a container. Three processes take part:
 *  - the monitor (this process, spawned by the kubelet) stays outside the
 *    pod, copies the container's stdout and stderr into the CRI log and
 *    writes its exit status to a file, so no Node process stays resident;
 *  - an intermediate child joins the pod's namespaces and the container's
 *    cgroups, then clones the container's PID 1 with CLONE_PARENT, so that
 *    PID 1's parent is the monitor, and exits. It is needed because
 *    unshare(CLONE_NEWPID) is refused after setns() into another pid
 *    namespace: only a process living in the pod's namespace may nest one;
 *  - the container's PID 1 builds the rootfs, drops privileges and execs. */
#define _GNU_SOURCE
#include "common.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct stdio_pipes {
  int out[2];
  int err[2];
  int pty_master;
  int pty_slave;
};

static int open_namespace(const char *pid, const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, name);
  return open_or_die(path, O_RDONLY);
}

static void join_namespace(int fd, const char *name) {
  if (setns(fd, 0) < 0) die_errno("setns %s", name);
  close(fd);
}

static void create_stdio(const struct options *options, struct stdio_pipes *stdio) {
  stdio->pty_master = stdio->pty_slave = -1;
  if (options->tty) {
    if (openpty(&stdio->pty_master, &stdio->pty_slave, NULL, NULL, NULL) < 0) die_errno("openpty");
    fcntl(stdio->pty_master, F_SETFD, FD_CLOEXEC);
    return;
  }
  if (pipe2(stdio->out, O_CLOEXEC) < 0 || pipe2(stdio->err, O_CLOEXEC) < 0) die_errno("pipe2");
}

static void attach_stdio(const struct stdio_pipes *stdio) {
  if (setsid() < 0) die_errno("setsid");
  if (stdio->pty_slave >= 0) {
    if (ioctl(stdio->pty_slave, TIOCSCTTY, 0) < 0) die_errno("ioctl TIOCSCTTY");
    for (int fd = 0; fd < 3; fd++)
      if (dup2(stdio->pty_slave, fd) < 0) die_errno("dup2 pty to fd %d", fd);
    return;
  }
  /* NOTE: a container's stdin is /dev/null (or the pty without a writer), so
   * `kubectl attach -i` has nothing to write to; exec carries stdin instead. */
  redirect_to_dev_null(STDIN_FILENO);
  if (dup2(stdio->out[1], STDOUT_FILENO) < 0) die_errno("dup2 stdout");
  if (dup2(stdio->err[1], STDERR_FILENO) < 0) die_errno("dup2 stderr");
}

/* Runs as the container's PID 1. Errors before exec go to the sync pipe, and
 * its close-on-exec end closing signals the monitor that exec succeeded. */
static void start_container_process(const struct options *options, const struct stdio_pipes *stdio, int sync_fd) {
  if (dup2(sync_fd, STDERR_FILENO) < 0) _exit(125);
  setup_rootfs(options);
  set_identity(options);
  attach_stdio(stdio);
  /* From here on stderr is the container's, so exec failures go to the sync pipe. */
  exec_command(options, sync_fd);
}

static long clone_parent(unsigned long flags) {
  long child = syscall(SYS_clone, flags | CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (child < 0) die_errno("clone CLONE_PARENT%s", flags & CLONE_NEWPID ? "|CLONE_NEWPID" : "");
  return child;
}

/* Sends this process's own credentials. The kernel translates the PID into
 * the receiver's pid namespace, so the monitor receives the host PID of a
 * process that sees itself as PID 1. */
static void send_own_pid(int socket_fd) {
  struct ucred credentials = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
  char control[CMSG_SPACE(sizeof credentials)];
  memset(control, 0, sizeof control);
  char byte = 'p';
  struct iovec vector = {.iov_base = &byte, .iov_len = 1};
  struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_CREDENTIALS;
  header->cmsg_len = CMSG_LEN(sizeof credentials);
  memcpy(CMSG_DATA(header), &credentials, sizeof credentials);
  if (sendmsg(socket_fd, &message, 0) < 0) die_errno("sendmsg SCM_CREDENTIALS");
}

static pid_t receive_pid(int socket_fd) {
  struct ucred credentials;
  char control[CMSG_SPACE(sizeof credentials)];
  char byte;
  struct iovec vector = {.iov_base = &byte, .iov_len = 1};
  struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t count;
  do count = recvmsg(socket_fd, &message, 0);
  while (count < 0 && errno == EINTR);
  struct cmsghdr *header = count > 0 ? CMSG_FIRSTHDR(&message) : NULL;
  if (!header || header->cmsg_type != SCM_CREDENTIALS) die("container process failed to start");
  memcpy(&credentials, CMSG_DATA(header), sizeof credentials);
  return credentials.pid;
}

/* The intermediate child: enters the pod, then starts the container's PID 1
 * as a child of the monitor. A nested pid namespace takes one more process,
 * living in the pod's namespace, because unshare and clone refuse
 * CLONE_NEWPID to a process whose own pid namespace is not the one it set
 * for its children. */
static void enter_pod(const struct options *options, const struct stdio_pipes *stdio, int sync_fd, int pid_socket) {
  int ipc = open_namespace(options->holder_pid, "ipc");
  int uts = open_namespace(options->holder_pid, "uts");
  int net = open_namespace(options->holder_pid, "net");
  int pid = open_namespace(options->holder_pid, "pid");
  join_cgroups(options);
  join_namespace(ipc, "ipc");
  join_namespace(uts, "uts");
  join_namespace(net, "net");
  join_namespace(pid, "pid");

  if (clone_parent(0) == 0) {
    if (!options->share_pid && clone_parent(CLONE_NEWPID) != 0) _exit(0);
    send_own_pid(pid_socket);
    close(pid_socket);
    start_container_process(options, stdio, sync_fd);
  }
  _exit(0);
}

static long long now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* Writes "EXIT_CODE SIGNAL FINISHED_NS" atomically through a rename. */
static void write_exit_status(const char *path, int status) {
  if (!path) return;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  char temporary[4096];
  snprintf(temporary, sizeof temporary, "%s.tmp", path);
  int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  dprintf(fd, "%d %d %lld\n", code, signal, now_ns());
  fsync(fd);
  close(fd);
  rename(temporary, path);
}

/* Returns 1 after copying data, -1 when none is ready and 0 at EOF; a pty
 * master reports EIO once the last slave closes, which counts as EOF. */
static int drain(int fd, struct log_writer *log, const char *stream) {
  char buffer[16384];
  ssize_t count = read(fd, buffer, sizeof buffer);
  if (count > 0) {
    log_feed(log, stream, buffer, (size_t)count);
    return 1;
  }
  if (count < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  log_flush(log, stream);
  return 0;
}

/* Copies output into the log until the container's PID 1 exits, then takes
 * what is still buffered. The exit ends the loop rather than EOF, because
 * orphans in a shared pid namespace may keep a pipe open. */
static int monitor(pid_t container, int out, int err, struct log_writer *log) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  int signals = signalfd(-1, &mask, SFD_CLOEXEC);
  if (signals < 0) die_errno("signalfd SIGCHLD");
  fcntl(out, F_SETFL, O_NONBLOCK);
  if (err >= 0) fcntl(err, F_SETFL, O_NONBLOCK);

  int status = 0;
  for (;;) {
    pid_t done;
    while ((done = waitpid(-1, &status, WNOHANG)) > 0)
      if (done == container) goto exited;

    struct pollfd fds[3] = {{signals, POLLIN, 0}, {out, POLLIN, 0}, {err, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) die_errno("poll");
    if (fds[0].revents) {
      struct signalfd_siginfo info;
      if (read(signals, &info, sizeof info) < 0 && errno != EAGAIN) die_errno("read signalfd");
    }
    if (fds[1].revents && drain(out, log, "stdout") == 0) out = -1;
    if (fds[2].revents && drain(err, log, "stderr") == 0) err = -1;
  }

exited:
  while (out >= 0 && drain(out, log, "stdout") == 1) {
  }
  while (err >= 0 && drain(err, log, "stderr") == 1) {
  }
  log_flush(log, "stdout");
  log_flush(log, "stderr");
  return status;
}

int run_container(struct options *options) {
  if (!options->holder_pid) die("holder=PID is required");
  if (!options->argv || !options->argv[0]) die("no command given");

  struct log_writer *log = log_open(options->log_path, options->log_max_bytes, options->log_max_files);
  struct stdio_pipes stdio;
  create_stdio(options, &stdio);
  int sync[2], pid_socket[2];
  if (pipe2(sync, O_CLOEXEC) < 0) die_errno("pipe2");
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pid_socket) < 0) die_errno("socketpair AF_UNIX");
  int enable = 1;
  if (setsockopt(pid_socket[0], SOL_SOCKET, SO_PASSCRED, &enable, sizeof enable) < 0) die_errno("setsockopt SO_PASSCRED");

  /* SIGCHLD stays blocked so that the signalfd reports the container's exit. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);

  pid_t intermediate = fork();
  if (intermediate < 0) die_errno("fork");
  if (intermediate == 0) {
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    close(sync[0]);
    close(pid_socket[0]);
    enter_pod(options, &stdio, sync[1], pid_socket[1]);
  }
  close(sync[1]);
  close(pid_socket[1]);
  if (stdio.pty_slave >= 0) close(stdio.pty_slave);
  else {
    close(stdio.out[1]);
    close(stdio.err[1]);
  }

  pid_t container = receive_pid(pid_socket[0]);
  close(pid_socket[0]);
  waitpid(intermediate, NULL, 0);

  char failure[4096];
  ssize_t length = read(sync[0], failure, sizeof failure - 1);
  if (length > 0) {
    int status;
    failure[length] = '\0';
    waitpid(container, &status, 0);
    write_all(STDERR_FILENO, failure, (size_t)length);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
  }

  /* Started: report the PID and detach from the kubelet. */
  printf("%d\n", container);
  fflush(stdout);
  redirect_to_dev_null(STDIN_FILENO);
  redirect_to_dev_null(STDOUT_FILENO);
  redirect_to_dev_null(STDERR_FILENO);
  setsid();

  int out = stdio.pty_master >= 0 ? stdio.pty_master : stdio.out[0];
  int err = stdio.pty_master >= 0 ? -1 : stdio.err[0];
  int status = monitor(container, out, err, log);
  write_exit_status(options->exit_path, status);
  return 0;
}
