/*
 * Fragments for local delivery (RFC 791, RFC 815): a fragmented echo
 * request is reassembled in any order and answered, the reply leaving
 * fragmented to the MTU; overlapping, oversized and badly cut fragments
 * are dropped and counted; incomplete datagrams expire on the clock and
 * give their mbufs back.
 */
#include "fixture.h"

#define ECHO_DATA   2972            /* 20 + 8 + 2972 = a 3000-byte datagram */
#define MSG_LEN     (8 + ECHO_DATA)

static uint8_t msg[MSG_LEN];

/* The ICMP echo request that the fragments below cut up. */
static struct ip4_spec big_echo(struct fx *fx, uint16_t id)
{
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	build_icmp(msg, RTE_IP_ICMP_ECHO_REQUEST, 0, 0xabcd, id, ECHO_DATA);
	s.id = id;
	return s;
}

struct piece {
	uint32_t off, len;
	bool more;
};

/* The usual cut at MTU 1500: 1480 + 1480 + 20 bytes of ICMP message. */
static const struct piece thirds[3] = {
	{ 0, 1480, true }, { 1480, 1480, true }, { 2960, 20, false },
};

static void deliver_pieces(struct fx *fx, const struct ip4_spec *s, const struct piece *p,
			   const unsigned *order, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		const struct piece *q = &p[order[i]];

		deliver(&fx->ifs[0], make_fragment(fx, s, msg, q->off, q->len, q->more));
	}
	run_until_idle(fx);
}

/* The reply left in fragments of at most 1500 bytes: put them together. */
static void expect_fragmented_reply(struct fx *fx, uint16_t seq)
{
	struct sim_if *sif = &fx->ifs[0];
	static uint8_t got[4000];
	static struct frame f;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)got;
	uint32_t total = 0, end = 0;
	unsigned n = 0, i;
	uint16_t id = 0;
	bool last = false;

	assert_int_equal(sent_count(sif), 3);
	while (take_frame(sif, &f)) {
		struct rte_ipv4_hdr *ih = expect_ip4(&f, sif->addr, sif->peer, IPPROTO_ICMP);
		uint16_t fo = rte_be_to_cpu_16(ih->fragment_offset);
		uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
		uint32_t len = frame_l4_len(&f);

		assert_true(rte_be_to_cpu_16(ih->total_length) <= 1500);
		assert_int_equal(ih->time_to_live, 64);
		if (n++ == 0)
			id = ih->packet_id;
		assert_int_equal(ih->packet_id, id);
		assert_int_equal(off, end);
		assert_true(off + len <= sizeof(got));
		memcpy(got + off, frame_l4(&f), len);
		end = off + len;
		total += len;
		last = !(fo & RTE_IPV4_HDR_MF_FLAG);
		if (!last)
			assert_int_equal(len % 8, 0);
	}
	assert_true(last);
	assert_int_equal(total, MSG_LEN);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ic->icmp_code, 0);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_ident), 0xabcd);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_seq_nb), seq);
	assert_true(inet_cksum_ok(got, MSG_LEN));
	for (i = 0; i < ECHO_DATA; i++)
		if (got[8 + i] != echo_pattern(i))
			fail_msg("reply data byte %u differs", i);
}

