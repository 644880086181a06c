/*
 * Malformed input at every layer the stack parses (Ethernet, IPv4, ICMP,
 * ARP): each frame is dropped, counted under exactly its reason, answered
 * by nothing, and its mbuf is back in the pool (checked by the teardown).
 */
#include "fixture.h"

/* Deliver one frame on sim0 and expect exactly one drop, under `err`. */
static void expect_dropped_as(struct fx *fx, struct rte_mbuf *m, enum dps_err err)
{
	struct sim_if *sif = &fx->ifs[0];
	unsigned before = pool_free(fx) + 1;   /* m itself comes back */

	deliver_and_run(sif, m);
	expect_nothing_sent(fx);
	if (dps_err_get(fx->st, err) != 1)
		fail_msg("%s is %llu, expected 1", dps_err_name(err),
			 (unsigned long long)dps_err_get(fx->st, err));
	expect_only_errs(fx, err, DPS_ERR__MAX);
	assert_int_equal(pool_free(fx), before);
}

static void deliver_echo_spec(struct fx *fx, const struct ip4_spec *s, enum dps_err err)
{
	expect_dropped_as(fx, make_echo(fx, s, 1, 1, 32), err);
}

/* ---- Ethernet ---- */

static void test_eth_shorter_than_header(void **state)
{
	struct fx *fx = *state;
	uint8_t b[13];
	struct dps_if_stats s;

	memcpy(b, &fx->ifs[0].mac, 6);
	memset(b + 6, 0xaa, sizeof(b) - 6);
	expect_dropped_as(fx, make_frame(fx, b, sizeof(b)), DPS_ERR_ETH_TRUNCATED);
	dps_if_stats_get(fx->st, fx->ifs[0].ifindex, &s);
	assert_int_equal(s.rx_pkts, 1);
	assert_int_equal(s.rx_drops, 1);
}

static void test_eth_empty_frame(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx->st->pool);

	expect_dropped_as(fx, m, DPS_ERR_ETH_TRUNCATED);
}

static void test_eth_other_mac(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.dmac.addr_bytes[5] ^= 0x10;   /* unicast, not ours */
	deliver_echo_spec(fx, &s, DPS_ERR_ETH_NOT_FOR_US);
}

static void test_eth_unknown_ethertype(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.ether_type = 0x88b5;   /* IEEE local experimental */
	deliver_echo_spec(fx, &s, DPS_ERR_ETH_UNKNOWN_TYPE);
}

static void test_eth_ipv6_counted_apart(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.ether_type = RTE_ETHER_TYPE_IPV6;
	deliver_echo_spec(fx, &s, DPS_ERR_ETH_IPV6);
}

static void test_eth_interface_down(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];

	struct ip4_spec s = ip4_from_peer(sif);

	assert_int_equal(dps_if_set_admin(fx->st, sif->ifindex, false, NULL, 0), 0);
	deliver_echo_spec(fx, &s, DPS_ERR_IF_DOWN);
}

/* ---- IPv4 header ---- */

static void test_ip4_shorter_than_20(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t b[64];
	uint32_t len = build_ip4(b, &s, NULL, 0);

	/* the Ethernet header and 19 bytes of IPv4 */
	assert_int_equal(len, 34);
	expect_dropped_as(fx, make_frame(fx, b, 33), DPS_ERR_IP4_TRUNCATED);
}

static void test_ip4_version_6(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.version = 6;
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_BAD_VERSION);
}

static void test_ip4_ihl_below_5(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	for (int ihl = 0; ihl < 5; ihl++) {
		s.ihl = ihl;
		expect_dropped_as(fx, make_echo(fx, &s, 1, 1, 32), DPS_ERR_IP4_BAD_IHL);
		dps_counters_clear(fx->st);
	}
}

static void test_ip4_ihl_beyond_packet(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t icmp[8] = { 8, 0, 0xf7, 0xff };

	/* 60-byte header claimed, 20 + 8 bytes present */
	s.ihl = 15;
	expect_dropped_as(fx, make_ip4(fx, &s, icmp, sizeof(icmp)), DPS_ERR_IP4_BAD_IHL);
}

static void test_ip4_total_length_beyond_frame(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.tot_len = 20 + 8 + 32 + 1;
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_BAD_LENGTH);
}

