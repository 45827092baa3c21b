/* The pod sandbox's holder: PID 1 of the pod's new pid namespace, owner of
 * its ipc, uts and net namespaces, and reaper of the pod's orphans, as
 * Kubernetes' pause container is. */
#define _GNU_SOURCE
#include "common.h"
#include "netlink.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

static void reap_children(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

/* Waits for signals forever: SIGCHLD reaps, SIGTERM and SIGINT end the pod. */
static void hold(void) __attribute__((noreturn));
static void hold(void) {
  sigset_t signals;
  sigfillset(&signals);
  sigprocmask(SIG_BLOCK, &signals, NULL);
  for (;;) {
    int signal = sigwaitinfo(&signals, NULL);
    if (signal == SIGCHLD) reap_children();
    else if (signal == SIGTERM || signal == SIGINT) _exit(0);
  }
}

static void start_holder(const struct options *options, int ready_fd) {
  if (!options->host_network && options->hostname && sethostname(options->hostname, strlen(options->hostname)) < 0)
    die_errno("sethostname `%s`", options->hostname);
  if (!options->host_network) loopback_up();
  if (setsid() < 0) die_errno("setsid");
  if (chdir("/") < 0) die_errno("chdir `/`");

  redirect_to_dev_null(STDIN_FILENO);
  redirect_to_dev_null(STDOUT_FILENO);
  if (write(ready_fd, "1", 1) != 1) die_errno("write ready pipe");
  redirect_to_dev_null(STDERR_FILENO);
  close_fds_from(3, -1);
  hold();
}

struct pod_network {
  int host_netlink; /* opened before unshare, so it speaks to the node's namespace */
  unsigned bridge_index;
  struct in_addr address;
  unsigned char prefix_length;
  struct in_addr gateway;
};

/* Resolves what must be looked up in the node's network namespace, before this process leaves it. */
static int prepare_network(const struct options *options, struct pod_network *network) {
  if (!options->veth) return 0;
  if (!options->bridge || !options->address || !options->gateway) die("veth needs bridge, address and gateway");
  network->bridge_index = if_nametoindex(options->bridge);
  if (network->bridge_index == 0) die_errno("if_nametoindex `%s`", options->bridge);

  char address[32];
  snprintf(address, sizeof address, "%s", options->address);
  char *slash = strchr(address, '/');
  if (!slash) die("invalid address `%s`: expected IP/PREFIX", options->address);
  *slash = '\0';
  network->prefix_length = (unsigned char)atoi(slash + 1);
  if (inet_pton(AF_INET, address, &network->address) != 1) die("invalid address `%s`", options->address);
  if (inet_pton(AF_INET, options->gateway, &network->gateway) != 1) die("invalid gateway `%s`", options->gateway);

  network->host_netlink = netlink_open();
  return 1;
}

static void fail_network(pid_t holder, const char *operation, const char *argument, int error) {
  kill(holder, SIGKILL);
  waitpid(holder, NULL, 0);
  errno = error;
  die_errno("%s `%s`", operation, argument);
}

/* Connects the pod: this process shares the holder's new network namespace
 * after the unshare, so its own netlink socket configures the pod side. */
static void set_up_network(const struct options *options, const struct pod_network *network, pid_t holder) {
  int pod_netns = open_or_die("/proc/self/ns/net", O_RDONLY);
  int error = netlink_create_veth(network->host_netlink, options->veth, network->bridge_index, pod_netns);
  if (error) fail_network(holder, "create veth", options->veth, error);
  close(pod_netns);
  close(network->host_netlink);

  int pod_netlink = netlink_open();
  unsigned eth0 = if_nametoindex("eth0");
  if (eth0 == 0) fail_network(holder, "if_nametoindex", "eth0", errno);
  if ((error = netlink_add_address(pod_netlink, eth0, network->address, network->prefix_length)))
    fail_network(holder, "add address", options->address, error);
  if ((error = netlink_set_up(pod_netlink, eth0))) fail_network(holder, "set link up", "eth0", error);
  if ((error = netlink_add_default_route(pod_netlink, eth0, network->gateway)))
    fail_network(holder, "add default route via", options->gateway, error);
  close(pod_netlink);
}

/* Runs the CNI plugin's ADD for the holder whose PID arrives on HOLDER_PIPE.
 * The plugin reads its network configuration from the inherited stdin and
 * writes its result to the inherited stdout, as the CNI specification defines. */
static void run_cni_add(const struct options *options, int holder_pipe) __attribute__((noreturn));
static void run_cni_add(const struct options *options, int holder_pipe) {
  pid_t holder;
  ssize_t count;
  do count = read(holder_pipe, &holder, sizeof holder);
  while (count < 0 && errno == EINTR);
  /* EOF: the sandbox failed before its holder ran, and has reported why. */
  if (count != sizeof holder) _exit(125);

  char netns[64];
  snprintf(netns, sizeof netns, "/proc/%d/ns/net", (int)holder);
  const char *path = getenv("PATH");
  char saved_path[4096];
  snprintf(saved_path, sizeof saved_path, "%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  if (clearenv() != 0) die("clearenv");
  setenv("PATH", saved_path, 1);
  setenv("CNI_COMMAND", "ADD", 1);
  setenv("CNI_CONTAINERID", options->container_id ? options->container_id : "", 1);
  setenv("CNI_NETNS", netns, 1);
  setenv("CNI_IFNAME", "eth0", 1);
  setenv("CNI_PATH", options->cni_path ? options->cni_path : "", 1);
  execl(options->cni_plugin, options->cni_plugin, (char *)NULL);
  die_errno("execve `%s`", options->cni_plugin);
}

/* Forks the process that runs the CNI plugin while this process is still in
 * the node's namespaces and cgroup, where the plugin must configure the host
 * side of the pod's network. Returns its PID; *HOLDER_PIPE receives the holder's. */
static pid_t fork_cni_runner(const struct options *options, int *holder_pipe) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) die_errno("pipe2");
  pid_t runner = fork();
  if (runner < 0) die_errno("fork");
  if (runner == 0) {
    close(pipe_fds[1]);
    run_cni_add(options, pipe_fds[0]);
  }
  close(pipe_fds[0]);
  *holder_pipe = pipe_fds[1];
  return runner;
}

