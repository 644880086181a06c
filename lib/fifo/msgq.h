/*
 * Single-producer single-consumer queue of fixed 64-byte messages in
 * shared memory: the session events between dpstackd and an application,
 * one queue per direction. Same layout rules as fifo.h: a header followed
 * by the slots, no pointers, a power-of-two slot count, free-running
 * 32-bit indices published with release stores and read with acquire
 * loads.
 *
 * Wake-ups. A consumer with nothing to do may sleep on an eventfd instead
 * of spinning; the producer writes the eventfd only when the consumer has
 * said it sleeps, so a busy pair makes no system call at all.
 *
 *   consumer (to sleep)                 producer (after enqueueing)
 *   C1 want_wakeup = 1                  P1 tail = new tail
 *   C2 (store before load: seq_cst)     P2 (store before load: seq_cst)
 *   C3 queue empty? (load tail)         P3 want_wakeup set? (load)
 *      no:  want_wakeup = 0, go on         yes: if exchange(want_wakeup,
 *      yes: block in read/poll(efd)             0) was 1, write(efd)
 *   C4 after waking: want_wakeup = 0,
 *      drain efd, dequeue
 *
 * The race this closes is the lost wake-up: without C1-C2 before C3 the
 * consumer could see an empty queue, the producer then enqueue and read
 * want_wakeup == 0 (so not signal), and the consumer then set the flag and
 * block forever on a message already queued. Each side stores, then
 * loads what the other stored, all four accesses sequentially consistent
 * so neither load may pass its own store (Dekker); at least one side sees
 * the other's store: either the consumer finds the message at C3 or the
 * producer finds the flag at P3 and signals. Both may happen; the extra
 * eventfd count only makes the next sleep return at once, which is
 * harmless because the consumer always re-checks the queue. The exchange
 * at P3 makes one sleep cost at most one write(2) however many messages
 * the producer queues meanwhile.
 *
 * The eventfd is optional: pass -1 and notify does nothing (a polling
 * consumer such as a dpstackd worker never sets want_wakeup anyway).
 */
#ifndef DPS_FIFO_MSGQ_H
#define DPS_FIFO_MSGQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DPS_MSGQ_MAGIC 0x51535044u /* "DPSQ" little-endian */

/** Event types. The session layer may define more from DPS_MSG_USER up. */
enum dps_msg_type {
	DPS_MSG_NONE = 0,
	/* daemon -> application */
	DPS_MSG_CONNECTED,     /* active open done (or failed: error set) */
	DPS_MSG_ACCEPTED,      /* new session on a listener */
	DPS_MSG_RX,            /* data ready in the rx FIFO */
	DPS_MSG_TX_SPACE,      /* tx FIFO has room again */
	DPS_MSG_RESET,         /* peer reset the connection */
	DPS_MSG_CLOSED,        /* peer closed (FIN) or session gone */
	/* application -> daemon */
	DPS_MSG_TX,            /* data written to the tx FIFO */
	DPS_MSG_SHUTDOWN,      /* args[0]: SHUT_RD/SHUT_WR/SHUT_RDWR */
	DPS_MSG_CLOSE,         /* application closed the session */
	DPS_MSG_USER = 64,
};

/** One event record; 64 bytes, one cache line. */
struct dps_msg {
	uint16_t type;         /* enum dps_msg_type */
	uint16_t flags;
	int32_t  error;        /* 0 or a positive errno value */
	uint64_t session;      /* session handle */
	uint64_t args[6];      /* per type */
};

/** Shared header; fields are not for direct use. */
struct dps_msgq {
	uint32_t magic;
	uint32_t size;         /* slots, power of two */
	uint32_t msg_size;     /* sizeof(struct dps_msg) */
	uint32_t data_offset;
	uint8_t  pad0[48];
	uint32_t head;         /* atomic; consumer */
	uint8_t  pad1[60];
	uint32_t tail;         /* atomic; producer */
	uint8_t  pad2[60];
	uint32_t want_wakeup;  /* atomic; set by consumer, cleared by either */
	uint8_t  pad3[60];
};

/** Bytes of memory a queue of @slots messages (a power of two) needs. */
size_t dps_msgq_footprint(uint32_t slots);

/**
 * Make an empty queue in @mem (8-byte aligned, @size bytes) with the
 * largest power-of-two number of slots (at least 2) that fits.
 * Returns 0 or -EINVAL.
 */
int dps_msgq_init(void *mem, size_t size);

/**
 * Validate a queue header found in a mapping of @size bytes.
 * Returns 0, -EINVAL (bad magic, size or layout) or -EIO (indices corrupt).
 */
int dps_msgq_check(const struct dps_msgq *q, size_t size);

/** Messages waiting, a snapshot (any thread). */
uint32_t dps_msgq_count(const struct dps_msgq *q);

/** Producer: copy in up to @n messages. Returns how many (0 when full). */
uint32_t dps_msgq_enqueue(struct dps_msgq *q, const struct dps_msg *msgs, uint32_t n);

/**
 * Producer, after a batch of enqueues: wake the consumer if it sleeps.
 * Returns 1 if @efd was written, 0 if no wake-up was needed (or @efd < 0),
 * or -errno from write(2).
 */
int dps_msgq_notify(struct dps_msgq *q, int efd);

/** Consumer: copy out up to @n messages. Returns how many (0 when empty). */
uint32_t dps_msgq_dequeue(struct dps_msgq *q, struct dps_msg *msgs, uint32_t n);

/**
 * Consumer, before blocking on its eventfd (steps C1-C3), e.g. from its
 * own epoll loop. Returns 0 if it may block now (call dps_msgq_sleep_end()
 * once awake), or -EAGAIN if messages are waiting (the flag is already
 * cleared: do not block).
 */
int dps_msgq_sleep_begin(struct dps_msgq *q);

/** Consumer, after waking (step C4): clear the flag. */
void dps_msgq_sleep_end(struct dps_msgq *q);

/**
 * Consumer: block until a message is queued or @timeout_ms passes (-1:
 * forever), using the protocol above on @efd (non-blocking eventfd).
 * Returns the number of messages waiting (0 on timeout), or -errno from
 * poll(2) (-EINTR on a signal).
 */
int dps_msgq_wait(struct dps_msgq *q, int efd, int timeout_ms);

/** A non-blocking, close-on-exec eventfd. Returns the fd or -errno. */
int dps_eventfd_open(void);

/** Add one to the eventfd counter. Returns 0 or -errno. */
int dps_eventfd_signal(int efd);

/** Reset the eventfd counter to zero. Returns 0 or -errno (not -EAGAIN). */
int dps_eventfd_drain(int efd);

#ifdef __cplusplus
}
#endif

#endif
