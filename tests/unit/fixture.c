/* The unit-test fixture: see fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "fixture.h"

#define MAX_ROUNDS 100000

/* ---- EAL ---- */

int eal_setup(void **state)
{
	static char prefix[48];
	static char *argv[] = {
		"dps-unit", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "--log-level=6", "--no-telemetry", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "dpst-unit-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

/* ---- simulated interfaces ---- */

static uint16_t sim_rx(struct dps_iface *ifp, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct sim_if *sif = ifp->io_ctx;
	uint16_t i = 0;

	(void)queue;
	while (i < n && sif->rx_n > 0) {
		pkts[i++] = sif->rxq[sif->rx_head];
		sif->rx_head = (sif->rx_head + 1) % SIM_RXQ;
		sif->rx_n--;
	}
	return i;
}

static uint16_t sim_tx(struct dps_iface *ifp, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct sim_if *sif = ifp->io_ctx;
	uint16_t i, take = n;

	(void)queue;
	if (sif->tx_budget >= 0 && take > sif->tx_budget)
		take = (uint16_t)sif->tx_budget;
	if (take > SIM_TXQ - sif->ntx)
		take = (uint16_t)(SIM_TXQ - sif->ntx);
	for (i = 0; i < take; i++) {
		sif->tx_ns[sif->ntx] = sif->fx->st->vclock_ns;
		sif->tx[sif->ntx++] = pkts[i];
	}
	return take;
}

static struct fx *fx_new(void)
{
	static unsigned seq;
	struct dps_stack_conf conf = {
		.n_workers = 1,
		.virtual_clock = true,
		.socket_id = SOCKET_ID_ANY,
	};
	char name[16];
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return NULL;
	snprintf(name, sizeof(name), "t%u", ++seq);
	conf.name = name;
	fx->st = dps_stack_create(&conf);
	if (fx->st == NULL) {
		fprintf(stderr, "dps_stack_create: %s\n", rte_strerror(rte_errno));
		free(fx);
		return NULL;
	}
	fx->w = fx->st->workers[0];
	fx->st->vclock_ns = T0_NS;
	fx->pool0 = rte_mempool_avail_count(fx->st->pool);
	fx->ipool0 = rte_mempool_avail_count(fx->st->ipool);
	return fx;
}

struct sim_if *sim_if_add(struct fx *fx, uint8_t id, uint16_t mtu)
{
	struct sim_if *sif;
	char name[16];
	int ifx;

	assert_true(fx->nifs < SIM_MAX_IFS);
	sif = &fx->ifs[fx->nifs];
	memset(sif, 0, sizeof(*sif));
	sif->fx = fx;
	sif->id = id;
	sif->tx_budget = -1;
	sif->mac = (struct rte_ether_addr){ { 0x02, 0, 0, 0, id, 0x01 } };
	sif->peer_mac = (struct rte_ether_addr){ { 0x02, 0, 0, 0, id, 0x02 } };
	sif->addr = IP4(10, id, 0, 1);
	sif->peer = IP4(10, id, 0, 2);
	sif->plen = 24;
	snprintf(name, sizeof(name), "sim%u", id);
	ifx = dps_iface_add(fx->st, name, &sif->mac, mtu, DPS_PORT_NONE, sim_rx, sim_tx, sif);
	assert_true(ifx >= 0);
	sif->ifindex = (unsigned)ifx;
	fx->nifs++;
	return sif;
}

void sim_if_up(struct sim_if *sif)
{
	struct fx *fx = sif->fx;
	struct frame f;
	char err[128] = "";

	assert_int_equal(dps_if_set_admin(fx->st, sif->ifindex, true, err, sizeof(err)), 0);
	if (dps_if_addr_add(fx->st, sif->ifindex, sif->addr, sif->plen, err, sizeof(err)) != 0)
		fail_msg("dps_if_addr_add: %s", err);
	run_until_idle(fx);
	/* the gratuitous ARP of the new address */
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REQUEST, NULL, &sif->mac, sif->addr, sif->addr);
	assert_int_equal(sent_count(sif), 0);
}

void learn_host(struct sim_if *sif, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct arp_spec a = arp_request_from_peer(sif, sif->addr);
	struct frame f;

	a.smac = *mac;
	a.sha = *mac;
	a.sip = ip;
	deliver_and_run(sif, make_arp(sif->fx, &a));
	expect_frame(sif, &f);
	expect_arp(&f, RTE_ARP_OP_REPLY, mac, &sif->mac, sif->addr, ip);
	assert_string_equal(neigh_state(sif->fx, ip), "reachable");
}

void learn_peer(struct sim_if *sif)
{
	learn_host(sif, sif->peer, &sif->peer_mac);
}

static int fx_start(void **state, unsigned nifs, bool learn)
{
	struct fx *fx = fx_new();
	unsigned i;

	if (fx == NULL)
		return -1;
	*state = fx;
	for (i = 0; i < nifs; i++) {
		struct sim_if *sif = sim_if_add(fx, (uint8_t)i, 1500);

		sim_if_up(sif);
		if (learn)
			learn_peer(sif);
	}
	return 0;
}

int fx_setup_bare(void **state)
{
	return fx_start(state, 0, false);
}

int fx_setup_one(void **state)
{
	return fx_start(state, 1, false);
}

int fx_setup_two(void **state)
{
	return fx_start(state, 2, true);
}

int fx_setup_two_unresolved(void **state)
{
	return fx_start(state, 2, false);
}

/* Stepping that never fails the test: teardown uses it. */
static bool run_quietly(struct fx *fx)
{
	uint64_t now = fx->st->vclock_ns;
	unsigned rounds, idle = 0, i;

	for (rounds = 0; rounds < MAX_ROUNDS && idle < 2; rounds++) {
		unsigned n = dps_worker_poll(fx->w, now);

		n += dps_control_poll(fx->st, now);
		n += rte_ring_count(fx->w->inject) + rte_ring_count(fx->st->punt);
		for (i = 0; i < fx->nifs; i++)
			n += fx->ifs[i].rx_n;
		idle = n == 0 ? idle + 1 : 0;
	}
	return idle >= 2;
}

int fx_teardown(void **state)
{
	struct fx *fx = *state;
	unsigned i, pool0, ipool0, free_now, ifree_now, unread = 0;
	bool settled;

	if (fx == NULL)
		return 0;
	settled = run_quietly(fx);
	for (i = 0; i < fx->nifs; i++) {
		struct sim_if *sif = &fx->ifs[i];

		while (sif->rx_n > 0) {
			rte_pktmbuf_free(sif->rxq[sif->rx_head]);
			sif->rx_head = (sif->rx_head + 1) % SIM_RXQ;
			sif->rx_n--;
			unread++;
		}
	}
	drop_sent(fx);
	pool0 = fx->pool0;
	ipool0 = fx->ipool0;
	free_now = rte_mempool_avail_count(fx->st->pool);
	ifree_now = rte_mempool_avail_count(fx->st->ipool);
	/* destroy first: a failing check must not leave the stack's memory behind */
	dps_stack_destroy(fx->st);
	free(fx);
	*state = NULL;
	if (!settled) {
		print_error("teardown: the stack never went idle\n");
		return -1;
	}
	if (unread > 0) {
		print_error("teardown: %u queued frames were never received\n", unread);
		return -1;
	}
	if (free_now != pool0 || ifree_now != ipool0) {
		print_error("teardown: mbuf leak: %d direct, %d indirect not back in their pools\n",
			    (int)pool0 - (int)free_now, (int)ipool0 - (int)ifree_now);
		return -1;
	}
	return 0;
}

/* ---- stepping ---- */

uint64_t now_ns(const struct fx *fx)
{
	return fx->st->vclock_ns;
}

void run_until_idle(struct fx *fx)
{
	if (!run_quietly(fx))
		fail_msg("the stack did not go idle within %u rounds", MAX_ROUNDS);
}

void advance_ms(struct fx *fx, uint64_t ms)
{
	fx->st->vclock_ns += ms * DPS_NS_PER_MS;
	run_until_idle(fx);
}

void advance_in_steps(struct fx *fx, uint64_t ms, uint64_t step_ms)
{
	uint64_t done;

	for (done = 0; done < ms; done += step_ms)
		advance_ms(fx, RTE_MIN(step_ms, ms - done));
}

void tick_worker(struct fx *fx)
{
	fx->w->now = fx->st->vclock_ns;
	dps_net_worker_tick(fx->w);
	run_until_idle(fx);
}

/* ---- traffic ---- */

void deliver(struct sim_if *sif, struct rte_mbuf *m)
{
	assert_non_null(m);
	assert_true(sif->rx_n < SIM_RXQ);
	sif->rxq[(sif->rx_head + sif->rx_n) % SIM_RXQ] = m;
	sif->rx_n++;
}

void deliver_and_run(struct sim_if *sif, struct rte_mbuf *m)
{
	deliver(sif, m);
	run_until_idle(sif->fx);
}

unsigned sent_count(const struct sim_if *sif)
{
	return sif->ntx;
}

unsigned sent_total(const struct fx *fx)
{
	unsigned i, n = 0;

	for (i = 0; i < fx->nifs; i++)
		n += fx->ifs[i].ntx;
	return n;
}

bool take_frame(struct sim_if *sif, struct frame *f)
{
	struct rte_mbuf *m;

	if (sif->ntx == 0)
		return false;
	m = sif->tx[0];
	f->t_ns = sif->tx_ns[0];
	sif->ntx--;
	memmove(&sif->tx[0], &sif->tx[1], sif->ntx * sizeof(sif->tx[0]));
	memmove(&sif->tx_ns[0], &sif->tx_ns[1], sif->ntx * sizeof(sif->tx_ns[0]));
	assert_true(m->pkt_len <= FRAME_MAX);
	f->len = m->pkt_len;
	{
		const void *p = rte_pktmbuf_read(m, 0, f->len, f->b);

		assert_non_null(p);
		if (p != f->b)
			memcpy(f->b, p, f->len);
	}
	rte_pktmbuf_free(m);
	return true;
}

void expect_frame(struct sim_if *sif, struct frame *f)
{
	if (!take_frame(sif, f))
		fail_msg("nothing was sent on sim%u", sif->id);
}

void drop_sent(struct fx *fx)
{
	unsigned i, j;

	for (i = 0; i < fx->nifs; i++) {
		struct sim_if *sif = &fx->ifs[i];

		for (j = 0; j < sif->ntx; j++)
			rte_pktmbuf_free(sif->tx[j]);
		sif->ntx = 0;
	}
}

void expect_nothing_sent(struct fx *fx)
{
	unsigned i;

	for (i = 0; i < fx->nifs; i++)
		if (fx->ifs[i].ntx != 0)
			fail_msg("sim%u sent %u frame(s), expected none", fx->ifs[i].id,
				 fx->ifs[i].ntx);
}

unsigned pool_free(const struct fx *fx)
{
	return rte_mempool_avail_count(fx->st->pool);
}

uint32_t frame_l4_len(struct frame *f)
{
	struct rte_ipv4_hdr *ih = frame_ip4(f);

	return rte_be_to_cpu_16(ih->total_length) - (ih->version_ihl & 0xf) * 4u;
}

/* ---- checksums ---- */

static uint32_t sum16(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t inet_cksum(const void *data, size_t len)
{
	return (uint16_t)~sum16(data, len);
}

bool inet_cksum_ok(const void *data, size_t len)
{
	return sum16(data, len) == 0xffff;
}

uint16_t cksum_steer(uint16_t c0, uint16_t target)
{
	/* checksum = ~(S0 + w), c0 = ~S0: w = ~target - S0 = ~target + c0 */
	uint32_t w = (uint32_t)(uint16_t)~target + c0;

	return (uint16_t)((w & 0xffff) + (w >> 16));
}

/* ---- builders ---- */

struct ip4_spec ip4_from_peer(const struct sim_if *sif)
{
	return (struct ip4_spec){
		.dmac = sif->mac,
		.smac = sif->peer_mac,
		.ether_type = RTE_ETHER_TYPE_IPV4,
		.version = 4,
		.ihl = -1,
		.ttl = 64,
		.proto = IPPROTO_ICMP,
		.id = 0x1234,
		.tot_len = -1,
		.src = sif->peer,
		.dst = sif->addr,
	};
}

struct rte_mbuf *make_frame(struct fx *fx, const void *data, uint32_t len)
{
	struct rte_mbuf *head = NULL, *m;
	const uint8_t *p = data;

	do {
		uint32_t chunk;
		char *d;

		m = rte_pktmbuf_alloc(fx->st->pool);
		assert_non_null(m);
		chunk = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m));
		d = rte_pktmbuf_append(m, (uint16_t)chunk);
		assert_non_null(d);
		memcpy(d, p, chunk);
		p += chunk;
		len -= chunk;
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	} while (len > 0);
	return head;
}

