/*
 * IPv4 fragments (RFC 791, RFC 815): reassembly for local delivery, and
 * fragmentation on output with rte_ipv4_fragment_packet.
 *
 * Reassembly is our own rather than rte_ip_frag's. DPDK's table keeps at
 * most RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments per datagram, a compile-time
 * constant that is 8 in Debian's DPDK 22.11 (11.8 KB of UDP at MTU 1500),
 * and drops a datagram that needs more with no way to take its fragments
 * back, so it cannot even serve as the common case with a fallback. Linux
 * takes any datagram up to 65535 bytes: 45 fragments at MTU 1500, 119 at
 * MTU 576. Each worker owns one table, allocated at worker init (no locks,
 * nothing allocated per packet):
 *
 *   - up to IP4_FRAG_MAX_DGRAMS datagrams in reassembly, keyed by source,
 *     destination, identification and protocol (RFC 791 3.2), in a chained
 *     hash with a random seed; a fragment that would start one more is
 *     dropped (Linux also refuses new datagrams when over its limit rather
 *     than evicting ones in progress);
 *   - a pool of fragment slots shared by those datagrams, so fragments pin
 *     at most a quarter of the mbuf pool (IP4_FRAG_MAX_HELD, less with
 *     several workers); Linux bounds the memory held the same way
 *     (ipfrag_high_thresh). A fragment finding no free slot is dropped;
 *   - each datagram's fragments in a list sorted by offset, at most
 *     IP4_FRAG_MAX_PER_DGRAM of them (a 65535-byte datagram at any MTU of
 *     276 or more), which bounds the work a fragment can cost; in-order
 *     arrival appends at the tail without a walk;
 *   - the datagrams in the order they began, so the periodic tick frees
 *     those older than frag_timeout_ms (Linux ipfrag_time, 30 s, counted
 *     from the first fragment as Linux does) from the front.
 *
 * Overlaps are handled as Linux does since 4.19 for IPv4 as for IPv6
 * (inet_frag_queue_insert, after RFC 5722 and its erratum 3089): a
 * fragment lying wholly inside data already held is a duplicate and is
 * dropped alone; any other overlap drops the whole datagram. RFC 791's
 * trimming of overlaps is what overlapping-fragment attacks (RFC 1858,
 * RFC 3128) use, which is why Linux stopped trimming. The whole datagram
 * also goes when a final fragment disagrees with the data or the length
 * already seen, when it needs more than IP4_FRAG_MAX_PER_DGRAM fragments,
 * and when the first fragment's header and the data come to more than
 * 65535 bytes.
 *
 * Counters: ip4_frag_oversize (a fragment ending past 65535 bytes, or a
 * datagram too large once put together), ip4_frag_bad_len (an empty
 * fragment, or a non-final one whose length is not a multiple of 8; Linux
 * trims the latter, RFC 791 makes it malformed), ip4_frag_dropped (every
 * other fragment reassembly throws away: duplicate, overlap, too many,
 * timeout, table full), one per fragment.
 *
 * The datagram handed back is the first fragment's mbuf with the others'
 * payloads chained on (their headers stripped), its header's total length,
 * flags, offset and checksum rewritten, l2_len 0 and l3_len its header's.
 */
#include <errno.h>

#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "core/clock.h"
#include "net/net_internal.h"

#define FRAG_BUCKETS   (2 * IP4_FRAG_MAX_DGRAMS)   /* power of two */
#define FRAG_NONE      UINT16_MAX

static_assert((FRAG_BUCKETS & (FRAG_BUCKETS - 1)) == 0, "buckets: a power of two");
static_assert(IP4_FRAG_MAX_DGRAMS < FRAG_NONE && IP4_FRAG_MAX_HELD < FRAG_NONE,
	      "slot indices fit 16 bits");

/* One fragment held: payload bytes [off, end) of its datagram. */
struct frag_piece {
	struct rte_mbuf *m;        /* data_off at its IPv4 header */
	uint16_t off, end;
	uint16_t next;             /* next by offset; the free list when free */
};

