/*
 * The FIB through its configuration API: routes implied by addresses,
 * static routes and their errors, longest-prefix match, the default
 * route, what deleting an address takes with it, the sorted walk.
 */
#include <errno.h>

#include "fixture.h"

static char err[256];

/* The next hop the FIB picks for ip: its type, gateway/own address, interface. */
struct hop {
	bool found;
	uint8_t type;
	uint32_t ip;
	uint16_t ifindex;
};

static struct hop lookup(struct fx *fx, uint32_t ip)
{
	uint32_t idx = ip4_lookup(fx->st, ip);
	struct hop h = { .found = idx != NH_NONE };

	if (h.found) {
		const struct dps_nexthop *nh = fib_nh(fx->st, idx);

		h.type = nh->type;
		h.ip = nh->ip;
		h.ifindex = nh->ifindex;
	}
	return h;
}

static void expect_via(struct fx *fx, uint32_t dst, uint32_t gw)
{
	struct hop h = lookup(fx, dst);

	if (!h.found)
		fail_msg("no route to 0x%08x", dst);
	assert_int_equal(h.type, NH_NEIGH);
	assert_int_equal(h.ip, gw);
}

static int route_add(struct fx *fx, uint32_t prefix, uint8_t plen, uint32_t gw)
{
	err[0] = '\0';
	return dps_route_add(fx->st, prefix, plen, gw, -1, err, sizeof(err));
}

static int route_del(struct fx *fx, uint32_t prefix, uint8_t plen)
{
	err[0] = '\0';
	return dps_route_del(fx->st, prefix, plen, 0, -1, err, sizeof(err));
}

static int addr_add(struct fx *fx, unsigned ifx, uint32_t ip, uint8_t plen)
{
	err[0] = '\0';
	return dps_if_addr_add(fx->st, ifx, ip, plen, err, sizeof(err));
}

/* A refused change leaves a reason and changes nothing. */
static void expect_refused(struct fx *fx, int rc, int want, unsigned nroutes)
{
	if (rc != want)
		fail_msg("returned %d (%s), expected %d", rc, err, want);
	assert_true(strlen(err) > 0);
	assert_int_equal(route_count(fx), nroutes);
}

/* ---- addresses ---- */

static void test_fib_address_routes(void **state)
{
	struct fx *fx = *state;
	struct dps_route_info ri;

	/* two interfaces, three routes each */
	assert_int_equal(route_count(fx), 6);
	assert_true(route_lookup(fx, IP4(10, 0, 0, 0), 24, &ri));
	assert_int_equal(ri.type, DPS_RT_CONNECTED);
	assert_int_equal(ri.ifindex, fx->ifs[0].ifindex);
	assert_true(route_lookup(fx, IP4(10, 0, 0, 1), 32, &ri));
	assert_int_equal(ri.type, DPS_RT_LOCAL);
	assert_true(route_lookup(fx, IP4(10, 0, 0, 255), 32, &ri));
	assert_int_equal(ri.type, DPS_RT_BCAST);
	assert_int_equal(lookup(fx, IP4(10, 0, 0, 1)).type, NH_LOCAL);
	assert_int_equal(lookup(fx, IP4(10, 0, 0, 255)).type, NH_BCAST);
	assert_int_equal(lookup(fx, IP4(10, 0, 0, 77)).type, NH_CONNECTED);
	assert_int_equal(lookup(fx, IP4(10, 1, 0, 77)).ifindex, fx->ifs[1].ifindex);
	assert_false(lookup(fx, IP4(10, 2, 0, 1)).found);
}

static void test_fib_address_network_or_broadcast_refused(void **state)
{
	struct fx *fx = *state;
	const unsigned n = route_count(fx);

	expect_refused(fx, addr_add(fx, 0, IP4(10, 9, 0, 0), 24), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4(10, 9, 0, 255), 24), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4(10, 8, 0, 0), 16), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4(10, 9, 0, 3), 30), -EINVAL, n);
	/* not host addresses at all */
	expect_refused(fx, addr_add(fx, 0, 0, 24), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4(127, 0, 0, 1), 8), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4(224, 0, 0, 9), 24), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4(240, 0, 0, 9), 24), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4_BCAST, 32), -EINVAL, n);
	expect_refused(fx, addr_add(fx, 0, IP4(10, 9, 0, 1), 0), -EINVAL, n);
	/* RFC 3021: a /31 has no network or broadcast address */
	assert_int_equal(addr_add(fx, 0, IP4(10, 9, 0, 0), 31), 0);
	/* a /32 is just the address */
	assert_int_equal(addr_add(fx, 0, IP4(10, 9, 1, 0), 32), 0);
	assert_int_equal(route_count(fx), n + 2 + 1);
	drop_sent(fx);   /* gratuitous ARP */
}

