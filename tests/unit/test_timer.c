/*
 * Timing wheel: exact due instants across every level boundary, order,
 * stop, restart from callbacks, long jumps, a worker that only wakes at
 * next_deadline(), and a seeded random run of 1,000,000 timers checked
 * against a reference (a binary heap of due instants).
 *
 * Seeded tests print their seed; DPS_TEST_SEED=<n> runs another one.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/timer.h"

#define NS_MS 1000000ull
#define NS_S  1000000000ull
#define NS_H  (3600ull * NS_S)
#define NS_DAY (24ull * NS_H)
#define NS_YEAR (365ull * NS_DAY)

/* ---- helpers ---- */

static uint64_t rng_state;

/* splitmix64: tiny, good enough, and the same on every platform. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t test_seed(const char *name)
{
	const char *env = getenv("DPS_TEST_SEED");
	/* Fixed by default so that CI runs are reproducible (STYLE.md 16). */
	uint64_t seed = env ? strtoull(env, NULL, 0) : 20240601;

	print_message("%s: seed %" PRIu64 " (replay with DPS_TEST_SEED=%" PRIu64 ")\n",
		      name, seed, seed);
	return seed;
}

/*
 * The due instant by the rule of timer.h, computed independently of the
 * wheel: deadline rounded up to a tick, but not before tick `min_tick`.
 * UINT64_MAX when the instant does not fit in 64 bits (never runs).
 */
static uint64_t ref_due(uint64_t start, uint64_t tick, uint64_t deadline, uint64_t min_tick)
{
	unsigned __int128 e = 0, ns;

	if (deadline > start)
		e = ((unsigned __int128)(deadline - start) + tick - 1) / tick;
	if (e < min_tick)
		e = min_tick;
	ns = (unsigned __int128)start + e * tick;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_S + (uint64_t)ts.tv_nsec;
}

/* A simple owner: records when and in which order it ran. */
struct rec {
	int id;
	struct dps_timer t;
	uint64_t due;        /* expected due instant */
	unsigned runs;
	uint64_t ran_at;     /* now passed to the callback */
	unsigned order;      /* global run counter when it ran */
};

static unsigned run_counter;

static void rec_fire(struct dps_wheel *w, struct dps_timer *t, uint64_t now)
{
	struct rec *r = dps_timer_owner(t, struct rec, t);

	assert_false(dps_timer_pending(t));
	assert_int_equal(dps_wheel_now(w), now);
	r->runs++;
	r->ran_at = now;
	r->order = run_counter++;
}

static void rec_init(struct rec *r, int id, dps_timer_fn fn)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	dps_timer_init(&r->t, fn ? fn : rec_fire);
}

/* ---- basic API ---- */

static void test_init_errors(void **state)
{
	struct dps_wheel w;

	assert_int_equal(dps_wheel_init(NULL, 1000, 0), -EINVAL);
	assert_int_equal(dps_wheel_init(&w, 0, 0), -EINVAL);
	assert_int_equal(dps_wheel_init(&w, 1000, 5), 0);
	assert_int_equal(dps_wheel_count(&w), 0);
	assert_int_equal(dps_wheel_now(&w), 5);
	assert_true(dps_wheel_next_deadline(&w) == UINT64_MAX);
	assert_int_equal(dps_wheel_advance(&w, 1000000), 0);
}

