/*
 * Helpers of the simulated-link transport tests (see simtcp.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simtcp.h"

const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 };
const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 2 };

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

uint16_t inet_csum(const void *data, size_t n, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void parse_opts(struct rec *r, const uint8_t *o, unsigned n)
{
	unsigned i = 0;

	r->ws = -1;
	while (i < n) {
		uint8_t kind = o[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			break;
		len = o[i + 1];
		if (len < 2 || i + len > n)
			break;
		switch (kind) {
		case 2:
			if (len == 4)
				r->mss = rd16(o + i + 2);
			break;
		case 3:
			if (len == 3)
				r->ws = (int8_t)o[i + 2];
			break;
		case 4:
			r->sackok = true;
			break;
		case 5:
			for (unsigned k = 0; k < (len - 2u) / 8 && k < 4; k++) {
				r->sack[k][0] = rd32(o + i + 2 + 8 * k);
				r->sack[k][1] = rd32(o + i + 6 + 8 * k);
				r->nsack = (uint8_t)(k + 1);
			}
			break;
		case 8:
			if (len == 10) {
				r->has_ts = true;
				r->tsval = rd32(o + i + 2);
				r->tsecr = rd32(o + i + 6);
			}
			break;
		default:
			break;
		}
		i += len;
	}
}

bool tn_parse(const uint8_t *f, size_t len, struct rec *r)
{
	const uint8_t *ip, *l4;
	unsigned ihl, l4len;
	uint16_t frag;

	memset(r, 0, sizeof(*r));
	r->ws = -1;
	r->flen = (uint16_t)len;
	if (len < 14 + 20 || rd16(f + 12) != 0x0800)
		return false;
	ip = f + 14;
	ihl = (ip[0] & 0xfu) * 4u;
	r->ip_len = rd16(ip + 2);
	if (ihl < 20 || r->ip_len < ihl || 14u + r->ip_len > len)
		return false;
	r->proto = ip[9];
	r->ipid = rd16(ip + 4);
	frag = rd16(ip + 6);
	r->df = (frag & 0x4000) != 0;
	r->mf = (frag & 0x2000) != 0;
	r->frag_off = (uint16_t)((frag & 0x1fff) * 8);
	r->ttl = ip[8];
	r->saddr = rd32(ip + 12);
	r->daddr = rd32(ip + 16);
	l4 = ip + ihl;
	l4len = r->ip_len - ihl;
	if (r->frag_off != 0)
		return true;
	if (r->proto == IPPROTO_TCP && l4len >= 20) {
		unsigned doff = (l4[12] >> 4) * 4u;

		r->sport = rd16(l4);
		r->dport = rd16(l4 + 2);
		r->seq = rd32(l4 + 4);
		r->ack = rd32(l4 + 8);
		r->flags = l4[13];
		r->win = rd16(l4 + 14);
		if (doff < 20 || doff > l4len)
			return true;
		r->doff = (uint8_t)doff;
		r->optlen = (uint8_t)(doff - 20);
		memcpy(r->opt, l4 + 20, r->optlen);
		parse_opts(r, l4 + 20, r->optlen);
		r->len = (uint16_t)(l4len - doff);
	} else if (r->proto == IPPROTO_UDP && l4len >= 8) {
		r->sport = rd16(l4);
		r->dport = rd16(l4 + 2);
		r->len = (uint16_t)(rd16(l4 + 4) - 8);
	} else if (r->proto == IPPROTO_ICMP && l4len >= 8) {
		r->icmp_type = l4[0];
		r->icmp_code = l4[1];
		r->len = (uint16_t)(l4len - 8);
	}
	return true;
}

/* What a test that failed half-way left open (its struct tn is gone with
 * its stack frame): tn_teardown() destroys it so the next test can use the
 * same instance names. */
static struct {
	struct dps_sim *a, *b;
	struct dps_simnet *net;
	struct rec *recs;
	size_t nrecs;
} live;