/* Found by UBSan: the mask was computed from the length before the check. */
static void test_fib_address_prefix_length_33_refused(void **state)
{
	struct fx *fx = *state;
	const unsigned n = route_count(fx);

	expect_refused(fx, addr_add(fx, 0, IP4(10, 9, 0, 1), 33), -EINVAL, n);
	err[0] = '\0';
	assert_int_equal(dps_if_addr_del(fx->st, 0, IP4(10, 0, 0, 1), 33, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(route_count(fx), n);
}

static void test_fib_address_taken_refused(void **state)
{
	struct fx *fx = *state;
	const unsigned n = route_count(fx);

	expect_refused(fx, addr_add(fx, 1, fx->ifs[0].addr, 24), -EEXIST, n);
	expect_refused(fx, addr_add(fx, 0, fx->ifs[0].addr, 24), -EEXIST, n);
	/* the same network on a second interface */
	expect_refused(fx, addr_add(fx, 1, IP4(10, 0, 0, 9), 24), -EEXIST, n);
	expect_refused(fx, addr_add(fx, 7, IP4(10, 7, 0, 1), 24), -ENODEV, n);
}

static void test_fib_address_delete_takes_its_routes(void **state)
{
	struct fx *fx = *state;
	struct sim_if *s0 = &fx->ifs[0];

	learn_peer(s0);
	learn_peer(&fx->ifs[1]);
	assert_int_equal(route_add(fx, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 2)), 0);
	assert_int_equal(route_add(fx, 0, 0, IP4(10, 0, 0, 3)), 0);
	assert_int_equal(route_add(fx, IP4(30, 0, 0, 0), 8, IP4(10, 1, 0, 2)), 0);
	/* 6 of addresses, 2 neighbour host routes, 3 static */
	assert_int_equal(route_count(fx), 6 + 2 + 3);

	assert_int_equal(dps_if_addr_del(fx->st, s0->ifindex, s0->addr, 24, err, sizeof(err)), 0);
	assert_false(route_lookup(fx, IP4(10, 0, 0, 0), 24, NULL));
	assert_false(route_lookup(fx, IP4(10, 0, 0, 1), 32, NULL));
	assert_false(route_lookup(fx, IP4(10, 0, 0, 255), 32, NULL));
	assert_false(route_lookup(fx, IP4(10, 0, 0, 2), 32, NULL));
	assert_false(route_lookup(fx, IP4(20, 0, 0, 0), 8, NULL));
	assert_false(route_lookup(fx, 0, 0, NULL));
	assert_null(neigh_state(fx, s0->peer));
	/* the other interface's routes stay */
	assert_true(route_lookup(fx, IP4(30, 0, 0, 0), 8, NULL));
	assert_int_equal(route_count(fx), 3 + 1 + 1);
	assert_false(lookup(fx, IP4(20, 1, 2, 3)).found);
	assert_false(lookup(fx, IP4(99, 1, 2, 3)).found);
	expect_via(fx, IP4(30, 1, 2, 3), IP4(10, 1, 0, 2));
	assert_int_equal(dps_if_addr_del(fx->st, s0->ifindex, s0->addr, 24, err, sizeof(err)),
			 -ENOENT);
}

/* With two addresses on one network, the network leaves with the last. */
static void test_fib_second_address_on_network(void **state)
{
	struct fx *fx = *state;
	struct sim_if *s0 = &fx->ifs[0];

	assert_int_equal(addr_add(fx, s0->ifindex, IP4(10, 0, 0, 50), 24), 0);
	assert_int_equal(route_count(fx), 7);
	assert_int_equal(dps_if_addr_del(fx->st, s0->ifindex, s0->addr, 24, err, sizeof(err)), 0);
	assert_true(route_lookup(fx, IP4(10, 0, 0, 0), 24, NULL));
	assert_true(route_lookup(fx, IP4(10, 0, 0, 255), 32, NULL));
	assert_false(route_lookup(fx, s0->addr, 32, NULL));
	assert_int_equal(lookup(fx, IP4(10, 0, 0, 50)).type, NH_LOCAL);
	drop_sent(fx);
}

/* ---- static routes ---- */

static void test_fib_longest_prefix_match(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(route_add(fx, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 2)), 0);
	assert_int_equal(route_add(fx, IP4(20, 1, 0, 0), 16, IP4(10, 0, 0, 3)), 0);
	assert_int_equal(route_add(fx, IP4(20, 1, 2, 0), 24, IP4(10, 0, 0, 4)), 0);
	assert_int_equal(route_add(fx, IP4(20, 1, 2, 3), 32, IP4(10, 1, 0, 5)), 0);

	expect_via(fx, IP4(20, 9, 9, 9), IP4(10, 0, 0, 2));
	expect_via(fx, IP4(20, 1, 9, 9), IP4(10, 0, 0, 3));
	expect_via(fx, IP4(20, 1, 2, 9), IP4(10, 0, 0, 4));
	expect_via(fx, IP4(20, 1, 2, 3), IP4(10, 1, 0, 5));
	assert_int_equal(lookup(fx, IP4(20, 1, 2, 3)).ifindex, fx->ifs[1].ifindex);
	expect_via(fx, IP4(20, 1, 2, 2), IP4(10, 0, 0, 4));
	expect_via(fx, IP4(20, 1, 2, 4), IP4(10, 0, 0, 4));
	expect_via(fx, IP4(20, 255, 255, 255), IP4(10, 0, 0, 2));
	assert_false(lookup(fx, IP4(21, 0, 0, 0)).found);
	assert_false(lookup(fx, IP4(19, 255, 255, 255)).found);

	/* taking the /24 away uncovers the /16 */
	assert_int_equal(route_del(fx, IP4(20, 1, 2, 0), 24), 0);
	expect_via(fx, IP4(20, 1, 2, 9), IP4(10, 0, 0, 3));
	expect_via(fx, IP4(20, 1, 2, 3), IP4(10, 1, 0, 5));
	assert_int_equal(route_del(fx, IP4(20, 1, 0, 0), 16), 0);
	expect_via(fx, IP4(20, 1, 2, 9), IP4(10, 0, 0, 2));
}

