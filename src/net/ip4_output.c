/*
 * IPv4 output: route, fragment to the interface MTU, resolve the next hop's
 * MAC, add the Ethernet header and queue for transmit. Packets whose next
 * hop is not resolved go to the control plane, which holds them while it
 * asks with ARP.
 */
#include <rte_ethdev.h>
#include <rte_ip.h>

#include "net/net_internal.h"

void ip4_set_cksum(struct dps_iface *ifp, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  sizeof(struct rte_ether_hdr));

	ih->hdr_checksum = 0;
	if (ifp->tx_offload & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = (ih->version_ihl & 0xf) * 4;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		ih->hdr_checksum = rte_ipv4_cksum(ih);
	}
}

/* Prepend the Ethernet header and queue for transmit. */
static void eth_out(struct dps_worker *w, struct dps_iface *ifp, struct rte_mbuf *m,
		    uint64_t dmac, bool cksum)
{
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (unlikely(eh == NULL)) {
		dps_drop(w, m, DPS_ERR_NO_MBUF);
		return;
	}
	memcpy(&eh->dst_addr, &dmac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&ifp->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	if (cksum)
		ip4_set_cksum(ifp, m);
	if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK)
		m->l2_len = sizeof(*eh);   /* the transport asked for its checksum */
	dps_tx(w, ifp->ifindex, m);
}

/*
 * Cut m to the interface MTU and send the fragments. Apart from ip4_xmit
 * so that only this path carries the array on its stack: room for the
 * 1365 fragments of a 65535-byte datagram at MTU 68 (a header with
 * options at such an MTU may need more: rte_ipv4_fragment_packet refuses
 * and ip4_frag_failed counts it).
 */
static __rte_noinline void eth_out_fragments(struct dps_worker *w, struct dps_iface *ifp,
					     struct rte_mbuf *m, uint64_t mac)
{
	struct rte_mbuf *frags[IP4_FRAG_OUT_MAX];
	int i, nf = ip4_fragment(w, m, ifp->mtu, frags, RTE_DIM(frags));

	for (i = 0; i < nf; i++)
		eth_out(w, ifp, frags[i], mac, true);
}

void ip4_xmit(struct dps_worker *w, struct rte_mbuf *m, uint32_t nh_idx, uint32_t dst, bool fwd)
{
	struct dps_stack *st = w->st;
	struct dps_nexthop *nh = fib_nh(st, nh_idx);
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint8_t type = __atomic_load_n(&nh->type, __ATOMIC_ACQUIRE);
	struct dps_iface *ifp;
	uint32_t via;
	uint64_t mac;

	switch (type) {
	case NH_CONNECTED:
		via = dst;
		break;
	case NH_NEIGH:
		via = nh->ip;
		break;
	case NH_LOCAL:
	case NH_BCAST:
		/* to ourselves: loop back without a wire */
		ip4_local(w, m);
		return;
	default:
		dps_drop(w, m, DPS_ERR_IP4_NO_ROUTE);
		return;
	}
	ifp = &st->ifaces[nh->ifindex];
	if (unlikely(!ifp->admin_up)) {
		w->ifs[ifp->ifindex].tx_drops++;
		dps_drop(w, m, DPS_ERR_IF_DOWN);
		return;
	}
	/* RFC 1191: a forwarded packet too big for the next hop with DF set
	 * is refused before resolution, so the sender hears why (Linux checks
	 * the MTU before the neighbour too) */
	if (m->pkt_len > ifp->mtu && (ih->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))) {
		if (fwd)
			dps_icmp_error(w, m, ICMP_DEST_UNREACH, ICMP_UNREACH_NEEDFRAG, ifp->mtu);
		dps_drop(w, m, DPS_ERR_IP4_FRAG_NEEDED);
		return;
	}
	if (type != NH_NEIGH || !nh_usable(__atomic_load_n(&nh->state, __ATOMIC_ACQUIRE))) {
		dps_punt(w, m, DPS_ACT_PUNT_RESOLVE, nh->ifindex, via);
		return;
	}
	mac = __atomic_load_n(&nh->mac.u64, __ATOMIC_RELAXED);
	if (unlikely(!nh->used))
		__atomic_store_n(&nh->used, 1, __ATOMIC_RELAXED);

	if (likely(m->pkt_len <= ifp->mtu)) {
		/* forwarded packets keep the checksum updated incrementally */
		eth_out(w, ifp, m, mac, !fwd);
		return;
	}
	eth_out_fragments(w, ifp, m, mac);
}

void dps_ip4_output(struct dps_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct dps_stack *st = w->st;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		uint32_t dst = rte_be_to_cpu_32(ih->dst_addr);
		uint32_t nh = ip4_lookup(st, dst);

		m->l2_len = 0;
		m->l3_len = (ih->version_ihl & 0xf) * 4;
		if (nh == NH_NONE) {
			dps_drop(w, m, DPS_ERR_IP4_NO_ROUTE);
			continue;
		}
		ip4_xmit(w, m, nh, dst, false);
	}
}

uint32_t ip4_src_for(struct dps_stack *st, uint32_t dst, uint16_t *mtu)
{
	uint32_t idx = ip4_lookup(st, dst);
	struct dps_nexthop *nh;

	if (idx == NH_NONE)
		return 0;
	nh = fib_nh(st, idx);
	switch (__atomic_load_n(&nh->type, __ATOMIC_ACQUIRE)) {
	case NH_LOCAL:
		if (mtu != NULL)
			*mtu = UINT16_MAX;
		return dst;
	case NH_CONNECTED:
	case NH_NEIGH:
		if (mtu != NULL)
			*mtu = st->ifaces[nh->ifindex].mtu;
		return if_src_addr(st, nh->ifindex, nh->type == NH_CONNECTED ? dst : nh->ip);
	default:
		return 0;
	}
}

struct dps_iface *ip4_out_if(struct dps_stack *st, uint32_t dst)
{
	uint32_t idx = ip4_lookup(st, dst);
	struct dps_nexthop *nh;
	uint8_t type;

	if (idx == NH_NONE)
		return NULL;
	nh = fib_nh(st, idx);
	type = __atomic_load_n(&nh->type, __ATOMIC_ACQUIRE);
	if (type != NH_CONNECTED && type != NH_NEIGH)
		return NULL;
	return dps_iface_get(st, nh->ifindex);
}

uint32_t dps_mbuf_extend(struct rte_mempool *mp, struct rte_mbuf *m, uint32_t want, char **data)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);
	uint32_t n = rte_pktmbuf_tailroom(last);

	if (n == 0) {
		last = rte_pktmbuf_alloc(mp);
		if (last == NULL)
			return 0;
		last->data_off = 0;   /* headers go in the first segment only */
		if (rte_pktmbuf_chain(m, last) != 0) {
			rte_pktmbuf_free(last);
			return 0;
		}
		n = rte_pktmbuf_tailroom(last);
	}
	if (n > want)
		n = want;
	*data = rte_pktmbuf_append(m, (uint16_t)n);
	return *data != NULL ? n : 0;
}
