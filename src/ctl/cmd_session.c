/*
 * Transport commands: show sessions (each worker lists its own sockets,
 * through dps_worker_rpc), show tcp stats, show memory (pool and socket
 * counts, for leak checks).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mempool.h>

#include "app/service.h"
#include "core/worker.h"
#include "ctl/ctl_internal.h"
#include "net/net.h"
#include "session/session.h"
#include "tcp/tcp.h"

#define STATES_MAX 16

/*
 * What one worker writes for show sessions. Heap-allocated: a worker that
 * answers after dps_worker_rpc gave up (-ETIMEDOUT) still writes into it,
 * so it is then left to leak rather than freed under the worker.
 */
struct sess_list {
	struct dps_out out;
	bool verbose;
	unsigned n;
	unsigned n_states;
	const char *state[STATES_MAX];
	unsigned count[STATES_MAX];
};

static const char *addr_str(uint32_t ip, uint16_t port, bool peer, char *buf, size_t len)
{
	char b[16];

	if (peer && ip == 0 && port == 0)
		snprintf(buf, len, "*:*");
	else
		snprintf(buf, len, "%s:%u", dps_ip4_str(ip, b), port);
	return buf;
}

static int sess_one(const struct dps_sock_info *si, void *arg)
{
	struct sess_list *l = arg;
	bool tcp = si->type == SOCK_STREAM;
	char la[24], ra[24], rtt[24], cwnd[16], app[48];
	unsigned k;

	for (k = 0; k < l->n_states; k++)
		if (strcmp(l->state[k], si->state) == 0)
			break;
	if (k == l->n_states && k < STATES_MAX)
		l->state[l->n_states++] = si->state;
	if (k < STATES_MAX)
		l->count[k]++;
	if (l->n++ == 0)
		dps_out_printf(&l->out, "  %-5s %-12s %-21s %-21s %9s %9s %9s %8s  %s\n", "Proto",
			       "State", "Local", "Remote", "Rx-Q", "Tx-Q", "RTT ms", "Cwnd", "App");
	if (tcp && si->srtt_us > 0)
		snprintf(rtt, sizeof(rtt), "%.3f", (double)si->srtt_us / 1000.0);
	else
		snprintf(rtt, sizeof(rtt), "-");
	if (tcp && si->cwnd > 0)
		snprintf(cwnd, sizeof(cwnd), "%u", si->cwnd);
	else
		snprintf(cwnd, sizeof(cwnd), "-");
	/* the owner: an attached application "id/name", or "-" (the daemon) */
	if (si->app_id != 0)
		snprintf(app, sizeof(app), "%u/%s", si->app_id, si->app_name);
	else
		snprintf(app, sizeof(app), "-");
	dps_out_printf(&l->out, "  %-5s %-12s %-21s %-21s %9u %9u %9s %8s  %s\n",
		       tcp ? "tcp" : "udp", si->state,
		       addr_str(si->laddr, si->lport, false, la, sizeof(la)),
		       addr_str(si->raddr, si->rport, true, ra, sizeof(ra)), si->rx_queued,
		       si->tx_queued, rtt, cwnd, app);
	if (l->verbose && tcp)
		dps_out_printf(&l->out, "        sd %d, rto %" PRIu64 " ms, ssthresh %u, snd_wnd %u, "
			       "rcv_wnd %u, mss %u, retrans %" PRIu64 ", rx %" PRIu64 " B, tx %"
			       PRIu64 " B, cc %s\n"
			       "        segs in %" PRIu64 " out %" PRIu64 ", dup acks %" PRIu64
			       ", fast retransmits %" PRIu64 ", rto events %" PRIu64 "\n",
			       si->sd, si->rto_ms, si->ssthresh, si->snd_wnd,
			       si->rcv_wnd, si->mss, si->retrans, si->rx_bytes, si->tx_bytes,
			       si->cc != NULL ? si->cc : "-", si->segs_in, si->segs_out,
			       si->dup_acks, si->fast_retransmits, si->rto_events);
	else if (l->verbose)
		dps_out_printf(&l->out, "        sd %d, rx %" PRIu64 " B, tx %" PRIu64 " B\n",
			       si->sd, si->rx_bytes, si->tx_bytes);
	return 0;
}

