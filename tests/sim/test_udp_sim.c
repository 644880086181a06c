/*
 * UDP between two dpstack instances on a simulated link, through the
 * socket calls of include/dpstack/sim.h: datagrams keep their boundaries,
 * connected sockets send to and hear only their peer, a closed port answers
 * ICMP port unreachable, a datagram larger than the MTU is fragmented and
 * reassembled, a bad checksum is dropped and counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simtcp.h"

static int udp_bound(struct dps_sim *s, const char *ip, uint16_t port)
{
	struct sockaddr_in sa;
	int sd = dps_sim_socket(s, SOCK_DGRAM);

	assert_true(sd >= 0);
	assert_int_equal(get_int(s, sd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	if (ip != NULL || port != 0) {
		dps_sim_sockaddr(&sa, ip, port);
		assert_int_equal(dps_sim_bind(s, sd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	return sd;
}

static ssize_t send_to(struct dps_sim *s, int sd, const void *buf, size_t len, const char *ip,
		       uint16_t port)
{
	struct sockaddr_in sa;

	dps_sim_sockaddr(&sa, ip, port);
	return dps_sim_sendto(s, sd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

static void test_udp_send_recv(void **state)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	struct tn t;
	char buf[2048];
	int sa, sb;
	uint16_t aport;
	struct pollfd pf;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	sb = udp_bound(t.b, NULL, 7000);
	sa = udp_bound(t.a, NULL, 0);
	pf.fd = sb;
	pf.events = POLLIN | POLLOUT;
	assert_int_equal(dps_sim_poll(t.b, &pf, 1), 1);
	assert_int_equal(pf.revents, POLLOUT);
	assert_int_equal(dps_sim_recv(t.b, sb, buf, sizeof(buf), 0), -EAGAIN);
	/* three datagrams, three sizes, one empty: boundaries kept */
	assert_int_equal(send_to(t.a, sa, "hello", 5, IP_B, 7000), 5);
	assert_int_equal(send_to(t.a, sa, "", 0, IP_B, 7000), 0);
	memset(buf, 'z', 1000);
	assert_int_equal(send_to(t.a, sa, buf, 1000, IP_B, 7000), 1000);
	tn_run(&t, 10 * MS);
	assert_int_equal(dps_sim_poll(t.b, &pf, 1), 1);
	assert_int_equal(pf.revents, POLLIN | POLLOUT);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(dps_sim_recvfrom(t.b, sb, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					  &flen), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(flen, sizeof(from));
	assert_int_equal(ntohl(from.sin_addr.s_addr), IPA_H);
	aport = ntohs(from.sin_port);
	assert_true(aport >= 32768 && aport <= 60999);   /* ephemeral, as Linux */
	assert_int_equal(dps_sim_recv(t.b, sb, buf, sizeof(buf), 0), 0);
	/* MSG_PEEK leaves it; a short buffer truncates it (and drops the rest) */
	assert_int_equal(dps_sim_recv(t.b, sb, buf, sizeof(buf), MSG_PEEK), 1000);
	assert_int_equal(dps_sim_recv(t.b, sb, buf, 10, 0), 10);
	assert_int_equal(dps_sim_recv(t.b, sb, buf, sizeof(buf), 0), -EAGAIN);
	/* the answer goes back to the sender's port */
	assert_int_equal(dps_sim_sendto(t.b, sb, "world", 5, 0, (struct sockaddr *)&from, flen), 5);
	tn_run(&t, 10 * MS);
	flen = sizeof(from);
	assert_int_equal(dps_sim_recvfrom(t.a, sa, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					  &flen), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(ntohl(from.sin_addr.s_addr), IPB_H);
	assert_int_equal(ntohs(from.sin_port), 7000);
	/* a second socket cannot take the port */
	{
		struct sockaddr_in sa2;
		int s2 = dps_sim_socket(t.b, SOCK_DGRAM);

		dps_sim_sockaddr(&sa2, NULL, 7000);
		assert_int_equal(dps_sim_bind(t.b, s2, (struct sockaddr *)&sa2, sizeof(sa2)),
				 -EADDRINUSE);
		assert_int_equal(dps_sim_close(t.b, s2), 0);
	}
	assert_int_equal(dps_sim_close(t.a, sa), 0);
	assert_int_equal(dps_sim_close(t.b, sb), 0);
	assert_int_equal(dps_sim_sock_count(t.a), 0);
	assert_int_equal(dps_sim_sock_count(t.b), 0);
	tn_close(&t);
}

/* connect() on UDP: send() goes to the peer; only the peer is heard. */
static void test_udp_connected(void **state)
{
	struct sockaddr_in sa, peer;
	socklen_t plen = sizeof(peer);
	struct tn t;
	char buf[64];
	int ua, ub, ub2;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	ub = udp_bound(t.b, IP_B, 7000);
	ub2 = udp_bound(t.b, IP_B, 7001);
	ua = udp_bound(t.a, IP_A, 6000);
	assert_int_equal(dps_sim_send(t.a, ua, "x", 1, 0), -EDESTADDRREQ);
	dps_sim_sockaddr(&sa, IP_B, 7000);
	assert_int_equal(dps_sim_connect(t.a, ua, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(dps_sim_getpeername(t.a, ua, (struct sockaddr *)&peer, &plen), 0);
	assert_int_equal(ntohs(peer.sin_port), 7000);
	assert_int_equal(dps_sim_send(t.a, ua, "ping", 4, 0), 4);
	tn_run(&t, 10 * MS);
	assert_int_equal(dps_sim_recv(t.b, ub, buf, sizeof(buf), 0), 4);
	/* from another port of B: not for a socket connected to B:7000 */
	assert_int_equal(send_to(t.b, ub2, "intruder", 8, IP_A, 6000), 8);
	tn_run(&t, 10 * MS);
	assert_int_equal(dps_sim_recv(t.a, ua, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(send_to(t.b, ub, "pong", 4, IP_A, 6000), 4);
	tn_run(&t, 10 * MS);
	assert_int_equal(dps_sim_recv(t.a, ua, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "pong", 4);
	tn_close(&t);
}

/* A closed port answers ICMP port unreachable (RFC 1122 4.1.3.1) quoting
 * the datagram, and counts udp_no_port. */
static void test_udp_port_unreachable(void **state)
{
	struct tn t;
	const struct rec *icmp = NULL, *udp = NULL;
	int ua;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	t.record = true;
	t.keep_frames = true;
	ua = udp_bound(t.a, NULL, 0);
	assert_int_equal(send_to(t.a, ua, "anyone?", 7, IP_B, 7999), 7);
	tn_run(&t, 10 * MS);
	for (size_t i = 0; i < t.nrecs; i++) {
		if (t.recs[i].from == 0 && t.recs[i].proto == IPPROTO_UDP)
			udp = &t.recs[i];
		if (t.recs[i].from == 1 && t.recs[i].proto == IPPROTO_ICMP)
			icmp = &t.recs[i];
	}
	assert_non_null(udp);
	assert_non_null(icmp);
	assert_int_equal(icmp->icmp_type, 3);
	assert_int_equal(icmp->icmp_code, 3);
	assert_int_equal(icmp->saddr, IPB_H);
	assert_int_equal(icmp->daddr, IPA_H);
	/* the quote: the datagram's IP header and (at least) 8 bytes after it */
	assert_true(icmp->len >= 28);
	assert_memory_equal(icmp->frame + 14 + 20 + 8, udp->frame + 14, 28);
	assert_int_equal(dps_sim_counter(t.b, "udp_no_port"), 1);
	tn_close(&t);
}

/* Linux reports the ICMP error to a connected socket: ECONNREFUSED. */
static void test_udp_connected_refused(void **state)
{
	struct sockaddr_in sa;
	struct tn t;
	char buf[16];
	int ua;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	ua = udp_bound(t.a, NULL, 0);
	dps_sim_sockaddr(&sa, IP_B, 7999);
	assert_int_equal(dps_sim_connect(t.a, ua, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(dps_sim_send(t.a, ua, "x", 1, 0), 1);
	tn_run(&t, 10 * MS);
	assert_int_equal(dps_sim_counter(t.b, "udp_no_port"), 1);
	assert_int_equal(dps_sim_recv(t.a, ua, buf, sizeof(buf), 0), -ECONNREFUSED);
	assert_int_equal(dps_sim_recv(t.a, ua, buf, sizeof(buf), 0), -EAGAIN);
	tn_close(&t);
}

/* Datagrams larger than the MTU leave as IPv4 fragments and arrive whole. */
static void test_udp_fragmented(void **state)
{
	static uint8_t big[65536], got[65536];
	struct tn t;
	unsigned nfrag = 0, last_mf = 0;
	int ua, ub;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	ub = udp_bound(t.b, NULL, 7000);
	ua = udp_bound(t.a, NULL, 0);
	pattern(77, 0, big, sizeof(big));
	t.record = true;
	assert_int_equal(send_to(t.a, ua, big, 4000, IP_B, 7000), 4000);
	tn_run(&t, 10 * MS);
	for (size_t i = 0; i < t.nrecs; i++) {
		const struct rec *r = &t.recs[i];

		if (r->from != 0 || r->proto != IPPROTO_UDP)
			continue;
		assert_true(r->ip_len <= 1500);
		assert_int_equal(r->frag_off, nfrag * 1480);
		nfrag++;
		last_mf = r->mf;
	}
	assert_int_equal(nfrag, 3);   /* 4008 bytes of UDP in 1480-byte pieces */
	assert_int_equal(last_mf, 0);
	assert_int_equal(dps_sim_recv(t.b, ub, got, sizeof(got), 0), 4000);
	assert_memory_equal(got, big, 4000);
	/* 11832 bytes: 8 fragments of 1480 bytes */
	assert_int_equal(send_to(t.a, ua, big, 11832, IP_B, 7000), 11832);
	tn_run(&t, 10 * MS);
	assert_int_equal(dps_sim_recv(t.b, ub, got, sizeof(got), 0), 11832);
	assert_memory_equal(got, big, 11832);
	/* 65508 bytes, one more than IPv4 carries, is refused */
	assert_int_equal(send_to(t.a, ua, big, 65508, IP_B, 7000), -EMSGSIZE);
	tn_close(&t);
}

/* The largest datagram IPv4 carries (65507 bytes) both ways, as Linux
 * takes it: 45 fragments at MTU 1500, 119 at MTU 576. */
static void test_udp_fragmented_64k(void **state)
{
	static uint8_t big[65536], got[65536];
	static const struct {
		uint16_t mtu;
		unsigned nfrag;
	} cases[] = { { 1500, 45 }, { 576, 119 } };
	const size_t len = 65507;
	struct tn t;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint16_t mtu = cases[c].mtu;
		uint32_t step = (uint32_t)(mtu - 20) & ~7u;
		int sd[2];

		tn_open(&t, 1, NULL, mtu, mtu);
		sd[0] = udp_bound(t.a, NULL, 7001);
		sd[1] = udp_bound(t.b, NULL, 7000);
		t.record = true;
		for (int from = 0; from < 2; from++) {
			struct dps_sim *src = tn_sim(&t, from), *dst = tn_sim(&t, !from);
			unsigned nfrag = 0, last_mf = 1;

			pattern(78 + (uint64_t)from, 0, big, len);
			memset(got, 0, sizeof(got));
			tn_clear(&t);
			assert_int_equal(send_to(src, sd[from], big, len, from ? IP_A : IP_B,
						 from ? 7001 : 7000), (ssize_t)len);
			tn_run(&t, 10 * MS);
			for (size_t i = 0; i < t.nrecs; i++) {
				const struct rec *r = &t.recs[i];

				if (r->from != from || r->proto != IPPROTO_UDP)
					continue;
				assert_true(r->ip_len <= mtu);
				assert_int_equal(r->frag_off, nfrag * step);
				nfrag++;
				last_mf = r->mf;
			}
			assert_int_equal(nfrag, cases[c].nfrag);
			assert_int_equal(last_mf, 0);
			assert_int_equal(dps_sim_recv(dst, sd[!from], got, sizeof(got), 0),
					 (ssize_t)len);
			assert_memory_equal(got, big, len);
		}
		for (int side = 0; side < 2; side++) {
			assert_int_equal(dps_sim_counter(tn_sim(&t, side), "ip4_frag_dropped"), 0);
			assert_int_equal(dps_sim_counter(tn_sim(&t, side), "ip4_frag_failed"), 0);
		}
		tn_close(&t);
	}
}

/* A datagram whose checksum does not match is dropped and counted. */
static void test_udp_bad_checksum(void **state)
{
	struct tn t;
	uint8_t f[256];
	char buf[64];
	int ub;
	size_t len;

	(void)state;
	tn_open(&t, 1, NULL, 0, 0);
	ub = udp_bound(t.b, NULL, 7000);
	/* a good datagram from A, built by hand, then the same one damaged */
	{
		uint8_t *ip = f + 14, *uh = ip + 20;
		uint32_t sum = 0;

		memcpy(f, mac_b, 6);
		memcpy(f + 6, mac_a, 6);
		f[12] = 0x08;
		f[13] = 0x00;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[3] = 20 + 8 + 4;
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		ip[12] = 10; ip[15] = 1;
		ip[16] = 10; ip[19] = 2;
		{
			uint16_t c = inet_csum(ip, 20, 0);

			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
		uh[0] = 0x30; uh[1] = 0x39;           /* 12345 */
		uh[2] = 0x1b; uh[3] = 0x58;           /* 7000 */
		uh[4] = 0; uh[5] = 12;
		uh[6] = uh[7] = 0;
		memcpy(uh + 8, "data", 4);
		/* pseudo header */
		sum += (10u << 8) + 0 + 0 + 1 + (10u << 8) + 2 + IPPROTO_UDP + 12;
		{
			uint16_t c = inet_csum(uh, 12, sum);

			uh[6] = (uint8_t)(c >> 8);
			uh[7] = (uint8_t)c;
		}
		len = 14 + 32;
	}
	assert_int_equal(dps_sim_inject(t.b, t.ifb, f, len), 0);
	assert_int_equal(dps_sim_recv(t.b, ub, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "data", 4);
	f[14 + 20 + 8] ^= 0x01;
	assert_int_equal(dps_sim_inject(t.b, t.ifb, f, len), 0);
	assert_int_equal(dps_sim_recv(t.b, ub, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(dps_sim_counter(t.b, "udp_bad_checksum"), 1);
	/* checksum 0: none computed, accepted (RFC 768) */
	f[14 + 20 + 6] = f[14 + 20 + 7] = 0;
	assert_int_equal(dps_sim_inject(t.b, t.ifb, f, len), 0);
	assert_int_equal(dps_sim_recv(t.b, ub, buf, sizeof(buf), 0), 4);
	tn_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_udp_send_recv, tn_teardown),
		cmocka_unit_test_teardown(test_udp_connected, tn_teardown),
		cmocka_unit_test_teardown(test_udp_port_unreachable, tn_teardown),
		cmocka_unit_test_teardown(test_udp_connected_refused, tn_teardown),
		cmocka_unit_test_teardown(test_udp_fragmented, tn_teardown),
		cmocka_unit_test_teardown(test_udp_fragmented_64k, tn_teardown),
		cmocka_unit_test_teardown(test_udp_bad_checksum, tn_teardown),
	};

	if (dps_sim_global_init() != 0) {
		fprintf(stderr, "cannot start the simulation runtime\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
