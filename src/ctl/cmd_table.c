/*
 * Every command, once: the syntax here drives both dispatch and help, so
 * they cannot disagree. See ctl_internal.h for the syntax notation.
 */
#include "ctl/ctl_internal.h"

const struct ctl_cmd ctl_cmds[] = {
	{ "show interfaces [<name:iface>]",
	  "interfaces: driver, MAC, MTU, state, link, addresses, counters", cmd_show_interfaces },
	{ "show errors",
	  "drop counters that are not zero, with their reason", cmd_show_errors },
	{ "show ip arp",
	  "ARP table: address, MAC, interface, state, age, queued packets", cmd_show_arp },
	{ "show ip fib",
	  "IPv4 forwarding table: prefix, type, next hop, interface", cmd_show_fib },
	{ "show workers",
	  "worker cores: poll mode, loops, busy loops, sleeps", cmd_show_workers },
	{ "show pcap",
	  "state of the packet capture", cmd_show_pcap },
	{ "show version",
	  "dpstack and DPDK versions", cmd_show_version },
	{ "set interface ip address <interface:iface> <address:ifaddr>",
	  "add an IPv4 address (and its connected route) to an interface", cmd_if_addr_add },
	{ "set interface ip address del <interface:iface> <address:ifaddr>",
	  "remove an IPv4 address from an interface", cmd_if_addr_del },
	{ "set interface state <interface:iface> <state:updown>",
	  "bring an interface administratively up or down", cmd_if_state },
	{ "set interface mtu <interface:iface> <mtu:num:68..9000>",
	  "set the IP MTU of an interface", cmd_if_mtu },
	{ "ip route add <prefix:net> via <gateway:ip4> [<interface:iface>]",
	  "add a static route through a gateway on a connected network", cmd_route_add },
	{ "ip route del <prefix:net> [via <gateway:ip4>] [<interface:iface>]",
	  "delete a static route", cmd_route_del },
	{ "clear counters",
	  "set interface and error counters back to zero", cmd_clear_counters },
	{ "pcap start <interface:iface_any> <file:file> [max <packets:num:1..1000000000000>]",
	  "capture received and sent packets to a pcapng file", cmd_pcap_start },
	{ "pcap stop",
	  "stop the capture and close its file", cmd_pcap_stop },
	{ "help [<topic:word>]",
	  "list the commands (those with a keyword starting with topic)", cmd_help },
};

const unsigned ctl_n_cmds = RTE_DIM(ctl_cmds);
