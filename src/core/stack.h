/*
 * A stack instance: its interfaces, mempool, FIB, neighbours, workers and
 * counters. All state lives here, never in globals, so that one process can
 * hold several instances (the simulated-link tests join two of them).
 *
 * Threads: the control plane (main lcore in dpstackd; the caller in tests)
 * owns every table and is the only writer. Workers read the tables without
 * locks and report quiescent states to st->rcu once per loop; the control
 * plane frees nothing a worker may still see before rte_rcu_qsbr_synchronize.
 * Workers hand packets the control plane must see (ARP, packets waiting for
 * resolution) through st->punt; the control plane hands packets to send to
 * a worker through w->inject.
 */
#ifndef DPS_CORE_STACK_H
#define DPS_CORE_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "core/errors.h"
#include "core/timer.h"
#include "tcp/tcp_params.h"

#define DPS_MAX_IFACES     32
#define DPS_MAX_WORKERS    8
#define DPS_IF_MAX_ADDRS   8
#define DPS_IFNAME_MAX     64
#define DPS_BURST          32
#define DPS_TXBUF          64
#define DPS_PORT_NONE      UINT16_MAX
#define DPS_TCP_STATS_MAX  64   /* room for the counters of tcp_stats.def */

struct dps_stack;
struct dps_iface;
struct dps_fib;
struct dps_neigh_table;
struct dps_capture;
struct rte_ring;
struct rte_rcu_qsbr;
struct ip4_frag_tbl;
struct dps_session_worker;

enum dps_poll_mode {
	DPS_POLL_BUSY = 0,   /* never sleep: lowest latency, burns the core */
	DPS_POLL_ADAPTIVE,   /* busy under load, back off to sleeping when idle */
};

/** Transmit a burst on one queue of an interface; returns how many were taken. */
typedef uint16_t (*dps_tx_fn)(struct dps_iface *ifp, uint16_t queue,
			      struct rte_mbuf **pkts, uint16_t n);
/** Receive up to n frames from one queue of an interface. */
typedef uint16_t (*dps_rx_fn)(struct dps_iface *ifp, uint16_t queue,
			      struct rte_mbuf **pkts, uint16_t n);

struct dps_if_addr {
	uint32_t ip;    /* host byte order */
	uint8_t plen;
};

struct dps_iface {
	bool used;
	uint16_t ifindex;              /* index in stack->ifaces */
	uint16_t port_id;              /* DPDK port, or DPS_PORT_NONE */
	char name[DPS_IFNAME_MAX];
	struct rte_ether_addr mac;
	uint16_t mtu;                  /* IP MTU */
	volatile uint8_t admin_up;     /* written by control, read by workers */
	uint8_t naddr;
	struct dps_if_addr addr[DPS_IF_MAX_ADDRS];
	uint64_t tx_offload;           /* RTE_ETH_TX_OFFLOAD_* in use */
	uint64_t rx_offload;           /* RTE_ETH_RX_OFFLOAD_* in use */
	bool rx_intr;                  /* rx interrupts usable for sleeping */
	uint16_t nb_queues;
	dps_rx_fn rx;
	dps_tx_fn tx;
	void *io_ctx;                  /* for rx/tx of non-ethdev interfaces */
	char driver[32];
};

struct dps_if_stats {
	uint64_t rx_pkts, rx_bytes, rx_drops;
	uint64_t tx_pkts, tx_bytes, tx_drops;
};

/* What the control plane or a worker wants done with an mbuf it passes on. */
enum dps_action {
	DPS_ACT_NONE = 0,
	DPS_ACT_PUNT_ARP,       /* worker -> control: ARP packet, L2 header still on */
	DPS_ACT_PUNT_RESOLVE,   /* worker -> control: IPv4 packet waiting for nh_ip on ifindex */
	DPS_ACT_TX_L2,          /* control -> worker: complete frame, send on ifindex */
	DPS_ACT_IP_OUTPUT,      /* control -> worker: IPv4 packet (no L2), route and send */
	DPS_ACT_ICMP_UNREACH,   /* control -> worker: next hop failed; send host unreachable, drop */
};

/* dps_mbuf_priv.flags */
#define DPS_PF_BCAST      0x01   /* received as a broadcast */
#define DPS_PF_REINJECT   0x06   /* 2-bit count of control-plane round trips */
#define DPS_PF_REINJECT1  0x02

/* Kept in the mbuf private area (mempool priv_size). */
struct dps_mbuf_priv {
	uint32_t nh_ip;     /* host order */
	uint16_t ifindex;
	uint8_t action;
	uint8_t flags;
};

static inline struct dps_mbuf_priv *dps_priv(struct rte_mbuf *m)
{
	return (struct dps_mbuf_priv *)rte_mbuf_to_priv(m);
}

struct dps_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DPS_TXBUF];
};

struct dps_poll_stats {
	uint64_t loops, busy_loops, sleeps, sleep_ns, intr_wakeups;
};

