/*
 * Malformed and unwelcome TCP and UDP input, one case per drop reason:
 * each hand-built frame must be counted under its reason, answered (or
 * not) as Linux would, and leave no mbuf behind (the fixture checks).
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_tcp.h>
#include <rte_udp.h>

#include "fixture.h"
#include "fifo/fifo.h"
#include "session/session.h"

#define PORT 80

struct tcp_spec {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt;
	uint8_t optlen;           /* multiple of 4 */
	const void *data;
	uint32_t len;
	int doff;                 /* data offset field in words; 0: the real one */
	bool bad_cksum;
};

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* TCP/UDP checksum over the pseudo-header (host-order addresses). */
static uint16_t l4_cksum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4, size_t n)
{
	uint8_t ph[12];
	uint32_t s;

	ph[0] = src >> 24; ph[1] = src >> 16; ph[2] = src >> 8; ph[3] = src;
	ph[4] = dst >> 24; ph[5] = dst >> 16; ph[6] = dst >> 8; ph[7] = dst;
	ph[8] = 0; ph[9] = proto; ph[10] = n >> 8; ph[11] = n;
	s = sum16(l4, n, sum16(ph, 12, 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static struct rte_mbuf *make_tcp_to(struct fx *fx, struct sim_if *sif, uint32_t dst,
				    const struct tcp_spec *t)
{
	static uint8_t l4[4096];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
	struct ip4_spec s = ip4_from_peer(sif);
	uint32_t n = sizeof(*th) + t->optlen + t->len;
	uint16_t ck;

	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(t->sport);
	th->dst_port = rte_cpu_to_be_16(t->dport);
	th->sent_seq = rte_cpu_to_be_32(t->seq);
	th->recv_ack = rte_cpu_to_be_32(t->ack);
	th->data_off = (uint8_t)((t->doff ? t->doff : (int)(sizeof(*th) + t->optlen) / 4) << 4);
	th->tcp_flags = t->flags;
	th->rx_win = rte_cpu_to_be_16(t->win ? t->win : 65535);
	if (t->optlen)
		memcpy(th + 1, t->opt, t->optlen);
	if (t->len)
		memcpy(l4 + sizeof(*th) + t->optlen, t->data, t->len);
	ck = l4_cksum(sif->peer, dst, IPPROTO_TCP, l4, n);
	th->cksum = rte_cpu_to_be_16(t->bad_cksum ? (uint16_t)(ck ^ 0x5a5a) : ck);
	s.proto = IPPROTO_TCP;
	s.dst = dst;
	return make_ip4(fx, &s, l4, n);
}

static struct rte_mbuf *make_tcp(struct fx *fx, struct sim_if *sif, const struct tcp_spec *t)
{
	return make_tcp_to(fx, sif, sif->addr, t);
}

/* The one TCP frame the stack sent on sif: its header (in f). */
static struct rte_tcp_hdr *expect_tcp(struct sim_if *sif, struct frame *f, uint8_t flags)
{
	struct rte_tcp_hdr *th;

	if (sent_count(sif) != 1)
		fail_msg("%u frames sent, expected one TCP segment", sent_count(sif));
	expect_frame(sif, f);
	expect_ip4(f, sif->addr, sif->peer, IPPROTO_TCP);
	th = (struct rte_tcp_hdr *)frame_l4(f);
	if (th->tcp_flags != flags)
		fail_msg("TCP flags 0x%02x, expected 0x%02x", th->tcp_flags, flags);
	return th;
}

static int listen_on(struct fx *fx, uint16_t port, int backlog)
{
	int sd = dps_sock_socket(fx->w, SOCK_STREAM);

	assert_true(sd >= 0);
	assert_int_equal(dps_sock_bind(fx->w, sd, 0, port), 0);
	assert_int_equal(dps_sock_listen(fx->w, sd, backlog), 0);
	return sd;
}

struct conn {
	uint16_t sport;
	uint32_t cseq;     /* the peer's next sequence number */
	uint32_t sseq;     /* ours (the stack's) next */
	int sd;            /* the accepted socket, -1 if not accepted */
};

/* The peer opens a connection to PORT (no options but MSS): SYN, the
 * stack's SYN-ACK, ACK; accepted when accept is set. */
static void handshake(struct fx *fx, struct sim_if *sif, int lsd, uint16_t sport,
		      struct conn *c, bool accept)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	struct tcp_spec t = { .sport = sport, .dport = PORT, .seq = 1000, .flags = RTE_TCP_SYN_FLAG,
			      .opt = mss, .optlen = 4 };
	static struct frame f;
	struct rte_tcp_hdr *th;

	deliver_and_run(sif, make_tcp(fx, sif, &t));
	th = expect_tcp(sif, &f, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), 1001);
	c->sport = sport;
	c->cseq = 1001;
	c->sseq = rte_be_to_cpu_32(th->sent_seq) + 1;
	t.seq = c->cseq;
	t.ack = c->sseq;
	t.flags = RTE_TCP_ACK_FLAG;
	t.optlen = 0;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	c->sd = -1;
	if (accept) {
		c->sd = dps_sock_accept(fx->w, lsd, NULL, NULL);
		assert_true(c->sd >= 0);
	}
}

static struct tcp_spec seg(const struct conn *c, uint8_t flags)
{
	struct tcp_spec t = { .sport = c->sport, .dport = PORT, .seq = c->cseq, .ack = c->sseq,
			      .flags = flags };
	return t;
}

/* ---- header checks, before any socket is looked up ---- */

static void test_tcp_malformed_headers(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	static const uint8_t bad_opt[4] = { 2, 1, 0, 0 };   /* MSS with length 1 */
	static const uint8_t past_end[4] = { 1, 1, 8, 10 }; /* TS running past the header */
	uint8_t short_l4[12] = { 0 };
	struct tcp_spec t = { .sport = 4000, .dport = PORT, .seq = 1, .flags = RTE_TCP_SYN_FLAG };

	listen_on(fx, PORT, 8);
	/* shorter than a TCP header */
	s.proto = IPPROTO_TCP;
	deliver_and_run(sif, make_ip4(fx, &s, short_l4, sizeof(short_l4)));
	expect_err(fx, TCP_TRUNCATED, 1);
	/* data offset below 5 words, and beyond the segment */
	t.doff = 4;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	t.doff = 15;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_err(fx, TCP_BAD_OFFSET, 2);
	t.doff = 0;
	/* a checksum off by anything: dropped, never answered */
	t.bad_cksum = true;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_err(fx, TCP_BAD_CHECKSUM, 1);
	t.bad_cksum = false;
	/* SYN+FIN, SYN+RST, and no SYN/ACK/RST at all (FIN alone, a null scan) */
	t.flags = RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	t.flags = RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	t.flags = RTE_TCP_FIN_FLAG;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	t.flags = 0;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_err(fx, TCP_BAD_FLAGS, 4);
	/* malformed option lists */
	t.flags = RTE_TCP_SYN_FLAG;
	t.opt = bad_opt;
	t.optlen = 4;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	t.opt = past_end;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_err(fx, TCP_BAD_OPTIONS, 2);
	t.opt = NULL;
	t.optlen = 0;
	/* to the subnet broadcast address */
	deliver_and_run(sif, make_tcp_to(fx, sif, sif->addr | ((1u << (32 - sif->plen)) - 1), &t));
	expect_err(fx, TCP_BAD_ADDR, 1);
	/* none of these was answered, none made a connection */
	expect_nothing_sent(fx);
	assert_int_equal(dps_session_count(fx->w), 1);
}

/* Closed port: RST as RFC 9293 3.10.7.1 says; a RST itself is not answered. */
static void test_tcp_no_socket(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct tcp_spec t = { .sport = 4000, .dport = 81, .seq = 7, .ack = 12345,
			      .flags = RTE_TCP_ACK_FLAG };
	static struct frame f;
	struct rte_tcp_hdr *th;

	deliver_and_run(sif, make_tcp(fx, sif, &t));
	th = expect_tcp(sif, &f, RTE_TCP_RST_FLAG);
	assert_int_equal(rte_be_to_cpu_32(th->sent_seq), 12345);
	t.flags = RTE_TCP_SYN_FLAG;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	th = expect_tcp(sif, &f, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(rte_be_to_cpu_32(th->sent_seq), 0);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), 8);
	t.flags = RTE_TCP_RST_FLAG;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_nothing_sent(fx);
	expect_err(fx, TCP_NO_SOCKET, 3);
}

