/*
 * Fragments for local delivery (RFC 791, RFC 815): a fragmented echo
 * request is reassembled in any order and answered, the reply leaving
 * fragmented to the MTU, up to the largest datagram (65535 bytes, 45
 * fragments at MTU 1500); duplicates are dropped alone; overlapping,
 * conflicting, oversized, badly cut and too many fragments are dropped and
 * counted; incomplete datagrams expire on the clock and give their mbufs
 * back; the table's limits (datagrams, fragments held) hold.
 */
#include "fixture.h"

#define ECHO_DATA   2972            /* 20 + 8 + 2972 = a 3000-byte datagram */
#define MSG_LEN     (8 + ECHO_DATA)
#define BIG_DATA    (UINT16_MAX - 20 - 8)   /* the largest echo: a 65535-byte datagram */
#define BIG_LEN     (8 + BIG_DATA)
#define FRAG_DATA   1480                    /* per fragment at MTU 1500 */
#define BIG_FRAGS   ((BIG_LEN + FRAG_DATA - 1) / FRAG_DATA)   /* 45 */

static uint8_t msg[BIG_LEN];

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

/* The reply to an echo of msg_len bytes of ICMP left in nfrags fragments of
 * at most 1500 bytes: put them together and check it. */
static void expect_reply_of(struct fx *fx, uint16_t seq, uint32_t msg_len, unsigned nfrags)
{
	struct sim_if *sif = &fx->ifs[0];
	static uint8_t got[BIG_LEN];
	static struct frame f;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)got;
	uint32_t total = 0, end = 0;
	unsigned n = 0, i;
	uint16_t id = 0;
	bool last = false;

	assert_int_equal(sent_count(sif), nfrags);
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
	assert_int_equal(total, msg_len);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ic->icmp_code, 0);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_ident), 0xabcd);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_seq_nb), seq);
	assert_true(inet_cksum_ok(got, msg_len));
	for (i = 0; i < msg_len - 8; i++)
		if (got[8 + i] != echo_pattern(i))
			fail_msg("reply data byte %u differs", i);
}

static void expect_fragmented_reply(struct fx *fx, uint16_t seq)
{
	expect_reply_of(fx, seq, MSG_LEN, 3);
}

/* Let whatever is in reassembly time out: ip4_frag_dropped reaches
 * `dropped` and the main pool holds `pool_before` free mbufs again. */
static void expire_all(struct fx *fx, uint64_t dropped, unsigned pool_before)
{
	advance_ms(fx, fx->st->params.frag_timeout_ms);
	tick_worker(fx);
	expect_err(fx, IP4_FRAG_DROPPED, dropped);
	assert_int_equal(pool_free(fx), pool_before);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
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

/*
 * Overlaps drop the whole datagram (Linux since 4.19, after RFC 5722): the
 * first two fragments go at once, and the third, arriving after them,
 * begins a datagram of its own that never completes.
 */
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
	expect_err(fx, IP4_FRAG_DROPPED, 2);
	assert_int_equal(pool_free(fx), before - 1);

	/* 1480 + 1480 + 20 = the datagram's length, but 1000..1480 twice and
	 * 2480..2960 never */
	s = big_echo(fx, 32);
	deliver_pieces(fx, &s, with_gap, order, 3);
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 4);
	assert_int_equal(pool_free(fx), before - 2);
	expire_all(fx, 6, before);
	expect_nothing_sent(fx);
}

/*
 * A fragment wholly inside data already held is a duplicate: dropped
 * alone, the datagram still completes (Linux inet_frag_queue_insert,
 * RFC 5722 erratum 3089). rte_ip_frag, used before, dropped the datagram.
 */
static void test_duplicate_fragment_ignored(void **state)
{
	static const unsigned order[] = { 0, 0, 1, 0, 2 };
	struct fx *fx = *state;
	struct ip4_spec s = big_echo(fx, 33);

	deliver_pieces(fx, &s, thirds, order, 5);
	expect_fragmented_reply(fx, 33);
	expect_err(fx, IP4_FRAG_DROPPED, 2);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
}