static int sess_rpc(struct dps_worker *w, void *arg)
{
	dps_session_walk(w, sess_one, arg);
	return 0;
}

static int show_sessions(struct dps_stack *st, struct dps_out *out, bool verbose)
{
	unsigned total = 0, n_states = 0;
	const char *state[STATES_MAX];
	unsigned count[STATES_MAX];

	for (unsigned i = 0; i < st->n_workers; i++) {
		struct sess_list *l = calloc(1, sizeof(*l));
		int rc;

		if (l == NULL)
			return ctl_err(out, "out of memory");
		dps_out_init(&l->out);
		l->verbose = verbose;
		rc = dps_worker_rpc(st, i, sess_rpc, l);
		if (rc == -ETIMEDOUT)
			return ctl_err(out, "worker %u did not answer", i);   /* l is the worker's */
		if (rc < 0) {
			dps_out_free(&l->out);
			free(l);
			return ctl_err(out, "worker %u: %s", i, strerror(-rc));
		}
		dps_out_printf(out, "worker %u: %u socket%s\n%s", i, l->n, l->n == 1 ? "" : "s",
			       dps_out_str(&l->out));
		total += l->n;
		for (unsigned k = 0; k < l->n_states; k++) {
			unsigned j;

			for (j = 0; j < n_states; j++)
				if (strcmp(state[j], l->state[k]) == 0)
					break;
			if (j == n_states && n_states < STATES_MAX) {
				state[n_states] = l->state[k];
				count[n_states++] = 0;
			}
			if (j < STATES_MAX)
				count[j] += l->count[k];
		}
		dps_out_free(&l->out);
		free(l);
	}
	/* one line to grep: "total 3: LISTEN 1, ESTABLISHED 2" */
	dps_out_printf(out, "total %u%s", total, n_states ? ":" : "");
	for (unsigned j = 0; j < n_states; j++)
		dps_out_printf(out, "%s %s %u", j ? "," : "", state[j], count[j]);
	dps_out_printf(out, "\n");
	return 0;
}

int cmd_show_sessions(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return show_sessions(st, out, false);
}

int cmd_show_sessions_verbose(struct dps_stack *st, const struct ctl_args *a,
			      struct dps_out *out)
{
	return show_sessions(st, out, true);
}

static int show_tcp_stats(struct dps_stack *st, struct dps_out *out, bool all)
{
	uint64_t v[DPS_TCP_STAT__MAX];
	unsigned shown = 0;

	dps_tcp_stats_get(st, v);
	for (unsigned i = 0; i < DPS_TCP_STAT__MAX; i++) {
		if (v[i] == 0 && !all)
			continue;
		if (shown++ == 0)
			dps_out_printf(out, "%14s  %-22s  %s\n", "Value", "Name", "Meaning");
		dps_out_printf(out, "%14" PRIu64 "  %-22s  %s\n", v[i], dps_tcp_stat_name(i),
			       dps_tcp_stat_str(i));
	}
	if (shown == 0)
		dps_out_printf(out, "all TCP counters are zero\n");
	return 0;
}

int cmd_show_tcp_stats(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return show_tcp_stats(st, out, false);
}

int cmd_show_tcp_stats_all(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return show_tcp_stats(st, out, true);
}

int cmd_show_memory(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct rte_mempool *pools[] = { st->pool, st->ipool };
	const char *what[] = { "mbufs", "indirect mbufs (fragmentation)" };

	dps_out_printf(out, "%-24s %10s %10s %10s  %s\n", "Pool", "Size", "In use", "Free",
		       "Holds");
	for (size_t i = 0; i < RTE_DIM(pools); i++) {
		unsigned avail;

		if (pools[i] == NULL)
			continue;
		avail = rte_mempool_avail_count(pools[i]);
		dps_out_printf(out, "%-24s %10u %10u %10u  %s\n", pools[i]->name, pools[i]->size,
			       pools[i]->size - avail, avail, what[i]);
	}
	for (unsigned i = 0; i < st->n_workers; i++)
		dps_out_printf(out, "worker %u: %u sockets\n", i,
			       dps_session_count(st->workers[i]));
	dps_out_printf(out, "services: %u\n", dps_service_count(st));
	return 0;
}
