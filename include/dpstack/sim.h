/*
 * dpstack simulated network: a dpstack instance with no DPDK port, driven
 * by a virtual clock. A caller (a test, a conformance harness) injects
 * Ethernet frames, collects what the stack transmits, moves time, and -
 * once the transport is in - uses the socket API of the instance.
 *
 * Everything is deterministic: the same calls in the same order give the
 * same frames at the same virtual times.
 *
 * Link with build/libdpstack_sim.so. Functions return 0 or a negative
 * errno unless said otherwise; nothing here blocks or sleeps. Only libc
 * types appear here (struct sockaddr_in, struct pollfd), no DPDK ones.
 */
#ifndef DPSTACK_SIM_H
#define DPSTACK_SIM_H

#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dps_sim;

/**
 * Start the runtime once per process (DPDK EAL without hugepages or PCI).
 * Called by dps_sim_create() if needed. -EIO if the EAL cannot start.
 */
int dps_sim_global_init(void);

/**
 * A stack instance whose clock starts at start_ns. name: up to 12
 * characters, unique in the process. NULL on failure (errno set).
 */
struct dps_sim *dps_sim_create(const char *name, uint64_t start_ns);
void dps_sim_destroy(struct dps_sim *sim);

/**
 * Add a simulated Ethernet interface, up, with address "a.b.c.d/len" (may
 * be NULL) and an optional default gateway ("a.b.c.d" or NULL). mtu 0 means
 * 1500. Returns the interface index (>= 0) or -EINVAL/-ENOSPC/-EEXIST.
 */
int dps_sim_add_if(struct dps_sim *sim, const char *name, const uint8_t mac[6],
		   const char *addr, const char *gateway, uint16_t mtu);

/**
 * Hand a frame to the stack as if received on ifindex at the current time,
 * and process it (and whatever it triggers at this time). The frame is
 * copied. -E2BIG if longer than 9000 bytes, -ENOBUFS if no buffer.
 */
int dps_sim_inject(struct dps_sim *sim, int ifindex, const void *frame, size_t len);

/**
 * Take the oldest frame the stack transmitted. Returns its length (copied
 * into buf, truncated to cap), 0 if none is waiting. ifindex and ts_ns
 * (virtual transmit time) are filled when not NULL.
 */
ssize_t dps_sim_collect(struct dps_sim *sim, int *ifindex, void *buf, size_t cap,
			uint64_t *ts_ns);
/** Number of transmitted frames waiting to be collected. */
unsigned dps_sim_pending(const struct dps_sim *sim);

/** Current virtual time in ns. */
uint64_t dps_sim_now(const struct dps_sim *sim);
/**
 * Move the clock to t_ns (not backwards: -EINVAL), running every timer due
 * on the way in order, and process until idle.
 */
int dps_sim_set_time(struct dps_sim *sim, uint64_t t_ns);
/** dps_sim_set_time(sim, now + delta_ns). */
int dps_sim_advance(struct dps_sim *sim, uint64_t delta_ns);
/** The earliest time at which the stack has work to do, or UINT64_MAX. */
uint64_t dps_sim_next_deadline(const struct dps_sim *sim);

/**
 * Run one dpstackctl command on the instance ("show errors", "ip route add
 * ..."). The answer (or the one-line error) is copied into out. Returns 0,
 * or -1 when the command failed.
 */
int dps_sim_cli(struct dps_sim *sim, const char *cmd, char *out, size_t outlen);

/**
 * A counter by name, case-insensitive: a drop counter by its show-errors
 * name ("ip4_bad_checksum", "udp_no_port"), or a TCP counter as
 * "tcp_<name>" with the names of `show tcp stats` ("tcp_rto_events",
 * "tcp_fast_retransmits", ...: src/tcp/tcp_stats.def); a drop counter's
 * name is looked up first. 0 for a name that is neither;
 * dps_sim_counter_exists() tells the two apart.
 */
uint64_t dps_sim_counter(const struct dps_sim *sim, const char *name);
/** 1 if name is a counter dps_sim_counter() knows, else 0. */
int dps_sim_counter_exists(const struct dps_sim *sim, const char *name);

/**
 * Set a stack-wide TCP tunable of the instance, as `set tcp <name> <value>`
 * does in the daemon (`show tcp params` lists them), by name, with the
 * value as text:
 *   msl_ms, syn_retries, synack_retries, retries2, fin_timeout_ms,
 *   keepidle_s, keepintvl_s, keepcnt, delack_ms, syn_backlog,
 *   challenge_ack_limit      whole numbers (each within its range)
 *   syncookies               0 never, 1 when the SYN queue is full, 2 always
 *   ecn, sack, timestamps, wscale   0 or 1
 *   cc                       congestion control: "cubic" or "newreno"
 * Connections read them when they need them, so a change is seen by new
 * connections at least. -ENOENT for an unknown name, -EINVAL for a value
 * out of range. dps_sim_tcp_param_get() writes the current value as text.
 */
