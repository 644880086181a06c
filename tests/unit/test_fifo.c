/*
 * lib/fifo: the byte FIFO (wrap-around at every boundary and at the 32-bit
 * index wrap, partial enqueue, peek, drop, zero-copy segments), its
 * out-of-order enqueue (every fill order, overlaps, merging, a full table,
 * SACK order, and a seeded random run against a reference model), the
 * message queue and its wake-up protocol, and stress runs between two
 * threads and between two processes mapping one memfd at different
 * addresses.
 *
 * DPS_TEST_SEED=<n> replays a random run; DPS_FIFO_STRESS_MB sets the
 * stress volume (default 1024, 32 under sanitizers).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fifo/fifo.h"
#include "fifo/msgq.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STRESS_MB_DEFAULT 32
#else
#define STRESS_MB_DEFAULT 1024
#endif

/* ---- helpers ---- */

static uint64_t seed;

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) % n);
}

/* Byte number @p of the test stream. */
static uint8_t pat(uint32_t p)
{
	return (uint8_t)((p * 2654435761u) >> 24);
}

static void fill(uint8_t *buf, uint32_t pos, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = pat(pos + i);
}

static int matches(const uint8_t *buf, uint32_t pos, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != pat(pos + i))
			return 0;
	return 1;
}

static struct dps_fifo *fifo_new(uint32_t cap)
{
	size_t size = dps_fifo_footprint(cap);
	void *mem = aligned_alloc(64, size);

	assert_non_null(mem);
	assert_int_equal(dps_fifo_init(mem, size), 0);
	assert_int_equal(dps_fifo_capacity(mem), cap);
	return mem;
}

/* Put an empty FIFO's indices at @idx (e.g. just before the 32-bit wrap). */
static void fifo_set_index(struct dps_fifo *f, uint32_t idx)
{
	f->head = idx;
	f->tail = idx;
}

#define CHECK(cond) do { \
	if (!(cond)) \
		fail_msg("%s:%d: %s (replay with DPS_TEST_SEED=%" PRIu64 ")", \
			 __FILE__, __LINE__, #cond, seed); \
} while (0)

/* ---- init, queries ---- */

static void test_init(void **state)
{
	static uint8_t mem[4096 + sizeof(struct dps_fifo) + 100] __attribute__((aligned(64)));
	struct dps_fifo *f = (struct dps_fifo *)mem;

	assert_int_equal(dps_fifo_init(NULL, sizeof(mem)), -EINVAL);
	assert_int_equal(dps_fifo_init(mem + 4, sizeof(mem) - 4), -EINVAL);
	assert_int_equal(dps_fifo_init(mem, sizeof(struct dps_fifo) + 63), -EINVAL);
	assert_int_equal(dps_fifo_init(mem, sizeof(struct dps_fifo) + 64), 0);
	assert_int_equal(dps_fifo_capacity(f), 64);
	assert_int_equal(dps_fifo_init(mem, sizeof(mem)), 0);
	assert_int_equal(dps_fifo_capacity(f), 4096);
	assert_int_equal(dps_fifo_footprint(4096), sizeof(struct dps_fifo) + 4096);
	assert_int_equal(dps_fifo_used(f), 0);
	assert_int_equal(dps_fifo_free(f), 4096);
	assert_int_equal(dps_fifo_max_enqueue(f), 4096);
	assert_int_equal(dps_fifo_max_dequeue(f), 0);

	assert_int_equal(dps_fifo_check(f, sizeof(mem)), 0);
	assert_int_equal(dps_fifo_check(f, dps_fifo_footprint(2048)), -EINVAL);
	f->tail = f->head + 4097;     /* a peer scribbled on the indices */
	assert_int_equal(dps_fifo_check(f, sizeof(mem)), -EIO);
	assert_int_equal(dps_fifo_used(f), 4096); /* clamped, never beyond */
	f->tail = f->head;
	f->capacity = 3000;
	assert_int_equal(dps_fifo_check(f, sizeof(mem)), -EINVAL);
	f->capacity = 4096;
	f->magic = 0;
	assert_int_equal(dps_fifo_check(f, sizeof(mem)), -EINVAL);
}

/* ---- in-order data ---- */

/* From every start position and for every length, data comes out intact. */
static void check_wrap_from(uint32_t base)
{
	enum { CAP = 64 };
	struct dps_fifo *f = fifo_new(CAP);
	uint8_t in[CAP], out[CAP];

	for (uint32_t start = 0; start < CAP; start++) {
		for (uint32_t len = 1; len <= CAP; len++) {
			fifo_set_index(f, base + start);
			fill(in, start * 7 + len, len);
			assert_int_equal(dps_fifo_enqueue(f, in, len), len);
			assert_int_equal(dps_fifo_used(f), len);
			assert_int_equal(dps_fifo_free(f), CAP - len);
			memset(out, 0, sizeof(out));
			assert_int_equal(dps_fifo_dequeue(f, out, CAP), len);
			assert_memory_equal(in, out, len);
			assert_int_equal(dps_fifo_used(f), 0);
		}
	}
	free(f);
}

