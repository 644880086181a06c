/*
 * The application <-> dpstackd protocol (issue 4): how an application
 * attaches over the API socket, the layout of the shared-memory segment
 * it receives, and the messages both sides exchange through the segment's
 * message queues (lib/fifo/msgq.h). libc only: included by dpstackd
 * (src/session/app.c) and by libdpsock (lib/dpsock).
 *
 * Attach (control, rare):
 *   1. The application connects a SOCK_SEQPACKET Unix socket to the API
 *      path (dpstackd --api PATH, default /run/dpstack/api.sock; the
 *      application reads $DPSTACK_API) and sends struct dps_api_hello.
 *   2. dpstackd checks the peer's credentials (SO_PEERCRED), the optional
 *      secret and the requested size; it creates the segment (memfd),
 *      lays it out (below) and answers struct dps_api_welcome with, as
 *      SCM_RIGHTS, the segment fd, then one eventfd per worker that the
 *      application writes to wake that worker ("doorbell"), then one
 *      eventfd per worker that the worker writes to wake the application.
 *      On refusal the welcome carries error != 0 and no fds.
 *   3. The socket stays open: when it closes (the application exited or
 *      died, SIGKILL included) dpstackd resets the application's sessions
 *      and frees its segment. Nothing else travels over it.
 *
 * One attach is one "application worker" (VPP's VCL worker): a thread of
 * the application with its own segment and queues. An application with
 * several threads attaches once per thread. Every session belongs to one
 * attach.
 *
 * Segment (one memfd, mapped shared by both sides, struct dps_seg_hdr at
 * offset 0): for each daemon worker w a pair of message queues (app -> w,
 * w -> app) and a FIFO heap that worker w carves rx/tx FIFOs from for the
 * sessions it owns. Offsets are from the start of the segment. dpstackd
 * never trusts what the application can write: it keeps its own copy of
 * every offset and size, and checks a FIFO's header (dps_fifo_check)
 * before each use; an application found scribbling is detached.
 *
 * Data path (no system call while both sides are busy):
 *   send: the application writes the session's tx FIFO, then enqueues
 *     DPS_MSG_TX only if the session's tx_evt flag was clear (it sets it;
 *     the worker clears it when it takes the message), and rings the
 *     worker's doorbell only if the queue asked for a wake-up (msgq.h).
 *   receive: the worker enqueues data into the rx FIFO and posts
 *     DPS_MSG_RX only if rx_evt was clear; the application reads the FIFO
 *     and, when it drained it, sends DPS_MSG_RX_DONE if the worker asked
 *     for it (the window was small) so that a window update goes out.
 * A session handle is (worker << 56) | (generation << 32) | sd: the worker
 * owns the session, sd is its socket in that worker's table, generation
 * catches a stale handle after the sd was reused.
 */
#ifndef DPS_DPSOCK_PROTO_H
#define DPS_DPSOCK_PROTO_H

#include <stdint.h>

#include "fifo/fifo.h"
#include "fifo/msgq.h"

#define DPS_API_MAGIC      0x4b434f53u   /* "SOCK" */
#define DPS_API_VERSION    1
#define DPS_API_PATH       "/run/dpstack/api.sock"
#define DPS_API_ENV        "DPSTACK_API"
#define DPS_API_SECRET_ENV "DPSTACK_SECRET"
#define DPS_API_MAX_WORKERS 8

/* Segment sizes: what an application may ask for. */
#define DPS_SEG_DEFAULT   (64ull << 20)
#define DPS_SEG_MIN       (1ull << 20)
#define DPS_SEG_MAX       (4ull << 30)
/* Message queue slots per direction per worker. */
#define DPS_SEG_MSGQ_SLOTS 4096

struct dps_api_hello {
	uint32_t magic;              /* DPS_API_MAGIC */
	uint16_t version;            /* DPS_API_VERSION */
	uint16_t flags;
	uint64_t seg_size;           /* bytes wanted, 0 = default */
	char name[32];               /* for show apps, NUL-terminated */
	char secret[64];             /* the namespace secret, if one is set */
	char ns[32];                 /* app namespace ("" = default) */
};

struct dps_api_welcome {
	uint32_t magic;
	uint16_t version;
	uint16_t n_workers;          /* fds that follow: segment, n doorbells, n app wake-ups */
	int32_t error;               /* 0, or a positive errno: EPERM, EINVAL, ENOMEM ... */
	uint32_t app_id;
	uint64_t seg_size;
	char message[128];           /* why, when error != 0 */
};