int dps_sim_tcp_param(struct dps_sim *sim, const char *name, const char *value);
int dps_sim_tcp_param_get(const struct dps_sim *sim, const char *name, char *out,
			  size_t outlen);

/* ---- sockets ----
 *
 * The instance's own TCP/UDP sockets, as the daemon's built-in services
 * see them, served by the instance's single worker in the caller's thread.
 * The calls follow Linux's socket calls on a non-blocking socket and return
 * what they would, negated errno values included: -EAGAIN where a blocking
 * call would wait, -EINPROGRESS from a TCP connect, -ECONNREFUSED,
 * -ECONNRESET, -ETIMEDOUT, -EPIPE, -ENOTCONN, -EBADF, -EINVAL, ...
 *
 * A socket is named by a small integer `sd` (>= 0), local to the instance.
 * Addresses are struct sockaddr_in as for Linux (sin_family AF_INET,
 * sin_addr and sin_port in network order; -EAFNOSUPPORT for another
 * family, -EINVAL if the length is short): dps_sim_sockaddr() fills one
 * from a string.
 *
 * Every call runs the stack until it is idle at the current virtual time
 * before it returns, so what a call sends is already waiting to be
 * collected (or on its simulated link), and the clock does not move.
 */

/** Fill *sa with "a.b.c.d" (NULL: INADDR_ANY) and port (host order). -EINVAL. */
int dps_sim_sockaddr(struct sockaddr_in *sa, const char *ip, uint16_t port);

/** type: SOCK_STREAM (TCP) or SOCK_DGRAM (UDP); SOCK_NONBLOCK accepted. -EMFILE, -EINVAL. */
int dps_sim_socket(struct dps_sim *sim, int type);
/** -EADDRINUSE, -EADDRNOTAVAIL, -EINVAL (already bound). */
int dps_sim_bind(struct dps_sim *sim, int sd, const struct sockaddr *addr, socklen_t len);
int dps_sim_listen(struct dps_sim *sim, int sd, int backlog);
/** A new connection's sd (-EAGAIN if none yet); addr/len as accept(2) when not NULL. */
int dps_sim_accept(struct dps_sim *sim, int sd, struct sockaddr *addr, socklen_t *len);
/** TCP: -EINPROGRESS, then poll for POLLOUT and read SO_ERROR. UDP: sets the peer. */
int dps_sim_connect(struct dps_sim *sim, int sd, const struct sockaddr *addr, socklen_t len);
/** flags: MSG_NOSIGNAL, MSG_DONTWAIT (always non-blocking). */
ssize_t dps_sim_send(struct dps_sim *sim, int sd, const void *buf, size_t len, int flags);
/** UDP: to addr (NULL: the connected peer). TCP: addr ignored. */
ssize_t dps_sim_sendto(struct dps_sim *sim, int sd, const void *buf, size_t len, int flags,
		       const struct sockaddr *addr, socklen_t alen);
/** flags: MSG_PEEK, MSG_DONTWAIT. 0 at the end of a TCP stream. */
ssize_t dps_sim_recv(struct dps_sim *sim, int sd, void *buf, size_t len, int flags);
/** As recv; the sender's address in addr/alen when not NULL. */
ssize_t dps_sim_recvfrom(struct dps_sim *sim, int sd, void *buf, size_t len, int flags,
			 struct sockaddr *addr, socklen_t *alen);
/** how: SHUT_RD, SHUT_WR, SHUT_RDWR. */
int dps_sim_shutdown(struct dps_sim *sim, int sd, int how);
/** The sd is gone at once; TCP carries on closing (FIN, TIME-WAIT) on its own. */
int dps_sim_close(struct dps_sim *sim, int sd);
/**
 * Linux levels and names: SOL_SOCKET SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE,
 * SO_LINGER, SO_REUSEADDR, SO_ERROR (get, then cleared), SO_TYPE (get);
 * IPPROTO_TCP TCP_NODELAY, TCP_MAXSEG, TCP_USER_TIMEOUT, TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT, TCP_CONGESTION, TCP_QUICKACK. -ENOPROTOOPT
 * for others.
 */
int dps_sim_setsockopt(struct dps_sim *sim, int sd, int level, int opt, const void *val,
		       socklen_t len);
int dps_sim_getsockopt(struct dps_sim *sim, int sd, int level, int opt, void *val,
		       socklen_t *len);
int dps_sim_getsockname(struct dps_sim *sim, int sd, struct sockaddr *addr, socklen_t *len);
/** -ENOTCONN if the socket has no peer. */
int dps_sim_getpeername(struct dps_sim *sim, int sd, struct sockaddr *addr, socklen_t *len);