/* An ACK to a listener that is no SYN cookie of ours: RST, counted. */
static void test_tcp_bad_cookie(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct tcp_spec t = { .sport = 4000, .dport = PORT, .seq = 7, .ack = 0xdeadbeef,
			      .flags = RTE_TCP_ACK_FLAG };
	static struct frame f;

	listen_on(fx, PORT, 8);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_tcp(sif, &f, RTE_TCP_RST_FLAG);
	expect_err(fx, TCP_SYNCOOKIE_BAD, 1);
	assert_int_equal(dps_session_count(fx->w), 1);
}

/* ---- on a connection ---- */

static void test_tcp_unacceptable_segments(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	int lsd = listen_on(fx, PORT, 8);
	static struct frame f;
	struct conn c;
	struct tcp_spec t;
	struct rte_tcp_hdr *th;
	uint8_t data[100] = { 0 };

	handshake(fx, sif, lsd, 4001, &c, true);
	/* far beyond the window: an ACK back, nothing taken */
	t = seg(&c, RTE_TCP_ACK_FLAG);
	t.seq += 1u << 30;
	t.data = data;
	t.len = sizeof(data);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	th = expect_tcp(sif, &f, RTE_TCP_ACK_FLAG);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), c.cseq);
	expect_err(fx, TCP_OUT_OF_WINDOW, 1);
	/* acknowledging data never sent (RFC 5961 5.2): an ACK back */
	t = seg(&c, RTE_TCP_ACK_FLAG);
	t.ack += 100000;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_tcp(sif, &f, RTE_TCP_ACK_FLAG);
	expect_err(fx, TCP_BAD_ACK, 1);
	/* a RST in the window but not at rcv_nxt: challenge ACK, still up */
	t = seg(&c, RTE_TCP_RST_FLAG);
	t.seq += 10;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	th = expect_tcp(sif, &f, RTE_TCP_ACK_FLAG);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), c.cseq);
	expect_err(fx, TCP_RST_INVALID, 1);
	/* a SYN on the connection (RFC 5961 4): challenge ACK too */
	t = seg(&c, RTE_TCP_SYN_FLAG);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_tcp(sif, &f, RTE_TCP_ACK_FLAG);
	expect_err(fx, TCP_SYN_INVALID, 1);
	/* no ACK bit on a synchronized connection: dropped */
	t = seg(&c, RTE_TCP_PSH_FLAG | RTE_TCP_RST_FLAG);
	t.flags = RTE_TCP_RST_FLAG;
	t.seq += 1u << 30;   /* out of window: a RST there is dropped silently */
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_nothing_sent(fx);
	expect_err(fx, TCP_OUT_OF_WINDOW, 2);
	assert_int_equal(dps_sock_poll(fx->w, c.sd) & (POLLERR | POLLHUP), 0);
	/* the exact RST closes it */
	t = seg(&c, RTE_TCP_RST_FLAG);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_nothing_sent(fx);
	assert_int_equal(dps_sock_recv(fx->w, c.sd, data, sizeof(data), 0), -ECONNRESET);
	assert_int_equal(dps_sock_close(fx->w, c.sd), 0);
	run_until_idle(fx);
	assert_int_equal(dps_session_count(fx->w), 1);
}