/* A datagram in reassembly. */
struct frag_dgram {
	rte_be32_t src, dst;       /* key, as on the wire */
	rte_be16_t id;
	uint8_t proto;
	uint8_t last_in;           /* the final fragment is in: len is exact */
	uint16_t bucket;
	uint16_t hnext;            /* hash chain; the free list when free */
	uint16_t older, newer;     /* age list */
	uint16_t head, tail;       /* pieces by offset */
	uint16_t npieces;
	uint16_t len;              /* payload length, or the highest end seen */
	uint16_t have;             /* payload bytes held (pieces never overlap) */
	uint64_t born_ns;          /* arrival of its first fragment */
};

struct ip4_frag_tbl {
	uint32_t seed;
	uint16_t free_dgram, free_piece;
	uint16_t oldest, newest;
	uint16_t held_max;         /* slots in p[] */
	uint16_t bucket[FRAG_BUCKETS];
	struct frag_dgram d[IP4_FRAG_MAX_DGRAMS];
	struct frag_piece p[];
};

int dps_net_worker_init(struct dps_worker *w)
{
	struct dps_stack *st = w->st;
	struct ip4_frag_tbl *t;
	uint32_t held, i;

	/* fragments never pin more than a quarter of the mbufs, shared out
	 * between workers, but always room for one datagram of the most
	 * fragments we take */
	held = st->pool->size / (4 * st->n_workers);
	held = RTE_MIN(held, (uint32_t)IP4_FRAG_MAX_HELD);
	held = RTE_MAX(held, (uint32_t)IP4_FRAG_MAX_PER_DGRAM);
	t = rte_zmalloc_socket("dps_frag", sizeof(*t) + held * sizeof(t->p[0]),
			       RTE_CACHE_LINE_SIZE, st->socket_id);
	if (t == NULL)
		return -ENOMEM;
	t->seed = (uint32_t)rte_rand();
	t->held_max = (uint16_t)held;
	memset(t->bucket, 0xff, sizeof(t->bucket));
	for (i = 0; i < IP4_FRAG_MAX_DGRAMS; i++)
		t->d[i].hnext = i + 1 < IP4_FRAG_MAX_DGRAMS ? (uint16_t)(i + 1) : FRAG_NONE;
	for (i = 0; i < held; i++)
		t->p[i].next = i + 1 < held ? (uint16_t)(i + 1) : FRAG_NONE;
	t->free_dgram = 0;
	t->free_piece = 0;
	t->oldest = t->newest = FRAG_NONE;
	w->frag = t;
	w->icmp_tokens_ns = (uint64_t)st->params.icmp_ratelimit_burst * DPS_NS_PER_S /
			    st->params.icmp_ratelimit_pps;
	return 0;
}

uint32_t ip4_frag_held_max(const struct dps_worker *w)
{
	return w->frag->held_max;
}

/* Unlink datagram di from the hash and the age list, give back its slots
 * and free its mbufs unless `keep`; returns how many fragments it held. */
static unsigned dgram_release(struct ip4_frag_tbl *t, uint16_t di, bool keep)
{
	struct frag_dgram *d = &t->d[di];
	uint16_t *pp = &t->bucket[d->bucket];
	unsigned n = d->npieces;
	uint16_t pi = d->head;

	while (*pp != di)
		pp = &t->d[*pp].hnext;
	*pp = d->hnext;
	if (d->older != FRAG_NONE)
		t->d[d->older].newer = d->newer;
	else
		t->oldest = d->newer;
	if (d->newer != FRAG_NONE)
		t->d[d->newer].older = d->older;
	else
		t->newest = d->older;
	while (pi != FRAG_NONE) {
		struct frag_piece *p = &t->p[pi];
		uint16_t next = p->next;

		if (!keep)
			rte_pktmbuf_free(p->m);
		p->m = NULL;
		p->next = t->free_piece;
		t->free_piece = pi;
		pi = next;
	}
	d->npieces = 0;
	d->hnext = t->free_dgram;
	t->free_dgram = di;
	return n;
}

/* Drop a whole datagram, counting its fragments under e. */
static void dgram_drop(struct dps_worker *w, uint16_t di, enum dps_err e)
{
	w->err[e] += dgram_release(w->frag, di, false);
}

static bool dgram_expired(const struct dps_worker *w, const struct frag_dgram *d)
{
	return w->now - d->born_ns >= (uint64_t)w->st->params.frag_timeout_ms * DPS_NS_PER_MS;
}