/* The same, seen in what the stack forwards. */
static void test_fib_forwarding_follows_longest_prefix(void **state)
{
	struct fx *fx = *state;
	struct sim_if *in = &fx->ifs[0], *out = &fx->ifs[1];
	struct rte_ether_addr mac3 = { { 0x02, 0x33, 0, 0, 0, 3 } };
	struct frame f;
	uint8_t payload[32] = { 0 };

	learn_host(out, IP4(10, 1, 0, 3), &mac3);
	assert_int_equal(route_add(fx, IP4(20, 0, 0, 0), 8, out->peer), 0);
	assert_int_equal(route_add(fx, IP4(20, 1, 0, 0), 16, IP4(10, 1, 0, 3)), 0);
	assert_int_equal(route_add(fx, 0, 0, in->peer), 0);

	struct {
		uint32_t dst;
		struct sim_if *sif;
		const struct rte_ether_addr *mac;
	} cases[] = {
		{ IP4(20, 2, 0, 1), out, &out->peer_mac },
		{ IP4(20, 1, 0, 1), out, &mac3 },
		{ IP4(8, 8, 8, 8), in, &in->peer_mac },
	};
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		struct ip4_spec s = ip4_from_peer(in);

		s.dst = cases[i].dst;
		s.proto = 253;
		deliver_and_run(in, make_ip4(fx, &s, payload, sizeof(payload)));
		expect_frame(cases[i].sif, &f);
		assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, cases[i].mac));
		assert_int_equal(rte_be_to_cpu_32(frame_ip4(&f)->dst_addr), cases[i].dst);
		expect_nothing_sent(fx);
	}
	expect_only_errs(fx, DPS_ERR__MAX);
}

