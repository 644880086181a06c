/*
 * Inside libdpsock: attachments, the descriptor table, epoll instances.
 * Not installed; shared by attach.c, sock.c and epoll.c (and the unit
 * tests, which forge a daemon and look inside).
 *
 * Objects and locks.
 *
 *   attachment (struct dpsl_att): one per thread that uses sockets, as
 *     dpsock_proto.h's "application worker": the API socket, the mapped
 *     segment, the queues to and from each daemon worker. Its mutex
 *     guards it and the sockets it owns (their state, their FIFOs' consumer
 *     or producer side, the queues). Any thread may use any socket: a call
 *     locks the socket's attachment, so the single-producer/single-consumer
 *     queues and FIFOs always see one thread at a time.
 *   descriptor (struct dpsl_sock): a socket or an epoll instance, at index
 *     fd - DPS_FD_BASE of a table of fixed chunks. Slots and attachments
 *     are never freed, only recycled with a new generation, so a thread
 *     that raced with close() finds a stale generation, not freed memory.
 *   epoll (struct dpsl_ep): items, ready list and sleepers, all under one
 *     process-wide mutex (dpsl.ep_lock).
 *
 * Lock order: attachment -> ep_lock -> table lock. A thread never holds
 * two attachment locks, nor an attachment lock while it sleeps.
 *
 * Fields that epoll_wait reads to compute readiness under ep_lock alone
 * (state, flags, err, aq_len, the FIFO pointers) are written with atomic
 * stores under the attachment lock.
 *
 * Sleeping. A thread with nothing to do sleeps in poll(2) on the wake-up
 * eventfds of the attachments it waits for (msgq.h's protocol: it sets
 * want_wakeup on every queue first), their API sockets (to notice that
 * dpstackd went away), and an eventfd of its own: a thread that takes
 * messages another thread was sleeping for, or makes an epoll item ready,
 * writes the sleepers' own eventfds ("kick").
 */
#ifndef DPS_DPSOCK_INTERNAL_H
#define DPS_DPSOCK_INTERNAL_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dpsock.h"
#include "dpsock_proto.h"

#define DPSL_MAXW        DPS_API_MAX_WORKERS
#define DPSL_CHUNK_SHIFT 10
#define DPSL_CHUNK       (1u << DPSL_CHUNK_SHIFT)
#define DPSL_MAX_CHUNKS  1024u               /* 1 Mi descriptors */
#define DPSL_MAX_FDS     (DPSL_CHUNK * DPSL_MAX_CHUNKS)
#define DPSL_POPT        8                   /* options kept until a session exists */
#define DPSL_REQ_TIMEOUT_MS 30000            /* a control request unanswered this long fails */

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* A thread blocked in poll(2) that others may have to kick. */
struct dpsl_sleeper {
	int efd;
	uint32_t gen;              /* of the attachment it sleeps on */
	struct dpsl_sleeper *next;
};

/* One daemon worker as an attachment sees it. */
struct dpsl_wk {
	struct dps_msgq *in;       /* application -> worker: we produce */
	struct dps_msgq *out;      /* worker -> application: we consume */
	int doorbell;              /* we write it to wake the worker */
	int wake;                  /* the worker writes it to wake us */
	uint8_t *evt;              /* event flags, indexed by sd */
	uint32_t evt_count;
	uint64_t heap_off, heap_end;
	int32_t *map;              /* sd -> descriptor index or -1 */
	bool ring;                 /* enqueued since the last doorbell check */
};

/* A control request waiting for its DPS_MSG_REPLY. */
struct dpsl_req {
	uint64_t id;
	bool done;
	struct dps_msg reply;
	struct dpsl_req *next;
};

struct dpsl_att {
	pthread_mutex_t lock;
	uint32_t gen;              /* bumped when recycled */
	bool live;                 /* attached: segment mapped, fds open */
	bool tls;                  /* the current attachment of a thread */
	int dead;                  /* 0, or why dpstackd is gone (errno) */
	int api_fd;
	uint8_t *seg;
	size_t seg_size;
	unsigned n_workers;
	uint32_t app_id;
	struct dpsl_wk w[DPSL_MAXW];
	uint32_t req_seq;
	uint64_t ev_seq;           /* bumped for each message taken */
	struct dpsl_req *reqs;
	struct dpsl_sleeper *sleepers;
	unsigned n_sleepers;
	unsigned n_socks;          /* descriptors owned (open or pending) */
	struct dpsl_att *next;     /* every attachment ever made */
	struct dpsl_att *free_next;
	char name[32];
};