static void test_wrap_every_boundary(void **state)
{
	check_wrap_from(0);
	check_wrap_from(UINT32_MAX - 100);  /* the free-running indices wrap too */
	check_wrap_from(UINT32_MAX - 31);
}

static void test_partial_enqueue(void **state)
{
	struct dps_fifo *f = fifo_new(64);
	uint8_t in[100], out[100];

	fill(in, 0, sizeof(in));
	assert_int_equal(dps_fifo_enqueue(f, in, 100), 64);
	assert_int_equal(dps_fifo_enqueue(f, in, 1), 0);
	assert_int_equal(dps_fifo_max_enqueue(f), 0);
	assert_int_equal(dps_fifo_max_dequeue(f), 64);
	assert_int_equal(dps_fifo_dequeue(f, out, 10), 10);
	assert_true(matches(out, 0, 10));
	assert_int_equal(dps_fifo_enqueue(f, in + 64, 36), 10);
	assert_int_equal(dps_fifo_dequeue(f, out, 100), 64);
	assert_true(matches(out, 10, 64));
	assert_int_equal(dps_fifo_dequeue(f, out, 100), 0);
	assert_int_equal(dps_fifo_enqueue(f, in, 0), 0);
	free(f);
}

static void test_peek_across_wrap(void **state)
{
	enum { CAP = 64 };
	struct dps_fifo *f = fifo_new(CAP);
	uint8_t in[CAP], out[CAP];

	for (uint32_t start = 0; start < CAP; start += 5) {
		fifo_set_index(f, UINT32_MAX - 20 + start);
		fill(in, start, CAP);
		assert_int_equal(dps_fifo_enqueue(f, in, CAP), CAP);
		for (uint32_t off = 0; off < CAP; off++) {
			for (uint32_t len = 1; len <= CAP; len++) {
				uint32_t want = len < CAP - off ? len : CAP - off;

				assert_int_equal(dps_fifo_peek(f, off, out, len), want);
				assert_true(matches(out, start + off, want));
			}
		}
		assert_int_equal(dps_fifo_peek(f, CAP, out, 1), 0);
		assert_int_equal(dps_fifo_used(f), CAP); /* peek consumed nothing */
		assert_int_equal(dps_fifo_drop(f, CAP), CAP);
	}
	free(f);
}

static void test_drop(void **state)
{
	struct dps_fifo *f = fifo_new(64);
	uint8_t in[64], out[64];

	fifo_set_index(f, 50);
	fill(in, 0, 40);
	assert_int_equal(dps_fifo_enqueue(f, in, 40), 40);
	assert_int_equal(dps_fifo_drop(f, 15), 15);
	assert_int_equal(dps_fifo_used(f), 25);
	assert_int_equal(dps_fifo_peek(f, 0, out, 5), 5);
	assert_true(matches(out, 15, 5));
	assert_int_equal(dps_fifo_drop(f, 100), 25);
	assert_int_equal(dps_fifo_drop(f, 1), 0);
	assert_int_equal(dps_fifo_dequeue(f, out, 64), 0);
	assert_int_equal(dps_fifo_free(f), 64);
	free(f);
}

static void test_zero_copy_segs(void **state)
{
	struct dps_fifo *f = fifo_new(64);
	struct dps_fifo_seg s[2];
	uint8_t out[64];

	fifo_set_index(f, 60);
	/* Free space from the tail wraps after 4 bytes. */
	assert_int_equal(dps_fifo_write_segs(f, 0, 100, s), 64);
	assert_int_equal(s[0].len, 4);
	assert_int_equal(s[1].len, 60);
	assert_ptr_equal(s[1].data, (uint8_t *)f + sizeof(*f));
	assert_ptr_equal(s[0].data, (uint8_t *)f + sizeof(*f) + 60);
	fill(s[0].data, 0, s[0].len);
	fill(s[1].data, s[0].len, 20 - s[0].len);
	assert_int_equal(dps_fifo_max_dequeue(f), 0);   /* not yet published */
	assert_int_equal(dps_fifo_enqueue_commit(f, 20), 20);

	/* One segment when it does not wrap; an offset past the tail. */
	assert_int_equal(dps_fifo_write_segs(f, 4, 10, s), 10);
	assert_int_equal(s[1].len, 0);
	assert_int_equal(dps_fifo_write_segs(f, 44, 10, s), 0);
	assert_int_equal(dps_fifo_write_segs(f, 40, 10, s), 4);

	assert_int_equal(dps_fifo_read_segs(f, 0, 64, s), 20);
	assert_int_equal(s[0].len, 4);
	assert_int_equal(s[1].len, 16);
	assert_true(matches(s[0].data, 0, 4));
	assert_true(matches(s[1].data, 4, 16));
	assert_int_equal(dps_fifo_read_segs(f, 6, 5, s), 5);
	assert_int_equal(s[1].len, 0);
	assert_true(matches(s[0].data, 6, 5));
	assert_int_equal(dps_fifo_read_segs(f, 20, 5, s), 0);
	assert_int_equal(dps_fifo_drop(f, 8), 8);
	assert_int_equal(dps_fifo_dequeue(f, out, 64), 12);
	assert_true(matches(out, 8, 12));
	assert_int_equal(dps_fifo_enqueue_commit(f, 0), 0);
	free(f);
}

/* ---- out of order ---- */

/*
 * A TCP-like receiver over the FIFO: @nxt is the stream position of the
 * tail. Deliver [pos, pos + len) of the stream: trim what is already in,
 * enqueue in order or out of order. Returns what enqueue/enqueue_ooo did.
 */
static int deliver(struct dps_fifo *f, uint32_t *nxt, uint32_t pos, uint32_t len)
{
	uint8_t buf[4096];
	uint32_t got;

	if (pos + len <= *nxt)
		return 0;
	if (pos < *nxt) {
		len -= *nxt - pos;
		pos = *nxt;
	}
	assert_true(len <= sizeof(buf));
	fill(buf, pos, len);
	if (pos > *nxt)
		return dps_fifo_enqueue_ooo(f, pos - *nxt, buf, len);
	got = dps_fifo_enqueue(f, buf, len);
	*nxt += got;
	return (int)got;
}

static void test_ooo_every_order(void **state)
{
	enum { N = 5, SEG = 10 };
	int perm[N] = { 0, 1, 2, 3, 4 };
	struct dps_fifo *f = fifo_new(64);
	uint8_t out[64];

	/* Heap's algorithm over all 120 orders, at two index bases. */
	for (int base = 0; base < 2; base++) {
		int c[N] = { 0 }, i = 0, done = 0;

		while (!done) {
			uint32_t nxt = 0;

			fifo_set_index(f, base ? UINT32_MAX - 25 : 3);
			for (int k = 0; k < N; k++) {
				int rc = deliver(f, &nxt, perm[k] * SEG, SEG);

				assert_true(rc >= SEG);
				/* Only what precedes the lowest hole is readable. */
				assert_int_equal(dps_fifo_used(f), nxt);
			}
			assert_int_equal(nxt, N * SEG);
			assert_int_equal(dps_fifo_ooo_ranges(f, NULL, 0), 0);
			assert_int_equal(dps_fifo_dequeue(f, out, 64), N * SEG);
			assert_true(matches(out, 0, N * SEG));

			while (i < N && c[i] >= i) {
				c[i] = 0;
				i++;
			}
			if (i == N) {
				done = 1;
			} else {
				int j = (i % 2) ? c[i] : 0, t = perm[j];

				perm[j] = perm[i];
				perm[i] = t;
				c[i]++;
				i = 0;
			}
		}
	}
	free(f);
}

static void expect_ranges(struct dps_fifo *f, uint32_t n, const struct dps_fifo_range *want)
{
	struct dps_fifo_range r[DPS_FIFO_OOO_MAX];

	assert_int_equal(dps_fifo_ooo_ranges(f, r, DPS_FIFO_OOO_MAX), n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(r[i].start, want[i].start);
		assert_int_equal(r[i].end, want[i].end);
	}
}

static void test_ooo_overlap_and_merge(void **state)
{
	struct dps_fifo *f = fifo_new(256);
	uint8_t out[256];
	uint32_t nxt = 0;

	fifo_set_index(f, UINT32_MAX - 30);
	assert_int_equal(deliver(f, &nxt, 10, 10), 10);
	assert_int_equal(deliver(f, &nxt, 10, 10), 10);       /* duplicate */
	expect_ranges(f, 1, (struct dps_fifo_range[]){ { 10, 20 } });
	assert_int_equal(deliver(f, &nxt, 12, 5), 5);         /* inside */
	expect_ranges(f, 1, (struct dps_fifo_range[]){ { 10, 20 } });
	assert_int_equal(deliver(f, &nxt, 15, 15), 15);       /* overlaps end */
	expect_ranges(f, 1, (struct dps_fifo_range[]){ { 10, 30 } });
	assert_int_equal(deliver(f, &nxt, 5, 7), 7);          /* overlaps start */
	expect_ranges(f, 1, (struct dps_fifo_range[]){ { 5, 30 } });
	assert_int_equal(deliver(f, &nxt, 30, 5), 5);         /* adjacent after */
	assert_int_equal(deliver(f, &nxt, 40, 10), 10);
	assert_int_equal(deliver(f, &nxt, 60, 10), 10);
	expect_ranges(f, 3, (struct dps_fifo_range[]){ { 60, 70 }, { 40, 50 }, { 5, 35 } });
	assert_int_equal(deliver(f, &nxt, 35, 5), 5);         /* bridges two */
	expect_ranges(f, 2, (struct dps_fifo_range[]){ { 5, 50 }, { 60, 70 } });
	assert_int_equal(deliver(f, &nxt, 1, 80), 80);        /* covers all */
	expect_ranges(f, 1, (struct dps_fifo_range[]){ { 1, 81 } });
	assert_int_equal(dps_fifo_used(f), 0);

	/* In-order data that reaches into a range moves over all of it. */
	assert_int_equal(deliver(f, &nxt, 0, 3), 81);
	assert_int_equal(nxt, 81);
	assert_int_equal(dps_fifo_ooo_ranges(f, NULL, 0), 0);
	assert_int_equal(dps_fifo_dequeue(f, out, sizeof(out)), 81);
	assert_true(matches(out, 0, 81));

	/* Two ranges reached by one in-order write; a third stays. */
	assert_int_equal(deliver(f, &nxt, 91, 5), 5);
	assert_int_equal(deliver(f, &nxt, 100, 5), 5);
	assert_int_equal(deliver(f, &nxt, 120, 5), 5);
	assert_int_equal(deliver(f, &nxt, 81, 20), 24);
	expect_ranges(f, 1, (struct dps_fifo_range[]){ { 15, 20 } });
	assert_int_equal(dps_fifo_dequeue(f, out, sizeof(out)), 24);
	assert_true(matches(out, 81, 24));
	dps_fifo_ooo_clear(f);
	assert_int_equal(dps_fifo_ooo_ranges(f, NULL, 0), 0);
	free(f);
}

static void test_ooo_limits(void **state)
{
	struct dps_fifo *f = fifo_new(128);
	uint8_t b[128];
	uint32_t nxt = 0;

	fill(b, 0, sizeof(b));
	assert_int_equal(dps_fifo_enqueue_ooo(f, 0, b, 1), -EINVAL);
	assert_int_equal(dps_fifo_enqueue_ooo(f, 128, b, 1), 0);   /* beyond */
	assert_int_equal(dps_fifo_enqueue_ooo(f, 120, b, 20), 8);  /* clipped */
	assert_int_equal(dps_fifo_enqueue_ooo(f, 5, b, 0), 0);
	dps_fifo_ooo_clear(f);

	/* Fill the table with 32 one-byte ranges at 1, 3, ..., 63. */
	for (uint32_t k = 0; k < DPS_FIFO_OOO_MAX; k++)
		assert_int_equal(deliver(f, &nxt, 2 * k + 1, 1), 1);
	assert_int_equal(dps_fifo_ooo_ranges(f, NULL, 0), DPS_FIFO_OOO_MAX);
	assert_int_equal(deliver(f, &nxt, 70, 1), -ENOBUFS);       /* new range */
	assert_int_equal(deliver(f, &nxt, 64, 1), 1);              /* adjacent: ok */
	assert_int_equal(deliver(f, &nxt, 2, 1), 1);               /* bridges 1 and 3 */
	assert_int_equal(dps_fifo_ooo_ranges(f, NULL, 0), DPS_FIFO_OOO_MAX - 1);
	assert_int_equal(deliver(f, &nxt, 70, 1), 1);              /* room again */
	/* Filling the holes makes everything readable. */
	for (uint32_t k = 2; k < DPS_FIFO_OOO_MAX; k++)
		assert_true(deliver(f, &nxt, 2 * k, 1) > 0);
	assert_int_equal(deliver(f, &nxt, 0, 1), 65);
	assert_int_equal(deliver(f, &nxt, 65, 5), 6);
	assert_int_equal(dps_fifo_used(f), 71);
	assert_int_equal(dps_fifo_dequeue(f, b, sizeof(b)), 71);
	assert_true(matches(b, 0, 71));
	free(f);
}

static void test_ooo_sack_order(void **state)
{
	struct dps_fifo *f = fifo_new(1024);
	struct dps_fifo_range r[4];
	uint32_t nxt = 0;

	deliver(f, &nxt, 100, 10);        /* A */
	deliver(f, &nxt, 300, 10);        /* C */
	deliver(f, &nxt, 200, 10);        /* B */
	expect_ranges(f, 3, (struct dps_fifo_range[]){ { 200, 210 }, { 300, 310 }, { 100, 110 } });
	deliver(f, &nxt, 110, 10);        /* A grows: most recent again */
	expect_ranges(f, 3, (struct dps_fifo_range[]){ { 100, 120 }, { 200, 210 }, { 300, 310 } });
	deliver(f, &nxt, 305, 1);         /* duplicate inside C: C is the latest */
	expect_ranges(f, 3, (struct dps_fifo_range[]){ { 300, 310 }, { 100, 120 }, { 200, 210 } });

	/* Fewer slots than ranges: the most recent ones, total still told. */
	assert_int_equal(dps_fifo_ooo_ranges(f, r, 2), 3);
	assert_int_equal(r[0].start, 300);
	assert_int_equal(r[1].start, 100);

	/* In-order data up to A: offsets now count from the new tail. */
	assert_int_equal(deliver(f, &nxt, 0, 100), 120);
	expect_ranges(f, 2, (struct dps_fifo_range[]){ { 180, 190 }, { 80, 90 } });
	free(f);
}

/*
 * Random segments (in order, out of order, duplicate, overlapping, beyond
 * the window) against a model that keeps one flag and one recency stamp
 * per byte of the window; a consumer drains at random.
 */
static void test_ooo_random_model(void **state)
{
	enum { CAP = 4096, ROUNDS = 200000 };
	static uint8_t have[CAP];      /* model: byte at nxt + i received */
	static uint32_t when[CAP];     /* model: stamp of the last segment over it */
	struct dps_fifo *f = fifo_new(CAP);
	struct dps_fifo_range r[DPS_FIFO_OOO_MAX];
	uint64_t rs = seed;
	uint32_t nxt = 1000, read = 1000, clock = 0; /* stream positions */
	uint8_t out[CAP];

	memset(have, 0, sizeof(have));
	fifo_set_index(f, (uint32_t)seed);
	for (int round = 0; round < ROUNDS; round++) {
		uint32_t used = nxt - read, room = CAP - used;
		uint32_t pos = nxt + rng_below(&rs, room + 64) - 32;
		uint32_t len = 1 + rng_below(&rs, rng_below(&rs, 4) ? 64 : 600);
		uint32_t old_nxt = nxt, off, n_runs = 0;
		int rc;

		if (rng_below(&rs, 4) == 0)
			pos = nxt;
		if (pos + len <= nxt)
			continue;
		rc = deliver(f, &nxt, pos, len);
		if (pos < old_nxt) {
			len -= old_nxt - pos;
			pos = old_nxt;
		}
		off = pos - old_nxt;
		if (off >= room)
			CHECK(rc == 0);
		else if (len > room - off)
			len = room - off;
		if (rc == -ENOBUFS) {
			/* Refused only when it touches no held range and 32 are held. */
			CHECK(dps_fifo_ooo_ranges(f, NULL, 0) == DPS_FIFO_OOO_MAX);
			CHECK(off > 0 && !have[off - 1]);
			for (uint32_t i = off; i <= off + len && i < CAP; i++)
				CHECK(!have[i]);
		} else if (off < room) {
			CHECK(rc >= (int)len);
			clock++;
			for (uint32_t i = off; i < off + len; i++) {
				have[i] = 1;
				when[i] = clock;
			}
		}

		/* The model's readable prefix moves the same way. */
		{
			uint32_t adv = 0;

			while (adv < CAP && have[adv])
				adv++;
			CHECK(nxt - old_nxt == adv);
			memmove(have, have + adv, CAP - adv);
			memset(have + CAP - adv, 0, adv);
			memmove(when, when + adv, (CAP - adv) * sizeof(when[0]));
		}

		/*
		 * Held ranges = runs of received bytes, newest first: a run is
		 * as recent as the newest segment that landed in it.
		 */
		{
			uint32_t n = dps_fifo_ooo_ranges(f, r, DPS_FIFO_OOO_MAX);
			uint32_t prev_stamp = UINT32_MAX;

			for (uint32_t i = 0; i < CAP; i++)
				if (have[i] && (i == 0 || !have[i - 1]))
					n_runs++;
			CHECK(n == n_runs);
			for (uint32_t k = 0; k < n; k++) {
				uint32_t stamp = 0;

				CHECK(r[k].start < r[k].end && r[k].end <= CAP);
				CHECK(r[k].start == 0 || !have[r[k].start - 1]);
				CHECK(r[k].end == CAP || !have[r[k].end]);
				for (uint32_t i = r[k].start; i < r[k].end; i++) {
					CHECK(have[i]);
					stamp = when[i] > stamp ? when[i] : stamp;
				}
				CHECK(stamp < prev_stamp);
				prev_stamp = stamp;
			}
		}

		/* Drain sometimes; data read is the stream in order. */
		if (rng_below(&rs, 3) == 0) {
			uint32_t want = rng_below(&rs, CAP), got;

			got = dps_fifo_dequeue(f, out, want);
			CHECK(got == (want < nxt - read ? want : nxt - read));
			CHECK(matches(out, read, got));
			read += got;
		}
	}
	free(f);
}

/* ---- message queue ---- */

static void test_msgq_basic(void **state)
{
	size_t size = dps_msgq_footprint(8);
	struct dps_msgq *q = aligned_alloc(64, size);
	struct dps_msg m[10] = { 0 }, o[10];

	assert_int_equal(dps_msgq_init(q, 64), -EINVAL);
	assert_int_equal(dps_msgq_init(q, size + 63), 0);
	assert_int_equal(dps_msgq_check(q, size), 0);
	assert_int_equal(dps_msgq_check(q, size - 1), -EINVAL);

	/* Many laps around the ring, in bursts of every size. */
	for (uint32_t seq = 0, lap = 0; lap < 100; lap++) {
		uint32_t n = 1 + lap % 8;

		for (uint32_t i = 0; i < n; i++) {
			m[i].type = DPS_MSG_RX;
			m[i].session = seq + i;
			m[i].args[5] = ~(uint64_t)(seq + i);
		}
		assert_int_equal(dps_msgq_enqueue(q, m, n), n);
		assert_int_equal(dps_msgq_count(q), n);
		assert_int_equal(dps_msgq_dequeue(q, o, 10), n);
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(o[i].session, seq + i);
			assert_int_equal(o[i].args[5], ~(uint64_t)(seq + i));
		}
		seq += n;
	}
	assert_int_equal(dps_msgq_enqueue(q, m, 10), 8);    /* full */
	assert_int_equal(dps_msgq_enqueue(q, m, 1), 0);
	assert_int_equal(dps_msgq_dequeue(q, o, 3), 3);
	assert_int_equal(dps_msgq_enqueue(q, m, 10), 3);
	assert_int_equal(dps_msgq_dequeue(q, o, 10), 8);
	assert_int_equal(dps_msgq_dequeue(q, o, 10), 0);
	free(q);
}

static void test_msgq_wakeup_protocol(void **state)
{
	size_t size = dps_msgq_footprint(16);
	struct dps_msgq *q = aligned_alloc(64, size);
	struct dps_msg m = { .type = DPS_MSG_ACCEPTED, .session = 7 }, o;
	struct pollfd pfd;
	int efd = dps_eventfd_open();

	assert_true(efd >= 0);
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	assert_int_equal(dps_msgq_init(q, size), 0);

	/* A consumer that does not sleep is never signalled. */
	assert_int_equal(dps_msgq_enqueue(q, &m, 1), 1);
	assert_int_equal(dps_msgq_notify(q, efd), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);

	/* Messages waiting: the consumer must not block. */
	assert_int_equal(dps_msgq_sleep_begin(q), -EAGAIN);
	assert_int_equal(dps_msgq_notify(q, efd), 0);
	assert_int_equal(dps_msgq_dequeue(q, &o, 1), 1);

	/* Sleeping consumer: one signal, however many messages follow. */
	assert_int_equal(dps_msgq_sleep_begin(q), 0);
	assert_int_equal(dps_msgq_enqueue(q, &m, 1), 1);
	assert_int_equal(dps_msgq_notify(q, efd), 1);
	assert_int_equal(dps_msgq_enqueue(q, &m, 1), 1);
	assert_int_equal(dps_msgq_notify(q, efd), 0);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	dps_msgq_sleep_end(q);
	assert_int_equal(dps_eventfd_drain(efd), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(dps_msgq_dequeue(q, &o, 1), 1);

	/* wait: messages already there; a timeout; no eventfd at all. */
	assert_int_equal(dps_msgq_wait(q, efd, 1000), 1);
	assert_int_equal(dps_msgq_dequeue(q, &o, 1), 1);
	assert_int_equal(dps_msgq_wait(q, efd, 10), 0);
	assert_int_equal(dps_msgq_sleep_begin(q), 0);
	assert_int_equal(dps_msgq_enqueue(q, &m, 1), 1);
	assert_int_equal(dps_msgq_notify(q, -1), 0);
	dps_msgq_sleep_end(q);
	close(efd);
	free(q);
}

struct msgq_pair {
	struct dps_msgq *q;
	int efd;
	uint32_t total;
	int stop;                /* atomic: the consumer gave up */
};

static void *msgq_producer(void *arg)
{
	struct msgq_pair *p = arg;
	struct dps_msg m[16] = { 0 };
	uint64_t rs = seed ^ 0x1234;

	for (uint32_t seq = 0; seq < p->total &&
	     !__atomic_load_n(&p->stop, __ATOMIC_RELAXED);) {
		uint32_t n = 1 + rng_below(&rs, 16), k;

		if (n > p->total - seq)
			n = p->total - seq;
		for (k = 0; k < n; k++)
			m[k].session = seq + k;
		k = dps_msgq_enqueue(p->q, m, n);
		seq += k;
		if (dps_msgq_notify(p->q, p->efd) < 0)
			abort();
		if (k == 0 || rng_below(&rs, 64) == 0)
			sched_yield();   /* let the consumer run dry and sleep */
	}
	return NULL;
}

/* Consumer that always sleeps when idle: a lost wake-up shows as a timeout. */
static void test_msgq_threads(void **state)
{
	size_t size = dps_msgq_footprint(64);
	struct msgq_pair p = { .q = aligned_alloc(64, size), .efd = dps_eventfd_open(),
			       .total = 200000 };
	struct dps_msg o[32];
	pthread_t t;
	uint32_t seq = 0, sleeps = 0, lost = 0, misordered = 0;

	assert_int_equal(dps_msgq_init(p.q, size), 0);
	assert_true(p.efd >= 0);
	assert_int_equal(pthread_create(&t, NULL, msgq_producer, &p), 0);
	while (seq < p.total && lost == 0 && misordered == 0) {
		uint32_t n = dps_msgq_dequeue(p.q, o, 32);

		for (uint32_t i = 0; i < n; i++, seq++)
			misordered += o[i].session != seq;
		if (n == 0) {
			int rc = dps_msgq_wait(p.q, p.efd, 2000);

			sleeps++;
			lost += rc <= 0;
		}
	}
	__atomic_store_n(&p.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	CHECK(lost == 0);
	CHECK(misordered == 0);
	CHECK(seq == p.total);
	print_message("msgq: %u messages, consumer slept %u times\n", seq, sleeps);
	close(p.efd);
	free(p.q);
}

/* ---- stress: two threads, two processes ---- */

#define PAT_LEN   65521u  /* prime: a lost or repeated chunk cannot line up */
#define MAX_CHUNK 16384u

static uint8_t stress_pat[PAT_LEN + MAX_CHUNK];

static void stress_pattern_init(void)
{
	uint64_t rs = 0x9E3779B97F4A7C15ull;

	for (uint32_t i = 0; i < PAT_LEN; i++)
		stress_pat[i] = (uint8_t)rng_next(&rs);
	memcpy(stress_pat + PAT_LEN, stress_pat, MAX_CHUNK);
}

static uint64_t stress_total(void)
{
	const char *e = getenv("DPS_FIFO_STRESS_MB");

	return (uint64_t)(e ? strtoul(e, NULL, 0) : STRESS_MB_DEFAULT) << 20;
}

/*
 * Running checksum of the stream on both sides: a byte sum and a byte
 * count (the compiler vectorises it). Order and position are checked by
 * comparing every byte with the prime-length pattern; the sums catch
 * anything the comparisons could miss, such as a chunk counted twice.
 */
struct sum {
	uint64_t a, b;
};

static void sum_add(struct sum *s, const uint8_t *p, uint32_t len)
{
	uint64_t a = 0;

	for (uint32_t i = 0; i < len; i++)
		a += p[i];
	s->a += a;
	s->b += len;
}

/* Producer: random chunk sizes, copying or zero-copy. */
static uint64_t stress_produce(struct dps_fifo *f, uint64_t total, uint64_t rs,
			       struct sum *sum)
{
	uint64_t pos = 0;

	while (pos < total) {
		uint32_t want = 1 + rng_below(&rs, rng_below(&rs, 8) ? 2048 : MAX_CHUNK);
		const uint8_t *src = stress_pat + pos % PAT_LEN;
		uint32_t n;

		if (want > total - pos)
			want = (uint32_t)(total - pos);
		if (rng_below(&rs, 2)) {
			n = dps_fifo_enqueue(f, src, want);
		} else {
			struct dps_fifo_seg s[2];

			n = dps_fifo_write_segs(f, 0, want, s);
			memcpy(s[0].data, src, s[0].len);
			memcpy(s[1].data, src + s[0].len, s[1].len);
			if (dps_fifo_enqueue_commit(f, n) != n)
				abort();
		}
		sum_add(sum, src, n);
		pos += n;
		if (n == 0)
			sched_yield();
	}
	return pos;
}

/* Consumer: dequeue, peek + drop, or zero-copy read + drop; check all. */
static uint64_t stress_consume(struct dps_fifo *f, uint64_t total, uint64_t rs,
			       struct sum *sum, uint64_t *bad)
{
	static __thread uint8_t buf[MAX_CHUNK];
	uint64_t pos = 0;

	while (pos < total) {
		uint32_t want = 1 + rng_below(&rs, rng_below(&rs, 8) ? 2048 : MAX_CHUNK);
		const uint8_t *ref = stress_pat + pos % PAT_LEN;
		uint32_t n, mode = rng_below(&rs, 3);

		if (mode == 0) {
			n = dps_fifo_dequeue(f, buf, want);
			*bad += memcmp(buf, ref, n) != 0;
			sum_add(sum, buf, n);
		} else if (mode == 1) {
			uint32_t off = rng_below(&rs, 64);

			/* A retransmission look-ahead first, then the head. */
			n = dps_fifo_peek(f, off, buf, want);
			*bad += memcmp(buf, stress_pat + (pos + off) % PAT_LEN, n) != 0;
			n = dps_fifo_peek(f, 0, buf, want);
			*bad += memcmp(buf, ref, n) != 0;
			sum_add(sum, buf, n);
			if (dps_fifo_drop(f, n) != n)
				abort();
		} else {
			struct dps_fifo_seg s[2];

			n = dps_fifo_read_segs(f, 0, want, s);
			*bad += memcmp(s[0].data, ref, s[0].len) != 0;
			*bad += memcmp(s[1].data, ref + s[0].len, s[1].len) != 0;
			sum_add(sum, s[0].data, s[0].len);
			sum_add(sum, s[1].data, s[1].len);
			if (dps_fifo_drop(f, n) != n)
				abort();
		}
		pos += n;
		if (n == 0)
			sched_yield();
	}
	return pos;
}

struct stress_arg {
	struct dps_fifo *f;
	uint64_t total, moved;
	struct sum sum;
};

static void *stress_producer(void *arg)
{
	struct stress_arg *a = arg;

	a->moved = stress_produce(a->f, a->total, seed ^ 0xabcdef, &a->sum);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_stress_threads(void **state)
{
	struct stress_arg a = { .f = fifo_new(1 << 16), .total = stress_total() };
	struct sum sum = { 0, 0 };
	uint64_t bad = 0, got;
	pthread_t t;
	double t0;

	stress_pattern_init();
	fifo_set_index(a.f, UINT32_MAX - 1000);
	t0 = now_s();
	assert_int_equal(pthread_create(&t, NULL, stress_producer, &a), 0);
	got = stress_consume(a.f, a.total, seed ^ 0x55aa, &sum, &bad);
	pthread_join(t, NULL);
	print_message("fifo threads: %" PRIu64 " MiB in %.2f s, %.0f MB/s\n",
		      got >> 20, now_s() - t0, got / (now_s() - t0) / 1e6);
	CHECK(bad == 0);
	CHECK(got == a.total && a.moved == a.total);
	CHECK(sum.a == a.sum.a && sum.b == a.sum.b);
	CHECK(dps_fifo_used(a.f) == 0);
	free(a.f);
}

/*
 * The same between two processes: one memfd, mapped by the child again at
 * another address (the inherited mapping is dropped), so only offsets in
 * the shared header can work.
 */
static void test_stress_processes(void **state)
{
	enum { CAP = 1 << 16 };
	size_t size = dps_fifo_footprint(CAP);
	uint64_t total = stress_total() / 2;
	struct sum sum = { 0, 0 };
	struct dps_fifo *f;
	int fd, status;
	double t0;
	pid_t pid;

	stress_pattern_init();
	fd = memfd_create("dps-fifo-test", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	f = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(f != MAP_FAILED);
	assert_int_equal(dps_fifo_init(f, size), 0);

	t0 = now_s();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct dps_fifo *g = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		uint64_t bad = 0, got;
		struct sum s = { 0, 0 };

		if (g == MAP_FAILED || g == f || munmap(f, size) != 0 ||
		    dps_fifo_check(g, size) != 0)
			_exit(2);
		got = stress_consume(g, total, seed ^ 0x77, &s, &bad);
		if (bad != 0 || got != total)
			_exit(1);
		/* Hand the checksum back through the (now empty) data area. */
		memcpy((uint8_t *)g + sizeof(*g), &s, sizeof(s));
		_exit(0);
	}
	(void)stress_produce(f, total, seed ^ 0x99, &sum);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	print_message("fifo processes: %" PRIu64 " MiB in %.2f s, %.0f MB/s\n",
		      total >> 20, now_s() - t0, total / (now_s() - t0) / 1e6);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		struct sum child;

		memcpy(&child, (uint8_t *)f + sizeof(*f), sizeof(child));
		CHECK(child.a == sum.a && child.b == sum.b);
	}
	CHECK(dps_fifo_used(f) == 0);
	munmap(f, size);
	close(fd);
}

int main(void)
{
	const char *e = getenv("DPS_TEST_SEED");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_wrap_every_boundary),
		cmocka_unit_test(test_partial_enqueue),
		cmocka_unit_test(test_peek_across_wrap),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_zero_copy_segs),
		cmocka_unit_test(test_ooo_every_order),
		cmocka_unit_test(test_ooo_overlap_and_merge),
		cmocka_unit_test(test_ooo_limits),
		cmocka_unit_test(test_ooo_sack_order),
		cmocka_unit_test(test_ooo_random_model),
		cmocka_unit_test(test_msgq_basic),
		cmocka_unit_test(test_msgq_wakeup_protocol),
		cmocka_unit_test(test_msgq_threads),
		cmocka_unit_test(test_stress_threads),
		cmocka_unit_test(test_stress_processes),
	};

	seed = e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
	if (seed == 0)
		seed = 1;
	printf("test_fifo: seed %" PRIu64 "\n", seed);
	fflush(stdout);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
