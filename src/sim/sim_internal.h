#ifndef DPS_SIM_INTERNAL_H
#define DPS_SIM_INTERNAL_H

#include <sys/types.h>

#include "core/stack.h"
#include "dpstack/sim.h"

#define SIM_RXQ 1024
#define SIM_TXQ 4096

struct sim_txf {
	struct rte_mbuf *m;
	uint64_t ts;
	uint64_t seq;
};

struct sim_if {
	struct dps_sim *sim;
	int ifindex;
	void *link;                 /* struct link_dir * when joined by a dps_simnet */
	unsigned rx_head, rx_n;
	struct rte_mbuf *rxq[SIM_RXQ];
	unsigned tx_head, tx_n;
	struct sim_txf txq[SIM_TXQ];
};

struct dps_sim {
	struct dps_stack *st;
	struct sim_if *ifs[DPS_MAX_IFACES];
	uint64_t tx_seq, tx_total;
	uint64_t next_tick;
};

/** Take the oldest frame of one interface (as dps_sim_collect). */
ssize_t sim_take(struct sim_if *si, void *buf, size_t cap, uint64_t *ts_ns);

#endif
