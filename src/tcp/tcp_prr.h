/*
 * Proportional Rate Reduction for TCP, RFC 6937, with the slow-start
 * reduction bound (PRR-SSRB, RFC 6937 3.1).
 *
 * During fast recovery PRR decides how much the sender may send on each
 * ACK so that, by the end of recovery, the data sent adds up to ssthresh
 * (set by the congestion-control algorithm, tcp_cc.h) and cwnd lands on
 * ssthresh, instead of the burst or the silence of plain RFC 5681/6582
 * recovery. Pure arithmetic: the TCP core measures DeliveredData and pipe
 * (RFC 6675) and reports what it sends.
 *
 * Use:
 *   on entering recovery: ops->on_congestion(); tcp_prr_start(&prr,
 *       snd.nxt - snd.una, ssthresh);
 *   on each ACK in recovery: sndcnt = tcp_prr_on_ack(&prr, delivered,
 *       pipe, mss); cwnd = pipe + sndcnt;
 *   on each (re)transmission in recovery: tcp_prr_on_sent(&prr, bytes);
 *   on leaving recovery: ops->on_recovery_exit() (cwnd = ssthresh).
 *
 * The fast retransmit itself (RFC 5681 3.2 step 2) is sent whatever
 * sndcnt says and is counted with tcp_prr_on_sent().
 */
#ifndef DPS_TCP_PRR_H
#define DPS_TCP_PRR_H

#include <stdint.h>

struct tcp_prr {
	uint64_t delivered;   /* prr_delivered: bytes delivered since recovery began */
	uint64_t out;         /* prr_out: bytes sent since recovery began */
	uint32_t recover_fs;  /* RecoverFS: snd.nxt - snd.una at the start */
	uint32_t ssthresh;    /* target window at the end of recovery */
};

/* Enter recovery with RecoverFS = recover_fs bytes and the new ssthresh. */
void tcp_prr_start(struct tcp_prr *prr, uint32_t recover_fs, uint32_t ssthresh);

/*
 * An ACK in recovery newly delivered `delivered` bytes (change in snd.una
 * plus change in SACKed bytes) and left `pipe` bytes in the network (RFC
 * 6675). Returns sndcnt, the bytes that may be sent now (>= 0).
 */
uint32_t tcp_prr_on_ack(struct tcp_prr *prr, uint32_t delivered, uint32_t pipe,
	uint32_t mss);

/* `bytes` were sent (new data or retransmission) during recovery. */
void tcp_prr_on_sent(struct tcp_prr *prr, uint32_t bytes);

#endif /* DPS_TCP_PRR_H */
