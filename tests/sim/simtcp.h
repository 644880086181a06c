/*
 * Helpers of the simulated-link transport tests (test_tcp_sim.c,
 * test_udp_sim.c), on the public API of include/dpstack/sim.h only, as an
 * external harness would use it:
 *
 *   - a test network: instance A (10.0.0.1, MAC 02:00:00:00:00:01) and
 *     instance B (10.0.0.2, MAC ...:02) joined by one dps_simnet link;
 *   - a tap on the link that parses every frame (Ethernet, IPv4, TCP with
 *     its options, UDP, ICMP), hashes the trace with its timestamps,
 *     records it when asked, and drops what a test's filter says;
 *   - frame builders for segments a test injects (SYN floods, forged RSTs);
 *   - stream endpoints that send a deterministic byte pattern and check
 *     every byte they receive against it.
 */
#ifndef DPS_TESTS_SIM_SIMTCP_H
#define DPS_TESTS_SIM_SIMTCP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dpstack/sim.h"

#define MS  1000000ull
#define SEC 1000000000ull
/* Clocks start here, not at 0. */
#define T0  SEC

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define IP_A "10.0.0.1"
#define IP_B "10.0.0.2"
#define IPA_H 0x0a000001u   /* host order */
#define IPB_H 0x0a000002u

extern const uint8_t mac_a[6], mac_b[6];

/* One frame on the link as the tap saw it. */
struct rec {
	uint64_t ts;
	uint8_t from;            /* 0: A sent it, 1: B */
	uint8_t proto;           /* IPPROTO_TCP/UDP/ICMP; 0 not IPv4 (ARP) */
	uint16_t flen;           /* frame length */
	uint32_t saddr, daddr;   /* host order */
	uint16_t ip_len;         /* IPv4 total length */
	uint16_t ipid;
	uint8_t ttl;
	bool df, mf;
	uint16_t frag_off;       /* bytes */
	uint16_t sport, dport;   /* TCP/UDP, first fragment only */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint16_t len;            /* TCP/UDP payload bytes in this frame */
	uint8_t doff;            /* TCP header bytes */
	uint8_t optlen;
	uint8_t opt[40];
	uint16_t mss;            /* 0 none */
	int8_t ws;               /* -1 none */
	bool sackok, has_ts;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[4][2];
	uint8_t icmp_type, icmp_code;
	bool dropped;            /* the test's filter dropped it: never on the link */
	uint8_t *frame;          /* copy, when tn.keep_frames */
};

struct tn;
/* Return true to drop the frame. */
typedef bool (*tn_filter)(struct tn *t, const struct rec *r);
/* May change a frame in place before it is recorded and filtered. */
typedef void (*tn_mangle)(struct tn *t, uint8_t *frame, size_t len, const struct rec *r);

struct tn {
	struct dps_sim *a, *b;
	struct dps_simnet *net;
	int ifa, ifb;
	uint64_t seed;
	/* tap */
	uint64_t hash;           /* FNV-1a of every frame with its sender and time */
	uint64_t nframes;
	bool record, keep_frames;
	struct rec *recs;
	size_t nrecs, caprecs;
	tn_filter filter;
	tn_mangle mangle;
	void *fctx;
	uint64_t nfiltered;
};

/**
 * A and B with interface MTUs mtu_a/mtu_b (0: 1500) on a link with p
 * (NULL: 1 ms each way, otherwise perfect), seeded.
 */
void tn_open(struct tn *t, uint64_t seed, const struct dps_sim_link_params *p,
	     uint16_t mtu_a, uint16_t mtu_b);
void tn_close(struct tn *t);
/** cmocka teardown: destroys what a failed test left open. */
int tn_teardown(void **state);
uint64_t tn_now(const struct tn *t);
/** Run the network for d ns. */
void tn_run(struct tn *t, uint64_t d);
/** Parse a frame (false if not Ethernet/IPv4 or truncated). */
bool tn_parse(const uint8_t *f, size_t len, struct rec *r);
/** Forget the recorded frames. */
void tn_clear(struct tn *t);
/** Sim of side 0 (A) / 1 (B). */
struct dps_sim *tn_sim(struct tn *t, int side);
int tn_if(struct tn *t, int side);

