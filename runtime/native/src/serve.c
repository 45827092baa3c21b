/* The long-lived helper: runs tkinit's other modes on request, so that the
 * kubelet pays for one process spawn per runtime instead of one per call.
 * Forking this small process is much cheaper than forking Node.
 *
 * A request on stdin is "LENGTH\n" followed by LENGTH bytes of NUL-terminated
 * fields: ID, FIRST_LINE ("1" to respond at the first stdout line, because
 * a container monitor prints its PID and keeps running), INPUT for the child's
 * stdin, MODE, then the mode's arguments. Each request becomes a child that
 * re-executes tkinit in a new session. The response on stdout is
 * "ID PID CODE STDOUT_LENGTH STDERR_LENGTH\n" and the two outputs, with CODE
 * -1 when the child still runs. EOF on stdin ends the helper; children that
 * still run (monitors) keep running. */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REQUESTS 128
#define MAX_FIELDS (MAX_ITEMS * 4)

struct buffer {
  char *data;
  size_t length;
  size_t capacity;
};

struct request {
  int active;
  char id[32];
  int first_line;
  pid_t pid;
  int out;
  int err;
  int exited;
  int status;
  struct buffer stdout_data;
  struct buffer stderr_data;
};

static struct request requests[MAX_REQUESTS];
static const char too_many[] = "tkinit serve: too many requests at once, max 128\n";

static void buffer_append(struct buffer *buffer, const char *data, size_t length) {
  if (buffer->length + length > buffer->capacity) {
    size_t capacity = buffer->capacity ? buffer->capacity : 1024;
    while (capacity < buffer->length + length) capacity *= 2;
    char *grown = realloc(buffer->data, capacity);
    if (!grown) die("realloc %zu bytes", capacity);
    buffer->data = grown;
    buffer->capacity = capacity;
  }
  memcpy(buffer->data + buffer->length, data, length);
  buffer->length += length;
}

static void buffer_clear(struct buffer *buffer) {
  free(buffer->data);
  memset(buffer, 0, sizeof *buffer);
}

static void respond(struct request *request, int code) {
  char header[128];
  int length = snprintf(header, sizeof header, "%s %d %d %zu %zu\n", request->id, (int)request->pid, code,
                        request->stdout_data.length, request->stderr_data.length);
  write_all(STDOUT_FILENO, header, (size_t)length);
  if (request->stdout_data.length) write_all(STDOUT_FILENO, request->stdout_data.data, request->stdout_data.length);
  if (request->stderr_data.length) write_all(STDOUT_FILENO, request->stderr_data.data, request->stderr_data.length);

  if (request->out >= 0) close(request->out);
  if (request->err >= 0) close(request->err);
  buffer_clear(&request->stdout_data);
  buffer_clear(&request->stderr_data);
  request->active = 0;
}

static int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Responds to a request once its outcome is known: a first line, or EOF on both outputs after the exit. */
static void maybe_respond(struct request *request) {
  if (!request->active) return;
  if (request->first_line && request->stdout_data.length && memchr(request->stdout_data.data, '\n', request->stdout_data.length)) {
    respond(request, request->exited ? exit_code(request->status) : -1);
    return;
  }
  if (request->out < 0 && request->err < 0 && request->exited) respond(request, exit_code(request->status));
}

static void child_exec(char **argv, const char *input, int out, int err, int in) __attribute__((noreturn));
static void child_exec(char **argv, const char *input, int out, int err, int in) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (setsid() < 0) die_errno("setsid");
  if (input[0]) {
    if (dup2(in, STDIN_FILENO) < 0) die_errno("dup2 stdin");
  } else {
    redirect_to_dev_null(STDIN_FILENO);
  }
  if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) die_errno("dup2 stdout and stderr");
  execv("/proc/self/exe", argv);
  die_errno("execve `/proc/self/exe`");
}

static struct request *free_slot(void) {
  for (int i = 0; i < MAX_REQUESTS; i++)
    if (!requests[i].active) return &requests[i];
  return NULL;
}