enum { DPSL_U_FREE, DPSL_U_PENDING, DPSL_U_OPEN };   /* use */
enum { DPSL_K_NONE, DPSL_K_TCP, DPSL_K_UDP, DPSL_K_EPOLL };
enum {                                               /* TCP state */
	DPSL_S_NEW,          /* never listened or connected */
	DPSL_S_LISTEN,
	DPSL_S_CONNECTING,
	DPSL_S_CONNECTED,    /* established (then maybe EOF, reset, shut) */
	DPSL_S_CLOSED,       /* a connect failed, or dpstackd went away */
};

/* struct dpsl_sock.flags */
#define DPSL_F_NONBLOCK  0x0001
#define DPSL_F_CLOEXEC   0x0002
#define DPSL_F_SHUT_RD   0x0004
#define DPSL_F_SHUT_WR   0x0008
#define DPSL_F_EOF       0x0010   /* the peer's FIN (CLOSED) */
#define DPSL_F_RESET     0x0020   /* RESET: the connection is gone */
#define DPSL_F_BOUND     0x0040   /* bind(): laddr/lport chosen by the app */
#define DPSL_F_UDP_CONN  0x0080   /* UDP: connected to raddr/rport */
#define DPSL_F_CONN_DONE 0x0100   /* an async connect ended; connect() not yet told */
#define DPSL_F_DEAD      0x0200   /* the attachment is gone */
#define DPSL_F_EPIPE_ERR 0x0400   /* the reset error was reported: now EPIPE */

struct dpsl_sess {
	uint64_t h;                /* session handle, 0 = none */
	struct dps_fifo *rx, *tx;
};

struct dpsl_opt {
	int level, opt;
	uint64_t v[3];
};

struct dpsl_item;
struct dpsl_ep;

struct dpsl_sock {
	/* identity: kept when the slot is recycled; racing lookups read it */
	uint32_t gen;
	uint8_t use;               /* DPSL_U_* */
	int32_t idx;               /* fd - DPS_FD_BASE */
	int32_t free_next;
	struct dpsl_att *att;      /* NULL for epoll */
	/* the rest is zeroed by dpsl_slot_alloc() */
	uint8_t kind;              /* DPSL_K_* */
	uint8_t state;             /* DPSL_S_* */
	uint8_t cw;                /* worker of the connection; UDP: the sending worker */
	uint32_t flags;            /* DPSL_F_* */
	int err;                   /* pending error: SO_ERROR and the next call */
	uint32_t laddr, raddr;     /* host order */
	uint16_t lport, rport;
	uint32_t wmask;            /* workers holding a session of this socket */
	uint8_t rr;                /* UDP: worker to read first */
	struct dpsl_sess ss[DPSL_MAXW];
	/* listener: accepted sessions not yet taken (pending descriptors) */
	int32_t aq_head, aq_tail, aq_next;
	uint32_t aq_len;
	int backlog;
	/* options */
	int rcvbuf, sndbuf;        /* as given to setsockopt, 0 = default */
	uint32_t sockf;            /* DPS_SOCKF_* */
	int64_t rcvtimeo_ns, sndtimeo_ns;   /* 0 = none */
	struct dpsl_opt popt[DPSL_POPT];    /* for the session when it exists */
	unsigned n_popt;
	uint64_t conn_req;         /* request id of the connect in flight */
	struct dpsl_item *watch;   /* epoll items on this socket (ep_lock) */
	struct dpsl_ep *ep;        /* DPSL_K_EPOLL */
};

struct dpsl_item {
	struct dpsl_ep *ep;
	struct dpsl_sock *s;
	uint32_t events;
	epoll_data_t data;
	bool queued, disabled;
	struct dpsl_item *rnext;          /* ready list */
	struct dpsl_item *snext;          /* the socket's items */
	struct dpsl_item *enext, *eprev;  /* the instance's items */
};

struct dpsl_ep_att {
	struct dpsl_att *att;
	unsigned n;
};

struct dpsl_ep {
	struct dpsl_item *items;
	struct dpsl_item *rhead, *rtail;
	unsigned n_ready;
	struct dpsl_sleeper *sleepers;
	int kfd;                   /* kernel epoll for kernel descriptors, -1 */
	unsigned n_kernel;
	struct dpsl_ep_att *atts;  /* attachments of the sockets in the set */
	unsigned n_atts, cap_atts;
	struct dpsl_ep *free_next;
};

struct dpsl_global {
	pthread_mutex_t lock;      /* table, attachment list */
	pthread_mutex_t ep_lock;   /* every epoll instance and item */
	struct dpsl_sock *chunks[DPSL_MAX_CHUNKS];
	unsigned n_chunks;
	int32_t free_head, free_tail;
	struct dpsl_att *atts, *free_atts;
	struct dpsl_ep *free_eps;
};