/* Hands the holder's PID to the CNI runner and waits for the plugin; kills the holder if it fails. */
static void finish_cni_add(const struct options *options, pid_t runner, int holder_pipe, pid_t holder) {
  write_all(holder_pipe, (const char *)&holder, sizeof holder);
  close(holder_pipe);
  int status;
  while (waitpid(runner, &status, 0) < 0)
    if (errno != EINTR) fail_network(holder, "waitpid CNI plugin", options->cni_plugin, errno);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  kill(holder, SIGKILL);
  waitpid(holder, NULL, 0);
  die("CNI ADD `%s` failed with status %d", options->cni_plugin, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int run_sandbox(struct options *options) {
  /* The runner is forked first, so that it has no end of the ready pipe and cannot hide the holder's EOF. */
  int cni_pipe = -1;
  pid_t cni_runner = options->cni_plugin && !options->host_network ? fork_cni_runner(options, &cni_pipe) : -1;

  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) die_errno("pipe2");

  struct pod_network network;
  int has_network = !options->host_network && prepare_network(options, &network);
  join_cgroups(options);
  /* A host-network pod keeps the node's net and uts namespaces, as in Kubernetes. */
  int flags = CLONE_NEWPID | CLONE_NEWIPC | (options->host_network ? 0 : CLONE_NEWUTS | CLONE_NEWNET);
  if (unshare(flags) < 0) die_errno("unshare CLONE_NEWPID|CLONE_NEWIPC%s", options->host_network ? "" : "|CLONE_NEWUTS|CLONE_NEWNET");

  pid_t holder = fork();
  if (holder < 0) die_errno("fork");
  if (holder == 0) {
    close(ready[0]);
    start_holder(options, ready[1]);
  }

  /* The holder reports readiness once the hostname and loopback are set.
   * EOF instead means it failed, after writing the reason to the shared stderr. */
  close(ready[1]);
  char byte;
  ssize_t count;
  do count = read(ready[0], &byte, 1);
  while (count < 0 && errno == EINTR);
  if (count != 1) {
    waitpid(holder, NULL, 0);
    die("holder process failed to start");
  }
  if (has_network) set_up_network(options, &network, holder);
  /* The PID line comes first, so that the plugin's result follows it on stdout. */
  printf("%d\n", holder);
  fflush(stdout);
  if (cni_runner > 0) finish_cni_add(options, cni_runner, cni_pipe, holder);
  return 0;
}
