/*
 * ICMP echo (RFC 792, RFC 1122 3.2.2.6): one reply per request, addresses
 * swapped, type 0, checksum valid by an independent recomputation, TTL 64,
 * identifier, sequence and data byte-identical; no reply to broadcasts.
 */
#include "fixture.h"

/*
 * The peer of sif pings dst with datalen bytes; expect exactly one reply on
 * sif and check every field of it.
 */
static void ping_and_expect_reply(struct fx *fx, struct sim_if *sif, uint32_t dst, uint16_t id,
				  uint16_t seq, uint32_t datalen)
{
	struct ip4_spec s = ip4_from_peer(sif);
	static struct frame f;
	struct rte_ipv4_hdr *ih;
	struct rte_icmp_hdr *ic;
	uint8_t *data;
	uint16_t field;
	uint32_t i;

	s.dst = dst;
	deliver_and_run(sif, make_echo(fx, &s, id, seq, datalen));
	if (sent_count(sif) != 1)
		fail_msg("%u bytes: %u frames sent, expected one reply", datalen, sent_count(sif));
	expect_frame(sif, &f);
	assert_int_equal(sent_total(fx), 0);

	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &sif->peer_mac));
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->src_addr, &sif->mac));
	ih = expect_ip4(&f, dst, sif->peer, IPPROTO_ICMP);
	assert_int_equal(ih->time_to_live, 64);
	assert_int_equal(rte_be_to_cpu_16(ih->fragment_offset) &
			 (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK), 0);
	assert_int_equal(frame_l4_len(&f), 8 + datalen);

	ic = frame_icmp(&f);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ic->icmp_code, 0);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_ident), id);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_seq_nb), seq);
	/* recompute: with the field zeroed the sum must give the same value
	 * (0x0000 and 0xffff are the same number in ones' complement) */
	if (!inet_cksum_ok(ic, 8 + datalen))
		fail_msg("%u bytes: ICMP checksum 0x%04x is wrong", datalen,
			 rte_be_to_cpu_16(ic->icmp_cksum));
	field = rte_be_to_cpu_16(ic->icmp_cksum);
	ic->icmp_cksum = 0;
	{
		uint16_t c = inet_cksum(ic, 8 + datalen);

		assert_true(c == field || (c == 0 && field == 0xffff) || (c == 0xffff && field == 0));
	}
	data = (uint8_t *)(ic + 1);
	for (i = 0; i < datalen; i++)
		if (data[i] != echo_pattern(i))
			fail_msg("%u bytes: data byte %u is 0x%02x, sent 0x%02x", datalen, i, data[i],
				 echo_pattern(i));
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_echo_56_bytes(void **state)
{
	struct fx *fx = *state;

	learn_peer(&fx->ifs[0]);
	ping_and_expect_reply(fx, &fx->ifs[0], fx->ifs[0].addr, 0x4242, 1, 56);
}

static void test_echo_1400_bytes(void **state)
{
	struct fx *fx = *state;

	learn_peer(&fx->ifs[0]);
	ping_and_expect_reply(fx, &fx->ifs[0], fx->ifs[0].addr, 0x0001, 0xffff, 1400);
}

static void test_echo_odd_and_edge_sizes(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 3, 55, 57, 255, 1001, 1471, 1472 };
	struct fx *fx = *state;

	learn_peer(&fx->ifs[0]);
	for (size_t i = 0; i < RTE_DIM(sizes); i++)
		ping_and_expect_reply(fx, &fx->ifs[0], fx->ifs[0].addr, (uint16_t)(i + 1),
				      (uint16_t)i, sizes[i]);
}

/*
 * The reply's checksum is updated incrementally (type 8 -> 0 adds 0x0800):
 * choose identifiers so that the request's checksum lies where that sum
 * carries out of 16 bits (RFC 1624 end-around carry).
 */
static void test_echo_checksum_carry(void **state)
{
	static const uint16_t targets[] = { 0xf7fe, 0xf7ff, 0xf800, 0xf801, 0xfbcd, 0xfffe,
					    0x0000, 0x0001, 0x07ff };
	struct fx *fx = *state;
	uint8_t msg[64];

	learn_peer(&fx->ifs[0]);
	for (size_t i = 0; i < RTE_DIM(targets); i++) {
		uint16_t id;

		build_icmp(msg, RTE_IP_ICMP_ECHO_REQUEST, 0, 0, 7, 56);
		id = cksum_steer((uint16_t)(msg[2] << 8 | msg[3]), targets[i]);
		build_icmp(msg, RTE_IP_ICMP_ECHO_REQUEST, 0, id, 7, 56);
		assert_true((uint16_t)(msg[2] << 8 | msg[3]) == targets[i] ||
			    (targets[i] == 0 && (msg[2] << 8 | msg[3]) == 0xffff));
		ping_and_expect_reply(fx, &fx->ifs[0], fx->ifs[0].addr, id, 7, 56);
	}
}

