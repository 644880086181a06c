/* Ethernet input: check the frame is for us and demultiplex by ethertype. */
#include <rte_ether.h>

#include "net/net_internal.h"
#include "port/capture.h"

void dps_eth_input(struct dps_worker *w, struct dps_iface *ifp,
		   struct rte_mbuf **pkts, uint16_t n)
{
	struct dps_if_stats *s = &w->ifs[ifp->ifindex];
	struct rte_mbuf *ip4[DPS_BURST];
	uint16_t i, nip = 0;

	dps_capture(w, ifp, pkts, n, true);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eh;
		struct dps_mbuf_priv *p;

		s->rx_pkts++;
		s->rx_bytes += m->pkt_len;
		if (unlikely(!ifp->admin_up)) {
			s->rx_drops++;
			dps_drop(w, m, DPS_ERR_IF_DOWN);
			continue;
		}
		if (unlikely(m->data_len < sizeof(*eh))) {
			s->rx_drops++;
			dps_drop(w, m, DPS_ERR_ETH_TRUNCATED);
			continue;
		}
		eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		p = dps_priv(m);
		p->flags = 0;
		p->ifindex = ifp->ifindex;
		if (!rte_is_same_ether_addr(&eh->dst_addr, &ifp->mac)) {
			if (!rte_is_multicast_ether_addr(&eh->dst_addr)) {
				s->rx_drops++;
				dps_drop(w, m, DPS_ERR_ETH_NOT_FOR_US);
				continue;
			}
			p->flags |= DPS_PF_BCAST;
		}
		switch (eh->ether_type) {
		case RTE_BE16(RTE_ETHER_TYPE_IPV4):
			rte_pktmbuf_adj(m, sizeof(*eh));
			if (nip == RTE_DIM(ip4)) {
				ip4_input(w, ifp, ip4, nip);
				nip = 0;
			}
			ip4[nip++] = m;
			break;
		case RTE_BE16(RTE_ETHER_TYPE_ARP):
			arp_input(w, ifp, m);
			break;
		case RTE_BE16(RTE_ETHER_TYPE_IPV6):
			s->rx_drops++;
			dps_drop(w, m, DPS_ERR_ETH_IPV6);
			break;
		default:
			s->rx_drops++;
			dps_drop(w, m, DPS_ERR_ETH_UNKNOWN_TYPE);
			break;
		}
	}
	if (nip > 0)
		ip4_input(w, ifp, ip4, nip);
}
