/*
 * The worker loop: run to completion over every interface's rx queue,
 * the control plane's inject ring and the transmit buffers; adaptive
 * polling when idle (DESIGN.md "Processes and threads").
 */
#ifndef DPS_CORE_WORKER_H
#define DPS_CORE_WORKER_H

#include "core/stack.h"

/** Queue a complete frame for transmit on an interface; sent at flush. */
static inline void dps_tx(struct dps_worker *w, uint16_t ifindex, struct rte_mbuf *m);
/** Send every queued frame; what a port refuses is freed and counted. */
void dps_tx_flush(struct dps_worker *w);
void dps_tx_flush_if(struct dps_worker *w, uint16_t ifindex);

/**
 * One pass: poll every interface once, drain the inject ring, flush.
 * Returns the number of packets handled. `now` is the stack time in ns.
 */
unsigned dps_worker_poll(struct dps_worker *w, uint64_t now);

/** lcore entry point of a worker (arg: struct dps_worker *). */
int dps_worker_main(void *arg);

/** Wake a worker that sleeps in adaptive mode (control plane side). */
void dps_worker_wake(struct dps_worker *w);

/**
 * Control plane -> worker 0: send a frame (DPS_ACT_TX_L2, on ifindex) or
 * route an IPv4 packet (DPS_ACT_IP_OUTPUT). Frees m and returns -ENOBUFS
 * when the ring is full.
 */
int dps_ctl_inject(struct dps_stack *st, struct rte_mbuf *m, enum dps_action a,
		   uint16_t ifindex);

/**
 * Control plane work: drain the punt ring, run neighbour timers, write
 * captured packets. Returns the number of items handled.
 */
unsigned dps_control_poll(struct dps_stack *st, uint64_t now);

/**
 * Run fn(w, arg) on worker wid and return its result: on the worker's
 * thread between passes if the worker runs (waking it, waiting up to 5 s,
 * else -ETIMEDOUT), directly when it does not (the simulator, tests). For
 * the control plane to touch what a worker owns (its sockets).
 */
typedef int (*dps_rpc_fn)(struct dps_worker *w, void *arg);
int dps_worker_rpc(struct dps_stack *st, unsigned wid, dps_rpc_fn fn, void *arg);

/** Worker -> control plane: hand over a packet with an action. */
void dps_punt(struct dps_worker *w, struct rte_mbuf *m, enum dps_action a,
	      uint16_t ifindex, uint32_t nh_ip);

static inline void dps_tx(struct dps_worker *w, uint16_t ifindex, struct rte_mbuf *m)
{
	struct dps_txbuf *b = &w->txb[ifindex];

	if (unlikely(b->n == DPS_TXBUF))
		dps_tx_flush_if(w, ifindex);
	b->pkts[b->n++] = m;
}

#endif