static enum dps_simnet_verdict tap(void *arg, struct dps_sim *from, int ifindex, uint8_t *frame,
				   size_t len, uint64_t ts)
{
	struct tn *t = arg;
	struct rec r;
	uint64_t h = t->hash ? t->hash : 0xcbf29ce484222325ull;
	uint8_t hdr[9];
	bool drop = false;

	(void)ifindex;
	/* the trace: sender, time, bytes */
	hdr[0] = from == t->b;
	memcpy(hdr + 1, &ts, 8);
	for (size_t i = 0; i < sizeof(hdr); i++)
		h = (h ^ hdr[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ frame[i]) * 0x100000001b3ull;
	t->hash = h;
	t->nframes++;

	tn_parse(frame, len, &r);
	r.ts = ts;
	r.from = from == t->b;
	if (t->mangle != NULL)
		t->mangle(t, frame, len, &r);
	if (t->filter != NULL && t->filter(t, &r)) {
		drop = true;
		r.dropped = true;
		t->nfiltered++;
	}
	if (t->record) {
		if (t->nrecs == t->caprecs) {
			size_t cap = t->caprecs ? 2 * t->caprecs : 4096;
			struct rec *n = realloc(t->recs, cap * sizeof(*n));

			assert_non_null(n);
			t->recs = n;
			t->caprecs = cap;
		}
		if (t->keep_frames) {
			r.frame = malloc(len);
			assert_non_null(r.frame);
			memcpy(r.frame, frame, len);
		}
		t->recs[t->nrecs++] = r;
		live.recs = t->recs;
		live.nrecs = t->nrecs;
	}
	return drop ? DPS_SIMNET_DROP : DPS_SIMNET_PASS;
}


int tn_teardown(void **state)
{
	(void)state;
	if (live.net != NULL)
		dps_simnet_destroy(live.net);
	if (live.a != NULL)
		dps_sim_destroy(live.a);
	if (live.b != NULL)
		dps_sim_destroy(live.b);
	for (size_t i = 0; i < live.nrecs; i++)
		free(live.recs[i].frame);
	free(live.recs);
	memset(&live, 0, sizeof(live));
	return 0;
}

void tn_open(struct tn *t, uint64_t seed, const struct dps_sim_link_params *p, uint16_t mtu_a,
	     uint16_t mtu_b)
{
	struct dps_sim_link_params def = { .delay_ns = 1 * MS };

	memset(t, 0, sizeof(*t));
	t->seed = seed;
	t->a = dps_sim_create("a", T0);
	t->b = dps_sim_create("b", T0);
	assert_non_null(t->a);
	assert_non_null(t->b);
	t->net = dps_simnet_create(seed);
	assert_non_null(t->net);
	live.a = t->a;
	live.b = t->b;
	live.net = t->net;
	t->ifa = dps_sim_add_if(t->a, "a0", mac_a, IP_A "/24", NULL, mtu_a);
	t->ifb = dps_sim_add_if(t->b, "b0", mac_b, IP_B "/24", NULL, mtu_b);
	assert_true(t->ifa >= 0 && t->ifb >= 0);
	assert_int_equal(dps_simnet_link(t->net, t->a, t->ifa, t->b, t->ifb, p ? p : &def), 0);
	dps_simnet_set_tap(t->net, tap, t);
	/* the gratuitous ARPs of the new addresses go out */
	tn_run(t, 1 * MS);
}

void tn_clear(struct tn *t)
{
	for (size_t i = 0; i < t->nrecs; i++)
		free(t->recs[i].frame);
	t->nrecs = 0;
	live.nrecs = 0;
}

void tn_close(struct tn *t)
{
	tn_clear(t);
	free(t->recs);
	live.recs = NULL;
	dps_simnet_destroy(t->net);
	dps_sim_destroy(t->a);
	dps_sim_destroy(t->b);
	memset(&live, 0, sizeof(live));
	memset(t, 0, sizeof(*t));
}

uint64_t tn_now(const struct tn *t)
{
	return dps_sim_now(t->a);
}

void tn_run(struct tn *t, uint64_t d)
{
	dps_simnet_run_until(t->net, tn_now(t) + d);
}

struct dps_sim *tn_sim(struct tn *t, int side)
{
	return side == 0 ? t->a : t->b;
}

int tn_if(struct tn *t, int side)
{
	return side == 0 ? t->ifa : t->ifb;
}

size_t build_tcp(uint8_t *f, const struct seg_spec *s)
{
	uint8_t *ip = f + 14, *th = ip + 20;
	unsigned thlen = 20u + s->optlen, tot = 20u + thlen + s->len;
	uint8_t ph[12];
	uint32_t sum = 0;

	memcpy(f, s->side == 0 ? mac_b : mac_a, 6);
	memcpy(f + 6, s->side == 0 ? mac_a : mac_b, 6);
	wr16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)tot);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	wr32(ip + 12, s->saddr);
	wr32(ip + 16, s->daddr);
	wr16(ip + 10, inet_csum(ip, 20, 0));
	memset(th, 0, 20);
	wr16(th, s->sport);
	wr16(th + 2, s->dport);
	wr32(th + 4, s->seq);
	wr32(th + 8, s->ack);
	th[12] = (uint8_t)((thlen / 4) << 4);
	th[13] = s->flags;
	wr16(th + 14, s->win);
	if (s->optlen)
		memcpy(th + 20, s->opt, s->optlen);
	if (s->len)
		memcpy(th + thlen, s->data, s->len);
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP;
	wr16(ph + 10, (uint16_t)(thlen + s->len));
	for (unsigned i = 0; i < 12; i += 2)
		sum += rd16(ph + i);
	wr16(th + 16, inet_csum(th, thlen + s->len, sum));
	return 14u + tot;
}