static void test_start_stop(void **state)
{
	struct dps_wheel w;
	struct rec a, b;

	assert_int_equal(dps_wheel_init(&w, NS_MS, 0), 0);
	rec_init(&a, 0, NULL);
	rec_init(&b, 1, NULL);

	/* Stop is safe on a timer never started, and twice. */
	dps_timer_stop(&w, &a.t);
	assert_false(dps_timer_pending(&a.t));

	dps_timer_start_at(&w, &a.t, 10 * NS_MS);
	dps_timer_start_in(&w, &b.t, 20 * NS_MS);
	assert_true(dps_timer_pending(&a.t));
	assert_int_equal(dps_wheel_count(&w), 2);
	assert_true(dps_timer_deadline(&b.t) == 20 * NS_MS);
	assert_true(dps_wheel_next_deadline(&w) == 10 * NS_MS);

	/* Restart moves, does not duplicate. */
	dps_timer_start_at(&w, &a.t, 30 * NS_MS);
	assert_int_equal(dps_wheel_count(&w), 2);
	assert_true(dps_wheel_next_deadline(&w) == 20 * NS_MS);

	dps_timer_stop(&w, &b.t);
	dps_timer_stop(&w, &b.t);
	assert_int_equal(dps_wheel_count(&w), 1);
	assert_true(dps_wheel_next_deadline(&w) == 30 * NS_MS);

	/* Stop before fire: nothing runs, even long after. */
	dps_timer_stop(&w, &a.t);
	assert_int_equal(dps_wheel_count(&w), 0);
	assert_true(dps_wheel_next_deadline(&w) == UINT64_MAX);
	assert_int_equal(dps_wheel_advance(&w, NS_H), 0);
	assert_int_equal(a.runs + b.runs, 0);

	/* Sub-tick deadline: rounded up, never early. */
	dps_timer_start_at(&w, &a.t, NS_H + 1);
	assert_true(dps_wheel_next_deadline(&w) == NS_H + NS_MS);
	assert_int_equal(dps_wheel_advance(&w, NS_H + NS_MS - 1), 0);
	assert_int_equal(dps_wheel_advance(&w, NS_H + NS_MS), 1);
	assert_int_equal(a.runs, 1);
	/* Stop after it ran: no-op. */
	dps_timer_stop(&w, &a.t);
	assert_int_equal(dps_wheel_count(&w), 0);

	/* A deadline already passed runs at the next advance, whatever its now;
	 * next_deadline says "now" meanwhile. */
	dps_timer_start_at(&w, &b.t, 5 * NS_MS);
	assert_true(dps_wheel_next_deadline(&w) <= dps_wheel_now(&w));
	assert_int_equal(dps_wheel_advance(&w, 0), 1);
	assert_int_equal(b.runs, 1);
	assert_true(b.ran_at == NS_H + NS_MS);

	/* Time does not go back. */
	dps_timer_start_in(&w, &a.t, 2 * NS_MS);
	assert_int_equal(dps_wheel_advance(&w, 7), 0);
	assert_true(dps_wheel_now(&w) == NS_H + NS_MS);
	assert_int_equal(dps_wheel_advance(&w, NS_H + 3 * NS_MS), 1);
}

/* ---- exact instants at every level boundary ---- */

#define BMAX 128

static int cmp_due(const void *x, const void *y)
{
	const struct rec *a = *(struct rec *const *)x, *b = *(struct rec *const *)y;

	return a->due < b->due ? -1 : a->due > b->due;
}

/*
 * Start timers 2^(6l) - 1, 2^(6l) and 2^(6l) + 1 ticks ahead (each +-1 ns)
 * from a wheel advanced to `base`, for every level l, then walk them: just
 * before each due instant nothing runs, at it exactly its timers run.
 */
