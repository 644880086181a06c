/*
 * IPv4 forwarding between two simulated interfaces (RFC 1812 5.2-5.3):
 * TTL and checksum, MAC rewrite, the ICMP errors a router sends (time
 * exceeded, unreachable, fragmentation needed) with their RFC 1812 4.3.2
 * limits, and fragmentation to the egress MTU.
 */
#include <errno.h>

#include "fixture.h"

#define PROTO_TEST 253   /* RFC 3692 experimental: forwarded, never parsed */

/* sim0's peer sends to dst: a packet of plen payload bytes; its bytes in `raw`. */
static struct rte_mbuf *make_routed(struct fx *fx, const struct ip4_spec *s, uint32_t plen,
				    uint8_t *raw)
{
	static uint8_t payload[9000];
	uint32_t i;

	for (i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i ^ (i >> 7) ^ s->id);
	if (raw != NULL)
		build_ip4(raw, s, payload, plen);
	return make_ip4(fx, s, payload, plen);
}

static struct ip4_spec to_sim1_peer(struct fx *fx)
{
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);

	s.dst = fx->ifs[1].peer;
	s.proto = PROTO_TEST;
	return s;
}

/* The frame as the peer sent it and as it left: only TTL and checksum differ. */
static void expect_forwarded_copy(struct frame *f, const uint8_t *raw, uint32_t rawlen,
				  uint8_t ttl_in)
{
	struct rte_ipv4_hdr *ih = frame_ip4(f);
	const uint8_t *in_ip = raw + 14;
	uint8_t *out_ip = (uint8_t *)ih;

	assert_int_equal(f->len, rawlen);
	assert_int_equal(ih->time_to_live, ttl_in - 1);
	if (!inet_cksum_ok(ih, 20))
		fail_msg("forwarded header checksum 0x%04x is wrong",
			 rte_be_to_cpu_16(ih->hdr_checksum));
	assert_memory_equal(out_ip, in_ip, 8);
	assert_int_equal(out_ip[9], in_ip[9]);
	assert_memory_equal(out_ip + 12, in_ip + 12, rawlen - 14 - 12);
}

static void test_forward_decrements_ttl_and_rewrites_macs(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	static uint8_t raw[2048];
	struct dps_if_stats st_in, st_out;
	struct frame f;

	deliver_and_run(in, make_routed(fx, &s, 200, raw));
	assert_int_equal(sent_count(in), 0);
	assert_int_equal(sent_count(out), 1);
	expect_frame(out, &f);
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &out->peer_mac));
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->src_addr, &out->mac));
	expect_ip4(&f, in->peer, out->peer, PROTO_TEST);
	expect_forwarded_copy(&f, raw, 14 + 20 + 200, 64);
	expect_only_errs(fx, DPS_ERR__MAX);

	dps_if_stats_get(fx->st, in->ifindex, &st_in);
	dps_if_stats_get(fx->st, out->ifindex, &st_out);
	/* sim0 also received the ARP of learn_peer() in the setup */
	assert_int_equal(st_in.rx_pkts, 2);
	assert_int_equal(st_out.tx_pkts, 1 + 2);   /* + gratuitous ARP and ARP reply */
	assert_int_equal(st_out.tx_drops, 0);
}

/*
 * The TTL is decremented with an incremental checksum update (RFC 1624):
 * pick identifiers so that the incoming checksums sit where adding 0x0100
 * wraps around.
 */
