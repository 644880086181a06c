/*
 * ARP (RFC 826, RFC 5227) and the neighbour table: answers, learning,
 * resolution with a bounded hold queue, retransmission and failure on the
 * virtual clock, ageing, gratuitous ARP.
 */
#include "fixture.h"

static const struct rte_ether_addr bcast_mac = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

struct neigh_copy {
	uint32_t ip;
	bool found;
	struct dps_neigh_info ni;
};

static int neigh_copy_cb(const struct dps_neigh_info *ni, void *arg)
{
	struct neigh_copy *c = arg;

	if (ni->ip != c->ip)
		return 0;
	c->found = true;
	c->ni = *ni;
	return 1;
}

static struct dps_neigh_info neigh_info(struct fx *fx, uint32_t ip)
{
	struct neigh_copy c = { .ip = ip };

	dps_neigh_walk(fx->st, neigh_copy_cb, &c);
	if (!c.found)
		fail_msg("no neighbour entry for %u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
			 (ip >> 8) & 0xff, ip & 0xff);
	return c.ni;
}

static struct rte_mbuf *make_request_from_peer(struct sim_if *sif, uint32_t tip)
{
	struct arp_spec a = arp_request_from_peer(sif, tip);

	return make_arp(sif->fx, &a);
}

/* The ARP reply of sif's peer to a request of ours. */
static struct rte_mbuf *make_peer_reply(struct sim_if *sif)
{
	struct arp_spec a = arp_request_from_peer(sif, sif->addr);

	a.op = RTE_ARP_OP_REPLY;
	a.dmac = sif->mac;
	a.tha = sif->mac;
	return make_arp(sif->fx, &a);
}

/* A packet from sim0's peer to be forwarded to sim1's peer. */
static struct rte_mbuf *make_forwarded(struct fx *fx, uint16_t id)
{
	struct ip4_spec s = ip4_from_peer(&fx->ifs[0]);
	uint8_t payload[64];

	memset(payload, (int)id, sizeof(payload));
	s.dst = fx->ifs[1].peer;
	s.proto = 253;
	s.id = id;
	return make_ip4(fx, &s, payload, sizeof(payload));
}

static int setup_sim0_resolved(void **state)
{
	int rc = fx_setup_two_unresolved(state);
	struct fx *fx = *state;

	if (rc == 0)
		learn_peer(&fx->ifs[0]);
	return rc;
}

/* ---- answering and learning ---- */

static void test_arp_request_answered_and_sender_learned(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct dps_neigh_info ni;
	struct dps_route_info ri;
	struct frame f;

	deliver_and_run(sif, make_request_from_peer(sif, sif->addr));
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REPLY, &sif->peer_mac, &sif->mac, sif->addr, sif->peer);
	assert_int_equal(sent_total(fx), 0);

	ni = neigh_info(fx, sif->peer);
	assert_string_equal(ni.state, "reachable");
	assert_true(rte_is_same_ether_addr(&ni.mac, &sif->peer_mac));
	assert_int_equal(ni.ifindex, sif->ifindex);
	assert_int_equal(dps_neigh_count(fx->st), 1);
	/* and its host route */
	assert_true(route_lookup(fx, sif->peer, 32, &ri));
	assert_int_equal(ri.type, DPS_RT_NEIGH);
	assert_true(ri.resolved);
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_arp_request_for_other_address_not_answered(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];

	deliver_and_run(sif, make_request_from_peer(sif, IP4(10, 0, 0, 77)));
	expect_nothing_sent(fx);
	expect_err(fx, ARP_NOT_FOR_US, 1);
	expect_only_errs(fx, DPS_ERR_ARP_NOT_FOR_US, DPS_ERR__MAX);
	/* RFC 826: a sender is only added when the packet is for us */
	assert_int_equal(dps_neigh_count(fx->st), 0);
}

/* One interface does not answer for another one's address (no ARP flux). */
static void test_arp_request_for_other_interface_not_answered(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];

	deliver_and_run(sif, make_request_from_peer(sif, fx->ifs[1].addr));
	expect_nothing_sent(fx);
	expect_err(fx, ARP_NOT_FOR_US, 1);
}