static void boundary_case(uint64_t tick, uint64_t base)
{
	static struct dps_wheel w;
	static struct rec recs[BMAX];
	struct rec *sorted[BMAX];
	const uint64_t start = 12345;
	unsigned __int128 base_ns = (unsigned __int128)start + (unsigned __int128)base * tick;
	int n = 0, i, j;

	if (base_ns > UINT64_MAX / 2)
		return;
	assert_int_equal(dps_wheel_init(&w, tick, start), 0);
	dps_wheel_advance(&w, (uint64_t)base_ns);

	for (unsigned l = 0; l < DPS_WHEEL_LEVELS; l++) {
		for (int dd = -1; dd <= 1; dd++) {
			for (int off = -1; off <= 1; off++) {
				unsigned __int128 d = base_ns + ((unsigned __int128)(1ull << (6 * l)) + dd) * tick;
				struct rec *r;

				if ((__int128)d + off < 0 || d + off > UINT64_MAX)
					continue;
				d += off;
				r = &recs[n];
				rec_init(r, n, NULL);
				r->due = ref_due(start, tick, (uint64_t)d, base);
				if (r->due == UINT64_MAX)
					continue;
				dps_timer_start_at(&w, &r->t, (uint64_t)d);
				sorted[n] = r;
				n++;
				assert_true(n < BMAX);
			}
		}
	}
	assert_int_equal(dps_wheel_count(&w), n);
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cmp_due);

	/* Those due at or before the wheel's time run at the next advance. */
	run_counter = 0;
	dps_wheel_advance(&w, dps_wheel_now(&w));
	for (i = 0; i < n && sorted[i]->due <= dps_wheel_now(&w); i++)
		assert_int_equal(sorted[i]->runs, 1);
	assert_int_equal(run_counter, i);

	while (i < n) {
		uint64_t due = sorted[i]->due, nd = dps_wheel_next_deadline(&w);

		assert_true(nd <= due);
		assert_true(nd > dps_wheel_now(&w));
		assert_int_equal(dps_wheel_advance(&w, due - 1), 0);
		assert_int_equal(sorted[i]->runs, 0);
		for (j = i; j < n && sorted[j]->due == due; j++)
			;
		assert_int_equal(dps_wheel_advance(&w, due), j - i);
		for (; i < j; i++) {
			assert_int_equal(sorted[i]->runs, 1);
			assert_true(sorted[i]->ran_at == due);
			/* Never early, less than a tick late (none is overdue here). */
			assert_true(dps_timer_deadline(&sorted[i]->t) <= due);
			assert_true(due - dps_timer_deadline(&sorted[i]->t) < tick);
		}
	}
	assert_int_equal(dps_wheel_count(&w), 0);
	assert_true(dps_wheel_next_deadline(&w) == UINT64_MAX);
	for (i = 0; i < n; i++)
		assert_int_equal(recs[i].runs, 1);
}

static void test_level_boundaries(void **state)
{
	static const uint64_t ticks[] = { 1, 7, 1000, 1024, NS_MS };
	static const uint64_t bases[] = {
		0, 1, 62, 63, 64, 4095, 4096, (1ull << 18) - 1, (1ull << 18) + 1,
		(1ull << 30) - 2, (1ull << 36) + 5, (1ull << 42) - 64, (1ull << 54) - 1,
		(1ull << 60) - 1,
	};

	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++)
		for (size_t j = 0; j < sizeof(bases) / sizeof(bases[0]); j++)
			boundary_case(ticks[i], bases[j]);
}

/* One long advance over every level: tick order is kept. */
static void test_order_in_one_advance(void **state)
{
	static struct dps_wheel w;
	static struct rec recs[1000];
	const uint64_t tick = 1000;

	rng_state = 42;
	assert_int_equal(dps_wheel_init(&w, tick, 0), 0);
	for (int i = 0; i < 1000; i++) {
		uint64_t d = rnd_below(1ull << rnd_below(50));

		rec_init(&recs[i], i, NULL);
		recs[i].due = ref_due(0, tick, d, 0);
		dps_timer_start_at(&w, &recs[i].t, d);
	}
	run_counter = 0;
	assert_int_equal(dps_wheel_advance(&w, UINT64_MAX / 2), 1000);
	for (int i = 0; i < 1000; i++)
		for (int j = 0; j < 1000; j++)
			if (recs[i].due < recs[j].due)
				assert_true(recs[i].order < recs[j].order);
}

/* ---- callbacks that change the wheel ---- */

struct periodic {
	struct dps_timer t;
	uint64_t period;
	unsigned runs;
	uint64_t last_deadline;
	uint64_t tick;
};

/* Drift-free period: the next deadline follows the last one, not now. */
static void periodic_fire(struct dps_wheel *w, struct dps_timer *t, uint64_t now)
{
	struct periodic *p = dps_timer_owner(t, struct periodic, t);

	assert_true(now >= dps_timer_deadline(t));
	p->runs++;
	p->last_deadline = dps_timer_deadline(t);
	dps_timer_start_at(w, t, dps_timer_deadline(t) + p->period);
}

