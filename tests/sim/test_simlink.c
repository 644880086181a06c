/*
 * The simulated network (include/dpstack/sim.h) on its own: two stacks
 * joined by a link, a host on one side pinging the other through it.
 * Checks that a perfect link loses nothing, that a bad link loses what its
 * parameters say, that the same seed replays the same run, and that
 * corrupted frames are dropped and counted, never delivered.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpstack/sim.h"

#define MS 1000000ull
#define NPING 200

static const uint8_t mac_a0[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac_a1[6] = { 2, 0, 0, 0, 1, 1 };
static const uint8_t mac_b0[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t mac_h[6] = { 2, 0, 0, 0, 0, 0x99 };
static const uint8_t ip_h[4] = { 10, 1, 0, 2 }, ip_a1[4] = { 10, 1, 0, 1 };
static const uint8_t ip_b[4] = { 10, 0, 0, 2 };

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static size_t make_arp_request(uint8_t *f)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac_h, 6);
	f[12] = 0x08; f[13] = 0x06;
	f[14] = 0; f[15] = 1; f[16] = 0x08; f[17] = 0; f[18] = 6; f[19] = 4; f[20] = 0; f[21] = 1;
	memcpy(f + 22, mac_h, 6);
	memcpy(f + 28, ip_h, 4);
	memcpy(f + 38, ip_a1, 4);
	return 60;
}

static size_t make_echo(uint8_t *f, uint16_t seq)
{
	uint8_t *ip = f + 14, *ic = ip + 20;
	size_t plen = 56, tot = 20 + 8 + plen;
	uint16_t c;

	memcpy(f, mac_a1, 6);
	memcpy(f + 6, mac_h, 6);
	f[12] = 0x08; f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45; ip[2] = (uint8_t)(tot >> 8); ip[3] = (uint8_t)tot;
	ip[8] = 64; ip[9] = 1;
	memcpy(ip + 12, ip_h, 4);
	memcpy(ip + 16, ip_b, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
	memset(ic, 0, 8);
	ic[0] = 8; ic[5] = 7; ic[6] = (uint8_t)(seq >> 8); ic[7] = (uint8_t)seq;
	for (size_t i = 0; i < plen; i++)
		ic[8 + i] = (uint8_t)(i + seq);
	c = csum(ic, 8 + plen);
	ic[2] = (uint8_t)(c >> 8); ic[3] = (uint8_t)c;
	return 14 + tot;
}

struct reply {
	uint16_t seq;
	uint64_t ts;
};

struct run {
	unsigned nreplies;
	struct reply r[2 * NPING];
	struct dps_simnet_stats st;
	uint64_t drops_b, drops_a;
	unsigned corrupt_replies;
};

/* what a healthy exchange never counts (arp_not_for_us is normal: the
 * other side's gratuitous ARP) */
static const char *const drop_names[] = {
	"eth_truncated", "eth_not_for_us", "eth_unknown_type", "eth_ipv6", "arp_bad_format",
	"arp_bad_op", "arp_bad_sender", "ip4_bad_version", "ip4_bad_ihl",
	"ip4_bad_length", "ip4_bad_checksum", "ip4_ttl_zero", "ip4_bad_src", "ip4_martian_dst",
	"ip4_multicast", "ip4_no_route", "icmp_bad_checksum", "icmp_unsupported", "ip4_unknown_proto",
	"ip4_no_transport", "ip4_local_bcast", "arp_truncated", "ip4_truncated",
};

static uint64_t drops(struct dps_sim *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(drop_names) / sizeof(drop_names[0]); i++)
		n += dps_sim_counter(s, drop_names[i]);
	return n;
}