/* A final fragment fixes the length: another final fragment with a
 * different end, or data past it, drops the datagram. */
static void test_conflicting_final_fragment(void **state)
{
	struct fx *fx = *state;
	unsigned before = pool_free(fx);
	struct ip4_spec s = big_echo(fx, 34);

	deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 0, 1480, true));
	deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 2960, 20, false));
	deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 2984, 6, false));
	run_until_idle(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 3);
	assert_int_equal(pool_free(fx), before);

	s = big_echo(fx, 35);
	deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 2960, 20, false));
	deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 2984, 8, true));
	run_until_idle(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 5);
	/* and a final fragment short of data already held */
	s = big_echo(fx, 36);
	deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 1480, 1480, true));
	deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 8, 16, false));
	run_until_idle(fx);
	expect_err(fx, IP4_FRAG_DROPPED, 7);
	expect_nothing_sent(fx);
	assert_int_equal(pool_free(fx), before);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
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
	expire_all(fx, 1, before);
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
	expire_all(fx, 3, before);
}

/* ---- the largest datagrams: 45 fragments at MTU 1500 ---- */

static struct piece big_cut[BIG_FRAGS];

/* The 65535-byte echo request, cut at MTU 1500. */
static struct ip4_spec big65k_echo(struct fx *fx, uint16_t id)
{
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	unsigned i;

	build_icmp(msg, RTE_IP_ICMP_ECHO_REQUEST, 0, 0xabcd, id, BIG_DATA);
	for (i = 0; i < BIG_FRAGS; i++) {
		big_cut[i].off = i * FRAG_DATA;
		big_cut[i].len = RTE_MIN((uint32_t)FRAG_DATA, BIG_LEN - i * FRAG_DATA);
		big_cut[i].more = i + 1 < BIG_FRAGS;
	}
	s.id = id;
	return s;
}

static void expect_big_reply(struct fx *fx, uint16_t seq)
{
	expect_reply_of(fx, seq, BIG_LEN, BIG_FRAGS);
}

