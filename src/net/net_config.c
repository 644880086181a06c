/*
 * Configuration of the net module (control plane): interface addresses and
 * the routes they imply, admin state, MTU, static routes, and the walks the
 * CLI prints. Every function checks everything before it changes anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "core/log.h"
#include "net/net_internal.h"
#include "port/port.h"

#define ERR(...) do { if (err != NULL) snprintf(err, errlen, __VA_ARGS__); } while (0)

const char *dps_ip4_str(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

int dps_net_init(struct dps_stack *st)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	int ret;

	snprintf(name, sizeof(name), "%.16s_indir", st->name);
	st->ipool = rte_pktmbuf_pool_create(name, 8191, 256,
					    RTE_ALIGN(sizeof(struct dps_mbuf_priv), RTE_MBUF_PRIV_ALIGN),
					    0, st->socket_id);
	if (st->ipool == NULL)
		return -ENOMEM;
	ret = fib_create(st);
	if (ret != 0)
		fib_destroy(st);
	return ret;
}

void dps_net_fini(struct dps_stack *st)
{
	fib_destroy(st);
	rte_mempool_free(st->ipool);
	st->ipool = NULL;
}

static int add_route_nh(struct dps_stack *st, uint32_t prefix, uint8_t plen,
			enum dps_route_type rt, enum nh_type nt, uint16_t ifindex, uint32_t ip)
{
	uint32_t nh = fib_nh_alloc(st, nt, ifindex, ip);
	int ret;

	if (nh == NH_NONE)
		return -ENOSPC;
	ret = fib_route_add(st, prefix, plen, (uint8_t)rt, nh);
	if (ret != 0) {
		fib_nh(st, nh)->refcnt = 1;
		fib_nh_put(st, nh);
	}
	return ret;
}

static void remove_route_if(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint8_t type)
{
	struct dps_route *r = fib_route_find(st, prefix, plen);

	if (r != NULL && r->type == type)
		fib_route_remove(st, r);
}

/* Remove a neighbour's host route that would shadow a new /32. */
static void displace_host_route(struct dps_stack *st, uint32_t ip)
{
	remove_route_if(st, ip, 32, DPS_RT_NEIGH);
}

int dps_if_addr_add(struct dps_stack *st, unsigned ifindex, uint32_t ip, uint8_t plen,
		    char *err, size_t errlen)
{
	struct dps_iface *ifp = dps_iface_get(st, ifindex);
	char b1[16], b2[16];
	uint32_t mask, net;
	unsigned i, a;
	int ret;

	if (ifp == NULL) {
		ERR("no interface with index %u", ifindex);
		return -ENODEV;
	}
	if (plen == 0 || plen > 32) {
		ERR("prefix length must be 1..32");
		return -EINVAL;
	}
	mask = IP4_MASK(plen);
	net = ip & mask;
	if (ip == 0 || IP4_IS_MCAST(ip) || IP4_IS_LOOP(ip) || ip == IP4_BCAST ||
	    (ip & 0xf0000000u) == 0xf0000000u) {
		ERR("%s is not a usable host address", dps_ip4_str(ip, b1));
		return -EINVAL;
	}
	if (plen <= 30 && ((ip & ~mask) == 0 || (ip | mask) == IP4_BCAST)) {
		ERR("%s is the %s address of %s/%u", dps_ip4_str(ip, b1),
		    (ip & ~mask) == 0 ? "network" : "broadcast", dps_ip4_str(net, b2), plen);
		return -EINVAL;
	}
	for (i = 0; i < st->n_ifaces; i++) {
		struct dps_iface *o = &st->ifaces[i];

		if (!o->used)
			continue;
		for (a = 0; a < o->naddr; a++) {
			uint32_t om = IP4_MASK(o->addr[a].plen);

			if (o->addr[a].ip == ip) {
				ERR("%s is already configured on %s", dps_ip4_str(ip, b1), o->name);
				return -EEXIST;
			}
			if (o->addr[a].plen == plen && (o->addr[a].ip & om) == net && i != ifindex) {
				ERR("network %s/%u is already on %s", dps_ip4_str(net, b1), plen, o->name);
				return -EEXIST;
			}
		}
	}
	if (ifp->naddr == DPS_IF_MAX_ADDRS) {
		ERR("%s already has %d addresses", ifp->name, DPS_IF_MAX_ADDRS);
		return -ENOSPC;
	}
	/* a static route on exactly this network or address would clash */
	struct dps_route *r = fib_route_find(st, net, plen);

	if (plen < 32 && r != NULL && r->type != DPS_RT_CONNECTED) {
		ERR("a %s route to %s/%u exists; delete it first", dps_route_type_str(r->type),
		    dps_ip4_str(net, b1), plen);
		return -EEXIST;
	}
	r = fib_route_find(st, ip, 32);
	if (r != NULL && r->type == DPS_RT_STATIC) {
		ERR("a static route to %s/32 exists; delete it first", dps_ip4_str(ip, b1));
		return -EEXIST;
	}

	displace_host_route(st, ip);
	ret = add_route_nh(st, ip, 32, DPS_RT_LOCAL, NH_LOCAL, (uint16_t)ifindex, ip);
	if (ret == 0 && plen < 32 && fib_route_find(st, net, plen) == NULL)
		ret = add_route_nh(st, net, plen, DPS_RT_CONNECTED, NH_CONNECTED, (uint16_t)ifindex, 0);
	if (ret == 0 && plen <= 30 && fib_route_find(st, ip | ~mask, 32) == NULL) {
		displace_host_route(st, ip | ~mask);
		ret = add_route_nh(st, ip | ~mask, 32, DPS_RT_BCAST, NH_BCAST, (uint16_t)ifindex,
				   ip | ~mask);
	}
	if (ret != 0) {
		remove_route_if(st, ip, 32, DPS_RT_LOCAL);
		ERR("cannot install routes for %s/%u: %s", dps_ip4_str(ip, b1), plen,
		    strerror(-ret));
		return ret;
	}
	ifp->addr[ifp->naddr].ip = ip;
	ifp->addr[ifp->naddr].plen = plen;
	ifp->naddr++;
	if (ifp->admin_up)
		arp_send_gratuitous(st, (uint16_t)ifindex, ip);
	return 0;
}