uint32_t build_ip4(uint8_t *buf, const struct ip4_spec *s, const void *payload, uint32_t plen)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)buf;
	uint8_t *ip = buf + sizeof(*eh);
	uint32_t hl = 20u + s->opt_len;
	uint32_t tot = s->tot_len < 0 ? hl + plen : (uint32_t)s->tot_len;
	uint16_t c;

	assert_true(s->opt_len % 4 == 0 && s->opt_len <= 40);
	eh->dst_addr = s->dmac;
	eh->src_addr = s->smac;
	eh->ether_type = rte_cpu_to_be_16(s->ether_type);
	ip[0] = (uint8_t)(s->version << 4 | ((s->ihl < 0 ? (int)hl / 4 : s->ihl) & 0xf));
	ip[1] = s->tos;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[4] = (uint8_t)(s->id >> 8);
	ip[5] = (uint8_t)s->id;
	ip[6] = (uint8_t)(s->frag >> 8);
	ip[7] = (uint8_t)s->frag;
	ip[8] = s->ttl;
	ip[9] = s->proto;
	ip[10] = ip[11] = 0;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(s->src >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(s->dst >> (24 - 8 * i));
	}
	memset(ip + 20, 1, s->opt_len);   /* NOP options */
	c = inet_cksum(ip, hl);
	if (s->bad_cksum)
		c = (uint16_t)(c ^ 0x0101);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	if (plen > 0)
		memcpy(ip + hl, payload, plen);
	memset(ip + hl + plen, 0, s->pad);
	return (uint32_t)sizeof(*eh) + hl + plen + s->pad;
}