/* RFC 826 merge: a known sender's MAC is updated by any ARP it sends. */
static void test_arp_known_sender_updated_by_any_request(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct arp_spec a = arp_request_from_peer(sif, IP4(10, 0, 0, 77));
	struct rte_ether_addr moved = { { 0x02, 0xaa, 0, 0, 0, 0x02 } };

	learn_peer(sif);
	a.smac = moved;
	a.sha = moved;
	struct dps_neigh_info ni;

	deliver_and_run(sif, make_arp(fx, &a));
	expect_nothing_sent(fx);
	ni = neigh_info(fx, sif->peer);
	assert_true(rte_is_same_ether_addr(&ni.mac, &moved));
}

/* RFC 5227 probe (sender 0.0.0.0): answered, nothing learned. */
static void test_arp_probe_answered_not_learned(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct arp_spec a = arp_request_from_peer(sif, sif->addr);
	struct frame f;

	a.sip = 0;
	deliver_and_run(sif, make_arp(fx, &a));
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REPLY, &sif->peer_mac, &sif->mac, sif->addr, 0);
	assert_int_equal(dps_neigh_count(fx->st), 0);
}

/* ---- resolution ---- */

static void test_arp_unresolved_next_hop_holds_then_sends(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	const uint32_t qlen = fx->st->params.arp_queue_len;
	struct frame f;
	uint32_t i;

	assert_int_equal(qlen, 16);
	/* one more than the queue holds */
	for (i = 0; i <= qlen; i++)
		deliver(in, make_forwarded(fx, (uint16_t)(100 + i)));
	run_until_idle(fx);
	/* one broadcast request, however many packets wait */
	expect_frame(out, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, NULL, &out->mac, out->addr, out->peer);
	expect_nothing_sent(fx);
	assert_string_equal(neigh_info(fx, out->peer).state, "incomplete");
	assert_int_equal(neigh_info(fx, out->peer).queued, qlen);
	/* the oldest made room for the newest */
	expect_err(fx, ARP_QUEUE_FULL, 1);

	deliver_and_run(out, make_peer_reply(out));
	assert_int_equal(sent_count(out), qlen);
	for (i = 1; i <= qlen; i++) {
		struct rte_ipv4_hdr *ih;

		expect_frame(out, &f);
		assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &out->peer_mac));
		assert_true(rte_is_same_ether_addr(&frame_eth(&f)->src_addr, &out->mac));
		ih = expect_ip4(&f, in->peer, out->peer, 253);
		assert_int_equal(rte_be_to_cpu_16(ih->packet_id), 100 + i);
		assert_int_equal(ih->time_to_live, 63);
	}
	expect_nothing_sent(fx);
	assert_string_equal(neigh_info(fx, out->peer).state, "reachable");
	assert_int_equal(neigh_info(fx, out->peer).queued, 0);
	expect_only_errs(fx, DPS_ERR_ARP_QUEUE_FULL, DPS_ERR__MAX);

	/* resolved: the next packet goes straight out */
	deliver_and_run(in, make_forwarded(fx, 200));
	assert_int_equal(sent_count(out), 1);
}

/* The queue length is a parameter. */
static void test_arp_queue_length_parameter(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct frame f;
	uint16_t i;

	fx->st->params.arp_queue_len = 2;
	for (i = 0; i < 5; i++)
		deliver(in, make_forwarded(fx, i));
	run_until_idle(fx);
	expect_err(fx, ARP_QUEUE_FULL, 3);
	drop_sent(fx);
	deliver_and_run(out, make_peer_reply(out));
	assert_int_equal(sent_count(out), 2);
	expect_frame(out, &f);
	assert_int_equal(rte_be_to_cpu_16(frame_ip4(&f)->packet_id), 3);
	expect_frame(out, &f);
	assert_int_equal(rte_be_to_cpu_16(frame_ip4(&f)->packet_id), 4);
}

/*
 * No answer: arp_max_probes requests arp_retrans_ms apart, then the held
 * packets are dropped as ARP_FAILED and each sender gets an ICMP host
 * unreachable (RFC 1812 4.3.3.1).
 */
