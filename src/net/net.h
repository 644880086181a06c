/*
 * Ethernet, ARP, IPv4 (with fragments), ICMP, the FIB and the neighbour
 * table. Datapath entry points take bursts and consume every mbuf; control
 * functions run on the control plane only and return 0 or -errno, writing a
 * one-line reason into err on failure.
 */
#ifndef DPS_NET_NET_H
#define DPS_NET_NET_H

#include <stddef.h>
#include <stdint.h>

#include "core/stack.h"

/* ---- lifecycle (control plane) ---- */
/** Create the FIB and neighbour table of a stack. */
int dps_net_init(struct dps_stack *st);
void dps_net_fini(struct dps_stack *st);
/** Per-worker state (reassembly table). */
int dps_net_worker_init(struct dps_worker *w);
void dps_net_worker_fini(struct dps_worker *w);

/* ---- datapath (worker) ---- */
/** Frames received on ifp. */
void dps_eth_input(struct dps_worker *w, struct dps_iface *ifp,
		   struct rte_mbuf **pkts, uint16_t n);
/**
 * Locally originated IPv4 packets: data_off at the IPv4 header, header
 * complete but for the checksum. Routed, resolved and queued for transmit.
 */
void dps_ip4_output(struct dps_worker *w, struct rte_mbuf **pkts, uint16_t n);
/**
 * Send an ICMP error about `orig` (data_off at its IPv4 header) back to its
 * source: RFC 1812 4.3.2 rules (not about ICMP errors, non-first fragments,
 * broadcasts), rate limited. orig is not consumed.
 */
void dps_icmp_error(struct dps_worker *w, struct rte_mbuf *orig, uint8_t type,
		    uint8_t code, uint32_t info);
/**
 * A packet the control plane held for a next hop that never answered ARP:
 * ICMP host unreachable to its sender (RFC 1812 4.3.3.1), then drop.
 */
void dps_neigh_failed(struct dps_worker *w, struct rte_mbuf *m);
/**
 * Grow packet m by up to want bytes at its end, in its last segment, or in
 * a new segment (from mp) chained on when that one is full. *data points
 * at the bytes added, which the caller fills. Returns how many were added
 * (at least 1 if want > 0), 0 if no mbuf was left.
 */
uint32_t dps_mbuf_extend(struct rte_mempool *mp, struct rte_mbuf *m, uint32_t want, char **data);
/** Periodic worker work: expire reassembly state. */
void dps_net_worker_tick(struct dps_worker *w);

/* ---- control plane input ---- */
/** An ARP packet punted by a worker (L2 header present). Consumes m. */
void dps_arp_ctl_input(struct dps_stack *st, struct rte_mbuf *m);
/** A packet waiting for nh_ip on ifindex to resolve. Consumes m. */
void dps_neigh_ctl_resolve(struct dps_stack *st, struct rte_mbuf *m);
/** Neighbour ageing and ARP retransmission. */
void dps_neigh_timers(struct dps_stack *st, uint64_t now);

/* ---- configuration (control plane) ---- */
int dps_if_addr_add(struct dps_stack *st, unsigned ifindex, uint32_t ip, uint8_t plen,
		    char *err, size_t errlen);
int dps_if_addr_del(struct dps_stack *st, unsigned ifindex, uint32_t ip, uint8_t plen,
		    char *err, size_t errlen);
int dps_if_set_admin(struct dps_stack *st, unsigned ifindex, bool up,
		     char *err, size_t errlen);
int dps_if_set_mtu(struct dps_stack *st, unsigned ifindex, uint16_t mtu,
		   char *err, size_t errlen);
/**
 * Static route. ifindex < 0: the interface is the one whose connected
 * network holds gw. Errors: -EINVAL (bad prefix/gateway), -ENETUNREACH
 * (gateway not on a connected network), -EEXIST, -ENOSPC.
 */
int dps_route_add(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint32_t gw,
		  int ifindex, char *err, size_t errlen);
/** Delete a static route (gw 0 / ifindex < 0: any). -ENOENT if none. */
int dps_route_del(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint32_t gw,
		  int ifindex, char *err, size_t errlen);

enum dps_route_type {
	DPS_RT_LOCAL,       /* one of our addresses */
	DPS_RT_BCAST,       /* subnet broadcast of a connected network */
	DPS_RT_CONNECTED,   /* a network on an interface */
	DPS_RT_NEIGH,       /* host route for a resolved neighbour */
	DPS_RT_STATIC,      /* configured: via a gateway */
};

struct dps_route_info {
	uint32_t prefix;    /* host order */
	uint8_t plen;
	enum dps_route_type type;
	uint32_t gw;        /* DPS_RT_STATIC, DPS_RT_NEIGH */
	uint16_t ifindex;
	bool resolved;      /* next hop MAC known */
};
const char *dps_route_type_str(enum dps_route_type t);
/** Call cb for every route, sorted by prefix then length. Stops if cb returns non-zero. */
void dps_route_walk(struct dps_stack *st, int (*cb)(const struct dps_route_info *, void *), void *arg);

struct dps_neigh_info {
	uint32_t ip;        /* host order */
	uint16_t ifindex;
	struct rte_ether_addr mac;
	const char *state;  /* "incomplete", "reachable", "stale", "probe", "failed" */
	uint64_t age_ms;    /* since last confirmed */
	uint32_t queued;    /* packets waiting */
	uint32_t probes;
};
/** Call cb for every neighbour (ARP entry). Stops if cb returns non-zero. */
void dps_neigh_walk(struct dps_stack *st, int (*cb)(const struct dps_neigh_info *, void *), void *arg);
/** Number of neighbour entries. */
unsigned dps_neigh_count(struct dps_stack *st);

/** Dotted quad of a host-order address into buf (>= 16 bytes). */
const char *dps_ip4_str(uint32_t ip, char *buf);

#endif
