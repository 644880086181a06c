/* SPSC shared-memory message queue with eventfd wake-ups: see msgq.h. */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "msgq.h"

static_assert(sizeof(struct dps_msg) == 64, "message ABI");
static_assert(sizeof(struct dps_msgq) == 256, "header ABI");
static_assert(offsetof(struct dps_msgq, head) == 64, "head line");
static_assert(offsetof(struct dps_msgq, tail) == 128, "tail line");
static_assert(offsetof(struct dps_msgq, want_wakeup) == 192, "flag line");
static_assert(__atomic_always_lock_free(sizeof(uint32_t), 0), "lock-free indices");

#define HDR_SIZE ((uint32_t)sizeof(struct dps_msgq))
#define MSG_SIZE ((uint32_t)sizeof(struct dps_msg))
#define MIN_SLOTS 2u
#define MAX_SLOTS (1u << 24)

static inline struct dps_msg *slots(const struct dps_msgq *q)
{
	return (struct dps_msg *)((uint8_t *)q + HDR_SIZE);
}

static inline uint32_t count(const struct dps_msgq *q, uint32_t head, uint32_t tail)
{
	uint32_t n = tail - head;

	return n < q->size ? n : q->size; /* clamp what a peer may corrupt */
}

size_t dps_msgq_footprint(uint32_t n)
{
	return (size_t)HDR_SIZE + (size_t)n * MSG_SIZE;
}

int dps_msgq_init(void *mem, size_t size)
{
	struct dps_msgq *q = mem;
	uint32_t n;

	if (mem == NULL || ((uintptr_t)mem & 7) != 0 ||
	    size < dps_msgq_footprint(MIN_SLOTS))
		return -EINVAL;
	for (n = MAX_SLOTS; dps_msgq_footprint(n) > size; n >>= 1)
		;
	memset(q, 0, HDR_SIZE);
	q->magic = DPS_MSGQ_MAGIC;
	q->size = n;
	q->msg_size = MSG_SIZE;
	q->data_offset = HDR_SIZE;
	return 0;
}

int dps_msgq_check(const struct dps_msgq *q, size_t size)
{
	uint32_t n;

	if (q == NULL || size < HDR_SIZE || q->magic != DPS_MSGQ_MAGIC ||
	    q->msg_size != MSG_SIZE || q->data_offset != HDR_SIZE)
		return -EINVAL;
	n = q->size;
	if (n < MIN_SLOTS || n > MAX_SLOTS || (n & (n - 1)) != 0 ||
	    dps_msgq_footprint(n) > size)
		return -EINVAL;
	if (__atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) -
	    __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) > n)
		return -EIO;
	return 0;
}

uint32_t dps_msgq_count(const struct dps_msgq *q)
{
	uint32_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);

	return count(q, head, __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE));
}

uint32_t dps_msgq_enqueue(struct dps_msgq *q, const struct dps_msg *msgs, uint32_t n)
{
	uint32_t tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
	uint32_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
	uint32_t room = q->size - count(q, head, tail), i;

	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		slots(q)[(tail + i) & (q->size - 1)] = msgs[i];
	/* P1, seq_cst (not just release): see dps_msgq_notify(). */
	if (n > 0)
		__atomic_store_n(&q->tail, tail + n, __ATOMIC_SEQ_CST);
	return n;
}

uint32_t dps_msgq_dequeue(struct dps_msgq *q, struct dps_msg *msgs, uint32_t n)
{
	uint32_t head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	uint32_t avail = count(q, head, __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE));
	uint32_t i;

	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		msgs[i] = slots(q)[(head + i) & (q->size - 1)];
	if (n > 0)
		__atomic_store_n(&q->head, head + n, __ATOMIC_RELEASE);
	return n;
}

/*
 * Both sides store, then load what the other stored. Making the four
 * accesses seq_cst puts them in one total order, so the later load of the
 * two sees the other side's store (no StoreLoad reordering; x86 uses a
 * locked xchg for the store, ARMv8 stlr/ldar). Stand-alone fences would
 * do as well but ThreadSanitizer does not model them.
 */
int dps_msgq_notify(struct dps_msgq *q, int efd)
{
	int rc;

	/* P3: a plain seq_cst load first; a busy consumer costs no RMW. */
	if (__atomic_load_n(&q->want_wakeup, __ATOMIC_SEQ_CST) == 0)
		return 0;
	if (__atomic_exchange_n(&q->want_wakeup, 0, __ATOMIC_SEQ_CST) == 0 || efd < 0)
		return 0;
	rc = dps_eventfd_signal(efd);
	return rc == 0 ? 1 : rc;
}

int dps_msgq_sleep_begin(struct dps_msgq *q)
{
	uint32_t head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);

	/* C1, C2 */
	__atomic_store_n(&q->want_wakeup, 1, __ATOMIC_SEQ_CST);
	/* C3 */
	if (__atomic_load_n(&q->tail, __ATOMIC_SEQ_CST) != head) {
		__atomic_store_n(&q->want_wakeup, 0, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	return 0;
}

void dps_msgq_sleep_end(struct dps_msgq *q)
{
	__atomic_store_n(&q->want_wakeup, 0, __ATOMIC_RELAXED);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dps_msgq_wait(struct dps_msgq *q, int efd, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	int rc, left = timeout_ms;

	for (;;) {
		if (dps_msgq_count(q) > 0 || dps_msgq_sleep_begin(q) < 0)
			return (int)dps_msgq_count(q);
		rc = poll(&pfd, 1, left);
		dps_msgq_sleep_end(q);
		if (rc < 0)
			return -errno;
		if (rc > 0 && (rc = dps_eventfd_drain(efd)) < 0)
			return rc;
		/*
		 * A wake-up may be stale: the producer signalled for a sleep
		 * that sleep_begin() then cancelled. Sleep again for the rest
		 * of the time unless something is queued.
		 */
		if (dps_msgq_count(q) > 0)
			return (int)dps_msgq_count(q);
		if (timeout_ms >= 0) {
			int64_t rest = deadline - now_ms();

			if (rest <= 0)
				return 0;
			left = (int)rest;
		}
	}
}

int dps_eventfd_open(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int dps_eventfd_signal(int efd)
{
	uint64_t one = 1;

	for (;;) {
		if (write(efd, &one, sizeof(one)) == (ssize_t)sizeof(one))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int dps_eventfd_drain(int efd)
{
	uint64_t v;

	for (;;) {
		if (read(efd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			return 0;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}
