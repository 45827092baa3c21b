/* Shared helpers of tkinit, the native init that tinykube's runtime runs for
 * pod sandboxes (the holder), containers (the monitor and the container's
 * PID 1) and exec sessions. Every failure names the operation and its
 * argument, then exits, so the TypeScript side can show it verbatim. */
#ifndef TKINIT_COMMON_H
#define TKINIT_COMMON_H

#include <stddef.h>
#include <sys/types.h>

#define MAX_ITEMS 256

/* Options common to the modes, parsed from `key=value` arguments up to `--`. */
struct options {
  const char *holder_pid;
  const char *target_pid;
  const char *hostname;
  int share_pid;
  int host_network;
  int tty;
  const char *cgroup_procs[MAX_ITEMS];
  int n_cgroups;
  const char *lowerdir;
  const char *upperdir;
  const char *workdir;
  const char *rootfs;
  const char *overlay_options;
  const char *ro_binds[MAX_ITEMS];
  int n_ro_binds;
  const char *binds[MAX_ITEMS];
  int n_binds;
  const char *veth;
  const char *bridge;
  const char *address;
  const char *gateway;
  const char *cni_plugin;
  const char *cni_path;
  const char *container_id;
  char *env[MAX_ITEMS + 1];
  int n_env;
  const char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_ITEMS];
  int n_groups;
  const char *log_path;
  long log_max_bytes;
  int log_max_files;
  const char *exit_path;
  char **argv;
};

void die(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));
void die_errno(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));
void parse_options(struct options *options, int argc, char **argv);
char **copy_arguments(int argc, char **argv);
void hide_arguments(int argc, char **argv);
int open_or_die(const char *path, int flags);
void write_all(int fd, const char *data, size_t length);
void write_file(const char *path, const char *content);
void join_cgroups(const struct options *options);
void set_identity(const struct options *options);
void exec_command(const struct options *options, int report_fd) __attribute__((noreturn));
void redirect_to_dev_null(int fd);
void close_fds_from(int lowest, int keep);
void loopback_up(void);

int run_sandbox(struct options *options);
int run_container(struct options *options);
int run_exec(struct options *options);
int run_netns_exec(struct options *options);
int run_step(struct options *options);
int run_serve(struct options *options);

/* Implemented in log.c: the CRI log writer of the container monitor. */
struct log_writer;
struct log_writer *log_open(const char *path, long max_bytes, int max_files);
void log_feed(struct log_writer *writer, const char *stream, const char *data, size_t length);
void log_flush(struct log_writer *writer, const char *stream);

#endif