static void test_ip4_total_length_below_ihl(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.opt_len = 8;
	s.tot_len = 24;   /* IHL says 28 */
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_BAD_LENGTH);
}

static void test_ip4_bad_header_checksum(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.bad_cksum = true;
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_BAD_CHECKSUM);
}

static void test_ip4_ttl_zero(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.ttl = 0;
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_TTL_ZERO);
}

static void test_ip4_martian_sources(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	static const uint32_t bad[] = {
		IP4_BCAST, IP4(224, 0, 0, 1), IP4(239, 255, 255, 250), IP4(127, 0, 0, 1),
		IP4(127, 255, 0, 9), 0,
	};

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		s.src = bad[i];
		deliver_echo_spec(fx, &s, DPS_ERR_IP4_BAD_SRC);
		dps_counters_clear(fx->st);
	}
}

static void test_ip4_loopback_destination(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.dst = IP4(127, 0, 0, 1);
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_MARTIAN_DST);
	dps_counters_clear(fx->st);
	s.dst = 0;
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_MARTIAN_DST);
}

static void test_ip4_multicast_destination(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	/* 01:00:5e:00:00:01 is the group MAC of 224.0.0.1 */
	s.dmac = (struct rte_ether_addr){ { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	s.dst = IP4(224, 0, 0, 1);
	deliver_echo_spec(fx, &s, DPS_ERR_IP4_MULTICAST);
}

static void test_ip4_unknown_protocol(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	uint8_t payload[40], sent[80];
	struct frame f;

	learn_peer(sif);
	memset(payload, 0x5c, sizeof(payload));
	s.proto = 253;   /* RFC 3692 experimental */
	build_ip4(sent, &s, payload, sizeof(payload));
	deliver_and_run(sif, make_ip4(fx, &s, payload, sizeof(payload)));
	expect_err(fx, IP4_UNKNOWN_PROTO, 1);
	/* RFC 1122 3.2.2.1: protocol unreachable back to the sender */
	expect_frame(sif, &f);
	expect_icmp_error(&f, sif->addr, sif->peer, 3, ICMP_UNREACH_PROTO, sent + 14, 28);
	assert_int_equal(sent_total(fx), 0);
}

/* Ethernet padding after a short packet is not part of it. */
static void test_ip4_ethernet_padding_trimmed(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	struct frame f;

	learn_peer(sif);
	s.pad = 60 - (14 + 20 + 8 + 4);
	deliver_and_run(sif, make_echo(fx, &s, 7, 9, 4));
	expect_frame(sif, &f);
	expect_ip4(&f, sif->addr, sif->peer, IPPROTO_ICMP);
	assert_int_equal(frame_l4_len(&f), 12);
	assert_true(inet_cksum_ok(frame_icmp(&f), 12));
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* ---- ICMP ---- */

static void test_icmp_truncated(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t icmp[4] = { 8, 0, 0xf7, 0xff };

	expect_dropped_as(fx, make_ip4(fx, &s, icmp, sizeof(icmp)), DPS_ERR_ICMP_TRUNCATED);
}

static void test_icmp_empty(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	expect_dropped_as(fx, make_ip4(fx, &s, NULL, 0), DPS_ERR_ICMP_TRUNCATED);
}

static void test_icmp_bad_checksum(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t icmp[64];
	uint32_t len = build_icmp(icmp, RTE_IP_ICMP_ECHO_REQUEST, 0, 1, 1, 56);

	icmp[len - 1] ^= 0x01;   /* a data bit, not the checksum field */
	expect_dropped_as(fx, make_ip4(fx, &s, icmp, len), DPS_ERR_ICMP_BAD_CHECKSUM);
}

static void test_icmp_bad_checksum_odd_length(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t icmp[64];
	uint32_t len = build_icmp(icmp, RTE_IP_ICMP_ECHO_REQUEST, 0, 1, 1, 33);

	icmp[len - 1] ^= 0x80;   /* the odd last byte counts as a high byte */
	expect_dropped_as(fx, make_ip4(fx, &s, icmp, len), DPS_ERR_ICMP_BAD_CHECKSUM);
}

static void test_icmp_unsupported_type(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t icmp[64];
	uint32_t len = build_icmp(icmp, 13, 0, 1, 1, 12);   /* timestamp request */

	expect_dropped_as(fx, make_ip4(fx, &s, icmp, len), DPS_ERR_ICMP_UNSUPPORTED);
}

/* ---- ARP ---- */

static void deliver_arp_spec(struct fx *fx, const struct arp_spec *a, enum dps_err err)
{
	expect_dropped_as(fx, make_arp(fx, a), err);
	/* and nobody was learned from it */
	assert_int_equal(dps_neigh_count(fx->st), 0);
}

static void test_arp_truncated(void **state)
{
	struct fx *fx = *state;
	struct arp_spec a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);

	a.len = 14 + 27;
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_TRUNCATED);
}

static void test_arp_hardware_type_6(void **state)
{
	struct fx *fx = *state;
	struct arp_spec a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);

	a.hrd = 6;   /* IEEE 802 */
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_FORMAT);
}

