/*
 * Attached applications: show apps (the registry, queues and heaps per
 * worker, through session/app.h), show fifo (the FIFO fill of every
 * application session, each worker walking its own sockets by RPC).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/worker.h"
#include "ctl/ctl_internal.h"
#include "dpsock/dpsock_proto.h"
#include "net/net.h"
#include "session/app.h"
#include "session/session.h"

static void human(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
		snprintf(buf, len, "%" PRIu64 "G", bytes >> 30);
	else if (bytes >= (1ull << 20))
		snprintf(buf, len, "%" PRIu64 "M", bytes >> 20);
	else
		snprintf(buf, len, "%" PRIu64 "K", bytes >> 10);
}

int cmd_show_apps(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	struct dps_app_info *info = calloc(2 * DPS_APP_MAX, sizeof(*info));
	struct dps_app_stats s;
	unsigned n, attached = 0;

	if (info == NULL)
		return ctl_err(out, "out of memory");
	n = dps_app_list(st, info, 2 * DPS_APP_MAX);
	for (unsigned i = 0; i < n; i++) {
		const struct dps_app_info *p = &info[i];
		char seg[16];

		if (!p->closing)
			attached++;
		if (i == 0)
			dps_out_printf(out, "%5s %-16s %8s %6s %7s %10s  %s\n", "Id", "Name", "Pid",
				       "Uid", "Segment", "Attached", "State");
		human(p->seg_size, seg, sizeof(seg));
		dps_out_printf(out, "%5u %-16s %8d %6u %7s %9.1fs  %s\n", p->id, p->name,
			       (int)p->pid, (unsigned)p->uid, seg, (double)p->attached_ms / 1000.0,
			       p->closing ? "closing (its connections finish)" : "attached");
		for (unsigned w = 0; w < p->n_workers; w++) {
			char used[16], size[16];

			human(p->w[w].heap_used, used, sizeof(used));
			human(p->w[w].heap_size, size, sizeof(size));
			dps_out_printf(out, "        worker %u: %u session%s, queues in %u/%u out %u/%u, "
				       "msgs in %" PRIu64 " out %" PRIu64 ", heap %s/%s in %u FIFO%s\n",
				       w, p->w[w].sessions, p->w[w].sessions == 1 ? "" : "s",
				       p->w[w].q_in, p->w[w].q_slots, p->w[w].q_out,
				       p->w[w].q_slots, p->w[w].msgs_in, p->w[w].msgs_out, used,
				       size, p->w[w].fifos, p->w[w].fifos == 1 ? "" : "s");
		}
	}
	free(info);
	dps_app_stats_get(&s);
	/* one line to grep: "apps 1 attached, 0 closing; ..." */
	dps_out_printf(out, "apps %u attached, %u closing; attaches %" PRIu64 ", refused %" PRIu64
		       " (bad hello %" PRIu64 "), detached %" PRIu64 " (bad input %" PRIu64
		       "), segments freed %" PRIu64 "\n", attached, n - attached, s.attached,
		       s.refused, s.bad_hello, s.detached + s.detached_bad, s.detached_bad,
		       s.freed);
	return 0;
}

/* What one worker writes for show fifo (heap: see cmd_session.c). */
struct fifo_list {
	struct dps_out out;
	unsigned n;
	unsigned wid;
};

static int fifo_one(const struct dps_sock_info *si, void *arg)
{
	struct fifo_list *l = arg;
	char la[24], ra[24], b[16];

	if (si->app_id == 0)
		return 0;
	if (l->n++ == 0)
		dps_out_printf(&l->out, "  %-5s %-18s %-4s %-12s %-21s %-21s %17s %17s\n", "App",
			       "Handle", "Prot", "State", "Local", "Remote", "Rx used/size",
			       "Tx used/size");
	snprintf(la, sizeof(la), "%s:%u", dps_ip4_str(si->laddr, b), si->lport);
	snprintf(ra, sizeof(ra), "%s:%u", dps_ip4_str(si->raddr, b), si->rport);
	dps_out_printf(&l->out, "  %-5u 0x%016" PRIx64 " %-4s %-12s %-21s %-21s %8u/%-8u %8u/%-8u\n",
		       si->app_id, dps_handle(l->wid, si->gen, si->sd),
		       si->type == SOCK_STREAM ? "tcp" : "udp", si->state, la, ra, si->rx_queued,
		       si->rx_cap, si->tx_queued, si->tx_cap);
	return 0;
}

static int fifo_rpc(struct dps_worker *w, void *arg)
{
	struct fifo_list *l = arg;

	l->wid = w->id;
	dps_session_walk(w, fifo_one, l);
	return 0;
}

int cmd_show_fifo(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	unsigned total = 0;

	for (unsigned i = 0; i < st->n_workers; i++) {
		struct fifo_list *l = calloc(1, sizeof(*l));
		int rc;

		if (l == NULL)
			return ctl_err(out, "out of memory");
		dps_out_init(&l->out);
		rc = dps_worker_rpc(st, i, fifo_rpc, l);
		if (rc == -ETIMEDOUT)
			return ctl_err(out, "worker %u did not answer", i);   /* l is the worker's */
		dps_out_printf(out, "worker %u: %u application session%s\n%s", i, l->n,
			       l->n == 1 ? "" : "s", dps_out_str(&l->out));
		total += l->n;
		dps_out_free(&l->out);
		free(l);
	}
	dps_out_printf(out, "total %u\n", total);
	return 0;
}
