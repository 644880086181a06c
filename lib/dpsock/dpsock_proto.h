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
 *   2. dpstackd checks the peer's credentials (SO_PEERCRED: root or the
 *      daemon's own uid), the optional secret and the requested size
 *      (0: DPS_SEG_DEFAULT; less than DPS_SEG_MIN, or too small for the
 *      queues plus 1 MiB of FIFO heap per worker, is raised; more than
 *      DPS_SEG_MAX is refused with EINVAL); it creates the segment (a
 *      memfd sealed against shrinking and growing, so neither side can
 *      make the other fault), lays it out (below) and answers struct
 *      dps_api_welcome (seg_size: the size made) with, as
 *      SCM_RIGHTS, the segment fd, then one eventfd per worker that the
 *      application writes to wake that worker ("doorbell"), then one
 *      eventfd per worker that the worker writes to wake the application.
 *      On refusal the welcome carries error != 0 and no fds.
 *   3. The socket stays open: when it closes (the application exited or
 *      died, SIGKILL included) dpstackd closes the application's
 *      sessions as Linux closes a dead process's sockets (listeners go
 *      and reset their unaccepted connections; a connection sends what is
 *      left in its tx FIFO, then FIN, or RST at once if unread data was
 *      left in its rx FIFO) and frees the segment once the last of them
 *      is gone. Nothing else travels over it, except one
 *      last struct dps_api_welcome (error EPROTO, the reason in message)
 *      when dpstackd detaches the application for bad input ("Bad
 *      input" below).
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
 * catches a stale handle after the sd was reused. A handle is never 0
 * (generation 0 is not handed out): msg.session 0 means "no session".
 *
 * Rules the daemon enforces (src/session/app.c), added with the first
 * daemon side; where they are silent, behave as Linux sockets would:
 *
 *   Which queue. A message about a session goes to the queue of the
 *     worker that owns it (dps_handle_worker()). LISTEN and BIND_UDP make
 *     the socket on the worker whose queue carried them: with several
 *     workers and RSS, listen on every worker, as the built-in services
 *     do. CONNECT goes to worker 0 (the daemon's active opens live there,
 *     docs/transport.md). DETACH may go to any queue.
 *   Requests and answers. LISTEN, BIND_UDP, SETOPT and GETOPT are answered
 *     by exactly one DPS_MSG_REPLY; CONNECT by exactly one
 *     DPS_MSG_CONNECTED; TX, RX_DONE, SHUTDOWN, CLOSE and DETACH by
 *     nothing. A refused request's answer has error set, and then no
 *     session exists (msg.session 0): in particular a CONNECTED with an
 *     error (ECONNREFUSED, ETIMEDOUT, ENETUNREACH ...) means dpstackd has
 *     already freed that session; do not CLOSE it.
 *   Buffers. args[3] of LISTEN, CONNECT and BIND_UDP is rcvbuf | sndbuf
 *     << 32 as the application gave them to setsockopt(SO_RCVBUF /
 *     SO_SNDBUF), 0 for the default; dpstackd doubles them as Linux does
 *     and rounds up to a power of two (the FIFO capacity).
 *   LISTEN: msg.session 0; args[0] IPPROTO_TCP. REPLY: session = the
 *     listener, args[1] the bound address | port << 32 (port chosen when
 *     0 was asked). The listener's children arrive as DPS_MSG_ACCEPTED.
 *     After CLOSE of a listener, ACCEPTED messages already queued may
 *     still arrive: those sessions are the application's, to CLOSE.
 *   CONNECT: args[0] IPPROTO_TCP or IPPROTO_UDP. TCP: CONNECTED when the
 *     handshake ends. TCP to one of dpstackd's own addresses or 127/8 is
 *     cut-through: joined at once to the listener of an attached
 *     application on the same worker, FIFO to FIFO without packets (the
 *     worker copies from one's tx FIFO to the other's rx FIFO); both see
 *     ordinary sessions and events. ECONNREFUSED if no application
 *     listens there on that worker (the daemon's built-in services are
 *     not reachable that way). UDP: CONNECTED at once (session with FIFOs); with
 *     msg.session set to an existing UDP session instead of 0, that
 *     session is connected (or re-connected) and keeps its FIFOs (an
 *     error then leaves the session as it was).
 *   BIND_UDP: REPLY: session, args[1] bound address | port << 32, args[2]
 *     and [3] the FIFO offsets.
 *   Datagrams. A UDP session's FIFOs hold records: struct dps_dgram_hdr,
 *     then len payload bytes, each published whole (the worker writes the
 *     record with dps_fifo_write_segs and one dps_fifo_enqueue_commit; the
 *     application should too). rx: ip/port is the sender. tx: ip/port is
 *     the destination, ip 0 = the connected peer (without one the
 *     datagram is dropped, as Linux's EDESTADDRREQ). A record with len >
 *     DPS_DGRAM_MAX is bad input; a record not yet complete in the FIFO
 *     waits for the next TX.
 *   SETOPT/GETOPT: args[0] level, [1] option, [2] the int value. SO_LINGER
 *     is l_onoff | l_linger << 32. TCP_CONGESTION's name is NUL-padded in
 *     args[2..4] (at most 23 characters), both ways. GETOPT's REPLY: the
 *     value in args[0] (names in args[2..4]).
 *   Events. RX: data (or a datagram) is in the rx FIFO; posted when the
 *     DPS_EVT_RX flag was clear, the worker sets it first: the
 *     application clears it when it takes the message, then reads.
 *     CLOSED: the peer sent FIN (end of stream once the rx FIFO is
 *     drained), posted once. RESET: error is ECONNRESET (RST), ETIMEDOUT
 *     (retransmission or keepalive limit) ... posted once; the session
 *     stays until the application CLOSEs it. For a connected UDP session
 *     RESET reports an ICMP error (ECONNREFUSED ...) and the session stays
 *     usable. TX_SPACE: the application found too little room in the tx
 *     FIFO: it sets DPS_EVT_WANT_TXS (atomic or, sequentially
 *     consistent), then looks at the room again (as msgq.h's want_wakeup:
 *     no lost wake-up); the worker clears the flag and posts TX_SPACE
 *     once the FIFO has at least min(capacity / 2, 16 KiB) free.
 *   Bad input. A message of an unknown type, for a session this
 *     application does not hold (another's, one it closed, a stale
 *     generation), a queue or FIFO header that does not match what
 *     dpstackd laid out, or a malformed datagram record detaches the
 *     application: dpstackd writes one more struct dps_api_welcome on the
 *     API socket with error EPROTO and the reason in message, closes the
 *     socket, and closes the sessions as if the application had exited.
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
#define DPS_EVT_WANT_TXS 0x08    /* the application wants DPS_MSG_TX_SPACE (see "Events") */

/* A datagram in a UDP session's rx or tx FIFO (see "Datagrams"); the
 * daemon's struct dps_udp_rec (src/udp/udp.h) has this layout. */
struct dps_dgram_hdr {
	uint32_t ip;                 /* host order; tx: 0 = the connected peer */
	uint16_t port;               /* host order */
	uint16_t pad;
	uint32_t len;                /* payload bytes that follow */
};
#define DPS_DGRAM_MAX 65507u     /* 65535 - 20 (IPv4) - 8 (UDP) */

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
