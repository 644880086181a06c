/*
 * Single-producer single-consumer byte FIFO in shared memory (DESIGN.md,
 * seeds/003: per-session rx and tx FIFOs between dpstackd and an app).
 *
 * Layout. A FIFO is one block of memory: a header (struct dps_fifo) and the
 * data right after it. Nothing in the block is a pointer, so each process
 * may map it at its own address. The header's layout is part of the
 * daemon/application ABI and is checked with static_assert.
 *
 * Capacity is a power of two (2^6 .. 2^31 bytes); dps_fifo_init() takes
 * the largest one that fits, dps_fifo_footprint() gives the block size for
 * a wanted capacity. Head and tail are free-running 32-bit byte counters:
 * used = tail - head (mod 2^32), position in the data = index & (cap - 1).
 *
 * Roles. One thread (in any process) is the producer: it calls enqueue,
 * the zero-copy write helpers, the out-of-order calls and max_enqueue. One
 * is the consumer: dequeue, peek, drop, the zero-copy read helpers and
 * max_dequeue. used/free/capacity may be called by anyone (a snapshot).
 * For TCP the daemon's worker is the producer of a session's rx FIFO and
 * the consumer of its tx FIFO (it peeks for (re)transmission and drops
 * what is ACKed).
 *
 * Ordering. The producer writes data, then publishes tail with a release
 * store; the consumer reads tail with an acquire load before reading data.
 * Symmetrically for head, so the producer never overwrites bytes the
 * consumer is still copying out. The indices are lock-free atomics on an
 * aligned 32-bit word, which C11 and the GCC/Clang builtins make correct
 * between processes sharing the page, on x86 and on ARM.
 *
 * Out of order (TCP reassembly into the rx FIFO). The producer may write
 * bytes beyond the tail with dps_fifo_enqueue_ooo(); the FIFO remembers up
 * to DPS_FIFO_OOO_MAX disjoint received ranges (merged when they touch or
 * overlap). When in-order data reaches a range, the tail jumps over all
 * contiguous received bytes at once. This state belongs to the producer
 * alone; the consumer never looks at it.
 *
 * Trust. The header lives in memory the peer can write. Every access is
 * masked by the capacity and every length clamped to it, so a peer that
 * scribbles on head, tail or the out-of-order table can only garble the
 * bytes of this FIFO, never reach outside it; dps_fifo_check() reports
 * such a header (-EIO). The capacity itself is read from the header on
 * each call, so dps_fifo_check() at attach time does not protect against
 * a peer that rewrites it later: a side that must survive a hostile peer
 * needs its own copy of the capacity (not provided yet).
 */
#ifndef DPS_FIFO_FIFO_H
#define DPS_FIFO_FIFO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DPS_FIFO_MAGIC        0x46505344u /* "DSPF" little-endian */
#define DPS_FIFO_CACHE_LINE   64
#define DPS_FIFO_OOO_MAX      32          /* out-of-order ranges remembered */
#define DPS_FIFO_MIN_CAPACITY 64u
#define DPS_FIFO_MAX_CAPACITY (1u << 31)

/** One received out-of-order range, in absolute byte indices [start, end). */
struct dps_fifo_ooo_slot {
	uint32_t start;
	uint32_t end;
	uint32_t stamp;   /* larger = more recently extended */
};

/**
 * The shared header. Fields are not for direct use: go through the
 * functions below. Each index sits alone on its cache line so producer
 * and consumer do not false-share.
 */
struct dps_fifo {
	/* Read-only after init. */
	uint32_t magic;
	uint32_t capacity;               /* power of two */
	uint32_t data_offset;            /* from the start of this header */
	uint32_t reserved0;
	uint8_t  pad0[DPS_FIFO_CACHE_LINE - 16];

	/* Written by the consumer only. */
	uint32_t head;                   /* atomic */
	uint8_t  pad1[DPS_FIFO_CACHE_LINE - 4];

	/* Written by the producer only. */
	uint32_t tail;                   /* atomic */
	uint32_t n_ooo;                  /* ranges in use, sorted by start */
	uint32_t ooo_clock;              /* source of recency stamps */
	uint32_t reserved1;
	struct dps_fifo_ooo_slot ooo[DPS_FIFO_OOO_MAX];
	uint8_t  pad2[DPS_FIFO_CACHE_LINE - 16];
};

/** A piece of the data area, for zero-copy access. */
struct dps_fifo_seg {
	uint8_t *data;
	uint32_t len;
};

/** An out-of-order range as offsets from the current tail: [start, end). */
struct dps_fifo_range {
	uint32_t start;
	uint32_t end;
};

/** Bytes of memory a FIFO of @capacity (a power of two) needs. */
size_t dps_fifo_footprint(uint32_t capacity);