struct rte_mbuf *make_ip4(struct fx *fx, const struct ip4_spec *s, const void *payload,
			  uint32_t plen)
{
	static uint8_t buf[70000];
	uint32_t len = build_ip4(buf, s, payload, plen);

	return make_frame(fx, buf, len);
}

uint32_t build_icmp(uint8_t *buf, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
		    uint32_t datalen)
{
	uint32_t i, len = 8 + datalen;
	uint16_t c;

	buf[0] = type;
	buf[1] = code;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	for (i = 0; i < datalen; i++)
		buf[8 + i] = echo_pattern(i);
	c = inet_cksum(buf, len);
	buf[2] = (uint8_t)(c >> 8);
	buf[3] = (uint8_t)c;
	return len;
}

struct rte_mbuf *make_echo(struct fx *fx, const struct ip4_spec *s, uint16_t id, uint16_t seq,
			   uint32_t datalen)
{
	static uint8_t msg[65536];
	struct ip4_spec e = *s;
	uint32_t len;

	assert_true(datalen + 8 <= sizeof(msg));
	len = build_icmp(msg, RTE_IP_ICMP_ECHO_REQUEST, 0, id, seq, datalen);
	e.proto = IPPROTO_ICMP;
	return make_ip4(fx, &e, msg, len);
}