/* sequence space */
static inline bool seq_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline uint32_t rec_end(const struct rec *r)
{
	return r->seq + r->len + !!(r->flags & TH_SYN) + !!(r->flags & TH_FIN);
}

/* ---- frames ---- */
struct seg_spec {
	int side;                /* sender as seen by the receiver: 0 A, 1 B */
	uint32_t saddr, daddr;   /* host order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt;
	uint8_t optlen;          /* multiple of 4 */
	const void *data;
	uint16_t len;
};
/** An Ethernet/IPv4/TCP frame with correct checksums. Returns its length. */
size_t build_tcp(uint8_t *f, const struct seg_spec *s);
/** The options of a Linux SYN: MSS, SACK-perm, TS, NOP, WS (20 bytes). */
void linux_syn_opts(uint8_t o[20], uint16_t mss, uint32_t tsval, uint8_t ws);
uint16_t inet_csum(const void *p, size_t n, uint32_t sum);

/* ---- byte patterns ---- */
void pattern(uint64_t key, uint64_t off, uint8_t *buf, size_t n);

/* ---- stream endpoints ---- */
struct ep {
	struct dps_sim *sim;
	int sd;
	const char *name;
	uint64_t key_tx, key_rx;
	uint64_t tx_total, tx_done;
	uint64_t rx_total, rx_done;
	bool shut_when_sent;     /* shutdown(SHUT_WR) once everything is written */
	bool close_at_end;       /* close once written, shut and at EOF */
	bool read;               /* read what arrives (false: leave it queued) */
	bool eof, shut;
	int err;                 /* first error of send/recv, 0 */
	uint64_t eof_ns;
};
void ep_init(struct ep *e, struct dps_sim *sim, int sd, const char *name, uint64_t key_tx,
	     uint64_t tx_total, uint64_t key_rx, uint64_t rx_total);
/** Write and read what the socket takes and gives now; true if bytes moved. */
bool ep_pump(struct ep *e);
/** Pump the endpoints, run the network, until all are done or now >= until. */
bool ep_run(struct tn *t, struct ep *e, unsigned n, uint64_t until);

/* ---- connections ---- */
/** B listens on port (backlog 16): the listener's sd. */
int t_listen(struct dps_sim *s, const char *ip, uint16_t port, int backlog);
/**
 * A connects to B:port where B listens on lsd: both ends established, or a
 * failed assertion. *csd on A, *ssd on B (accepted). Runs up to 30 s.
 */
void t_pair(struct tn *t, int lsd, uint16_t port, int *csd, int *ssd);
/** Socket option helpers (assert success). */
void set_int(struct dps_sim *s, int sd, int level, int opt, int v);
int get_int(struct dps_sim *s, int sd, int level, int opt);
/** The state of socket sd ("" if gone). */
const char *sock_state(struct dps_sim *s, int sd, char buf[16]);
/** State names equal, ignoring '-' and '_' (FIN-WAIT-2 = FIN_WAIT2). */
bool state_eq(const char *a, const char *b);
void assert_state_fn(struct dps_sim *s, int sd, const char *want, const char *file, int line);
#define assert_state(s, sd, want) assert_state_fn(s, sd, want, __FILE__, __LINE__)
/** Number of sockets of s in a state (NULL: any). */
unsigned count_state(struct dps_sim *s, const char *state);
/** Print the first max recorded frames, sequence numbers relative to each side's first. */
void dump_trace(struct tn *t, size_t max);
/** The same for the frames from or to one port (0: all). */
void dump_trace_port(struct tn *t, uint16_t port, size_t max);
/** Print the drop counters of both sides. */
void dump_errors(struct tn *t);
/** Print every socket of both sides. */
void dump_socks(struct tn *t);
/** Every socket of both sides in TIME_WAIT, LISTEN or gone: wait up to `until`. */
bool wait_quiet(struct tn *t, uint64_t until);
/** A TCP counter ("rto_events") of side s. */
uint64_t tcpc(struct dps_sim *s, const char *name);
void print_tcp_counters(const char *who, struct dps_sim *s);

#endif