static bool other_addr_on_net(const struct dps_iface *ifp, unsigned skip, uint32_t net,
			      uint8_t plen)
{
	unsigned a;

	for (a = 0; a < ifp->naddr; a++)
		if (a != skip && ifp->addr[a].plen == plen &&
		    (ifp->addr[a].ip & IP4_MASK(plen)) == net)
			return true;
	return false;
}

int dps_if_addr_del(struct dps_stack *st, unsigned ifindex, uint32_t ip, uint8_t plen,
		    char *err, size_t errlen)
{
	struct dps_iface *ifp = dps_iface_get(st, ifindex);
	uint32_t mask, net, i;
	char b1[16];
	unsigned a;

	if (ifp == NULL) {
		ERR("no interface with index %u", ifindex);
		return -ENODEV;
	}
	if (plen > 32) {
		ERR("prefix length must be 0..32");
		return -EINVAL;
	}
	mask = IP4_MASK(plen);
	net = ip & mask;
	for (a = 0; a < ifp->naddr; a++)
		if (ifp->addr[a].ip == ip && ifp->addr[a].plen == plen)
			break;
	if (a == ifp->naddr) {
		ERR("%s/%u is not configured on %s", dps_ip4_str(ip, b1), plen, ifp->name);
		return -ENOENT;
	}
	remove_route_if(st, ip, 32, DPS_RT_LOCAL);
	if (!other_addr_on_net(ifp, a, net, plen)) {
		struct dps_fib *f = st->fib;

		remove_route_if(st, net, plen, DPS_RT_CONNECTED);
		if (plen <= 30)
			remove_route_if(st, ip | ~mask, 32, DPS_RT_BCAST);
		/* as Linux: routes through gateways on the network go with it */
		for (i = 0; i < f->nroutes;) {
			struct dps_route *r = &f->routes[i];
			struct dps_nexthop *nh = fib_nh(st, r->nh);

			if (r->type == DPS_RT_STATIC && nh->ifindex == ifindex &&
			    (nh->ip & mask) == net)
				fib_route_remove(st, r);   /* moved the last one here */
			else
				i++;
		}
		neigh_flush(st, (uint16_t)ifindex, net, plen);
	}
	ifp->addr[a] = ifp->addr[--ifp->naddr];
	return 0;
}

int dps_if_set_admin(struct dps_stack *st, unsigned ifindex, bool up, char *err, size_t errlen)
{
	struct dps_iface *ifp = dps_iface_get(st, ifindex);
	unsigned a;

	if (ifp == NULL) {
		ERR("no interface with index %u", ifindex);
		return -ENODEV;
	}
	if (ifp->admin_up == up)
		return 0;
	dps_port_set_link(st, ifindex, up);
	__atomic_store_n(&ifp->admin_up, up, __ATOMIC_RELEASE);
	if (up)
		for (a = 0; a < ifp->naddr; a++)
			arp_send_gratuitous(st, (uint16_t)ifindex, ifp->addr[a].ip);
	return 0;
}

int dps_if_set_mtu(struct dps_stack *st, unsigned ifindex, uint16_t mtu, char *err, size_t errlen)
{
	struct dps_iface *ifp = dps_iface_get(st, ifindex);
	int ret;

	if (ifp == NULL) {
		ERR("no interface with index %u", ifindex);
		return -ENODEV;
	}
	if (mtu < 68) {   /* RFC 791: every host must take 68 bytes unfragmented */
		ERR("MTU %u is below the IPv4 minimum of 68", mtu);
		return -EINVAL;
	}
	if (ifp->port_id != DPS_PORT_NONE) {
		ret = rte_eth_dev_set_mtu(ifp->port_id, mtu);
		if (ret != 0) {
			ERR("%s refuses MTU %u: %s", ifp->name, mtu, strerror(-ret));
			return ret;
		}
	}
	ifp->mtu = mtu;
	return 0;
}

