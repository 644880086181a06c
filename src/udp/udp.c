/*
 * UDP: validate, find the socket (connected 4-tuple first, then the bound
 * address/port), queue the datagram as a record in the socket's rx FIFO.
 * Output builds one datagram per call; IPv4 fragments what exceeds the MTU.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "net/net_internal.h"
#include "session/session_internal.h"
#include "udp/udp.h"

struct rte_mbuf *dps_mbuf_from_buf(struct rte_mempool *mp, const void *buf, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	const uint8_t *p = buf;

	if (m == NULL)
		return NULL;
	while (len > 0) {
		char *d;
		uint32_t n = dps_mbuf_extend(mp, m, len, &d);

		if (n == 0) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		memcpy(d, p, n);
		p += n;
		len -= n;
	}
	return m;
}

/* Copy len bytes to the free space off bytes past the tail, unpublished. */
static void fifo_put(struct dps_fifo *f, uint32_t off, const void *p, uint32_t len)
{
	struct dps_fifo_seg sg[2];

	dps_fifo_write_segs(f, off, len, sg);
	memcpy(sg[0].data, p, sg[0].len);
	if (sg[1].len > 0)
		memcpy(sg[1].data, (const uint8_t *)p + sg[0].len, sg[1].len);
}

void dps_udp_input(struct dps_worker *w, struct rte_mbuf *m)
{
	struct dps_session_worker *sw = w->sess;
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint16_t hl = (ih->version_ihl & 0xf) * 4;
	uint32_t iplen = rte_be_to_cpu_16(ih->total_length), plen;
	struct rte_udp_hdr *uh;
	struct dps_udp_rec rec;
	struct dps_sock *s;
	int sd;

	if (iplen < hl + sizeof(*uh) || rte_pktmbuf_pkt_len(m) < hl + sizeof(*uh)) {
		dps_drop(w, m, DPS_ERR_UDP_TRUNCATED);
		return;
	}
	/* the UDP header is within the first segment: reassembly keeps the
	 * first fragment's headers together */
	if (rte_pktmbuf_data_len(m) < hl + sizeof(*uh)) {
		dps_drop(w, m, DPS_ERR_UDP_TRUNCATED);
		return;
	}
	uh = (struct rte_udp_hdr *)((uint8_t *)ih + hl);
	plen = rte_be_to_cpu_16(uh->dgram_len);
	if (plen < sizeof(*uh) || plen > iplen - hl) {
		dps_drop(w, m, DPS_ERR_UDP_BAD_LENGTH);
		return;
	}
	if (uh->dgram_cksum != 0) {
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
		    (ck != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
		     rte_ipv4_udptcp_cksum_mbuf_verify(m, ih, hl) != 0)) {
			/* a datagram padded past its UDP length checks over
			 * the UDP length only: trim and retry */
			if (plen == iplen - hl || ck == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
				dps_drop(w, m, DPS_ERR_UDP_BAD_CHECKSUM);
				return;
			}
			ih->total_length = rte_cpu_to_be_16((uint16_t)(hl + plen));
			rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - hl - plen));
			if (rte_ipv4_udptcp_cksum_mbuf_verify(m, ih, hl) != 0) {
				dps_drop(w, m, DPS_ERR_UDP_BAD_CHECKSUM);
				return;
			}
		}
	}
	sd = dps_conn_lookup(sw, IPPROTO_UDP, ih->dst_addr, uh->dst_port, ih->src_addr,
			     uh->src_port);
	if (sd < 0)
		sd = dps_listener_lookup(sw, IPPROTO_UDP, ih->dst_addr, uh->dst_port);
	s = sd >= 0 ? dps_sock_get(sw, sd) : NULL;
	if (s == NULL || (s->flags & DPS_SF_SHUT_RD) ||
	    /* a connected socket takes only its peer's datagrams */
	    ((s->flags & DPS_SF_CONNECTED) &&
	     (s->raddr != rte_be_to_cpu_32(ih->src_addr) || s->rport != rte_be_to_cpu_16(uh->src_port)))) {
		if (s == NULL && !(dps_priv(m)->flags & DPS_PF_BCAST))
			dps_icmp_error(w, m, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, 0);
		dps_drop(w, m, DPS_ERR_UDP_NO_PORT);
		return;
	}
	plen -= sizeof(*uh);
	if (s->rx == NULL && dps_sock_fifos(s) != 0) {
		dps_drop(w, m, DPS_ERR_UDP_RCVBUF_FULL);
		return;
	}
	if (s->app != NULL && !dps_app_sock_ok(s)) {
		dps_drop(w, m, DPS_ERR_APP_FIFO_BAD);
		return;
	}
	if (dps_fifo_free(s->rx) < sizeof(rec) + plen) {
		dps_drop(w, m, DPS_ERR_UDP_RCVBUF_FULL);
		return;
	}
	rec.ip = rte_be_to_cpu_32(ih->src_addr);
	rec.port = rte_be_to_cpu_16(uh->src_port);
	rec.pad = 0;
	rec.len = plen;
	/* the record is published whole (one commit): an application that
	 * reads the FIFO while we write never sees a header without its
	 * payload */
	fifo_put(s->rx, 0, &rec, sizeof(rec));
	{
		/* copy the payload segment by segment */
		uint32_t off = hl + sizeof(*uh), left = plen, at = sizeof(rec);
		const struct rte_mbuf *seg = m;

		while (seg != NULL && off >= seg->data_len) {
			off -= seg->data_len;
			seg = seg->next;
		}
		while (seg != NULL && left > 0) {
			uint32_t n = seg->data_len - off;

			if (n > left)
				n = left;
			fifo_put(s->rx, at, rte_pktmbuf_mtod_offset(seg, uint8_t *, off), n);
			at += n;
			left -= n;
			off = 0;
			seg = seg->next;
		}
	}
	dps_fifo_enqueue_commit(s->rx, sizeof(rec) + plen);
	s->rx_bytes += plen;
	dps_sock_notify(sw, s);
	rte_pktmbuf_free(m);
}

