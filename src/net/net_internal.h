/* Shared by the files of src/net only. */
#ifndef DPS_NET_INTERNAL_H
#define DPS_NET_INTERNAL_H

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_lpm.h>

#include "core/stack.h"
#include "core/worker.h"
#include "net/net.h"

#define DPS_NH_MAX        4096
#define DPS_ROUTES_MAX    65536
#define DPS_ARPQ_MAX      64
#define NH_NONE           UINT32_MAX

/* IPv4 reassembly, per worker (ip4_frag.c) */
#define IP4_FRAG_MAX_DGRAMS    1024   /* datagrams in reassembly at once */
#define IP4_FRAG_MAX_HELD      4096   /* fragments held, and at most a quarter of
					 * the mbuf pool shared out between workers */
#define IP4_FRAG_MAX_PER_DGRAM 256    /* 65535 bytes at any MTU >= 276 */
/* Fragments one datagram may be cut into on output: 65535 bytes with a
 * 20-byte header at the smallest MTU (68, RFC 791): 48 bytes each. */
#define IP4_FRAG_OUT_MAX       ((UINT16_MAX - 20 + 47) / 48)

#define IP4_BCAST         0xffffffffu
#define IP4_IS_MCAST(a)   (((a) & 0xf0000000u) == 0xe0000000u)
#define IP4_IS_LOOP(a)    (((a) & 0xff000000u) == 0x7f000000u)
#define IP4_MASK(plen)    ((plen) == 0 ? 0u : 0xffffffffu << (32 - (plen)))

/* ICMP types and codes (RFC 792) */
#define ICMP_ECHO_REPLY        0
#define ICMP_DEST_UNREACH      3
#define ICMP_SOURCE_QUENCH     4
#define ICMP_REDIRECT          5
#define ICMP_ECHO              8
#define ICMP_TIME_EXCEEDED     11
#define ICMP_PARAM_PROBLEM     12
#define ICMP_UNREACH_NET       0
#define ICMP_UNREACH_HOST      1
#define ICMP_UNREACH_PROTO     2
#define ICMP_UNREACH_PORT      3
#define ICMP_UNREACH_NEEDFRAG  4

enum nh_type {
	NH_FREE = 0,
	NH_LOCAL,        /* one of our addresses */
	NH_BCAST,        /* subnet broadcast address */
	NH_CONNECTED,    /* destination is on the link: resolve it */
	NH_NEIGH,        /* a neighbour (host or gateway) */
};

enum nh_state {
	NS_INCOMPLETE = 0,   /* resolving, packets held in the control plane */
	NS_REACHABLE,        /* confirmed within arp_reachable_ms */
	NS_STALE,            /* not confirmed lately, still used */
	NS_PROBE,            /* used while stale: unicast probes out */
	NS_FAILED,           /* did not answer */
};

static inline bool nh_usable(uint8_t s)
{
	return s == NS_REACHABLE || s == NS_STALE || s == NS_PROBE;
}

struct dps_nexthop {
	/* read by workers */
	uint8_t type;
	uint8_t state;              /* NH_NEIGH: store-release after mac */
	uint16_t ifindex;
	uint32_t ip;                /* host order: our address or the neighbour's */
	union {
		struct rte_ether_addr ea;
		uint64_t u64;       /* written and read as one word */
	} mac __rte_aligned(8);
	uint8_t used;               /* set by workers when they send through it */
	/* control plane only */
	uint32_t refcnt;            /* routes pointing here */
	bool host_route;            /* the /32 of a neighbour is installed */
	uint32_t probes;
	uint64_t confirmed_ns;
	uint64_t next_ns;           /* next probe / state check */
	uint16_t nq;
	struct rte_mbuf *q[DPS_ARPQ_MAX];
};

struct dps_route {
	uint32_t prefix;            /* host order */
	uint8_t plen;
	uint8_t type;               /* enum dps_route_type */
	uint32_t nh;
};

struct dps_fib {
	struct rte_lpm *lpm;
	uint32_t default_nh;        /* 0.0.0.0/0: rte_lpm has no depth 0 */
	struct dps_nexthop *nh;     /* DPS_NH_MAX */
	struct dps_route *routes;   /* control plane shadow, unsorted */
	uint32_t nroutes, routes_cap;
	struct rte_hash *neigh;     /* (ifindex, ip) -> nh index */
	uint64_t next_timer_ns;
};

