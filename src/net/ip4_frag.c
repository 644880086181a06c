/*
 * IPv4 fragments: reassembly for local delivery with rte_ip_frag (one table
 * per worker, so no locking), and fragmentation on output with
 * rte_ipv4_fragment_packet. rte_ip_frag drops a datagram whose fragments
 * overlap, repeat or are too many (it cannot chain them exactly); those
 * fragments land on the death row and are counted from there. We check
 * what it does not: a fragment ending past 65535 bytes, and a non-final
 * fragment that is empty or not a multiple of 8 bytes (RFC 791).
 */
#include <errno.h>

#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "core/clock.h"
#include "net/net_internal.h"

#define FRAG_BUCKETS     1024
#define FRAG_BUCKET_ENTS 8
#define FRAG_MAX_FLOWS   (FRAG_BUCKETS * FRAG_BUCKET_ENTS / 2)

int dps_net_worker_init(struct dps_worker *w)
{
	struct dps_stack *st = w->st;

	/* time unit: the stack clock, in ns */
	w->frag_tbl = rte_ip_frag_table_create(FRAG_BUCKETS, FRAG_BUCKET_ENTS, FRAG_MAX_FLOWS,
					       (uint64_t)st->params.frag_timeout_ms * DPS_NS_PER_MS,
					       st->socket_id);
	w->frag_dr = rte_zmalloc("dps_frag_dr", sizeof(struct rte_ip_frag_death_row), 0);
	if (w->frag_tbl == NULL || w->frag_dr == NULL)
		return -ENOMEM;
	w->icmp_tokens_ns = (uint64_t)st->params.icmp_ratelimit_burst * DPS_NS_PER_S /
			    st->params.icmp_ratelimit_pps;
	return 0;
}

static void free_death_row(struct dps_worker *w)
{
	struct rte_ip_frag_death_row *dr = w->frag_dr;

	if (dr->cnt == 0)
		return;
	w->err[DPS_ERR_IP4_FRAG_DROPPED] += dr->cnt;
	rte_ip_frag_free_death_row(dr, 0);
}

void dps_net_worker_fini(struct dps_worker *w)
{
	if (w->frag_dr != NULL) {
		free_death_row(w);
		rte_free(w->frag_dr);
		w->frag_dr = NULL;
	}
	if (w->frag_tbl != NULL) {
		rte_ip_frag_table_destroy(w->frag_tbl);
		w->frag_tbl = NULL;
	}
}

void dps_net_worker_tick(struct dps_worker *w)
{
	rte_ip_frag_table_del_expired_entries(w->frag_tbl, w->frag_dr, w->now);
	free_death_row(w);
}

struct rte_mbuf *ip4_reassemble(struct dps_worker *w, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint16_t fo = rte_be_to_cpu_16(ih->fragment_offset);
	uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
	uint32_t plen = rte_be_to_cpu_16(ih->total_length) - m->l3_len;
	struct rte_mbuf *r;

	if (off + plen + m->l3_len > UINT16_MAX) {
		dps_drop(w, m, DPS_ERR_IP4_FRAG_OVERSIZE);
		return NULL;
	}
	if ((fo & RTE_IPV4_HDR_MF_FLAG) && (plen == 0 || (plen & 7) != 0)) {
		dps_drop(w, m, DPS_ERR_IP4_FRAG_BAD_LEN);
		return NULL;
	}
	r = rte_ipv4_frag_reassemble_packet(w->frag_tbl, w->frag_dr, m, w->now, ih);
	free_death_row(w);
	if (r != NULL) {
		/* rte_ip_frag fixed total_length and cleared the flags; the
		 * checksum is stale but nothing local reads it again */
		r->l2_len = 0;
	}
	return r;
}

int ip4_fragment(struct dps_worker *w, struct rte_mbuf *m, uint16_t mtu,
		 struct rte_mbuf **out, uint16_t nout)
{
	int32_t n;

	n = rte_ipv4_fragment_packet(m, out, nout, mtu, w->st->pool, w->st->ipool);
	/* the fragments reference m's data; our reference is no longer needed */
	rte_pktmbuf_free(m);
	if (n < 0) {
		w->err[DPS_ERR_IP4_FRAG_FAILED]++;
		return 0;
	}
	return n;
}