/* Starts the child of one request whose fields are FIELDS[0..count). */
static void start_request(char **fields, int count) {
  if (count < 4) die("invalid request: %d fields, expected ID, FIRST_LINE, INPUT and MODE", count);
  struct request *request = free_slot();
  if (!request) {
    dprintf(STDOUT_FILENO, "%s 0 125 0 %zu\n%s", fields[0], strlen(too_many), too_many);
    return;
  }
  memset(request, 0, sizeof *request);
  snprintf(request->id, sizeof request->id, "%s", fields[0]);
  request->first_line = !strcmp(fields[1], "1");
  const char *input = fields[2];

  int out[2], err[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) die_errno("pipe2");
  if (input[0] && pipe2(in, O_CLOEXEC) < 0) die_errno("pipe2");

  /* argv: "tkinit", MODE, arguments..., NULL; fields[3] is MODE. */
  fields[2] = "tkinit";
  pid_t child = fork();
  if (child < 0) die_errno("fork");
  if (child == 0) child_exec(fields + 2, input, out[1], err[1], in[0]);

  close(out[1]);
  close(err[1]);
  if (input[0]) {
    close(in[0]);
    /* Inputs are small network configurations, well under a pipe's 64 KiB. */
    write_all(in[1], input, strlen(input));
    close(in[1]);
  }
  request->active = 1;
  request->pid = child;
  request->out = out[0];
  request->err = err[0];
}

/* Parses complete requests from the front of INPUT; returns the bytes consumed. */
static size_t parse_requests(char *input, size_t length) {
  size_t consumed = 0;
  for (;;) {
    char *newline = memchr(input + consumed, '\n', length - consumed);
    if (!newline) return consumed;
    size_t size = strtoul(input + consumed, NULL, 10);
    char *payload = newline + 1;
    if ((size_t)(payload - input) + size > length) return consumed;

    char *fields[MAX_FIELDS + 1];
    int count = 0;
    for (char *field = payload; field < payload + size && count < MAX_FIELDS; field += strlen(field) + 1) fields[count++] = field;
    fields[count] = NULL;
    start_request(fields, count);
    consumed = (size_t)(payload - input) + size;
  }
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_REQUESTS; i++) {
      if (!requests[i].active || requests[i].pid != pid) continue;
      requests[i].exited = 1;
      requests[i].status = status;
      maybe_respond(&requests[i]);
    }
  }
}

static void drain_output(struct request *request, int *fd, struct buffer *buffer) {
  char data[16384];
  ssize_t count = read(*fd, data, sizeof data);
  if (count < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (count <= 0) {
    close(*fd);
    *fd = -1;
  } else {
    buffer_append(buffer, data, (size_t)count);
  }
  maybe_respond(request);
}

int run_serve(struct options *options) {
  (void)options;
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int signals = signalfd(-1, &mask, SFD_CLOEXEC);
  if (signals < 0) die_errno("signalfd SIGCHLD");

  struct buffer input = {0};
  int input_open = 1;
  while (input_open) {
    struct pollfd fds[2 + 2 * MAX_REQUESTS];
    struct request *owners[2 + 2 * MAX_REQUESTS];
    int n = 0;
    fds[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    fds[n++] = (struct pollfd){signals, POLLIN, 0};
    for (int i = 0; i < MAX_REQUESTS; i++) {
      if (!requests[i].active) continue;
      if (requests[i].out >= 0) owners[n] = &requests[i], fds[n++] = (struct pollfd){requests[i].out, POLLIN, 0};
      if (requests[i].err >= 0) owners[n] = &requests[i], fds[n++] = (struct pollfd){requests[i].err, POLLIN, 0};
    }
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die_errno("poll");
    }

    if (fds[1].revents) {
      struct signalfd_siginfo info;
      if (read(signals, &info, sizeof info) < 0 && errno != EAGAIN) die_errno("read signalfd");
      reap();
    }
    for (int i = 2; i < n; i++) {
      if (!fds[i].revents || !owners[i]->active) continue;
      struct request *request = owners[i];
      if (fds[i].fd == request->out) drain_output(request, &request->out, &request->stdout_data);
      else if (fds[i].fd == request->err) drain_output(request, &request->err, &request->stderr_data);
    }
    if (fds[0].revents) {
      char data[65536];
      ssize_t count = read(STDIN_FILENO, data, sizeof data);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) {
        input_open = 0;
        continue;
      }
      buffer_append(&input, data, (size_t)count);
      size_t consumed = parse_requests(input.data, input.length);
      memmove(input.data, input.data + consumed, input.length - consumed);
      input.length -= consumed;
    }
  }
  return 0;
}
