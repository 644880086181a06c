/*
 * The pure parts of TCP: sequence arithmetic, options, SipHash and ISNs,
 * SYN cookies, the RTT estimator. No EAL: hand-built option bytes and
 * times passed in.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_isn.h"
#include "tcp/tcp_options.h"
#include "tcp/tcp_rtt.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_syncookie.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- sequence numbers ---- */

static void test_seq_wrap(void **state)
{
	const uint32_t a = 0xFFFFFF00u;

	(void)state;
	/* Across the wrap: 0x10 is 0x110 after 0xFFFFFF00. */
	assert_true(seq_lt(a, 0x10));
	assert_true(seq_leq(a, 0x10));
	assert_true(seq_gt(0x10, a));
	assert_true(seq_geq(0x10, a));
	assert_false(seq_lt(0x10, a));
	assert_false(seq_gt(a, 0x10));
	/* Equality. */
	assert_true(seq_leq(a, a));
	assert_true(seq_geq(a, a));
	assert_false(seq_lt(a, a));
	assert_false(seq_gt(a, a));
	/* Neighbours across 0. */
	assert_true(seq_lt(0xFFFFFFFFu, 0));
	assert_true(seq_gt(0, 0xFFFFFFFFu));
	/* Just under half the space ahead is ahead; just over is behind. */
	assert_true(seq_lt(a, a + 0x7FFFFFFFu));
	assert_true(seq_gt(a, a + 0x80000001u));
	/* between, inclusive, across the wrap. */
	assert_true(seq_between(a, a, 0x10));
	assert_true(seq_between(0x10, a, 0x10));
	assert_true(seq_between(0, a, 0x10));
	assert_true(seq_between(0xFFFFFFFFu, a, 0x10));
	assert_false(seq_between(a - 1, a, 0x10));
	assert_false(seq_between(0x11, a, 0x10));
	assert_true(seq_between(a, a, a));
	/* "SND.UNA < SEG.ACK =< SND.NXT" as seq_between(ack, una + 1, nxt). */
	assert_false(seq_between(0xFFFFFFFFu, 0xFFFFFFFFu + 1, 0x20));
	assert_true(seq_between(0, 0xFFFFFFFFu + 1, 0x20));
	/* max/min across the wrap. */
	assert_int_equal(seq_max(a, 0x10), 0x10);
	assert_int_equal(seq_max(0x10, a), 0x10);
	assert_int_equal(seq_min(a, 0x10), a);
	assert_int_equal(seq_min(0x10, a), a);
}

/* ---- options ---- */

static void test_opts_linux_syn_layout(void **state)
{
	/* mss 1460, sackOK, TS val 0x01020304 ecr 0, nop, wscale 7. */
	static const uint8_t want[20] = {
		0x02, 0x04, 0x05, 0xb4,
		0x04, 0x02, 0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x03, 0x03, 0x07,
	};
	struct tcp_opts o = {
		.present = TCP_OPTF_MSS | TCP_OPTF_SACKOK | TCP_OPTF_TS | TCP_OPTF_WSCALE,
		.mss = 1460, .wscale = 7, .tsval = 0x01020304, .tsecr = 0,
	};
	uint8_t buf[40];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tcp_opts_build_syn(&o, buf, sizeof(buf)), 20);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[20], 0xee); /* nothing written past the end */
	/* Exactly 20 bytes of room is enough; 19 is not, and writes nothing. */
	assert_int_equal(tcp_opts_build_syn(&o, buf, 20), 20);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tcp_opts_build_syn(&o, buf, 19), -ENOSPC);
	assert_int_equal(buf[0], 0xee);
	/* Window scale above 14 is refused. */
	o.wscale = 15;
	assert_int_equal(tcp_opts_build_syn(&o, buf, sizeof(buf)), -EINVAL);
}