ssize_t dps_udp_sendto(struct dps_worker *w, struct dps_sock *s, const void *buf, size_t len,
		       uint32_t ip, uint16_t port)
{
	struct dps_stack *st = w->st;
	struct rte_ipv4_hdr *ih;
	struct rte_udp_hdr *uh;
	struct rte_mbuf *m;
	uint32_t src;

	if (s->flags & DPS_SF_SHUT_WR)
		return -EPIPE;
	if (len > DPS_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (ip == 0 || port == 0)
		return -EINVAL;
	src = s->laddr != 0 ? s->laddr : ip4_src_for(st, ip, NULL);
	if (src == 0)
		return -ENETUNREACH;
	m = dps_mbuf_from_buf(st->pool, buf, (uint32_t)len);
	if (m == NULL)
		return -ENOBUFS;
	uh = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m, sizeof(*uh));
	ih = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ih));
	if (uh == NULL || ih == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	memset(ih, 0, sizeof(*ih));
	ih->version_ihl = 0x45;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(len + sizeof(*ih) + sizeof(*uh)));
	ih->packet_id = rte_cpu_to_be_16(w->ip_id++);
	/* Linux sets DF on UDP only with PMTU discovery "do"; datagrams
	 * larger than the MTU are fragmented (issue 3) */
	ih->time_to_live = st->params.default_ttl;
	ih->next_proto_id = IPPROTO_UDP;
	ih->src_addr = rte_cpu_to_be_32(src);
	ih->dst_addr = rte_cpu_to_be_32(ip);
	uh->src_port = rte_cpu_to_be_16(s->lport);
	uh->dst_port = rte_cpu_to_be_16(port);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(len + sizeof(*uh)));
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum_mbuf(m, ih, sizeof(*ih));
	if (uh->dgram_cksum == 0)
		uh->dgram_cksum = 0xffff;
	s->tx_bytes += len;
	dps_ip4_output(w, &m, 1);
	return (ssize_t)len;
}

ssize_t dps_udp_recvfrom(struct dps_worker *w, struct dps_sock *s, void *buf, size_t len,
			 int flags, uint32_t *ip, uint16_t *port)
{
	struct dps_udp_rec rec;
	uint32_t n;

	if (s->rx == NULL || dps_fifo_max_dequeue(s->rx) < sizeof(rec)) {
		if (s->so_error != 0) {
			int e = s->so_error;

			s->so_error = 0;
			return -e;
		}
		return -EAGAIN;
	}
	dps_fifo_peek(s->rx, 0, &rec, sizeof(rec));
	n = rec.len < len ? rec.len : (uint32_t)len;
	if (n > 0)
		dps_fifo_peek(s->rx, sizeof(rec), buf, n);
	if (!(flags & MSG_PEEK))
		dps_fifo_drop(s->rx, sizeof(rec) + rec.len);
	if (ip != NULL)
		*ip = rec.ip;
	if (port != NULL)
		*port = rec.port;
	return (flags & MSG_TRUNC) ? (ssize_t)rec.len : (ssize_t)n;
}

unsigned dps_udp_poll(const struct dps_sock *s)
{
	unsigned ev = 0;

	if (s->rx != NULL && dps_fifo_max_dequeue(s->rx) >= sizeof(struct dps_udp_rec))
		ev |= POLLIN | POLLRDNORM;
	if (!(s->flags & DPS_SF_SHUT_WR))
		ev |= POLLOUT | POLLWRNORM;
	if (s->so_error != 0)
		ev |= POLLERR;
	if ((s->flags & (DPS_SF_SHUT_RD | DPS_SF_SHUT_WR)) == (DPS_SF_SHUT_RD | DPS_SF_SHUT_WR))
		ev |= POLLHUP;
	return ev;
}
