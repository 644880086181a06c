/*
 * Inside the control module: the command table, the parsed arguments a
 * handler receives, and the word parsers (exposed for the unit tests).
 */
#ifndef DPS_CTL_INTERNAL_H
#define DPS_CTL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/ctl.h"

#define CTL_MAX_WORDS    32    /* words in one command line */
#define CTL_MAX_WORD_LEN 255   /* longest word (a file path fits) */
#define CTL_MAX_NODES    16    /* words + arguments in one command's syntax */
#define CTL_ERRLEN       256

enum ctl_type {
	CTL_T_IFACE,       /* name of an existing interface -> ifindex */
	CTL_T_IFACE_ANY,   /* an interface or "any" -> ifindex or DPS_CAPTURE_ALL */
	CTL_T_IP4,         /* a.b.c.d */
	CTL_T_NET,         /* a.b.c.d/len with the host bits zero (a route) */
	CTL_T_IFADDR,      /* a.b.c.d/len naming a host inside (an address) */
	CTL_T_UPDOWN,      /* up | down */
	CTL_T_NUM,         /* decimal, optional range in the syntax */
	CTL_T_FILE,        /* a path */
	CTL_T_WORD,        /* any word */
};

/* One element of a command's syntax, compiled from its syntax string. */
struct ctl_node {
	bool literal;
	uint8_t group;             /* 0: mandatory; n: in optional group n */
	enum ctl_type type;
	uint64_t min, max;         /* CTL_T_NUM */
	bool ranged;               /* range given in the syntax */
	char text[32];             /* keyword, or the argument's name */
};

/* An argument as the handler sees it, looked up by its name. */
struct ctl_val {
	const char *name;
	const char *word;          /* as typed */
	int ifindex;
	uint32_t ip;               /* host order */
	uint8_t plen;
	bool up;
	uint64_t num;
};

struct ctl_args {
	unsigned n;
	struct ctl_val v[CTL_MAX_NODES];
};

typedef int (*ctl_handler)(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);

/*
 * A command: its syntax, for dispatch and help alike, e.g.
 * "ip route add <prefix:net> via <gw:ip4> [<if:iface>]". Arguments are
 * <name:type> or <name:num:min..max>; [...] marks an optional group.
 */
struct ctl_cmd {
	const char *syntax;
	const char *help;
	ctl_handler fn;
};

extern const struct ctl_cmd ctl_cmds[];
extern const unsigned ctl_n_cmds;

/* ---- exec.c ---- */
/** Compile a syntax string; returns the node count or -EINVAL. */
int ctl_syntax_compile(const char *syntax, struct ctl_node *nodes, unsigned max);
/** The syntax as help shows it ("... <a.b.c.d/len> via <a.b.c.d> [<interface>]"). */
void ctl_syntax_render(const char *syntax, char *buf, size_t len);
/** The value of argument `name`, or NULL when an optional one was not given. */
const struct ctl_val *ctl_arg(const struct ctl_args *a, const char *name);
/** Replace out with "error: <msg>\n"; returns -1 for `return ctl_err(...)`. */
int ctl_err(struct dps_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- parse.c: 0 or -EINVAL with a reason (no "error: " prefix) in err ---- */
/**
 * Split line in place into words at blanks; a word starting with '#'
 * starts a comment. Returns the word count or -E2BIG/-EINVAL.
 */
int ctl_tokenize(char *line, char **words, unsigned max, char *err, size_t errlen);
/** Is the text valid UTF-8 without control characters (tab and CR allowed)? */
bool ctl_text_ok(const char *s, size_t len);
int ctl_parse_ip4(const char *s, uint32_t *ip, char *err, size_t errlen);
/** a.b.c.d/len, no check of host bits. */
int ctl_parse_prefix(const char *s, uint32_t *ip, uint8_t *plen, char *err, size_t errlen);
/** A network: host bits must be zero (the error names the network meant). */
int ctl_parse_net(const char *s, uint32_t *ip, uint8_t *plen, char *err, size_t errlen);
/** An interface address: a usable unicast host inside its prefix. */
int ctl_parse_ifaddr(const char *s, uint32_t *ip, uint8_t *plen, char *err, size_t errlen);
int ctl_parse_num(const char *what, const char *s, uint64_t min, uint64_t max,
		  uint64_t *v, char *err, size_t errlen);
int ctl_parse_updown(const char *s, bool *up, char *err, size_t errlen);
/** An existing interface by name; -ENOENT lists the ones there are. */
int ctl_parse_iface(struct dps_stack *st, const char *s, int *ifindex, char *err, size_t errlen);
/** Quote a user word for a message, shortened if long: buf >= 80 bytes. */
const char *ctl_quote(const char *s, char *buf, size_t len);

/** Lower-case symbolic name of a drop reason ("ip4_bad_checksum"). */
void ctl_err_name_lower(enum dps_err e, char *buf, size_t len);

/* ---- server.c ---- */
/** How long a client may take to send its line and read the answer (tests shorten it). */
void ctl_server_set_timeout(unsigned ms);

/* ---- handlers, by topic ---- */
int cmd_set_tcp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_tcp_params(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_help(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_version(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_errors(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_workers(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_clear_counters(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_interfaces(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_if_addr_add(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_if_addr_del(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_if_state(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_if_mtu(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_arp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_fib(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_route_add(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_route_del(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_pcap_start(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_pcap_stop(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_pcap(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_sessions(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_sessions_verbose(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_tcp_stats(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_tcp_stats_all(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_memory(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_apps(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_fifo(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_show_services(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_svc_echo_tcp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_svc_echo_udp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_svc_discard_tcp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_svc_discard_udp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_svc_source(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_svc_http(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);
int cmd_svc_stop(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out);

#endif