static void test_fib_default_route(void **state)
{
	struct fx *fx = *state;
	struct dps_route_info ri;

	assert_false(lookup(fx, IP4(99, 1, 2, 3)).found);
	assert_int_equal(route_add(fx, 0, 0, IP4(10, 1, 0, 9)), 0);
	expect_via(fx, IP4(99, 1, 2, 3), IP4(10, 1, 0, 9));
	expect_via(fx, IP4(255, 255, 255, 254), IP4(10, 1, 0, 9));
	/* more specific routes still win */
	assert_int_equal(lookup(fx, IP4(10, 0, 0, 7)).type, NH_CONNECTED);
	assert_true(route_lookup(fx, 0, 0, &ri));
	assert_int_equal(ri.type, DPS_RT_STATIC);
	assert_int_equal(ri.gw, IP4(10, 1, 0, 9));
	assert_false(ri.resolved);
	expect_refused(fx, route_add(fx, 0, 0, IP4(10, 0, 0, 9)), -EEXIST, route_count(fx));
	assert_int_equal(route_del(fx, 0, 0), 0);
	assert_false(lookup(fx, IP4(99, 1, 2, 3)).found);
}

static void test_fib_gateway_not_connected(void **state)
{
	struct fx *fx = *state;
	const unsigned n = route_count(fx);

	expect_refused(fx, route_add(fx, IP4(20, 0, 0, 0), 8, IP4(10, 2, 0, 1)), -ENETUNREACH, n);
	/* on a connected network, but not of the interface named */
	err[0] = '\0';
	expect_refused(fx, dps_route_add(fx->st, IP4(20, 0, 0, 0), 8, IP4(10, 1, 0, 2),
					 (int)fx->ifs[0].ifindex, err, sizeof(err)),
		       -ENETUNREACH, n);
	/* through a route is not enough: the gateway must be on the link */
	assert_int_equal(route_add(fx, IP4(30, 0, 0, 0), 8, IP4(10, 0, 0, 2)), 0);
	expect_refused(fx, route_add(fx, IP4(40, 0, 0, 0), 8, IP4(30, 0, 0, 1)), -ENETUNREACH,
		       n + 1);
	assert_int_equal(dps_neigh_count(fx->st), 1);
}

static void test_fib_duplicate_route(void **state)
{
	struct fx *fx = *state;
	unsigned n;

	assert_int_equal(route_add(fx, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 2)), 0);
	n = route_count(fx);
	expect_refused(fx, route_add(fx, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 2)), -EEXIST, n);
	expect_refused(fx, route_add(fx, IP4(20, 0, 0, 0), 8, IP4(10, 1, 0, 2)), -EEXIST, n);
	/* over what an address installed */
	expect_refused(fx, route_add(fx, IP4(10, 0, 0, 0), 24, IP4(10, 1, 0, 2)), -EEXIST, n);
	expect_refused(fx, route_add(fx, IP4(10, 0, 0, 1), 32, IP4(10, 1, 0, 2)), -EEXIST, n);
	expect_refused(fx, route_add(fx, IP4(10, 0, 0, 255), 32, IP4(10, 1, 0, 2)), -EEXIST, n);
	/* a different length of the same prefix is another route */
	assert_int_equal(route_add(fx, IP4(20, 0, 0, 0), 9, IP4(10, 0, 0, 2)), 0);
}

static void test_fib_prefix_with_host_bits(void **state)
{
	struct fx *fx = *state;
	const unsigned n = route_count(fx);

	expect_refused(fx, route_add(fx, IP4(20, 1, 0, 0), 8, IP4(10, 0, 0, 2)), -EINVAL, n);
	expect_refused(fx, route_add(fx, IP4(20, 0, 0, 1), 31, IP4(10, 0, 0, 2)), -EINVAL, n);
	expect_refused(fx, route_add(fx, IP4(0, 0, 0, 1), 0, IP4(10, 0, 0, 2)), -EINVAL, n);
	expect_refused(fx, route_add(fx, IP4(20, 0, 0, 0), 33, IP4(10, 0, 0, 2)), -EINVAL, n);
	assert_int_equal(dps_neigh_count(fx->st), 0);
}