static void test_echo_burst_larger_than_a_poll(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	struct frame f;
	unsigned i;

	learn_peer(sif);
	for (i = 0; i < 3 * DPS_BURST + 5; i++)
		deliver(sif, make_echo(fx, &s, 9, (uint16_t)i, 20));
	run_until_idle(fx);
	assert_int_equal(sent_count(sif), 3 * DPS_BURST + 5);
	for (i = 0; i < 3 * DPS_BURST + 5; i++) {
		expect_frame(sif, &f);
		assert_int_equal(frame_icmp(&f)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
		assert_int_equal(rte_be_to_cpu_16(frame_icmp(&f)->icmp_seq_nb), i);
	}
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* Options are kept in the reply's header; the ICMP part starts after them. */
static void test_echo_with_ip_options(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	struct frame f;

	learn_peer(sif);
	s.opt_len = 8;
	deliver_and_run(sif, make_echo(fx, &s, 3, 4, 32));
	expect_frame(sif, &f);
	expect_ip4(&f, sif->addr, sif->peer, IPPROTO_ICMP);
	assert_int_equal(frame_l4_len(&f), 40);
	assert_int_equal(frame_icmp(&f)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_true(inet_cksum_ok(frame_icmp(&f), 40));
	assert_int_equal(rte_be_to_cpu_16(frame_icmp(&f)->icmp_seq_nb), 4);
}

/* The weak host model: any of our addresses answers on any interface. */
static void test_echo_to_other_interface_address(void **state)
{
	struct fx *fx = *state;

	ping_and_expect_reply(fx, &fx->ifs[0], fx->ifs[1].addr, 5, 6, 64);
	ping_and_expect_reply(fx, &fx->ifs[1], fx->ifs[0].addr, 5, 7, 64);
}

static void test_echo_to_subnet_broadcast_ignored(void **state)
{
	static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);

	learn_peer(sif);
	s.dmac = bcast;
	s.dst = IP4(10, 0, 0, 255);
	deliver_and_run(sif, make_echo(fx, &s, 1, 1, 56));
	expect_nothing_sent(fx);
	expect_err(fx, ICMP_BCAST_ECHO, 1);
	/* sent to our MAC, still a broadcast address */
	s.dmac = sif->mac;
	deliver_and_run(sif, make_echo(fx, &s, 1, 2, 56));
	expect_nothing_sent(fx);
	expect_err(fx, ICMP_BCAST_ECHO, 2);
	expect_only_errs(fx, DPS_ERR_ICMP_BCAST_ECHO, DPS_ERR__MAX);
}

static void test_echo_to_limited_broadcast_ignored(void **state)
{
	static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.dmac = bcast;
	s.dst = IP4_BCAST;
	deliver_and_run(&fx->ifs[0], make_echo(fx, &s, 1, 1, 56));
	expect_nothing_sent(fx);
	expect_err(fx, ICMP_BCAST_ECHO, 1);
	expect_only_errs(fx, DPS_ERR_ICMP_BCAST_ECHO, DPS_ERR__MAX);
}

/* An echo reply arriving is not answered (nothing to hand it to yet). */
static void test_echo_reply_not_answered(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t msg[64];
	uint32_t len = build_icmp(msg, RTE_IP_ICMP_ECHO_REPLY, 0, 1, 1, 24);

	learn_peer(&fx->ifs[0]);
	deliver_and_run(&fx->ifs[0], make_ip4(fx, &s, msg, len));
	expect_nothing_sent(fx);
	expect_err(fx, ICMP_UNSUPPORTED, 1);
}

/* A request from a host we have not heard yet: the reply waits for ARP. */
static void test_echo_reply_waits_for_arp(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	struct arp_spec a;
	struct frame f;

	deliver_and_run(sif, make_echo(fx, &s, 1, 1, 56));
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, NULL, &sif->mac, sif->addr, sif->peer);
	assert_int_equal(sent_count(sif), 0);
	assert_string_equal(neigh_state(fx, sif->peer), "incomplete");

	a = arp_request_from_peer(sif, sif->addr);
	a.op = RTE_ARP_OP_REPLY;
	a.dmac = sif->mac;
	a.tha = sif->mac;
	deliver_and_run(sif, make_arp(fx, &a));
	expect_frame(sif, &f);
	expect_ip4(&f, sif->addr, sif->peer, IPPROTO_ICMP);
	assert_int_equal(frame_icmp(&f)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &sif->peer_mac));
	assert_int_equal(sent_total(fx), 0);
	expect_only_errs(fx, DPS_ERR__MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_echo_56_bytes, fx_setup_one),
		fx_test(test_echo_1400_bytes, fx_setup_one),
		fx_test(test_echo_odd_and_edge_sizes, fx_setup_one),
		fx_test(test_echo_checksum_carry, fx_setup_one),
		fx_test(test_echo_burst_larger_than_a_poll, fx_setup_one),
		fx_test(test_echo_with_ip_options, fx_setup_one),
		fx_test(test_echo_to_other_interface_address, fx_setup_two),
		fx_test(test_echo_to_subnet_broadcast_ignored, fx_setup_one),
		fx_test(test_echo_to_limited_broadcast_ignored, fx_setup_one),
		fx_test(test_echo_reply_not_answered, fx_setup_one),
		fx_test(test_echo_reply_waits_for_arp, fx_setup_one),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
