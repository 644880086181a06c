/*
 * The neighbour (ARP) table, owned by the control plane. A neighbour is a
 * next hop of type NH_NEIGH: workers send through it once its MAC is known
 * and punt packets to us while it is not; we hold a few (arp_queue_len) per
 * neighbour, ask with ARP, and give them back to a worker when the answer
 * comes or an ICMP host unreachable when it never does.
 *
 * Ageing (after Linux's NUD states, simplified): REACHABLE for
 * arp_reachable_ms after a confirmation; then PROBE with unicast requests if
 * workers used the entry meanwhile, else STALE; a STALE entry nobody uses is
 * removed 3 * arp_reachable_ms after its last confirmation (Linux keeps it
 * gc_stale_time = 60 s past the 30 s reachable time; 3x gives about that).
 * Entries that static routes point at are never removed, only marked FAILED.
 */
#include <errno.h>
#include <string.h>

#include <rte_hash.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/net_internal.h"

#define TIMER_PERIOD_NS (100 * DPS_NS_PER_MS)

static const char *const state_str[] = {
	[NS_INCOMPLETE] = "incomplete",
	[NS_REACHABLE] = "reachable",
	[NS_STALE] = "stale",
	[NS_PROBE] = "probe",
	[NS_FAILED] = "failed",
};

static void set_state(struct dps_nexthop *nh, enum nh_state s)
{
	__atomic_store_n(&nh->state, (uint8_t)s, __ATOMIC_RELEASE);
}

uint32_t neigh_get(struct dps_stack *st, uint16_t ifindex, uint32_t ip)
{
	uint32_t idx = neigh_find(st, ifindex, ip);

	if (idx != NH_NONE)
		return idx;
	idx = fib_nh_alloc(st, NH_NEIGH, ifindex, ip);
	if (idx == NH_NONE)
		st->ctl_err[DPS_ERR_ARP_TABLE_FULL]++;
	return idx;
}

/* Install the /32 of a neighbour on a connected network, so that workers
 * find its MAC with one lookup instead of punting every packet. */
static void host_route(struct dps_stack *st, uint32_t idx)
{
	struct dps_nexthop *nh = fib_nh(st, idx);

	if (nh->host_route || fib_route_find(st, nh->ip, 32) != NULL ||
	    fib_connected_if(st, nh->ip, nh->ifindex) < 0)
		return;
	if (fib_route_add(st, nh->ip, 32, DPS_RT_NEIGH, idx) == 0)
		nh->host_route = true;
}

static void remove_host_route(struct dps_stack *st, uint32_t idx)
{
	struct dps_nexthop *nh = fib_nh(st, idx);
	struct dps_route *r;

	if (!nh->host_route)
		return;
	r = fib_route_find(st, nh->ip, 32);
	if (r != NULL && r->nh == idx)
		fib_route_remove(st, r);
}

static void reinject(struct dps_stack *st, struct rte_mbuf *m, enum dps_action a)
{
	struct dps_mbuf_priv *p = dps_priv(m);

	p->flags += DPS_PF_REINJECT1;
	dps_ctl_inject(st, m, a, p->ifindex);
}

static void release_queue(struct dps_stack *st, struct dps_nexthop *nh, enum dps_action a)
{
	uint16_t i, n = nh->nq;

	nh->nq = 0;
	for (i = 0; i < n; i++)
		reinject(st, nh->q[i], a);
}

void neigh_learn(struct dps_stack *st, uint16_t ifindex, uint32_t ip,
		 const struct rte_ether_addr *mac, bool create)
{
	union { struct rte_ether_addr ea; uint64_t u64; } v = { .u64 = 0 };
	uint32_t idx = neigh_find(st, ifindex, ip);
	struct dps_nexthop *nh;

	if (idx == NH_NONE) {
		if (!create || fib_connected_if(st, ip, ifindex) < 0)
			return;
		idx = neigh_get(st, ifindex, ip);
		if (idx == NH_NONE)
			return;
	}
	nh = fib_nh(st, idx);
	v.ea = *mac;
	__atomic_store_n(&nh->mac.u64, v.u64, __ATOMIC_RELAXED);
	nh->confirmed_ns = dps_stack_now(st);
	nh->probes = 0;
	set_state(nh, NS_REACHABLE);
	host_route(st, idx);
	release_queue(st, nh, DPS_ACT_IP_OUTPUT);
}