static void test_forward_checksum_carry(void **state)
{
	static const uint16_t targets[] = { 0xfeff, 0xff00, 0xff01, 0xfffe, 0x0000, 0x0001,
					    0x00ff, 0x7fff };
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	static uint8_t raw[256], zeros[40];
	struct frame f;

	for (size_t i = 0; i < RTE_DIM(targets); i++) {
		struct ip4_spec s = to_sim1_peer(fx);

		s.id = 0;
		build_ip4(raw, &s, zeros, sizeof(zeros));
		s.id = cksum_steer((uint16_t)(raw[24] << 8 | raw[25]), targets[i]);
		deliver_and_run(in, make_routed(fx, &s, 40, raw));
		assert_int_equal(raw[24] << 8 | raw[25], targets[i]);
		expect_frame(out, &f);
		expect_forwarded_copy(&f, raw, 14 + 20 + 40, 64);
	}
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_forward_ttl_1_time_exceeded(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	struct ip4_spec s = to_sim1_peer(fx);
	static uint8_t raw[2048];
	struct frame f;

	s.ttl = 1;
	deliver_and_run(in, make_routed(fx, &s, 100, raw));
	assert_int_equal(sent_count(&fx->ifs[1]), 0);
	assert_int_equal(sent_count(in), 1);
	expect_frame(in, &f);
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &in->peer_mac));
	/* RFC 792: the original header and at least 64 bits of its data */
	expect_icmp_error(&f, in->addr, in->peer, 11, 0, raw + 14, 20 + 8);
	/* RFC 1812 4.3.2.3: as much as fits in 576 bytes: here all of it */
	assert_int_equal(frame_l4_len(&f), 8 + 20 + 100);
	assert_memory_equal(frame_l4(&f) + 8, raw + 14, 120);
	expect_err(fx, IP4_TTL_EXCEEDED, 1);
	expect_only_errs(fx, DPS_ERR_IP4_TTL_EXCEEDED, DPS_ERR__MAX);
}

/* A long packet is quoted only up to the 576-byte limit. */
static void test_time_exceeded_quote_bounded(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	struct ip4_spec s = to_sim1_peer(fx);
	static uint8_t raw[2048];
	struct frame f;

	s.ttl = 1;
	deliver_and_run(in, make_routed(fx, &s, 1400, raw));
	expect_frame(in, &f);
	expect_icmp_error(&f, in->addr, in->peer, 11, 0, raw + 14, 20 + 8);
	assert_int_equal(rte_be_to_cpu_16(frame_ip4(&f)->total_length), 576);
	assert_memory_equal(frame_l4(&f) + 8, raw + 14, 576 - 28);
}

