/* IPv4 commands: the ARP table, the FIB and static routes. */
#include <inttypes.h>
#include <stdio.h>

#include "ctl/ctl_internal.h"
#include "net/net.h"

static const char *if_name(struct dps_stack *st, unsigned ifindex)
{
	const struct dps_iface *ifp = dps_iface_get(st, ifindex);

	return ifp != NULL ? ifp->name : "?";
}

struct walk_ctx {
	struct dps_stack *st;
	struct dps_out *out;
	unsigned n;
};

static int arp_row(const struct dps_neigh_info *ni, void *arg)
{
	struct walk_ctx *c = arg;
	char ip[16], mac[RTE_ETHER_ADDR_FMT_SIZE] = "-";

	if (c->n++ == 0)
		dps_out_printf(c->out, "%-15s  %-17s  %-16s  %-10s  %10s  %6s\n", "Address",
			       "MAC", "Interface", "State", "Age", "Queued");
	if (!rte_is_zero_ether_addr(&ni->mac))
		rte_ether_format_addr(mac, sizeof(mac), &ni->mac);
	dps_out_printf(c->out, "%-15s  %-17s  %-16s  %-10s  %8.1f s  %6" PRIu32 "\n",
		       dps_ip4_str(ni->ip, ip), mac, if_name(c->st, ni->ifindex), ni->state,
		       (double)ni->age_ms / 1000.0, ni->queued);
	return 0;
}

int cmd_show_arp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	struct walk_ctx c = { st, out, 0 };

	dps_neigh_walk(st, arp_row, &c);
	if (c.n == 0)
		dps_out_printf(out, "no ARP entries\n");
	return 0;
}

static int fib_row(const struct dps_route_info *ri, void *arg)
{
	struct walk_ctx *c = arg;
	char pfx[24], ip[16], gw[16] = "-";
	bool has_nh = ri->type == DPS_RT_STATIC || ri->type == DPS_RT_NEIGH;

	if (c->n++ == 0)
		dps_out_printf(c->out, "%-18s  %-10s  %-15s  %-16s  %s\n", "Prefix", "Type",
			       "Next hop", "Interface", "Resolved");
	snprintf(pfx, sizeof(pfx), "%s/%u", dps_ip4_str(ri->prefix, ip), ri->plen);
	if (has_nh)
		dps_ip4_str(ri->gw, gw);
	dps_out_printf(c->out, "%-18s  %-10s  %-15s  %-16s  %s\n", pfx,
		       dps_route_type_str(ri->type), gw, if_name(c->st, ri->ifindex),
		       has_nh ? (ri->resolved ? "yes" : "no") : "-");
	return 0;
}

int cmd_show_fib(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	struct walk_ctx c = { st, out, 0 };

	dps_route_walk(st, fib_row, &c);
	if (c.n == 0)
		dps_out_printf(out, "no routes\n");
	return 0;
}

static bool on_net(uint32_t ip, const struct dps_if_addr *ad)
{
	uint32_t mask = ad->plen == 0 ? 0 : UINT32_MAX << (32 - ad->plen);

	return (ip & mask) == (ad->ip & mask);
}

/*
 * The gateway must be a unicast neighbour on a connected network (of the
 * given interface, if one was named), and not one of our own addresses.
 */
static int check_gateway(struct dps_stack *st, uint32_t gw, int ifindex, struct dps_out *out)
{
	char b[16];
	bool reachable = false;

	dps_ip4_str(gw, b);
	if ((gw >> 24) == 0 || (gw >> 24) == 127 || (gw >> 28) >= 0xe)
		return ctl_err(out, "gateway %s is not a unicast host address", b);
	for (unsigned i = 0; i < st->n_ifaces; i++) {
		const struct dps_iface *ifp = dps_iface_get(st, i);

		for (unsigned k = 0; ifp != NULL && k < ifp->naddr; k++) {
			if (ifp->addr[k].ip == gw)
				return ctl_err(out, "gateway %s is our own address on %s", b,
					       ifp->name);
			if ((ifindex < 0 || (int)i == ifindex) && on_net(gw, &ifp->addr[k]))
				reachable = true;
		}
	}
	if (!reachable && ifindex >= 0)
		return ctl_err(out, "gateway %s is not on a network of %s", b,
			       if_name(st, (unsigned)ifindex));
	if (!reachable)
		return ctl_err(out, "gateway %s is not on any connected network", b);
	return 0;
}

struct route_find {
	uint32_t prefix, gw;   /* gw 0: any */
	uint8_t plen;
	int ifindex;           /* < 0: any */
	unsigned found;
};

static int route_match(const struct dps_route_info *ri, void *arg)
{
	struct route_find *f = arg;

	if (ri->type == DPS_RT_STATIC && ri->prefix == f->prefix && ri->plen == f->plen &&
	    (f->gw == 0 || ri->gw == f->gw) && (f->ifindex < 0 || ri->ifindex == f->ifindex))
		f->found++;
	return 0;
}

static unsigned count_static(struct dps_stack *st, uint32_t prefix, uint8_t plen, uint32_t gw,
			     int ifindex)
{
	struct route_find f = { prefix, gw, plen, ifindex, 0 };

	dps_route_walk(st, route_match, &f);
	return f.found;
}

int cmd_route_add(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *pv = ctl_arg(a, "prefix"), *gv = ctl_arg(a, "gateway");
	const struct ctl_val *ifv = ctl_arg(a, "interface");
	int ifindex = ifv != NULL ? ifv->ifindex : -1;
	char err[CTL_ERRLEN];

	if (check_gateway(st, gv->ip, ifindex, out) < 0)
		return -1;
	if (count_static(st, pv->ip, pv->plen, 0, -1) > 0)
		return ctl_err(out, "a static route to %s already exists (ip route del it first)",
			       pv->word);
	if (dps_route_add(st, pv->ip, pv->plen, gv->ip, ifindex, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}

int cmd_route_del(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *pv = ctl_arg(a, "prefix"), *gv = ctl_arg(a, "gateway");
	const struct ctl_val *ifv = ctl_arg(a, "interface");
	int ifindex = ifv != NULL ? ifv->ifindex : -1;
	uint32_t gw = gv != NULL ? gv->ip : 0;
	char err[CTL_ERRLEN], b[16];

	if (count_static(st, pv->ip, pv->plen, gw, ifindex) == 0)
		return ctl_err(out, "no static route to %s%s%s%s%s", pv->word,
			       gv != NULL ? " via " : "", gv != NULL ? dps_ip4_str(gw, b) : "",
			       ifv != NULL ? " on " : "", ifv != NULL ? if_name(st, (unsigned)ifindex) : "");
	if (dps_route_del(st, pv->ip, pv->plen, gw, ifindex, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}
