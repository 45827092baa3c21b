/* Pod network set-up through rtnetlink, the same requests `ip` sends, with no
 * process per step. It creates a veth pair whose host end joins the node
 * bridge and whose peer becomes the pod's eth0. Then it sets the pod's
 * address, link state and default route. */
#define _GNU_SOURCE
#include "common.h"
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct message {
  struct nlmsghdr header;
  char payload[1024];
};

static unsigned sequence;

int netlink_open(void) {
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) die_errno("socket AF_NETLINK");
  return sock;
}

static void *tail(struct message *message) {
  return (char *)message + NLMSG_ALIGN(message->header.nlmsg_len);
}

static void *append(struct message *message, const void *data, size_t length) {
  void *start = tail(message);
  if ((char *)start + length > (char *)message + sizeof *message) die("netlink message too long");
  memset(start, 0, NLMSG_ALIGN(length));
  if (data) memcpy(start, data, length);
  message->header.nlmsg_len = NLMSG_ALIGN(message->header.nlmsg_len) + NLMSG_ALIGN(length);
  return start;
}

static struct rtattr *add_attribute(struct message *message, unsigned short type, const void *data, size_t length) {
  struct rtattr *attribute = append(message, NULL, RTA_LENGTH(length));
  attribute->rta_type = type;
  attribute->rta_len = (unsigned short)RTA_LENGTH(length);
  if (data) memcpy(RTA_DATA(attribute), data, length);
  return attribute;
}

static void end_nested(struct message *message, struct rtattr *nested) {
  nested->rta_len = (unsigned short)((char *)tail(message) - (char *)nested);
}

static void start_message(struct message *message, unsigned short type, unsigned short flags, const void *header, size_t length) {
  memset(message, 0, sizeof message->header);
  message->header.nlmsg_len = NLMSG_LENGTH(0);
  message->header.nlmsg_type = type;
  message->header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  message->header.nlmsg_seq = ++sequence;
  append(message, header, length);
}

/* Sends MESSAGE and waits for the kernel's acknowledgement; returns 0 or an errno. */
static int call(int sock, struct message *message) {
  if (send(sock, message, message->header.nlmsg_len, 0) < 0) return errno;
  char reply[4096];
  ssize_t length = recv(sock, reply, sizeof reply, 0);
  if (length < 0) return errno;
  struct nlmsghdr *header = (struct nlmsghdr *)reply;
  if (length < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || header->nlmsg_type != NLMSG_ERROR) return EPROTO;
  struct nlmsgerr *error = NLMSG_DATA(header);
  return -error->error;
}

int netlink_create_veth(int sock, const char *host_name, unsigned bridge_index, int peer_netns) {
  struct message message;
  struct ifinfomsg link = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  start_message(&message, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &link, sizeof link);
  add_attribute(&message, IFLA_IFNAME, host_name, strlen(host_name) + 1);
  add_attribute(&message, IFLA_MASTER, &bridge_index, sizeof bridge_index);

  struct rtattr *link_info = add_attribute(&message, IFLA_LINKINFO, NULL, 0);
  add_attribute(&message, IFLA_INFO_KIND, "veth", 5);
  struct rtattr *info_data = add_attribute(&message, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *peer = add_attribute(&message, VETH_INFO_PEER, NULL, 0);
  struct ifinfomsg peer_link = {.ifi_family = AF_UNSPEC};
  append(&message, &peer_link, sizeof peer_link);
  add_attribute(&message, IFLA_IFNAME, "eth0", 5);
  unsigned netns = (unsigned)peer_netns;
  add_attribute(&message, IFLA_NET_NS_FD, &netns, sizeof netns);
  end_nested(&message, peer);
  end_nested(&message, info_data);
  end_nested(&message, link_info);
  return call(sock, &message);
}

int netlink_set_up(int sock, unsigned index) {
  struct message message;
  struct ifinfomsg link = {.ifi_family = AF_UNSPEC, .ifi_index = (int)index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  start_message(&message, RTM_NEWLINK, 0, &link, sizeof link);
  return call(sock, &message);
}

int netlink_add_address(int sock, unsigned index, struct in_addr address, unsigned char prefix_length) {
  struct message message;
  struct ifaddrmsg header = {.ifa_family = AF_INET, .ifa_prefixlen = prefix_length, .ifa_index = index};
  start_message(&message, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &header, sizeof header);
  add_attribute(&message, IFA_LOCAL, &address, sizeof address);
  add_attribute(&message, IFA_ADDRESS, &address, sizeof address);
  return call(sock, &message);
}

int netlink_add_default_route(int sock, unsigned index, struct in_addr gateway) {
  struct message message;
  struct rtmsg route = {
      .rtm_family = AF_INET,
      .rtm_table = RT_TABLE_MAIN,
      .rtm_protocol = RTPROT_BOOT,
      .rtm_scope = RT_SCOPE_UNIVERSE,
      .rtm_type = RTN_UNICAST,
  };
  start_message(&message, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &route, sizeof route);
  add_attribute(&message, RTA_GATEWAY, &gateway, sizeof gateway);
  add_attribute(&message, RTA_OIF, &index, sizeof index);
  return call(sock, &message);
}
