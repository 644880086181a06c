/* The FIFO heap of an application segment: see app_heap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session/app_heap.h"

#define HEAP_NONE UINT32_MAX
#define HEAP_FREE 1
#define HEAP_USED 2

static unsigned size_class(uint32_t pages)
{
	return 31u - (unsigned)__builtin_clz(pages);
}

static void list_push(struct dps_heap *h, uint32_t p)
{
	unsigned c = size_class(h->size[p]);

	h->state[p] = HEAP_FREE;
	h->prev[p] = HEAP_NONE;
	h->next[p] = h->head[c];
	if (h->head[c] != HEAP_NONE)
		h->prev[h->head[c]] = p;
	h->head[c] = p;
}

static void list_unlink(struct dps_heap *h, uint32_t p)
{
	unsigned c = size_class(h->size[p]);

	if (h->prev[p] != HEAP_NONE)
		h->next[h->prev[p]] = h->next[p];
	else
		h->head[c] = h->next[p];
	if (h->next[p] != HEAP_NONE)
		h->prev[h->next[p]] = h->prev[p];
	h->state[p] = 0;
}

/* Boundary tags: the block's length at its first and last page. */
static void set_block(struct dps_heap *h, uint32_t p, uint32_t pages)
{
	h->size[p] = pages;
	h->size[p + pages - 1] = pages;
}

int dps_heap_init(struct dps_heap *h, uint64_t off, uint64_t size)
{
	uint64_t pages = size / DPS_HEAP_PAGE;
	unsigned i;

	memset(h, 0, sizeof(*h));
	if (off % DPS_HEAP_PAGE != 0 || pages == 0 || pages >= HEAP_NONE)
		return -EINVAL;
	h->off = off;
	h->n_pages = (uint32_t)pages;
	h->size = calloc(pages, sizeof(*h->size));
	h->next = calloc(pages, sizeof(*h->next));
	h->prev = calloc(pages, sizeof(*h->prev));
	h->state = calloc(pages, sizeof(*h->state));
	if (h->size == NULL || h->next == NULL || h->prev == NULL || h->state == NULL) {
		dps_heap_fini(h);
		return -ENOMEM;
	}
	for (i = 0; i < DPS_HEAP_CLASSES; i++)
		h->head[i] = HEAP_NONE;
	set_block(h, 0, h->n_pages);
	list_push(h, 0);
	return 0;
}

void dps_heap_fini(struct dps_heap *h)
{
	free(h->size);
	free(h->next);
	free(h->prev);
	free(h->state);
	memset(h, 0, sizeof(*h));
}

int64_t dps_heap_alloc(struct dps_heap *h, uint64_t bytes)
{
	uint64_t want = (bytes + DPS_HEAP_PAGE - 1) / DPS_HEAP_PAGE;
	uint32_t n, p = HEAP_NONE, have;
	unsigned c;

	if (bytes == 0)
		return -EINVAL;
	if (want > h->n_pages)
		return -ENOMEM;
	n = (uint32_t)want;
	/* first fit in the own class (blocks there may be shorter than n) */
	for (uint32_t q = h->head[size_class(n)]; q != HEAP_NONE; q = h->next[q]) {
		if (h->size[q] >= n) {
			p = q;
			break;
		}
	}
	/* else any block of a larger class is long enough */
	for (c = size_class(n) + 1; p == HEAP_NONE && c < DPS_HEAP_CLASSES; c++)
		p = h->head[c];
	if (p == HEAP_NONE)
		return -ENOMEM;
	list_unlink(h, p);
	have = h->size[p];
	if (have > n) {
		set_block(h, p + n, have - n);
		list_push(h, p + n);
	}
	set_block(h, p, n);
	h->state[p] = HEAP_USED;
	h->used_pages += n;
	h->n_alloc++;
	return (int64_t)(h->off + (uint64_t)p * DPS_HEAP_PAGE);
}

/* The page of off if it is the start of a block handed out, else HEAP_NONE. */
static uint32_t used_page(const struct dps_heap *h, uint64_t off)
{
	uint64_t p;

	if (off < h->off || (off - h->off) % DPS_HEAP_PAGE != 0)
		return HEAP_NONE;
	p = (off - h->off) / DPS_HEAP_PAGE;
	if (p >= h->n_pages || h->state[p] != HEAP_USED)
		return HEAP_NONE;
	return (uint32_t)p;
}

int dps_heap_free(struct dps_heap *h, uint64_t off)
{
	uint32_t p = used_page(h, off), n;

	if (p == HEAP_NONE)
		return -EINVAL;
	n = h->size[p];
	h->state[p] = 0;
	h->used_pages -= n;
	h->n_alloc--;
	/* merge with the block after, then the one before, if free */
	if (p + n < h->n_pages && h->state[p + n] == HEAP_FREE) {
		uint32_t q = p + n, m = h->size[q];

		list_unlink(h, q);
		n += m;
	}
	if (p > 0) {
		uint32_t m = h->size[p - 1], q = p - m;

		if (m <= p && h->state[q] == HEAP_FREE && h->size[q] == m) {
			list_unlink(h, q);
			p = q;
			n += m;
		}
	}
	set_block(h, p, n);
	list_push(h, p);
	return 0;
}

uint64_t dps_heap_block_size(const struct dps_heap *h, uint64_t off)
{
	uint32_t p = used_page(h, off);

	return p == HEAP_NONE ? 0 : (uint64_t)h->size[p] * DPS_HEAP_PAGE;
}

uint64_t dps_heap_largest_free(const struct dps_heap *h)
{
	uint32_t best = 0;

	for (unsigned c = 0; c < DPS_HEAP_CLASSES; c++)
		for (uint32_t q = h->head[c]; q != HEAP_NONE; q = h->next[q])
			if (h->size[q] > best)
				best = h->size[q];
	return (uint64_t)best * DPS_HEAP_PAGE;
}
