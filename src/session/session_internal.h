/*
 * Inside the session layer: the socket record, the per-worker tables and
 * what TCP and UDP call back into. Not for services or apps (session.h).
 */
#ifndef DPS_SESSION_INTERNAL_H
#define DPS_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack.h"
#include "fifo/fifo.h"
#include "session/app.h"
#include "session/session.h"
#include "tcp/tcp.h"
#include "tcp/tcp_isn.h"

struct rte_hash;
struct dps_app;

/* Sockets per worker (a connection, a listener, a UDP socket, TIME-WAIT). */
#define DPS_SOCKS_PER_WORKER 16384
/* FIFO sizes when the application sets none (bytes, powers of two). Linux
 * autotunes its buffers up to 6 MiB (rcv) / 4 MiB (snd); fixed FIFOs of
 * 256 KiB fill a path of 1 Gbit/s x 2 ms, enough for veth/TAP peers. */
#define DPS_SOCK_RCVBUF_DEFAULT (256u * 1024)
#define DPS_SOCK_SNDBUF_DEFAULT (256u * 1024)
#define DPS_SOCK_BUF_MIN        4096u
#define DPS_SOCK_BUF_MAX        (16u * 1024 * 1024)
/* Ephemeral ports, as Linux's ip_local_port_range. */
#define DPS_EPH_PORT_MIN 32768
#define DPS_EPH_PORT_MAX 60999

/* struct dps_sock.flags */
#define DPS_SF_BOUND      0x0001   /* holds its (proto, port) reservation */
#define DPS_SF_HASHED     0x0002   /* in the connection table */
#define DPS_SF_LISTENING  0x0004   /* in the listener table */
#define DPS_SF_APP_CLOSED 0x0008   /* the application closed it; freed by the transport */
#define DPS_SF_SHUT_RD    0x0010
#define DPS_SF_SHUT_WR    0x0020
#define DPS_SF_NOTIFY     0x0040   /* on the notify list */
#define DPS_SF_OUTPUT     0x0080   /* on the output list */
#define DPS_SF_ACCEPTQ    0x0100   /* a child on its listener's accept queue */
#define DPS_SF_REUSEADDR  0x0200
#define DPS_SF_KEEPALIVE  0x0400
#define DPS_SF_NODELAY    0x0800
#define DPS_SF_LINGER     0x1000
#define DPS_SF_CONNECTED  0x2000   /* UDP: connect() set the peer */
#define DPS_SF_CUT        0x4000   /* TCP joined FIFO to FIFO to a local peer: no
				      packets, no TCP state (session/app_worker.c) */

/* Connection / listener lookup key (zeroed padding: it is hashed). */
struct dps_conn_key {
	uint32_t laddr, raddr;     /* network order */
	uint16_t lport, rport;     /* network order */
	uint8_t proto;
	uint8_t pad[3];
};

struct dps_sock {
	uint8_t used;
	uint8_t type;              /* SOCK_STREAM / SOCK_DGRAM */
	uint8_t proto;             /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t flags;            /* DPS_SF_* */
	int32_t sd;
	uint32_t laddr, raddr;     /* host order; laddr 0 = any */
	uint32_t bind_addr;        /* address of the listener-table entry (bind()) */
	uint16_t lport, rport;     /* host order */
	int so_error;              /* pending error (positive errno), SO_ERROR */
	struct dps_fifo *rx, *tx;  /* allocated when the socket needs them */
	uint32_t rcvbuf, sndbuf;   /* FIFO capacities (bytes) */
	dps_sock_cb cb;
	void *cb_arg;
	/* accept queue (listener) / membership (child) */
	int32_t parent;            /* child: its listener's sd, -1 */
	int32_t aq_head, aq_tail;  /* listener: established children not accepted */
	int32_t aq_next;
	uint32_t aq_len;           /* children on the accept queue */
	uint32_t syn_len;          /* children in SYN-RECEIVED */
	uint32_t backlog;
	/* list links */
	int32_t notify_next;
	int32_t output_next;
	int32_t free_next;
	/* options (SO_LINGER, TCP_*) */
	int linger_s;
	uint32_t user_timeout_ms;  /* TCP_USER_TIMEOUT, 0 = retry count rules */
	uint32_t keepidle_s, keepintvl_s, keepcnt;
	uint16_t maxseg;           /* TCP_MAXSEG set by the app, 0 = from the route */
	const char *cc_name;       /* TCP_CONGESTION, NULL = default */
	/* counters */
	uint64_t rx_bytes, tx_bytes;
	/* owner: NULL for the daemon's own (built-in services), else the
	 * attached application whose segment holds the FIFOs (session/app.c) */
	struct dps_app *app;
	uint32_t gen;              /* generation: stale application handles */
};

