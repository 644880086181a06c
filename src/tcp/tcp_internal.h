/*
 * The TCP connection (RFC 9293 TCB) and what the TCP files share.
 *
 * Sequence space and the FIFOs. The tx FIFO's head is the first byte not
 * yet ACKed: byte snd_una + k is at offset k while the SYN is ACKed (an
 * unACKed SYN occupies snd_una itself, so data starts at offset 0 = seq
 * iss + 1). Nothing is copied aside for retransmission: it is peeked from
 * the FIFO again (DESIGN.md "Packet path"). The rx FIFO's tail is rcv_nxt;
 * out-of-order data is stored past the tail (dps_fifo_enqueue_ooo) and its
 * ranges are the SACK blocks we send.
 *
 * Loss recovery keeps snd_nxt == snd_max (new data only goes forward);
 * retransmissions walk the holes between rxt_nxt and rxt_end, skipping
 * SACKed ranges (RFC 6675's NextSeg, rule 1), and pipe is computed from
 * the same pointers (see tcp_pipe()).
 */
#ifndef DPS_TCP_INTERNAL_H
#define DPS_TCP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/timer.h"
#include "session/session_internal.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_options.h"
#include "tcp/tcp_prr.h"
#include "tcp/tcp_rtt.h"
#include "tcp/tcp_seq.h"

struct rte_ipv4_hdr;
struct rte_tcp_hdr;

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

enum tcp_state {
	TCPS_CLOSED = 0,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
};

/* struct tcp_cb.f */
#define TF_ACK_NOW     0x00000001u  /* send an ACK at the end of the pass */
#define TF_DELACK      0x00000002u  /* an ACK is owed, delayed-ACK timer runs */
#define TF_SACK_OK     0x00000004u
#define TF_TS_OK       0x00000008u
#define TF_WS_OK       0x00000010u
#define TF_ECN_OK      0x00000020u
#define TF_FIN_QUEUED  0x00000040u  /* the app shut down writing: FIN after the data */
#define TF_FIN_SENT    0x00000080u
#define TF_RCVD_FIN    0x00000100u  /* the peer's FIN is in rcv_nxt */
#define TF_OOO_FIN     0x00000200u  /* a FIN seen beyond rcv_nxt, at fin_seq */
#define TF_RECOVERY    0x00000400u  /* fast recovery (dup ACKs / SACK) */
#define TF_LOSS        0x00000800u  /* RTO recovery */
#define TF_PERSIST     0x00001000u  /* rtx timer is the persist timer */
#define TF_RTT_TIMING  0x00002000u  /* rtt_seq is being timed (no TS) */
#define TF_ECE         0x00004000u  /* send ECE until the peer's CWR */
#define TF_CWR         0x00008000u  /* send CWR on the next data */
#define TF_DSACK       0x00010000u  /* dsack holds a block for the next ACK */
#define TF_ACTIVE      0x00020000u  /* opened by connect() */
#define TF_COOKIE      0x00040000u  /* made from a SYN cookie */
#define TF_CWND_LIMITED 0x00080000u /* the last send stopped at cwnd */
#define TF_WND_UPDATE  0x00100000u  /* the next ACK is a window update */
#define TF_RESET       0x00200000u  /* ended by a reset or an abort */
#define TF_TLP_ARMED   0x00400000u  /* rtx timer is a tail loss probe (RFC 8985 7) */
#define TF_TLP_SENT    0x00800000u  /* a probe went out; cleared by progress */
#define TF_LRT         0x01000000u  /* the segment at snd_una was retransmitted at lrt_nxt */
#define TF_RACK_ARMED  0x02000000u  /* rtx timer checks retransmissions for loss */
#define TF_UNDO_OK     0x04000000u  /* the last recovery may still prove spurious (D-SACK) */

/* Scoreboard of SACKed ranges above snd_una, sorted, disjoint. */
#define TCP_SB_MAX 16

