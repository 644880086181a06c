/* SPSC shared-memory byte FIFO: see fifo.h for layout, roles and ordering. */
#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "fifo.h"

static_assert(sizeof(struct dps_fifo) % DPS_FIFO_CACHE_LINE == 0, "header size");
static_assert(offsetof(struct dps_fifo, head) == DPS_FIFO_CACHE_LINE, "head line");
static_assert(offsetof(struct dps_fifo, tail) == 2 * DPS_FIFO_CACHE_LINE, "tail line");
static_assert(sizeof(struct dps_fifo_ooo_slot) == 12, "ooo slot");
static_assert(sizeof(struct dps_fifo) == 9 * DPS_FIFO_CACHE_LINE, "header ABI");
static_assert(__atomic_always_lock_free(sizeof(uint32_t), 0),
	      "indices must be lock-free to work across processes");

#define HDR_SIZE ((uint32_t)sizeof(struct dps_fifo))

static inline uint8_t *fifo_data(const struct dps_fifo *f)
{
	return (uint8_t *)f + HDR_SIZE;
}

static inline uint32_t load_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t load_rlx(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Used bytes from two index values. A peer that corrupted an index could
 * make tail - head exceed the capacity; clamping keeps every computed
 * length within the data area.
 */
static inline uint32_t span(const struct dps_fifo *f, uint32_t head, uint32_t tail)
{
	return min_u32(tail - head, f->capacity);
}

/* @len, cut to what lies between @offset and @avail. */
static inline uint32_t clip(uint32_t offset, uint32_t len, uint32_t avail)
{
	return offset >= avail ? 0 : min_u32(len, avail - offset);
}

/* Free bytes, for the producer that owns @tail. */
static inline uint32_t tail_room(const struct dps_fifo *f, uint32_t tail)
{
	return f->capacity - span(f, load_acq(&f->head), tail);
}

/* Describe [idx, idx + len) of the ring as one or two segments. */
static void ring_segs(const struct dps_fifo *f, uint32_t idx, uint32_t len,
		      struct dps_fifo_seg segs[2])
{
	uint32_t pos = idx & (f->capacity - 1);
	uint32_t first = min_u32(len, f->capacity - pos);

	segs[0].data = fifo_data(f) + pos;
	segs[0].len = first;
	segs[1].data = fifo_data(f);
	segs[1].len = len - first;
}

static void ring_write(struct dps_fifo *f, uint32_t idx, const void *src, uint32_t len)
{
	struct dps_fifo_seg s[2];

	ring_segs(f, idx, len, s);
	memcpy(s[0].data, src, s[0].len);
	memcpy(s[1].data, (const uint8_t *)src + s[0].len, s[1].len);
}

size_t dps_fifo_footprint(uint32_t capacity)
{
	return (size_t)HDR_SIZE + capacity;
}

int dps_fifo_init(void *mem, size_t size)
{
	struct dps_fifo *f = mem;
	size_t room, cap;

	if (mem == NULL || ((uintptr_t)mem & 7) != 0 || size < HDR_SIZE)
		return -EINVAL;
	room = size - HDR_SIZE;
	if (room < DPS_FIFO_MIN_CAPACITY)
		return -EINVAL;
	for (cap = DPS_FIFO_MAX_CAPACITY; cap > room; cap >>= 1)
		;
	memset(f, 0, HDR_SIZE);
	f->magic = DPS_FIFO_MAGIC;
	f->capacity = (uint32_t)cap;
	f->data_offset = HDR_SIZE;
	return 0;
}

int dps_fifo_check(const struct dps_fifo *f, size_t size)
{
	uint32_t cap;

	if (f == NULL || size < HDR_SIZE || load_rlx(&f->magic) != DPS_FIFO_MAGIC)
		return -EINVAL;
	cap = load_rlx(&f->capacity);
	if (cap < DPS_FIFO_MIN_CAPACITY || cap > DPS_FIFO_MAX_CAPACITY ||
	    (cap & (cap - 1)) != 0 || cap > size - HDR_SIZE ||
	    load_rlx(&f->data_offset) != HDR_SIZE)
		return -EINVAL;
	if (load_acq(&f->tail) - load_acq(&f->head) > cap ||
	    load_rlx(&f->n_ooo) > DPS_FIFO_OOO_MAX)
		return -EIO;
	return 0;
}

uint32_t dps_fifo_capacity(const struct dps_fifo *f)
{
	return f->capacity;
}

uint32_t dps_fifo_used(const struct dps_fifo *f)
{
	uint32_t head = load_acq(&f->head);

	return span(f, head, load_acq(&f->tail));
}

uint32_t dps_fifo_free(const struct dps_fifo *f)
{
	return f->capacity - dps_fifo_used(f);
}

uint32_t dps_fifo_max_dequeue(const struct dps_fifo *f)
{
	return span(f, load_rlx(&f->head), load_acq(&f->tail));
}

uint32_t dps_fifo_max_enqueue(const struct dps_fifo *f)
{
	return f->capacity - span(f, load_acq(&f->head), load_rlx(&f->tail));
}

/* ---- producer ---- */

/* Offset of absolute index @idx past @tail (valid while idx is ahead). */
static inline uint32_t rel(uint32_t idx, uint32_t tail)
{
	return idx - tail;
}

static inline uint32_t n_ooo(const struct dps_fifo *f)
{
	return min_u32(f->n_ooo, DPS_FIFO_OOO_MAX);
}

/*
 * Move the tail from @tail to @tail + @len, then over every out-of-order
 * range the new tail reaches, and publish it. Ranges are sorted by start,
 * so the ones reached form a prefix of the table. They all lie within
 * @room; the clamp only guards against a table a peer has scribbled on.
 */
static uint32_t advance_tail(struct dps_fifo *f, uint32_t tail, uint32_t len,
			     uint32_t room)
{
	uint32_t n = n_ooo(f), reach = len, i;

	for (i = 0; i < n && rel(f->ooo[i].start, tail) <= reach; i++) {
		uint32_t end = rel(f->ooo[i].end, tail);

		if (end > reach)
			reach = end;
	}
	if (i > 0) {
		memmove(&f->ooo[0], &f->ooo[i], (n - i) * sizeof(f->ooo[0]));
		f->n_ooo = n - i;
	}
	reach = min_u32(reach, room);
	store_rel(&f->tail, tail + reach);
	return reach;
}

uint32_t dps_fifo_enqueue(struct dps_fifo *f, const void *data, uint32_t len)
{
	uint32_t tail = load_rlx(&f->tail), avail = tail_room(f, tail);

	len = min_u32(len, avail);
	if (len == 0)
		return 0;
	ring_write(f, tail, data, len);
	return advance_tail(f, tail, len, avail);
}

uint32_t dps_fifo_write_segs(struct dps_fifo *f, uint32_t offset, uint32_t len,
			     struct dps_fifo_seg segs[2])
{
	uint32_t tail = load_rlx(&f->tail);

	len = clip(offset, len, tail_room(f, tail));
	ring_segs(f, tail + offset, len, segs);
	return len;
}

uint32_t dps_fifo_enqueue_commit(struct dps_fifo *f, uint32_t len)
{
	uint32_t tail = load_rlx(&f->tail), avail = tail_room(f, tail);

	len = min_u32(len, avail);
	if (len == 0)
		return 0;
	return advance_tail(f, tail, len, avail);
}

int dps_fifo_enqueue_ooo(struct dps_fifo *f, uint32_t offset, const void *data,
			 uint32_t len)
{
	uint32_t tail = load_rlx(&f->tail);
	uint32_t n = n_ooo(f), s, e, i, j;

	if (offset == 0)
		return -EINVAL;
	len = clip(offset, len, tail_room(f, tail));
	if (len == 0)
		return 0;
	s = offset;
	e = offset + len;

	/* Ranges [i, j) touch or overlap [s, e); they fuse into one. */
	for (i = 0; i < n && rel(f->ooo[i].end, tail) < s; i++)
		;
	for (j = i; j < n && rel(f->ooo[j].start, tail) <= e; j++)
		;
	if (i == j && n == DPS_FIFO_OOO_MAX)
		return -ENOBUFS;

	ring_write(f, tail + offset, data, len);

	if (i == j) {
		memmove(&f->ooo[i + 1], &f->ooo[i], (n - i) * sizeof(f->ooo[0]));
		f->n_ooo = n + 1;
	} else {
		if (rel(f->ooo[i].start, tail) < s)
			s = rel(f->ooo[i].start, tail);
		if (rel(f->ooo[j - 1].end, tail) > e)
			e = rel(f->ooo[j - 1].end, tail);
		memmove(&f->ooo[i + 1], &f->ooo[j], (n - j) * sizeof(f->ooo[0]));
		f->n_ooo = n - (j - i) + 1;
	}
	f->ooo[i].start = tail + s;
	f->ooo[i].end = tail + e;
	f->ooo[i].stamp = ++f->ooo_clock;
	return (int)len;
}

uint32_t dps_fifo_ooo_ranges(const struct dps_fifo *f, struct dps_fifo_range *out,
			     uint32_t max)
{
	uint32_t n = n_ooo(f), tail = load_rlx(&f->tail), k, i;
	uint32_t last = UINT32_MAX;

	/*
	 * Selection by descending stamp: n is at most 32 and SACK asks for at
	 * most 4, so this stays cheap. Stamps are distinct; compare them as
	 * distances from the clock so the counter may wrap.
	 */
	for (k = 0; k < max && k < n; k++) {
		uint32_t best = n, best_age = UINT32_MAX;

		for (i = 0; i < n; i++) {
			uint32_t age = f->ooo_clock - f->ooo[i].stamp;

			if ((k == 0 || age > last) && age < best_age) {
				best = i;
				best_age = age;
			}
		}
		if (best == n)
			break;
		last = best_age;
		out[k].start = rel(f->ooo[best].start, tail);
		out[k].end = rel(f->ooo[best].end, tail);
	}
	return n;
}

void dps_fifo_ooo_clear(struct dps_fifo *f)
{
	f->n_ooo = 0;
}

/* ---- consumer ---- */

uint32_t dps_fifo_read_segs(const struct dps_fifo *f, uint32_t offset, uint32_t len,
			    struct dps_fifo_seg segs[2])
{
	uint32_t head = load_rlx(&f->head);

	len = clip(offset, len, span(f, head, load_acq(&f->tail)));
	ring_segs(f, head + offset, len, segs);
	return len;
}

uint32_t dps_fifo_peek(const struct dps_fifo *f, uint32_t offset, void *buf,
		       uint32_t len)
{
	struct dps_fifo_seg s[2];

	len = dps_fifo_read_segs(f, offset, len, s);
	memcpy(buf, s[0].data, s[0].len);
	memcpy((uint8_t *)buf + s[0].len, s[1].data, s[1].len);
	return len;
}

uint32_t dps_fifo_dequeue(struct dps_fifo *f, void *buf, uint32_t len)
{
	len = dps_fifo_peek(f, 0, buf, len);
	if (len > 0)
		store_rel(&f->head, load_rlx(&f->head) + len);
	return len;
}

uint32_t dps_fifo_drop(struct dps_fifo *f, uint32_t len)
{
	uint32_t head = load_rlx(&f->head);

	len = min_u32(len, span(f, head, load_acq(&f->tail)));
	if (len == 0)
		return 0;
	store_rel(&f->head, head + len);
	return len;
}