static void test_opts_syn_variants(void **state)
{
	static const uint8_t ts_only[20] = {
		0x02, 0x04, 0x05, 0xb4,
		0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 9, 0, 0, 0, 0,
		0x01, 0x03, 0x03, 0x02,
	};
	static const uint8_t sack_only[12] = {
		0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x02,
	};
	static const uint8_t mss_only[4] = { 0x02, 0x04, 0x02, 0x18 };
	struct tcp_opts o = {
		.present = TCP_OPTF_MSS | TCP_OPTF_TS | TCP_OPTF_WSCALE,
		.mss = 1460, .wscale = 2, .tsval = 9,
	};
	uint8_t buf[40];

	(void)state;
	assert_int_equal(tcp_opts_build_syn(&o, buf, sizeof(buf)), 20);
	assert_memory_equal(buf, ts_only, sizeof(ts_only));
	o.present = TCP_OPTF_MSS | TCP_OPTF_SACKOK | TCP_OPTF_WSCALE;
	assert_int_equal(tcp_opts_build_syn(&o, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, sack_only, sizeof(sack_only));
	o.present = TCP_OPTF_MSS;
	o.mss = 536;
	assert_int_equal(tcp_opts_build_syn(&o, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, mss_only, sizeof(mss_only));
	o.present = 0;
	assert_int_equal(tcp_opts_build_syn(&o, buf, sizeof(buf)), 0);
}

static void test_opts_syn_round_trip(void **state)
{
	struct tcp_opts o = {
		.present = TCP_OPTF_MSS | TCP_OPTF_SACKOK | TCP_OPTF_TS | TCP_OPTF_WSCALE,
		.mss = 8960, .wscale = 14, .tsval = 0xdeadbeef, .tsecr = 0xFFFFFF00u,
	};
	struct tcp_opts p;
	uint8_t buf[40];
	int n = tcp_opts_build_syn(&o, buf, sizeof(buf));

	(void)state;
	assert_int_equal(n % 4, 0);
	assert_int_equal(tcp_opts_parse(buf, (size_t)n, &p), 0);
	assert_int_equal(p.present, o.present);
	assert_int_equal(p.mss, 8960);
	assert_int_equal(p.wscale, 14);
	assert_int_equal(p.tsval, 0xdeadbeef);
	assert_int_equal(p.tsecr, 0xFFFFFF00u);
	assert_int_equal(p.nsack, 0);
}

static void test_opts_ack_round_trip(void **state)
{
	struct tcp_opts o = { .tsval = 100, .tsecr = 200 };
	struct tcp_opts p;
	uint8_t buf[40];
	int n;

	(void)state;
	for (unsigned i = 0; i < TCP_SACK_MAX_BLOCKS; i++) {
		o.sack[i].start = 0xFFFFFF00u + 1000 * i;
		o.sack[i].end = 0xFFFFFF00u + 1000 * i + 500;
	}
	/* Nothing to send: 0 bytes. */
	assert_int_equal(tcp_opts_build_ack(&o, buf, sizeof(buf)), 0);

	/* Timestamps alone: NOP NOP TS. */
	o.present = TCP_OPTF_TS;
	n = tcp_opts_build_ack(&o, buf, sizeof(buf));
	assert_int_equal(n, 12);
	assert_int_equal(buf[0], TCP_OPT_NOP);
	assert_int_equal(buf[1], TCP_OPT_NOP);
	assert_int_equal(buf[2], TCP_OPT_TS);
	assert_int_equal(tcp_opts_parse(buf, (size_t)n, &p), 0);
	assert_int_equal(p.present, TCP_OPTF_TS);
	assert_int_equal(p.tsval, 100);
	assert_int_equal(p.tsecr, 200);

	/* With timestamps, 1..4 blocks asked: at most 3 fit. */
	o.present = TCP_OPTF_TS | TCP_OPTF_SACK;
	for (unsigned k = 1; k <= 4; k++) {
		unsigned fit = k < 3 ? k : 3;

		o.nsack = (uint8_t)k;
		n = tcp_opts_build_ack(&o, buf, sizeof(buf));
		assert_int_equal(n, (int)(12 + 4 + 8 * fit));
		assert_int_equal(n % 4, 0);
		assert_int_equal(tcp_opts_parse(buf, (size_t)n, &p), 0);
		assert_int_equal(p.present, TCP_OPTF_TS | TCP_OPTF_SACK);
		assert_int_equal(p.nsack, fit);
		for (unsigned i = 0; i < fit; i++) {
			assert_int_equal(p.sack[i].start, o.sack[i].start);
			assert_int_equal(p.sack[i].end, o.sack[i].end);
		}
	}
	/* Without timestamps, 4 fit in 36 bytes. */
	o.present = TCP_OPTF_SACK;
	o.nsack = 4;
	n = tcp_opts_build_ack(&o, buf, sizeof(buf));
	assert_int_equal(n, 36);
	assert_int_equal(tcp_opts_parse(buf, (size_t)n, &p), 0);
	assert_int_equal(p.present, TCP_OPTF_SACK);
	assert_int_equal(p.nsack, 4);
	assert_int_equal(p.sack[3].end, o.sack[3].end);
	/* SACK flag with no block writes nothing. */
	o.nsack = 0;
	assert_int_equal(tcp_opts_build_ack(&o, buf, sizeof(buf)), 0);
	/* Too little room. */
	o.present = TCP_OPTF_TS | TCP_OPTF_SACK;
	o.nsack = 3;
	assert_int_equal(tcp_opts_build_ack(&o, buf, 39), -ENOSPC);
	assert_int_equal(tcp_opts_build_ack(&o, buf, 40), 40);
}

/* Parse bytes expecting -EINVAL and a cleared struct. */
static void expect_broken(const uint8_t *p, size_t len)
{
	struct tcp_opts o;

	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(tcp_opts_parse(p, len, &o), -EINVAL);
	assert_int_equal(o.present, 0);
	assert_int_equal(o.mss, 0);
	assert_int_equal(o.nsack, 0);
}

static void test_opts_malformed(void **state)
{
	(void)state;
	/* Length 0 (would never advance) and 1 (shorter than its header),
	 * after a valid MSS: nothing of the list is kept. */
	expect_broken((const uint8_t[]){ 2, 4, 5, 0xb4, 8, 0, 0, 0 }, 8);
	expect_broken((const uint8_t[]){ 2, 4, 5, 0xb4, 3, 1, 0, 0 }, 8);
	/* Unknown kinds with bad lengths too. */
	expect_broken((const uint8_t[]){ 99, 0, 1, 1 }, 4);
	expect_broken((const uint8_t[]){ 99, 1, 1, 1 }, 4);
	/* Length running past the end. */
	expect_broken((const uint8_t[]){ 1, 1, 8, 10, 0, 0, 0, 1 }, 8);
	expect_broken((const uint8_t[]){ 2, 5, 5, 0xb4 }, 4);
	expect_broken((const uint8_t[]){ 1, 99, 40, 0 }, 4);
	/* Truncated kind: the length byte is missing. */
	expect_broken((const uint8_t[]){ 1, 1, 1, 2 }, 4);
	expect_broken((const uint8_t[]){ 3 }, 1);
	/* More than 40 bytes of options is not a TCP header. */
	{
		uint8_t nops[44];

		memset(nops, TCP_OPT_NOP, sizeof(nops));
		expect_broken(nops, sizeof(nops));
	}
}

static void test_opts_lenient(void **state)
{
	struct tcp_opts o;

	(void)state;
	/* Empty list. */
	assert_int_equal(tcp_opts_parse(NULL, 0, &o), 0);
	assert_int_equal(o.present, 0);
	/* Only NOPs, then only EOL. */
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 1, 1, 1, 1 }, 4, &o), 0);
	assert_int_equal(o.present, 0);
	/* EOL ends the list: what follows, even broken, is padding. */
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 2, 4, 5, 0xb4, 0, 8, 0, 1 }, 8, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_MSS);
	assert_int_equal(o.mss, 1460);
	/* Unknown kinds (MD5 sig 19, experimental 254) are skipped. */
	{
		uint8_t b[28] = { 19, 18 };

		b[18] = 254;
		b[19] = 4;
		b[22] = 2;
		b[23] = 4;
		b[24] = 0x23;
		b[25] = 0x28;
		b[26] = 1;
		b[27] = 1;
		assert_int_equal(tcp_opts_parse(b, sizeof(b), &o), 0);
		assert_int_equal(o.present, TCP_OPTF_MSS);
		assert_int_equal(o.mss, 9000);
	}
	/* Duplicates: the first one counts. */
	assert_int_equal(tcp_opts_parse((const uint8_t[]){
		2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18, 3, 3, 5, 3, 3, 9, 1, 1 }, 16, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_MSS | TCP_OPTF_WSCALE);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.wscale, 5);
	assert_int_equal(tcp_opts_parse((const uint8_t[]){
		8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
		8, 10, 0, 0, 0, 3, 0, 0, 0, 4,
		5, 10, 0, 0, 0, 5, 0, 0, 0, 6,
		5, 10, 0, 0, 0, 7, 0, 0, 0, 8 }, 40, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_TS | TCP_OPTF_SACK);
	assert_int_equal(o.tsval, 1);
	assert_int_equal(o.tsecr, 2);
	assert_int_equal(o.nsack, 1);
	assert_int_equal(o.sack[0].start, 5);
	assert_int_equal(o.sack[0].end, 6);
	/* Window scale above 14: used as 14, flagged (RFC 7323 2.3). */
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 1, 3, 3, 15 }, 4, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_WSCALE | TCP_OPTF_WSCALE_CLAMPED);
	assert_int_equal(o.wscale, 14);
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 1, 3, 3, 255 }, 4, &o), 0);
	assert_int_equal(o.wscale, 14);
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 1, 3, 3, 14 }, 4, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_WSCALE);
	assert_int_equal(o.wscale, 14);
	/* Known kinds with their wrong length: ignored, flagged, walk goes on. */
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 2, 3, 5, 1, 3, 3, 2, 0 }, 8, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_WSCALE | TCP_OPTF_BAD_LEN);
	assert_int_equal(o.mss, 0);
	assert_int_equal(o.wscale, 2);
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 3, 4, 2, 0 }, 4, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_BAD_LEN);
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 4, 3, 0, 1 }, 4, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_BAD_LEN);
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 8, 8, 0, 0, 0, 1, 0, 0 }, 8, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_BAD_LEN);
	/* SACK: 2 + 8n only, n >= 1. */
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 1, 1, 5, 2 }, 4, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_BAD_LEN);
	assert_int_equal(tcp_opts_parse((const uint8_t[]){
		5, 6, 0, 0, 0, 1, 1, 1 }, 8, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_BAD_LEN);
	assert_int_equal(o.nsack, 0);
	/* SACK-permitted and MSS 0 are reported as received. */
	assert_int_equal(tcp_opts_parse((const uint8_t[]){ 2, 4, 0, 0, 1, 1, 4, 2 }, 8, &o), 0);
	assert_int_equal(o.present, TCP_OPTF_MSS | TCP_OPTF_SACKOK);
	assert_int_equal(o.mss, 0);
}

