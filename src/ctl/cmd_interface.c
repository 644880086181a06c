/* Interface commands: show them, set addresses, admin state and MTU. */
#include <inttypes.h>
#include <stdio.h>

#include "ctl/ctl_internal.h"
#include "net/net.h"
#include "port/port.h"

static void show_one(struct dps_stack *st, const struct dps_iface *ifp, struct dps_out *out)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE], link[64], ip[16];
	struct dps_if_stats s;

	rte_ether_format_addr(mac, sizeof(mac), &ifp->mac);
	dps_port_link_str(st, ifp->ifindex, link, sizeof(link));
	dps_if_stats_get(st, ifp->ifindex, &s);
	dps_out_printf(out, "%s (ifindex %u)\n", ifp->name, ifp->ifindex);
	dps_out_printf(out, "  driver %s, mac %s, mtu %u\n",
		       ifp->driver[0] ? ifp->driver : "-", mac, ifp->mtu);
	dps_out_printf(out, "  admin %s, link %s\n", ifp->admin_up ? "up" : "down", link);
	if (ifp->naddr == 0)
		dps_out_printf(out, "  no IPv4 address\n");
	for (unsigned i = 0; i < ifp->naddr; i++)
		dps_out_printf(out, "  inet %s/%u\n", dps_ip4_str(ifp->addr[i].ip, ip),
			       ifp->addr[i].plen);
	dps_out_printf(out, "  rx %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " drops\n",
		       s.rx_pkts, s.rx_bytes, s.rx_drops);
	dps_out_printf(out, "  tx %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " drops\n",
		       s.tx_pkts, s.tx_bytes, s.tx_drops);
}

int cmd_show_interfaces(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *name = ctl_arg(a, "name");
	unsigned shown = 0;

	for (unsigned i = 0; i < st->n_ifaces; i++) {
		const struct dps_iface *ifp = dps_iface_get(st, i);

		if (ifp == NULL || (name != NULL && (int)i != name->ifindex))
			continue;
		if (shown++)
			dps_out_printf(out, "\n");
		show_one(st, ifp, out);
	}
	if (shown == 0)
		dps_out_printf(out, "no interfaces\n");
	return 0;
}

static uint32_t mask_of(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

int cmd_if_addr_add(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *ifv = ctl_arg(a, "interface"), *av = ctl_arg(a, "address");
	struct dps_iface *ifp = dps_iface_get(st, (unsigned)ifv->ifindex);
	char err[CTL_ERRLEN], b[16];

	for (unsigned i = 0; i < st->n_ifaces; i++) {
		const struct dps_iface *o = dps_iface_get(st, i);

		for (unsigned k = 0; o != NULL && k < o->naddr; k++) {
			if (o->addr[k].ip == av->ip)
				return ctl_err(out, "%s is already an address of %s (%s/%u)",
					       dps_ip4_str(av->ip, b), o->name, b, o->addr[k].plen);
			/* one connected network per interface: two would tie in the FIB */
			if (o->addr[k].plen == av->plen && o != ifp &&
			    (o->addr[k].ip & mask_of(av->plen)) == (av->ip & mask_of(av->plen)))
				return ctl_err(out, "network of %s is already on %s",
					       av->word, o->name);
		}
	}
	if (ifp->naddr >= DPS_IF_MAX_ADDRS)
		return ctl_err(out, "%s already has %d addresses, the most it can hold",
			       ifp->name, DPS_IF_MAX_ADDRS);
	if (dps_if_addr_add(st, (unsigned)ifv->ifindex, av->ip, av->plen, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}

int cmd_if_addr_del(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *ifv = ctl_arg(a, "interface"), *av = ctl_arg(a, "address");
	const struct dps_iface *ifp = dps_iface_get(st, (unsigned)ifv->ifindex);
	char err[CTL_ERRLEN], have[160], b[16];
	size_t used = 0;
	bool found = false;

	have[0] = '\0';
	for (unsigned k = 0; k < ifp->naddr; k++) {
		if (ifp->addr[k].ip == av->ip && ifp->addr[k].plen == av->plen)
			found = true;
		if (used < sizeof(have))
			used += (size_t)snprintf(have + used, sizeof(have) - used, "%s%s/%u",
						 k ? ", " : "", dps_ip4_str(ifp->addr[k].ip, b),
						 ifp->addr[k].plen);
	}
	if (!found)
		return ctl_err(out, "%s has no address %s (%s%s)", ifp->name, av->word,
			       ifp->naddr ? "has: " : "it has none", have);
	if (dps_if_addr_del(st, (unsigned)ifv->ifindex, av->ip, av->plen, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}

int cmd_if_state(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *ifv = ctl_arg(a, "interface"), *sv = ctl_arg(a, "state");
	char err[CTL_ERRLEN];

	if (dps_if_set_admin(st, (unsigned)ifv->ifindex, sv->up, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}

int cmd_if_mtu(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *ifv = ctl_arg(a, "interface"), *mv = ctl_arg(a, "mtu");
	char err[CTL_ERRLEN];

	if (dps_if_set_mtu(st, (unsigned)ifv->ifindex, (uint16_t)mv->num, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}