static void test_fib_bad_gateways(void **state)
{
	struct fx *fx = *state;
	const unsigned n = route_count(fx);
	static const uint32_t bad[] = {
		0, IP4_BCAST, IP4(224, 0, 0, 1), IP4(10, 0, 0, 1), IP4(10, 0, 0, 255),
		IP4(10, 1, 0, 1),
	};

	for (size_t i = 0; i < RTE_DIM(bad); i++)
		expect_refused(fx, route_add(fx, IP4(20, 0, 0, 0), 8, bad[i]), -EINVAL, n);
	err[0] = '\0';
	expect_refused(fx, dps_route_add(fx->st, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 2), 9, err,
					 sizeof(err)),
		       -ENODEV, n);
	assert_int_equal(dps_neigh_count(fx->st), 0);
}

static void test_fib_delete_refusals(void **state)
{
	struct fx *fx = *state;
	unsigned n;

	assert_int_equal(route_add(fx, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 2)), 0);
	n = route_count(fx);
	/* what addresses installed goes with the address only */
	expect_refused(fx, route_del(fx, IP4(10, 0, 0, 0), 24), -EPERM, n);
	expect_refused(fx, route_del(fx, IP4(10, 0, 0, 1), 32), -EPERM, n);
	expect_refused(fx, route_del(fx, IP4(10, 0, 0, 255), 32), -EPERM, n);
	expect_refused(fx, route_del(fx, IP4(21, 0, 0, 0), 8), -ENOENT, n);
	expect_refused(fx, route_del(fx, IP4(20, 0, 0, 0), 16), -ENOENT, n);
	/* the gateway or interface given must be the route's */
	err[0] = '\0';
	expect_refused(fx, dps_route_del(fx->st, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 3), -1, err,
					 sizeof(err)),
		       -ENOENT, n);
	err[0] = '\0';
	expect_refused(fx, dps_route_del(fx->st, IP4(20, 0, 0, 0), 8, 0,
					 (int)fx->ifs[1].ifindex, err, sizeof(err)),
		       -ENOENT, n);
	assert_int_equal(dps_route_del(fx->st, IP4(20, 0, 0, 0), 8, IP4(10, 0, 0, 2),
				       (int)fx->ifs[0].ifindex, err, sizeof(err)), 0);
	assert_int_equal(route_count(fx), n - 1);
	assert_false(lookup(fx, IP4(20, 1, 1, 1)).found);
	/* the gateway's entry was only there for the route */
	run_until_idle(fx);
	assert_int_equal(dps_neigh_count(fx->st), 0);
}

struct walk_check {
	unsigned n;
	uint32_t last_prefix;
	int last_plen;
	bool sorted;
};

static int walk_check_cb(const struct dps_route_info *ri, void *arg)
{
	struct walk_check *w = arg;

	if (w->n > 0 && (ri->prefix < w->last_prefix ||
			 (ri->prefix == w->last_prefix && ri->plen <= w->last_plen)))
		w->sorted = false;
	w->last_prefix = ri->prefix;
	w->last_plen = ri->plen;
	w->n++;
	return 0;
}

static int walk_stop_cb(const struct dps_route_info *ri, void *arg)
{
	(void)ri;
	return ++*(unsigned *)arg == 3;
}

static void test_fib_walk_sorted(void **state)
{
	struct fx *fx = *state;
	static const struct { uint32_t p; uint8_t l; } add[] = {
		{ IP4(192, 168, 0, 0), 16 }, { IP4(20, 1, 2, 0), 24 }, { 0, 0 },
		{ IP4(20, 0, 0, 0), 8 }, { IP4(172, 16, 0, 0), 12 }, { IP4(20, 1, 0, 0), 16 },
		{ IP4(20, 0, 0, 0), 16 }, { IP4(1, 2, 3, 4), 32 },
	};
	struct walk_check w = { .sorted = true };
	unsigned stop = 0;

	for (size_t i = 0; i < RTE_DIM(add); i++)
		assert_int_equal(route_add(fx, add[i].p, add[i].l, IP4(10, 1, 0, 2)), 0);
	dps_route_walk(fx->st, walk_check_cb, &w);
	assert_int_equal(w.n, 6 + RTE_DIM(add));
	assert_true(w.sorted);
	/* a callback returning non-zero stops the walk */
	dps_route_walk(fx->st, walk_stop_cb, &stop);
	assert_int_equal(stop, 3);
}

