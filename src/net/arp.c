/*
 * ARP (RFC 826). Workers check the format and hand ARP to the control plane,
 * which answers requests for the receiving interface's addresses, learns
 * senders (RFC 826 "merge": update a known sender always, create an entry
 * only when the request or reply is addressed to us) and sends requests and
 * gratuitous ARP. ARP is rare; keeping it off the workers keeps the
 * neighbour table single-writer.
 *
 * Unlike Linux's default (arp_ignore=0) we answer only for addresses of the
 * interface the request came in on, as VPP does: no "ARP flux" between ports.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>

#include "core/log.h"
#include "net/net_internal.h"

#define ARP_FRAME_MIN 60   /* Ethernet minimum without FCS */

uint32_t if_src_addr(struct dps_stack *st, uint16_t ifindex, uint32_t ip)
{
	struct dps_iface *ifp = dps_iface_get(st, ifindex);
	unsigned a;

	if (ifp == NULL || ifp->naddr == 0)
		return 0;
	for (a = 0; a < ifp->naddr; a++) {
		uint32_t m = IP4_MASK(ifp->addr[a].plen);

		if ((ip & m) == (ifp->addr[a].ip & m))
			return ifp->addr[a].ip;
	}
	return ifp->addr[0].ip;
}

static bool if_has_addr(const struct dps_iface *ifp, uint32_t ip)
{
	unsigned a;

	for (a = 0; a < ifp->naddr; a++)
		if (ifp->addr[a].ip == ip)
			return true;
	return false;
}

static bool is_local_addr(struct dps_stack *st, uint32_t ip)
{
	unsigned i;

	for (i = 0; i < st->n_ifaces; i++)
		if (st->ifaces[i].used && if_has_addr(&st->ifaces[i], ip))
			return true;
	return false;
}

void arp_input(struct dps_worker *w, struct dps_iface *ifp, struct rte_mbuf *m)
{
	const struct rte_arp_hdr *ah;

	if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(*ah)) {
		dps_drop(w, m, DPS_ERR_ARP_TRUNCATED);
		return;
	}
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4) {
		dps_drop(w, m, DPS_ERR_ARP_BAD_FORMAT);
		return;
	}
	if (ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) &&
	    ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY)) {
		dps_drop(w, m, DPS_ERR_ARP_BAD_OP);
		return;
	}
	dps_punt(w, m, DPS_ACT_PUNT_ARP, ifp->ifindex, 0);
}

static struct rte_mbuf *arp_build(struct dps_stack *st, struct dps_iface *ifp, uint16_t op,
				  const struct rte_ether_addr *dmac, uint32_t sip,
				  const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(st->pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL) {
		st->ctl_err[DPS_ERR_NO_MBUF]++;
		return NULL;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, ARP_FRAME_MIN);
	memset(eh, 0, ARP_FRAME_MIN);
	rte_ether_addr_copy(dmac, &eh->dst_addr);
	rte_ether_addr_copy(&ifp->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&ifp->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	if (tha != NULL)
		rte_ether_addr_copy(tha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

void arp_send_request(struct dps_stack *st, uint16_t ifindex, uint32_t sip, uint32_t tip,
		      const struct rte_ether_addr *dmac)
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	struct dps_iface *ifp = dps_iface_get(st, ifindex);
	struct rte_mbuf *m;

	if (ifp == NULL || !ifp->admin_up)
		return;
	m = arp_build(st, ifp, RTE_ARP_OP_REQUEST, dmac ? dmac : &bcast, sip, NULL, tip);
	if (m != NULL)
		dps_ctl_inject(st, m, DPS_ACT_TX_L2, ifindex);
}

void arp_send_gratuitous(struct dps_stack *st, uint16_t ifindex, uint32_t ip)
{
	/* RFC 5227 3: an ARP request with sender = target = our address */
	arp_send_request(st, ifindex, ip, ip, NULL);
}

void dps_arp_ctl_input(struct dps_stack *st, struct rte_mbuf *m)
{
	struct dps_mbuf_priv *p = dps_priv(m);
	struct dps_iface *ifp = dps_iface_get(st, p->ifindex);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);
	struct rte_ether_addr sha = ah->arp_data.arp_sha;
	uint32_t sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
	uint32_t tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	bool request = ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST);
	bool for_us;

	if (ifp == NULL || ifp->naddr == 0) {
		dps_ctl_drop(st, m, DPS_ERR_ARP_NOT_FOR_US);
		return;
	}
	if (!rte_is_unicast_ether_addr(&sha) || sip == IP4_BCAST || IP4_IS_MCAST(sip) ||
	    (sip != 0 && is_local_addr(st, sip))) {
		/* someone claims our address, or a broken sender */
		dps_ctl_drop(st, m, DPS_ERR_ARP_BAD_SENDER);
		return;
	}
	for_us = if_has_addr(ifp, tip);
	/* sip 0 is an RFC 5227 probe: answer it, learn nothing */
	if (sip != 0)
		neigh_learn(st, ifp->ifindex, sip, &sha, for_us);
	if (!for_us) {
		dps_ctl_drop(st, m, DPS_ERR_ARP_NOT_FOR_US);
		return;
	}
	if (!request) {
		rte_pktmbuf_free(m);
		return;
	}
	/* turn the request into the reply in place */
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&sha, &ah->arp_data.arp_tha);
	rte_ether_addr_copy(&ifp->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(sip);
	ah->arp_data.arp_sip = rte_cpu_to_be_32(tip);
	rte_ether_addr_copy(&sha, &eh->dst_addr);
	rte_ether_addr_copy(&ifp->mac, &eh->src_addr);
	dps_ctl_inject(st, m, DPS_ACT_TX_L2, ifp->ifindex);
}