static void test_periodic(void **state)
{
	struct dps_wheel w;
	struct periodic p = { .period = 10 * NS_MS + 3 };
	uint64_t now;

	/* Stepping tick by tick: runs exactly at each rounded-up deadline. */
	assert_int_equal(dps_wheel_init(&w, NS_MS, 0), 0);
	dps_timer_init(&p.t, periodic_fire);
	dps_timer_start_at(&w, &p.t, p.period);
	for (now = 0; now <= 1000 * NS_MS; now += NS_MS) {
		unsigned before = p.runs;

		dps_wheel_advance(&w, now);
		if (p.runs != before) {
			assert_int_equal(p.runs, before + 1);
			assert_true(now == ref_due(0, NS_MS, p.last_deadline, 0));
		}
	}
	/* Deadlines k * period for k = 1.. up to 1 s. */
	assert_int_equal(p.runs, (1000 * NS_MS) / p.period);
	assert_true(dps_timer_pending(&p.t));

	/* One jump over 100 periods catches up in order, once per period. */
	p.runs = 0;
	dps_wheel_advance(&w, ref_due(0, NS_MS, dps_timer_deadline(&p.t) + 99 * p.period, 0));
	assert_int_equal(p.runs, 100);
	assert_int_equal(dps_wheel_count(&w), 1);
	dps_timer_stop(&w, &p.t);
	assert_int_equal(dps_wheel_count(&w), 0);
}

/* A zero period (restart at its own deadline): once per tick, no loop. */
static void test_zero_period(void **state)
{
	struct dps_wheel w;
	struct periodic p = { .period = 0 };

	assert_int_equal(dps_wheel_init(&w, NS_MS, 0), 0);
	dps_timer_init(&p.t, periodic_fire);
	dps_timer_start_at(&w, &p.t, 0);
	/* Due now: runs at tick 0, then once at every tick 1..100. */
	assert_int_equal(dps_wheel_advance(&w, 100 * NS_MS), 101);
	assert_int_equal(dps_wheel_advance(&w, 100 * NS_MS), 0);
	assert_int_equal(dps_wheel_advance(&w, 101 * NS_MS + 5), 1);
	dps_timer_stop(&w, &p.t);
}

/* Several timers and a script of what the first one does when it runs. */
static struct {
	struct dps_wheel w;
	struct rec a, same_tick, later, started, past, self;
} cb;

static void script_fire(struct dps_wheel *w, struct dps_timer *t, uint64_t now)
{
	rec_fire(w, t, now);
	/* Stop one due at the same tick (after us: same tick runs in start
	 * order) and one due later in the same advance. */
	dps_timer_stop(w, &cb.same_tick.t);
	dps_timer_stop(w, &cb.later.t);
	/* Start one due later in this advance, one in the past. */
	dps_timer_start_at(w, &cb.started.t, 50 * NS_MS);
	dps_timer_start_at(w, &cb.past.t, 1);
	/* Start and stop ourselves again: must not run twice. */
	dps_timer_start_at(w, t, now + NS_MS);
	dps_timer_stop(w, t);
	dps_timer_stop(w, t);
}

static void test_callback_changes_wheel(void **state)
{
	struct dps_wheel *w = &cb.w;

	assert_int_equal(dps_wheel_init(w, NS_MS, 0), 0);
	rec_init(&cb.a, 0, script_fire);
	rec_init(&cb.same_tick, 1, NULL);
	rec_init(&cb.later, 2, NULL);
	rec_init(&cb.started, 3, NULL);
	rec_init(&cb.past, 4, NULL);
	dps_timer_start_at(w, &cb.a.t, 10 * NS_MS);
	dps_timer_start_at(w, &cb.same_tick.t, 10 * NS_MS - 5);
	dps_timer_start_at(w, &cb.later.t, 30 * NS_MS);
	run_counter = 0;
	assert_int_equal(dps_wheel_advance(w, 100 * NS_MS), 3);
	assert_int_equal(cb.a.runs, 1);
	assert_int_equal(cb.same_tick.runs, 0);
	assert_int_equal(cb.later.runs, 0);
	/* The past one is due at the tick after the running one (tick 11),
	 * before the one started for 50 ms. */
	assert_int_equal(cb.past.runs, 1);
	assert_int_equal(cb.past.order, 1);
	assert_int_equal(cb.started.runs, 1);
	assert_int_equal(cb.started.order, 2);
	assert_int_equal(dps_wheel_count(w), 0);
}

/* A callback may free the object holding its timer (ASan checks). */
struct owned {
	int payload;
	struct dps_timer t;
};

static unsigned freed;