/* A static /32 replaces the host route a neighbour had. */
static void test_fib_static_host_route_over_neighbour(void **state)
{
	struct fx *fx = *state;
	struct sim_if *s0 = &fx->ifs[0];
	struct rte_ether_addr mac7 = { { 0x02, 0x77, 0, 0, 0, 7 } };
	struct dps_route_info ri;

	learn_peer(s0);
	learn_host(s0, IP4(10, 0, 0, 7), &mac7);
	assert_true(route_lookup(fx, IP4(10, 0, 0, 7), 32, &ri));
	assert_int_equal(ri.type, DPS_RT_NEIGH);
	assert_int_equal(route_add(fx, IP4(10, 0, 0, 7), 32, s0->peer), 0);
	assert_true(route_lookup(fx, IP4(10, 0, 0, 7), 32, &ri));
	assert_int_equal(ri.type, DPS_RT_STATIC);
	expect_via(fx, IP4(10, 0, 0, 7), s0->peer);
	assert_int_equal(fib_nh(fx->st, ip4_lookup(fx->st, IP4(10, 0, 0, 7)))->type, NH_NEIGH);
}

/*
 * A static /32 to a neighbour through itself ("10.0.0.2/32 via 10.0.0.2"):
 * the route must still lead to the neighbour's entry.
 */
static void test_fib_static_host_route_via_itself(void **state)
{
	struct fx *fx = *state;
	struct sim_if *s0 = &fx->ifs[0], *s1 = &fx->ifs[1];
	struct ip4_spec s = ip4_from_peer(s1);
	uint8_t payload[32] = { 0 };
	struct frame f;

	learn_peer(s0);
	learn_peer(s1);
	assert_int_equal(route_add(fx, s0->peer, 32, s0->peer), 0);
	expect_via(fx, s0->peer, s0->peer);
	assert_string_equal(neigh_state(fx, s0->peer), "reachable");
	/* and traffic gets there */
	s.dst = s0->peer;
	s.proto = 253;
	deliver_and_run(s1, make_ip4(fx, &s, payload, sizeof(payload)));
	expect_frame(s0, &f);
	assert_true(rte_is_same_ether_addr(&frame_eth(&f)->dst_addr, &s0->peer_mac));
	expect_only_errs(fx, DPS_ERR__MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_fib_address_routes, fx_setup_two_unresolved),
		fx_test(test_fib_address_network_or_broadcast_refused, fx_setup_two_unresolved),
		fx_test(test_fib_address_taken_refused, fx_setup_two_unresolved),
		fx_test(test_fib_address_delete_takes_its_routes, fx_setup_two_unresolved),
		fx_test(test_fib_second_address_on_network, fx_setup_two_unresolved),
		fx_test(test_fib_longest_prefix_match, fx_setup_two_unresolved),
		fx_test(test_fib_forwarding_follows_longest_prefix, fx_setup_two),
		fx_test(test_fib_default_route, fx_setup_two_unresolved),
		fx_test(test_fib_gateway_not_connected, fx_setup_two_unresolved),
		fx_test(test_fib_duplicate_route, fx_setup_two_unresolved),
		fx_test(test_fib_prefix_with_host_bits, fx_setup_two_unresolved),
		fx_test(test_fib_bad_gateways, fx_setup_two_unresolved),
		fx_test(test_fib_delete_refusals, fx_setup_two_unresolved),
		fx_test(test_fib_walk_sorted, fx_setup_two_unresolved),
		fx_test(test_fib_static_host_route_over_neighbour, fx_setup_two_unresolved),
		fx_test(test_fib_static_host_route_via_itself, fx_setup_two_unresolved),
		/* last: under UBSan (halt_on_error) it ends the program until fixed */
		fx_test(test_fib_address_prefix_length_33_refused, fx_setup_two_unresolved),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