/* ---- SipHash-2-4 and ISNs ---- */

/* Key 00 01 .. 0f, message 00 01 .. (len - 1): outputs from the SipHash
 * paper (appendix A gives len 15) and its reference vectors. */
static void test_siphash_vectors(void **state)
{
	static const struct { size_t len; uint64_t out; } v[] = {
		{ 0, 0x726fdb47dd0e0e31ull },
		{ 1, 0x74f839c593dc67fdull },
		{ 2, 0x0d6c8009d9a94f5aull },
		{ 3, 0x85676696d7fb7e2dull },
		{ 4, 0xcf2794e0277187b7ull },
		{ 5, 0x18765564cd99a68dull },
		{ 8, 0x93f5f5799a932462ull },
		{ 15, 0xa129ca6149be45e5ull },
	};
	uint8_t key[16], msg[16];
	struct tcp_secret k;

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		key[i] = msg[i] = (uint8_t)i;
	k = tcp_secret_from_bytes(key);
	assert_int_equal(k.k0, 0x0706050403020100ull);
	assert_int_equal(k.k1, 0x0f0e0d0c0b0a0908ull);
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t h = tcp_siphash24(&k, msg, v[i].len);

		if (h != v[i].out)
			fail_msg("len %zu: got %016llx want %016llx", v[i].len,
				 (unsigned long long)h, (unsigned long long)v[i].out);
	}
}