/* Host H on A's a1 pings B across the a0-b0 link; collect the replies. */
static void run_pings(const struct dps_sim_link_params *p, uint64_t seed, struct run *out)
{
	struct dps_sim *a = dps_sim_create("a", 0), *b = dps_sim_create("b", 0);
	struct dps_simnet *net = dps_simnet_create(seed);
	uint8_t f[2048];
	int a0, a1, b0, ifx;
	ssize_t len;
	uint64_t ts;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(net);
	a0 = dps_sim_add_if(a, "a0", mac_a0, "10.0.0.1/24", NULL, 0);
	a1 = dps_sim_add_if(a, "a1", mac_a1, "10.1.0.1/24", NULL, 0);
	b0 = dps_sim_add_if(b, "b0", mac_b0, "10.0.0.2/24", "10.0.0.1", 0);
	assert_true(a0 >= 0 && a1 >= 0 && b0 >= 0);
	assert_int_equal(dps_simnet_link(net, a, a0, b, b0, p), 0);
	assert_int_equal(dps_simnet_link(net, a, a0, b, b0, p), -EBUSY);

	assert_int_equal(dps_sim_inject(a, a1, f, make_arp_request(f)), 0);
	memset(out, 0, sizeof(*out));
	for (uint16_t i = 0; i < NPING; i++) {
		dps_simnet_run_until(net, (uint64_t)i * MS);
		assert_int_equal(dps_sim_inject(a, a1, f, make_echo(f, i)), 0);
	}
	dps_simnet_run_until(net, (NPING + 10000) * MS);
	while ((len = dps_sim_collect(a, &ifx, f, sizeof(f), &ts)) > 0) {
		const uint8_t *ip = f + 14, *ic = ip + 20;

		assert_int_equal(ifx, a1);
		if (len < 14 + 28 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 1 || ic[0] != 0)
			continue;   /* the ARP reply to H, ARP requests */
		/* a router does not check what it forwards: a reply corrupted
		 * between B and A reaches H, which must notice */
		if (csum(ic, (size_t)len - 34) != 0 || memcmp(ip + 12, ip_b, 4) != 0) {
			out->corrupt_replies++;
			continue;
		}
		assert_memory_equal(f, mac_h, 6);
		assert_int_equal(ip[8], 63);   /* B sent 64, A forwarded */
		assert_int_equal(csum(ip, 20), 0);
		assert_true(out->nreplies < 2 * NPING);
		out->r[out->nreplies].seq = (uint16_t)(ic[6] << 8 | ic[7]);
		out->r[out->nreplies].ts = ts;
		out->nreplies++;
	}
	dps_simnet_stats(net, &out->st);
	out->drops_a = drops(a);
	out->drops_b = drops(b);
	for (size_t i = 0; i < sizeof(drop_names) / sizeof(drop_names[0]); i++)
		if (dps_sim_counter(b, drop_names[i]) != 0 && getenv("SIM_VERBOSE"))
			print_message("b: %s %llu\n", drop_names[i],
				      (unsigned long long)dps_sim_counter(b, drop_names[i]));
	dps_simnet_destroy(net);
	dps_sim_destroy(a);
	dps_sim_destroy(b);
}

static void test_perfect_link(void **state)
{
	static struct run r;

	(void)state;
	run_pings(NULL, 1, &r);
	assert_int_equal(r.nreplies, NPING);
	for (unsigned i = 0; i < r.nreplies; i++)
		assert_int_equal(r.r[i].seq, i);
	assert_int_equal(r.st.lost + r.st.corrupted + r.st.queue_drops, 0);
	assert_int_equal(r.corrupt_replies, 0);
	if (r.drops_b != 0)
		for (size_t i = 0; i < sizeof(drop_names) / sizeof(drop_names[0]); i++)
			print_message("%s\n", drop_names[i]);
	assert_int_equal(r.drops_b, 0);
}

static void test_delay_and_rate(void **state)
{
	static struct run r;
	struct dps_sim_link_params p = { .delay_ns = 5 * MS, .rate_bps = 10000000 };

	(void)state;
	run_pings(&p, 1, &r);
	/* the first few wait for ARP in the hold queue (16), the rest go through */
	assert_true(r.nreplies >= NPING - 16);
	/* a round trip over the link takes two one-way delays plus serialisation */
	for (unsigned i = 0; i < r.nreplies; i++)
		assert_true(r.r[i].ts >= (uint64_t)r.r[i].seq * MS + 10 * MS);
}

