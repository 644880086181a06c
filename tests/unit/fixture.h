/*
 * Shared fixture of the unit tests (STYLE.md "Tests"): EAL once per test
 * program; per test a stack on a virtual clock with simulated interfaces
 * that record every frame the stack transmits; builders for hand-made
 * frames (Ethernet, IPv4, ICMP echo, ARP, fragments) where each field can
 * be set wrong on purpose; a stepper that polls worker and control plane
 * until nothing moves; and, at the end of every test, a check that every
 * mbuf came back to its pool.
 *
 * Addresses: interface N (sim_if_add(fx, N, mtu)) is "simN" with MAC
 * 02:00:00:00:N:01 and address 10.N.0.1/24; the host on its link (the
 * "peer") is 10.N.0.2 with MAC 02:00:00:00:N:02.
 */
#ifndef DPS_TESTS_UNIT_FIXTURE_H
#define DPS_TESTS_UNIT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/clock.h"
#include "core/stack.h"
#include "core/worker.h"
#include "net/net.h"
#include "net/net_internal.h"

#define SIM_MAX_IFS   4
#define SIM_RXQ       512
#define SIM_TXQ       1024
#define FRAME_MAX     16384

/* The virtual clock starts here, not at 0, so "never" and "now" differ. */
#define T0_NS         DPS_NS_PER_S

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
			 ((uint32_t)(c) << 8) | (uint32_t)(d))

struct fx;

struct sim_if {
	struct fx *fx;
	unsigned ifindex;
	uint8_t id;
	struct rte_ether_addr mac;       /* the stack's end of the link */
	struct rte_ether_addr peer_mac;  /* the simulated host on the link */
	uint32_t addr, peer;             /* host order */
	uint8_t plen;
	/* frames queued by the test, handed to the stack by the rx callback */
	struct rte_mbuf *rxq[SIM_RXQ];
	unsigned rx_head, rx_n;
	/* frames the stack transmitted, oldest first, and when */
	struct rte_mbuf *tx[SIM_TXQ];
	uint64_t tx_ns[SIM_TXQ];
	unsigned ntx;
	/* when set, the tx callback takes only this many per call (TX_FULL) */
	int tx_budget;
};

struct fx {
	struct dps_stack *st;
	struct dps_worker *w;
	struct sim_if ifs[SIM_MAX_IFS];
	unsigned nifs;
	unsigned pool0, ipool0;          /* free mbufs when the test began */
};

/* A transmitted frame, copied flat out of its (maybe chained) mbuf. */
struct frame {
	uint32_t len;
	uint64_t t_ns;
	uint8_t b[FRAME_MAX];
};

/* ---- fixture life (cmocka group/test setup and teardown) ---- */
/** Group setup: rte_eal_init with --no-huge; once per program. */
int eal_setup(void **state);
int eal_teardown(void **state);
/** A stack "t<N>" with no interface. */
int fx_setup_bare(void **state);
/** sim0 up with 10.0.0.1/24. */
int fx_setup_one(void **state);
/** sim0 (10.0.0.1/24) and sim1 (10.1.0.1/24) up, both peers resolved. */
int fx_setup_two(void **state);
/** sim0 and sim1 up, no neighbour known. */
int fx_setup_two_unresolved(void **state);
/** Free what was sent, check every mbuf is back, destroy the stack. */
int fx_teardown(void **state);

#define fx_test(f, setup) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

/** Add interface "sim<id>" (admin down, no address). */
struct sim_if *sim_if_add(struct fx *fx, uint8_t id, uint16_t mtu);
/** Admin up, address 10.<id>.0.1/24, and consume the gratuitous ARP. */
void sim_if_up(struct sim_if *sif);
/** The peer asks for our address; we learn it and answer (reply consumed). */
void learn_peer(struct sim_if *sif);
/** Same for another host ip/mac on the link of sif. */
void learn_host(struct sim_if *sif, uint32_t ip, const struct rte_ether_addr *mac);

/* ---- stepping ---- */
/** Poll worker, control plane, worker ... until a whole round is idle. */
void run_until_idle(struct fx *fx);
/** Move the virtual clock forward, then run until idle. */
void advance_ms(struct fx *fx, uint64_t ms);
/** Move forward `ms` in steps of `step_ms`, running after each. */
void advance_in_steps(struct fx *fx, uint64_t ms, uint64_t step_ms);
/** Periodic worker work (reassembly expiry) at the current time. */
void tick_worker(struct fx *fx);
uint64_t now_ns(const struct fx *fx);

/* ---- traffic ---- */
/** Queue a frame for the stack to receive on sif. */
void deliver(struct sim_if *sif, struct rte_mbuf *m);
/** deliver() then run_until_idle(). */
void deliver_and_run(struct sim_if *sif, struct rte_mbuf *m);
/** Frames transmitted on sif and not taken yet. */
unsigned sent_count(const struct sim_if *sif);
/** Frames transmitted on every interface and not taken yet. */
unsigned sent_total(const struct fx *fx);
/** Take the oldest transmitted frame of sif into f (mbuf freed). False if none. */
bool take_frame(struct sim_if *sif, struct frame *f);
/** take_frame() that fails the test when nothing was sent. */
void expect_frame(struct sim_if *sif, struct frame *f);
/** Free every frame sent on every interface. */
void drop_sent(struct fx *fx);
/** Fail the test if any interface transmitted anything. */
void expect_nothing_sent(struct fx *fx);
/** Free mbufs in the stack's main pool right now. */
unsigned pool_free(const struct fx *fx);

