/* tkinit: the native init of tinykube's runtime, driven from TypeScript.
 *   tkinit sandbox  hostname=NAME [hostnet=1] [cgroup=PROCS]...
 *                   [veth=NAME bridge=NAME address=IP/PREFIX gateway=IP]    start a pod's holder
 *                   [cni=PLUGIN cnipath=DIR containerid=ID]      (and run CNI ADD, config on stdin)
 *   tkinit start    holder=PID rootfs=DIR ... -- COMMAND...      start a container and monitor it
 *   tkinit exec     pid=PID [tty=1] ... -- COMMAND...            run a process in a container
 *   tkinit netns    pid=PID -- COMMAND...                         run a command in a pod's net namespace
 *   tkinit run      rootfs=DIR overlay=OPTIONS ... -- COMMAND...  run an image build step and wait for it
 *   tkinit serve                                                  run the other modes on request (serve.c)
 * Exit status 125 means tkinit itself failed; its message is on stderr. */
#include "common.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2) die("usage: tkinit sandbox|start|exec|netns|run|serve key=value... [-- command...]");
  char **arguments = copy_arguments(argc, argv);
  /* The options may carry a container's whole command line; hiding it keeps
   * tkinit out of `pgrep -f` and `ps` matches meant for the container. */
  hide_arguments(argc, argv);
  struct options options;
  parse_options(&options, argc - 2, arguments + 2);

  const char *mode = arguments[1];
  if (!strcmp(mode, "sandbox")) return run_sandbox(&options);
  if (!strcmp(mode, "start")) return run_container(&options);
  if (!strcmp(mode, "exec")) return run_exec(&options);
  if (!strcmp(mode, "netns")) return run_netns_exec(&options);
  if (!strcmp(mode, "run")) return run_step(&options);
  if (!strcmp(mode, "serve")) return run_serve(&options);
  die("unknown mode `%s`", mode);
}