/* PAWS (RFC 7323 5): a segment with a timestamp older than one the
 * connection already took is dropped (and ACKed). */
static void test_tcp_paws(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	/* NOP NOP TS */
	uint8_t ts_syn[16] = { 2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0 };
	uint8_t ts[12] = { 1, 1, 8, 10 };
	struct tcp_spec t = { .sport = 4002, .dport = PORT, .seq = 1000, .flags = RTE_TCP_SYN_FLAG,
			      .opt = ts_syn, .optlen = 16 };
	static struct frame f;
	struct rte_tcp_hdr *th;
	uint8_t data[10] = { 0 };
	uint32_t sseq;

	listen_on(fx, PORT, 8);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	th = expect_tcp(sif, &f, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	sseq = rte_be_to_cpu_32(th->sent_seq) + 1;
	t.flags = RTE_TCP_ACK_FLAG;
	t.seq = 1001;
	t.ack = sseq;
	t.opt = ts;
	t.optlen = 12;
	ts[6] = 0x20;   /* TSval 0x00002000 in bytes 4..7: big endian */
	ts[4] = 0; ts[5] = 0; ts[7] = 0;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	t.data = data;
	t.len = sizeof(data);
	t.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	ts[6] = 0x30;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	drop_sent(fx);
	/* older by far more than the one-tick window */
	t.seq += sizeof(data);
	ts[6] = 0x10;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	th = expect_tcp(sif, &f, RTE_TCP_ACK_FLAG);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), 1001 + sizeof(data));
	expect_err(fx, TCP_PAWS, 1);
}

/* More disjoint out-of-order pieces than the rx FIFO can remember: the
 * one past the limit is dropped and counted; the rest stay. */
static void test_tcp_ooo_full(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	int lsd = listen_on(fx, PORT, 8);
	struct conn c;
	struct tcp_spec t;
	uint8_t data[10] = { 0 };
	unsigned i;

	handshake(fx, sif, lsd, 4003, &c, true);
	for (i = 1; i <= DPS_FIFO_OOO_MAX + 1; i++) {
		t = seg(&c, RTE_TCP_ACK_FLAG);
		t.seq += i * 20;     /* 10-byte pieces with 10-byte holes */
		t.data = data;
		t.len = sizeof(data);
		deliver_and_run(sif, make_tcp(fx, sif, &t));
	}
	drop_sent(fx);
	expect_err(fx, TCP_OOO_FULL, 1);
	dps_sock_close(fx->w, c.sd);
	run_until_idle(fx);
	drop_sent(fx);
}

/* Data for a socket the application closed: RST (Linux does the same). */
static void test_tcp_data_after_close(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	int lsd = listen_on(fx, PORT, 8);
	static struct frame f;
	struct conn c;
	struct tcp_spec t;
	uint8_t data[10] = { 0 };

	handshake(fx, sif, lsd, 4004, &c, true);
	assert_int_equal(dps_sock_close(fx->w, c.sd), 0);
	run_until_idle(fx);
	expect_tcp(sif, &f, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
	t = seg(&c, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	t.data = data;
	t.len = sizeof(data);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_tcp(sif, &f, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	expect_err(fx, TCP_RCV_CLOSED, 1);
	assert_int_equal(dps_session_count(fx->w), 1);
}

/* After both FINs the stack (which closed first) sits in TIME-WAIT and
 * absorbs what comes: counted, a retransmitted FIN ACKed again. */
static void test_tcp_time_wait(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	int lsd = listen_on(fx, PORT, 8);
	static struct frame f;
	struct conn c;
	struct tcp_spec t;

	handshake(fx, sif, lsd, 4005, &c, true);
	assert_int_equal(dps_sock_close(fx->w, c.sd), 0);
	run_until_idle(fx);
	expect_tcp(sif, &f, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
	c.sseq++;
	t = seg(&c, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_tcp(sif, &f, RTE_TCP_ACK_FLAG);
	/* a stray ACK: absorbed */
	t = seg(&c, RTE_TCP_ACK_FLAG);
	t.seq++;
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_nothing_sent(fx);
	expect_err(fx, TCP_TIME_WAIT, 1);
	/* the FIN again: ACKed again */
	t = seg(&c, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_tcp(sif, &f, RTE_TCP_ACK_FLAG);
	/* 2*MSL later it is gone */
	advance_in_steps(fx, 2ull * fx->st->params.tcp.msl_ms + 1000, 1000);
	assert_int_equal(dps_session_count(fx->w), 1);
}

/* Backlog 1 holding a connection nobody accepted: a new SYN is dropped
 * and counted (Linux drops SYNs while the accept queue is full), and gets
 * its SYN-ACK once accept() made room. */
static void test_tcp_listen_overflow(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	int lsd = listen_on(fx, PORT, 1);
	struct tcp_spec t = { .sport = 4007, .dport = PORT, .seq = 1, .flags = RTE_TCP_SYN_FLAG };
	static struct frame f;
	struct conn c1;

	handshake(fx, sif, lsd, 4006, &c1, false);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_nothing_sent(fx);
	expect_err(fx, TCP_LISTEN_OVERFLOW, 1);
	assert_true(dps_sock_accept(fx->w, lsd, NULL, NULL) >= 0);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_tcp(sif, &f, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(dps_sock_accept(fx->w, lsd, NULL, NULL), -EAGAIN);
}

/* The socket table full: a SYN finds no socket for its connection. */
static void test_tcp_no_sockets(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct tcp_spec t = { .sport = 4008, .dport = PORT, .seq = 1, .flags = RTE_TCP_SYN_FLAG };
	int sd;

	listen_on(fx, PORT, 8);
	while ((sd = dps_sock_socket(fx->w, SOCK_STREAM)) >= 0)
		;
	assert_int_equal(sd, -ENFILE);
	deliver_and_run(sif, make_tcp(fx, sif, &t));
	expect_err(fx, TCP_NO_SOCKETS, 1);
	expect_nothing_sent(fx);
}

/* ---- UDP ---- */

static struct rte_mbuf *make_udp(struct fx *fx, struct sim_if *sif, uint16_t dport,
				 const void *data, uint16_t len, int udp_len, bool bad_cksum)
{
	static uint8_t l4[4096];
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
	struct ip4_spec s = ip4_from_peer(sif);
	uint16_t n = (uint16_t)(sizeof(*uh) + len), ck;

	uh->src_port = rte_cpu_to_be_16(5000);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(udp_len >= 0 ? udp_len : n));
	uh->dgram_cksum = 0;
	memcpy(uh + 1, data, len);
	ck = l4_cksum(sif->peer, sif->addr, IPPROTO_UDP, l4, n);
	uh->dgram_cksum = rte_cpu_to_be_16(bad_cksum ? (uint16_t)(ck ^ 0x1111) : (ck ? ck : 0xffff));
	s.proto = IPPROTO_UDP;
	return make_ip4(fx, &s, l4, n);
}

static void test_udp_malformed(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	uint8_t data[64] = { 1, 2, 3 };
	static struct frame f;
	int sd = dps_sock_socket(fx->w, SOCK_DGRAM), rcv = 4096;
	uint32_t ip;
	uint16_t port;
	unsigned n;

	assert_int_equal(dps_sock_setsockopt(fx->w, sd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)), 0);
	assert_int_equal(dps_sock_bind(fx->w, sd, 0, 53), 0);
	/* shorter than the header */
	s.proto = IPPROTO_UDP;
	deliver_and_run(sif, make_ip4(fx, &s, data, 6));
	expect_err(fx, UDP_TRUNCATED, 1);
	/* length field below 8 and beyond the IP payload */
	deliver_and_run(sif, make_udp(fx, sif, 53, data, 10, 7, false));
	deliver_and_run(sif, make_udp(fx, sif, 53, data, 10, 200, false));
	expect_err(fx, UDP_BAD_LENGTH, 2);
	/* checksum */
	deliver_and_run(sif, make_udp(fx, sif, 53, data, 10, -1, true));
	expect_err(fx, UDP_BAD_CHECKSUM, 1);
	expect_nothing_sent(fx);
	assert_int_equal(dps_sock_recvfrom(fx->w, sd, data, sizeof(data), 0, &ip, &port), -EAGAIN);
	/* a closed port: ICMP port unreachable quoting the datagram */
	deliver_and_run(sif, make_udp(fx, sif, 54, data, 10, -1, false));
	expect_frame(sif, &f);
	expect_ip4(&f, sif->addr, sif->peer, IPPROTO_ICMP);
	assert_int_equal(frame_icmp(&f)->icmp_type, 3);
	assert_int_equal(frame_icmp(&f)->icmp_code, 3);
	expect_err(fx, UDP_NO_PORT, 1);
	/* the receive buffer fills: the next datagram is dropped and counted */
	for (n = 0; n < 1000 && dps_err_get(fx->st, DPS_ERR_UDP_RCVBUF_FULL) == 0; n++)
		deliver_and_run(sif, make_udp(fx, sif, 53, data, sizeof(data), -1, false));
	expect_err(fx, UDP_RCVBUF_FULL, 1);
	assert_true(n > 10);
	/* what was taken is intact */
	assert_int_equal(dps_sock_recvfrom(fx->w, sd, data, sizeof(data), 0, &ip, &port),
			 (ssize_t)sizeof(data));
	assert_int_equal(ip, sif->peer);
	assert_int_equal(port, 5000);
	assert_int_equal(data[2], 3);
	assert_int_equal(dps_sock_close(fx->w, sd), 0);
	assert_int_equal(dps_session_count(fx->w), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_tcp_malformed_headers, fx_setup_two),
		fx_test(test_tcp_no_socket, fx_setup_two),
		fx_test(test_tcp_bad_cookie, fx_setup_two),
		fx_test(test_tcp_unacceptable_segments, fx_setup_two),
		fx_test(test_tcp_paws, fx_setup_two),
		fx_test(test_tcp_ooo_full, fx_setup_two),
		fx_test(test_tcp_data_after_close, fx_setup_two),
		fx_test(test_tcp_time_wait, fx_setup_two),
		fx_test(test_tcp_listen_overflow, fx_setup_two),
		fx_test(test_tcp_no_sockets, fx_setup_two),
		fx_test(test_udp_malformed, fx_setup_two),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