/* TTL 1 only matters to packets we forward. */
static void test_ttl_1_to_us_is_answered(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(in);
	struct frame f;

	s.ttl = 1;
	deliver_and_run(in, make_echo(fx, &s, 1, 1, 16));
	expect_frame(in, &f);
	assert_int_equal(frame_icmp(&f)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_forward_no_route_net_unreachable(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	struct ip4_spec s = to_sim1_peer(fx);
	static uint8_t raw[2048];
	struct frame f;

	s.dst = IP4(192, 0, 2, 1);   /* RFC 5737 TEST-NET-1: no route to it */
	deliver_and_run(in, make_routed(fx, &s, 64, raw));
	assert_int_equal(sent_count(&fx->ifs[1]), 0);
	expect_frame(in, &f);
	expect_icmp_error(&f, in->addr, in->peer, 3, ICMP_UNREACH_NET, raw + 14, 28);
	expect_err(fx, IP4_NO_ROUTE, 1);
	expect_only_errs(fx, DPS_ERR_IP4_NO_ROUTE, DPS_ERR__MAX);
}

static void test_forward_df_too_big_frag_needed(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	static uint8_t raw[2048];
	struct rte_ipv4_hdr *q;
	struct frame f;

	assert_int_equal(dps_if_set_mtu(fx->st, out->ifindex, 1000, NULL, 0), 0);
	s.frag = RTE_IPV4_HDR_DF_FLAG;
	deliver_and_run(in, make_routed(fx, &s, 1400 - 20, raw));
	assert_int_equal(sent_count(out), 0);
	expect_frame(in, &f);
	expect_icmp_error(&f, in->addr, in->peer, 3, ICMP_UNREACH_NEEDFRAG, NULL, 28);
	/* RFC 1191: next-hop MTU in the low 16 bits of the second word */
	assert_int_equal(rte_be_to_cpu_16(frame_icmp(&f)->icmp_ident), 0);
	assert_int_equal(rte_be_to_cpu_16(frame_icmp(&f)->icmp_seq_nb), 1000);
	/* the quoted header identifies the packet (its TTL may be decremented,
	 * RFC 1812 4.3.2.3) and the first 8 data bytes follow it */
	q = (struct rte_ipv4_hdr *)(frame_l4(&f) + 8);
	assert_memory_equal(q, raw + 14, 8);
	assert_true(q->time_to_live == 64 || q->time_to_live == 63);
	assert_memory_equal(&q->src_addr, raw + 14 + 12, 8);
	assert_memory_equal(q + 1, raw + 14 + 20, 8);
	expect_err(fx, IP4_FRAG_NEEDED, 1);
	expect_only_errs(fx, DPS_ERR_IP4_FRAG_NEEDED, DPS_ERR__MAX);
}

/* Exactly the MTU passes whole, one byte more does not. */
static void test_forward_mtu_boundary(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	struct frame f;

	assert_int_equal(dps_if_set_mtu(fx->st, out->ifindex, 1000, NULL, 0), 0);
	s.frag = RTE_IPV4_HDR_DF_FLAG;
	deliver_and_run(in, make_routed(fx, &s, 1000 - 20, NULL));
	expect_frame(out, &f);
	assert_int_equal(f.len, 14 + 1000);
	deliver_and_run(in, make_routed(fx, &s, 1000 - 20 + 1, NULL));
	assert_int_equal(sent_count(out), 0);
	expect_err(fx, IP4_FRAG_NEEDED, 1);
	drop_sent(fx);
}

/*
 * Check the fragments of one datagram sent on sif: sizes, flags, offsets,
 * checksums, common fields; reassemble their payload into out. Returns the
 * payload length.
 */
static uint32_t collect_fragments(struct sim_if *sif, uint16_t mtu, uint32_t first_off,
				  bool last_mf, uint8_t *out, unsigned *nfrags)
{
	struct frame f;
	uint32_t next = first_off, total = 0;
	unsigned n = 0;
	uint16_t id = 0;

	while (take_frame(sif, &f)) {
		struct rte_ipv4_hdr *ih = frame_ip4(&f);
		uint16_t fo = rte_be_to_cpu_16(ih->fragment_offset);
		uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
		uint32_t len = frame_l4_len(&f);
		bool more = fo & RTE_IPV4_HDR_MF_FLAG;

		assert_true(rte_be_to_cpu_16(ih->total_length) <= mtu);
		assert_true(inet_cksum_ok(ih, (ih->version_ihl & 0xf) * 4u));
		assert_int_equal(ih->time_to_live, 63);
		if (n == 0)
			id = ih->packet_id;
		assert_int_equal(ih->packet_id, id);
		if (off != next)
			fail_msg("fragment %u at offset %u, expected %u", n, off, next);
		if (sif->ntx > 0) {
			assert_true(more);
			assert_int_equal(len % 8, 0);
		} else {
			assert_int_equal(more, last_mf);
		}
		memcpy(out + (off - first_off), frame_l4(&f), len);
		next = off + len;
		total += len;
		n++;
	}
	*nfrags = n;
	return total;
}

static void test_forward_fragments_without_df(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	static uint8_t raw[2048], got[2048];
	unsigned n;

	assert_int_equal(dps_if_set_mtu(fx->st, out->ifindex, 576, NULL, 0), 0);
	deliver_and_run(in, make_routed(fx, &s, 1473, raw));
	assert_int_equal(sent_count(in), 0);
	/* 556-byte pieces: 1473 = 552 + 552 + 369 */
	assert_int_equal(collect_fragments(out, 576, 0, false, got, &n), 1473);
	assert_int_equal(n, 3);
	assert_memory_equal(got, raw + 14 + 20, 1473);
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* A fragment that is fragmented again keeps its offset and its MF flag. */
static void test_forward_refragments_a_fragment(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	static uint8_t raw[2048], got[2048];
	unsigned n;

	assert_int_equal(dps_if_set_mtu(fx->st, out->ifindex, 1000, NULL, 0), 0);
	s.frag = RTE_IPV4_HDR_MF_FLAG | (1480 / 8);
	deliver_and_run(in, make_routed(fx, &s, 1400, raw));
	assert_int_equal(collect_fragments(out, 1000, 1480, true, got, &n), 1400);
	assert_int_equal(n, 2);
	assert_memory_equal(got, raw + 14 + 20, 1400);
}

/* RFC 1812 4.3.2.7: no ICMP error about an ICMP error. */
static void test_no_icmp_error_about_icmp_error(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	struct ip4_spec s = to_sim1_peer(fx);
	uint8_t msg[64];
	uint32_t len;

	s.ttl = 1;
	s.proto = IPPROTO_ICMP;
	len = build_icmp(msg, 3, 1, 0, 0, 28);   /* a host unreachable */
	deliver_and_run(in, make_ip4(fx, &s, msg, len));
	expect_nothing_sent(fx);
	expect_err(fx, IP4_TTL_EXCEEDED, 1);
	expect_err(fx, ICMP_NO_ERROR_FOR, 1);

	/* an echo request is not an error: it gets one */
	len = build_icmp(msg, RTE_IP_ICMP_ECHO_REQUEST, 0, 1, 1, 28);
	deliver_and_run(in, make_ip4(fx, &s, msg, len));
	assert_int_equal(sent_count(in), 1);
	expect_err(fx, ICMP_NO_ERROR_FOR, 1);
	drop_sent(fx);
}

/* Nor about a fragment other than the first, nor a link-layer broadcast. */
static void test_no_icmp_error_about_later_fragment(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	struct ip4_spec s = to_sim1_peer(fx);

	s.ttl = 1;
	s.frag = 100;
	deliver_and_run(in, make_routed(fx, &s, 64, NULL));
	expect_nothing_sent(fx);
	expect_err(fx, IP4_TTL_EXCEEDED, 1);
	expect_err(fx, ICMP_NO_ERROR_FOR, 1);
}

/* RFC 1812 5.3.4: a link-layer broadcast is not forwarded. */
static void test_link_broadcast_not_forwarded(void **state)
{
	struct fx *fx = *state;
	struct ip4_spec s = to_sim1_peer(fx);

	s.dmac = (struct rte_ether_addr){ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	deliver_and_run(&fx->ifs[0], make_routed(fx, &s, 64, NULL));
	expect_nothing_sent(fx);
	expect_err(fx, IP4_LOCAL_BCAST, 1);
	expect_only_errs(fx, DPS_ERR_IP4_LOCAL_BCAST, DPS_ERR__MAX);
}

static void test_icmp_errors_rate_limited(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	const uint32_t burst = fx->st->params.icmp_ratelimit_burst;
	const uint32_t pps = fx->st->params.icmp_ratelimit_pps;
	struct ip4_spec s = to_sim1_peer(fx);
	unsigned i;

	assert_int_equal(burst, 50);
	s.ttl = 1;
	for (i = 0; i < burst + 10; i++)
		deliver(in, make_routed(fx, &s, 32, NULL));
	run_until_idle(fx);
	assert_int_equal(sent_count(in), burst);
	expect_err(fx, ICMP_RATELIMIT, 10);
	expect_err(fx, IP4_TTL_EXCEEDED, burst + 10);
	drop_sent(fx);

	/* tokens come back at pps: 5 ms buys 5 errors */
	advance_ms(fx, 5 * 1000 / pps);
	for (i = 0; i < 6; i++)
		deliver(in, make_routed(fx, &s, 32, NULL));
	run_until_idle(fx);
	assert_int_equal(sent_count(in), 5);
	expect_err(fx, ICMP_RATELIMIT, 11);
	drop_sent(fx);

	/* a long pause refills the bucket to the burst, no further */
	advance_ms(fx, 10000);
	for (i = 0; i < burst + 1; i++)
		deliver(in, make_routed(fx, &s, 32, NULL));
	run_until_idle(fx);
	assert_int_equal(sent_count(in), burst);
	expect_err(fx, ICMP_RATELIMIT, 12);
	drop_sent(fx);
}

static void test_forward_egress_down(void **state)
{
	struct fx *fx = *state;
	struct sim_if *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	struct dps_if_stats st;

	assert_int_equal(dps_if_set_admin(fx->st, out->ifindex, false, NULL, 0), 0);
	deliver_and_run(&fx->ifs[0], make_routed(fx, &s, 64, NULL));
	expect_nothing_sent(fx);
	expect_err(fx, IF_DOWN, 1);
	dps_if_stats_get(fx->st, out->ifindex, &st);
	assert_int_equal(st.tx_drops, 1);
}

/* What the port does not take is freed and counted. */
static void test_forward_tx_queue_full(void **state)
{
	struct fx *fx = *state;
	struct sim_if *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	struct dps_if_stats st;
	unsigned i;

	out->tx_budget = 3;
	for (i = 0; i < 10; i++)
		deliver(&fx->ifs[0], make_routed(fx, &s, 64, NULL));
	run_until_idle(fx);
	assert_int_equal(sent_count(out), 3);
	expect_err(fx, TX_FULL, 7);
	dps_if_stats_get(fx->st, out->ifindex, &st);
	assert_int_equal(st.tx_drops, 7);
	drop_sent(fx);
}

/* Back out of the interface it came in on (a hairpin): still routed. */
static void test_forward_same_interface(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(in);
	struct rte_ether_addr other = { { 0x02, 0x77, 0, 0, 0, 7 } };
	struct frame f;

	learn_host(in, IP4(10, 0, 0, 7), &other);
	s.dst = IP4(10, 0, 0, 7);
	s.proto = PROTO_TEST;
	deliver_and_run(in, make_routed(fx, &s, 64, NULL));
	expect_frame(in, &f);
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &other));
	assert_int_equal(frame_ip4(&f)->time_to_live, 63);
}

/*
 * The first packet to a neighbour not yet resolved waits for ARP; if it is
 * too big with DF it must still earn its sender the ICMP "fragmentation
 * needed" (RFC 1191), as it would have had the neighbour been known.
 */
static void test_forward_df_too_big_while_resolving(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct ip4_spec s = to_sim1_peer(fx);
	struct arp_spec a;
	struct frame f;

	assert_int_equal(dps_if_set_mtu(fx->st, out->ifindex, 1000, NULL, 0), 0);
	s.dst = IP4(10, 1, 0, 3);   /* on sim1's network, never heard of */
	s.frag = RTE_IPV4_HDR_DF_FLAG;
	deliver_and_run(in, make_routed(fx, &s, 1400 - 20, NULL));
	/* asking for the neighbour first is allowed, not required */
	if (take_frame(out, &f)) {
		expect_arp(&f, RTE_ARP_OP_REQUEST, NULL, &out->mac, out->addr, IP4(10, 1, 0, 3));
		a = arp_request_from_peer(out, out->addr);
		a.op = RTE_ARP_OP_REPLY;
		a.sip = IP4(10, 1, 0, 3);
		a.dmac = out->mac;
		a.tha = out->mac;
		deliver_and_run(out, make_arp(fx, &a));
	}
	assert_int_equal(sent_count(out), 0);
	expect_err(fx, IP4_FRAG_NEEDED, 1);
	if (sent_count(in) != 1)
		fail_msg("the sender got %u ICMP messages, expected one fragmentation needed",
			 sent_count(in));
	expect_frame(in, &f);
	expect_icmp_error(&f, in->addr, in->peer, 3, ICMP_UNREACH_NEEDFRAG, NULL, 28);
	assert_int_equal(rte_be_to_cpu_16(frame_icmp(&f)->icmp_seq_nb), 1000);
}

/* Through a gateway nobody resolved yet: ARP asks for the gateway. */
static void test_forward_via_unresolved_gateway(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct rte_ether_addr gw_mac = { { 0x02, 0x99, 0, 0, 0, 9 } };
	struct ip4_spec s = to_sim1_peer(fx);
	struct arp_spec a;
	struct frame f;

	assert_int_equal(dps_route_add(fx->st, IP4(198, 51, 100, 0), 24, IP4(10, 1, 0, 9), -1,
				       NULL, 0), 0);
	s.dst = IP4(198, 51, 100, 7);
	deliver_and_run(in, make_routed(fx, &s, 64, NULL));
	expect_frame(out, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, NULL, &out->mac, out->addr, IP4(10, 1, 0, 9));
	expect_nothing_sent(fx);
	a = arp_request_from_peer(out, out->addr);
	a.op = RTE_ARP_OP_REPLY;
	a.smac = a.sha = gw_mac;
	a.sip = IP4(10, 1, 0, 9);
	a.dmac = a.tha = out->mac;
	deliver_and_run(out, make_arp(fx, &a));
	expect_frame(out, &f);
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &gw_mac));
	expect_ip4(&f, in->peer, IP4(198, 51, 100, 7), PROTO_TEST);
	assert_int_equal(frame_ip4(&f)->time_to_live, 63);
	/* the next one needs no help */
	deliver_and_run(in, make_routed(fx, &s, 64, NULL));
	assert_int_equal(sent_count(out), 1);
	drop_sent(fx);
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* RFC 791: every host must take 68 bytes unfragmented. */
static void test_mtu_below_68_refused(void **state)
{
	struct fx *fx = *state;
	char e[128] = "";

	assert_int_equal(dps_if_set_mtu(fx->st, fx->ifs[1].ifindex, 67, e, sizeof(e)), -EINVAL);
	assert_true(strlen(e) > 0);
	assert_int_equal(fx->st->ifaces[fx->ifs[1].ifindex].mtu, 1500);
	assert_int_equal(dps_if_set_mtu(fx->st, fx->ifs[1].ifindex, 68, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_forward_decrements_ttl_and_rewrites_macs, fx_setup_two),
		fx_test(test_forward_checksum_carry, fx_setup_two),
		fx_test(test_forward_ttl_1_time_exceeded, fx_setup_two),
		fx_test(test_time_exceeded_quote_bounded, fx_setup_two),
		fx_test(test_ttl_1_to_us_is_answered, fx_setup_two),
		fx_test(test_forward_no_route_net_unreachable, fx_setup_two),
		fx_test(test_forward_df_too_big_frag_needed, fx_setup_two),
		fx_test(test_forward_mtu_boundary, fx_setup_two),
		fx_test(test_forward_fragments_without_df, fx_setup_two),
		fx_test(test_forward_refragments_a_fragment, fx_setup_two),
		fx_test(test_no_icmp_error_about_icmp_error, fx_setup_two),
		fx_test(test_no_icmp_error_about_later_fragment, fx_setup_two),
		fx_test(test_link_broadcast_not_forwarded, fx_setup_two),
		fx_test(test_icmp_errors_rate_limited, fx_setup_two),
		fx_test(test_forward_egress_down, fx_setup_two),
		fx_test(test_forward_tx_queue_full, fx_setup_two),
		fx_test(test_forward_same_interface, fx_setup_two),
		fx_test(test_forward_df_too_big_while_resolving, fx_setup_two),
		fx_test(test_forward_via_unresolved_gateway, fx_setup_two),
		fx_test(test_mtu_below_68_refused, fx_setup_two),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
