#ifndef TKINIT_ROOTFS_H
#define TKINIT_ROOTFS_H
#include "common.h"
void setup_rootfs(const struct options *options);
#endif
