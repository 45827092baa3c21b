#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

static void vreport(const char *format, va_list args, int error) {
  char message[1024];
  vsnprintf(message, sizeof message, format, args);
  if (error)
    dprintf(STDERR_FILENO, "tkinit: %s: %s\n", message, strerror(error));
  else
    dprintf(STDERR_FILENO, "tkinit: %s\n", message);
}

void die(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vreport(format, args, 0);
  va_end(args);
  _exit(125);
}

void die_errno(const char *format, ...) {
  int error = errno;
  va_list args;
  va_start(args, format);
  vreport(format, args, error);
  va_end(args);
  _exit(125);
}

static long parse_number(const char *key, const char *value) {
  char *end;
  errno = 0;
  long number = strtol(value, &end, 10);
  if (errno || *end || end == value) die("invalid number for `%s`: `%s`", key, value);
  return number;
}

static void parse_groups(struct options *options, const char *value) {
  char *copy = strdup(value);
  for (char *item = strtok(copy, ","); item; item = strtok(NULL, ",")) {
    if (options->n_groups == MAX_ITEMS) die("too many groups");
    options->groups[options->n_groups++] = (gid_t)parse_number("groups", item);
  }
}

static void parse_option(struct options *options, char *argument) {
  char *value = strchr(argument, '=');
  if (!value) die("invalid argument `%s`: expected key=value", argument);
  *value++ = '\0';
  const char *key = argument;

  if (!strcmp(key, "holder")) options->holder_pid = value;
  else if (!strcmp(key, "pid")) options->target_pid = value;
  else if (!strcmp(key, "hostname")) options->hostname = value;
  else if (!strcmp(key, "sharepid")) options->share_pid = (int)parse_number(key, value);
  else if (!strcmp(key, "hostnet")) options->host_network = (int)parse_number(key, value);
  else if (!strcmp(key, "tty")) options->tty = (int)parse_number(key, value);
  else if (!strcmp(key, "lowerdir")) options->lowerdir = value;
  else if (!strcmp(key, "upperdir")) options->upperdir = value;
  else if (!strcmp(key, "workdir")) options->workdir = value;
  else if (!strcmp(key, "rootfs")) options->rootfs = value;
  else if (!strcmp(key, "overlay")) options->overlay_options = value;
  else if (!strcmp(key, "veth")) options->veth = value;
  else if (!strcmp(key, "bridge")) options->bridge = value;
  else if (!strcmp(key, "address")) options->address = value;
  else if (!strcmp(key, "gateway")) options->gateway = value;
  else if (!strcmp(key, "cni")) options->cni_plugin = value;
  else if (!strcmp(key, "cnipath")) options->cni_path = value;
  else if (!strcmp(key, "containerid")) options->container_id = value;
  else if (!strcmp(key, "cwd")) options->cwd = value;
  else if (!strcmp(key, "uid")) options->uid = (uid_t)parse_number(key, value);
  else if (!strcmp(key, "gid")) options->gid = (gid_t)parse_number(key, value);
  else if (!strcmp(key, "groups")) parse_groups(options, value);
  else if (!strcmp(key, "log")) options->log_path = value;
  else if (!strcmp(key, "logmax")) options->log_max_bytes = parse_number(key, value);
  else if (!strcmp(key, "logfiles")) options->log_max_files = (int)parse_number(key, value);
  else if (!strcmp(key, "exit")) options->exit_path = value;
  else if (!strcmp(key, "cgroup")) {
    if (options->n_cgroups == MAX_ITEMS) die("too many cgroups");
    options->cgroup_procs[options->n_cgroups++] = value;
  } else if (!strcmp(key, "bind")) {
    if (options->n_binds == MAX_ITEMS) die("too many binds");
    options->binds[options->n_binds++] = value;
  } else if (!strcmp(key, "robind")) {
    if (options->n_ro_binds == MAX_ITEMS) die("too many binds");
    options->ro_binds[options->n_ro_binds++] = value;
  } else if (!strcmp(key, "env")) {
    if (options->n_env == MAX_ITEMS) die("too many environment variables");
    options->env[options->n_env++] = value;
  } else die("unknown option `%s`", key);
}