struct tcp_cb {
	uint8_t state;
	uint32_t f;                 /* TF_* */
	struct dps_session_worker *sw;
	int32_t sd;
	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd;       /* largest window the peer offered */
	uint32_t fin_seq;           /* our FIN's sequence number once queued */
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;               /* payload bytes per full segment (options excluded) */
	uint16_t peer_mss;          /* the peer's MSS option (536 if none) */
	uint16_t adv_mss;           /* the MSS we advertise */
	uint8_t csum_offload;       /* the egress port computes TCP checksums */
	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv;   /* rcv_adv: right edge last advertised */
	uint32_t rcv_fin_seq;
	/* timestamps (RFC 7323) */
	uint32_t ts_recent, ts_offset;
	uint32_t last_ack_sent;
	/* RTT and RTO */
	struct tcp_rtt rtt;
	uint32_t rtt_seq;
	uint64_t rtt_start_ns;
	uint8_t rtx_count;          /* retransmissions of the same data in a row */
	uint8_t syn_rtx;
	uint8_t rack_fires;         /* recovery re-checks without progress */
	uint64_t rtx_start_ns;      /* send time of the oldest unACKed data (or SYN): user timeout */
	uint64_t last_rcv_ns;       /* keepalive: last segment from the peer */
	uint64_t last_snd_ns;       /* idle restart */
	/* congestion control and recovery */
	const struct tcp_cc_ops *cc;
	struct tcp_cc_state ccs;
	struct tcp_prr prr;
	uint32_t recover;           /* snd_nxt at entry to recovery (RFC 6582) */
	uint32_t rxt_nxt, rxt_end;  /* retransmit the holes in [rxt_nxt, rxt_end) */
	uint32_t dupacks;
	uint32_t dupthresh;         /* dup ACKs (segments SACKed above) that mean loss: 3, more after reordering */
	uint32_t prior_cwnd, prior_ssthresh;  /* before the last recovery, for undo */
	uint32_t undo_retrans;      /* its retransmissions not yet shown spurious by D-SACK */
	uint32_t high_sacked;       /* highest SACKed sequence + 1 */
	uint32_t sacked_bytes;
	uint8_t n_sb;
	struct tcp_sack_block sb[TCP_SB_MAX];
	struct tcp_sack_block dsack;
	uint32_t ecn_cwr_seq;       /* ECN: react once per window */
	uint32_t lrt_seq, lrt_nxt;  /* lost-retransmission check: seq resent, snd_nxt then */
	/* receiver */
	uint16_t quickack;          /* segments still ACKed at once */
	uint32_t unacked_segs;      /* full segments received since the last ACK */
	/* keepalive */
	uint8_t keep_probes;
	/* timers */
	struct dps_timer rtx_timer;    /* RTO, SYN, persist */
	struct dps_timer delack_timer;
	struct dps_timer keep_timer;   /* keepalive, FIN-WAIT-2, TIME-WAIT */
	/* per-connection counters */
	uint64_t retrans_segs, rto_events, fast_rtx, dup_acks_rx, segs_in, segs_out;
};

static inline struct tcp_cb *tcp_cb_of(struct dps_session_worker *sw, const struct dps_sock *s)
{
	return &sw->tcbs[s->sd];
}

static inline struct dps_sock *tcp_sock_of(struct tcp_cb *tp)
{
	return &tp->sw->socks[tp->sd];
}

static inline void tcp_stat(struct dps_session_worker *sw, enum dps_tcp_stat st, uint64_t n)
{
	sw->tcp_stats[st] += n;
}
#define TCP_INC(sw, name) tcp_stat((sw), DPS_TCP_STAT_##name, 1)

static inline uint64_t tcp_now(const struct dps_session_worker *sw)
{
	return dps_wheel_now(&sw->w->wheel);
}

/* Timestamp clock: 1 ms (issue 3, Linux). */
static inline uint32_t tcp_ts_now(const struct tcp_cb *tp)
{
	return (uint32_t)(tcp_now(tp->sw) / 1000000u) + tp->ts_offset;
}

const char *tcp_state_name(uint8_t state);

/* ---- tcp.c: socket glue ---- */
void tcp_sock_init(struct dps_session_worker *sw, struct dps_sock *s);
void tcp_sock_destroy(struct dps_session_worker *sw, struct dps_sock *s);
bool tcp_can_listen(struct dps_session_worker *sw, struct dps_sock *s);
void tcp_listen(struct dps_session_worker *sw, struct dps_sock *s);
void tcp_listen_close(struct dps_session_worker *sw, struct dps_sock *s);
int tcp_connect_check(struct dps_session_worker *sw, struct dps_sock *s);
int tcp_connect(struct dps_session_worker *sw, struct dps_sock *s);
ssize_t tcp_send(struct dps_session_worker *sw, struct dps_sock *s, const void *buf,
		 size_t len, int flags);
ssize_t tcp_recv(struct dps_session_worker *sw, struct dps_sock *s, void *buf, size_t len,
		 int flags);
/* The owner wrote into / read from the socket's FIFOs itself (an
 * application's shared FIFOs, session/app_worker.c): send what is new;
 * send a window update if reading opened the window enough. */