/* A deterministic shuffle (Fisher-Yates on a 64-bit LCG) of 0..n-1. */
static void shuffle(unsigned *order, unsigned n, uint64_t seed)
{
	unsigned i;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		unsigned j, t;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		j = (unsigned)((seed >> 33) % (i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

static void test_reassemble_45_in_order(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big65k_echo(fx, 100);
	unsigned order[BIG_FRAGS], i;

	assert_int_equal(BIG_FRAGS, 45);
	for (i = 0; i < BIG_FRAGS; i++)
		order[i] = i;
	deliver_pieces(fx, &s, big_cut, order, BIG_FRAGS);
	expect_big_reply(fx, 100);
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_reassemble_45_reversed(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big65k_echo(fx, 101);
	unsigned order[BIG_FRAGS], i;

	for (i = 0; i < BIG_FRAGS; i++)
		order[i] = BIG_FRAGS - 1 - i;
	deliver_pieces(fx, &s, big_cut, order, BIG_FRAGS);
	expect_big_reply(fx, 101);
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_reassemble_45_shuffled(void **state)
{
	struct fx *fx = *state;
	unsigned order[BIG_FRAGS];

	for (uint16_t k = 0; k < 4; k++) {
		struct ip4_spec s = big65k_echo(fx, (uint16_t)(110 + k));

		shuffle(order, BIG_FRAGS, 0x5eed0000u + k);
		deliver_pieces(fx, &s, big_cut, order, BIG_FRAGS);
		expect_big_reply(fx, (uint16_t)(110 + k));
	}
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* Duplicates in a shuffled arrival, one of them straddling two fragments
 * already held: each is dropped alone and the datagram completes. */
static void test_reassemble_45_duplicates(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big65k_echo(fx, 120);
	unsigned order[BIG_FRAGS], i, ndup = 0;
	struct sim_if *sif = &fx->ifs[0];

	shuffle(order, BIG_FRAGS, 0xd0b1e);
	for (i = 0; i < BIG_FRAGS; i++) {
		const struct piece *q = &big_cut[order[i]];

		deliver(sif, make_fragment(fx, &s, msg, q->off, q->len, q->more));
		if (i + 1 < BIG_FRAGS && i % 4 == 0) {
			/* a copy of the one just sent, and of the very first */
			deliver(sif, make_fragment(fx, &s, msg, q->off, q->len, q->more));
			q = &big_cut[order[0]];
			deliver(sif, make_fragment(fx, &s, msg, q->off, q->len, q->more));
			ndup += 2;
		}
		if (i == 30) {
			/* everything is in but for 14 pieces: find two
			 * neighbours held and send what straddles them */
			run_until_idle(fx);
			for (unsigned a = 0; a + 1 < BIG_FRAGS - 1; a++) {
				bool ha = false, hb = false;

				for (unsigned j = 0; j <= i; j++) {
					ha |= order[j] == a;
					hb |= order[j] == a + 1;
				}
				if (ha && hb) {
					deliver(sif, make_fragment(fx, &s, msg, a * FRAG_DATA + 8,
								   FRAG_DATA, true));
					ndup++;
					break;
				}
			}
			assert_int_equal(ndup, 17);
		}
	}
	run_until_idle(fx);
	expect_big_reply(fx, 120);
	expect_err(fx, IP4_FRAG_DROPPED, ndup);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
}

/* A fragment that overlaps one held and runs past it into a gap drops the
 * whole datagram at once; the rest, arriving later, expires. */
static void test_reassemble_45_overlap(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big65k_echo(fx, 130);
	unsigned order[BIG_FRAGS], i, before = pool_free(fx);

	for (i = 0; i < BIG_FRAGS; i++)
		order[i] = i;
	deliver_pieces(fx, &s, big_cut, order, 20);
	assert_int_equal(pool_free(fx), before - 20);
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 19 * FRAG_DATA + 8, FRAG_DATA,
						    true));
	expect_err(fx, IP4_FRAG_DROPPED, 21);
	assert_int_equal(pool_free(fx), before);
	deliver_pieces(fx, &s, big_cut, order + 20, BIG_FRAGS - 20);
	expect_nothing_sent(fx);
	assert_int_equal(pool_free(fx), before - (BIG_FRAGS - 20));
	expire_all(fx, 21 + BIG_FRAGS - 20, before);
}

/* One fragment of 45 missing: the 44 others are held for frag_timeout_ms
 * from the first one's arrival, then freed; the straggler starts anew. */
static void test_reassemble_45_missing_expires(void **state)
{
	struct fx *fx = *state;
	const uint64_t timeout = fx->st->params.frag_timeout_ms;
	struct ip4_spec s = big65k_echo(fx, 140);
	unsigned order[BIG_FRAGS - 1], i, n = 0, before = pool_free(fx);

	for (i = 0; i < BIG_FRAGS; i++)
		if (i != 30)
			order[n++] = i;
	deliver_pieces(fx, &s, big_cut, order, n);
	advance_ms(fx, timeout / 2);
	tick_worker(fx);
	expect_nothing_sent(fx);
	assert_int_equal(pool_free(fx), before - n);
	advance_ms(fx, timeout - timeout / 2 - 1);
	tick_worker(fx);
	assert_int_equal(pool_free(fx), before - n);
	expect_err(fx, IP4_FRAG_DROPPED, 0);
	advance_ms(fx, 1);
	tick_worker(fx);
	assert_int_equal(pool_free(fx), before);
	expect_err(fx, IP4_FRAG_DROPPED, n);

	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, big_cut[30].off, big_cut[30].len,
						    true));
	expect_nothing_sent(fx);
	assert_int_equal(pool_free(fx), before - 1);
	expire_all(fx, n + 1, before);
}

/* The first fragment carries 40 bytes of options, the others none: every
 * fragment ends within 65535 bytes but the datagram would be 65575. */
static void test_reassembled_datagram_beyond_65535(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big65k_echo(fx, 150), first;
	unsigned i, before = pool_free(fx);

	first = s;
	first.opt_len = 40;
	deliver(&fx->ifs[0], make_fragment(fx, &first, msg, 0, FRAG_DATA, true));
	for (i = 1; i < BIG_FRAGS; i++)
		deliver(&fx->ifs[0], make_fragment(fx, &s, msg, big_cut[i].off, big_cut[i].len,
						   big_cut[i].more));
	run_until_idle(fx);
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_OVERSIZE, BIG_FRAGS);
	assert_int_equal(pool_free(fx), before);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_OVERSIZE, DPS_ERR__MAX);
}

