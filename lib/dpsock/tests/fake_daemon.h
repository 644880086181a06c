/*
 * A forged dpstackd for libdpsock's unit tests: it speaks the API socket
 * and the shared-memory protocol of dpsock_proto.h, without DPDK and
 * without a network. Its "network" is an echo peer: what an application
 * writes to a connection (or sends in a datagram) comes back to it. It
 * counts every message that breaks the protocol's rules (a session the
 * application does not hold, a CONNECT on another worker than 0, an
 * unknown type ...) in fake.violations, which tests expect to stay 0.
 *
 * Forgery: fake.forge makes the next welcome wrong in one way (FORGE_*).
 */
#ifndef DPSL_TEST_FAKE_DAEMON_H
#define DPSL_TEST_FAKE_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dpsock_proto.h"

#define FAKE_NW    2      /* workers at most */
#define FAKE_SESS  256    /* sessions per worker per app */
#define FAKE_APPS  4
#define FAKE_HEAP  (8u << 20)

enum {
	FORGE_NONE,
	FORGE_ERROR,          /* error welcome: EPERM with a message */
	FORGE_BAD_QUEUE,      /* a queue offset outside the segment */
	FORGE_BAD_MAGIC,      /* segment magic wrong */
	FORGE_FD_COUNT,       /* one descriptor missing */
	FORGE_BAD_FIFO,       /* CONNECTED with FIFO offsets outside the heap */
	FORGE_SHORT,          /* a welcome cut short */
};

/* TCP CONNECT to these ports: refused, or left unanswered until fake_answer(). */
#define FAKE_PORT_REFUSED 1
#define FAKE_PORT_HANG    2

struct fake_sess {
	int state;            /* 0 free, 1 listener, 2 TCP connection, 3 UDP */
	uint32_t gen;
	struct dps_fifo *rx, *tx;
	bool fin_pending, fin_sent;
	uint64_t opt;         /* the last SETOPT value */
	uint32_t peer_ip;     /* UDP connected peer */
	uint16_t peer_port;
	uint16_t port;
};

struct fake_app {
	bool used;
	int fd;               /* API socket */
	uint8_t *seg;
	size_t size;
	int nw;
	int doorbell[FAKE_NW], wake[FAKE_NW];
	struct dps_msgq *in[FAKE_NW], *out[FAKE_NW];
	uint8_t *evt[FAKE_NW];
	uint64_t heap_off[FAKE_NW], heap_next[FAKE_NW], heap_end[FAKE_NW];
	struct fake_sess s[FAKE_NW][FAKE_SESS];
	int n_detach;
	uint64_t hang_req;    /* a CONNECT left unanswered */
	uint64_t hang_h;
	char name[32];
};

struct fake {
	char dir[64], path[108];
	int lfd;
	int nw;               /* workers offered */
	int forge;
	volatile int stop;
	pthread_t ctl, wk;
	pthread_mutex_t lock;
	struct fake_app app[FAKE_APPS];
	int violations;
	char last_violation[128];
	int n_attach;
};

extern struct fake fake;

/* Start / stop the daemon; sets DPSTACK_API. */
int fake_start(int n_workers);
void fake_stop(void);

/* Lay out a segment for nw workers into mem (size from fake_seg_size). */
size_t fake_seg_size(int nw);
void fake_seg_layout(uint8_t *mem, size_t size, int nw, struct fake_app *app);

/* Hooks, from the test thread. h: the session's handle. */
uint64_t fake_accept(int app, uint64_t listener, uint32_t rip, uint16_t rport);
void fake_reset(int app, uint64_t h, int err);
void fake_inject(int app, uint64_t h, const void *data, uint32_t len);
void fake_inject_dgram(int app, uint64_t h, uint32_t ip, uint16_t port, const void *d, uint32_t len);
void fake_peer_fin(int app, uint64_t h);
/* Answer the hanging CONNECT (success). */
void fake_answer(int app);
/* Close an application's API socket, as dpstackd detaching it. */
void fake_kill(int app);
/* The same after a last welcome with EPROTO and why (bad input). */
void fake_detach_bad(int app, const char *why);
int fake_sessions(int app);   /* sessions held */

#endif