int dps_route_add(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint32_t gw,
		  int ifindex, char *err, size_t errlen)
{
	char b1[16], b2[16];
	struct dps_route *r;
	uint32_t nh;
	int ifx, ret;

	if (plen > 32 || (prefix & ~IP4_MASK(plen)) != 0) {
		ERR("%s/%u has host bits set", dps_ip4_str(prefix, b1), plen);
		return -EINVAL;
	}
	if (ifindex >= 0 && dps_iface_get(st, (unsigned)ifindex) == NULL) {
		ERR("no interface with index %d", ifindex);
		return -ENODEV;
	}
	if (gw == 0 || gw == IP4_BCAST || IP4_IS_MCAST(gw)) {
		ERR("%s cannot be a gateway", dps_ip4_str(gw, b1));
		return -EINVAL;
	}
	nh = ip4_lookup(st, gw);
	if (nh != NH_NONE && (fib_nh(st, nh)->type == NH_LOCAL || fib_nh(st, nh)->type == NH_BCAST)) {
		ERR("gateway %s is a local or broadcast address", dps_ip4_str(gw, b1));
		return -EINVAL;
	}
	ifx = fib_connected_if(st, gw, ifindex);
	if (ifx < 0) {
		ERR("gateway %s is not on a connected network%s%s", dps_ip4_str(gw, b1),
		    ifindex >= 0 ? " of " : "", ifindex >= 0 ? st->ifaces[ifindex].name : "");
		return -ENETUNREACH;
	}
	r = fib_route_find(st, prefix, plen);
	if (r != NULL && !(r->type == DPS_RT_NEIGH && plen == 32)) {
		ERR("a %s route to %s/%u exists", dps_route_type_str(r->type),
		    dps_ip4_str(prefix, b2), plen);
		return -EEXIST;
	}
	nh = neigh_get(st, (uint16_t)ifx, gw);
	if (nh == NH_NONE) {
		ERR("neighbour table full");
		return -ENOSPC;
	}
	/* a static /32 beats the neighbour's own host route; hold the next
	 * hop meanwhile: it may be the very neighbour whose route goes */
	fib_nh(st, nh)->refcnt++;
	if (r != NULL)
		fib_route_remove(st, r);
	ret = fib_route_add(st, prefix, plen, DPS_RT_STATIC, nh);
	fib_nh_put(st, nh);
	if (ret != 0) {
		ERR("cannot add route: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

int dps_route_del(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint32_t gw,
		  int ifindex, char *err, size_t errlen)
{
	struct dps_route *r = fib_route_find(st, prefix, plen);
	char b1[16], b2[16];
	struct dps_nexthop *nh;

	if (r == NULL) {
		ERR("no route to %s/%u", dps_ip4_str(prefix, b1), plen);
		return -ENOENT;
	}
	if (r->type != DPS_RT_STATIC) {
		ERR("%s/%u is a %s route: remove the address instead", dps_ip4_str(prefix, b1), plen,
		    dps_route_type_str(r->type));
		return -EPERM;
	}
	nh = fib_nh(st, r->nh);
	if ((gw != 0 && nh->ip != gw) || (ifindex >= 0 && nh->ifindex != ifindex)) {
		ERR("the route to %s/%u goes via %s on %s", dps_ip4_str(prefix, b1), plen,
		    dps_ip4_str(nh->ip, b2), st->ifaces[nh->ifindex].name);
		return -ENOENT;
	}
	fib_route_remove(st, r);
	return 0;
}

const char *dps_route_type_str(enum dps_route_type t)
{
	switch (t) {
	case DPS_RT_LOCAL: return "local";
	case DPS_RT_BCAST: return "broadcast";
	case DPS_RT_CONNECTED: return "connected";
	case DPS_RT_NEIGH: return "neighbour";
	case DPS_RT_STATIC: return "static";
	}
	return "?";
}

static int route_cmp(const void *a, const void *b)
{
	const struct dps_route_info *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

void dps_route_walk(struct dps_stack *st, int (*cb)(const struct dps_route_info *, void *),
		    void *arg)
{
	struct dps_fib *f = st->fib;
	struct dps_route_info *v;
	uint32_t i, n = f->nroutes;

	if (n == 0)
		return;
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct dps_route *r = &f->routes[i];
		const struct dps_nexthop *nh = fib_nh(st, r->nh);

		v[i].prefix = r->prefix;
		v[i].plen = r->plen;
		v[i].type = r->type;
		v[i].ifindex = nh->ifindex;
		v[i].gw = nh->type == NH_NEIGH ? nh->ip : 0;
		v[i].resolved = nh->type == NH_NEIGH ? nh_usable(nh->state) : true;
	}
	qsort(v, n, sizeof(*v), route_cmp);
	for (i = 0; i < n; i++)
		if (cb(&v[i], arg) != 0)
			break;
	free(v);
}
