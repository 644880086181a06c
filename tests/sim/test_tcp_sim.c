/*
 * TCP between two dpstack instances on a simulated link (include/dpstack/
 * sim.h only, as an external harness drives it): bulk transfers in both
 * directions on clean and lossy links, checked byte for byte; the same
 * seed replaying the same trace; and each mechanism of issue 3 by name,
 * with the counter that names it and the frames on the wire that show it.
 *
 * A test that fails prints what it saw (the trace of the frames that
 * matter, the sockets, the drop counters); a bulk transfer prints its seed.
 * SIM_VERBOSE=1 prints them for passing tests too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simtcp.h"

#define KEY_A 0xa11ce5eedull
#define KEY_B 0xb0b5eedull
#define PORT  5001
#define MSS_TS 1448   /* payload of a full segment: 1500 - 20 - 20 - 12 (timestamps) */

static bool verbose(void)
{
	return getenv("SIM_VERBOSE") != NULL;
}

static unsigned tw_ms(struct dps_sim *s)
{
	char v[32];

	assert_int_equal(dps_sim_tcp_param_get(s, "msl_ms", v, sizeof(v)), 0);
	return 2u * (unsigned)strtoul(v, NULL, 10);
}

static void param(struct tn *t, const char *name, const char *value)
{
	assert_int_equal(dps_sim_tcp_param(t->a, name, value), 0);
	assert_int_equal(dps_sim_tcp_param(t->b, name, value), 0);
}

/* The two ends of one connection, set up on a link with p. */
struct conn {
	struct tn t;
	int lsd, csd, ssd;
};

/* The same with the TCP tunable name set to value on both sides first. */
static void conn_open_param(struct conn *c, uint64_t seed, const struct dps_sim_link_params *p,
			    const char *name, const char *value)
{
	tn_open(&c->t, seed, p, 0, 0);
	if (name != NULL)
		param(&c->t, name, value);
	c->lsd = t_listen(c->t.b, IP_B, PORT, 16);
	c->csd = -1;
	t_pair(&c->t, c->lsd, PORT, &c->csd, &c->ssd);
}

static void conn_open(struct conn *c, uint64_t seed, const struct dps_sim_link_params *p)
{
	conn_open_param(c, seed, p, NULL, NULL);
}

/* Run until sd of s reports an error (POLLERR), for up to `limit`: the
 * time it did, 0 if it did not. */
static uint64_t wait_pollerr(struct tn *t, struct dps_sim *s, int sd, uint64_t limit)
{
	uint64_t until = tn_now(t) + limit;

	while (tn_now(t) < until) {
		struct pollfd pf = { .fd = sd, .events = POLLIN | POLLOUT };

		tn_run(t, 10 * MS);
		if (dps_sim_poll(s, &pf, 1) == 1 && (pf.revents & POLLERR))
			return tn_now(t);
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	tn_close(&c->t);
}

/* The data segments A (side 0) or B sent, in order. */
static size_t data_segs(struct tn *t, int from, const struct rec **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nrecs; i++) {
		const struct rec *r = &t->recs[i];

		if (r->from == from && r->proto == IPPROTO_TCP && r->len > 0) {
			if (n < max)
				out[n] = r;
			n++;
		}
	}
	return n;
}

/* Frames of side `from` carrying TCP with all of `flags` set. */
static size_t count_flags(struct tn *t, int from, uint8_t flags)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nrecs; i++)
		if (t->recs[i].from == from && t->recs[i].proto == IPPROTO_TCP &&
		    (t->recs[i].flags & flags) == flags)
			n++;
	return n;
}

/* Read everything queued on sd now (expects pattern key at *off). */
static size_t drain_sock(struct dps_sim *s, int sd, uint64_t key, uint64_t *off)
{
	static uint8_t buf[65536], exp[65536];
	size_t total = 0;
	ssize_t r;

	while ((r = dps_sim_recv(s, sd, buf, sizeof(buf), 0)) > 0) {
		pattern(key, *off, exp, (size_t)r);
		assert_memory_equal(buf, exp, (size_t)r);
		*off += (uint64_t)r;
		total += (size_t)r;
	}
	assert_true(r == -EAGAIN || r == 0);
	return total;
}

static void send_pattern(struct dps_sim *s, int sd, uint64_t key, uint64_t off, size_t len)
{
	static uint8_t buf[65536];

	assert_true(len <= sizeof(buf));
	pattern(key, off, buf, len);
	assert_int_equal(dps_sim_send(s, sd, buf, len, 0), (ssize_t)len);
}

