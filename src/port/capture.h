/*
 * Packet capture to pcapng (rte_pcapng). Workers copy matching packets into
 * a ring; the control plane writes them to the file, so no worker makes a
 * system call. One capture at a time, on one interface or all.
 */
#ifndef DPS_PORT_CAPTURE_H
#define DPS_PORT_CAPTURE_H

#include <stddef.h>

#include "core/stack.h"

#define DPS_CAPTURE_ALL (-1)

struct dps_capture_status {
	bool active;
	int ifindex;           /* DPS_CAPTURE_ALL for every interface */
	char path[256];
	uint64_t written, max, dropped;
};

int dps_capture_init(struct dps_stack *st);
void dps_capture_fini(struct dps_stack *st);
/**
 * Start capturing rx and tx of ifindex (or DPS_CAPTURE_ALL) into path,
 * stopping by itself after max packets (0: no limit).
 * Errors: -EBUSY (a capture runs), -errno of open().
 */
int dps_capture_start(struct dps_stack *st, int ifindex, const char *path, uint64_t max,
		      char *err, size_t errlen);
/** Stop and close the file. -ENOENT if no capture runs. */
int dps_capture_stop(struct dps_stack *st, struct dps_capture_status *last);
void dps_capture_get(struct dps_stack *st, struct dps_capture_status *out);
/** Control plane: write what the workers copied. Returns packets written. */
unsigned dps_capture_poll(struct dps_stack *st);

/* Datapath: is ifindex being captured? (one load when no capture runs) */
#define DPS_CAPTURE_OFF (-2)
void dps_capture_copy(struct dps_worker *w, struct dps_iface *ifp,
		      struct rte_mbuf **pkts, uint16_t n, bool rx);
static inline void dps_capture(struct dps_worker *w, struct dps_iface *ifp,
			       struct rte_mbuf **pkts, uint16_t n, bool rx)
{
	int c = w->st->capture_if;

	if (unlikely(c != DPS_CAPTURE_OFF) && (c == DPS_CAPTURE_ALL || c == ifp->ifindex))
		dps_capture_copy(w, ifp, pkts, n, rx);
}

#endif