/* ---- fib.c (control plane) ---- */
int fib_create(struct dps_stack *st);
void fib_destroy(struct dps_stack *st);
uint32_t fib_nh_alloc(struct dps_stack *st, enum nh_type type, uint16_t ifindex, uint32_t ip);
/** Drop a reference; frees the next hop (after RCU) when none is left. */
void fib_nh_put(struct dps_stack *st, uint32_t idx);
struct dps_route *fib_route_find(struct dps_stack *st, uint32_t prefix, uint8_t plen);
/** Install prefix/plen -> nh (takes a reference). */
int fib_route_add(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint8_t type, uint32_t nh);
/** Remove a route and drop its next-hop reference. */
void fib_route_remove(struct dps_stack *st, struct dps_route *r);
/** The interface and address whose connected network holds ip, or -1. */
int fib_connected_if(struct dps_stack *st, uint32_t ip, int ifindex);

static inline struct dps_nexthop *fib_nh(struct dps_stack *st, uint32_t idx)
{
	return &st->fib->nh[idx];
}

/* ---- neigh.c (control plane) ---- */
uint32_t neigh_find(struct dps_stack *st, uint16_t ifindex, uint32_t ip);
/** Find or create (incomplete) the neighbour entry. NH_NONE when full. */
uint32_t neigh_get(struct dps_stack *st, uint16_t ifindex, uint32_t ip);
/** A sender's MAC heard: update (and create if `create`). */
void neigh_learn(struct dps_stack *st, uint16_t ifindex, uint32_t ip,
		 const struct rte_ether_addr *mac, bool create);
/** Forget every neighbour of an interface in a network. */
void neigh_flush(struct dps_stack *st, uint16_t ifindex, uint32_t net, uint8_t plen);
void neigh_table_free(struct dps_stack *st);

/* ---- arp.c ---- */
void arp_input(struct dps_worker *w, struct dps_iface *ifp, struct rte_mbuf *m);
/** Control plane: send an ARP request (broadcast, or unicast to dmac). */
void arp_send_request(struct dps_stack *st, uint16_t ifindex, uint32_t sip, uint32_t tip,
		      const struct rte_ether_addr *dmac);
void arp_send_gratuitous(struct dps_stack *st, uint16_t ifindex, uint32_t ip);
/** First address of ifindex on the network of ip, else its first address, else 0. */
uint32_t if_src_addr(struct dps_stack *st, uint16_t ifindex, uint32_t ip);

/* ---- ip4 (worker) ---- */
void ip4_input(struct dps_worker *w, struct dps_iface *ifp, struct rte_mbuf **pkts, uint16_t n);
void ip4_local(struct dps_worker *w, struct rte_mbuf *m);
/** Send a routed packet through next hop nh; fwd: forwarded (ICMP on DF/too big). */
void ip4_xmit(struct dps_worker *w, struct rte_mbuf *m, uint32_t nh_idx, uint32_t dst, bool fwd);
/**
 * Reassemble: m is a fragment (data at its IPv4 header, l3_len set, length
 * trimmed to total_length). Returns the whole datagram as an mbuf chain
 * (first fragment's header, total length and checksum fixed, not a
 * fragment) or NULL when m is held or dropped (counted).
 */
struct rte_mbuf *ip4_reassemble(struct dps_worker *w, struct rte_mbuf *m);
/** How many fragments the worker's reassembly table may hold at once. */
uint32_t ip4_frag_held_max(const struct dps_worker *w);
/** Fragment m (data at IPv4 header) to mtu into out[]; consumes m. Returns
 * the number of fragments, 0 on failure (counted ip4_frag_failed). */
int ip4_fragment(struct dps_worker *w, struct rte_mbuf *m, uint16_t mtu,
		 struct rte_mbuf **out, uint16_t nout);
void ip4_set_cksum(struct dps_iface *ifp, struct rte_mbuf *m);
/** Source address for packets we originate to dst (0: no route) and the
 * egress MTU (*mtu, may be NULL; 65535 for a local destination). */
uint32_t ip4_src_for(struct dps_stack *st, uint32_t dst, uint16_t *mtu);
/** The interface packets to dst leave by, NULL for none or ourselves. */
struct dps_iface *ip4_out_if(struct dps_stack *st, uint32_t dst);
static inline uint32_t ip4_lookup(struct dps_stack *st, uint32_t ip)
{
	uint32_t nh;

	if (rte_lpm_lookup(st->fib->lpm, ip, &nh) == 0)
		return nh;
	return __atomic_load_n(&st->fib->default_nh, __ATOMIC_ACQUIRE);
}

/* ---- icmp.c (worker) ---- */
void icmp_input(struct dps_worker *w, struct rte_mbuf *m);

#endif