/* IP4_FRAG_MAX_PER_DGRAM fragments make a datagram; one more drops it. */
static void test_most_fragments_reassembled(void **state)
{
	static struct piece p[IP4_FRAG_MAX_PER_DGRAM];
	static unsigned order[IP4_FRAG_MAX_PER_DGRAM];
	struct fx *fx = *state;
	struct ip4_spec s = big_echo(fx, 60);
	unsigned i, n = IP4_FRAG_MAX_PER_DGRAM;

	for (i = 0; i < n; i++) {
		p[i].off = i * 8;
		p[i].len = i + 1 < n ? 8 : MSG_LEN - i * 8;
		p[i].more = i + 1 < n;
	}
	shuffle(order, n, 60);
	deliver_pieces(fx, &s, p, order, n);
	expect_fragmented_reply(fx, 60);
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_too_many_fragments_dropped(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = big_echo(fx, 61);
	unsigned before = pool_free(fx), i, n = IP4_FRAG_MAX_PER_DGRAM + 1;

	for (i = 0; i < n; i++) {
		uint32_t off = i * 8;
		uint32_t len = i + 1 < n ? 8 : MSG_LEN - off;

		deliver(&fx->ifs[0], make_fragment(fx, &s, msg, off, len, i + 1 < n));
	}
	run_until_idle(fx);
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_DROPPED, n);
	assert_int_equal(pool_free(fx), before);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
}

/* Deliver the first piece of `thirds` for ids first..first+n-1, in batches
 * the simulated receive queue takes. */
static void deliver_first_thirds(struct fx *fx, uint16_t first, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct ip4_spec s = big_echo(fx, (uint16_t)(first + i));

		deliver(&fx->ifs[0], make_fragment(fx, &s, msg, 0, 1480, true));
		if (fx->ifs[0].rx_n == SIM_RXQ)
			run_until_idle(fx);
	}
	run_until_idle(fx);
}

/*
 * IP4_FRAG_MAX_DGRAMS datagrams in reassembly fill the table: a fragment
 * of one more is dropped, those of datagrams already in go on; when the
 * table is full the oldest, if expired, gives way even before the tick.
 */
static void test_reassembly_table_full(void **state)
{
	struct fx *fx = *state;
	const uint64_t timeout = fx->st->params.frag_timeout_ms;
	unsigned before = pool_free(fx), n = IP4_FRAG_MAX_DGRAMS;
	struct ip4_spec s;

	deliver_first_thirds(fx, 1000, n);
	expect_only_errs(fx, DPS_ERR__MAX);
	assert_int_equal(pool_free(fx), before - n);

	s = big_echo(fx, (uint16_t)(1000 + n));   /* one too many */
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 1480, 1480, true));
	expect_err(fx, IP4_FRAG_DROPPED, 1);
	assert_int_equal(pool_free(fx), before - n);

	s = big_echo(fx, 1005);                     /* one that is in */
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 2960, 20, false));
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 1480, 1480, true));
	expect_fragmented_reply(fx, 1005);
	assert_int_equal(pool_free(fx), before - (n - 1));

	s = big_echo(fx, (uint16_t)(1000 + n));   /* its place is free now */
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 1480, 1480, true));
	assert_int_equal(pool_free(fx), before - n);
	expect_err(fx, IP4_FRAG_DROPPED, 1);

	/* all expired, no tick yet: a new datagram takes the oldest's place */
	advance_ms(fx, timeout);
	drop_sent(fx);   /* ARP probes for the peer the reply went to */
	s = big_echo(fx, (uint16_t)(1001 + n));
	deliver_and_run(&fx->ifs[0], make_fragment(fx, &s, msg, 0, 1480, true));
	expect_err(fx, IP4_FRAG_DROPPED, 2);
	assert_int_equal(pool_free(fx), before - n);

	tick_worker(fx);   /* the rest */
	expect_err(fx, IP4_FRAG_DROPPED, n + 1);
	assert_int_equal(pool_free(fx), before - 1);
	advance_ms(fx, timeout);
	tick_worker(fx);
	drop_sent(fx);
	expect_err(fx, IP4_FRAG_DROPPED, n + 2);
	assert_int_equal(pool_free(fx), before);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
}

