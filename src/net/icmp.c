/*
 * ICMP (RFC 792): echo replies, and the errors routers and hosts send
 * (RFC 1812 4.3.2): never about an ICMP error, a non-first fragment or a
 * broadcast; at most 576 bytes; rate limited by a token bucket per worker
 * (Linux: icmp_msgs_per_sec 1000, icmp_msgs_burst 50).
 */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "core/clock.h"
#include "net/net_internal.h"
#include "session/session.h"

#define ICMP_ERR_MAX_IP 576

void icmp_input(struct dps_worker *w, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint16_t hl = m->l3_len;
	uint32_t len = m->pkt_len - hl;
	struct rte_icmp_hdr *ic;
	uint16_t sum;
	uint32_t c, a;

	if (len < sizeof(*ic) || m->data_len < hl + sizeof(*ic)) {
		dps_drop(w, m, DPS_ERR_ICMP_TRUNCATED);
		return;
	}
	if (rte_raw_cksum_mbuf(m, hl, len, &sum) != 0 || sum != 0xffff) {
		dps_drop(w, m, DPS_ERR_ICMP_BAD_CHECKSUM);
		return;
	}
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, hl);
	if ((ic->icmp_type == ICMP_DEST_UNREACH || ic->icmp_type == ICMP_TIME_EXCEEDED) &&
	    len >= sizeof(*ic) + sizeof(struct rte_ipv4_hdr) + 8) {
		/* an error about a packet we sent: tell its socket */
		const struct rte_ipv4_hdr *in = (const struct rte_ipv4_hdr *)(ic + 1);
		uint32_t ihl = (in->version_ihl & 0xf) * 4u;

		if ((in->version_ihl >> 4) == 4 && ihl >= sizeof(*in) &&
		    len >= sizeof(*ic) + ihl + 8 && m->data_len >= hl + sizeof(*ic) + ihl + 8)
			dps_session_icmp_error(w, ic->icmp_type, ic->icmp_code,
					       rte_be_to_cpu_16(((const uint16_t *)ic)[3]), in,
					       (const uint8_t *)in + ihl);
		rte_pktmbuf_free(m);
		return;
	}
	if (ic->icmp_type != ICMP_ECHO) {
		/* echo replies and other types: nothing asked for them */
		dps_drop(w, m, DPS_ERR_ICMP_UNSUPPORTED);
		return;
	}
	if (dps_priv(m)->flags & DPS_PF_BCAST) {
		/* Linux icmp_echo_ignore_broadcasts=1: no smurf amplifier */
		dps_drop(w, m, DPS_ERR_ICMP_BCAST_ECHO);
		return;
	}
	/* The reply: same message with type 0. The type is the high byte of
	 * the first word: 8 -> 0 adds 0x0800 to the checksum (RFC 1624). */
	ic->icmp_type = ICMP_ECHO_REPLY;
	ic->icmp_code = 0;
	c = rte_be_to_cpu_16(ic->icmp_cksum) + 0x0800u;
	c = (c & 0xffff) + (c >> 16);
	ic->icmp_cksum = rte_cpu_to_be_16((uint16_t)c);
	a = ih->src_addr;
	ih->src_addr = ih->dst_addr;
	ih->dst_addr = a;
	ih->time_to_live = w->st->params.default_ttl;
	ih->fragment_offset = 0;
	ih->packet_id = rte_cpu_to_be_16((uint16_t)w->ip_id++);
	dps_ip4_output(w, &m, 1);
}

static bool icmp_ratelimit_ok(struct dps_worker *w)
{
	const struct dps_params *p = &w->st->params;
	uint64_t cost = DPS_NS_PER_S / (p->icmp_ratelimit_pps ? p->icmp_ratelimit_pps : 1);
	uint64_t cap = cost * p->icmp_ratelimit_burst;

	w->icmp_tokens_ns += w->now - w->icmp_last_ns;
	w->icmp_last_ns = w->now;
	if (w->icmp_tokens_ns > cap)
		w->icmp_tokens_ns = cap;
	if (w->icmp_tokens_ns < cost)
		return false;
	w->icmp_tokens_ns -= cost;
	return true;
}

