/*
 * IPv4 input (RFC 791, RFC 1122 3.2.1, RFC 1812 5.2.2): validate, look the
 * destination up in the FIB for the whole burst, then deliver locally or
 * forward. Every drop is counted by reason.
 */
#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "net/net_internal.h"
#include "tcp/tcp.h"
#include "udp/udp.h"

/* Returns the drop reason, or DPS_ERR__MAX when the header is sound. */
static enum dps_err ip4_check(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih;
	uint16_t ihl, tot;
	uint32_t src;

	if (m->data_len < sizeof(*ih))
		return DPS_ERR_IP4_TRUNCATED;
	ih = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if ((ih->version_ihl >> 4) != 4)
		return DPS_ERR_IP4_BAD_VERSION;
	ihl = (uint16_t)((ih->version_ihl & 0xf) * 4);
	if (ihl < sizeof(*ih) || ihl > m->data_len)
		return DPS_ERR_IP4_BAD_IHL;
	tot = rte_be_to_cpu_16(ih->total_length);
	if (tot < ihl || tot > m->pkt_len)
		return DPS_ERR_IP4_BAD_LENGTH;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return DPS_ERR_IP4_BAD_CHECKSUM;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    rte_raw_cksum(ih, ihl) != 0xffff)
		return DPS_ERR_IP4_BAD_CHECKSUM;
	/* RFC 1122 3.2.1.7: TTL 0 must never be on the wire; Linux would still
	 * deliver it locally, we count and drop it as malformed */
	if (ih->time_to_live == 0)
		return DPS_ERR_IP4_TTL_ZERO;
	src = rte_be_to_cpu_32(ih->src_addr);
	/* RFC 1812 5.3.7: martian sources */
	if (src == IP4_BCAST || src == 0 || IP4_IS_MCAST(src) || IP4_IS_LOOP(src))
		return DPS_ERR_IP4_BAD_SRC;
	/* Ethernet padding of short frames */
	if (m->pkt_len > tot)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - tot));
	m->l2_len = 0;
	m->l3_len = ihl;   /* reassembly strips it from later fragments */
	return DPS_ERR__MAX;
}

static void ip4_forward(struct dps_worker *w, struct rte_mbuf *m, uint32_t nh, uint32_t dst)
{
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t c;

	if (ih->time_to_live <= 1) {
		dps_icmp_error(w, m, ICMP_TIME_EXCEEDED, 0, 0);
		dps_drop(w, m, DPS_ERR_IP4_TTL_EXCEEDED);
		return;
	}
	/* RFC 1624: TTL is the high byte of its 16-bit word, so decrementing
	 * it by one adds 0x0100 to the checksum (ones' complement) */
	ih->time_to_live--;
	c = rte_be_to_cpu_16(ih->hdr_checksum) + 0x0100u;
	c = (c & 0xffff) + (c >> 16);
	ih->hdr_checksum = rte_cpu_to_be_16((uint16_t)c);
	ip4_xmit(w, m, nh, dst, true);
}

void ip4_input(struct dps_worker *w, struct dps_iface *ifp, struct rte_mbuf **pkts, uint16_t n)
{
	struct dps_stack *st = w->st;
	uint32_t dst[DPS_BURST], nh[DPS_BURST];
	struct rte_mbuf *ok[DPS_BURST];
	uint16_t i, nok = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum dps_err e = ip4_check(m);
		uint32_t d;

		if (e != DPS_ERR__MAX) {
			dps_drop(w, m, e);
			continue;
		}
		d = rte_be_to_cpu_32(rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->dst_addr);
		if (unlikely(d == IP4_BCAST)) {
			dps_priv(m)->flags |= DPS_PF_BCAST;
			ip4_local(w, m);
			continue;
		}
		if (unlikely(IP4_IS_MCAST(d))) {
			dps_drop(w, m, DPS_ERR_IP4_MULTICAST);
			continue;
		}
		if (unlikely(d == 0 || IP4_IS_LOOP(d))) {
			dps_drop(w, m, DPS_ERR_IP4_MARTIAN_DST);
			continue;
		}
		dst[nok] = d;
		ok[nok++] = m;
	}
	if (nok == 0)
		return;
	rte_lpm_lookup_bulk(st->fib->lpm, dst, nh, nok);
	for (i = 0; i < nok; i++) {
		struct rte_mbuf *m = ok[i];
		uint32_t idx;
		uint8_t type;

		if (nh[i] & RTE_LPM_LOOKUP_SUCCESS)
			idx = nh[i] & 0x00ffffff;
		else
			idx = __atomic_load_n(&st->fib->default_nh, __ATOMIC_ACQUIRE);
		if (idx == NH_NONE) {
			dps_icmp_error(w, m, ICMP_DEST_UNREACH, ICMP_UNREACH_NET, 0);
			dps_drop(w, m, DPS_ERR_IP4_NO_ROUTE);
			continue;
		}
		type = __atomic_load_n(&fib_nh(st, idx)->type, __ATOMIC_ACQUIRE);
		if (type == NH_LOCAL) {
			ip4_local(w, m);
		} else if (type == NH_BCAST) {
			dps_priv(m)->flags |= DPS_PF_BCAST;
			ip4_local(w, m);
		} else if (unlikely(dps_priv(m)->flags & DPS_PF_BCAST)) {
			/* RFC 1812 5.3.4: link-layer broadcasts are not forwarded */
			dps_drop(w, m, DPS_ERR_IP4_LOCAL_BCAST);
		} else {
			ip4_forward(w, m, idx, dst[i]);
		}
	}
}

void ip4_local(struct dps_worker *w, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

	if (rte_ipv4_frag_pkt_is_fragmented(ih)) {
		m = ip4_reassemble(w, m);
		if (m == NULL)
			return;
		ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	}
	switch (ih->next_proto_id) {
	case IPPROTO_ICMP:
		icmp_input(w, m);
		break;
	case IPPROTO_TCP:
		dps_tcp_input(w, m);
		break;
	case IPPROTO_UDP:
		dps_udp_input(w, m);
		break;
	default:
		if (!(dps_priv(m)->flags & DPS_PF_BCAST))
			dps_icmp_error(w, m, ICMP_DEST_UNREACH, ICMP_UNREACH_PROTO, 0);
		dps_drop(w, m, DPS_ERR_IP4_UNKNOWN_PROTO);
		break;
	}
}