/* Resolve ARP both ways (a UDP datagram each way to a closed port). */
static void warm_arp(struct tn *t)
{
	struct sockaddr_in sa;
	int ua = dps_sim_socket(t->a, SOCK_DGRAM), ub = dps_sim_socket(t->b, SOCK_DGRAM);

	assert_true(ua >= 0 && ub >= 0);
	dps_sim_sockaddr(&sa, IP_B, 9);
	assert_int_equal(dps_sim_sendto(t->a, ua, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
	dps_sim_sockaddr(&sa, IP_A, 9);
	assert_int_equal(dps_sim_sendto(t->b, ub, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
	tn_run(t, 20 * MS);
	dps_sim_close(t->a, ua);
	dps_sim_close(t->b, ub);
}

/* ======================================================================
 * Bulk transfers
 * ====================================================================== */

static const char *const det_counters[] = {
	"segs_in", "segs_out", "bytes_in", "bytes_out", "retrans_segs", "rto_events",
	"fast_retransmits", "sack_retrans", "dup_acks", "ooo_segs", "dup_segs", "acks_sent",
	"delayed_acks", "sack_blocks_tx", "dsack_tx",
};
#define NDET (sizeof(det_counters) / sizeof(det_counters[0]))

/* A counter of a bulk_out snapshot by name. */
static uint64_t det(const uint64_t *c, const char *name)
{
	for (size_t i = 0; i < NDET; i++)
		if (strcmp(det_counters[i], name) == 0)
			return c[i];
	fail_msg("no snapshot of %s", name);
	return 0;
}

struct bulk_out {
	uint64_t hash, frames, end_ns, xfer_ns;
	struct dps_simnet_stats st;
	uint64_t ca[NDET], cb[NDET];
	int max_ws_win;          /* largest scaled window B advertised */
};

/*
 * A connects to B; A sends a2b bytes while B sends b2a; each shuts down
 * writing when done and closes at EOF. Checks every byte, the FINs both
 * ways, that both ends finish in TIME-WAIT or closed, and that every
 * socket is freed 2*MSL later.
 */
static void bulk(uint64_t seed, const struct dps_sim_link_params *p, uint64_t a2b, uint64_t b2a,
		 uint64_t limit, struct bulk_out *o)
{
	struct tn t;
	struct ep e[2];
	int lsd, csd = -1, ssd;
	uint64_t start;
	bool ok;

	memset(o, 0, sizeof(*o));
	tn_open(&t, seed, p, 0, 0);
	lsd = t_listen(t.b, IP_B, PORT, 16);
	t_pair(&t, lsd, PORT, &csd, &ssd);
	assert_int_equal(dps_sim_close(t.b, lsd), 0);
	start = tn_now(&t);
	ep_init(&e[0], t.a, csd, "A", KEY_A, a2b, KEY_B, b2a);
	ep_init(&e[1], t.b, ssd, "B", KEY_B, b2a, KEY_A, a2b);
	ok = ep_run(&t, e, 2, start + limit);
	o->xfer_ns = tn_now(&t) - start;
	if (!ok || e[0].err || e[1].err || verbose()) {
		struct dps_simnet_stats st;

		dps_simnet_stats(t.net, &st);
		print_message("seed %llu: %s after %.3f s: A sent %llu/%llu got %llu/%llu eof %d err %d; "
			      "B sent %llu/%llu got %llu/%llu eof %d err %d; link sent %llu lost %llu "
			      "dup %llu reord %llu corrupt %llu qdrop %llu\n",
			      (unsigned long long)seed, ok ? "done" : "STUCK",
			      (double)o->xfer_ns / SEC,
			      (unsigned long long)e[0].tx_done, (unsigned long long)a2b,
			      (unsigned long long)e[0].rx_done, (unsigned long long)b2a, e[0].eof,
			      e[0].err, (unsigned long long)e[1].tx_done, (unsigned long long)b2a,
			      (unsigned long long)e[1].rx_done, (unsigned long long)a2b, e[1].eof,
			      e[1].err, (unsigned long long)st.sent, (unsigned long long)st.lost,
			      (unsigned long long)st.duplicated, (unsigned long long)st.reordered,
			      (unsigned long long)st.corrupted, (unsigned long long)st.queue_drops);
		print_tcp_counters("A", t.a);
		print_tcp_counters("B", t.b);
		dump_socks(&t);
		dump_errors(&t);
	}
	assert_true(ok);
	assert_int_equal(e[0].err, 0);
	assert_int_equal(e[1].err, 0);
	/* every byte, once, in order (ep_pump compared them), then the FIN */
	assert_int_equal(e[0].rx_done, b2a);
	assert_int_equal(e[1].rx_done, a2b);
	assert_true(e[0].eof && e[1].eof);
	/* both ends close cleanly: TIME-WAIT or gone, never reset */
	assert_true(wait_quiet(&t, tn_now(&t) + 600 * SEC));
	o->end_ns = tn_now(&t);
	tn_run(&t, (uint64_t)tw_ms(t.a) * MS + 1 * SEC);
	assert_int_equal(dps_sim_sock_count(t.a), 0);
	assert_int_equal(dps_sim_sock_count(t.b), 0);
	assert_int_equal(tcpc(t.a, "aborted"), 0);
	assert_int_equal(tcpc(t.b, "aborted"), 0);
	/* a straggler (a retransmission still in flight, or the ACK it draws)
	 * may reach an end that has already closed and be answered with a
	 * RST, as Linux answers it; no connection is ever reset */
	assert_int_equal(tcpc(t.a, "rst_tx") + tcpc(t.b, "rst_tx"),
			 dps_sim_counter(t.a, "tcp_no_socket") + dps_sim_counter(t.b, "tcp_no_socket"));
	assert_int_equal(tcpc(t.a, "rst_rx") + tcpc(t.b, "rst_rx"), 0);
	o->hash = t.hash;
	o->frames = t.nframes;
	dps_simnet_stats(t.net, &o->st);
	for (size_t i = 0; i < NDET; i++) {
		o->ca[i] = tcpc(t.a, det_counters[i]);
		o->cb[i] = tcpc(t.b, det_counters[i]);
	}
	tn_close(&t);
}

static struct dps_sim_link_params lossy(double loss)
{
	struct dps_sim_link_params p = {
		.loss = loss, .reorder = 0.02, .reorder_ns = 2 * MS, .dup = 0.01,
		.corrupt = loss > 0 ? 0.002 : 0, .delay_ns = 5 * MS, .rate_bps = 100000000,
	};
	return p;
}

static void test_bulk_clean_one_way(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS, .rate_bps = 100000000 };
	struct bulk_out o;

	(void)state;
	bulk(1, &p, 4u << 20, 0, 60 * SEC, &o);
	/* a perfect link: nothing is retransmitted */
	assert_int_equal(det(o.ca, "retrans_segs"), 0);
	assert_int_equal(det(o.ca, "rto_events"), 0);
	/* 4 MiB at 100 Mbit/s is 0.34 s on the wire; slow start and the 256 KiB
	 * windows add little on a 10 ms RTT */
	print_message("4 MiB one way on 100 Mbit/s, 10 ms RTT: %.3f s\n", (double)o.xfer_ns / SEC);
	assert_true(o.xfer_ns < 2 * SEC);
}

static void test_bulk_both_ways_0pct(void **state)
{
	struct dps_sim_link_params p = lossy(0);
	struct bulk_out o;

	(void)state;
	bulk(11, &p, 4u << 20, 4u << 20, 120 * SEC, &o);
	assert_int_equal(o.st.lost + o.st.corrupted, 0);
	assert_true(o.st.duplicated > 0 && o.st.reordered > 0);
	/* duplicates were seen and dropped as such */
	assert_true(det(o.ca, "dup_segs") + det(o.cb, "dup_segs") > 0);
}

static void test_bulk_both_ways_1pct(void **state)
{
	struct dps_sim_link_params p = lossy(0.01);
	struct bulk_out o;

	(void)state;
	bulk(12, &p, 4u << 20, 4u << 20, 300 * SEC, &o);
	assert_true(o.st.lost > 0);
	assert_true(det(o.ca, "retrans_segs") > 0 && det(o.cb, "retrans_segs") > 0);
	print_message("1%%: %.2f s, retrans A %llu B %llu, rto A %llu B %llu\n",
		      (double)o.xfer_ns / SEC, (unsigned long long)det(o.ca, "retrans_segs"),
		      (unsigned long long)det(o.cb, "retrans_segs"),
		      (unsigned long long)det(o.ca, "rto_events"),
		      (unsigned long long)det(o.cb, "rto_events"));
}

static void test_bulk_both_ways_5pct(void **state)
{
	struct dps_sim_link_params p = lossy(0.05);
	struct bulk_out o;

	(void)state;
	bulk(13, &p, 4u << 20, 4u << 20, 600 * SEC, &o);
	assert_true(o.st.lost > 0 && o.st.corrupted > 0);
	print_message("5%%: %.2f s, retrans A %llu B %llu, rto A %llu B %llu\n",
		      (double)o.xfer_ns / SEC, (unsigned long long)det(o.ca, "retrans_segs"),
		      (unsigned long long)det(o.cb, "retrans_segs"),
		      (unsigned long long)det(o.ca, "rto_events"),
		      (unsigned long long)det(o.cb, "rto_events"));
}

static void test_bulk_both_ways_20pct(void **state)
{
	struct dps_sim_link_params p = lossy(0.20);
	struct bulk_out o;

	(void)state;
	bulk(14, &p, 1u << 20, 1u << 20, 3600 * SEC, &o);
	assert_true(o.st.lost > 0);
	print_message("20%%: %.2f s, retrans A %llu B %llu, rto A %llu B %llu\n",
		      (double)o.xfer_ns / SEC, (unsigned long long)det(o.ca, "retrans_segs"),
		      (unsigned long long)det(o.cb, "retrans_segs"),
		      (unsigned long long)det(o.ca, "rto_events"),
		      (unsigned long long)det(o.cb, "rto_events"));
}

/* The same seed gives the same frames at the same times; another does not. */
static void test_deterministic_trace(void **state)
{
	struct dps_sim_link_params p = lossy(0.05);
	static struct bulk_out o1, o2, o3;

	(void)state;
	p.jitter_ns = 1 * MS;
	bulk(99, &p, 512u << 10, 512u << 10, 600 * SEC, &o1);
	bulk(99, &p, 512u << 10, 512u << 10, 600 * SEC, &o2);
	bulk(100, &p, 512u << 10, 512u << 10, 600 * SEC, &o3);
	print_message("seed 99: %llu frames, trace %016llx; seed 100: %llu frames, trace %016llx\n",
		      (unsigned long long)o1.frames, (unsigned long long)o1.hash,
		      (unsigned long long)o3.frames, (unsigned long long)o3.hash);
	assert_int_equal(o1.frames, o2.frames);
	assert_int_equal(o1.hash, o2.hash);
	assert_int_equal(o1.end_ns, o2.end_ns);
	assert_memory_equal(&o1.st, &o2.st, sizeof(o1.st));
	assert_memory_equal(o1.ca, o2.ca, sizeof(o1.ca));
	assert_memory_equal(o1.cb, o2.cb, sizeof(o1.cb));
	assert_true(o1.hash != o3.hash);
}

/* ======================================================================
 * Retransmission timeouts
 * ====================================================================== */

/* e[0] on A will send `total` bytes of the pattern to e[1] on B, which
 * reads them; neither shuts down nor closes. */
static void one_way(struct ep e[2], struct tn *t, int csd, int ssd, uint64_t total)
{
	ep_init(&e[0], t->a, csd, "A", KEY_A, total, KEY_B, 0);
	ep_init(&e[1], t->b, ssd, "B", KEY_B, 0, KEY_A, total);
	e[0].shut_when_sent = e[0].close_at_end = false;
	e[1].shut_when_sent = e[1].close_at_end = false;
}

struct drop_ctx {
	bool drop_a, drop_b;      /* every TCP frame of that side */
	unsigned drop_b_next;     /* B's next TCP frames, this many */
	int idx_side;             /* whose data segments drop_idx counts: 0 A, 1 B */
	int drop_idx[4];          /* first transmissions of data segments number ... */
	unsigned ndrop_idx;
	unsigned n_data;          /* new data segments seen */
	uint32_t high;            /* end of the highest data */
	bool high_set;
	uint32_t dropped_seq[4];
	unsigned ndropped;
};

static bool drop_filter(struct tn *t, const struct rec *r)
{
	struct drop_ctx *c = t->fctx;

	if (r->proto != IPPROTO_TCP)
		return false;
	if ((r->from == 0 && c->drop_a) || (r->from == 1 && c->drop_b))
		return true;
	if (r->from == 1 && c->drop_b_next > 0) {
		c->drop_b_next--;
		return true;
	}
	if (r->from == c->idx_side && r->len > 0 && c->ndrop_idx > 0) {
		bool fresh = !c->high_set || !seq_before(r->seq, c->high);

		if (!fresh)
			return false;
		c->high = r->seq + r->len;
		c->high_set = true;
		for (unsigned i = 0; i < c->ndrop_idx; i++)
			if ((int)c->n_data == c->drop_idx[i]) {
				c->n_data++;
				c->dropped_seq[c->ndropped++] = r->seq;
				return true;
			}
		c->n_data++;
	}
	return false;
}

/* On t (opened): A connects to B, then sends `total` bytes through
 * drop_filter with dc, recording the trace; all of it arrives in 10 s. */
static void lossy_one_way(struct tn *t, struct drop_ctx *dc, uint64_t total)
{
	struct ep e[2];
	int lsd, csd = -1, ssd;

	lsd = t_listen(t->b, IP_B, PORT, 16);
	t_pair(t, lsd, PORT, &csd, &ssd);
	t->filter = drop_filter;
	t->fctx = dc;
	t->record = true;
	one_way(e, t, csd, ssd, total);
	assert_true(ep_run(t, e, 2, tn_now(t) + 10 * SEC));
}

/* An RTO fires and backs off: 1x, 2x, 4x ... the first RTO (RFC 6298 5.5). */
static void test_rto_backoff(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 10 * MS };
	struct drop_ctx dc = { 0 };
	const struct rec *segs[32];
	struct conn c;
	uint64_t ts[32] = { 0 }, off = 0, rto0;
	size_t n;

	(void)state;
	conn_open(&c, 1, &p);
	c.t.filter = drop_filter;
	c.t.fctx = &dc;
	c.t.record = true;
	tn_clear(&c.t);
	dc.drop_a = true;
	send_pattern(c.t.a, c.csd, KEY_A, 0, 1000);
	tn_run(&c.t, 10 * SEC);
	n = data_segs(&c.t, 0, segs, 32);
	assert_true(n >= 5 && n <= 32);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(segs[i]->seq, segs[0]->seq);   /* the same segment again */
		assert_int_equal(segs[i]->len, 1000);
		ts[i] = segs[i]->ts;
	}
	rto0 = ts[1] - ts[0];
	print_message("RTO %llu ms after an RTT of 20 ms, then:", (unsigned long long)(rto0 / MS));
	for (size_t i = 2; i < n; i++)
		print_message(" %llu", (unsigned long long)((ts[i] - ts[i - 1]) / MS));
	print_message(" ms\n");
	{
		bool doubled = true;

		for (size_t i = 2; i < n; i++)
			if (ts[i] - ts[i - 1] + 2 * MS < 2 * (ts[i - 1] - ts[i - 2]) ||
			    ts[i] - ts[i - 1] > 2 * (ts[i - 1] - ts[i - 2]) + 2 * MS)
				doubled = false;
		if (verbose() || rto0 < 200 * MS || rto0 >= 1 * SEC || !doubled)
			dump_trace(&c.t, 100);
	}
	/* RFC 6298 2.4: at least 200 ms here (Linux's minimum), and not the
	 * initial 1 s: the handshake measured the RTT */
	assert_true(rto0 >= 200 * MS && rto0 < 1 * SEC);
	for (size_t i = 2; i < n; i++) {
		uint64_t g = ts[i] - ts[i - 1], prev = ts[i - 1] - ts[i - 2];

		/* doubled each time, within a tick of the 1 ms wheel */
		assert_true(g + 2 * MS >= 2 * prev && g <= 2 * prev + 2 * MS);
	}
	assert_int_equal(tcpc(c.t.a, "rto_events"), n - 1);
	assert_int_equal(tcpc(c.t.a, "retrans_segs"), n - 1);
	assert_state(c.t.a, c.csd, "ESTABLISHED");
	/* the path heals: the next retransmission gets through */
	dc.drop_a = false;
	tn_run(&c.t, 20 * SEC);
	assert_int_equal(drain_sock(c.t.b, c.ssd, KEY_A, &off), 1000);
	assert_int_equal(tcpc(c.t.a, "timeouts"), 0);
	conn_close(&c);
}

/* A SYN that gets no answer is sent again after 1, 2, 4, 8 s (RFC 6298 2.1,
 * 5.5; Linux's tcp_syn_retries), and connect() fails with ETIMEDOUT when
 * the retries run out. */
static void test_syn_backoff_and_connect_timeout(void **state)
{
	struct drop_ctx dc = { .drop_a = true };
	struct sockaddr_in sa;
	struct tn t;
	uint64_t t0, ts[16] = { 0 }, fail_ns = 0;
	size_t n = 0;
	int sd;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	assert_int_equal(dps_sim_tcp_param(t.a, "syn_retries", "3"), 0);
	t_listen(t.b, IP_B, PORT, 16);
	t.filter = drop_filter;
	t.fctx = &dc;
	t.record = true;
	sd = dps_sim_socket(t.a, SOCK_STREAM);
	dps_sim_sockaddr(&sa, IP_B, PORT);
	t0 = tn_now(&t);
	assert_int_equal(dps_sim_connect(t.a, sd, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	while (tn_now(&t) < t0 + 30 * SEC) {
		struct pollfd pf = { .fd = sd, .events = POLLOUT };

		tn_run(&t, 10 * MS);
		if (dps_sim_poll(t.a, &pf, 1) == 1) {
			assert_true(pf.revents & POLLERR);
			fail_ns = tn_now(&t);
			break;
		}
	}
	for (size_t i = 0; i < t.nrecs; i++)
		if (t.recs[i].from == 0 && t.recs[i].flags == TH_SYN && n < 16)
			ts[n++] = t.recs[i].ts;
	print_message("SYNs at");
	for (size_t i = 0; i < n; i++)
		print_message(" %.3f", (double)(ts[i] - t0) / SEC);
	print_message(" s, connect failed at %.3f s\n", (double)(fail_ns - t0) / SEC);
	/* SYN (after ARP), then 3 retries 1, 3 and 7 s after connect(): the
	 * timer runs from connect(), doubling from 1 s (RFC 6298 2.1, 5.5) */
	assert_int_equal(n, 4);
	assert_true(ts[0] - t0 < 5 * MS);
	for (size_t i = 1; i < n; i++) {
		uint64_t want = ((1000ull << i) - 1000) * MS;

		assert_true(ts[i] - t0 >= want && ts[i] - t0 <= want + 2 * MS);
	}
	assert_int_equal(tcpc(t.a, "syn_retrans"), 3);
	/* ... and gives up one doubled timeout (8 s) after the last: 15 s */
	assert_true(fail_ns != 0);
	assert_true(fail_ns - t0 >= 15 * SEC && fail_ns - t0 <= 15 * SEC + 20 * MS);
	assert_int_equal(get_int(t.a, sd, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	assert_int_equal(get_int(t.a, sd, SOL_SOCKET, SO_ERROR), 0);   /* read clears it */
	assert_int_equal(dps_sim_close(t.a, sd), 0);
	assert_int_equal(dps_sim_sock_count(t.a), 0);
	tn_close(&t);
}

/* ======================================================================
 * Loss recovery
 * ====================================================================== */

/* Three duplicate ACKs trigger a fast retransmit (RFC 5681 3.2), without SACK. */
static void test_fast_retransmit_3_dupacks(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 10 * MS, .rate_bps = 10000000 };
	struct drop_ctx dc = { .drop_idx = { 2 }, .ndrop_idx = 1 };
	struct tn t;
	uint64_t ts_dup[8] = { 0 }, ts_rtx = 0;
	unsigned ndup = 0, nrtx = 0;
	bool acked = false;
	uint16_t last_win = 0;

	(void)state;
	tn_open(&t, 1, &p, 0, 0);
	param(&t, "sack", "0");
	lossy_one_way(&t, &dc, 20 * MSS_TS);
	assert_int_equal(dc.ndropped, 1);
	for (size_t i = 0; i < t.nrecs; i++) {
		const struct rec *r = &t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 1 && r->len == 0 && r->ack == dc.dropped_seq[0]) {
			/* the first ACK up to the hole moves snd_una; then a
			 * duplicate is one that changes nothing, its window
			 * included (RFC 5681 2, "DUPLICATE ACKNOWLEDGMENT") */
			if (acked && r->win == last_win && ndup < 8)
				ts_dup[ndup++] = r->ts;
			acked = true;
			last_win = r->win;
		}
		if (r->from == 0 && r->len > 0 && r->seq == dc.dropped_seq[0] && !r->dropped) {
			nrtx++;
			ts_rtx = r->ts;
		}
	}
	if (nrtx != 1 || ndup < 3 || verbose()) {
		dump_trace(&t, 200);
		dump_errors(&t);
	}
	assert_int_equal(nrtx, 1);                   /* dropped once, sent again once */
	assert_true(ndup >= 3);
	/* sent when the third duplicate arrived (10 ms and 53 us of
	 * serialisation after B sent it), not before and not later */
	assert_true(ts_rtx >= ts_dup[2] + 10 * MS);
	if (ndup > 3)
		assert_true(ts_rtx < ts_dup[3] + 10 * MS);
	assert_true(ts_rtx < ts_dup[2] + 11 * MS);
	assert_int_equal(tcpc(t.a, "fast_retransmits"), 1);
	assert_int_equal(tcpc(t.a, "recoveries"), 1);
	assert_int_equal(tcpc(t.a, "rto_events"), 0);
	assert_int_equal(tcpc(t.a, "retrans_segs"), 1);
	assert_int_equal(tcpc(t.a, "sack_recoveries"), 0);
	assert_true(tcpc(t.a, "dup_acks") >= 3);
	assert_true(tcpc(t.b, "ooo_segs") >= 1);
	tn_close(&t);
}

/* SACK blocks (RFC 2018) let the sender repair three holes of one window
 * within one RTT (RFC 6675), retransmitting nothing the receiver has. */
static void test_sack_repairs_holes_in_one_rtt(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 10 * MS, .rate_bps = 10000000 };
	struct drop_ctx dc = { .drop_idx = { 1, 3, 5 }, .ndrop_idx = 3 };
	struct tn t;
	uint64_t ts_rtx[3] = { 0 }, lo = UINT64_MAX, hi = 0;
	unsigned nrtx[3] = { 0 }, max_blocks = 0;

	(void)state;
	tn_open(&t, 1, &p, 0, 0);
	lossy_one_way(&t, &dc, 40 * MSS_TS);
	assert_int_equal(dc.ndropped, 3);
	for (size_t i = 0; i < t.nrecs; i++) {
		const struct rec *r = &t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 1 && r->nsack > max_blocks)
			max_blocks = r->nsack;
		if (r->from != 0 || r->len == 0 || r->dropped)
			continue;
		for (unsigned k = 0; k < 3; k++)
			if (r->seq == dc.dropped_seq[k]) {
				nrtx[k]++;
				ts_rtx[k] = r->ts;
			}
	}
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(nrtx[k], 1);
		lo = ts_rtx[k] < lo ? ts_rtx[k] : lo;
		hi = ts_rtx[k] > hi ? ts_rtx[k] : hi;
	}
	print_message("3 holes retransmitted within %.1f ms (RTT 20 ms); up to %u SACK blocks\n",
		      (double)(hi - lo) / MS, max_blocks);
	/* all three before the first retransmission could be acknowledged */
	assert_true(hi - lo < 20 * MS);
	/* the receiver reported the three islands at once */
	assert_int_equal(max_blocks, 3);
	assert_int_equal(tcpc(t.a, "sack_retrans"), 3);
	assert_int_equal(tcpc(t.a, "retrans_segs"), 3);   /* nothing SACKed sent again */
	assert_int_equal(tcpc(t.a, "rto_events"), 0);
	assert_int_equal(tcpc(t.a, "sack_recoveries"), 1);
	assert_true(tcpc(t.b, "sack_blocks_tx") > 0);
	assert_true(tcpc(t.a, "sack_blocks_rx") > 0);
	tn_close(&t);
}