struct dps_session_worker {
	struct dps_worker *w;
	uint32_t max_socks;
	struct dps_sock *socks;
	struct tcp_cb *tcbs;       /* tcbs[sd] is the TCP state of socket sd */
	int32_t free_head;
	uint32_t n_open;
	struct rte_hash *conns;    /* dps_conn_key -> sd: connected TCP/UDP */
	struct rte_hash *listeners;/* key with raddr/rport 0 -> sd: listeners, bound UDP */
	int32_t notify_head, notify_tail;
	int32_t output_head, output_tail;
	uint16_t eph_next;         /* next ephemeral port to try */
	/* (proto, port) reservations by bound sockets: [0] TCP, [1] UDP */
	uint16_t port_refs[2][65536];
	uint64_t tcp_stats[DPS_TCP_STAT__MAX];
	struct tcp_secret secret;  /* ISNs and SYN cookies */
	uint64_t chack_second;     /* challenge-ACK rate limit: current second */
	uint32_t chack_count;      /* challenge ACKs sent in it */
	uint8_t scratch[65536];    /* linearising chained segments; a datagram of an app */
	/* attached applications this worker serves (session/app_worker.c),
	 * changed only by RPCs run on the worker */
	struct dps_app *apps[DPS_APP_MAX];
	uint32_t n_apps;
};

static inline struct dps_session_worker *dps_sess(struct dps_worker *w)
{
	return w->sess;
}

static inline struct dps_sock *dps_sock_get(struct dps_session_worker *sw, int sd)
{
	if (sd < 0 || (uint32_t)sd >= sw->max_socks || !sw->socks[sd].used)
		return NULL;
	return &sw->socks[sd];
}

/* ---- for the transports ---- */
/** A new socket record (child of a listener, ...): NULL if the table is full. */
struct dps_sock *dps_sock_alloc(struct dps_session_worker *sw, int type);
/** Release the record, its FIFOs, its table entries and port. */
void dps_sock_free(struct dps_session_worker *sw, struct dps_sock *s);
/**
 * Allocate the FIFOs at the socket's rcvbuf/sndbuf (tx only for TCP; an
 * application's UDP socket gets a tx FIFO too). From the heap, or from
 * the owning application's segment. -ENOMEM.
 */
int dps_sock_fifos(struct dps_sock *s);
/** Give the FIFOs back (heap or application segment). */
void dps_sock_fifos_release(struct dps_sock *s);
/** Insert in the connection table (4-tuple of s). -EADDRINUSE if taken. */
int dps_sock_hash(struct dps_session_worker *sw, struct dps_sock *s);
void dps_sock_unhash(struct dps_session_worker *sw, struct dps_sock *s);
/** Connection lookup (network order key fields); -1 if none. */
int dps_conn_lookup(struct dps_session_worker *sw, uint8_t proto, uint32_t laddr,
		    uint16_t lport, uint32_t raddr, uint16_t rport);
/** Listener / bound-UDP lookup: exact address first, then any. -1 if none. */
int dps_listener_lookup(struct dps_session_worker *sw, uint8_t proto, uint32_t laddr,
			uint16_t lport);
/** Readiness changed: run the callback at the end of the pass. */
void dps_sock_notify(struct dps_session_worker *sw, struct dps_sock *s);
/** Ask for transport output at the end of the pass (batches app writes). */
void dps_sock_want_output(struct dps_session_worker *sw, struct dps_sock *s);
/** Listener side: a child became established; queue it for accept(). */
void dps_sock_accept_enqueue(struct dps_session_worker *sw, struct dps_sock *child);
/** Is ip (host order) one of the stack's interface addresses? */
bool dps_sock_addr_local(struct dps_stack *st, uint32_t ip);
/** Source address for a destination: the egress interface's first address, 0 if no route. */
uint32_t dps_sock_src_addr(struct dps_stack *st, uint32_t dst);

#endif