static const struct tcp_secret test_key = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

static void test_isn(void **state)
{
	struct tcp_tuple t = { 0x0a000001, 0x0a000002, 80, 40000 };
	const uint64_t t0 = 12345 * SEC;
	uint32_t base = tcp_isn(&test_key, &t, t0);

	(void)state;
	/* Deterministic for one key, tuple and time. */
	assert_int_equal(tcp_isn(&test_key, &t, t0), base);
	/* M: one per 4 us, so for one tuple the ISN moves forward with time,
	 * by exactly the number of ticks, across the 32-bit wrap too. */
	assert_int_equal(tcp_isn(&test_key, &t, t0 + 3999), base);
	assert_int_equal(tcp_isn(&test_key, &t, t0 + 4000), base + 1);
	assert_int_equal(tcp_isn(&test_key, &t, t0 + SEC), base + 250000);
	{
		uint32_t prev = base;

		for (uint64_t dt = 1 * MS; dt < 3600 * SEC; dt = dt * 3 / 2) {
			uint32_t isn = tcp_isn(&test_key, &t, t0 + dt);

			assert_true(seq_gt(isn, prev));
			assert_int_equal(isn - base, (uint32_t)(dt / 4000));
			prev = isn;
		}
	}
	/* Different across tuples (each field matters) and keys. */
	{
		struct tcp_tuple u[] = {
			{ 0x0a000003, 0x0a000002, 80, 40000 },
			{ 0x0a000001, 0x0a000003, 80, 40000 },
			{ 0x0a000001, 0x0a000002, 81, 40000 },
			{ 0x0a000001, 0x0a000002, 80, 40001 },
			/* laddr/raddr and ports swapped */
			{ 0x0a000002, 0x0a000001, 40000, 80 },
		};
		struct tcp_secret k2 = test_key;

		for (unsigned i = 0; i < sizeof(u) / sizeof(u[0]); i++)
			assert_int_not_equal(tcp_isn(&test_key, &u[i], t0), base);
		k2.k1 ^= 1;
		assert_int_not_equal(tcp_isn(&k2, &t, t0), base);
	}
}