int tcp_tx_notify(struct dps_session_worker *sw, struct dps_sock *s);
void tcp_rx_notify(struct dps_session_worker *sw, struct dps_sock *s);
int tcp_shutdown(struct dps_session_worker *sw, struct dps_sock *s, int how);
void tcp_close(struct dps_session_worker *sw, struct dps_sock *s);
/** Send a RST (if send_rst and synchronized) and free the connection. */
void tcp_abort(struct dps_session_worker *sw, struct dps_sock *s, bool send_rst);
unsigned tcp_poll(struct dps_session_worker *sw, struct dps_sock *s);
int tcp_setsockopt(struct dps_session_worker *sw, struct dps_sock *s, int opt,
		   const void *val, socklen_t len);
int tcp_getsockopt(struct dps_session_worker *sw, struct dps_sock *s, int opt,
		   void *val, socklen_t *len);
void tcp_sock_bufs_changed(struct dps_session_worker *sw, struct dps_sock *s);
void tcp_keepalive_changed(struct dps_session_worker *sw, struct dps_sock *s);
/** ICMP error for this connection; seq: the sequence number of the packet quoted. */
void tcp_icmp_error(struct dps_session_worker *sw, struct dps_sock *s, uint8_t type,
		    uint8_t code, uint16_t mtu, uint32_t seq);
void tcp_sock_info(struct dps_session_worker *sw, struct dps_sock *s, struct dps_sock_info *info);

/* connection life */
/** Move to a state (counts established, arms the right timers). */
void tcp_set_state(struct tcp_cb *tp, uint8_t state);
/** The connection is over: free it now, or when the app closes it. */
void tcp_done(struct tcp_cb *tp, int err);
/** Enter TIME-WAIT (2*MSL timer). */
void tcp_enter_time_wait(struct tcp_cb *tp);
/** Negotiated MSS from the peer's option and our route. */
void tcp_set_mss(struct tcp_cb *tp, uint16_t peer_mss);
/** rcv_wscale for the rx FIFO (smallest shift that covers it). */
uint8_t tcp_pick_wscale(uint32_t cap);
/** The peer's window / TS / options are in; start congestion control. */
void tcp_cc_start(struct tcp_cb *tp);
void tcp_keepalive_arm(struct tcp_cb *tp);

/* ---- tcp_output.c ---- */
/** Send what may be sent: retransmissions, new data, FIN, owed ACK. */
void tcp_output(struct dps_session_worker *sw, struct dps_sock *s);
void tcp_send_syn(struct tcp_cb *tp);
void tcp_send_ack(struct tcp_cb *tp);
/** A bare ACK with seq = snd_una - 1: keepalive and zero-window probe. */
void tcp_send_probe(struct tcp_cb *tp);
/** RST for an established connection (seq = snd_nxt). */
void tcp_send_rst(struct tcp_cb *tp);
/** Reply to a segment m (IPv4 + TCP at ih/th) with a RST (RFC 9293 3.10.7.1). */
void tcp_reply_rst(struct dps_worker *w, const struct rte_ipv4_hdr *ih,
		   const struct rte_tcp_hdr *th, uint32_t seg_len);
/** A SYN-ACK from a listener with no connection state (SYN cookie). */
void tcp_send_synack_stateless(struct dps_worker *w, const struct rte_ipv4_hdr *ih,
			       const struct rte_tcp_hdr *th, uint32_t isn,
			       const struct tcp_opts *mine);
/** Receive window to advertise now (bytes, before scaling) and update rcv_adv. */
uint32_t tcp_rcv_window(struct tcp_cb *tp);
/** Schedule an ACK at the end of the pass. */
void tcp_ack_now(struct tcp_cb *tp);
/** Bytes in flight (RFC 6675 pipe, see the header comment). */
uint32_t tcp_pipe(const struct tcp_cb *tp);
/** (Re)arm the retransmission timer at the current RTO. */
void tcp_rtx_arm(struct tcp_cb *tp);
void tcp_timers_init(struct tcp_cb *tp);
/* Timer callbacks of tcp_output.c (retransmission/persist/probe, delayed ACK). */
void tcp_rtx_fire(struct dps_wheel *wh, struct dps_timer *t, uint64_t now);
void tcp_delack_fire(struct dps_wheel *wh, struct dps_timer *t, uint64_t now);
void tcp_timers_stop(struct tcp_cb *tp);
/** Unsent bytes in the tx FIFO. */
uint32_t tcp_unsent(const struct tcp_cb *tp);

/* ---- tcp_input.c ---- */
/** A challenge ACK (RFC 5961), rate limited. */
void tcp_challenge_ack(struct tcp_cb *tp);

#endif