void dps_neigh_ctl_resolve(struct dps_stack *st, struct rte_mbuf *m)
{
	struct dps_mbuf_priv *p = dps_priv(m);
	struct dps_nexthop *nh;
	uint32_t idx, qmax;

	/* a packet that came back from workers too often: the FIB disagrees
	 * with the neighbour table; do not let it circle */
	if ((p->flags & DPS_PF_REINJECT) == DPS_PF_REINJECT ||
	    fib_connected_if(st, p->nh_ip, p->ifindex) < 0) {
		dps_ctl_drop(st, m, DPS_ERR_ARP_FAILED);
		return;
	}
	idx = neigh_get(st, p->ifindex, p->nh_ip);
	if (idx == NH_NONE) {
		dps_ctl_drop(st, m, DPS_ERR_ARP_TABLE_FULL);
		return;
	}
	nh = fib_nh(st, idx);
	host_route(st, idx);
	if (nh_usable(nh->state)) {
		reinject(st, m, DPS_ACT_IP_OUTPUT);
		return;
	}
	qmax = RTE_MIN(st->params.arp_queue_len, (uint32_t)DPS_ARPQ_MAX);
	if (qmax == 0) {
		dps_ctl_drop(st, m, DPS_ERR_ARP_QUEUE_FULL);
	} else {
		if (nh->nq >= qmax) {
			/* keep the newest, as Linux does */
			dps_ctl_drop(st, nh->q[0], DPS_ERR_ARP_QUEUE_FULL);
			memmove(&nh->q[0], &nh->q[1], (nh->nq - 1) * sizeof(nh->q[0]));
			nh->nq--;
		}
		nh->q[nh->nq++] = m;
	}
	if (nh->state == NS_FAILED || (nh->state == NS_INCOMPLETE && nh->probes == 0)) {
		uint64_t now = dps_stack_now(st);

		set_state(nh, NS_INCOMPLETE);
		nh->probes = 1;
		nh->next_ns = now + st->params.arp_retrans_ms * DPS_NS_PER_MS;
		arp_send_request(st, nh->ifindex, if_src_addr(st, nh->ifindex, nh->ip), nh->ip, NULL);
	}
}

/* Forget a neighbour whose only reference is its host route. */
static bool neigh_removable(struct dps_nexthop *nh)
{
	return nh->refcnt == 0 || (nh->refcnt == 1 && nh->host_route);
}

static void neigh_remove(struct dps_stack *st, uint32_t idx)
{
	struct dps_nexthop *nh = fib_nh(st, idx);

	if (nh->refcnt == 0) {
		nh->refcnt = 1;
		fib_nh_put(st, idx);
	} else {
		remove_host_route(st, idx);
	}
}

static void neigh_fail(struct dps_stack *st, uint32_t idx)
{
	struct dps_nexthop *nh = fib_nh(st, idx);

	set_state(nh, NS_FAILED);
	/* RFC 1812 4.3.3.1 / Linux: tell the senders the host is unreachable */
	release_queue(st, nh, DPS_ACT_ICMP_UNREACH);
	if (neigh_removable(nh))
		neigh_remove(st, idx);
}

static void probe(struct dps_stack *st, struct dps_nexthop *nh, uint64_t now)
{
	nh->probes++;
	nh->next_ns = now + st->params.arp_retrans_ms * DPS_NS_PER_MS;
	arp_send_request(st, nh->ifindex, if_src_addr(st, nh->ifindex, nh->ip), nh->ip,
			 nh->state == NS_PROBE ? &nh->mac.ea : NULL);
}

void dps_neigh_timers(struct dps_stack *st, uint64_t now)
{
	struct dps_fib *f = st->fib;
	const uint64_t reach = st->params.arp_reachable_ms * DPS_NS_PER_MS;
	uint32_t i;

	if (now < f->next_timer_ns)
		return;
	f->next_timer_ns = now + TIMER_PERIOD_NS;
	for (i = 0; i < DPS_NH_MAX; i++) {
		struct dps_nexthop *nh = &f->nh[i];
		bool used;

		if (nh->type != NH_NEIGH)
			continue;
		if (nh->refcnt == 0 && nh->nq == 0) {
			neigh_remove(st, i);
			continue;
		}
		used = __atomic_exchange_n(&nh->used, 0, __ATOMIC_RELAXED) != 0;
		switch (nh->state) {
		case NS_INCOMPLETE:
			if (nh->probes == 0 || now < nh->next_ns)
				break;
			if (nh->probes >= st->params.arp_max_probes)
				neigh_fail(st, i);
			else
				probe(st, nh, now);
			break;
		case NS_REACHABLE:
		case NS_STALE:
			if (now < nh->confirmed_ns + reach) {
				if (used)
					__atomic_store_n(&nh->used, 1, __ATOMIC_RELAXED);
				break;
			}
			if (used) {
				set_state(nh, NS_PROBE);
				nh->probes = 0;
				probe(st, nh, now);
			} else if (nh->state == NS_REACHABLE) {
				set_state(nh, NS_STALE);
			} else if (now >= nh->confirmed_ns + 3 * reach && neigh_removable(nh)) {
				neigh_remove(st, i);
			}
			break;
		case NS_PROBE:
			if (now < nh->next_ns)
				break;
			if (nh->probes >= st->params.arp_max_probes)
				neigh_fail(st, i);
			else
				probe(st, nh, now);
			break;
		default:
			break;
		}
	}
}

void neigh_flush(struct dps_stack *st, uint16_t ifindex, uint32_t net, uint8_t plen)
{
	uint32_t i, m = IP4_MASK(plen);

	for (i = 0; i < DPS_NH_MAX; i++) {
		struct dps_nexthop *nh = fib_nh(st, i);

		if (nh->type != NH_NEIGH || nh->ifindex != ifindex || (nh->ip & m) != (net & m))
			continue;
		if (neigh_removable(nh))
			neigh_remove(st, i);
	}
}

void neigh_table_free(struct dps_stack *st)
{
	uint32_t i;
	uint16_t q;

	for (i = 0; i < DPS_NH_MAX; i++) {
		struct dps_nexthop *nh = fib_nh(st, i);

		for (q = 0; q < nh->nq; q++)
			rte_pktmbuf_free(nh->q[q]);
		nh->nq = 0;
	}
}

void dps_neigh_walk(struct dps_stack *st, int (*cb)(const struct dps_neigh_info *, void *),
		    void *arg)
{
	uint64_t now = dps_stack_now(st);
	uint32_t i;

	for (i = 0; i < DPS_NH_MAX; i++) {
		struct dps_nexthop *nh = fib_nh(st, i);
		struct dps_neigh_info ni;

		if (nh->type != NH_NEIGH)
			continue;
		memset(&ni, 0, sizeof(ni));
		ni.ip = nh->ip;
		ni.ifindex = nh->ifindex;
		ni.mac = nh->mac.ea;
		ni.state = nh->state < RTE_DIM(state_str) ? state_str[nh->state] : "?";
		ni.age_ms = nh->confirmed_ns ? (now - nh->confirmed_ns) / DPS_NS_PER_MS : 0;
		ni.queued = nh->nq;
		ni.probes = nh->probes;
		if (cb(&ni, arg) != 0)
			break;
	}
}

unsigned dps_neigh_count(struct dps_stack *st)
{
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i < DPS_NH_MAX; i++)
		if (fib_nh(st, i)->type == NH_NEIGH)
			n++;
	return n;
}