/* ---- SYN cookies ---- */

static const struct tcp_tuple ck_tuple = { 0xc0a80001, 0xc0a80002, 80, 51000 };
#define PEER_ISN 0xFFFFFF00u

static void test_cookie_mss(void **state)
{
	static const struct { uint16_t in, out; } v[] = {
		{ 100, 536 }, { 536, 536 }, { 1299, 536 }, { 1300, 1300 },
		{ 1439, 1300 }, { 1440, 1440 }, { 1460, 1460 }, { 9000, 1460 },
	};
	const uint64_t now = 1000 * SEC;

	(void)state;
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tcp_syncookie_opts in = { .mss = v[i].in }, out;
		uint32_t c = tcp_syncookie_make(&test_key, &ck_tuple, PEER_ISN, now, &in, NULL);

		assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c,
						     now, false, 0, &out), 0);
		assert_int_equal(out.mss, v[i].out);
		assert_false(out.ts);
		assert_false(out.has_wscale);
		assert_false(out.sack_ok);
	}
}

static void test_cookie_window(void **state)
{
	/* Made at the start of counter period 100: valid through the end of
	 * period 101, invalid from period 102. */
	const uint64_t made = 100 * TCP_SYNCOOKIE_PERIOD_NS;
	struct tcp_syncookie_opts in = { .mss = 1460 }, out;
	uint32_t c = tcp_syncookie_make(&test_key, &ck_tuple, PEER_ISN, made, &in, NULL);

	(void)state;
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, made,
					     false, 0, &out), 0);
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c,
					     made + 2 * TCP_SYNCOOKIE_PERIOD_NS - 1,
					     false, 0, &out), 0);
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c,
					     made + 2 * TCP_SYNCOOKIE_PERIOD_NS,
					     false, 0, &out), -ETIMEDOUT);
	/* 32 periods later the 5-bit counter matches again: the hash over the
	 * full counter still refuses it. */
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c,
					     made + 32 * TCP_SYNCOOKIE_PERIOD_NS,
					     false, 0, &out), -EINVAL);
	/* From the future (clock before the cookie was made). */
	assert_int_not_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c,
						 made - 1, false, 0, &out), 0);
}