/**
 * poll(2) with a zero timeout over sockets of the instance: fds[i].fd is
 * an sd, fds[i].events what to wait for; revents is filled with those of
 * POLLIN, POLLOUT, POLLRDHUP that hold, plus POLLERR, POLLHUP and POLLNVAL
 * (sd not open) always. A negative fd is skipped (revents 0). Returns the
 * number of entries with revents not 0. Waiting is the caller's: move the
 * clock (dps_sim_advance, dps_simnet_run_until) and poll again.
 */
int dps_sim_poll(struct dps_sim *sim, struct pollfd *fds, nfds_t nfds);

/** Sockets the instance holds: open ones, and those TCP still closes (TIME-WAIT ...). */
unsigned dps_sim_sock_count(struct dps_sim *sim);

/** One socket as `show sessions` sees it. */
struct dps_sim_sock_info {
	int sd;
	int type;                  /* SOCK_STREAM / SOCK_DGRAM */
	char state[16];            /* "LISTEN", "ESTABLISHED", "TIME_WAIT" ...; "UDP" */
	struct sockaddr_in local, peer;
	uint32_t rx_queued, tx_queued;  /* bytes waiting in the socket's buffers */
	uint64_t srtt_us, rto_ms;
	uint32_t cwnd, ssthresh, snd_wnd, rcv_wnd, mss;
	uint64_t retrans, rx_bytes, tx_bytes;
	char cc[16];               /* congestion control, "" for UDP */
};
/** Socket sd (open, or closed by the application and still held by TCP). -EBADF. */
int dps_sim_sock_info(struct dps_sim *sim, int sd, struct dps_sim_sock_info *out);
/**
 * Every socket the instance holds, in sd order, at most max of them into
 * out (may be NULL with max 0). Returns how many there are.
 */
unsigned dps_sim_sock_list(struct dps_sim *sim, struct dps_sim_sock_info *out, unsigned max);

/* ---- simulated links between instances ---- */

struct dps_sim_link_params {
	double loss;          /* probability a frame is lost */
	double dup;           /* probability a frame is delivered twice */
	double reorder;       /* probability a frame is held back by reorder_ns */
	double corrupt;       /* probability one byte of a frame is flipped */
	uint64_t delay_ns;    /* one-way propagation delay */
	uint64_t jitter_ns;   /* uniform extra delay 0..jitter_ns (may reorder) */
	uint64_t reorder_ns;  /* extra delay of a reordered frame */
	uint64_t rate_bps;    /* serialisation rate, 0 = infinite */
	uint32_t queue_frames;/* frames queued at the sender before tail drop, 0 = 1000 */
};

struct dps_simnet;

/** A set of instances joined by links, driven by one clock. seed makes the
 * random choices of every link; the same seed gives the same run. */
struct dps_simnet *dps_simnet_create(uint64_t seed);
/** Destroys the links, not the instances. */
void dps_simnet_destroy(struct dps_simnet *net);
/**
 * Join interface ifa of a and ifb of b with a link whose two directions
 * both follow p (NULL: a perfect link). Instances joined must share the
 * same clock start. -EBUSY if an interface is already linked.
 */
int dps_simnet_link(struct dps_simnet *net, struct dps_sim *a, int ifa,
		    struct dps_sim *b, int ifb, const struct dps_sim_link_params *p);
/**
 * Run every instance and link until t_ns: deliver frames in time order,
 * run timers. Returns the number of frames delivered.
 */
uint64_t dps_simnet_run_until(struct dps_simnet *net, uint64_t t_ns);

struct dps_simnet_stats {
	uint64_t sent, delivered, lost, duplicated, reordered, corrupted, queue_drops;
	uint64_t tapped;      /* frames dropped by the tap (DPS_SIMNET_DROP) */
};
void dps_simnet_stats(const struct dps_simnet *net, struct dps_simnet_stats *out);

/* What a tap decides for a frame. */
enum dps_simnet_verdict {
	DPS_SIMNET_PASS = 0,  /* on to the link (which may still lose it ...) */
	DPS_SIMNET_DROP = 1,  /* lost, counted in stats.tapped */
};

/**
 * Sees every frame an instance transmits onto a link, in transmit order,
 * before the link's random choices: from is the sender, ifindex its
 * interface, ts_ns the virtual transmit time. frame may be changed in
 * place (len stays). The tap may read counters, but must not call what
 * runs an instance (socket calls, inject, set_time, run_until).
 */
typedef enum dps_simnet_verdict (*dps_simnet_tap_fn)(void *arg, struct dps_sim *from,
						    int ifindex, uint8_t *frame, size_t len,
						    uint64_t ts_ns);
/** Install (or remove, fn NULL) the network's one tap. */
void dps_simnet_set_tap(struct dps_simnet *net, dps_simnet_tap_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif
