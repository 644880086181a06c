/*
 * The pure parts of the application attach (src/session): the FIFO heap
 * allocator whose state lives in daemon memory only, the hello checks and
 * the segment layout. No EAL.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpsock/dpsock_proto.h"
#include "session/app.h"
#include "session/app_heap.h"
#include "session/session_internal.h"

#define PG DPS_HEAP_PAGE

/* ---- heap ---- */

static void test_heap_basic(void **state)
{
	struct dps_heap h;
	int64_t a, b, c;

	(void)state;
	assert_int_equal(dps_heap_init(&h, 3 * PG, 100 * PG + 17), 0);
	assert_int_equal(h.n_pages, 100);
	assert_int_equal(dps_heap_largest_free(&h), 100 * PG);
	a = dps_heap_alloc(&h, 1);
	b = dps_heap_alloc(&h, PG + 1);        /* two pages */
	c = dps_heap_alloc(&h, 10 * PG);
	assert_int_equal(a, 3 * PG);           /* offsets are from the segment start */
	assert_int_equal(b, 4 * PG);
	assert_int_equal(c, 6 * PG);
	assert_int_equal(dps_heap_block_size(&h, (uint64_t)b), 2 * PG);
	assert_int_equal(h.n_alloc, 3);
	assert_int_equal(h.used_pages, 13);
	/* what was not handed out cannot be given back */
	assert_int_equal(dps_heap_free(&h, (uint64_t)b + PG), -EINVAL);
	assert_int_equal(dps_heap_free(&h, (uint64_t)b + 1), -EINVAL);
	assert_int_equal(dps_heap_free(&h, 0), -EINVAL);
	assert_int_equal(dps_heap_free(&h, 200 * PG), -EINVAL);
	assert_int_equal(dps_heap_free(&h, (uint64_t)b), 0);
	assert_int_equal(dps_heap_free(&h, (uint64_t)b), -EINVAL);   /* twice */
	/* the hole is reused for what fits */
	assert_int_equal(dps_heap_alloc(&h, PG), b);
	assert_int_equal(dps_heap_alloc(&h, 0), -EINVAL);
	assert_int_equal(dps_heap_alloc(&h, 1000 * PG), -ENOMEM);
	dps_heap_fini(&h);
}

static void test_heap_coalesce(void **state)
{
	struct dps_heap h;
	int64_t off[10];

	(void)state;
	assert_int_equal(dps_heap_init(&h, 0, 40 * PG), 0);
	for (int i = 0; i < 10; i++)
		off[i] = dps_heap_alloc(&h, 4 * PG);
	assert_int_equal(dps_heap_alloc(&h, 1), -ENOMEM);
	assert_int_equal(dps_heap_largest_free(&h), 0);
	/* free every other block: no run longer than 4 pages */
	for (int i = 0; i < 10; i += 2)
		assert_int_equal(dps_heap_free(&h, (uint64_t)off[i]), 0);
	assert_int_equal(dps_heap_largest_free(&h), 4 * PG);
	assert_int_equal(dps_heap_alloc(&h, 5 * PG), -ENOMEM);
	/* the rest: merged with both neighbours into one block again */
	for (int i = 1; i < 10; i += 2)
		assert_int_equal(dps_heap_free(&h, (uint64_t)off[i]), 0);
	assert_int_equal(dps_heap_largest_free(&h), 40 * PG);
	assert_int_equal(h.n_alloc, 0);
	assert_int_equal(h.used_pages, 0);
	assert_int_equal(dps_heap_alloc(&h, 40 * PG), 0);
	dps_heap_fini(&h);
}

/* Random alloc/free against a page map: no overlap, all back at the end. */
static void test_heap_random(void **state)
{
	enum { PAGES = 4096, N = 512 };
	struct dps_heap h;
	static uint16_t owner[PAGES];
	int64_t off[N];
	uint32_t len[N];
	unsigned seed = 12345;

	(void)state;
	memset(owner, 0, sizeof(owner));
	assert_int_equal(dps_heap_init(&h, 0, PAGES * (uint64_t)PG), 0);
	for (int i = 0; i < N; i++)
		off[i] = -1;
	for (int step = 0; step < 200000; step++) {
		int i = (int)(rand_r(&seed) % N);

		if (off[i] < 0) {
			/* FIFO-like sizes: a power of two plus the header */
			uint32_t cap = 4096u << (rand_r(&seed) % 6);

			off[i] = dps_heap_alloc(&h, cap + 576);
			if (off[i] < 0) {
				assert_int_equal(off[i], -ENOMEM);
				continue;
			}
			len[i] = (cap + 576 + PG - 1) / PG;
			assert_int_equal(dps_heap_block_size(&h, (uint64_t)off[i]), len[i] * PG);
			for (uint32_t p = 0; p < len[i]; p++) {
				assert_int_equal(owner[off[i] / PG + p], 0);
				owner[off[i] / PG + p] = (uint16_t)(i + 1);
			}
		} else {
			for (uint32_t p = 0; p < len[i]; p++)
				owner[off[i] / PG + p] = 0;
			assert_int_equal(dps_heap_free(&h, (uint64_t)off[i]), 0);
			off[i] = -1;
		}
	}
	for (int i = 0; i < N; i++)
		if (off[i] >= 0)
			assert_int_equal(dps_heap_free(&h, (uint64_t)off[i]), 0);
	assert_int_equal(h.n_alloc, 0);
	assert_int_equal(dps_heap_largest_free(&h), PAGES * (uint64_t)PG);
	dps_heap_fini(&h);
}

static void test_heap_bad_init(void **state)
{
	struct dps_heap h;

	(void)state;
	assert_int_equal(dps_heap_init(&h, 100, 10 * PG), -EINVAL);   /* misaligned */
	assert_int_equal(dps_heap_init(&h, 0, PG - 1), -EINVAL);      /* no page */
}

/* ---- hello ---- */

static struct dps_api_hello good_hello(void)
{
	struct dps_api_hello h;

	memset(&h, 0, sizeof(h));
	h.magic = DPS_API_MAGIC;
	h.version = DPS_API_VERSION;
	strcpy(h.name, "nginx-w0");
	return h;
}

static int check(const struct dps_api_hello *h, size_t len, uint64_t *seg)
{
	char why[160] = "";
	int rc = dps_app_hello_check(h, len, seg, why, sizeof(why));

	if (rc != 0)
		assert_true(why[0] != '\0');   /* every refusal says why */
	return rc;
}

static void test_hello(void **state)
{
	struct dps_api_hello h = good_hello();
	uint64_t seg = 99;

	(void)state;
	assert_int_equal(check(&h, sizeof(h), &seg), 0);
	assert_int_equal(seg, 0);
	h.seg_size = DPS_SEG_MAX;
	assert_int_equal(check(&h, sizeof(h), &seg), 0);
	assert_int_equal(seg, DPS_SEG_MAX);
	strcpy(h.ns, "default");
	assert_int_equal(check(&h, sizeof(h), &seg), 0);

	/* garbage: EPROTO */
	h = good_hello();
	assert_int_equal(check(&h, sizeof(h) - 1, &seg), -EPROTO);
	assert_int_equal(check(&h, 0, &seg), -EPROTO);
	h.magic = 0x12345678;
	assert_int_equal(check(&h, sizeof(h), &seg), -EPROTO);
	h = good_hello();
	h.version = 2;
	assert_int_equal(check(&h, sizeof(h), &seg), -EPROTO);
	h = good_hello();
	memset(h.name, 'a', sizeof(h.name));
	assert_int_equal(check(&h, sizeof(h), &seg), -EPROTO);
	h = good_hello();
	memset(h.secret, 's', sizeof(h.secret));
	assert_int_equal(check(&h, sizeof(h), &seg), -EPROTO);
	h = good_hello();
	memset(h.ns, 'n', sizeof(h.ns));
	assert_int_equal(check(&h, sizeof(h), &seg), -EPROTO);

	/* well formed but not acceptable */
	h = good_hello();
	h.seg_size = DPS_SEG_MAX + 1;
	assert_int_equal(check(&h, sizeof(h), &seg), -EINVAL);
	h = good_hello();
	h.flags = 1;
	assert_int_equal(check(&h, sizeof(h), &seg), -EINVAL);
	h = good_hello();
	strcpy(h.name, "two words");
	assert_int_equal(check(&h, sizeof(h), &seg), -EINVAL);
	h.name[3] = '\n';
	assert_int_equal(check(&h, sizeof(h), &seg), -EINVAL);
	h = good_hello();
	strcpy(h.ns, "blue");
	assert_int_equal(check(&h, sizeof(h), &seg), -ENOENT);
}

/* ---- layout ---- */

static void assert_layout_sane(const struct dps_app_layout *l, unsigned n)
{
	uint64_t end = 0;

	assert_int_equal(l->size % PG, 0);
	assert_int_equal(l->q_bytes, dps_msgq_footprint(DPS_SEG_MSGQ_SLOTS));
	assert_int_equal(l->evt_count, DPS_SOCKS_PER_WORKER);
	assert_true(l->heap_size >= (1u << 20));
	/* in order, page aligned, not overlapping, inside the segment */
	for (unsigned i = 0; i < n; i++) {
		assert_true(l->q_off[i][0] >= end && l->q_off[i][0] % PG == 0);
		assert_true(l->q_off[i][1] >= l->q_off[i][0] + l->q_bytes);
		assert_true(l->evt_off[i] >= l->q_off[i][1] + l->q_bytes);
		end = l->evt_off[i] + l->evt_count;
	}
	for (unsigned i = 0; i < n; i++) {
		assert_true(l->heap_off[i] >= end && l->heap_off[i] % PG == 0);
		end = l->heap_off[i] + l->heap_size;
	}
	assert_true(end <= l->size);
	assert_true(l->q_off[0][0] >= sizeof(struct dps_seg_hdr));
}

static void test_layout(void **state)
{
	struct dps_app_layout l;

	(void)state;
	assert_int_equal(dps_app_layout(0, 1, &l), 0);
	assert_layout_sane(&l, 1);
	assert_true(l.size <= DPS_SEG_DEFAULT && l.size > DPS_SEG_DEFAULT - PG);
	assert_int_equal(dps_app_layout(0, DPS_MAX_WORKERS, &l), 0);
	assert_layout_sane(&l, DPS_MAX_WORKERS);
	/* small asks are raised: queues + 1 MiB of heap per worker */
	assert_int_equal(dps_app_layout(1, 4, &l), 0);
	assert_layout_sane(&l, 4);
	assert_true(l.size >= DPS_SEG_MIN);
	assert_int_equal(dps_app_layout(DPS_SEG_MAX, 2, &l), 0);
	assert_layout_sane(&l, 2);
	assert_true(l.size <= DPS_SEG_MAX);
	/* refused */
	assert_int_equal(dps_app_layout(DPS_SEG_MAX + 1, 1, &l), -EINVAL);
	assert_int_equal(dps_app_layout(0, 0, &l), -EINVAL);
	assert_int_equal(dps_app_layout(0, DPS_MAX_WORKERS + 1, &l), -EINVAL);
}

/* ---- handles ---- */

static void test_handles(void **state)
{
	uint64_t h = dps_handle(7, 0x123456, 16383);

	(void)state;
	assert_int_equal(dps_handle_worker(h), 7);
	assert_int_equal(dps_handle_gen(h), 0x123456);
	assert_int_equal(dps_handle_sd(h), 16383);
	/* the generation wraps at 24 bits */
	assert_int_equal(dps_handle_gen(dps_handle(0, 0x1000001, 5)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_basic),
		cmocka_unit_test(test_heap_coalesce),
		cmocka_unit_test(test_heap_random),
		cmocka_unit_test(test_heap_bad_init),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_handles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
