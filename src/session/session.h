/*
 * The session layer inside the daemon: sockets served by the worker that
 * owns them (DESIGN.md "Processes and threads"). TCP and UDP plug in
 * underneath; the built-in services, the simulator's socket API and (issue
 * 4) the shared-memory app attach sit on top.
 *
 * Threads. Every socket belongs to one worker and every call below is made
 * on that worker's thread (a built-in service's callback, an RPC run by the
 * worker, or the simulator, which runs the worker itself). A socket
 * descriptor `sd` is an index in its worker's table.
 *
 * Calls never block. They follow Linux's socket calls and return Linux
 * errno values, negated: -EAGAIN where a blocking call would wait,
 * -EINPROGRESS from connect(), -ENOTCONN, -EPIPE, -ECONNRESET ...
 * Addresses and ports are host byte order.
 *
 * Readiness. dps_sock_poll() answers POLLIN/POLLOUT/POLLERR/POLLHUP/
 * POLLRDHUP as poll(2) would. A socket may carry a callback; the worker
 * calls it after the socket's readiness may have changed, at the end of a
 * pass (never from inside another socket call), so it may call any socket
 * function, close included.
 */
#ifndef DPS_SESSION_SESSION_H
#define DPS_SESSION_SESSION_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/stack.h"

struct dps_worker;

/* Per-socket notification: events is the dps_sock_poll() mask now. */
typedef void (*dps_sock_cb)(struct dps_worker *w, int sd, unsigned events, void *arg);

/* ---- lifecycle ---- */
/** Per-worker session state (socket table, lookup tables). */
int dps_session_worker_init(struct dps_worker *w);
void dps_session_worker_fini(struct dps_worker *w);
/**
 * End of a worker pass: send what sockets queued, run callbacks of the
 * sockets whose state changed. Returns the work done (0 when idle).
 */
unsigned dps_session_poll(struct dps_worker *w);
/** Sockets open on this worker. */
unsigned dps_session_count(const struct dps_worker *w);

/**
 * An ICMP destination-unreachable or time-exceeded message about a packet
 * we sent (inner: its IPv4 header; l4: its first 8 transport bytes);
 * info: the next-hop MTU of a fragmentation-needed message.
 */
struct rte_ipv4_hdr;
void dps_session_icmp_error(struct dps_worker *w, uint8_t type, uint8_t code, uint16_t info,
			    const struct rte_ipv4_hdr *inner, const uint8_t *l4);

/* ---- socket calls (see the header comment) ---- */
/** type SOCK_STREAM or SOCK_DGRAM (SOCK_NONBLOCK ignored: always). */
int dps_sock_socket(struct dps_worker *w, int type);
int dps_sock_bind(struct dps_worker *w, int sd, uint32_t ip, uint16_t port);
int dps_sock_listen(struct dps_worker *w, int sd, int backlog);
/** A new connection's sd; ip/port of the peer when not NULL. -EAGAIN if none. */
int dps_sock_accept(struct dps_worker *w, int sd, uint32_t *ip, uint16_t *port);
int dps_sock_connect(struct dps_worker *w, int sd, uint32_t ip, uint16_t port);
/** flags: MSG_NOSIGNAL, MSG_DONTWAIT accepted (always non-blocking). */
ssize_t dps_sock_send(struct dps_worker *w, int sd, const void *buf, size_t len, int flags);
/** UDP: to ip/port (ip 0: connected peer). TCP: ip/port ignored. */
ssize_t dps_sock_sendto(struct dps_worker *w, int sd, const void *buf, size_t len,
			int flags, uint32_t ip, uint16_t port);
/** flags: MSG_PEEK, MSG_DONTWAIT. 0 = end of stream (TCP). */
ssize_t dps_sock_recv(struct dps_worker *w, int sd, void *buf, size_t len, int flags);
/** UDP: the sender's ip/port (not NULL). A datagram longer than len is truncated. */
ssize_t dps_sock_recvfrom(struct dps_worker *w, int sd, void *buf, size_t len, int flags,
			  uint32_t *ip, uint16_t *port);
/** how: SHUT_RD, SHUT_WR, SHUT_RDWR */
int dps_sock_shutdown(struct dps_worker *w, int sd, int how);
int dps_sock_close(struct dps_worker *w, int sd);
/**
 * SOL_SOCKET: SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE, SO_LINGER, SO_REUSEADDR,
 * SO_ERROR (get), SO_TYPE (get); IPPROTO_TCP: TCP_NODELAY, TCP_MAXSEG,
 * TCP_USER_TIMEOUT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
 * TCP_CONGESTION, TCP_QUICKACK. -ENOPROTOOPT for others.
 */
int dps_sock_setsockopt(struct dps_worker *w, int sd, int level, int opt,
			const void *val, socklen_t len);
int dps_sock_getsockopt(struct dps_worker *w, int sd, int level, int opt,
			void *val, socklen_t *len);
/** Readiness mask (POLLIN ...), 0 with -EBADF semantics when sd is not open: POLLNVAL. */
unsigned dps_sock_poll(struct dps_worker *w, int sd);
/** Local (peer = false) or peer address. -ENOTCONN for a peer not known. */
int dps_sock_name(struct dps_worker *w, int sd, bool peer, uint32_t *ip, uint16_t *port);
/** Set (or clear with cb NULL) the callback. An accepted socket inherits its listener's. */
int dps_sock_set_callback(struct dps_worker *w, int sd, dps_sock_cb cb, void *arg);
/**
 * TCP, for an owner that writes the tx FIFO itself (an application's
 * shared FIFO): bytes new bytes are there; send them at the end of the
 * pass. 0, -EBADF, -EOPNOTSUPP (not TCP), -EPIPE (the connection no
 * longer sends: shut down, closed or reset).
 */
int dps_sock_tx_notify(struct dps_worker *w, int sd, uint32_t bytes);
/**
 * TCP, for an owner that reads the rx FIFO itself: it read; send a window
 * update at the end of the pass if the window opened enough (what recv()
 * does after it copies). 0, -EBADF, -EOPNOTSUPP.
 */
int dps_sock_rx_notify(struct dps_worker *w, int sd);

/* ---- inspection (on the worker; the control plane goes through dps_worker_rpc) ---- */
struct dps_sock_info {
	int sd;
	int type;                  /* SOCK_STREAM / SOCK_DGRAM */
	const char *state;         /* "LISTEN", "ESTABLISHED", ... ; "UDP" */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t rx_queued, tx_queued;  /* bytes in the FIFOs */
	uint64_t srtt_us, rto_ms;
	uint32_t cwnd, ssthresh, snd_wnd, rcv_wnd, mss;
	uint64_t retrans, rx_bytes, tx_bytes;
	uint64_t segs_in, segs_out, rto_events, fast_retransmits, dup_acks;
	const char *cc;
	/* owner: an attached application (0 / NULL: the daemon's own) */
	uint32_t app_id;
	const char *app_name;
	uint32_t gen;              /* the socket's generation (application handles) */
	uint32_t rx_cap, tx_cap;   /* FIFO capacities, 0 without a FIFO */
};
/** Call cb for each open socket of the worker; stops when cb returns non-zero. */
void dps_session_walk(struct dps_worker *w, int (*cb)(const struct dps_sock_info *, void *),
		      void *arg);

#endif