/* Per-worker state: one cache-aligned block, touched by its lcore only. */
struct dps_worker {
	struct dps_stack *st;
	unsigned id;               /* 0..n_workers-1, also the queue index */
	unsigned lcore;
	uint64_t now;              /* ns, set at the top of each loop */
	struct dps_wheel wheel;    /* this worker's timers (1 ms tick), run every pass */
	struct rte_ring *inject;   /* control -> this worker (SP/SC) */
	struct rte_ring *rpc;      /* control -> this worker: struct dps_rpc * (MP/SC) */
	volatile uint8_t running;  /* its lcore runs dps_worker_main() */
	struct dps_session_worker *sess;  /* sockets owned by this worker */
	struct ip4_frag_tbl *frag;  /* IPv4 reassembly (src/net/ip4_frag.c) */
	/* ICMP error token bucket (Linux: icmp_msgs_per_sec / burst) */
	uint64_t icmp_tokens_ns;
	uint64_t icmp_last_ns;
	uint16_t ip_id;            /* IPv4 identification of packets we originate */
	/* adaptive polling */
	unsigned idle_loops;
	uint64_t sleep_us;
	int epfd;                  /* rx interrupt epoll set, -1 if unused */
	int wake_fd;               /* eventfd the control plane writes to */
	volatile uint8_t sleeping;
	struct dps_poll_stats poll;
	/* counters, summed by the control plane when read */
	uint64_t err[DPS_ERR__MAX];
	struct dps_if_stats ifs[DPS_MAX_IFACES];
	struct dps_txbuf txb[DPS_MAX_IFACES];
} __rte_cache_aligned;

struct dps_params {
	enum dps_poll_mode poll_mode;
	uint32_t idle_loops_before_sleep;   /* empty polls before the first sleep */
	uint32_t sleep_max_us;              /* longest single sleep when idle */
	uint32_t arp_reachable_ms;          /* a learned entry is fresh this long */
	uint32_t arp_retrans_ms;            /* between ARP requests while resolving */
	uint32_t arp_max_probes;            /* requests before giving up */
	uint32_t arp_queue_len;             /* packets held per unresolved neighbour */
	uint32_t icmp_ratelimit_pps;        /* ICMP errors per second per worker */
	uint32_t icmp_ratelimit_burst;
	uint8_t default_ttl;
	uint32_t frag_timeout_ms;
	struct dps_tcp_params tcp;
};

struct dps_stack_conf {
	const char *name;          /* unique per process; names DPDK objects */
	unsigned n_workers;        /* 1..DPS_MAX_WORKERS */
	unsigned n_mbufs;          /* 0: default */
	int socket_id;
	bool virtual_clock;        /* tests/simulation: time only moves when told */
};

struct dps_stack {
	char name[32];
	int socket_id;
	struct dps_params params;
	bool virtual_clock;
	uint64_t vclock_ns;
	struct rte_mempool *pool;
	struct rte_mempool *ipool;   /* indirect mbufs for IPv4 fragmentation */
	uint16_t n_ifaces;         /* highest used ifindex + 1 */
	struct dps_iface ifaces[DPS_MAX_IFACES];
	unsigned n_workers;
	struct dps_worker *workers[DPS_MAX_WORKERS];
	struct rte_ring *punt;     /* workers -> control (MP/SC) */
	struct rte_rcu_qsbr *rcu;
	struct dps_fib *fib;
	struct dps_neigh_table *neigh;
	struct dps_capture *cap;
	void *services;            /* built-in services (src/app), control plane only */
	volatile int capture_if;   /* DPS_CAPTURE_OFF, _ALL or an ifindex */
	/* counters the control plane itself bumps */
	uint64_t ctl_err[DPS_ERR__MAX];
	/* "clear counters" subtracts these snapshots instead of racing workers */
	uint64_t err_base[DPS_ERR__MAX];
	struct dps_if_stats if_base[DPS_MAX_IFACES];
	uint64_t tcp_base[DPS_TCP_STATS_MAX];   /* TCP counters (tcp_stats.def) */
	volatile bool quit;
};

/** Default parameters (Linux-like where Linux has a default). */
void dps_params_default(struct dps_params *p);

/**
 * Create a stack instance: mempool, rings, RCU, FIB and neighbour table.
 * EAL must be initialised. Returns NULL and sets rte_errno on failure.
 */
struct dps_stack *dps_stack_create(const struct dps_stack_conf *conf);
/** Free everything the stack owns. Workers must be stopped. */
void dps_stack_destroy(struct dps_stack *st);

/**
 * Add an interface (admin down, no address) with its receive and transmit
 * functions. Returns the ifindex or -ENOSPC / -EEXIST (name taken) / -EINVAL.
 */
int dps_iface_add(struct dps_stack *st, const char *name,
		  const struct rte_ether_addr *mac, uint16_t mtu, uint16_t port_id,
		  dps_rx_fn rx, dps_tx_fn tx, void *io_ctx);
/** Find an interface by name: its ifindex or -ENOENT. */
int dps_iface_find(const struct dps_stack *st, const char *name);
static inline struct dps_iface *dps_iface_get(struct dps_stack *st, unsigned ifindex)
{
	return ifindex < DPS_MAX_IFACES && st->ifaces[ifindex].used ? &st->ifaces[ifindex] : NULL;
}

/** The stack's current time in ns (TSC, or the virtual clock). */
uint64_t dps_stack_now(const struct dps_stack *st);

/** Sum of a drop counter over workers and control, minus the last clear. */
uint64_t dps_err_get(const struct dps_stack *st, enum dps_err e);
/** Interface counters summed over workers, minus the last clear. */
void dps_if_stats_get(const struct dps_stack *st, unsigned ifindex, struct dps_if_stats *out);
/** "clear counters": snapshot current values as the new zero. */
void dps_counters_clear(struct dps_stack *st);

/* Drop a packet, counting the reason on the worker. */
static inline void dps_drop(struct dps_worker *w, struct rte_mbuf *m, enum dps_err e)
{
	w->err[e]++;
	rte_pktmbuf_free(m);
}

/* Drop counted by the control plane. */
static inline void dps_ctl_drop(struct dps_stack *st, struct rte_mbuf *m, enum dps_err e)
{
	st->ctl_err[e]++;
	rte_pktmbuf_free(m);
}

#endif