/* ---- frame views ---- */
static inline struct rte_ether_hdr *frame_eth(struct frame *f)
{
	return (struct rte_ether_hdr *)f->b;
}
static inline struct rte_ipv4_hdr *frame_ip4(struct frame *f)
{
	return (struct rte_ipv4_hdr *)(f->b + sizeof(struct rte_ether_hdr));
}
static inline uint8_t *frame_l4(struct frame *f)
{
	return f->b + sizeof(struct rte_ether_hdr) + (frame_ip4(f)->version_ihl & 0xf) * 4;
}
static inline struct rte_icmp_hdr *frame_icmp(struct frame *f)
{
	return (struct rte_icmp_hdr *)frame_l4(f);
}
static inline struct rte_arp_hdr *frame_arp(struct frame *f)
{
	return (struct rte_arp_hdr *)(f->b + sizeof(struct rte_ether_hdr));
}
/** IPv4 payload length by the header's total length. */
uint32_t frame_l4_len(struct frame *f);

/* ---- checksums, computed here without DPDK so the check is independent ---- */
/** Internet checksum (RFC 1071) of len bytes: the value for the field, host order. */
uint16_t inet_cksum(const void *data, size_t len);
/** True if the bytes, checksum field included, sum to zero. */
bool inet_cksum_ok(const void *data, size_t len);
/**
 * A message whose checksum is c0 while one of its 16-bit words is zero:
 * the value for that word that makes the checksum `target` instead.
 */
uint16_t cksum_steer(uint16_t c0, uint16_t target);

/* ---- builders ---- */
struct ip4_spec {
	struct rte_ether_addr dmac, smac;
	uint16_t ether_type;      /* host order */
	uint8_t version;
	int ihl;                  /* header length field in words; -1: real length */
	uint8_t opt_len;          /* bytes of options present (NOPs), multiple of 4 */
	uint8_t tos, ttl, proto;
	uint16_t id;
	uint16_t frag;            /* flags | offset in 8-byte units, host order */
	int32_t tot_len;          /* -1: real length */
	uint32_t src, dst;        /* host order */
	bool bad_cksum;
	uint16_t pad;             /* bytes after the IPv4 packet (Ethernet padding) */
};

/** A sound packet from sif's peer to the stack's address on sif, TTL 64, ICMP. */
struct ip4_spec ip4_from_peer(const struct sim_if *sif);

/** Any bytes as a received frame. */
struct rte_mbuf *make_frame(struct fx *fx, const void *data, uint32_t len);
/** Ethernet + IPv4 (from the spec) + payload into buf; returns the frame length. */
uint32_t build_ip4(uint8_t *buf, const struct ip4_spec *s, const void *payload, uint32_t plen);
struct rte_mbuf *make_ip4(struct fx *fx, const struct ip4_spec *s, const void *payload,
			  uint32_t plen);
/** An ICMP message type/code, id, seq and datalen bytes of pattern, checksummed. */
uint32_t build_icmp(uint8_t *buf, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
		    uint32_t datalen);
/** Byte i of the echo data pattern. */
static inline uint8_t echo_pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) + 1);
}
/** IPv4 with an ICMP echo request of datalen bytes. */
struct rte_mbuf *make_echo(struct fx *fx, const struct ip4_spec *s, uint16_t id, uint16_t seq,
			   uint32_t datalen);
/**
 * One fragment of the IPv4 payload l4 (whole datagram's payload): bytes
 * [off, off+len), with MF set if `more`. Header fields from the spec.
 */
struct rte_mbuf *make_fragment(struct fx *fx, const struct ip4_spec *s, const uint8_t *l4,
			       uint32_t off, uint32_t len, bool more);

struct arp_spec {
	struct rte_ether_addr dmac, smac;
	uint16_t hrd, pro, op;    /* host order */
	uint8_t hln, pln;
	struct rte_ether_addr sha, tha;
	uint32_t sip, tip;        /* host order */
	uint32_t len;             /* frame length: 60 normally */
};
/** Broadcast ARP request from sif's peer asking for tip. */
struct arp_spec arp_request_from_peer(const struct sim_if *sif, uint32_t tip);
struct rte_mbuf *make_arp(struct fx *fx, const struct arp_spec *s);

/* ---- expectations ---- */
/** An ARP frame: check its fields. */
void expect_arp(struct frame *f, uint16_t op, const struct rte_ether_addr *dmac,
		const struct rte_ether_addr *smac, uint32_t sip, uint32_t tip);
/** The frame is IPv4 with a valid header checksum; returns the header. */
struct rte_ipv4_hdr *expect_ip4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto);
/** An ICMP error type/code from src to dst with a valid checksum quoting `orig_ip`. */
void expect_icmp_error(struct frame *f, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
		       const uint8_t *orig_ip, uint32_t quote_min);
/** Counter e equals want; prints the counter's name otherwise. */
#define expect_err(fx, e, want) expect_err_((fx), DPS_ERR_##e, (want), #e)
void expect_err_(struct fx *fx, enum dps_err e, uint64_t want, const char *name);
/** Every error counter is zero except those listed (DPS_ERR__MAX ends the list). */
void expect_only_errs(struct fx *fx, ...);

/* ---- neighbours and routes ---- */
/** State string of a neighbour, NULL if there is no entry. */
const char *neigh_state(struct fx *fx, uint32_t ip);
/** Route of prefix/plen in the walk; false if absent. */
bool route_lookup(struct fx *fx, uint32_t prefix, uint8_t plen, struct dps_route_info *out);
unsigned route_count(struct fx *fx);

#endif