struct rte_mbuf *make_fragment(struct fx *fx, const struct ip4_spec *s, const uint8_t *l4,
			       uint32_t off, uint32_t len, bool more)
{
	struct ip4_spec f = *s;

	assert_true(off / 8 <= RTE_IPV4_HDR_OFFSET_MASK);
	f.frag = (uint16_t)((s->frag & RTE_IPV4_HDR_DF_FLAG) | (more ? RTE_IPV4_HDR_MF_FLAG : 0) |
			    (off / 8));
	return make_ip4(fx, &f, l4 + off, len);
}

struct arp_spec arp_request_from_peer(const struct sim_if *sif, uint32_t tip)
{
	return (struct arp_spec){
		.dmac = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		.smac = sif->peer_mac,
		.hrd = RTE_ARP_HRD_ETHER,
		.pro = RTE_ETHER_TYPE_IPV4,
		.op = RTE_ARP_OP_REQUEST,
		.hln = RTE_ETHER_ADDR_LEN,
		.pln = 4,
		.sha = sif->peer_mac,
		.sip = sif->peer,
		.tip = tip,
		.len = 60,
	};
}

struct rte_mbuf *make_arp(struct fx *fx, const struct arp_spec *s)
{
	uint8_t buf[128] = { 0 };
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)buf;
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);

	assert_true(s->len <= sizeof(buf));
	eh->dst_addr = s->dmac;
	eh->src_addr = s->smac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(s->hrd);
	ah->arp_protocol = rte_cpu_to_be_16(s->pro);
	ah->arp_hlen = s->hln;
	ah->arp_plen = s->pln;
	ah->arp_opcode = rte_cpu_to_be_16(s->op);
	ah->arp_data.arp_sha = s->sha;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(s->sip);
	ah->arp_data.arp_tha = s->tha;
	ah->arp_data.arp_tip = rte_cpu_to_be_32(s->tip);
	return make_frame(fx, buf, s->len);
}