/**
 * Make an empty FIFO in @mem (8-byte aligned, @size bytes). The capacity
 * is the largest power of two that fits after the header. Hand the block
 * to the other side through something that synchronises (thread start,
 * passing the memfd over a socket).
 * Returns 0, or -EINVAL if @mem is NULL or misaligned or @size leaves less
 * than DPS_FIFO_MIN_CAPACITY bytes of data.
 */
int dps_fifo_init(void *mem, size_t size);

/**
 * Validate a FIFO header found in a mapping of @size bytes: magic, a power
 * of two capacity that fits, and tail - head <= capacity.
 * Returns 0, or -EINVAL (bad magic or capacity) or -EIO (indices corrupt).
 */
int dps_fifo_check(const struct dps_fifo *f, size_t size);

/** Capacity in bytes. */
uint32_t dps_fifo_capacity(const struct dps_fifo *f);
/** Readable bytes, a snapshot (any thread). */
uint32_t dps_fifo_used(const struct dps_fifo *f);
/** Writable bytes, a snapshot (any thread). */
uint32_t dps_fifo_free(const struct dps_fifo *f);
/** Readable bytes, as the consumer sees them. */
uint32_t dps_fifo_max_dequeue(const struct dps_fifo *f);
/** Writable bytes, as the producer sees them. */
uint32_t dps_fifo_max_enqueue(const struct dps_fifo *f);

/* ---- producer ---- */

/**
 * Copy up to @len bytes from @data in at the tail. Takes min(len, free).
 * If the new bytes reach out-of-order data, the tail also moves over it.
 * Returns how many bytes became readable (>= bytes taken; bytes taken is
 * min(len, return value)); 0 when full.
 */
uint32_t dps_fifo_enqueue(struct dps_fifo *f, const void *data, uint32_t len);

/**
 * Zero-copy write: describe the free space from @offset bytes past the
 * tail, at most @len bytes, as up to two segments (segs[1].len is 0 when
 * one is enough). Fill them, then call dps_fifo_enqueue_commit().
 * Returns the total length described (0 if @offset >= free).
 */
uint32_t dps_fifo_write_segs(struct dps_fifo *f, uint32_t offset, uint32_t len,
			     struct dps_fifo_seg segs[2]);

/**
 * Publish @len bytes already written at the tail (after write_segs).
 * Returns how many bytes became readable, as dps_fifo_enqueue(); @len is
 * clipped to the free space.
 */
uint32_t dps_fifo_enqueue_commit(struct dps_fifo *f, uint32_t len);

/**
 * Store @len bytes from @data @offset bytes past the tail (TCP: offset =
 * seq - rcv_nxt) without making them readable, and remember the range.
 * Bytes beyond the free space are not stored. Data already there (a
 * duplicate or an overlap) is overwritten, which is harmless because TCP
 * resends the same bytes for the same sequence numbers.
 * Returns the number of bytes stored (0 if @offset >= free), -EINVAL if
 * @offset is 0 (use dps_fifo_enqueue), or -ENOBUFS if the range touches
 * no known range and DPS_FIFO_OOO_MAX ranges are already held (TCP then
 * drops the segment).
 */
int dps_fifo_enqueue_ooo(struct dps_fifo *f, uint32_t offset, const void *data,
			 uint32_t len);

/**
 * Out-of-order ranges, most recently extended first (RFC 2018 4: the first
 * SACK block holds the latest segment), as offsets from the tail. Writes
 * at most @max ranges to @out. Returns how many ranges are held in total.
 */
uint32_t dps_fifo_ooo_ranges(const struct dps_fifo *f, struct dps_fifo_range *out,
			     uint32_t max);

/** Forget all out-of-order data (e.g. on connection reset). */
void dps_fifo_ooo_clear(struct dps_fifo *f);

/* ---- consumer ---- */

/**
 * Copy up to @len readable bytes out to @buf and consume them.
 * Returns the number of bytes copied (0 when empty).
 */
uint32_t dps_fifo_dequeue(struct dps_fifo *f, void *buf, uint32_t len);

/**
 * Copy up to @len readable bytes starting @offset bytes after the head,
 * without consuming (TCP: retransmit from the tx FIFO).
 * Returns the number of bytes copied (0 if @offset >= used).
 */
uint32_t dps_fifo_peek(const struct dps_fifo *f, uint32_t offset, void *buf,
		       uint32_t len);

/**
 * Zero-copy read: describe up to @len readable bytes from @offset after
 * the head as up to two segments, without consuming. Consume with
 * dps_fifo_drop(). Returns the total length described.
 */
uint32_t dps_fifo_read_segs(const struct dps_fifo *f, uint32_t offset, uint32_t len,
			    struct dps_fifo_seg segs[2]);

/**
 * Consume up to @len bytes without copying (TCP: data ACKed).
 * Returns the number of bytes dropped (min(len, used)).
 */
uint32_t dps_fifo_drop(struct dps_fifo *f, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif
