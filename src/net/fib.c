/*
 * The IPv4 FIB: rte_lpm maps a prefix to a next-hop index; next hops live in
 * a fixed array the workers read without locks. The control plane keeps a
 * shadow list of routes (rte_lpm cannot be walked) and reference counts.
 * A next hop is reused only after rte_rcu_qsbr_synchronize(), when no worker
 * can still hold its index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core/log.h"
#include "net/net_internal.h"

struct neigh_key {
	uint32_t ip;
	uint16_t ifindex;
	uint16_t pad;
};

int fib_create(struct dps_stack *st)
{
	struct rte_lpm_config lc = {
		.max_rules = DPS_ROUTES_MAX,
		.number_tbl8s = 1024,
	};
	struct rte_lpm_rcu_config rc = {
		.v = st->rcu,
		.mode = RTE_LPM_QSBR_MODE_SYNC,
	};
	char name[64];
	struct dps_fib *f;

	f = rte_zmalloc("dps_fib", sizeof(*f), RTE_CACHE_LINE_SIZE);
	if (f == NULL)
		return -ENOMEM;
	st->fib = f;
	f->default_nh = NH_NONE;
	f->nh = rte_zmalloc("dps_nh", sizeof(*f->nh) * DPS_NH_MAX, RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "%.16s_fib", st->name);
	f->lpm = rte_lpm_create(name, st->socket_id, &lc);
	if (f->nh == NULL || f->lpm == NULL)
		return -ENOMEM;
	if (rte_lpm_rcu_qsbr_add(f->lpm, &rc) != 0)
		return -rte_errno;
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = DPS_NH_MAX,
		.key_len = sizeof(struct neigh_key),
		.hash_func = rte_jhash,
		.socket_id = st->socket_id,
	};
	snprintf(name, sizeof(name), "%.16s_neigh", st->name);
	f->neigh = rte_hash_create(&hp);
	if (f->neigh == NULL)
		return -ENOMEM;
	return 0;
}

void fib_destroy(struct dps_stack *st)
{
	struct dps_fib *f = st->fib;

	if (f == NULL)
		return;
	if (f->nh != NULL)
		neigh_table_free(st);
	rte_hash_free(f->neigh);
	rte_lpm_free(f->lpm);
	rte_free(f->nh);
	free(f->routes);
	rte_free(f);
	st->fib = NULL;
}

uint32_t fib_nh_alloc(struct dps_stack *st, enum nh_type type, uint16_t ifindex, uint32_t ip)
{
	struct dps_fib *f = st->fib;
	uint32_t i;

	for (i = 0; i < DPS_NH_MAX; i++) {
		struct dps_nexthop *nh = &f->nh[i];

		if (nh->type != NH_FREE)
			continue;
		memset(nh, 0, sizeof(*nh));
		nh->ifindex = ifindex;
		nh->ip = ip;
		nh->state = NS_INCOMPLETE;
		__atomic_store_n(&nh->type, (uint8_t)type, __ATOMIC_RELEASE);
		if (type == NH_NEIGH) {
			struct neigh_key k = { .ip = ip, .ifindex = ifindex };

			if (rte_hash_add_key_data(f->neigh, &k, (void *)(uintptr_t)i) != 0) {
				nh->type = NH_FREE;
				return NH_NONE;
			}
		}
		return i;
	}
	return NH_NONE;
}

static void nh_free(struct dps_stack *st, uint32_t idx)
{
	struct dps_nexthop *nh = fib_nh(st, idx);
	uint16_t i;

	if (nh->type == NH_NEIGH) {
		struct neigh_key k = { .ip = nh->ip, .ifindex = nh->ifindex };

		rte_hash_del_key(st->fib->neigh, &k);
	}
	/* no worker may still be looking at this index */
	rte_rcu_qsbr_synchronize(st->rcu, RTE_QSBR_THRID_INVALID);
	for (i = 0; i < nh->nq; i++)
		dps_ctl_drop(st, nh->q[i], DPS_ERR_ARP_FAILED);
	nh->nq = 0;
	__atomic_store_n(&nh->type, (uint8_t)NH_FREE, __ATOMIC_RELEASE);
}

void fib_nh_put(struct dps_stack *st, uint32_t idx)
{
	struct dps_nexthop *nh = fib_nh(st, idx);

	if (nh->refcnt > 0)
		nh->refcnt--;
	if (nh->refcnt == 0)
		nh_free(st, idx);
}

struct dps_route *fib_route_find(struct dps_stack *st, uint32_t prefix, uint8_t plen)
{
	struct dps_fib *f = st->fib;
	uint32_t i;

	for (i = 0; i < f->nroutes; i++)
		if (f->routes[i].prefix == prefix && f->routes[i].plen == plen)
			return &f->routes[i];
	return NULL;
}

int fib_route_add(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint8_t type, uint32_t nh)
{
	struct dps_fib *f = st->fib;
	int ret;

	if (f->nroutes == f->routes_cap) {
		uint32_t cap = f->routes_cap ? f->routes_cap * 2 : 64;
		struct dps_route *r;

		if (cap > DPS_ROUTES_MAX)
			return -ENOSPC;
		r = realloc(f->routes, cap * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		f->routes = r;
		f->routes_cap = cap;
	}
	if (plen == 0) {
		__atomic_store_n(&f->default_nh, nh, __ATOMIC_RELEASE);
	} else {
		ret = rte_lpm_add(f->lpm, prefix, plen, nh);
		if (ret != 0)
			return ret;
	}
	f->routes[f->nroutes++] = (struct dps_route){
		.prefix = prefix, .plen = plen, .type = type, .nh = nh,
	};
	fib_nh(st, nh)->refcnt++;
	return 0;
}

void fib_route_remove(struct dps_stack *st, struct dps_route *r)
{
	struct dps_fib *f = st->fib;
	uint32_t nh = r->nh;

	if (r->plen == 0)
		__atomic_store_n(&f->default_nh, NH_NONE, __ATOMIC_RELEASE);
	else
		rte_lpm_delete(f->lpm, r->prefix, r->plen);
	if (r->type == DPS_RT_NEIGH)
		fib_nh(st, nh)->host_route = false;
	*r = f->routes[--f->nroutes];
	fib_nh_put(st, nh);
}

int fib_connected_if(struct dps_stack *st, uint32_t ip, int ifindex)
{
	unsigned i, a;

	for (i = 0; i < st->n_ifaces; i++) {
		struct dps_iface *ifp = &st->ifaces[i];

		if (!ifp->used || (ifindex >= 0 && (int)i != ifindex))
			continue;
		for (a = 0; a < ifp->naddr; a++) {
			uint32_t m = IP4_MASK(ifp->addr[a].plen);

			if ((ip & m) == (ifp->addr[a].ip & m))
				return (int)i;
		}
	}
	return -1;
}

uint32_t neigh_find(struct dps_stack *st, uint16_t ifindex, uint32_t ip)
{
	struct neigh_key k = { .ip = ip, .ifindex = ifindex };
	void *data;

	if (rte_hash_lookup_data(st->fib->neigh, &k, &data) < 0)
		return NH_NONE;
	return (uint32_t)(uintptr_t)data;
}