static void test_arp_no_reply_gives_host_unreachable(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	const struct dps_params *p = &fx->st->params;
	uint64_t t0 = now_ns(fx);
	uint8_t sent[2][128];
	struct frame f;
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct ip4_spec s = ip4_from_peer(in);
		uint8_t payload[64];

		memset(payload, (int)i, sizeof(payload));
		s.dst = out->peer;
		s.proto = 253;
		s.id = (uint16_t)(500 + i);
		build_ip4(sent[i], &s, payload, sizeof(payload));
		deliver(in, make_ip4(fx, &s, payload, sizeof(payload)));
	}
	run_until_idle(fx);
	/* step the clock to just before the give-up time */
	advance_in_steps(fx, (uint64_t)p->arp_max_probes * p->arp_retrans_ms - 100, 100);
	assert_int_equal(sent_count(out), p->arp_max_probes);
	for (i = 0; i < p->arp_max_probes; i++) {
		expect_frame(out, &f);
		expect_arp(&f, RTE_ARP_OP_REQUEST, NULL, &out->mac, out->addr, out->peer);
		assert_int_equal(f.t_ns - t0, (uint64_t)i * p->arp_retrans_ms * DPS_NS_PER_MS);
	}
	expect_nothing_sent(fx);
	expect_err(fx, ARP_FAILED, 0);
	assert_int_equal(neigh_info(fx, out->peer).queued, 2);

	advance_in_steps(fx, 200, 100);
	expect_err(fx, ARP_FAILED, 2);
	assert_int_equal(sent_count(out), 0);
	assert_int_equal(sent_count(in), 2);
	for (i = 0; i < 2; i++) {
		struct rte_ipv4_hdr *q;

		expect_frame(in, &f);
		/* RFC 1812 4.3.2.4: sourced from an address of the interface
		 * the error leaves on (sim0), not of the one that failed */
		expect_icmp_error(&f, in->addr, in->peer, 3, ICMP_UNREACH_HOST, NULL, 28);
		/* the quoted header is the packet as forwarded (TTL one less) */
		q = (struct rte_ipv4_hdr *)((uint8_t *)frame_icmp(&f) + 8);
		assert_int_equal(rte_be_to_cpu_16(q->packet_id), 500 + i);
		assert_memory_equal(&q->src_addr, sent[i] + 14 + 12, 8);
		assert_memory_equal((uint8_t *)(q + 1), sent[i] + 14 + 20, 8);
	}
	/* nothing about the neighbour is kept, no routes left behind */
	assert_null(neigh_state(fx, out->peer));
	assert_false(route_lookup(fx, out->peer, 32, NULL));
}

/* After a failure the next packet starts a new resolution. */
static void test_arp_retry_after_failure(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	const struct dps_params *p = &fx->st->params;
	struct frame f;

	deliver_and_run(in, make_forwarded(fx, 1));
	advance_in_steps(fx, (uint64_t)p->arp_max_probes * p->arp_retrans_ms + 100, 100);
	drop_sent(fx);
	deliver_and_run(in, make_forwarded(fx, 2));
	expect_frame(out, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, NULL, &out->mac, out->addr, out->peer);
	deliver_and_run(out, make_peer_reply(out));
	expect_frame(out, &f);
	assert_int_equal(rte_be_to_cpu_16(expect_ip4(&f, in->peer, out->peer, 253)->packet_id), 2);
}

/* ---- ageing ---- */

static void test_arp_unused_entry_goes_stale_then_away(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	const uint64_t reach = fx->st->params.arp_reachable_ms;

	learn_peer(sif);
	advance_in_steps(fx, reach - 100, 100);
	assert_string_equal(neigh_state(fx, sif->peer), "reachable");
	advance_in_steps(fx, 100, 100);
	assert_string_equal(neigh_state(fx, sif->peer), "stale");
	advance_in_steps(fx, 2 * reach - 100, 100);
	assert_string_equal(neigh_state(fx, sif->peer), "stale");
	assert_true(route_lookup(fx, sif->peer, 32, NULL));
	advance_in_steps(fx, 100, 100);
	assert_null(neigh_state(fx, sif->peer));
	assert_false(route_lookup(fx, sif->peer, 32, NULL));
	/* ageing is silent */
	expect_nothing_sent(fx);
	expect_only_errs(fx, DPS_ERR__MAX);
}