void linux_syn_opts(uint8_t o[20], uint16_t mss, uint32_t tsval, uint8_t ws)
{
	o[0] = 2; o[1] = 4; wr16(o + 2, mss);
	o[4] = 4; o[5] = 2;
	o[6] = 8; o[7] = 10; wr32(o + 8, tsval); wr32(o + 12, 0);
	o[16] = 1;
	o[17] = 3; o[18] = 3; o[19] = ws;
}

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void pattern(uint64_t key, uint64_t off, uint8_t *buf, size_t n)
{
	uint64_t w = mix64(key ^ ((off >> 3) * 0xd6e8feb86659fd93ull));

	for (size_t i = 0; i < n; i++, off++) {
		if ((off & 7) == 0)
			w = mix64(key ^ ((off >> 3) * 0xd6e8feb86659fd93ull));
		buf[i] = (uint8_t)(w >> (8 * (off & 7)));
	}
}

void ep_init(struct ep *e, struct dps_sim *sim, int sd, const char *name, uint64_t key_tx,
	     uint64_t tx_total, uint64_t key_rx, uint64_t rx_total)
{
	memset(e, 0, sizeof(*e));
	e->sim = sim;
	e->sd = sd;
	e->name = name;
	e->key_tx = key_tx;
	e->tx_total = tx_total;
	e->key_rx = key_rx;
	e->rx_total = rx_total;
	e->shut_when_sent = true;
	e->close_at_end = true;
	e->read = true;
}

