/* The CRI log format, as containerd writes it for the kubelet: one record
 * per line, `<RFC 3339 time with 9 digits> <stdout|stderr> <F|P> <content>`,
 * where P marks a partial line cut at the buffer size. The file is rotated
 * by size: PATH becomes PATH.1, PATH.1 becomes PATH.2, up to max_files - 1. */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384

struct line_buffer {
  char data[LINE_MAX_BYTES];
  size_t length;
};

struct log_writer {
  const char *path;
  int fd;
  long size;
  long max_bytes;
  int max_files;
  struct line_buffer out;
  struct line_buffer err;
};

static int open_log(const char *path, long *size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) die_errno("open `%s`", path);
  off_t end = lseek(fd, 0, SEEK_END);
  *size = end < 0 ? 0 : (long)end;
  return fd;
}

struct log_writer *log_open(const char *path, long max_bytes, int max_files) {
  struct log_writer *writer = calloc(1, sizeof *writer);
  if (!writer) die("out of memory");
  writer->path = path;
  writer->max_bytes = max_bytes;
  writer->max_files = max_files < 1 ? 1 : max_files;
  writer->fd = path ? open_log(path, &writer->size) : -1;
  return writer;
}

static void rotate(struct log_writer *writer) {
  char from[4096], to[4096];
  for (int index = writer->max_files - 1; index >= 1; index--) {
    if (index == 1) snprintf(from, sizeof from, "%s", writer->path);
    else snprintf(from, sizeof from, "%s.%d", writer->path, index - 1);
    snprintf(to, sizeof to, "%s.%d", writer->path, index);
    rename(from, to);
  }
  if (writer->max_files == 1 && ftruncate(writer->fd, 0) < 0) return;
  close(writer->fd);
  writer->fd = open_log(writer->path, &writer->size);
}

static void write_record(struct log_writer *writer, const char *stream, char tag, const char *content, size_t length) {
  if (writer->fd < 0) return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm utc;
  gmtime_r(&now.tv_sec, &utc);

  char header[96];
  int header_length = snprintf(header, sizeof header, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ",
                               utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                               now.tv_nsec, stream, tag);
  long record = header_length + (long)length + 1;
  if (writer->size > 0 && writer->size + record > writer->max_bytes) rotate(writer);

  char *line = malloc((size_t)record);
  if (!line) die("out of memory");
  memcpy(line, header, (size_t)header_length);
  memcpy(line + header_length, content, length);
  line[record - 1] = '\n';
  /* One write per record, so a reader never sees half a record. */
  write_all(writer->fd, line, (size_t)record);
  free(line);
  writer->size += record;
}

static struct line_buffer *buffer_of(struct log_writer *writer, const char *stream) {
  return stream[3] == 'o' ? &writer->out : &writer->err;
}

void log_feed(struct log_writer *writer, const char *stream, const char *data, size_t length) {
  struct line_buffer *buffer = buffer_of(writer, stream);
  for (size_t i = 0; i < length; i++) {
    char byte = data[i];
    if (byte == '\n') {
      size_t end = buffer->length;
      if (end > 0 && buffer->data[end - 1] == '\r') end--; /* a TTY ends lines with CRLF */
      write_record(writer, stream, 'F', buffer->data, end);
      buffer->length = 0;
      continue;
    }
    if (buffer->length == LINE_MAX_BYTES) {
      write_record(writer, stream, 'P', buffer->data, buffer->length);
      buffer->length = 0;
    }
    buffer->data[buffer->length++] = byte;
  }
}

/* Writes what remains of an unterminated last line as a full record. */
void log_flush(struct log_writer *writer, const char *stream) {
  struct line_buffer *buffer = buffer_of(writer, stream);
  if (buffer->length == 0) return;
  write_record(writer, stream, 'F', buffer->data, buffer->length);
  buffer->length = 0;
}