/* ======================================================================
 * Flow control
 * ====================================================================== */

/* A connection whose receiver B has a 16 KiB receive buffer (set on the
 * listener before listen(), as Linux wants it). */
static void small_rcvbuf_conn(struct conn *c, const struct dps_sim_link_params *p)
{
	struct sockaddr_in sa;

	tn_open(&c->t, 1, p, 0, 0);
	c->lsd = dps_sim_socket(c->t.b, SOCK_STREAM);
	set_int(c->t.b, c->lsd, SOL_SOCKET, SO_RCVBUF, 16384);
	dps_sim_sockaddr(&sa, IP_B, PORT);
	assert_int_equal(dps_sim_bind(c->t.b, c->lsd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(dps_sim_listen(c->t.b, c->lsd, 4), 0);
	c->csd = -1;
	t_pair(&c->t, c->lsd, PORT, &c->csd, &c->ssd);
}

/* A receiver that does not read closes its window; the sender probes it
 * (persist timer, RFC 9293 3.8.6.1) and carries on when it opens. */
static void test_zero_window_probe(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	const uint64_t total = 1u << 20;
	struct ep e[2];
	struct conn c;
	size_t zero_adv = 0;
	uint64_t probes;

	(void)state;
	small_rcvbuf_conn(&c, &p);
	c.t.record = true;
	one_way(e, &c.t, c.csd, c.ssd, total);
	e[1].read = false;
	/* B does not read: A fills B's buffer, then its own */
	assert_false(ep_run(&c.t, e, 2, tn_now(&c.t) + 2 * SEC));
	for (size_t i = 0; i < c.t.nrecs; i++)
		if (c.t.recs[i].from == 1 && c.t.recs[i].proto == IPPROTO_TCP &&
		    c.t.recs[i].win == 0)
			zero_adv++;
	if (zero_adv == 0 || verbose()) {
		print_message("A wrote %llu bytes; B's receive buffer %d\n",
			      (unsigned long long)e[0].tx_done,
			      get_int(c.t.b, c.ssd, SOL_SOCKET, SO_RCVBUF));
		dump_socks(&c.t);
		dump_trace(&c.t, 60);
	}
	assert_true(zero_adv > 0);
	assert_true(tcpc(c.t.a, "zero_window_rx") > 0);
	/* a minute of a closed window: probes, backed off, answered: still up */
	tn_run(&c.t, 60 * SEC);
	probes = tcpc(c.t.a, "persist_probes");
	print_message("%llu zero-window probes in 62 s\n", (unsigned long long)probes);
	assert_true(probes >= 3);
	assert_true(probes < 60);     /* backed off, not every RTO minimum */
	assert_state(c.t.a, c.csd, "ESTABLISHED");
	assert_int_equal(tcpc(c.t.a, "timeouts"), 0);
	/* B reads: the window opens and everything arrives */
	e[1].read = true;
	assert_true(ep_run(&c.t, e, 2, tn_now(&c.t) + 60 * SEC));
	assert_int_equal(e[1].rx_done, total);
	assert_true(tcpc(c.t.b, "window_updates") > 0);
	conn_close(&c);
}

/* The window update that reopens a closed window is lost: the sender's
 * probes find the open window (the persist timer exists for this, RFC
 * 9293 3.8.6.1), and the transfer completes. */
static void test_window_update_lost(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	const uint64_t total = 1u << 20;
	struct drop_ctx dc = { 0 };
	struct ep e[2];
	struct conn c;

	(void)state;
	small_rcvbuf_conn(&c, &p);
	c.t.filter = drop_filter;
	c.t.fctx = &dc;
	one_way(e, &c.t, c.csd, c.ssd, total);
	e[1].read = false;
	assert_false(ep_run(&c.t, e, 2, tn_now(&c.t) + 2 * SEC));
	/* B reads what it holds; its window update is lost */
	dc.drop_b_next = 1;
	e[1].read = true;
	ep_pump(&e[1]);
	assert_true(e[1].rx_done > 0);
	tn_run(&c.t, 1 * MS);
	assert_int_equal(dc.drop_b_next, 0);
	if (!ep_run(&c.t, e, 2, tn_now(&c.t) + 120 * SEC)) {
		print_message("stuck: B got %llu of %llu bytes\n", (unsigned long long)e[1].rx_done,
			      (unsigned long long)total);
		dump_socks(&c.t);
	}
	assert_int_equal(e[1].rx_done, total);
	assert_true(tcpc(c.t.a, "persist_probes") > 0);
	conn_close(&c);
}

/* Both ways at once, one segment of B lost: A's data segments carry SACK
 * blocks, and with them still fit the MTU (the MSS shrinks by the option
 * space, as Linux's tcp_current_mss does). */
static void test_sack_blocks_on_data_fit_mtu(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS, .rate_bps = 100000000 };
	struct drop_ctx dc = { .idx_side = 1, .drop_idx = { 3 }, .ndrop_idx = 1 };
	struct ep e[2];
	struct conn c;
	unsigned sack_on_data = 0, too_big = 0;

	(void)state;
	conn_open(&c, 1, &p);
	c.t.filter = drop_filter;
	c.t.fctx = &dc;
	c.t.record = true;
	ep_init(&e[0], c.t.a, c.csd, "A", KEY_A, 1u << 20, KEY_B, 1u << 20);
	ep_init(&e[1], c.t.b, c.ssd, "B", KEY_B, 1u << 20, KEY_A, 1u << 20);
	if (!ep_run(&c.t, e, 2, tn_now(&c.t) + 20 * SEC)) {
		print_message("stuck: A got %llu, B got %llu\n", (unsigned long long)e[0].rx_done,
			      (unsigned long long)e[1].rx_done);
		dump_socks(&c.t);
		dump_errors(&c.t);
	}
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 0 && r->len > 0 && r->nsack > 0)
			sack_on_data++;
		if (r->ip_len > 1500)
			too_big++;
	}
	print_message("%u of A's data segments carried SACK blocks\n", sack_on_data);
	assert_int_equal(e[0].rx_done, 1u << 20);
	assert_int_equal(e[1].rx_done, 1u << 20);
	assert_int_equal(dc.ndropped, 1);
	assert_true(sack_on_data > 0);
	assert_int_equal(too_big, 0);
	assert_int_equal(dps_sim_counter(c.t.a, "ip4_frag_needed"), 0);
	assert_int_equal(tcpc(c.t.a, "rto_events") + tcpc(c.t.b, "rto_events"), 0);
	conn_close(&c);
}