/* ---- expectations ---- */

void expect_arp(struct frame *f, uint16_t op, const struct rte_ether_addr *dmac,
		const struct rte_ether_addr *smac, uint32_t sip, uint32_t tip)
{
	static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_ether_hdr *eh = frame_eth(f);
	struct rte_arp_hdr *ah = frame_arp(f);

	assert_true(f->len >= 60);   /* padded to the Ethernet minimum */
	assert_int_equal(rte_be_to_cpu_16(eh->ether_type), RTE_ETHER_TYPE_ARP);
	assert_true(rte_is_same_ether_addr(&eh->dst_addr, dmac ? dmac : &bcast));
	assert_true(rte_is_same_ether_addr(&eh->src_addr, smac));
	assert_int_equal(rte_be_to_cpu_16(ah->arp_hardware), RTE_ARP_HRD_ETHER);
	assert_int_equal(rte_be_to_cpu_16(ah->arp_protocol), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(ah->arp_hlen, 6);
	assert_int_equal(ah->arp_plen, 4);
	assert_int_equal(rte_be_to_cpu_16(ah->arp_opcode), op);
	assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_sha, smac));
	assert_int_equal(rte_be_to_cpu_32(ah->arp_data.arp_sip), sip);
	assert_int_equal(rte_be_to_cpu_32(ah->arp_data.arp_tip), tip);
	if (op == RTE_ARP_OP_REPLY)
		assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_tha, dmac));
}

struct rte_ipv4_hdr *expect_ip4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto)
{
	struct rte_ipv4_hdr *ih = frame_ip4(f);
	uint32_t hl;