static void test_reassemble_in_order(void **state)
{
	static const unsigned order[] = { 0, 1, 2 };
	struct fx *fx = *state;
	struct ip4_spec s = big_echo(fx, 1);

	deliver_pieces(fx, &s, thirds, order, 3);
	expect_fragmented_reply(fx, 1);
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_reassemble_out_of_order(void **state)
{
	static const unsigned orders[][3] = {
		{ 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 }, { 1, 0, 2 }, { 0, 2, 1 },
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < RTE_DIM(orders); i++) {
		struct ip4_spec s = big_echo(fx, (uint16_t)(10 + i));

		deliver_pieces(fx, &s, thirds, orders[i], 3);
		expect_fragmented_reply(fx, (uint16_t)(10 + i));
	}
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* Two datagrams from the same source interleaved, told apart by their id. */
static void test_reassemble_interleaved(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec a = big_echo(fx, 21), b = big_echo(fx, 22);
	unsigned i;

	for (i = 0; i < 3; i++) {
		deliver(&fx->ifs[0], make_fragment(fx, &a, msg, thirds[i].off, thirds[i].len,
						    thirds[i].more));
		deliver(&fx->ifs[0], make_fragment(fx, &b, msg, thirds[2 - i].off,
						    thirds[2 - i].len, thirds[2 - i].more));
	}
	run_until_idle(fx);
	assert_int_equal(sent_count(&fx->ifs[0]), 6);
	drop_sent(fx);
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* A datagram that was small enough all along, just cut small. */
static void test_reassemble_small_pieces(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	static const struct piece p[4] = {
		{ 0, 16, true }, { 16, 8, true }, { 24, 40, true }, { 64, 1, false },
	};
	static const unsigned order[] = { 3, 0, 2, 1 };
	struct frame f;

	build_icmp(msg, RTE_IP_ICMP_ECHO_REQUEST, 0, 0xabcd, 5, 57);
	deliver_pieces(fx, &s, p, order, 4);
	expect_frame(&fx->ifs[0], &f);
	expect_ip4(&f, fx->ifs[0].addr, fx->ifs[0].peer, IPPROTO_ICMP);
	assert_int_equal(frame_l4_len(&f), 65);
	assert_int_equal(frame_icmp(&f)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_true(inet_cksum_ok(frame_icmp(&f), 65));
	assert_memory_equal(frame_l4(&f) + 8, msg + 8, 57);
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* Overlaps whose lengths add up to too much, and exactly enough. */
static void test_overlapping_fragments_dropped(void **state)
{
	static const struct piece too_much[3] = {
		{ 0, 1480, true }, { 1000, 1480, true }, { 2480, 500, false },
	};
	static const struct piece with_gap[3] = {
		{ 0, 1480, true }, { 1000, 1480, true }, { 2960, 20, false },
	};
	static const unsigned order[] = { 0, 1, 2 };
	struct fx *fx = *state;
	unsigned before = pool_free(fx);
	struct ip4_spec s = big_echo(fx, 31);

	deliver_pieces(fx, &s, too_much, order, 3);
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 3);
	assert_int_equal(pool_free(fx), before);

	/* 1480 + 1480 + 20 = the datagram's length, but 1000..1480 twice and
	 * 2480..2960 never */
	s = big_echo(fx, 32);
	deliver_pieces(fx, &s, with_gap, order, 3);
	expect_nothing_sent(fx);
	/* held until it times out, or dropped at once: never answered */
	advance_ms(fx, fx->st->params.frag_timeout_ms + 1);
	tick_worker(fx);
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 6);
	assert_int_equal(pool_free(fx), before);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
}

static void test_duplicate_first_fragment_dropped(void **state)
{
	static const unsigned order[] = { 0, 0, 1, 2 };
	struct fx *fx = *state;
	struct ip4_spec s = big_echo(fx, 33);

	deliver_pieces(fx, &s, thirds, order, 4);
	expect_nothing_sent(fx);
	/* the whole datagram goes; the late ones start a new one that expires */
	advance_ms(fx, fx->st->params.frag_timeout_ms + 1);
	tick_worker(fx);
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 4);
}

static void test_fragment_beyond_65535(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	static uint8_t data[16];

	/* offset 65528 + 16 bytes + 20 of header > 65535 */
	s.frag = 65528 / 8;
	deliver_and_run(&fx->ifs[0], make_ip4(fx, &s, data, sizeof(data)));
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_OVERSIZE, 1);
	/* with MF too */
	s.frag = RTE_IPV4_HDR_MF_FLAG | 65528 / 8;
	deliver_and_run(&fx->ifs[0], make_ip4(fx, &s, data, sizeof(data)));
	expect_err(fx, IP4_FRAG_OVERSIZE, 2);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_OVERSIZE, DPS_ERR__MAX);
}

