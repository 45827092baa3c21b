#ifndef TKINIT_NETLINK_H
#define TKINIT_NETLINK_H
#include <netinet/in.h>
/* Each returns 0, or the errno from the kernel's acknowledgement. */
int netlink_open(void);
int netlink_create_veth(int sock, const char *host_name, unsigned bridge_index, int peer_netns);
int netlink_set_up(int sock, unsigned index);
int netlink_add_address(int sock, unsigned index, struct in_addr address, unsigned char prefix_length);
int netlink_add_default_route(int sock, unsigned index, struct in_addr gateway);
#endif