extern struct dpsl_global dpsl;

/* ---- attach.c ---- */
void dpsl_init(void);
/** The calling thread's attachment, attached on first use; NULL + errno. */
struct dpsl_att *dpsl_att_self(void);
/**
 * Check a segment header against its mapping (size bytes) and the
 * welcome's worker count: magic, version, every queue (dps_msgq_check),
 * heap and flag array inside the mapping. 0 or -EPROTO; why (if not
 * NULL) says what is wrong.
 */
int dpsl_seg_check(const void *seg, size_t size, unsigned n_workers, char *why, size_t why_len);
/** The FIFO at offset off of worker w's heap, checked; NULL if bad. */
struct dps_fifo *dpsl_fifo_at(const struct dpsl_att *a, unsigned w, uint64_t off);
/** Queue a message to worker w (waits while the queue is full). 0 or -errno. */
int dpsl_post(struct dpsl_att *a, unsigned w, const struct dps_msg *m);
/** Ring the doorbells of the workers that got messages. */
void dpsl_flush(struct dpsl_att *a);
/** Take and handle every message waiting. Returns how many. */
unsigned dpsl_pump(struct dpsl_att *a);
/**
 * Send a control request to worker w and wait for its REPLY (the message
 * type goes into the id). a is locked; the lock is dropped while waiting.
 * 0 with *reply filled, -ETIMEDOUT, -ENETDOWN (dpstackd gone).
 */
int dpsl_request(struct dpsl_att *a, unsigned w, struct dps_msg *m, struct dps_msg *reply);
/** A request id for a message of type t about descriptor idx. */
uint64_t dpsl_req_id(struct dpsl_att *a, unsigned type, int32_t idx);
/**
 * Sleep until a message, a kick, a timeout (deadline_ns, CLOCK_MONOTONIC,
 * -1 forever) or a signal. atts unlocked on entry and return. seqs (may
 * be NULL): the ev_seq values seen by the caller; if one changed it does
 * not sleep. ep (may be NULL): also wake when its ready list fills.
 * extra: kernel descriptors to poll too, revents filled.
 * 0, -EINTR or -ETIMEDOUT.
 */
int dpsl_sleep(struct dpsl_att *const *atts, const uint64_t *seqs, unsigned n,
	       struct dpsl_ep *ep, struct pollfd *extra, unsigned n_extra, int64_t deadline_ns);
/** Write every sleeper's eventfd. */
void dpsl_kick(struct dpsl_sleeper *list);
/** Detach: close every socket of a, tell dpstackd, unmap. a is locked. */
void dpsl_att_detach(struct dpsl_att *a);
/** Release a dead or orphaned attachment once it owns no descriptor. a is locked. */
void dpsl_att_maybe_release(struct dpsl_att *a);
int64_t dpsl_now_ns(void);
/** CLOCK_MONOTONIC deadline of a timeout in ms (-1: none -> -1). */
int64_t dpsl_deadline_ms(int timeout_ms);

/* ---- table (attach.c) ---- */
/** The slot of fd, or NULL if fd is not in the table. */
struct dpsl_sock *dpsl_slot(int fd);
/**
 * A new descriptor of this kind owned by a (a locked; NULL for epoll),
 * zeroed, still DPSL_U_FREE: the caller fills it, then stores use.
 * NULL with errno EMFILE or ENOMEM.
 */
struct dpsl_sock *dpsl_slot_alloc(struct dpsl_att *a, int kind);
void dpsl_slot_free(struct dpsl_sock *s);
static inline int dpsl_fd(const struct dpsl_sock *s)
{
	return DPS_FD_BASE + s->idx;
}

/* ---- sock.c ---- */
/** The event handlers, called by dpsl_pump() with a locked. */
void dpsl_on_msg(struct dpsl_att *a, unsigned w, const struct dps_msg *m);
/** Close a socket owned by a (locked): tell dpstackd, leave epolls, free. */
void dpsl_sock_close(struct dpsl_sock *s);
/** Every socket of a becomes an error: dpstackd went away. a is locked. */
void dpsl_sock_orphan_all(struct dpsl_att *a);
/** Readiness (EPOLLIN ...) of a socket, from atomics only (ep_lock is enough). */
uint32_t dpsl_sock_events(struct dpsl_sock *s, uint32_t want);

/* ---- epoll.c ---- */
/** The socket's readiness may have changed: queue its epoll items. */
void dpsl_sock_changed(struct dpsl_sock *s);
/** Remove the socket from every epoll set (close). */
void dpsl_sock_unwatch(struct dpsl_sock *s);
/** Close an epoll descriptor. */
int dpsl_ep_close(struct dpsl_sock *s);

#endif
