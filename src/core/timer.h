/*
 * Per-worker hierarchical timing wheel (DESIGN.md "Time").
 *
 * One wheel per worker, used by that worker's thread only: no locks, no
 * atomics. Timers are embedded in the objects they belong to (a TCP
 * connection holds one struct dps_timer per timer kind), so starting and
 * stopping allocate nothing and cost O(1) whatever the number of timers.
 *
 * Time. The wheel reads no clock (STYLE.md habit 9): the worker passes
 * `now` (ns) to dps_wheel_advance() and asks dps_wheel_next_deadline() how
 * long it may sleep. Deadlines are absolute nanoseconds on that same clock.
 *
 * Resolution. The wheel counts ticks of `tick_ns` from `start_ns`. A timer
 * with deadline d is due at tick e = ceil((d - start_ns) / tick_ns), that
 * is at instant due = start_ns + e * tick_ns, and it runs in the first
 * dps_wheel_advance() whose now >= due. So a timer never runs before its
 * deadline, and runs less than one tick after it: d <= due < d + tick_ns.
 * Two exceptions, both for deadlines the wheel has already passed:
 *  - started outside a callback with d at or before the wheel's current
 *    tick: due at the current tick, i.e. it runs in the next advance(),
 *    whatever its now;
 *  - (re)started from a callback with d at or before the tick being run:
 *    due at the next tick. A periodic timer therefore runs at most once per
 *    tick and a zero period cannot loop forever.
 * Timers due at the same tick run in an unspecified order; timers due at
 * different ticks run in tick order, also within one long advance().
 *
 * Layout. Ticks are 64-bit and the wheel has DPS_WHEEL_LEVELS levels of
 * 64 slots, 6 bits of the tick each, which covers the whole 64-bit tick
 * space: no deadline is out of range, so none needs clamping. A timer sits
 * at the level of the highest 6-bit group in which its due tick differs
 * from the current tick; when the current tick reaches the start of its
 * slot the slot is cascaded (each timer moves down at least one level), so
 * a timer is moved at most DPS_WHEEL_LEVELS - 1 times in its life. An
 * occupancy bitmap per level and one of non-empty levels let advance() jump
 * straight to the next occupied slot: its cost depends on the number of
 * timers run and cascaded, not on how far time moved.
 *
 * Callbacks. A timer carries a function pointer and no argument: the
 * callback receives the timer and recovers its owner with
 * dps_timer_owner() (container_of). For TCP this reads
 *     struct tcp_conn { ... struct dps_timer rto, delack, persist, keep; };
 *     static void tcp_rto_fire(struct dps_wheel *w, struct dps_timer *t,
 *                              uint64_t now)
 *     { struct tcp_conn *c = dps_timer_owner(t, struct tcp_conn, rto); ... }
 * one small callback per kind, chosen once by dps_timer_init(): no switch
 * on a type id, no registry to keep in step, no redundant argument pointer
 * stored in every timer (40 bytes per timer on 64-bit).
 *
 * During dps_wheel_advance() a callback may start, restart or stop any
 * timer of the wheel, itself included, and may free the memory that holds
 * its own timer once it no longer needs it: the wheel does not touch a
 * timer after calling its callback.
 */
#ifndef DPS_CORE_TIMER_H
#define DPS_CORE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPS_WHEEL_BITS   6
#define DPS_WHEEL_SLOTS  (1u << DPS_WHEEL_BITS)
/* ceil(64 / 6): enough levels for every 64-bit tick. */
#define DPS_WHEEL_LEVELS ((64 + DPS_WHEEL_BITS - 1) / DPS_WHEEL_BITS)

struct dps_wheel;
struct dps_timer;

/**
 * Called when a timer is due. `now` is the argument of the
 * dps_wheel_advance() that runs it (>= the timer's deadline). The timer is
 * no longer pending when this is called.
 */
typedef void (*dps_timer_fn)(struct dps_wheel *w, struct dps_timer *t, uint64_t now);

/* Intrusive circular list link; a slot's head is a link with no timer. */
struct dps_tlink {
	struct dps_tlink *next;
	struct dps_tlink *prev;
};

/** A timer, embedded in its owner. Fields are private to timer.c. */
struct dps_timer {
	struct dps_tlink link;  /* next == NULL: not pending */
	uint64_t deadline;      /* as requested, ns */
	uint64_t due;           /* tick at which it runs */
	dps_timer_fn fn;
};