static void test_cookie_forgeries(void **state)
{
	const uint64_t now = 7777 * SEC;
	struct tcp_syncookie_opts in = { .mss = 1440 }, out;
	uint32_t c = tcp_syncookie_make(&test_key, &ck_tuple, PEER_ISN, now, &in, NULL);
	struct tcp_tuple other[] = {
		{ 0xc0a80003, 0xc0a80002, 80, 51000 },
		{ 0xc0a80001, 0xc0a80003, 80, 51000 },
		{ 0xc0a80001, 0xc0a80002, 81, 51000 },
		{ 0xc0a80001, 0xc0a80002, 80, 51001 },
	};
	struct tcp_secret k2 = test_key;

	(void)state;
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
					     false, 0, &out), 0);
	assert_int_equal(out.mss, 1440);
	/* Every single flipped bit is refused. */
	for (unsigned b = 0; b < 32; b++)
		if (tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c ^ (1u << b), now,
					false, 0, &out) == 0)
			fail_msg("cookie with bit %u flipped accepted", b);
	/* Another tuple, another peer ISN, another key. */
	for (unsigned i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(tcp_syncookie_check(&test_key, &other[i], PEER_ISN, c, now,
						     false, 0, &out), -EINVAL);
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN + 1, c, now,
					     false, 0, &out), -EINVAL);
	k2.k0 ^= 1ull << 40;
	assert_int_equal(tcp_syncookie_check(&k2, &ck_tuple, PEER_ISN, c, now,
					     false, 0, &out), -EINVAL);
	/* A timestamp appearing in the ACK that the SYN-ACK did not carry. */
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
					     true, 0x3f, &out), -EINVAL);
}