/* The largest legal end (65535) is accepted as a fragment. */
static void test_fragment_ending_at_65535_kept(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec f = ip4_from_peer(&fx->ifs[0]);
	static uint8_t data[8];
	unsigned before = pool_free(fx);

	f.frag = 65512 / 8;   /* 20 + 65512 + 3 = 65535 */
	deliver_and_run(&fx->ifs[0], make_ip4(fx, &f, data, 3));
	expect_only_errs(fx, DPS_ERR__MAX);
	assert_int_equal(pool_free(fx), before - 1);   /* held for reassembly */
	advance_ms(fx, fx->st->params.frag_timeout_ms + 1);
	tick_worker(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 1);
	assert_int_equal(pool_free(fx), before);
}

static void test_fragment_not_multiple_of_8(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big_echo(fx, 41);

	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 0, 100, true));
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_BAD_LEN, 1);
	/* an empty non-final fragment is as bad */
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 8, 0, true));
	expect_err(fx, IP4_FRAG_BAD_LEN, 2);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_BAD_LEN, DPS_ERR__MAX);
}

static void test_incomplete_datagram_expires(void **state)
{
	static const unsigned order[] = { 0, 2 };
	struct fx *fx = *state;
	const uint64_t timeout = fx->st->params.frag_timeout_ms;
	unsigned before = pool_free(fx);
	struct ip4_spec s = big_echo(fx, 51);

	deliver_pieces(fx, &s, thirds, order, 2);
	expect_nothing_sent(fx);
	assert_int_equal(pool_free(fx), before - 2);

	advance_ms(fx, timeout - 1);
	tick_worker(fx);
	assert_int_equal(pool_free(fx), before - 2);
	expect_err(fx, IP4_FRAG_DROPPED, 0);

	advance_ms(fx, 2);
	tick_worker(fx);
	assert_int_equal(pool_free(fx), before);
	expect_err(fx, IP4_FRAG_DROPPED, 2);

	/* the missing middle, too late: it starts a datagram of its own */
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 1480, 1480, true));
	expect_nothing_sent(fx);
	advance_ms(fx, timeout + 1);
	tick_worker(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 3);
	assert_int_equal(pool_free(fx), before);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
}

/* More fragments than rte_ip_frag keeps (RTE_LIBRTE_IP_FRAG_MAX_FRAG). */
static void test_too_many_fragments_dropped(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big_echo(fx, 61);
	unsigned before = pool_free(fx), i, n = RTE_LIBRTE_IP_FRAG_MAX_FRAG + 2;
	uint32_t step = (MSG_LEN / n) & ~7u;

	for (i = 0; i < n; i++) {
		uint32_t off = i * step;
		uint32_t len = i + 1 < n ? step : MSG_LEN - off;

		deliver(&fx->ifs[0], make_fragment(fx, &s, msg, off, len, i + 1 < n));
	}
	run_until_idle(fx);
	expect_nothing_sent(fx);
	advance_ms(fx, fx->st->params.frag_timeout_ms + 1);
	tick_worker(fx);
	expect_err(fx, IP4_FRAG_DROPPED, n);
	assert_int_equal(pool_free(fx), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_reassemble_in_order, fx_setup_two),
		fx_test(test_reassemble_out_of_order, fx_setup_two),
		fx_test(test_reassemble_interleaved, fx_setup_two),
		fx_test(test_reassemble_small_pieces, fx_setup_two),
		fx_test(test_overlapping_fragments_dropped, fx_setup_two),
		fx_test(test_duplicate_first_fragment_dropped, fx_setup_two),
		fx_test(test_fragment_beyond_65535, fx_setup_two),
		fx_test(test_fragment_ending_at_65535_kept, fx_setup_two),
		fx_test(test_fragment_not_multiple_of_8, fx_setup_two),
		fx_test(test_incomplete_datagram_expires, fx_setup_two),
		fx_test(test_too_many_fragments_dropped, fx_setup_two),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
