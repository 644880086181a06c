/* The control plane's share of packet work: punted packets, timers, capture. */
#include <errno.h>

#include <rte_ring.h>

#include "core/worker.h"
#include "net/net.h"
#include "port/capture.h"

int dps_ctl_inject(struct dps_stack *st, struct rte_mbuf *m, enum dps_action a,
		   uint16_t ifindex)
{
	struct dps_worker *w = st->workers[0];
	struct dps_mbuf_priv *p = dps_priv(m);

	p->action = a;
	p->ifindex = ifindex;
	if (rte_ring_sp_enqueue(w->inject, m) != 0) {
		dps_ctl_drop(st, m, DPS_ERR_PUNT_FULL);
		return -ENOBUFS;
	}
	dps_worker_wake(w);
	return 0;
}

unsigned dps_control_poll(struct dps_stack *st, uint64_t now)
{
	struct rte_mbuf *pkts[DPS_BURST];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst(st->punt, (void **)pkts, DPS_BURST, NULL);
	for (i = 0; i < n; i++) {
		switch (dps_priv(pkts[i])->action) {
		case DPS_ACT_PUNT_ARP:
			dps_arp_ctl_input(st, pkts[i]);
			break;
		case DPS_ACT_PUNT_RESOLVE:
			dps_neigh_ctl_resolve(st, pkts[i]);
			break;
		default:
			rte_pktmbuf_free(pkts[i]);
			break;
		}
	}
	dps_neigh_timers(st, now);
	return n + dps_capture_poll(st);
}