	assert_true(f->len >= sizeof(struct rte_ether_hdr) + 20);
	assert_int_equal(rte_be_to_cpu_16(frame_eth(f)->ether_type), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(ih->version_ihl >> 4, 4);
	hl = (ih->version_ihl & 0xf) * 4u;
	assert_true(hl >= 20);
	assert_int_equal(rte_be_to_cpu_16(ih->total_length), f->len - sizeof(struct rte_ether_hdr));
	if (!inet_cksum_ok(ih, hl))
		fail_msg("IPv4 header checksum 0x%04x is wrong", rte_be_to_cpu_16(ih->hdr_checksum));
	assert_int_equal(rte_be_to_cpu_32(ih->src_addr), src);
	assert_int_equal(rte_be_to_cpu_32(ih->dst_addr), dst);
	assert_int_equal(ih->next_proto_id, proto);
	return ih;
}

void expect_icmp_error(struct frame *f, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
		       const uint8_t *orig_ip, uint32_t quote_min)
{
	struct rte_icmp_hdr *ic;
	uint32_t l4len;

	expect_ip4(f, src, dst, IPPROTO_ICMP);
	assert_int_equal(frame_ip4(f)->time_to_live, 64);
	ic = frame_icmp(f);
	l4len = frame_l4_len(f);
	assert_true(l4len >= 8 + quote_min);
	assert_true(inet_cksum_ok(ic, l4len));
	assert_int_equal(ic->icmp_type, type);
	assert_int_equal(ic->icmp_code, code);
	/* RFC 1812 4.3.2.3: at most 576 bytes in all */
	assert_true(rte_be_to_cpu_16(frame_ip4(f)->total_length) <= 576);
	if (orig_ip != NULL)
		assert_memory_equal((uint8_t *)ic + 8, orig_ip, quote_min);
}

void expect_err_(struct fx *fx, enum dps_err e, uint64_t want, const char *name)
{
	uint64_t got = dps_err_get(fx->st, e);

	if (got != want)
		fail_msg("counter %s is %llu, expected %llu", name, (unsigned long long)got,
			 (unsigned long long)want);
}

void expect_only_errs(struct fx *fx, ...)
{
	bool allowed[DPS_ERR__MAX] = { false };
	va_list ap;
	int e;

	va_start(ap, fx);
	while ((e = va_arg(ap, int)) != DPS_ERR__MAX)
		allowed[e] = true;
	va_end(ap);
	for (e = 0; e < DPS_ERR__MAX; e++)
		if (!allowed[e] && dps_err_get(fx->st, e) != 0)
			fail_msg("unexpected counter %s = %llu", dps_err_name(e),
				 (unsigned long long)dps_err_get(fx->st, e));
}

/* ---- neighbours and routes ---- */

struct neigh_find_arg {
	uint32_t ip;
	const char *state;
};

static int neigh_find_cb(const struct dps_neigh_info *ni, void *arg)
{
	struct neigh_find_arg *a = arg;

	if (ni->ip != a->ip)
		return 0;
	a->state = ni->state;
	return 1;
}

const char *neigh_state(struct fx *fx, uint32_t ip)
{
	struct neigh_find_arg a = { .ip = ip };

	dps_neigh_walk(fx->st, neigh_find_cb, &a);
	return a.state;
}

struct route_find_arg {
	uint32_t prefix;
	uint8_t plen;
	bool found;
	struct dps_route_info ri;
};

static int route_find_cb(const struct dps_route_info *ri, void *arg)
{
	struct route_find_arg *a = arg;

	if (ri->prefix != a->prefix || ri->plen != a->plen)
		return 0;
	a->found = true;
	a->ri = *ri;
	return 1;
}

bool route_lookup(struct fx *fx, uint32_t prefix, uint8_t plen, struct dps_route_info *out)
{
	struct route_find_arg a = { .prefix = prefix, .plen = plen };

	dps_route_walk(fx->st, route_find_cb, &a);
	if (a.found && out != NULL)
		*out = a.ri;
	return a.found;
}

static int route_count_cb(const struct dps_route_info *ri, void *arg)
{
	(void)ri;
	(*(unsigned *)arg)++;
	return 0;
}

unsigned route_count(struct fx *fx)
{
	unsigned n = 0;

	dps_route_walk(fx->st, route_count_cb, &n);
	return n;
}