void dps_net_worker_tick(struct dps_worker *w)
{
	struct ip4_frag_tbl *t = w->frag;

	while (t->oldest != FRAG_NONE && dgram_expired(w, &t->d[t->oldest]))
		dgram_drop(w, t->oldest, DPS_ERR_IP4_FRAG_DROPPED);
}

void dps_net_worker_fini(struct dps_worker *w)
{
	struct ip4_frag_tbl *t = w->frag;

	if (t == NULL)
		return;
	while (t->oldest != FRAG_NONE)
		dgram_release(t, t->oldest, false);
	rte_free(t);
	w->frag = NULL;
}

/* The datagram of ih's fragment, or a new one (FRAG_NONE: table full). */
static uint16_t dgram_get(struct dps_worker *w, const struct rte_ipv4_hdr *ih)
{
	struct ip4_frag_tbl *t = w->frag;
	uint32_t h = rte_jhash_3words(ih->src_addr, ih->dst_addr,
				      (uint32_t)ih->packet_id << 8 | ih->next_proto_id, t->seed);
	uint16_t b = (uint16_t)(h & (FRAG_BUCKETS - 1)), di;
	struct frag_dgram *d;

	for (di = t->bucket[b]; di != FRAG_NONE; di = d->hnext) {
		d = &t->d[di];
		if (d->src == ih->src_addr && d->dst == ih->dst_addr &&
		    d->id == ih->packet_id && d->proto == ih->next_proto_id) {
			if (!dgram_expired(w, d))
				return di;
			/* the tick has not run yet: what is left is stale */
			dgram_drop(w, di, DPS_ERR_IP4_FRAG_DROPPED);
			break;
		}
	}
	if (t->free_dgram == FRAG_NONE && dgram_expired(w, &t->d[t->oldest]))
		dgram_drop(w, t->oldest, DPS_ERR_IP4_FRAG_DROPPED);
	di = t->free_dgram;
	if (di == FRAG_NONE)
		return FRAG_NONE;
	d = &t->d[di];
	t->free_dgram = d->hnext;
	*d = (struct frag_dgram){
		.src = ih->src_addr, .dst = ih->dst_addr, .id = ih->packet_id,
		.proto = ih->next_proto_id, .bucket = b, .hnext = t->bucket[b],
		.older = t->newest, .newer = FRAG_NONE, .head = FRAG_NONE, .tail = FRAG_NONE,
		.born_ns = w->now,
	};
	t->bucket[b] = di;
	if (t->newest != FRAG_NONE)
		t->d[t->newest].newer = di;
	else
		t->oldest = di;
	t->newest = di;
	return di;
}

enum frag_verdict {
	FRAG_HELD,       /* kept, datagram still incomplete */
	FRAG_DONE,       /* kept, datagram complete */
	FRAG_DUP,        /* inside data held: drop it alone */
	FRAG_NO_SLOT,    /* no free slot: drop it alone */
	FRAG_BAD,        /* overlap, length conflict, too many: drop the datagram */
};

/*
 * Put payload [off, end) of m into datagram d (Linux ip_frag_queue and
 * inet_frag_queue_insert, with a sorted list for their tree of runs).
 * Nothing in d changes unless the fragment is kept.
 */
static enum frag_verdict dgram_add(struct ip4_frag_tbl *t, struct frag_dgram *d,
				   struct rte_mbuf *m, uint16_t off, uint16_t end, bool more)
{
	uint16_t prev = FRAG_NONE, cur = d->head, pi;
	uint16_t len = d->len;
	struct frag_piece *p;