static void free_fire(struct dps_wheel *w, struct dps_timer *t, uint64_t now)
{
	free(dps_timer_owner(t, struct owned, t));
	freed++;
}

static void test_callback_frees_owner(void **state)
{
	struct dps_wheel w;

	assert_int_equal(dps_wheel_init(&w, NS_MS, 0), 0);
	freed = 0;
	for (int i = 0; i < 100; i++) {
		struct owned *o = calloc(1, sizeof(*o));

		assert_non_null(o);
		dps_timer_init(&o->t, free_fire);
		dps_timer_start_at(&w, &o->t, (uint64_t)(i % 7) * NS_MS);
	}
	assert_int_equal(dps_wheel_advance(&w, NS_S), 100);
	assert_int_equal(freed, 100);
}

/* ---- time jumping far ---- */

static void test_large_jumps(void **state)
{
	static struct dps_wheel w;
	static const uint64_t at[] = { NS_S, NS_H, 49 * NS_DAY, 10 * NS_YEAR, 500 * NS_YEAR };
	struct rec recs[5], never;
	uint64_t start = 777;

	assert_int_equal(dps_wheel_init(&w, NS_MS, start), 0);
	for (int i = 0; i < 5; i++) {
		rec_init(&recs[i], i, NULL);
		dps_timer_start_at(&w, &recs[i].t, start + at[i]);
	}
	rec_init(&never, 9, NULL);
	dps_timer_start_at(&w, &never.t, UINT64_MAX);

	/* Over two hours: the first two, and the wheel jumps, not steps. */
	run_counter = 0;
	assert_int_equal(dps_wheel_advance(&w, start + 2 * NS_H), 2);
	assert_true(recs[1].order > recs[0].order);
	/* Over centuries in one call. */
	assert_int_equal(dps_wheel_advance(&w, start + 550 * NS_YEAR), 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(recs[i].order, i);
	assert_true(recs[4].ran_at == start + 550 * NS_YEAR);
	/* Each timer moved down at most once per level. */
	assert_true(w.n_cascaded <= 6 * (DPS_WHEEL_LEVELS - 1));
	/* A deadline whose tick instant is past the 64-bit clock never runs. */
	assert_int_equal(dps_wheel_advance(&w, UINT64_MAX), 0);
	assert_true(dps_timer_pending(&never.t));
	assert_true(dps_wheel_next_deadline(&w) == UINT64_MAX);
	dps_timer_stop(&w, &never.t);

	/* 1 ns ticks, an empty wheel, 2^63 ticks in one call: must not step. */
	assert_int_equal(dps_wheel_init(&w, 1, 0), 0);
	assert_int_equal(dps_wheel_advance(&w, 1ull << 63), 0);
	rec_init(&recs[0], 0, NULL);
	dps_timer_start_at(&w, &recs[0].t, (1ull << 63) + (1ull << 62) + 12345);
	assert_int_equal(dps_wheel_advance(&w, UINT64_MAX - 1), 1);
	assert_true(recs[0].ran_at == UINT64_MAX - 1);

	/* The end of time: start_in saturates, and a zero period at the last
	 * ticks stops at the last tick that can run instead of looping. */
	dps_timer_start_in(&w, &recs[0].t, UINT64_MAX);
	assert_true(dps_timer_deadline(&recs[0].t) == UINT64_MAX);
	dps_timer_stop(&w, &recs[0].t);
	{
		struct periodic p = { .period = 0 };

		assert_int_equal(dps_wheel_init(&w, 1, 0), 0);
		dps_timer_init(&p.t, periodic_fire);
		dps_timer_start_at(&w, &p.t, UINT64_MAX - 2);
		assert_int_equal(dps_wheel_advance(&w, UINT64_MAX), 2);
		assert_true(dps_timer_pending(&p.t));
		assert_true(dps_wheel_next_deadline(&w) == UINT64_MAX);
	}
}

/* ---- a worker that sleeps until next_deadline() ---- */

static uint64_t sw_start, sw_tick;
static unsigned sw_late;

static void sleeper_fire(struct dps_wheel *w, struct dps_timer *t, uint64_t now)
{
	struct rec *r = dps_timer_owner(t, struct rec, t);

	/* Woken exactly at the due instant: never oversleeps. */
	if (now != r->due)
		sw_late++;
	r->runs++;
	/* Some re-arm, to have callbacks insert while the worker sleeps. */
	if (r->runs < 4 && (rnd() & 3) == 0) {
		uint64_t d = now + rnd_below(1ull << rnd_below(30));

		r->due = ref_due(sw_start, sw_tick, d, (now - sw_start) / sw_tick + 1);
		dps_timer_start_at(w, t, d);
	}
}

static void test_sleeping_worker(void **state)
{
	static struct dps_wheel w;
	enum { N = 20000 };
	struct rec *recs = calloc(N, sizeof(*recs));
	unsigned wakes = 0;

	assert_non_null(recs);
	rng_state = test_seed("sleeping_worker");
	sw_start = rnd_below(1ull << 40);
	sw_tick = (rnd() & 1) ? 1000 : 999983;
	sw_late = 0;
	assert_int_equal(dps_wheel_init(&w, sw_tick, sw_start), 0);
	for (int i = 0; i < N; i++) {
		uint64_t d = sw_start + 1 + rnd_below(1ull << rnd_below(44));

		rec_init(&recs[i], i, sleeper_fire);
		recs[i].due = ref_due(sw_start, sw_tick, d, 0);
		dps_timer_start_at(&w, &recs[i].t, d);
	}
	for (;;) {
		uint64_t nd = dps_wheel_next_deadline(&w);

		if (nd == UINT64_MAX)
			break;
		/* A wake-up is never for nothing already past. */
		assert_true(nd > dps_wheel_now(&w));
		dps_wheel_advance(&w, nd);
		wakes++;
	}
	assert_int_equal(sw_late, 0);
	assert_int_equal(dps_wheel_count(&w), 0);
	print_message("sleeping_worker: %u wake-ups for %" PRIu64 " runs, %" PRIu64 " moves\n",
		      wakes, w.n_run, w.n_cascaded);
	free(recs);
}

/* ---- 1,000,000 random timers against a reference ---- */

enum { R_IDLE, R_PENDING, R_STOPPED, R_RAN };

struct rt {
	struct dps_timer t;
	uint64_t due;       /* reference due instant of the current arming */
	uint32_t gen;       /* arming number, to spot stale heap entries */
	uint8_t state;
	uint8_t runs;       /* runs of the current arming */
};

struct hent {
	uint64_t due;
	uint32_t idx;
	uint32_t gen;
};

static struct {
	struct dps_wheel w;
	struct rt *rt;
	uint32_t n;
	struct hent *heap;
	size_t hn, hcap;
	uint64_t start, tick;
	uint64_t pending;       /* reference count */
	uint64_t last_due;      /* due of the last run, to check order */
	uint64_t runs;
	unsigned long errors;
} R;

#define R_CHECK(cond) do { if (!(cond)) { R.errors++; \
	if (R.errors < 10) print_message("check failed line %d: %s\n", __LINE__, #cond); } } while (0)

static void heap_push(uint64_t due, uint32_t idx, uint32_t gen)
{
	size_t i;

	if (R.hn == R.hcap) {
		R.hcap = R.hcap ? 2 * R.hcap : 1024;
		R.heap = realloc(R.heap, R.hcap * sizeof(R.heap[0]));
		assert_non_null(R.heap);
	}
	i = R.hn++;
	while (i > 0 && R.heap[(i - 1) / 2].due > due) {
		R.heap[i] = R.heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	R.heap[i] = (struct hent){ due, idx, gen };
}

static void heap_pop(void)
{
	struct hent last = R.heap[--R.hn];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= R.hn)
			break;
		if (c + 1 < R.hn && R.heap[c + 1].due < R.heap[c].due)
			c++;
		if (R.heap[c].due >= last.due)
			break;
		R.heap[i] = R.heap[c];
		i = c;
	}
	if (R.hn)
		R.heap[i] = last;
}

/* Earliest due instant among pending timers, stale entries dropped. */
static uint64_t heap_min(void)
{
	while (R.hn) {
		struct hent *h = &R.heap[0];

		if (R.rt[h->idx].state == R_PENDING && R.rt[h->idx].gen == h->gen)
			return h->due;
		heap_pop();
	}
	return UINT64_MAX;
}

static void r_arm(uint32_t i, uint64_t deadline, uint64_t min_tick)
{
	struct rt *r = &R.rt[i];

	if (r->state != R_PENDING)
		R.pending++;
	r->state = R_PENDING;
	r->gen++;
	r->runs = 0;
	r->due = ref_due(R.start, R.tick, deadline, min_tick);
	heap_push(r->due, i, r->gen);
	dps_timer_start_at(&R.w, &r->t, deadline);
}

static void r_stop(uint32_t i)
{
	struct rt *r = &R.rt[i];

	if (r->state == R_PENDING) {
		r->state = R_STOPPED;
		R.pending--;
	}
	dps_timer_stop(&R.w, &r->t);
}

/* A deadline around `now`: mostly ahead at every scale, sometimes past. */
static uint64_t r_deadline(uint64_t now)
{
	if ((rnd() & 15) == 0)
		return R.start + rnd_below(now - R.start + 1);
	return now + rnd_below(R.tick << rnd_below(40));
}

static void r_fire(struct dps_wheel *w, struct dps_timer *t, uint64_t now)
{
	struct rt *r = dps_timer_owner(t, struct rt, t);
	uint32_t i = (uint32_t)(r - R.rt);
	uint64_t cur_tick = (r->due - R.start) / R.tick;

	R_CHECK(r->state == R_PENDING);         /* stopped or ran: must not run */
	R_CHECK(r->runs == 0);                  /* exactly once per arming */
	R_CHECK(now >= dps_timer_deadline(t));  /* never early */
	R_CHECK(now >= r->due);
	R_CHECK(r->due >= R.last_due);          /* in due order */
	R_CHECK(!dps_timer_pending(t));
	r->state = R_RAN;
	r->runs++;
	R.pending--;
	R.last_due = r->due;
	R.runs++;

	/* While a tick runs, starts are due at the next tick at the earliest. */
	switch (rnd() & 31) {
	case 0: case 1: case 2:
		r_arm(i, r_deadline(now), cur_tick + 1);
		break;
	case 3:
		r_stop((uint32_t)rnd_below(R.n));
		break;
	case 4:
		r_arm((uint32_t)rnd_below(R.n), r_deadline(now), cur_tick + 1);
		break;
	default:
		break;
	}
	/* The count the wheel keeps matches ours at every moment. */
	R_CHECK(dps_wheel_count(w) == R.pending);
}

static void test_random_million(void **state)
{
	uint64_t now, steps = 0, t0;

	memset(&R, 0, sizeof(R));
	rng_state = test_seed("random_million");
	R.n = 1000000;
	R.rt = calloc(R.n, sizeof(R.rt[0]));
	assert_non_null(R.rt);
	switch (rnd() & 3) {
	case 0: R.tick = 1; break;
	case 1: R.tick = 1000; break;
	case 2: R.tick = 1024; break;
	default: R.tick = 999983; break;
	}
	R.start = rnd_below(1ull << 40);
	now = R.start;
	assert_int_equal(dps_wheel_init(&R.w, R.tick, R.start), 0);
	t0 = now_ns();

	for (uint32_t i = 0; i < R.n; i++) {
		dps_timer_init(&R.rt[i].t, r_fire);
		r_arm(i, r_deadline(now), 0);
	}
	/* A random half stopped before anything runs. */
	for (uint32_t i = 0; i < R.n; i++)
		if (rnd() & 1)
			r_stop(i);
	assert_true(dps_wheel_count(&R.w) == R.pending);

	for (;;) {
		uint64_t min = heap_min(), nd = dps_wheel_next_deadline(&R.w);
		uint64_t elapsed = now - R.start, step;

		/* The sleeping bound: never after the earliest pending due. */
		R_CHECK(nd <= min);
		R_CHECK((nd == UINT64_MAX) == (R.pending == 0));
		R_CHECK(dps_wheel_count(&R.w) == R.pending);
		if (R.pending == 0)
			break;

		/* Steps of every size, growing with time, some exactly at (or
		 * one ns either side of) the next due instant. */
		switch (rnd() & 63) {
		case 0: case 1: case 2: case 3:
			step = 0;
			break;
		case 4: case 5: case 6: case 7:
			step = rnd_below(R.tick);
			break;
		case 8: case 9: case 10: case 11: case 12: case 13: case 14: case 15:
			step = min > now ? min - now - 1 + rnd_below(3) : 0;
			break;
		case 16:
			step = elapsed / 2 + rnd_below(R.tick << 20);
			break;
		default:
			step = rnd_below(elapsed / 64 + (R.tick << 8));
			break;
		}
		now += step;
		dps_wheel_advance(&R.w, now);
		steps++;
		/* Everything due by now has run... */
		R_CHECK(heap_min() > now);
		/* ...and what is left is not due yet: a worker would not spin. */
		R_CHECK(dps_wheel_next_deadline(&R.w) > now);

		/* Between advances: restarts (some in the past) and stops. */
		if ((rnd() & 3) == 0) {
			uint64_t cur_tick = (now - R.start) / R.tick;

			for (int k = 0; k < 50; k++) {
				uint32_t i = (uint32_t)rnd_below(R.n);

				if (rnd() & 1)
					r_arm(i, r_deadline(now), cur_tick);
				else
					r_stop(i);
			}
		}
		if (R.errors > 100)
			break;
	}
	print_message("random_million: tick %" PRIu64 " ns, %" PRIu64 " runs, %" PRIu64
		      " steps, %" PRIu64 " moves, %.1f s\n", R.tick, R.runs, steps,
		      R.w.n_cascaded, (double)(now_ns() - t0) / NS_S);
	assert_int_equal(R.errors, 0);
	assert_true(R.runs == R.w.n_run);
	for (uint32_t i = 0; i < R.n; i++)
		assert_true(R.rt[i].state != R_PENDING && !dps_timer_pending(&R.rt[i].t));
	free(R.rt);
	free(R.heap);
}

/* ---- cost, printed, not asserted (benchmarks own performance) ---- */

static void nop_fire(struct dps_wheel *w, struct dps_timer *t, uint64_t now)
{
}

static void test_cost(void **state)
{
	static struct dps_wheel w;
	enum { N = 1000000 };
	struct dps_timer *t = calloc(N, sizeof(*t));
	uint64_t *d = calloc(N, sizeof(*d));
	uint64_t t0, t1, t2, t3, t4;

	assert_non_null(t);
	assert_non_null(d);
	rng_state = 1;
	assert_int_equal(dps_wheel_init(&w, NS_MS, 0), 0);
	/* TCP-like spread: 1 ms to about 2 hours. */
	for (int i = 0; i < N; i++) {
		dps_timer_init(&t[i], nop_fire);
		d[i] = NS_MS + rnd_below(NS_MS << rnd_below(24));
	}
	t0 = now_ns();
	for (int i = 0; i < N; i++)
		dps_timer_start_at(&w, &t[i], d[i]);
	t1 = now_ns();
	for (int i = 0; i < N; i++)
		dps_timer_start_at(&w, &t[i], d[N - 1 - i]);
	t2 = now_ns();
	for (int i = 0; i < N; i++)
		dps_timer_stop(&w, &t[i]);
	t3 = now_ns();
	for (int i = 0; i < N; i++)
		dps_timer_start_at(&w, &t[i], d[i]);
	dps_wheel_advance(&w, UINT64_MAX - 1);
	t4 = now_ns();
	print_message("cost, 1M timers: start %.1f ns/op, restart %.1f ns/op, stop %.1f ns/op,"
		      " start+run %.1f ns/timer (%" PRIu64 " moves)\n",
		      (double)(t1 - t0) / N, (double)(t2 - t1) / N, (double)(t3 - t2) / N,
		      (double)(t4 - t3) / N, w.n_cascaded);
	assert_int_equal(dps_wheel_count(&w), 0);
	free(t);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_level_boundaries),
		cmocka_unit_test(test_order_in_one_advance),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_zero_period),
		cmocka_unit_test(test_callback_changes_wheel),
		cmocka_unit_test(test_callback_frees_owner),
		cmocka_unit_test(test_large_jumps),
		cmocka_unit_test(test_sleeping_worker),
		cmocka_unit_test(test_random_million),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