static void test_arp_bad_lengths_and_protocol(void **state)
{
	struct fx *fx = *state;
	struct arp_spec a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);

	a.pro = RTE_ETHER_TYPE_IPV6;
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_FORMAT);
	dps_counters_clear(fx->st);
	a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);
	a.hln = 8;
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_FORMAT);
	dps_counters_clear(fx->st);
	a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);
	a.pln = 16;
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_FORMAT);
}

static void test_arp_opcode_3(void **state)
{
	struct fx *fx = *state;
	struct arp_spec a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);

	a.op = 3;   /* RARP request */
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_OP);
}

static void test_arp_sender_claims_our_address(void **state)
{
	struct fx *fx = *state;
	struct arp_spec a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);

	a.sip = fx->ifs[0].addr;
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_SENDER);
	/* a gratuitous one (target = sender = our address) too */
	dps_counters_clear(fx->st);
	a.tip = a.sip;
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_SENDER);
}

static void test_arp_sender_broadcast_or_multicast(void **state)
{
	struct fx *fx = *state;
	struct arp_spec a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);

	a.sha = (struct rte_ether_addr){ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_SENDER);
	dps_counters_clear(fx->st);
	a = arp_request_from_peer(&fx->ifs[0], fx->ifs[0].addr);
	a.sip = IP4(224, 0, 0, 5);
	deliver_arp_spec(fx, &a, DPS_ERR_ARP_BAD_SENDER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_eth_shorter_than_header, fx_setup_one),
		fx_test(test_eth_empty_frame, fx_setup_one),
		fx_test(test_eth_other_mac, fx_setup_one),
		fx_test(test_eth_unknown_ethertype, fx_setup_one),
		fx_test(test_eth_ipv6_counted_apart, fx_setup_one),
		fx_test(test_eth_interface_down, fx_setup_one),
		fx_test(test_ip4_shorter_than_20, fx_setup_one),
		fx_test(test_ip4_version_6, fx_setup_one),
		fx_test(test_ip4_ihl_below_5, fx_setup_one),
		fx_test(test_ip4_ihl_beyond_packet, fx_setup_one),
		fx_test(test_ip4_total_length_beyond_frame, fx_setup_one),
		fx_test(test_ip4_total_length_below_ihl, fx_setup_one),
		fx_test(test_ip4_bad_header_checksum, fx_setup_one),
		fx_test(test_ip4_ttl_zero, fx_setup_one),
		fx_test(test_ip4_martian_sources, fx_setup_one),
		fx_test(test_ip4_loopback_destination, fx_setup_one),
		fx_test(test_ip4_multicast_destination, fx_setup_one),
		fx_test(test_ip4_unknown_protocol, fx_setup_one),
		fx_test(test_ip4_ethernet_padding_trimmed, fx_setup_one),
		fx_test(test_icmp_truncated, fx_setup_one),
		fx_test(test_icmp_empty, fx_setup_one),
		fx_test(test_icmp_bad_checksum, fx_setup_one),
		fx_test(test_icmp_bad_checksum_odd_length, fx_setup_one),
		fx_test(test_icmp_unsupported_type, fx_setup_one),
		fx_test(test_arp_truncated, fx_setup_one),
		fx_test(test_arp_hardware_type_6, fx_setup_one),
		fx_test(test_arp_bad_lengths_and_protocol, fx_setup_one),
		fx_test(test_arp_opcode_3, fx_setup_one),
		fx_test(test_arp_sender_claims_our_address, fx_setup_one),
		fx_test(test_arp_sender_broadcast_or_multicast, fx_setup_one),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
