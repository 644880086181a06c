/*
 * TCP as the rest of the stack sees it: input from IPv4, the calls the
 * session layer makes for a TCP socket, and the global counters.
 * The connection state itself is in tcp_internal.h.
 */
#ifndef DPS_TCP_TCP_H
#define DPS_TCP_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/stack.h"

enum dps_tcp_stat {
#define TCP_STAT(sym, str) DPS_TCP_STAT_##sym,
#include "tcp/tcp_stats.def"
#undef TCP_STAT
	DPS_TCP_STAT__MAX
};

/** "segs_in" ... */
const char *dps_tcp_stat_name(unsigned i);
/** The meaning, for show tcp stats. */
const char *dps_tcp_stat_str(unsigned i);
/** Counters summed over the workers (control plane; reads race benignly). */
void dps_tcp_stats_get(const struct dps_stack *st, uint64_t out[DPS_TCP_STAT__MAX]);

/** "clear counters": the current values become zero. */
void dps_tcp_stats_clear(struct dps_stack *st);

/** A TCP segment for one of our addresses; m starts at the IPv4 header. */
void dps_tcp_input(struct dps_worker *w, struct rte_mbuf *m);

#include "tcp/tcp_params.h"

void dps_tcp_params_default(struct dps_tcp_params *p);
/** Set a tunable by name ("msl_ms", "cc" ...) from text; -ENOENT/-EINVAL with err filled. */
int dps_tcp_param_set(struct dps_tcp_params *p, const char *name, const char *value,
		      char *err, size_t errlen);
/** A tunable's value as text; -ENOENT if there is none by that name. */
int dps_tcp_param_get(const struct dps_tcp_params *p, const char *name, char *out, size_t outlen);
/** The i-th tunable's name (and its meaning in *help), NULL past the last. */
const char *dps_tcp_param_name(unsigned i, const char **help);

#endif