bool ep_pump(struct ep *e)
{
	static uint8_t buf[65536], exp[65536];
	bool moved = false;

	if (e->sd < 0)
		return false;
	while (e->err == 0 && e->tx_done < e->tx_total) {
		size_t n = e->tx_total - e->tx_done;
		ssize_t r;

		if (n > sizeof(buf))
			n = sizeof(buf);
		pattern(e->key_tx, e->tx_done, buf, n);
		r = dps_sim_send(e->sim, e->sd, buf, n, MSG_NOSIGNAL);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			e->err = (int)r;
			break;
		}
		assert_true(r > 0 && (size_t)r <= n);
		e->tx_done += (uint64_t)r;
		moved = true;
	}
	if (e->err == 0 && e->tx_done == e->tx_total && e->shut_when_sent && !e->shut) {
		assert_int_equal(dps_sim_shutdown(e->sim, e->sd, SHUT_WR), 0);
		e->shut = true;
		moved = true;
	}
	while (e->read && e->err == 0 && !e->eof) {
		ssize_t r = dps_sim_recv(e->sim, e->sd, buf, sizeof(buf), 0);

		if (r == -EAGAIN)
			break;
		if (r < 0) {
			e->err = (int)r;
			break;
		}
		moved = true;
		if (r == 0) {
			e->eof = true;
			e->eof_ns = dps_sim_now(e->sim);
			break;
		}
		if (e->rx_done + (uint64_t)r > e->rx_total)
			fail_msg("%s: %llu bytes received, %llu expected", e->name,
				 (unsigned long long)(e->rx_done + (uint64_t)r),
				 (unsigned long long)e->rx_total);
		pattern(e->key_rx, e->rx_done, exp, (size_t)r);
		if (memcmp(buf, exp, (size_t)r) != 0) {
			size_t i = 0;

			while (buf[i] == exp[i])
				i++;
			fail_msg("%s: byte %llu of the stream differs (got %02x, sent %02x)",
				 e->name, (unsigned long long)(e->rx_done + i), buf[i], exp[i]);
		}
		e->rx_done += (uint64_t)r;
	}
	if (e->close_at_end && e->err == 0 && e->eof && (e->shut || !e->shut_when_sent) &&
	    e->tx_done == e->tx_total) {
		assert_int_equal(dps_sim_close(e->sim, e->sd), 0);
		e->sd = -1;
		moved = true;
	}
	return moved;
}

static bool ep_done(const struct ep *e)
{
	if (e->err != 0)
		return true;
	if (e->close_at_end)
		return e->sd < 0;
	return e->tx_done == e->tx_total && e->rx_done == e->rx_total &&
	       (!e->shut_when_sent || e->shut);
}

bool ep_run(struct tn *t, struct ep *e, unsigned n, uint64_t until)
{
	uint64_t step = 1 * MS;

	for (;;) {
		bool moved = false, done = true;
		unsigned i;

		for (i = 0; i < n; i++)
			moved |= ep_pump(&e[i]);
		for (i = 0; i < n; i++)
			done &= ep_done(&e[i]);
		if (done)
			return true;
		if (tn_now(t) >= until)
			return false;
		/* react within 1 ms while data moves, look less often in a
		 * stall (an RTO): virtual time is free, CPU is not */
		step = moved ? 1 * MS : (step < 32 * MS ? step * 2 : step);
		dps_simnet_run_until(t->net, tn_now(t) + step < until ? tn_now(t) + step : until);
	}
}