	if (!more) {
		/* the final fragment fixes the length: data beyond it or a
		 * different final fragment means the datagram is corrupt */
		if (end < d->len || (d->last_in && end != d->len))
			return FRAG_BAD;
		len = end;
	} else if (end > d->len) {
		if (d->last_in)
			return FRAG_BAD;
		len = end;
	}
	if (d->tail != FRAG_NONE && t->p[d->tail].end <= off) {
		prev = d->tail;   /* in order: after the last piece */
		cur = FRAG_NONE;
	}
	while (cur != FRAG_NONE && t->p[cur].end <= off) {
		prev = cur;
		cur = t->p[cur].next;
	}
	if (cur != FRAG_NONE && t->p[cur].off < end) {
		/* it overlaps cur: a duplicate if the run of contiguous
		 * pieces from cur covers it whole */
		uint16_t run_end = t->p[cur].end, q = cur;

		if (off < t->p[cur].off)
			return FRAG_BAD;
		while (run_end < end && (q = t->p[q].next) != FRAG_NONE && t->p[q].off == run_end)
			run_end = t->p[q].end;
		return run_end >= end ? FRAG_DUP : FRAG_BAD;
	}
	if (d->npieces >= IP4_FRAG_MAX_PER_DGRAM)
		return FRAG_BAD;
	pi = t->free_piece;
	if (pi == FRAG_NONE)
		return FRAG_NO_SLOT;
	p = &t->p[pi];
	t->free_piece = p->next;
	p->m = m;
	p->off = off;
	p->end = end;
	p->next = cur;
	if (prev == FRAG_NONE)
		d->head = pi;
	else
		t->p[prev].next = pi;
	if (cur == FRAG_NONE)
		d->tail = pi;
	d->npieces++;
	d->have = (uint16_t)(d->have + (end - off));
	d->len = len;
	d->last_in |= !more;
	return d->last_in && d->have == d->len ? FRAG_DONE : FRAG_HELD;
}

/* Chain a complete datagram's pieces behind the first fragment and fix its
 * header; NULL when it comes to more than 65535 bytes (dropped). */
static struct rte_mbuf *dgram_build(struct dps_worker *w, uint16_t di)
{
	struct ip4_frag_tbl *t = w->frag;
	struct frag_dgram *d = &t->d[di];
	struct rte_mbuf *m = t->p[d->head].m, *last = rte_pktmbuf_lastseg(m);
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t hl = m->l3_len;
	uint16_t pi;

	/* the pieces cover [0, len) without overlap, so the first is at 0 */
	if (hl + d->len > UINT16_MAX) {
		dgram_drop(w, di, DPS_ERR_IP4_FRAG_OVERSIZE);
		return NULL;
	}
	for (pi = t->p[d->head].next; pi != FRAG_NONE; pi = t->p[pi].next) {
		struct rte_mbuf *f = t->p[pi].m;

		rte_pktmbuf_adj(f, f->l3_len);   /* its header: ip4_check made it whole */
		last->next = f;
		m->nb_segs = (uint16_t)(m->nb_segs + f->nb_segs);
		m->pkt_len += f->pkt_len;
		f->pkt_len = f->data_len;
		last = rte_pktmbuf_lastseg(f);
	}
	dgram_release(t, di, true);
	ih->total_length = rte_cpu_to_be_16((uint16_t)(hl + d->len));
	ih->fragment_offset = 0;
	ih->hdr_checksum = 0;
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	/* no NIC checks the transport checksum of a fragment: never trust a
	 * flag the first one came with */
	m->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
	m->l2_len = 0;
	return m;
}

struct rte_mbuf *ip4_reassemble(struct dps_worker *w, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint16_t fo = rte_be_to_cpu_16(ih->fragment_offset);
	uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
	uint32_t plen = rte_be_to_cpu_16(ih->total_length) - m->l3_len;
	bool more = (fo & RTE_IPV4_HDR_MF_FLAG) != 0;
	uint16_t di;

	if (off + plen + m->l3_len > UINT16_MAX) {
		dps_drop(w, m, DPS_ERR_IP4_FRAG_OVERSIZE);
		return NULL;
	}
	if (plen == 0 || (more && (plen & 7) != 0)) {
		dps_drop(w, m, DPS_ERR_IP4_FRAG_BAD_LEN);
		return NULL;
	}
	di = dgram_get(w, ih);
	if (di == FRAG_NONE) {
		dps_drop(w, m, DPS_ERR_IP4_FRAG_DROPPED);   /* table full */
		return NULL;
	}
	switch (dgram_add(w->frag, &w->frag->d[di], m, (uint16_t)off, (uint16_t)(off + plen),
			  more)) {
	case FRAG_HELD:
		return NULL;
	case FRAG_DONE:
		return dgram_build(w, di);
	case FRAG_BAD:
		dgram_drop(w, di, DPS_ERR_IP4_FRAG_DROPPED);
		break;
	case FRAG_DUP:
	case FRAG_NO_SLOT:
		if (w->frag->d[di].npieces == 0)
			dgram_release(w->frag, di, false);   /* it was to be the first */
		break;
	}
	dps_drop(w, m, DPS_ERR_IP4_FRAG_DROPPED);
	return NULL;
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