void parse_options(struct options *options, int argc, char **argv) {
  memset(options, 0, sizeof *options);
  options->log_max_bytes = 10 * 1024 * 1024;
  options->log_max_files = 5;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--")) {
      options->argv = argv + i + 1;
      break;
    }
    parse_option(options, argv[i]);
  }
  options->env[options->n_env] = NULL;
}

int open_or_die(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0) die_errno("open `%s`", path);
  return fd;
}

void write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, data, length);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) die_errno("write fd %d", fd);
    data += written;
    length -= (size_t)written;
  }
}

void write_file(const char *path, const char *content) {
  int fd = open_or_die(path, O_WRONLY);
  if (write(fd, content, strlen(content)) < 0) die_errno("write `%s` to `%s`", content, path);
  close(fd);
}

/* Joins every cgroup named by a cgroup.procs path: writing 0 moves the writer. */
void join_cgroups(const struct options *options) {
  for (int i = 0; i < options->n_cgroups; i++) write_file(options->cgroup_procs[i], "0");
}

/* Drops to the container's user; groups first, because setgroups needs root. */
void set_identity(const struct options *options) {
  if (setgroups((size_t)options->n_groups, options->groups) < 0) die_errno("setgroups");
  if (setgid(options->gid) < 0) die_errno("setgid %u", options->gid);
  if (setuid(options->uid) < 0) die_errno("setuid %u", options->uid);
}

/* Runs the command with the container's environment; execvp searches the PATH
 * of `environ`, so the container's PATH decides, as in runc. A failure goes
 * to REPORT_FD with the shell's exit codes: 127 not found, 126 not runnable. */
void exec_command(const struct options *options, int report_fd) {
  environ = (char **)options->env;
  if (!getenv("PATH")) setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
  execvp(options->argv[0], options->argv);
  int error = errno;
  dprintf(report_fd, "tkinit: exec `%s`: %s\n", options->argv[0], strerror(error));
  _exit(error == ENOENT ? 127 : 126);
}

void redirect_to_dev_null(int fd) {
  int null = open("/dev/null", O_RDWR);
  if (null < 0) die_errno("open `/dev/null`");
  if (dup2(null, fd) < 0) die_errno("dup2 `/dev/null` to fd %d", fd);
  if (null != fd) close(null);
}

void close_fds_from(int lowest, int keep) {
  for (int fd = lowest; fd < 1024; fd++)
    if (fd != keep) close(fd);
}

void loopback_up(void) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die_errno("socket AF_INET");
  struct ifreq request;
  memset(&request, 0, sizeof request);
  strcpy(request.ifr_name, "lo");
  if (ioctl(sock, SIOCGIFFLAGS, &request) < 0) die_errno("ioctl SIOCGIFFLAGS `lo`");
  request.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &request) < 0) die_errno("ioctl SIOCSIFFLAGS `lo`");
  close(sock);
}


/* Copies argv onto the heap, so the original argument area can be
 * overwritten while the options still point at live strings. */
char **copy_arguments(int argc, char **argv) {
  char **copy = calloc((size_t)argc + 1, sizeof *copy);
  if (!copy) die_errno("calloc %d arguments", argc);
  for (int i = 0; i < argc; i++) {
    copy[i] = strdup(argv[i]);
    if (!copy[i]) die_errno("strdup argument %d", i);
  }
  return copy;
}

/* Blanks every argument after the mode in /proc/self/cmdline, which the
 * kernel reads from this process's original argument area. */
void hide_arguments(int argc, char **argv) {
  if (argc < 3) return;
  char *start = argv[2];
  char *end = argv[argc - 1] + strlen(argv[argc - 1]);
  memset(start, 0, (size_t)(end - start));
}