int t_listen(struct dps_sim *s, const char *ip, uint16_t port, int backlog)
{
	struct sockaddr_in sa;
	int sd = dps_sim_socket(s, SOCK_STREAM);

	assert_true(sd >= 0);
	assert_int_equal(dps_sim_sockaddr(&sa, ip, port), 0);
	assert_int_equal(dps_sim_bind(s, sd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(dps_sim_listen(s, sd, backlog), 0);
	return sd;
}

void t_pair(struct tn *t, int lsd, uint16_t port, int *csd, int *ssd)
{
	struct sockaddr_in sa, peer;
	socklen_t plen = sizeof(peer);
	uint64_t until = tn_now(t) + 30 * SEC;
	int c, s = -1, r;
	bool connected = false;

	if (*csd < 0) {
		*csd = dps_sim_socket(t->a, SOCK_STREAM);
		assert_true(*csd >= 0);
	}
	c = *csd;
	dps_sim_sockaddr(&sa, IP_B, port);
	r = dps_sim_connect(t->a, c, (struct sockaddr *)&sa, sizeof(sa));
	assert_int_equal(r, -EINPROGRESS);
	while (tn_now(t) < until && (s < 0 || !connected)) {
		struct pollfd pf = { .fd = c, .events = POLLOUT };

		tn_run(t, 1 * MS);
		if (s < 0) {
			s = dps_sim_accept(t->b, lsd, (struct sockaddr *)&peer, &plen);
			if (s == -EAGAIN)
				s = -1;
			assert_true(s >= -1);
		}
		if (!connected && dps_sim_poll(t->a, &pf, 1) == 1) {
			assert_int_equal(pf.revents & (POLLERR | POLLHUP), 0);
			connected = true;
		}
	}
	if (!connected || s < 0) {
		struct sockaddr_in me;
		socklen_t mlen = sizeof(me);

		print_message("t_pair: connected %d, accepted %d after 30 s\n", connected, s);
		dump_socks(t);
		if (t->record && dps_sim_getsockname(t->a, c, (struct sockaddr *)&me, &mlen) == 0)
			dump_trace_port(t, ntohs(me.sin_port), 40);
		dump_errors(t);
	}
	assert_true(connected);
	assert_true(s >= 0);
	assert_int_equal(get_int(t->a, c, SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(plen, sizeof(peer));
	assert_int_equal(peer.sin_family, AF_INET);
	assert_int_equal(ntohl(peer.sin_addr.s_addr), IPA_H);
	*ssd = s;
}

void set_int(struct dps_sim *s, int sd, int level, int opt, int v)
{
	assert_int_equal(dps_sim_setsockopt(s, sd, level, opt, &v, sizeof(v)), 0);
}

int get_int(struct dps_sim *s, int sd, int level, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	assert_int_equal(dps_sim_getsockopt(s, sd, level, opt, &v, &len), 0);
	assert_int_equal(len, sizeof(v));
	return v;
}

/* State names compare without '-' and '_': FIN-WAIT-2, FIN_WAIT_2 and
 * FIN_WAIT2 are the same state. */
static void norm_state(char *dst, const char *src, size_t cap)
{
	size_t n = 0;

	for (; *src != '\0' && n + 1 < cap; src++)
		if (*src != '-' && *src != '_')
			dst[n++] = *src;
	dst[n] = '\0';
}

bool state_eq(const char *a, const char *b)
{
	char na[32], nb[32];

	norm_state(na, a, sizeof(na));
	norm_state(nb, b, sizeof(nb));
	return strcmp(na, nb) == 0;
}

const char *sock_state(struct dps_sim *s, int sd, char buf[16])
{
	struct dps_sim_sock_info in;

	buf[0] = '\0';
	if (dps_sim_sock_info(s, sd, &in) == 0) {
		memcpy(buf, in.state, 16);
		buf[15] = '\0';
	}
	return buf;
}

void assert_state_fn(struct dps_sim *s, int sd, const char *want, const char *file, int line)
{
	char st[16];

	sock_state(s, sd, st);
	if (!state_eq(st, want))
		fail_msg("%s:%d: socket %d is in state \"%s\", not %s", file, line, sd, st, want);
}

unsigned count_state(struct dps_sim *s, const char *state)
{
	struct dps_sim_sock_info in[256];
	unsigned n = dps_sim_sock_list(s, in, 256), k = 0;

	if (state == NULL)
		return n;
	assert_true(n <= 256);
	for (unsigned i = 0; i < n; i++)
		if (state_eq(in[i].state, state))
			k++;
	return k;
}

void dump_socks(struct tn *t)
{
	for (int side = 0; side < 2; side++) {
		struct dps_sim_sock_info in[16];
		unsigned n = dps_sim_sock_list(tn_sim(t, side), in, 16);

		for (unsigned i = 0; i < n && i < 16; i++) {
			char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &in[i].local.sin_addr, l, sizeof(l));
			inet_ntop(AF_INET, &in[i].peer.sin_addr, r, sizeof(r));
			print_message("%c sd %d %s %s:%u -> %s:%u rxq %u txq %u cwnd %u snd_wnd %u "
				      "rcv_wnd %u rto %llu ms retrans %llu\n",
				      side ? 'B' : 'A', in[i].sd, in[i].state,
				      l, ntohs(in[i].local.sin_port), r, ntohs(in[i].peer.sin_port),
				      in[i].rx_queued, in[i].tx_queued, in[i].cwnd, in[i].snd_wnd,
				      in[i].rcv_wnd, (unsigned long long)in[i].rto_ms,
				      (unsigned long long)in[i].retrans);
		}
	}
}

void dump_trace_port(struct tn *t, uint16_t port, size_t max)
{
	uint32_t base[2] = { 0, 0 };
	bool have[2] = { false, false };
	size_t shown = 0;

	for (size_t i = 0; i < t->nrecs && shown < max; i++) {
		const struct rec *r = &t->recs[i];
		char fl[8], sk[128] = "";
		size_t o = 0;
		int f = r->from, o_ = !f;

		if (port != 0 && r->sport != port && r->dport != port)
			continue;
		shown++;

		if (r->proto != IPPROTO_TCP) {
			print_message("%10.3f ms %c proto %u len %u\n", (double)r->ts / MS,
				      f ? 'B' : 'A', r->proto, r->flen);
			continue;
		}
		if (!have[f]) {
			base[f] = r->seq;
			have[f] = true;
		}
		snprintf(fl, sizeof(fl), "%s%s%s%s%s", r->flags & TH_SYN ? "S" : "",
			 r->flags & TH_FIN ? "F" : "", r->flags & TH_RST ? "R" : "",
			 r->flags & TH_PSH ? "P" : "", r->flags & TH_ACK ? "." : "");
		for (unsigned k = 0; k < r->nsack; k++)
			o += (size_t)snprintf(sk + o, sizeof(sk) - o, " [%u,%u)",
					      r->sack[k][0] - base[o_], r->sack[k][1] - base[o_]);
		print_message("%10.3f ms %c %-4s seq %u len %u ack %u win %u ip_len %u%s%s%s\n",
			      (double)r->ts / MS, f ? 'B' : 'A', fl, r->seq - base[f], r->len,
			      have[o_] ? r->ack - base[o_] : r->ack, r->win, r->ip_len,
			      r->nsack ? " sack" : "", sk, r->dropped ? " (dropped)" : "");
	}
}

void dump_trace(struct tn *t, size_t max)
{
	dump_trace_port(t, 0, max);
}

void dump_errors(struct tn *t)
{
	static char out[8192];

	for (int side = 0; side < 2; side++) {
		dps_sim_cli(tn_sim(t, side), "show errors", out, sizeof(out));
		print_message("%c: show errors:\n%s", side ? 'B' : 'A', out);
	}
}

bool wait_quiet(struct tn *t, uint64_t until)
{
	for (;;) {
		if (count_state(t->a, NULL) ==
		    count_state(t->a, "TIME_WAIT") + count_state(t->a, "LISTEN") &&
		    count_state(t->b, NULL) ==
		    count_state(t->b, "TIME_WAIT") + count_state(t->b, "LISTEN"))
			return true;
		if (tn_now(t) >= until) {
			print_message("not quiet after %.3f s:\n", (double)tn_now(t) / SEC);
			dump_socks(t);
			return false;
		}
		tn_run(t, 10 * MS);
	}
}

uint64_t tcpc(struct dps_sim *s, const char *name)
{
	char full[64];

	snprintf(full, sizeof(full), "tcp_%s", name);
	if (!dps_sim_counter_exists(s, full))
		fail_msg("no counter %s", full);
	return dps_sim_counter(s, full);
}

void print_tcp_counters(const char *who, struct dps_sim *s)
{
	static const char *const names[] = {
		"segs_out", "retrans_segs", "rto_events", "fast_retransmits", "recoveries",
		"sack_recoveries", "sack_retrans", "dup_acks", "ooo_segs", "dup_segs",
		"dsack_tx", "delayed_acks", "persist_probes", "rst_tx", "aborted",
	};
	char line[512];
	size_t off = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%llu", names[i],
					(unsigned long long)tcpc(s, names[i]));
	print_message("%s:%s\n", who, line);
}