/** A wheel; embed it in the per-worker struct (about 11 KiB). */
struct dps_wheel {
	uint64_t start_ns;      /* instant of tick 0 */
	uint64_t tick_ns;
	uint64_t max_tick;      /* last tick whose instant fits in 64 bits */
	uint64_t now;           /* latest now given to advance(), ns */
	uint64_t cur;           /* current tick: every timer due before it has run */
	uint64_t count;         /* pending timers */
	uint64_t n_run;         /* timers run, since init */
	uint64_t n_cascaded;    /* timers moved down a level, since init */
	int tick_shift;         /* log2(tick_ns) when a power of two, else -1 */
	bool running;           /* inside advance() */
	uint16_t levels;        /* bit l: level l has a timer */
	uint64_t occupied[DPS_WHEEL_LEVELS];    /* bit s: slot s has a timer */
	struct dps_tlink slot[DPS_WHEEL_LEVELS * DPS_WHEEL_SLOTS];
};

/** The object holding timer `t` as member `member` (container_of). */
#define dps_timer_owner(t, type, member) \
	((type *)(void *)((char *)(t) - offsetof(type, member)))

/**
 * Make an empty wheel whose tick 0 is at `start_ns` (usually the clock's
 * now) and whose ticks are `tick_ns` long (1 ms suits TCP: RTO, delayed
 * ACK, keepalive and TIME_WAIT are all in milliseconds or more).
 * Returns 0, or -EINVAL if w is NULL or tick_ns is 0.
 */
int dps_wheel_init(struct dps_wheel *w, uint64_t tick_ns, uint64_t start_ns);

/**
 * Run, in tick order, every timer due at or before `now`, then make `now`
 * the wheel's time. A `now` earlier than the wheel's time counts as the
 * wheel's time (the clock never goes back). The work done is proportional
 * to the number of timers run and moved down, not to the time elapsed.
 * Returns the number of timers run. Must not be called from a callback
 * (asserted; returns 0 in builds without asserts).
 */
unsigned dps_wheel_advance(struct dps_wheel *w, uint64_t now);

/**
 * When the next advance() may have a timer to run, in ns: the instant its
 * earliest pending timer is due (its deadline rounded up to the tick, see
 * "Resolution"), or an earlier instant at which a slot of higher level must
 * be cascaded, after which a new call gives a later, closer answer.
 * Never later than the due instant of any pending timer, so a worker that
 * sleeps until then adds no lateness; it can be up to tick_ns - 1 after the
 * requested deadline, because nothing can run before the due instant. A
 * value <= dps_wheel_now() means "a timer is due now". UINT64_MAX if no
 * timer is pending (or the only ones are due beyond the 64-bit clock).
 * O(1): a few bit scans. No errors.
 */
uint64_t dps_wheel_next_deadline(const struct dps_wheel *w);

/**
 * Start `t` so that it runs at `deadline_ns` (absolute, ns); a pending
 * timer is moved (restart). O(1). `t` must have been set up by
 * dps_timer_init() and must not be pending on another wheel. No errors: a
 * past deadline runs at the next opportunity (see "Resolution").
 */
void dps_timer_start_at(struct dps_wheel *w, struct dps_timer *t, uint64_t deadline_ns);

/**
 * Start `t` `delay_ns` after the wheel's time (dps_wheel_now(): inside a
 * callback, the now of the running advance()); saturates at UINT64_MAX.
 * Otherwise as dps_timer_start_at().
 */
void dps_timer_start_in(struct dps_wheel *w, struct dps_timer *t, uint64_t delay_ns);

/**
 * Stop `t` so that it does not run. O(1). No-op on a timer that is not
 * pending (never started, stopped, or already run). No errors.
 */
void dps_timer_stop(struct dps_wheel *w, struct dps_timer *t);

/** Set up a timer, not pending, that will call `fn`. Does not touch any wheel. */
static inline void dps_timer_init(struct dps_timer *t, dps_timer_fn fn)
{
	t->link.next = NULL;
	t->link.prev = NULL;
	t->deadline = 0;
	t->due = 0;
	t->fn = fn;
}

/** True between start and the moment it runs or is stopped. */
static inline bool dps_timer_pending(const struct dps_timer *t)
{
	return t->link.next != NULL;
}

/** The deadline last given to start (ns), pending or not. */
static inline uint64_t dps_timer_deadline(const struct dps_timer *t)
{
	return t->deadline;
}

/** Number of pending timers. */
static inline uint64_t dps_wheel_count(const struct dps_wheel *w)
{
	return w->count;
}

/** The wheel's time: the latest now given to dps_wheel_advance() (or start_ns). */
static inline uint64_t dps_wheel_now(const struct dps_wheel *w)
{
	return w->now;
}

#endif