/*
 * Fragments held by the worker are bounded (a quarter of the mbuf pool
 * here): incomplete 65535-byte datagrams fill the slots, further
 * fragments are dropped; once they expire a whole datagram goes through.
 */
static void test_reassembly_held_limit(void **state)
{
	struct fx *fx = *state;
	const uint32_t held = ip4_frag_held_max(fx->w);
	unsigned before = pool_free(fx), ndgrams = held / (BIG_FRAGS - 1) + 1, k, i, sent = 0;
	unsigned order[BIG_FRAGS];
	struct ip4_spec s;

	assert_true(held >= IP4_FRAG_MAX_PER_DGRAM && held <= IP4_FRAG_MAX_HELD);
	assert_true(held <= fx->st->pool->size / 4);
	assert_true(ndgrams < IP4_FRAG_MAX_DGRAMS);
	for (k = 0; k < ndgrams; k++) {
		s = big65k_echo(fx, (uint16_t)(2000 + k));
		for (i = 0; i + 1 < BIG_FRAGS; i++) {   /* never the last */
			deliver(&fx->ifs[0], make_fragment(fx, &s, msg, big_cut[i].off,
							   big_cut[i].len, true));
			sent++;
			if (fx->ifs[0].rx_n == SIM_RXQ)
				run_until_idle(fx);
		}
	}
	run_until_idle(fx);
	expect_nothing_sent(fx);
	expect_err(fx, IP4_FRAG_DROPPED, sent - held);
	assert_int_equal(pool_free(fx), before - held);

	expire_all(fx, sent, before);

	s = big65k_echo(fx, 3000);
	shuffle(order, BIG_FRAGS, 3000);
	deliver_pieces(fx, &s, big_cut, order, BIG_FRAGS);
	expect_big_reply(fx, 3000);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_DROPPED, DPS_ERR__MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_reassemble_in_order, fx_setup_two),
		fx_test(test_reassemble_out_of_order, fx_setup_two),
		fx_test(test_reassemble_interleaved, fx_setup_two),
		fx_test(test_reassemble_small_pieces, fx_setup_two),
		fx_test(test_overlapping_fragments_dropped, fx_setup_two),
		fx_test(test_duplicate_fragment_ignored, fx_setup_two),
		fx_test(test_conflicting_final_fragment, fx_setup_two),
		fx_test(test_fragment_beyond_65535, fx_setup_two),
		fx_test(test_fragment_ending_at_65535_kept, fx_setup_two),
		fx_test(test_fragment_not_multiple_of_8, fx_setup_two),
		fx_test(test_incomplete_datagram_expires, fx_setup_two),
		fx_test(test_most_fragments_reassembled, fx_setup_two),
		fx_test(test_too_many_fragments_dropped, fx_setup_two),
		fx_test(test_reassemble_45_in_order, fx_setup_two),
		fx_test(test_reassemble_45_reversed, fx_setup_two),
		fx_test(test_reassemble_45_shuffled, fx_setup_two),
		fx_test(test_reassemble_45_duplicates, fx_setup_two),
		fx_test(test_reassemble_45_overlap, fx_setup_two),
		fx_test(test_reassemble_45_missing_expires, fx_setup_two),
		fx_test(test_reassembled_datagram_beyond_65535, fx_setup_two),
		fx_test(test_reassembly_table_full, fx_setup_two),
		fx_test(test_reassembly_held_limit, fx_setup_two),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
