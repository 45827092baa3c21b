/* The container's root filesystem: an overlay of the image layers in a
 * private mount namespace, a fresh /proc, a minimal /dev, a read-only /sys,
 * then pivot_root into it with the old root detached. */
#define _GNU_SOURCE
#include "common.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void join_path(char *out, const char *root, const char *path) {
  if (snprintf(out, PATH_MAX, "%s/%s", root, path[0] == '/' ? path + 1 : path) >= PATH_MAX)
    die("path too long: `%s/%s`", root, path);
}

static void mkdir_all(const char *path, mode_t mode) {
  char buffer[PATH_MAX];
  snprintf(buffer, sizeof buffer, "%s", path);
  for (char *slash = strchr(buffer + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (mkdir(buffer, mode) < 0 && errno != EEXIST) die_errno("mkdir `%s`", buffer);
    *slash = '/';
  }
  if (mkdir(buffer, mode) < 0 && errno != EEXIST) die_errno("mkdir `%s`", buffer);
}

static void mount_or_die(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
  if (mount(source, target, type, flags, data) < 0) die_errno("mount `%s` on `%s`", type ? type : source, target);
}

static void mount_in_rootfs(const char *rootfs, const char *path, const char *type, unsigned long flags, const char *data) {
  char target[PATH_MAX];
  join_path(target, rootfs, path);
  mkdir_all(target, 0755);
  mount_or_die(type, target, type, flags, data);
}

static void make_device(const char *dev, const char *name, unsigned major_number, unsigned minor_number) {
  char path[PATH_MAX];
  join_path(path, dev, name);
  if (mknod(path, S_IFCHR | 0666, makedev(major_number, minor_number)) < 0) die_errno("mknod `%s`", path);
  /* mknod honours the umask, so set the mode explicitly. */
  if (chmod(path, 0666) < 0) die_errno("chmod `%s`", path);
}

static void make_symlink(const char *target, const char *dev, const char *name) {
  char path[PATH_MAX];
  join_path(path, dev, name);
  if (symlink(target, path) < 0) die_errno("symlink `%s`", path);
}

static void mount_dev(const char *rootfs) {
  char dev[PATH_MAX];
  join_path(dev, rootfs, "dev");
  mkdir_all(dev, 0755);
  mount_or_die("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");

  make_device(dev, "null", 1, 3);
  make_device(dev, "zero", 1, 5);
  make_device(dev, "full", 1, 7);
  make_device(dev, "random", 1, 8);
  make_device(dev, "urandom", 1, 9);
  make_device(dev, "tty", 5, 0);

  mount_in_rootfs(dev, "pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mount_in_rootfs(dev, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  make_symlink("pts/ptmx", dev, "ptmx");
  make_symlink("/proc/self/fd", dev, "fd");
  make_symlink("/proc/self/fd/0", dev, "stdin");
  make_symlink("/proc/self/fd/1", dev, "stdout");
  make_symlink("/proc/self/fd/2", dev, "stderr");
}

/* Bind-mounts a host file (SOURCE:TARGET, TARGET inside the container) such
 * as the pod's /etc/hosts, creating the target file when the image has none. */
static void bind_file(const char *rootfs, const char *spec, int read_only) {
  char source[PATH_MAX];
  const char *colon = strchr(spec, ':');
  if (!colon || (size_t)(colon - spec) >= sizeof source) die("invalid bind `%s`: expected SOURCE:TARGET", spec);
  memcpy(source, spec, (size_t)(colon - spec));
  source[colon - spec] = '\0';

  char target[PATH_MAX];
  join_path(target, rootfs, colon + 1);
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", target);
  *strrchr(parent, '/') = '\0';
  mkdir_all(parent, 0755);

  /* An image may ship /etc/hosts as a symlink; replace it rather than follow it out of the rootfs. */
  struct stat info;
  int present = lstat(target, &info) == 0;
  if (present && S_ISLNK(info.st_mode)) {
    if (unlink(target) < 0) die_errno("unlink `%s`", target);
    present = 0;
  }
  /* An existing file is not opened for writing, which would copy it up into the overlay's upper dir. */
  if (!present) {
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) die_errno("open `%s`", target);
    close(fd);
  }
  mount_or_die(source, target, NULL, MS_BIND, NULL);
  /* A bind mount takes MS_RDONLY only through a remount. */
  if (read_only) mount_or_die(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
}

static void mount_overlay(const struct options *options) {
  char data[8192];
  int length = options->overlay_options
      ? snprintf(data, sizeof data, "%s", options->overlay_options)
      : snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s", options->lowerdir, options->upperdir, options->workdir);
  /* The kernel reads mount options from one page. */
  if (length >= 4096) die("overlay options longer than a page (%d bytes): too many layers", length);
  mount_or_die("overlay", options->rootfs, "overlay", 0, data);
}

/* Makes ROOTFS the root: pivot_root(".", ".") stacks the old root on the new
 * one, and the lazy unmount detaches it, so no path leads back to the host. */
static void pivot_into(const char *rootfs) {
  if (chdir(rootfs) < 0) die_errno("chdir `%s`", rootfs);
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno("pivot_root `%s`", rootfs);
  if (umount2(".", MNT_DETACH) < 0) die_errno("umount2 old root of `%s`", rootfs);
  if (chdir("/") < 0) die_errno("chdir `/`");
}

void setup_rootfs(const struct options *options) {
  if (!options->rootfs || (!options->overlay_options && (!options->lowerdir || !options->upperdir || !options->workdir)))
    die("rootfs, and overlay or lowerdir, upperdir and workdir, are required");

  if (unshare(CLONE_NEWNS) < 0) die_errno("unshare CLONE_NEWNS");
  /* Private, so nothing mounted here propagates back to the host. */
  mount_or_die(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  mount_overlay(options);

  mount_in_rootfs(options->rootfs, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_dev(options->rootfs);
  mount_in_rootfs(options->rootfs, "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  for (int i = 0; i < options->n_binds; i++) bind_file(options->rootfs, options->binds[i], 0);
  for (int i = 0; i < options->n_ro_binds; i++) bind_file(options->rootfs, options->ro_binds[i], 1);

  if (options->cwd) {
    char cwd[PATH_MAX];
    join_path(cwd, options->rootfs, options->cwd);
    mkdir_all(cwd, 0755);
  }
  pivot_into(options->rootfs);
  if (options->cwd && chdir(options->cwd) < 0) die_errno("chdir `%s`", options->cwd);
}