static void test_lossy_link_is_deterministic(void **state)
{
	static struct run r1, r2, r3;
	struct dps_sim_link_params p = {
		.loss = 0.2, .dup = 0.05, .reorder = 0.1, .reorder_ns = 3 * MS,
		.delay_ns = 2 * MS, .jitter_ns = 1 * MS, .rate_bps = 100000000,
	};

	(void)state;
	run_pings(&p, 42, &r1);
	run_pings(&p, 42, &r2);
	run_pings(&p, 43, &r3);
	print_message("seed 42: %u replies of %u, link sent %llu lost %llu dup %llu reordered %llu\n",
		      r1.nreplies, NPING, (unsigned long long)r1.st.sent,
		      (unsigned long long)r1.st.lost, (unsigned long long)r1.st.duplicated,
		      (unsigned long long)r1.st.reordered);
	/* about 0.8 * 0.8 of the pings come back, with duplicates */
	assert_true(r1.nreplies > NPING / 3 && r1.nreplies < NPING);
	assert_true(r1.st.lost > 0 && r1.st.duplicated > 0 && r1.st.reordered > 0);
	assert_int_equal(r1.nreplies, r2.nreplies);
	assert_memory_equal(r1.r, r2.r, r1.nreplies * sizeof(r1.r[0]));
	assert_memory_equal(&r1.st, &r2.st, sizeof(r1.st));
	assert_true(r1.nreplies != r3.nreplies ||
		    memcmp(r1.r, r3.r, r1.nreplies * sizeof(r1.r[0])) != 0);
}

static void test_corruption_is_dropped_and_counted(void **state)
{
	static struct run r;
	struct dps_sim_link_params p = { .corrupt = 1.0, .delay_ns = 1 * MS };

	(void)state;
	run_pings(&p, 7, &r);
	assert_true(r.st.corrupted > 0);
	/* a flipped bit lands in a MAC, a header or a checksummed payload and
	 * is dropped and counted, or reaches H, which sees the bad checksum;
	 * only a flip in a source MAC passes unnoticed, on both legs */
	print_message("corrupt: %u intact replies, %u corrupt replies, drops a %llu b %llu\n",
		      r.nreplies, r.corrupt_replies, (unsigned long long)r.drops_a,
		      (unsigned long long)r.drops_b);
	assert_true(r.nreplies < NPING / 20);
	assert_true(r.drops_a + r.drops_b > NPING / 2);
}

static void test_api_errors(void **state)
{
	struct dps_sim *a = dps_sim_create("e", 1000);
	uint8_t f[64] = { 0 };
	char out[256];
	int i0;

	(void)state;
	assert_non_null(a);
	assert_null(dps_sim_create("name-too-long-for-a-sim", 0));
	assert_int_equal(dps_sim_now(a), 1000);
	assert_int_equal(dps_sim_set_time(a, 999), -EINVAL);
	i0 = dps_sim_add_if(a, "e0", mac_a0, "10.9.0.1/24", NULL, 0);
	assert_true(i0 >= 0);
	assert_int_equal(dps_sim_add_if(a, "e0", mac_a1, NULL, NULL, 0), -EEXIST);
	assert_int_equal(dps_sim_add_if(a, "e1", mac_h, "10.9.0.300/24", NULL, 0), -EINVAL);
	assert_int_equal(dps_sim_inject(a, 7, f, sizeof(f)), -EINVAL);
	assert_int_equal(dps_sim_inject(a, i0, f, 10000), -E2BIG);
	/* a runt frame is dropped and counted */
	assert_int_equal(dps_sim_inject(a, i0, f, 10), 0);
	assert_int_equal(dps_sim_counter(a, "eth_truncated"), 1);
	assert_int_equal(dps_sim_cli(a, "show ip fib", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "10.9.0.0/24"));
	assert_int_equal(dps_sim_cli(a, "bogus command", out, sizeof(out)), -1);
	assert_non_null(strstr(out, "error:"));
	assert_int_equal(dps_sim_advance(a, 5 * 1000 * MS), 0);
	assert_int_equal(dps_sim_now(a), 1000 + 5000 * MS);
	dps_sim_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_perfect_link),
		cmocka_unit_test(test_delay_and_rate),
		cmocka_unit_test(test_lossy_link_is_deterministic),
		cmocka_unit_test(test_corruption_is_dropped_and_counted),
	};

	if (dps_sim_global_init() != 0) {
		fprintf(stderr, "cannot start the simulation runtime\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
