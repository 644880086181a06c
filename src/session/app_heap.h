/*
 * The FIFO heap of one worker in an application's segment: which byte
 * ranges hold FIFOs and which are free. libc only.
 *
 * Trust. The heap's memory is shared with the application, which may
 * write anything there; so none of the allocator's state lives in it.
 * Every block boundary, size and free-list link is in arrays of the
 * daemon's own memory, indexed by page, and a block is only ever handed
 * out or taken back at a page the daemon itself recorded. A hostile
 * application can garble the bytes of its own FIFOs, never the
 * allocator.
 *
 * Shape. Pages of DPS_HEAP_PAGE bytes; a block is a run of pages. Free
 * blocks sit on segregated lists by floor(log2(pages)) and are merged
 * with free neighbours when freed (boundary tags at both ends of every
 * block), so a heap whose FIFOs all went back is one block again. Alloc
 * takes the first fitting block of its own class, else any block of a
 * larger class, and splits it: O(1) but for the scan of one list.
 */
#ifndef DPS_SESSION_APP_HEAP_H
#define DPS_SESSION_APP_HEAP_H

#include <stdint.h>

#define DPS_HEAP_PAGE     4096u
#define DPS_HEAP_CLASSES  32

struct dps_heap {
	uint64_t off;              /* start of the heap from the segment start (page aligned) */
	uint32_t n_pages;
	uint32_t used_pages;       /* in blocks handed out */
	uint32_t n_alloc;          /* blocks handed out */
	uint32_t *size;            /* a block's pages, at its first and last page */
	uint32_t *next, *prev;     /* free-list links, at a free block's first page */
	uint8_t *state;            /* at a block's first page: HEAP_FREE / HEAP_USED, else 0 */
	uint32_t head[DPS_HEAP_CLASSES];
};

/**
 * A heap over [off, off + size) of the segment (off page aligned; size
 * is cut to whole pages). Its tables come from malloc. Returns 0,
 * -EINVAL (misaligned, empty or more than 2^32 pages) or -ENOMEM.
 */
int dps_heap_init(struct dps_heap *h, uint64_t off, uint64_t size);
/** Free the tables. */
void dps_heap_fini(struct dps_heap *h);

/**
 * A block of at least bytes: its offset from the segment start (page
 * aligned), or -ENOMEM (no free run that long) / -EINVAL (bytes 0).
 */
int64_t dps_heap_alloc(struct dps_heap *h, uint64_t bytes);

/**
 * Give back the block that starts at off. Returns 0, or -EINVAL if off is
 * not the start of a block handed out (nothing changes).
 */
int dps_heap_free(struct dps_heap *h, uint64_t off);

/** Bytes of the block handed out at off, 0 if there is none. */
uint64_t dps_heap_block_size(const struct dps_heap *h, uint64_t off);

/** Largest free block in bytes (walks the lists: for inspection only). */
uint64_t dps_heap_largest_free(const struct dps_heap *h);

#endif