/* Nagle (RFC 896, RFC 9293 3.7.4): small writes wait for the ACK of what is
 * in flight and leave as one segment; TCP_NODELAY sends each at once. */
static void nagle_case(bool nodelay, size_t *nsegs, uint16_t lens[16], uint64_t ts[16])
{
	struct dps_sim_link_params p = { .delay_ns = 10 * MS };
	const struct rec *segs[16];
	struct conn c;
	uint64_t off = 0;
	size_t n;

	conn_open(&c, 1, &p);
	if (nodelay)
		set_int(c.t.a, c.csd, IPPROTO_TCP, TCP_NODELAY, 1);
	assert_int_equal(get_int(c.t.a, c.csd, IPPROTO_TCP, TCP_NODELAY) != 0, nodelay);
	c.t.record = true;
	for (int i = 0; i < 10; i++)
		send_pattern(c.t.a, c.csd, KEY_A, (uint64_t)i * 100, 100);
	tn_run(&c.t, 1 * SEC);
	assert_int_equal(drain_sock(c.t.b, c.ssd, KEY_A, &off), 1000);
	n = data_segs(&c.t, 0, segs, 16);
	*nsegs = n;
	for (size_t i = 0; i < n && i < 16; i++) {
		lens[i] = segs[i]->len;
		ts[i] = segs[i]->ts;
	}
	conn_close(&c);
}

static void test_nagle_and_nodelay(void **state)
{
	uint16_t lens[16] = { 0 };
	uint64_t ts[16] = { 0 };
	size_t n;

	(void)state;
	nagle_case(false, &n, lens, ts);
	/* the first write goes; the 9 others wait one RTT and go together */
	assert_int_equal(n, 2);
	assert_int_equal(lens[0], 100);
	assert_int_equal(lens[1], 900);
	assert_true(ts[1] - ts[0] >= 20 * MS && ts[1] - ts[0] < 22 * MS);
	nagle_case(true, &n, lens, ts);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(lens[i], 100);
		assert_int_equal(ts[i], ts[0]);
	}
}

/* Quick ACKs at the start of a connection, then delayed ACKs of 40 ms
 * (RFC 9293 3.8.6.3, Linux's quick-ACK mode and delack_min). */
static void test_delayed_ack(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 10 * MS };
	struct conn c;
	struct ep e[2];
	uint64_t t1, t2, ack1 = 0, ack2 = 0, off = 0, delayed0, quick0;
	uint32_t end1 = 0, end2 = 0;

	(void)state;
	conn_open(&c, 1, &p);
	set_int(c.t.a, c.csd, IPPROTO_TCP, TCP_NODELAY, 1);
	c.t.record = true;
	/* the first data segment is acknowledged at once */
	t1 = tn_now(&c.t);
	send_pattern(c.t.a, c.csd, KEY_A, 0, 100);
	tn_run(&c.t, 200 * MS);
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->from == 0 && r->len == 100)
			end1 = r->seq + 100;
		if (r->from == 1 && r->proto == IPPROTO_TCP && end1 && r->ack == end1 && !ack1)
			ack1 = r->ts;
	}
	assert_true(ack1 != 0);
	assert_true(ack1 - t1 >= 10 * MS && ack1 - t1 < 12 * MS);
	quick0 = tcpc(c.t.b, "quick_acks");
	/* a bulk of data ends the quick-ACK mode */
	one_way(e, &c.t, c.csd, c.ssd, 256u << 10);
	e[0].tx_done = 100;
	assert_true(ep_run(&c.t, e, 2, tn_now(&c.t) + 20 * SEC));
	/* a lone segment 50 ms later (not idle long enough to quick-ACK
	 * again): its ACK waits for the 40 ms timer; B does not read, so
	 * no window update hurries it */
	tn_run(&c.t, 50 * MS);
	tn_clear(&c.t);
	delayed0 = tcpc(c.t.b, "delayed_acks");
	t2 = tn_now(&c.t);
	send_pattern(c.t.a, c.csd, KEY_A, 256u << 10, 100);
	tn_run(&c.t, 300 * MS);
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->from == 0 && r->len == 100)
			end2 = r->seq + 100;
		if (r->from == 1 && r->proto == IPPROTO_TCP && end2 && r->ack == end2 && !ack2)
			ack2 = r->ts;
	}
	print_message("quick ACK after %.1f ms, delayed ACK after %.1f ms\n",
		      (double)(ack1 - t1) / MS, (double)(ack2 - t2) / MS);
	assert_true(ack2 != 0);
	assert_true(ack2 - t2 >= 50 * MS && ack2 - t2 <= 52 * MS);   /* 10 + 40 */
	assert_int_equal(tcpc(c.t.b, "delayed_acks"), delayed0 + 1);
	/* the quick ACK of the first segment was counted as one */
	assert_true(quick0 >= 1);
	off = 256u << 10;
	assert_int_equal(drain_sock(c.t.b, c.ssd, KEY_A, &off), 100);
	conn_close(&c);
}

/* ======================================================================
 * Options
 * ====================================================================== */

/* A SYN carries MSS, SACK-permitted, timestamps, NOP, window scale in 20
 * bytes, as Linux sends them; the SYN-ACK answers the same way; later
 * segments carry NOP NOP timestamps, and windows beyond 64 KiB. */
static void test_syn_options_like_linux(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 1 * MS };
	const struct rec *syn = NULL, *synack = NULL;
	struct ep e[2];
	struct conn c;
	unsigned big_win = 0, data_ts = 0, data_segs_n = 0;

	(void)state;
	tn_open(&c.t, 1, &p, 0, 0);
	c.t.record = true;
	c.lsd = t_listen(c.t.b, IP_B, PORT, 16);
	c.csd = -1;
	t_pair(&c.t, c.lsd, PORT, &c.csd, &c.ssd);
	ep_init(&e[0], c.t.a, c.csd, "A", KEY_A, 1u << 20, KEY_B, 0);
	ep_init(&e[1], c.t.b, c.ssd, "B", KEY_B, 0, KEY_A, 1u << 20);
	assert_true(ep_run(&c.t, e, 2, tn_now(&c.t) + 20 * SEC));
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 0 && r->flags == TH_SYN && syn == NULL)
			syn = r;
		if (r->from == 1 && r->flags == (TH_SYN | TH_ACK) && synack == NULL)
			synack = r;
	}
	assert_non_null(syn);
	assert_non_null(synack);
	for (int k = 0; k < 2; k++) {
		const struct rec *r = k == 0 ? syn : synack;

		assert_int_equal(r->doff, 40);
		assert_int_equal(r->optlen, 20);
		assert_int_equal(r->opt[0], 2);   /* MSS */
		assert_int_equal(r->opt[1], 4);
		assert_int_equal(r->opt[4], 4);   /* SACK permitted */
		assert_int_equal(r->opt[5], 2);
		assert_int_equal(r->opt[6], 8);   /* timestamps */
		assert_int_equal(r->opt[7], 10);
		assert_int_equal(r->opt[16], 1);  /* NOP */
		assert_int_equal(r->opt[17], 3);  /* window scale */
		assert_int_equal(r->opt[18], 3);
		assert_int_equal(r->mss, 1460);
		assert_true(r->ws >= 0 && r->ws <= 14);
		assert_true(r->sackok && r->has_ts);
		/* RFC 7323 2.2: the window of a SYN is never scaled */
		assert_true(r->win > 0);
	}
	assert_int_equal(syn->tsecr, 0);
	assert_int_equal(synack->tsecr, syn->tsval);
	assert_true(syn->df);
	assert_int_equal(syn->ttl, 64);
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto != IPPROTO_TCP || (r->flags & TH_SYN))
			continue;
		/* NOP NOP TS on every other segment (RFC 7323 3.2, Linux's layout) */
		if (r->optlen >= 12 && r->opt[0] == 1 && r->opt[1] == 1 && r->opt[2] == 8)
			data_ts++;
		if (r->from == 0 && r->len > 0) {
			data_segs_n++;
			assert_true(r->len <= MSS_TS);
		}
		if (r->from == 1 && ((unsigned)r->win << synack->ws) > 65535)
			big_win++;
	}
	assert_true(data_segs_n >= (1u << 20) / MSS_TS);
	assert_true(data_ts > 0);
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto == IPPROTO_TCP && !(r->flags & (TH_SYN | TH_RST)))
			assert_true(r->has_ts);
	}
	/* window scaling is used: B offered more than 64 KiB */
	assert_true(big_win > 0);
	conn_close(&c);
}

/* MSS from the route MTU (B's is 1000), and from TCP_MAXSEG. */
static void test_mss_clamping(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 1 * MS };
	struct ep e[2];
	struct tn t;
	int lsd, csd = -1, ssd;
	unsigned max_a = 0, max_b = 0, mss_syn = 0, mss_synack = 0;

	(void)state;
	/* B's interface has an MTU of 1000 */
	tn_open(&t, 1, &p, 0, 1000);
	t.record = true;
	lsd = t_listen(t.b, IP_B, PORT, 16);
	t_pair(&t, lsd, PORT, &csd, &ssd);
	ep_init(&e[0], t.a, csd, "A", KEY_A, 100000, KEY_B, 100000);
	ep_init(&e[1], t.b, ssd, "B", KEY_B, 100000, KEY_A, 100000);
	assert_true(ep_run(&t, e, 2, tn_now(&t) + 20 * SEC));
	for (size_t i = 0; i < t.nrecs; i++) {
		const struct rec *r = &t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->flags == TH_SYN)
			mss_syn = r->mss;
		if (r->flags == (TH_SYN | TH_ACK))
			mss_synack = r->mss;
		if (r->from == 0 && r->len > max_a)
			max_a = r->len;
		if (r->from == 1 && r->len > max_b)
			max_b = r->len;
		if (r->from == 1)
			assert_true(r->ip_len <= 1000);
	}
	assert_int_equal(mss_syn, 1460);
	assert_int_equal(mss_synack, 960);
	/* both ways within 960 - 12 bytes of timestamps; nothing fragmented */
	assert_int_equal(max_a, 948);
	assert_int_equal(max_b, 948);
	assert_int_equal(dps_sim_counter(t.a, "ip4_frag_dropped"), 0);
	tn_close(&t);

	/* TCP_MAXSEG 536 before connect: advertised, and both ends keep to it */
	tn_open(&t, 1, &p, 0, 0);
	t.record = true;
	lsd = t_listen(t.b, IP_B, PORT, 16);
	csd = dps_sim_socket(t.a, SOCK_STREAM);
	set_int(t.a, csd, IPPROTO_TCP, TCP_MAXSEG, 536);
	t_pair(&t, lsd, PORT, &csd, &ssd);
	ep_init(&e[0], t.a, csd, "A", KEY_A, 100000, KEY_B, 100000);
	ep_init(&e[1], t.b, ssd, "B", KEY_B, 100000, KEY_A, 100000);
	assert_true(ep_run(&t, e, 2, tn_now(&t) + 20 * SEC));
	max_a = max_b = 0;
	for (size_t i = 0; i < t.nrecs; i++) {
		const struct rec *r = &t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->flags == TH_SYN)
			mss_syn = r->mss;
		if (r->from == 0 && r->len > max_a)
			max_a = r->len;
		if (r->from == 1 && r->len > max_b)
			max_b = r->len;
	}
	assert_int_equal(mss_syn, 536);
	assert_int_equal(max_b, 536 - 12);
	assert_true(max_a <= 536 - 12);
	tn_close(&t);
}

/* ======================================================================
 * Opening and closing
 * ====================================================================== */