/* An entry in use when it expires is checked with a unicast request. */
static void test_arp_used_entry_probed_by_unicast(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	struct ip4_spec s = ip4_from_peer(sif);
	const uint64_t reach = fx->st->params.arp_reachable_ms;
	struct frame f;

	learn_peer(sif);
	advance_in_steps(fx, reach - 1000, 1000);
	deliver_and_run(sif, make_echo(fx, &s, 1, 1, 8));   /* the reply uses the entry */
	expect_frame(sif, &f);
	advance_in_steps(fx, 1000, 100);
	assert_string_equal(neigh_state(fx, sif->peer), "probe");
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, &sif->peer_mac, &sif->mac, sif->addr, sif->peer);
	/* still usable while probing */
	deliver_and_run(sif, make_echo(fx, &s, 1, 2, 8));
	expect_frame(sif, &f);
	assert_int_equal(frame_icmp(&f)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	deliver_and_run(sif, make_peer_reply(sif));
	assert_string_equal(neigh_state(fx, sif->peer), "reachable");
	expect_nothing_sent(fx);
}

/* ---- gratuitous ARP ---- */

static void test_arp_gratuitous_on_address_add(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = &fx->ifs[0];
	uint32_t a2 = IP4(10, 0, 0, 50);
	struct frame f;

	assert_int_equal(dps_if_addr_add(fx->st, sif->ifindex, a2, 24, NULL, 0), 0);
	run_until_idle(fx);
	expect_frame(sif, &f);
	/* RFC 5227 3: a broadcast request, sender and target our address */
	expect_arp(&f, RTE_ARP_OP_REQUEST, &bcast_mac, &sif->mac, a2, a2);
	expect_nothing_sent(fx);
}

static void test_arp_gratuitous_only_when_up(void **state)
{
	struct fx *fx = *state;
	struct sim_if *sif = sim_if_add(fx, 3, 1500);
	struct frame f;

	assert_int_equal(dps_if_addr_add(fx->st, sif->ifindex, sif->addr, 24, NULL, 0), 0);
	assert_int_equal(dps_if_addr_add(fx->st, sif->ifindex, IP4(10, 3, 1, 1), 24, NULL, 0), 0);
	run_until_idle(fx);
	expect_nothing_sent(fx);
	/* coming up announces every address */
	assert_int_equal(dps_if_set_admin(fx->st, sif->ifindex, true, NULL, 0), 0);
	run_until_idle(fx);
	assert_int_equal(sent_count(sif), 2);
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, &bcast_mac, &sif->mac, sif->addr, sif->addr);
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, &bcast_mac, &sif->mac, IP4(10, 3, 1, 1),
		   IP4(10, 3, 1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_arp_request_answered_and_sender_learned, fx_setup_one),
		fx_test(test_arp_request_for_other_address_not_answered, fx_setup_one),
		fx_test(test_arp_request_for_other_interface_not_answered, fx_setup_two_unresolved),
		fx_test(test_arp_known_sender_updated_by_any_request, fx_setup_one),
		fx_test(test_arp_probe_answered_not_learned, fx_setup_one),
		fx_test(test_arp_unresolved_next_hop_holds_then_sends, setup_sim0_resolved),
		fx_test(test_arp_queue_length_parameter, setup_sim0_resolved),
		fx_test(test_arp_no_reply_gives_host_unreachable, setup_sim0_resolved),
		fx_test(test_arp_retry_after_failure, setup_sim0_resolved),
		fx_test(test_arp_unused_entry_goes_stale_then_away, fx_setup_one),
		fx_test(test_arp_used_entry_probed_by_unicast, fx_setup_one),
		fx_test(test_arp_gratuitous_on_address_add, fx_setup_one),
		fx_test(test_arp_gratuitous_only_when_up, fx_setup_one),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