static void test_cookie_ts_options(void **state)
{
	const uint64_t now = 500 * SEC;
	struct tcp_syncookie_opts in = {
		.mss = 1460, .ts = true, .has_wscale = true, .wscale = 7, .sack_ok = true,
	}, out;
	uint32_t tsval = 0x12345678; /* low 6 bits 0x38 */
	uint32_t c = tcp_syncookie_make(&test_key, &ck_tuple, PEER_ISN, now, &in, &tsval);

	(void)state;
	/* wscale 7 | SACK (0x10) = 0x17 < 0x38: same 64-block, not ahead. */
	assert_int_equal(tsval, 0x12345657);
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
					     true, tsval, &out), 0);
	assert_int_equal(out.mss, 1460);
	assert_true(out.ts);
	assert_true(out.has_wscale);
	assert_int_equal(out.wscale, 7);
	assert_true(out.sack_ok);
	assert_false(out.ecn);
	/* The echoed bits are in the hash: changing any of them, or dropping
	 * the timestamp from the ACK, is refused. The bits above are not. */
	for (unsigned b = 0; b < TCP_SYNCOOKIE_TS_BITS; b++)
		assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
						     true, tsval ^ (1u << b), &out), -EINVAL);
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
					     true, tsval ^ 0x40, &out), 0);
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
					     false, 0, &out), -EINVAL);

	/* No window scale, ECN on; TSval whose low bits are below the
	 * encoding steps back 64 so it never runs ahead. */
	in = (struct tcp_syncookie_opts){ .mss = 536, .ts = true, .ecn = true };
	tsval = 0x1000;
	c = tcp_syncookie_make(&test_key, &ck_tuple, PEER_ISN, now, &in, &tsval);
	assert_int_equal(tsval, 0x1000 - 64 + (0xf | 0x20));
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
					     true, tsval, &out), 0);
	assert_int_equal(out.mss, 536);
	assert_false(out.has_wscale);
	assert_false(out.sack_ok);
	assert_true(out.ecn);
	/* wscale 0 is carried as 0, not as "none". */
	in = (struct tcp_syncookie_opts){ .mss = 1300, .ts = true, .has_wscale = true };
	tsval = 0xFFFFFFFFu;
	c = tcp_syncookie_make(&test_key, &ck_tuple, PEER_ISN, now, &in, &tsval);
	assert_int_equal(tcp_syncookie_check(&test_key, &ck_tuple, PEER_ISN, c, now,
					     true, tsval, &out), 0);
	assert_true(out.has_wscale);
	assert_int_equal(out.wscale, 0);
}

/* ---- RTT and RTO ---- */

static void test_rtt_sequence(void **state)
{
	struct tcp_rtt r;

	(void)state;
	assert_int_equal(tcp_rtt_init(&r, 0, 0, 0), 0);
	assert_int_equal(r.rto, 1 * SEC);
	assert_false(r.has_sample);
	assert_int_equal(r.min_rto, 200 * MS);
	assert_int_equal(r.max_rto, 120 * SEC);

	/* 100 ms: SRTT 100, RTTVAR 50, RTO = 100 + 4*50 = 300 ms. */
	tcp_rtt_sample(&r, 100 * MS);
	assert_int_equal(r.srtt, 100 * MS);
	assert_int_equal(r.rttvar, 50 * MS);
	assert_int_equal(r.rto, 300 * MS);
	/* 200 ms: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 +
	 * 1/8*200 = 112.5; RTO = 112.5 + 250 = 362.5 ms. */
	tcp_rtt_sample(&r, 200 * MS);
	assert_int_equal(r.rttvar, 62500000);
	assert_int_equal(r.srtt, 112500000);
	assert_int_equal(r.rto, 362500000);
	/* 112.5 ms: RTTVAR = 3/4*62.5 = 46.875; SRTT unchanged;
	 * RTO = 112.5 + 187.5 = 300 ms. */
	tcp_rtt_sample(&r, 112500000);
	assert_int_equal(r.rttvar, 46875000);
	assert_int_equal(r.srtt, 112500000);
	assert_int_equal(r.rto, 300 * MS);
	/* 32.5 ms: RTTVAR = 3/4*46.875 + 1/4*80 = 55.15625; SRTT = 7/8*112.5
	 * + 1/8*32.5 = 102.5; RTO = 102.5 + 220.625 = 323.125 ms. */
	tcp_rtt_sample(&r, 32500000);
	assert_int_equal(r.rttvar, 55156250);
	assert_int_equal(r.srtt, 102500000);
	assert_int_equal(r.rto, 323125000);
}