static bool is_icmp_error(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ih)
{
	const struct rte_icmp_hdr *ic;

	if (ih->next_proto_id != IPPROTO_ICMP)
		return false;
	if (m->data_len < m->l3_len + 1)
		return true;   /* cannot tell: be safe */
	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, m->l3_len);
	return ic->icmp_type != ICMP_ECHO && ic->icmp_type != ICMP_ECHO_REPLY &&
	       ic->icmp_type != 13 && ic->icmp_type != 14;   /* timestamp */
}

void dps_icmp_error(struct dps_worker *w, struct rte_mbuf *orig, uint8_t type,
		    uint8_t code, uint32_t info)
{
	struct dps_stack *st = w->st;
	const struct rte_ipv4_hdr *oh = rte_pktmbuf_mtod(orig, const struct rte_ipv4_hdr *);
	uint32_t osrc = rte_be_to_cpu_32(oh->src_addr);
	struct rte_ipv4_hdr *ih;
	struct rte_icmp_hdr *ic;
	struct rte_mbuf *m;
	uint32_t src, qlen, nh;
	uint8_t *body;

	if ((dps_priv(orig)->flags & DPS_PF_BCAST) ||
	    (oh->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) ||
	    osrc == 0 || osrc == IP4_BCAST || IP4_IS_MCAST(osrc) || is_icmp_error(orig, oh)) {
		w->err[DPS_ERR_ICMP_NO_ERROR_FOR]++;
		return;
	}
	if (!icmp_ratelimit_ok(w)) {
		w->err[DPS_ERR_ICMP_RATELIMIT]++;
		return;
	}
	/* RFC 1812 4.3.2.4: the source is an address of the interface the
	 * error leaves on, i.e. the one routing back to the original sender */
	nh = ip4_lookup(st, osrc);
	if (nh != NH_NONE && fib_nh(st, nh)->type != NH_LOCAL)
		src = if_src_addr(st, fib_nh(st, nh)->ifindex, osrc);
	else
		src = if_src_addr(st, dps_priv(orig)->ifindex, osrc);
	if (src == 0) {
		w->err[DPS_ERR_ICMP_NO_ERROR_FOR]++;
		return;
	}
	m = rte_pktmbuf_alloc(st->pool);
	if (m == NULL) {
		w->err[DPS_ERR_NO_MBUF]++;
		return;
	}
	qlen = RTE_MIN(orig->pkt_len, (uint32_t)(ICMP_ERR_MAX_IP - sizeof(*ih) - sizeof(*ic)));
	ih = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, sizeof(*ih) + sizeof(*ic) + qlen);
	if (ih == NULL) {
		rte_pktmbuf_free(m);
		w->err[DPS_ERR_NO_MBUF]++;
		return;
	}
	ic = (struct rte_icmp_hdr *)(ih + 1);
	body = (uint8_t *)(ic + 1);
	const void *q = rte_pktmbuf_read(orig, 0, qlen, body);

	if (q != body)
		memcpy(body, q, qlen);
	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_cksum = 0;
	/* RFC 1191: next-hop MTU in the low 16 bits of the second word */
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)info);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + qlen);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->type_of_service = 0xc0;   /* internetwork control, as Linux sends */
	ih->total_length = rte_cpu_to_be_16((uint16_t)m->pkt_len);
	ih->packet_id = rte_cpu_to_be_16((uint16_t)w->ip_id++);
	ih->fragment_offset = 0;
	ih->time_to_live = st->params.default_ttl;
	ih->next_proto_id = IPPROTO_ICMP;
	ih->hdr_checksum = 0;
	ih->src_addr = rte_cpu_to_be_32(src);
	ih->dst_addr = oh->src_addr;
	dps_priv(m)->flags = 0;
	dps_priv(m)->ifindex = dps_priv(orig)->ifindex;
	dps_ip4_output(w, &m, 1);
}

void dps_neigh_failed(struct dps_worker *w, struct rte_mbuf *m)
{
	dps_icmp_error(w, m, ICMP_DEST_UNREACH, ICMP_UNREACH_HOST, 0);
	dps_drop(w, m, DPS_ERR_ARP_FAILED);
}