/* Both ends connect to each other at once (RFC 9293 3.5, figure 7). */
static void test_simultaneous_open(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct sockaddr_in sa;
	struct ep e[2];
	struct tn t;
	int sa_sd, sb_sd;
	bool ca = false, cb = false;

	(void)state;
	tn_open(&t, 1, &p, 0, 0);
	warm_arp(&t);
	t.record = true;
	sa_sd = dps_sim_socket(t.a, SOCK_STREAM);
	sb_sd = dps_sim_socket(t.b, SOCK_STREAM);
	dps_sim_sockaddr(&sa, IP_A, 5000);
	assert_int_equal(dps_sim_bind(t.a, sa_sd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	dps_sim_sockaddr(&sa, IP_B, 6000);
	assert_int_equal(dps_sim_bind(t.b, sb_sd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	dps_sim_sockaddr(&sa, IP_B, 6000);
	assert_int_equal(dps_sim_connect(t.a, sa_sd, (struct sockaddr *)&sa, sizeof(sa)),
			 -EINPROGRESS);
	dps_sim_sockaddr(&sa, IP_A, 5000);
	assert_int_equal(dps_sim_connect(t.b, sb_sd, (struct sockaddr *)&sa, sizeof(sa)),
			 -EINPROGRESS);
	for (int i = 0; i < 2000 && !(ca && cb); i++) {
		struct pollfd pa = { .fd = sa_sd, .events = POLLOUT }, pb = { .fd = sb_sd, .events = POLLOUT };

		tn_run(&t, 1 * MS);
		if (dps_sim_poll(t.a, &pa, 1) == 1) {
			assert_int_equal(pa.revents, POLLOUT);
			ca = true;
		}
		if (dps_sim_poll(t.b, &pb, 1) == 1) {
			assert_int_equal(pb.revents, POLLOUT);
			cb = true;
		}
	}
	if (!(ca && cb) || verbose()) {
		print_message("A connected %d, B connected %d\n", ca, cb);
		dump_trace(&t, 30);
		dump_socks(&t);
	}
	assert_true(ca && cb);
	assert_state(t.a, sa_sd, "ESTABLISHED");
	assert_state(t.b, sb_sd, "ESTABLISHED");
	/* both sent a bare SYN, then a SYN-ACK; nobody reset anything */
	assert_int_equal(count_flags(&t, 0, TH_SYN) - count_flags(&t, 0, TH_SYN | TH_ACK), 1);
	assert_int_equal(count_flags(&t, 1, TH_SYN) - count_flags(&t, 1, TH_SYN | TH_ACK), 1);
	assert_true(count_flags(&t, 0, TH_SYN | TH_ACK) >= 1);
	assert_true(count_flags(&t, 1, TH_SYN | TH_ACK) >= 1);
	assert_int_equal(count_flags(&t, 0, TH_RST) + count_flags(&t, 1, TH_RST), 0);
	assert_int_equal(tcpc(t.a, "active_opens"), 1);
	assert_int_equal(tcpc(t.b, "active_opens"), 1);
	ep_init(&e[0], t.a, sa_sd, "A", KEY_A, 100000, KEY_B, 100000);
	ep_init(&e[1], t.b, sb_sd, "B", KEY_B, 100000, KEY_A, 100000);
	assert_true(ep_run(&t, e, 2, tn_now(&t) + 20 * SEC));
	assert_true(wait_quiet(&t, tn_now(&t) + 10 * SEC));
	tn_close(&t);
}

/* Both ends close at once: FINs cross, CLOSING, both in TIME-WAIT. */
static void test_simultaneous_close(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct conn c;

	(void)state;
	conn_open(&c, 1, &p);
	assert_int_equal(dps_sim_close(c.t.b, c.lsd), 0);
	c.t.record = true;
	assert_int_equal(dps_sim_close(c.t.a, c.csd), 0);
	assert_int_equal(dps_sim_close(c.t.b, c.ssd), 0);
	tn_run(&c.t, 100 * MS);
	assert_int_equal(count_flags(&c.t, 0, TH_FIN), 1);
	assert_int_equal(count_flags(&c.t, 1, TH_FIN), 1);
	assert_int_equal(dps_sim_sock_count(c.t.a), 1);
	assert_int_equal(dps_sim_sock_count(c.t.b), 1);
	assert_int_equal(count_state(c.t.a, "TIME_WAIT"), 1);
	assert_int_equal(count_state(c.t.b, "TIME_WAIT"), 1);
	tn_run(&c.t, (uint64_t)tw_ms(c.t.a) * MS);
	assert_int_equal(dps_sim_sock_count(c.t.a), 0);
	assert_int_equal(dps_sim_sock_count(c.t.b), 0);
	assert_int_equal(count_flags(&c.t, 0, TH_RST) + count_flags(&c.t, 1, TH_RST), 0);
	conn_close(&c);
}

/* shutdown(SHUT_WR) on one side: the other reads EOF and keeps sending. */
static void test_half_close(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct ep e[2];
	struct conn c;

	(void)state;
	conn_open(&c, 1, &p);
	send_pattern(c.t.a, c.csd, KEY_A, 0, 10000);
	assert_int_equal(dps_sim_shutdown(c.t.a, c.csd, SHUT_WR), 0);
	assert_int_equal(dps_sim_send(c.t.a, c.csd, "x", 1, MSG_NOSIGNAL), -EPIPE);
	tn_run(&c.t, 100 * MS);
	assert_state(c.t.a, c.csd, "FIN_WAIT_2");
	assert_state(c.t.b, c.ssd, "CLOSE_WAIT");
	{
		struct pollfd pf = { .fd = c.ssd, .events = POLLIN | POLLOUT | POLLRDHUP };

		assert_int_equal(dps_sim_poll(c.t.b, &pf, 1), 1);
		assert_int_equal(pf.revents, POLLIN | POLLOUT | POLLRDHUP);
	}
	/* B reads A's 10000 bytes and EOF, then sends 1 MiB the other way */
	ep_init(&e[0], c.t.a, c.csd, "A", KEY_A, 10000, KEY_B, 1u << 20);
	e[0].tx_done = 10000;
	e[0].shut = true;
	ep_init(&e[1], c.t.b, c.ssd, "B", KEY_B, 1u << 20, KEY_A, 10000);
	assert_true(ep_run(&c.t, e, 2, tn_now(&c.t) + 30 * SEC));
	/* B's EOF came long before its data was all sent */
	assert_true(e[1].eof_ns < e[0].eof_ns);
	assert_true(wait_quiet(&c.t, tn_now(&c.t) + 10 * SEC));
	assert_int_equal(count_state(c.t.a, "TIME_WAIT"), 1);
	assert_int_equal(tcpc(c.t.a, "rst_tx") + tcpc(c.t.b, "rst_tx"), 0);
	conn_close(&c);
}

/* A SYN to a port nobody listens on is answered with RST|ACK and connect()
 * fails with ECONNREFUSED. */
static void test_connect_refused(void **state)
{
	struct sockaddr_in sa;
	struct pollfd pf;
	struct tn t;
	int sd, got = 0;
	const struct rec *syn = NULL, *rst = NULL;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	t.record = true;
	sd = dps_sim_socket(t.a, SOCK_STREAM);
	dps_sim_sockaddr(&sa, IP_B, 9);
	assert_int_equal(dps_sim_connect(t.a, sd, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	tn_run(&t, 100 * MS);
	pf.fd = sd;
	pf.events = POLLIN | POLLOUT;
	got = dps_sim_poll(t.a, &pf, 1);
	assert_int_equal(got, 1);
	assert_true(pf.revents & POLLERR);
	assert_true(pf.revents & POLLHUP);
	assert_int_equal(get_int(t.a, sd, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	for (size_t i = 0; i < t.nrecs; i++) {
		if (t.recs[i].proto != IPPROTO_TCP)
			continue;
		if (t.recs[i].from == 0 && t.recs[i].flags == TH_SYN)
			syn = &t.recs[i];
		if (t.recs[i].from == 1 && (t.recs[i].flags & TH_RST))
			rst = &t.recs[i];
	}
	assert_non_null(syn);
	assert_non_null(rst);
	/* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	assert_int_equal(rst->flags, TH_RST | TH_ACK);
	assert_int_equal(rst->seq, 0);
	assert_int_equal(rst->ack, syn->seq + 1);
	assert_int_equal(dps_sim_counter(t.b, "tcp_no_socket"), 1);
	assert_int_equal(tcpc(t.b, "rst_tx"), 1);
	assert_int_equal(dps_sim_close(t.a, sd), 0);
	assert_int_equal(dps_sim_sock_count(t.a), 0);
	tn_close(&t);
}

/* A listener that does not accept holds at most its backlog; the others
 * wait (their SYNs or ACKs dropped and counted) and get in once it does. */
static void test_listen_backlog(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 1 * MS };
	struct sockaddr_in sa;
	struct tn t;
	int lsd, c[6], s[6], nacc = 0;
	uint64_t until;

	(void)state;
	tn_open(&t, 1, &p, 0, 0);
	lsd = t_listen(t.b, IP_B, PORT, 2);
	dps_sim_sockaddr(&sa, IP_B, PORT);
	for (int i = 0; i < 6; i++) {
		c[i] = dps_sim_socket(t.a, SOCK_STREAM);
		assert_int_equal(dps_sim_connect(t.a, c[i], (struct sockaddr *)&sa, sizeof(sa)),
				 -EINPROGRESS);
	}
	t.record = true;
	tn_run(&t, 500 * MS);
	/* at most backlog (Linux: backlog + 1) wait to be accepted */
	print_message("backlog 2, 6 clients: %u established on B, listen_overflow %llu, "
		      "cookies %llu, resets from B %zu\n", count_state(t.b, "ESTABLISHED"),
		      (unsigned long long)dps_sim_counter(t.b, "tcp_listen_overflow"),
		      (unsigned long long)tcpc(t.b, "syncookies_sent"), count_flags(&t, 1, TH_RST));
	assert_true(count_state(t.b, "ESTABLISHED") <= 3);
	assert_true(count_state(t.b, "ESTABLISHED") >= 2);
	/* the others were held off (SYN dropped, or answered with a cookie) ... */
	assert_true(dps_sim_counter(t.b, "tcp_listen_overflow") + tcpc(t.b, "syncookies_sent") > 0);
	/* ... never refused: Linux (tcp_abort_on_overflow 0) resets nobody */
	assert_int_equal(count_flags(&t, 1, TH_RST), 0);
	/* the clients talk at once, as clients do: what the listener could
	 * not take (a dropped final ACK, or a cookie it had no room for)
	 * comes again with their data */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(get_int(t.a, c[i], SOL_SOCKET, SO_ERROR), 0);
		assert_int_equal(dps_sim_send(t.a, c[i], "ping", 4, 0), 4);
	}
	until = tn_now(&t) + 120 * SEC;
	while (nacc < 6 && tn_now(&t) < until) {
		int r = dps_sim_accept(t.b, lsd, NULL, NULL);

		if (r >= 0)
			s[nacc++] = r;
		else
			tn_run(&t, 10 * MS);
	}
	if (nacc != 6 || verbose()) {
		print_message("%d accepted after 120 s\n", nacc);
		dump_socks(&t);
		for (int i = 0; i < 6; i++) {
			struct sockaddr_in me;
			socklen_t mlen = sizeof(me);

			if (dps_sim_getsockname(t.a, c[i], (struct sockaddr *)&me, &mlen) == 0) {
				print_message("client %d, port %u:\n", i, ntohs(me.sin_port));
				dump_trace_port(&t, ntohs(me.sin_port), 12);
			}
		}
	}
	assert_int_equal(nacc, 6);
	/* every connection works */
	tn_run(&t, 5 * SEC);
	for (int i = 0; i < 6; i++) {
		char buf[8];

		assert_int_equal(dps_sim_recv(t.b, s[i], buf, sizeof(buf), 0), 4);
		assert_memory_equal(buf, "ping", 4);
	}
	tn_close(&t);
}

/* TIME-WAIT answers a retransmitted FIN with an ACK and starts 2*MSL again
 * (RFC 9293 3.10.7.4); a RST there is ignored (RFC 1337). */
static void test_time_wait_answers_fin(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct conn c;
	uint8_t fin[2048];
	size_t fin_len = 0;
	uint32_t fin_seq = 0, a_nxt = 0;
	uint64_t t_tw, t_re, tw;
	unsigned acks = 0;
	uint64_t off = 0;

	(void)state;
	conn_open_param(&c, 1, &p, "msl_ms", "2000");
	tw = (uint64_t)tw_ms(c.t.a) * MS;
	c.t.record = true;
	c.t.keep_frames = true;
	/* A closes first: A ends in TIME-WAIT */
	send_pattern(c.t.a, c.csd, KEY_A, 0, 500);
	assert_int_equal(dps_sim_close(c.t.a, c.csd), 0);
	tn_run(&c.t, 50 * MS);
	assert_int_equal(drain_sock(c.t.b, c.ssd, KEY_A, &off), 500);
	assert_int_equal(dps_sim_recv(c.t.b, c.ssd, fin, 1, 0), 0);
	assert_int_equal(dps_sim_close(c.t.b, c.ssd), 0);
	tn_run(&c.t, 50 * MS);
	t_tw = tn_now(&c.t) - 45 * MS;    /* when B's FIN reached A */
	assert_int_equal(count_state(c.t.a, "TIME_WAIT"), 1);
	assert_int_equal(count_state(c.t.b, NULL), 1);   /* the listener */
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 1 && (r->flags & TH_FIN)) {
			memcpy(fin, r->frame, r->flen);
			fin_len = r->flen;
			fin_seq = r->seq;
		}
		if (r->from == 0 && (r->flags & TH_FIN))
			a_nxt = r->seq + 1;
	}
	assert_true(fin_len > 0);
	/* one second later B's FIN comes again */
	tn_run(&c.t, 1 * SEC);
	tn_clear(&c.t);
	t_re = tn_now(&c.t);
	assert_int_equal(dps_sim_inject(c.t.a, c.t.ifa, fin, fin_len), 0);
	tn_run(&c.t, 20 * MS);
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->from == 0 && r->proto == IPPROTO_TCP && r->flags == TH_ACK &&
		    r->ack == fin_seq + 1 && r->seq == a_nxt && r->ts == t_re)
			acks++;
	}
	assert_int_equal(acks, 1);
	/* B has forgotten the connection and resets the ACK; TIME-WAIT stays */
	if (count_flags(&c.t, 1, TH_RST) > 0)
		assert_true(tcpc(c.t.a, "timewait_rst_ignored") >= 1);
	assert_int_equal(count_state(c.t.a, "TIME_WAIT"), 1);
	/* 2*MSL counts again from the retransmitted FIN */
	dps_simnet_run_until(c.t.net, t_tw + tw + 100 * MS);
	assert_int_equal(count_state(c.t.a, "TIME_WAIT"), 1);
	dps_simnet_run_until(c.t.net, t_re + tw + 100 * MS);
	assert_int_equal(dps_sim_sock_count(c.t.a), 0);
	conn_close(&c);
}

/* SO_LINGER with a zero timeout: close() resets the connection. */
static void test_linger_zero_resets(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 }, lg2;
	socklen_t len = sizeof(lg2);
	struct conn c;
	char buf[8];

	(void)state;
	conn_open(&c, 1, &p);
	assert_int_equal(dps_sim_setsockopt(c.t.a, c.csd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(dps_sim_getsockopt(c.t.a, c.csd, SOL_SOCKET, SO_LINGER, &lg2, &len), 0);
	assert_int_equal(len, sizeof(lg2));
	assert_int_equal(lg2.l_onoff, 1);
	assert_int_equal(lg2.l_linger, 0);
	c.t.record = true;
	assert_int_equal(dps_sim_close(c.t.a, c.csd), 0);
	assert_int_equal(dps_sim_sock_count(c.t.a), 0);   /* no TIME-WAIT */
	tn_run(&c.t, 50 * MS);
	assert_int_equal(count_flags(&c.t, 0, TH_RST), 1);
	assert_int_equal(count_flags(&c.t, 0, TH_FIN), 0);
	assert_int_equal(dps_sim_recv(c.t.b, c.ssd, buf, sizeof(buf), 0), -ECONNRESET);
	assert_int_equal(tcpc(c.t.b, "rst_rx"), 1);
	conn_close(&c);
}


/* ---- ECN (RFC 3168): off by default; negotiated when both ends allow it ---- */

#define TH_ECE 0x40
#define TH_CWR 0x80

struct ecn_ctx {
	unsigned data_from_a;    /* A's data segments seen */
	unsigned mark_at;        /* the one to mark CE */
	bool marked;
	uint8_t tos_seen;        /* IP ECN bits of A's data segments, OR-ed */
};

/* The router of RFC 3168: mark one of A's data segments Congestion
 * Experienced (ECN bits 11) and fix the IPv4 header checksum. */
static void ecn_mangle(struct tn *t, uint8_t *f, size_t len, const struct rec *r)
{
	struct ecn_ctx *e = t->fctx;
	uint8_t *ip = f + 14;
	uint16_t ck;

	if (r->from != 0 || r->proto != IPPROTO_TCP || r->len == 0 || len < 34)
		return;
	e->tos_seen |= ip[1] & 3;
	if (++e->data_from_a != e->mark_at)
		return;
	ip[1] |= 3;
	ip[10] = ip[11] = 0;
	ck = inet_csum(ip, (size_t)(ip[0] & 0xf) * 4, 0);   /* host order */
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
	e->marked = true;
}

static void test_ecn(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct ecn_ctx e = { .mark_at = 20 };
	const struct rec *syn = NULL, *synack = NULL;
	struct conn c;
	size_t i, ece_acks = 0, cwr = 0;
	char v[16];

	(void)state;
	/* off by default: a plain SYN */
	conn_open(&c, 1, &p);
	assert_int_equal(dps_sim_tcp_param_get(c.t.a, "ecn", v, sizeof(v)), 0);
	assert_string_equal(v, "0");
	assert_int_equal(tcpc(c.t.a, "ecn_negotiated"), 0);
	conn_close(&c);

	tn_open(&c.t, 2, &p, 0, 0);
	param(&c.t, "ecn", "1");
	c.t.record = true;
	c.t.mangle = ecn_mangle;
	c.t.fctx = &e;
	c.lsd = t_listen(c.t.b, IP_B, PORT, 16);
	c.csd = -1;
	t_pair(&c.t, c.lsd, PORT, &c.csd, &c.ssd);
	for (i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 0 && (r->flags & (TH_SYN | TH_ACK)) == TH_SYN)
			syn = r;
		if (r->from == 1 && (r->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
			synack = r;
	}
	assert_non_null(syn);
	assert_non_null(synack);
	/* RFC 3168 6.1.1: an ECN-setup SYN has ECE and CWR, the SYN-ACK ECE only */
	assert_int_equal(syn->flags & (TH_ECE | TH_CWR), TH_ECE | TH_CWR);
	assert_int_equal(synack->flags & (TH_ECE | TH_CWR), TH_ECE);
	assert_int_equal(tcpc(c.t.a, "ecn_negotiated"), 1);
	assert_int_equal(tcpc(c.t.b, "ecn_negotiated"), 1);

	tn_clear(&c.t);
	{
		struct ep ep[2];

		ep_init(&ep[0], c.t.a, c.csd, "A", KEY_A, 512u << 10, KEY_B, 0);
		ep_init(&ep[1], c.t.b, c.ssd, "B", KEY_B, 0, KEY_A, 512u << 10);
		ep[0].shut_when_sent = ep[0].close_at_end = false;
		ep[1].shut_when_sent = ep[1].close_at_end = false;
		assert_true(ep_run(&c.t, ep, 2, tn_now(&c.t) + 20 * SEC));
	}
	assert_true(e.marked);
	/* data goes out ECN-capable: ECT(0) */
	assert_int_equal(e.tos_seen & 2, 2);
	for (i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 1 && (r->flags & TH_ECE))
			ece_acks++;
		if (r->from == 0 && (r->flags & TH_CWR))
			cwr++;
	}
	/* B echoes the mark until A says it reacted (CWR), once */
	assert_true(ece_acks >= 1);
	assert_int_equal(cwr, 1);
	/* the reaction is a congestion event without any loss */
	assert_int_equal(tcpc(c.t.a, "retrans_segs"), 0);
	conn_close(&c);
}

/* ======================================================================
 * Dead peers
 * ====================================================================== */

/* TCP_USER_TIMEOUT (RFC 5482): unacknowledged data older than this aborts
 * the connection with ETIMEDOUT. */
static void test_user_timeout(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct drop_ctx dc = { 0 };
	struct conn c;
	uint64_t t0, t_err = 0;
	char buf[8];

	(void)state;
	conn_open(&c, 1, &p);
	set_int(c.t.a, c.csd, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000);
	assert_int_equal(get_int(c.t.a, c.csd, IPPROTO_TCP, TCP_USER_TIMEOUT), 3000);
	c.t.filter = drop_filter;
	c.t.fctx = &dc;
	dc.drop_a = dc.drop_b = true;
	t0 = tn_now(&c.t);
	send_pattern(c.t.a, c.csd, KEY_A, 0, 1000);
	t_err = wait_pollerr(&c.t, c.t.a, c.csd, 20 * SEC);
	print_message("user timeout 3 s: aborted after %.3f s\n", (double)(t_err - t0) / SEC);
	assert_true(t_err != 0);
	assert_true(t_err >= t0 + 3 * SEC && t_err <= t0 + 3 * SEC + 500 * MS);
	assert_int_equal(dps_sim_recv(c.t.a, c.csd, buf, sizeof(buf), 0), -ETIMEDOUT);
	assert_int_equal(tcpc(c.t.a, "timeouts"), 1);
	assert_int_equal(dps_sim_close(c.t.a, c.csd), 0);
	assert_int_equal(dps_sim_sock_count(c.t.a), 0);
	conn_close(&c);
}

/* Without a user timeout, retries2 retransmissions abort a dead connection. */
static void test_retries_abort(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct drop_ctx dc = { 0 };
	struct conn c;
	uint64_t t0, t_err = 0;

	(void)state;
	conn_open_param(&c, 1, &p, "retries2", "4");
	c.t.filter = drop_filter;
	c.t.fctx = &dc;
	dc.drop_a = true;
	t0 = tn_now(&c.t);
	send_pattern(c.t.a, c.csd, KEY_A, 0, 1000);
	t_err = wait_pollerr(&c.t, c.t.a, c.csd, 60 * SEC);
	print_message("retries2=4: aborted after %.3f s, %llu retransmissions\n",
		      (double)(t_err - t0) / SEC,
		      (unsigned long long)tcpc(c.t.a, "retrans_segs"));
	assert_true(t_err != 0);
	assert_int_equal(get_int(c.t.a, c.csd, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	assert_int_equal(tcpc(c.t.a, "retrans_segs"), 4);
	assert_int_equal(tcpc(c.t.a, "timeouts"), 1);
	conn_close(&c);
}

/* Keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): an idle connection is
 * probed every keepidle; a peer that stops answering is given up after
 * keepcnt probes keepintvl apart. */
static void test_keepalive(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct drop_ctx dc = { 0 };
	struct conn c;
	uint64_t t0, ts[16] = { 0 }, t_err = 0;
	size_t n = 0;
	char buf[8];

	(void)state;
	conn_open(&c, 1, &p);
	set_int(c.t.a, c.csd, SOL_SOCKET, SO_KEEPALIVE, 1);
	set_int(c.t.a, c.csd, IPPROTO_TCP, TCP_KEEPIDLE, 10);
	set_int(c.t.a, c.csd, IPPROTO_TCP, TCP_KEEPINTVL, 2);
	set_int(c.t.a, c.csd, IPPROTO_TCP, TCP_KEEPCNT, 3);
	assert_int_equal(get_int(c.t.a, c.csd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(get_int(c.t.a, c.csd, IPPROTO_TCP, TCP_KEEPIDLE), 10);
	c.t.record = true;
	c.t.filter = drop_filter;
	c.t.fctx = &dc;
	t0 = tn_now(&c.t);
	tn_run(&c.t, 35 * SEC);
	for (size_t i = 0; i < c.t.nrecs; i++)
		if (c.t.recs[i].from == 0 && c.t.recs[i].proto == IPPROTO_TCP && n < 16)
			ts[n++] = c.t.recs[i].ts;
	/* probes at 10, 20, 30 s, each answered */
	print_message("keepalive probes at");
	for (size_t i = 0; i < n; i++)
		print_message(" %.3f", (double)(ts[i] - t0) / SEC);
	print_message(" s\n");
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_true(ts[i] - t0 + 10 * MS >= (i + 1) * 10 * SEC &&
			    ts[i] - t0 <= (i + 1) * 10 * SEC + 100 * MS);
	assert_int_equal(tcpc(c.t.a, "keepalive_probes"), 3);
	assert_int_equal(count_flags(&c.t, 1, TH_ACK), 3);
	/* B goes silent: 3 probes 2 s apart, then ETIMEDOUT */
	dc.drop_b = true;
	t0 = tn_now(&c.t);
	t_err = wait_pollerr(&c.t, c.t.a, c.csd, 30 * SEC);
	print_message("dead peer given up after %.3f s\n", (double)(t_err - t0) / SEC);
	assert_true(t_err != 0);
	/* Linux: keepcnt probes unanswered, then the reset at the next interval */
	assert_int_equal(tcpc(c.t.a, "keepalive_probes"), 3 + 3);
	assert_true(t_err >= t0 + 10 * SEC);
	assert_int_equal(dps_sim_recv(c.t.a, c.csd, buf, sizeof(buf), 0), -ETIMEDOUT);
	conn_close(&c);
}

/* ======================================================================
 * Attacks
 * ====================================================================== */

struct flood_ctx {
	uint16_t real_port;
};

/* The spoofed sources do not exist: their SYN-ACKs go nowhere. */
static bool flood_filter(struct tn *t, const struct rec *r)
{
	struct flood_ctx *f = t->fctx;

	return r->from == 1 && r->proto == IPPROTO_TCP && r->dport != f->real_port;
}

/* A SYN flood fills the SYN queue; SYN cookies (RFC 4987 3.6) answer the
 * rest and a real client still connects and moves data. */
static void test_syn_flood_cookies(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 2 * MS };
	struct flood_ctx fc = { 0 };
	struct sockaddr_in me;
	socklen_t mlen = sizeof(me);
	uint64_t rng = 12345, synacks = 0;
	struct ep e[2];
	struct tn t;
	uint8_t f[256], o[20];
	char bl[16];
	int lsd, csd, ssd;
	unsigned backlog;

	(void)state;
	tn_open(&t, 1, &p, 0, 0);
	warm_arp(&t);
	assert_int_equal(dps_sim_tcp_param_get(t.b, "syn_backlog", bl, sizeof(bl)), 0);
	backlog = (unsigned)strtoul(bl, NULL, 10);
	lsd = t_listen(t.b, IP_B, PORT, 128);
	csd = dps_sim_socket(t.a, SOCK_STREAM);
	{
		struct sockaddr_in sa;

		dps_sim_sockaddr(&sa, IP_A, 40000);
		assert_int_equal(dps_sim_bind(t.a, csd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	fc.real_port = 40000;
	t.filter = flood_filter;
	t.fctx = &fc;
	t.record = true;
	/* 400 SYNs from spoofed ports of A's address, Linux-like options */
	for (int i = 0; i < 400; i++) {
		struct seg_spec s = { .side = 0, .saddr = IPA_H, .daddr = IPB_H, .dport = PORT,
				      .flags = TH_SYN, .win = 64240, .opt = o, .optlen = 20 };

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		s.sport = (uint16_t)(1024 + (rng >> 33) % 30000);
		s.seq = (uint32_t)(rng >> 7);
		linux_syn_opts(o, 1460, (uint32_t)i, 7);
		assert_int_equal(dps_sim_inject(t.b, t.ifb, f, build_tcp(f, &s)), 0);
	}
	tn_run(&t, 10 * MS);
	for (size_t i = 0; i < t.nrecs; i++)
		if (t.recs[i].from == 1 && t.recs[i].flags == (TH_SYN | TH_ACK))
			synacks++;
	print_message("syn_backlog %u: %llu SYN-ACKs to 400 SYNs, %llu cookies, %u sockets\n",
		      backlog, (unsigned long long)synacks,
		      (unsigned long long)tcpc(t.b, "syncookies_sent"), dps_sim_sock_count(t.b));
	/* every distinct SYN answered, the queue bounded, cookies for the rest */
	assert_true(synacks >= 390);
	assert_true(tcpc(t.b, "syncookies_sent") >= 400 - backlog - 10);
	assert_true(dps_sim_sock_count(t.b) <= backlog + 1);
	/* the real client, while the queue is still full */
	t_pair(&t, lsd, PORT, &csd, &ssd);
	assert_int_equal(dps_sim_getsockname(t.a, csd, (struct sockaddr *)&me, &mlen), 0);
	assert_int_equal(ntohs(me.sin_port), 40000);
	assert_int_equal(tcpc(t.b, "syncookies_ok"), 1);
	ep_init(&e[0], t.a, csd, "A", KEY_A, 200000, KEY_B, 200000);
	ep_init(&e[1], t.b, ssd, "B", KEY_B, 200000, KEY_A, 200000);
	assert_true(ep_run(&t, e, 2, tn_now(&t) + 30 * SEC));
	/* the half-open ones give up after their SYN-ACK retries */
	tn_run(&t, 120 * SEC);
	assert_int_equal(dps_sim_sock_count(t.b), 1);   /* the listener */
	tn_close(&t);
}

/* syncookies 2: every SYN is answered with a cookie; the handshake and a
 * transfer work as with a SYN queue (the smallest case of the flood). */
static void test_syncookie_connection(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 2 * MS };
	struct ep e[2];
	struct tn t;
	int lsd, csd = -1, ssd;

	(void)state;
	tn_open(&t, 1, &p, 0, 0);
	assert_int_equal(dps_sim_tcp_param(t.b, "syncookies", "2"), 0);
	t.record = true;
	lsd = t_listen(t.b, IP_B, PORT, 16);
	t_pair(&t, lsd, PORT, &csd, &ssd);
	assert_int_equal(tcpc(t.b, "syncookies_sent"), 1);
	assert_int_equal(tcpc(t.b, "syncookies_ok"), 1);
	assert_int_equal(count_flags(&t, 1, TH_RST), 0);
	ep_init(&e[0], t.a, csd, "A", KEY_A, 300000, KEY_B, 300000);
	ep_init(&e[1], t.b, ssd, "B", KEY_B, 300000, KEY_A, 300000);
	assert_true(ep_run(&t, e, 2, tn_now(&t) + 30 * SEC));
	/* the cookie kept SACK and window scaling (timestamps carry them) */
	for (size_t i = 0; i < t.nrecs; i++)
		if (t.recs[i].from == 1 && t.recs[i].flags == (TH_SYN | TH_ACK)) {
			assert_true(t.recs[i].sackok && t.recs[i].has_ts && t.recs[i].ws >= 0);
		}
	tn_close(&t);
}

/* RFC 5961: a RST whose sequence number is in the window but not exact
 * gets a challenge ACK and changes nothing; a SYN on the connection too;
 * an exact RST resets it. */
static void test_rst_challenge_ack(void **state)
{
	struct dps_sim_link_params p = { .delay_ns = 5 * MS };
	struct conn c;
	uint8_t f[256];
	uint32_t a_nxt = 0, b_nxt = 0;
	uint16_t aport = 0;
	uint64_t t1, off = 0;
	unsigned challenges = 0;
	struct seg_spec s = { .side = 0, .saddr = IPA_H, .daddr = IPB_H, .dport = PORT };
	char buf[64];

	(void)state;
	conn_open(&c, 1, &p);
	c.t.record = true;
	send_pattern(c.t.a, c.csd, KEY_A, 0, 3000);
	send_pattern(c.t.b, c.ssd, KEY_B, 0, 3000);
	tn_run(&c.t, 200 * MS);
	assert_int_equal(drain_sock(c.t.b, c.ssd, KEY_A, &off), 3000);
	tn_run(&c.t, 100 * MS);   /* B's window update after the read goes out */
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->proto != IPPROTO_TCP)
			continue;
		if (r->from == 0) {
			aport = r->sport;
			if (!a_nxt || seq_before(a_nxt, rec_end(r)))
				a_nxt = rec_end(r);
		} else if (!b_nxt || seq_before(b_nxt, rec_end(r))) {
			b_nxt = rec_end(r);
		}
	}
	s.sport = aport;
	tn_clear(&c.t);
	/* in the window, not exact */
	s.flags = TH_RST;
	s.seq = a_nxt + 1000;
	t1 = tn_now(&c.t);
	assert_int_equal(dps_sim_inject(c.t.b, c.t.ifb, f, build_tcp(f, &s)), 0);
	tn_run(&c.t, 1 * MS);
	for (size_t i = 0; i < c.t.nrecs; i++) {
		const struct rec *r = &c.t.recs[i];

		if (r->from == 1 && r->proto == IPPROTO_TCP && r->flags == TH_ACK &&
		    r->seq == b_nxt && r->ack == a_nxt && r->ts == t1)
			challenges++;
	}
	if (challenges != 1 || verbose()) {
		dump_trace(&c.t, 20);
		print_message("challenge_acks %llu, acks_sent %llu\n",
			      (unsigned long long)tcpc(c.t.b, "challenge_acks"),
			      (unsigned long long)tcpc(c.t.b, "acks_sent"));
	}
	assert_int_equal(challenges, 1);
	assert_int_equal(tcpc(c.t.b, "challenge_acks"), 1);
	assert_int_equal(dps_sim_counter(c.t.b, "tcp_rst_invalid"), 1);
	assert_state(c.t.b, c.ssd, "ESTABLISHED");
	/* out of the window altogether: dropped without a word */
	tn_clear(&c.t);
	s.seq = a_nxt + 0x40000000u;
	assert_int_equal(dps_sim_inject(c.t.b, c.t.ifb, f, build_tcp(f, &s)), 0);
	tn_run(&c.t, 1 * MS);
	assert_int_equal(count_flags(&c.t, 1, 0), 0);
	assert_state(c.t.b, c.ssd, "ESTABLISHED");
	/* a SYN on the established connection: challenge ACK (RFC 5961 4) */
	s.flags = TH_SYN;
	s.seq = a_nxt + 5;
	assert_int_equal(dps_sim_inject(c.t.b, c.t.ifb, f, build_tcp(f, &s)), 0);
	tn_run(&c.t, 1 * MS);
	assert_int_equal(tcpc(c.t.b, "challenge_acks"), 2);
	assert_state(c.t.b, c.ssd, "ESTABLISHED");
	/* the connection still works */
	send_pattern(c.t.a, c.csd, KEY_A, 3000, 100);
	tn_run(&c.t, 100 * MS);
	assert_int_equal(drain_sock(c.t.b, c.ssd, KEY_A, &off), 100);
	a_nxt += 100;
	/* the exact sequence number resets it */
	s.flags = TH_RST;
	s.seq = a_nxt;
	assert_int_equal(dps_sim_inject(c.t.b, c.t.ifb, f, build_tcp(f, &s)), 0);
	assert_int_equal(dps_sim_recv(c.t.b, c.ssd, buf, sizeof(buf), 0), -ECONNRESET);
	assert_int_equal(tcpc(c.t.b, "rst_rx"), 1);
	assert_int_equal(tcpc(c.t.b, "challenge_acks"), 2);
	conn_close(&c);
}

/* ======================================================================
 * The socket API itself
 * ====================================================================== */

static void test_socket_api_errors(void **state)
{
	struct sockaddr_in sa, sa6;
	struct dps_sim_sock_info in;
	struct tn t;
	int s1, s2, v;
	socklen_t len = sizeof(v);
	char buf[8];

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	assert_true(dps_sim_socket(t.a, SOCK_RAW) < 0);
	s1 = dps_sim_socket(t.a, SOCK_STREAM | SOCK_NONBLOCK);
	s2 = dps_sim_socket(t.a, SOCK_STREAM);
	assert_true(s1 >= 0 && s2 >= 0 && s1 != s2);
	assert_int_equal(get_int(t.a, s1, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	dps_sim_sockaddr(&sa, IP_A, 7000);
	memcpy(&sa6, &sa, sizeof(sa));
	sa6.sin_family = AF_INET6;
	assert_int_equal(dps_sim_bind(t.a, s1, (struct sockaddr *)&sa6, sizeof(sa6)), -EAFNOSUPPORT);
	assert_int_equal(dps_sim_bind(t.a, s1, (struct sockaddr *)&sa, 4), -EINVAL);
	assert_int_equal(dps_sim_bind(t.a, s1, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(dps_sim_bind(t.a, s2, (struct sockaddr *)&sa, sizeof(sa)), -EADDRINUSE);
	dps_sim_sockaddr(&sa, "10.9.9.9", 7001);
	assert_int_equal(dps_sim_bind(t.a, s2, (struct sockaddr *)&sa, sizeof(sa)), -EADDRNOTAVAIL);
	assert_int_equal(dps_sim_accept(t.a, s1, NULL, NULL), -EINVAL);   /* not listening */
	assert_int_equal(dps_sim_listen(t.a, s1, 4), 0);
	assert_int_equal(dps_sim_accept(t.a, s1, NULL, NULL), -EAGAIN);
	assert_int_equal(dps_sim_recv(t.a, s1, buf, sizeof(buf), 0), -ENOTCONN);
	assert_int_equal(dps_sim_sock_info(t.a, s1, &in), 0);
	assert_string_equal(in.state, "LISTEN");
	assert_int_equal(ntohs(in.local.sin_port), 7000);
	/* options */
	assert_int_equal(dps_sim_getsockopt(t.a, s2, IPPROTO_TCP, 9999, &v, &len), -ENOPROTOOPT);
	set_int(t.a, s2, SOL_SOCKET, SO_RCVBUF, 65536);
	set_int(t.a, s2, SOL_SOCKET, SO_SNDBUF, 65536);
	assert_true(get_int(t.a, s2, SOL_SOCKET, SO_RCVBUF) >= 65536);
	assert_true(get_int(t.a, s2, SOL_SOCKET, SO_SNDBUF) >= 65536);
	set_int(t.a, s2, IPPROTO_TCP, TCP_NODELAY, 1);
	assert_int_equal(get_int(t.a, s2, IPPROTO_TCP, TCP_NODELAY), 1);
	set_int(t.a, s2, IPPROTO_TCP, TCP_MAXSEG, 1000);
	assert_int_equal(get_int(t.a, s2, IPPROTO_TCP, TCP_MAXSEG), 1000);
	/* closed sockets */
	assert_int_equal(dps_sim_close(t.a, s2), 0);
	assert_int_equal(dps_sim_close(t.a, s2), -EBADF);
	assert_int_equal(dps_sim_send(t.a, s2, "x", 1, 0), -EBADF);
	assert_int_equal(dps_sim_sock_info(t.a, s2, &in), -EBADF);
	{
		struct pollfd pf[2] = { { .fd = s2, .events = POLLIN }, { .fd = -1 } };

		assert_int_equal(dps_sim_poll(t.a, pf, 2), 1);
		assert_int_equal(pf[0].revents, POLLNVAL);
		assert_int_equal(pf[1].revents, 0);
	}
	assert_int_equal(dps_sim_close(t.a, s1), 0);
	assert_int_equal(dps_sim_sock_count(t.a), 0);
	/* tunables and counters by name */
	assert_int_equal(dps_sim_tcp_param(t.a, "no_such", "1"), -ENOENT);
	assert_int_equal(dps_sim_tcp_param(t.a, "sack", "2"), -EINVAL);
	assert_int_equal(dps_sim_tcp_param(t.a, "delack_ms", "x"), -EINVAL);
	assert_int_equal(dps_sim_tcp_param(t.a, "cc", "newreno"), 0);
	assert_int_equal(dps_sim_tcp_param_get(t.a, "cc", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "newreno");
	assert_true(dps_sim_counter_exists(t.a, "tcp_rto_events"));
	assert_true(dps_sim_counter_exists(t.a, "TCP_RTO_EVENTS"));
	assert_true(dps_sim_counter_exists(t.a, "udp_no_port"));
	assert_false(dps_sim_counter_exists(t.a, "tcp_no_such"));
	tn_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_socket_api_errors, tn_teardown),
		cmocka_unit_test_teardown(test_connect_refused, tn_teardown),
		cmocka_unit_test_teardown(test_syn_options_like_linux, tn_teardown),
		cmocka_unit_test_teardown(test_mss_clamping, tn_teardown),
		cmocka_unit_test_teardown(test_simultaneous_open, tn_teardown),
		cmocka_unit_test_teardown(test_simultaneous_close, tn_teardown),
		cmocka_unit_test_teardown(test_half_close, tn_teardown),
		cmocka_unit_test_teardown(test_linger_zero_resets, tn_teardown),
		cmocka_unit_test_teardown(test_listen_backlog, tn_teardown),
		cmocka_unit_test_teardown(test_nagle_and_nodelay, tn_teardown),
		cmocka_unit_test_teardown(test_delayed_ack, tn_teardown),
		cmocka_unit_test_teardown(test_rto_backoff, tn_teardown),
		cmocka_unit_test_teardown(test_syn_backoff_and_connect_timeout, tn_teardown),
		cmocka_unit_test_teardown(test_fast_retransmit_3_dupacks, tn_teardown),
		cmocka_unit_test_teardown(test_sack_repairs_holes_in_one_rtt, tn_teardown),
		cmocka_unit_test_teardown(test_zero_window_probe, tn_teardown),
		cmocka_unit_test_teardown(test_window_update_lost, tn_teardown),
		cmocka_unit_test_teardown(test_sack_blocks_on_data_fit_mtu, tn_teardown),
		cmocka_unit_test_teardown(test_time_wait_answers_fin, tn_teardown),
		cmocka_unit_test_teardown(test_ecn, tn_teardown),
		cmocka_unit_test_teardown(test_user_timeout, tn_teardown),
		cmocka_unit_test_teardown(test_retries_abort, tn_teardown),
		cmocka_unit_test_teardown(test_keepalive, tn_teardown),
		cmocka_unit_test_teardown(test_syncookie_connection, tn_teardown),
		cmocka_unit_test_teardown(test_syn_flood_cookies, tn_teardown),
		cmocka_unit_test_teardown(test_rst_challenge_ack, tn_teardown),
		cmocka_unit_test_teardown(test_bulk_clean_one_way, tn_teardown),
		cmocka_unit_test_teardown(test_bulk_both_ways_0pct, tn_teardown),
		cmocka_unit_test_teardown(test_bulk_both_ways_1pct, tn_teardown),
		cmocka_unit_test_teardown(test_bulk_both_ways_5pct, tn_teardown),
		cmocka_unit_test_teardown(test_bulk_both_ways_20pct, tn_teardown),
		cmocka_unit_test_teardown(test_deterministic_trace, tn_teardown),
	};

	if (dps_sim_global_init() != 0) {
		fprintf(stderr, "cannot start the simulation runtime\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