static void test_rtt_clamp(void **state)
{
	struct tcp_rtt r;

	(void)state;
	/* Small RTT: 10 ms + 4*5 ms = 30 ms, raised to 200 ms. */
	tcp_rtt_init(&r, 0, 0, 0);
	tcp_rtt_sample(&r, 10 * MS);
	assert_int_equal(r.rto, 200 * MS);
	/* Steady RTT: RTTVAR decays to 0 and G (1 ms) is the floor of the
	 * variance term: with min_rto 1 ms, RTO = SRTT + G. */
	tcp_rtt_init(&r, 1 * MS, 0, 0);
	tcp_rtt_sample(&r, 50 * MS);
	for (int i = 0; i < 200; i++)
		tcp_rtt_sample(&r, 50 * MS);
	assert_int_equal(r.srtt, 50 * MS);
	assert_true(4 * r.rttvar < 1 * MS);
	assert_int_equal(r.rto, 51 * MS);
	/* Zero sample (timestamps on a fast link): SRTT 0, RTO = G. */
	tcp_rtt_init(&r, 1, 0, 0);
	tcp_rtt_sample(&r, 0);
	assert_int_equal(r.rto, TCP_RTT_GRANULARITY_NS);
	/* Huge RTT: clamped to max, no overflow. */
	tcp_rtt_init(&r, 0, 0, 0);
	tcp_rtt_sample(&r, 100 * SEC);
	assert_int_equal(r.rto, 120 * SEC);
	tcp_rtt_sample(&r, UINT64_MAX);
	assert_int_equal(r.rto, 120 * SEC);
	assert_true(r.srtt <= 8 * TCP_RTO_MAX_NS);
	/* Bad bounds; an initial RTO outside custom bounds is clamped. */
	assert_int_equal(tcp_rtt_init(&r, 2 * SEC, 1 * SEC, 0), -EINVAL);
	assert_int_equal(tcp_rtt_init(&r, 0, 500 * MS, 0), 0);
	assert_int_equal(r.rto, 500 * MS);
	assert_int_equal(tcp_rtt_init(&r, 3 * SEC, 0, 0), 0);
	assert_int_equal(r.rto, 3 * SEC);
}

static void test_rtt_backoff(void **state)
{
	struct tcp_rtt r;
	uint64_t want = 1 * SEC;

	(void)state;
	tcp_rtt_init(&r, 0, 0, 0);
	/* Lost SYN: 1, 2, 4, ..., 64, then 120 s (clamped) and stays. */
	for (int i = 1; i <= 6; i++) {
		tcp_rtt_backoff(&r);
		want *= 2;
		assert_int_equal(r.rto, want);
		assert_int_equal(r.backoffs, i);
	}
	tcp_rtt_backoff(&r);
	assert_int_equal(r.rto, 120 * SEC);
	tcp_rtt_backoff(&r);
	assert_int_equal(r.rto, 120 * SEC);
	assert_int_equal(r.backoffs, 8);
	/* A new sample ends the backoff: RTO from the estimator again. */
	tcp_rtt_sample(&r, 100 * MS);
	assert_int_equal(r.backoffs, 0);
	assert_int_equal(r.rto, 300 * MS);
	tcp_rtt_backoff(&r);
	assert_int_equal(r.rto, 600 * MS);
	tcp_rtt_sample(&r, 200 * MS);
	assert_int_equal(r.rto, 362500000);
	assert_int_equal(r.backoffs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_opts_linux_syn_layout),
		cmocka_unit_test(test_opts_syn_variants),
		cmocka_unit_test(test_opts_syn_round_trip),
		cmocka_unit_test(test_opts_ack_round_trip),
		cmocka_unit_test(test_opts_malformed),
		cmocka_unit_test(test_opts_lenient),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_isn),
		cmocka_unit_test(test_cookie_mss),
		cmocka_unit_test(test_cookie_window),
		cmocka_unit_test(test_cookie_forgeries),
		cmocka_unit_test(test_cookie_ts_options),
		cmocka_unit_test(test_rtt_sequence),
		cmocka_unit_test(test_rtt_clamp),
		cmocka_unit_test(test_rtt_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