/* Per worker, inside the segment. */
struct dps_seg_worker {
	uint64_t q_in_off;           /* application -> worker queue (struct dps_msgq) */
	uint64_t q_out_off;          /* worker -> application queue */
	uint64_t heap_off;           /* FIFO heap of this worker */
	uint64_t heap_size;
	uint32_t q_size;             /* bytes of each queue */
	uint32_t evt_count;          /* entries of the event-flag array */
	uint64_t evt_off;            /* uint8_t flags[evt_count], indexed by sd */
};

#define DPS_SEG_MAGIC 0x47455344u   /* "DSEG" */

struct dps_seg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t n_workers;
	uint64_t size;
	uint32_t app_id;
	uint32_t pad;
	/* per worker; its event flags are shared per session (see "Data
	 * path"), indexed by sd, written with atomics */
	struct dps_seg_worker w[DPS_API_MAX_WORKERS];
};

/* flags in the event-flag array (one byte per session) */
#define DPS_EVT_TX       0x01    /* a DPS_MSG_TX is queued, not yet taken */
#define DPS_EVT_RX       0x02    /* a DPS_MSG_RX is queued, not yet taken by the app */
#define DPS_EVT_WANT_RXD 0x04    /* the worker wants DPS_MSG_RX_DONE after a read */

/*
 * Messages beyond the base set of msgq.h. Unless said otherwise,
 * msg.session is the session handle, msg.error a positive errno or 0,
 * and args[] are as listed. Requests carry a request id in args[5] that
 * the reply repeats.
 */
enum dps_api_msg {
	/* application -> worker */
	DPS_MSG_LISTEN = DPS_MSG_USER,  /* args: 0 proto, 1 addr (host order) | port << 32,
					   2 backlog, 3 rcvbuf | sndbuf << 32, 4 flags, 5 req */
	DPS_MSG_CONNECT,                /* args: 0 proto, 1 raddr | rport << 32,
					   2 laddr | lport << 32, 3 rcvbuf | sndbuf << 32,
					   4 flags, 5 req */
	DPS_MSG_BIND_UDP,               /* args: 0 unused, 1 addr | port << 32, 3 bufs, 5 req */
	DPS_MSG_RX_DONE,                /* the app read; a window update may be due */
	DPS_MSG_SETOPT,                 /* args: 0 level, 1 opt, 2 value, 5 req */
	DPS_MSG_GETOPT,                 /* args: 0 level, 1 opt, 5 req */
	DPS_MSG_DETACH,                 /* the application leaves in order */
	/* worker -> application */
	DPS_MSG_REPLY = DPS_MSG_USER + 32, /* args: 0 value, 1 laddr | lport << 32,
					   2 rx FIFO offset, 3 tx FIFO offset, 5 req */
	/* DPS_MSG_ACCEPTED (msgq.h): session = the new session; args: 0 listener
	 * handle, 1 raddr | rport << 32, 2 rx FIFO offset, 3 tx FIFO offset,
	 * 4 laddr | lport << 32.
	 * DPS_MSG_CONNECTED: the reply to CONNECT when it completes: error,
	 * args as DPS_MSG_REPLY (FIFOs) with 5 req.
	 * DPS_MSG_RX / TX_SPACE / RESET / CLOSED: session only. */
};

/* DPS_MSG_LISTEN / CONNECT flags (args[4]) */
#define DPS_SOCKF_NODELAY   0x01
#define DPS_SOCKF_KEEPALIVE 0x02
#define DPS_SOCKF_REUSEADDR 0x04

/* Session handles. */
static inline uint64_t dps_handle(unsigned worker, uint32_t gen, int32_t sd)
{
	return ((uint64_t)worker << 56) | ((uint64_t)(gen & 0xffffffu) << 32) | (uint32_t)sd;
}
static inline unsigned dps_handle_worker(uint64_t h) { return (unsigned)(h >> 56); }
static inline uint32_t dps_handle_gen(uint64_t h) { return (uint32_t)(h >> 32) & 0xffffffu; }
static inline int32_t dps_handle_sd(uint64_t h) { return (int32_t)(uint32_t)h; }

#endif
