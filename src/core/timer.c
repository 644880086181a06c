/*
 * Hierarchical timing wheel; the model and its guarantees are described in
 * timer.h. Notes on the implementation:
 *
 * Placement. A timer due at tick e sits at level l = the highest 6-bit
 * group in which e differs from the current tick `cur`, in slot
 * (e >> 6l) & 63. Since e >= cur and they agree above group l, that slot
 * is never behind cur's own group-l value: at level 0 it is at or after
 * cur's slot, at higher levels strictly after. So at every level the
 * lowest set bit of the occupancy bitmap is the earliest slot, and the
 * lowest non-empty level holds the earliest event. Moving cur forward to
 * any tick before that event changes no timer's level or slot (cur stays
 * inside the same aligned block as every slot ahead of it), which is what
 * lets advance() jump over empty time without touching anything.
 *
 * Emptiness. stop() must clear a slot's bit when it removes the slot's
 * last timer, without storing the slot in the timer: in a circular list
 * with a head, the removed link's neighbours are the same node exactly
 * when that node is the head left alone, and the head's index in
 * w->slot gives the level and slot. Pending timers are always in a slot
 * of their wheel (run_slot() takes timers out one at a time, and cascade()
 * runs no user code while timers are off the wheel), so this holds for
 * every call a callback can make.
 */
#include <assert.h>
#include <errno.h>

#include "core/timer.h"

#define SLOT_MASK ((uint64_t)DPS_WHEEL_SLOTS - 1)

static_assert(DPS_WHEEL_LEVELS * DPS_WHEEL_BITS >= 64,
	      "the levels must cover every 64-bit tick, or deadlines would need clamping");
static_assert(DPS_WHEEL_LEVELS <= 16, "struct dps_wheel.levels is 16 bits");
static_assert(DPS_WHEEL_SLOTS == 64, "one uint64_t occupancy word per level");

static inline struct dps_timer *link_timer(struct dps_tlink *l)
{
	return dps_timer_owner(l, struct dps_timer, link);
}

/*
 * Ticks from tick 0 to `ns`, rounded up for deadlines (so that a timer
 * never runs early) and down for the clock (so that advance() only reaches
 * ticks that have begun).
 */
static inline uint64_t ns_to_tick(const struct dps_wheel *w, uint64_t ns, bool round_up)
{
	uint64_t x, q, r;

	if (ns <= w->start_ns)
		return 0;
	x = ns - w->start_ns;
	if (w->tick_shift >= 0) {
		q = x >> w->tick_shift;
		r = x & (w->tick_ns - 1);
	} else {
		q = x / w->tick_ns;
		r = x % w->tick_ns;
	}
	return q + (round_up && r != 0);
}

static inline uint64_t tick_instant(const struct dps_wheel *w, uint64_t tick)
{
	if (tick > w->max_tick)
		return UINT64_MAX;
	return w->start_ns + tick * w->tick_ns;
}

static inline unsigned level_of(uint64_t due, uint64_t cur)
{
	uint64_t x = due ^ cur;

	return x ? (unsigned)(63 - __builtin_clzll(x)) / DPS_WHEEL_BITS : 0;
}

static void wheel_insert(struct dps_wheel *w, struct dps_timer *t)
{
	unsigned lvl = level_of(t->due, w->cur);
	unsigned s = (unsigned)((t->due >> (lvl * DPS_WHEEL_BITS)) & SLOT_MASK);
	struct dps_tlink *head = &w->slot[lvl * DPS_WHEEL_SLOTS + s];

	/* Append: timers due at the same tick run in the order started,
	 * which keeps runs reproducible. */
	t->link.next = head;
	t->link.prev = head->prev;
	head->prev->next = &t->link;
	head->prev = &t->link;
	w->occupied[lvl] |= 1ull << s;
	w->levels |= (uint16_t)(1u << lvl);
}

static void wheel_unlink(struct dps_wheel *w, struct dps_timer *t)
{
	struct dps_tlink *prev = t->link.prev;
	struct dps_tlink *next = t->link.next;
	size_t i;

	prev->next = next;
	next->prev = prev;
	if (prev != next)
		return;
	/* The slot is empty now (see "Emptiness" above). */
	i = (size_t)(prev - w->slot);
	assert(i < (size_t)DPS_WHEEL_LEVELS * DPS_WHEEL_SLOTS);
	w->occupied[i / DPS_WHEEL_SLOTS] &= ~(1ull << (i % DPS_WHEEL_SLOTS));
	if (w->occupied[i / DPS_WHEEL_SLOTS] == 0)
		w->levels &= (uint16_t)~(1u << (i / DPS_WHEEL_SLOTS));
}

/* The earliest occupied slot and the tick at which it must be handled:
 * run it (level 0) or cascade it (higher levels). */
static inline bool next_slot(const struct dps_wheel *w, unsigned *lvl, unsigned *s,
			     uint64_t *tick)
{
	unsigned l, above;
	uint64_t base;

	if (w->levels == 0)
		return false;
	l = (unsigned)__builtin_ctz(w->levels);
	*lvl = l;
	*s = (unsigned)__builtin_ctzll(w->occupied[l]);
	above = (l + 1) * DPS_WHEEL_BITS;
	base = above >= 64 ? 0 : (w->cur >> above) << above;
	*tick = base | ((uint64_t)*s << (l * DPS_WHEEL_BITS));
	return true;
}

int dps_wheel_init(struct dps_wheel *w, uint64_t tick_ns, uint64_t start_ns)
{
	unsigned i;

	if (w == NULL || tick_ns == 0)
		return -EINVAL;
	w->start_ns = start_ns;
	w->tick_ns = tick_ns;
	w->max_tick = (UINT64_MAX - start_ns) / tick_ns;
	w->now = start_ns;
	w->cur = 0;
	w->count = 0;
	w->n_run = 0;
	w->n_cascaded = 0;
	/* Most ticks are powers of two or not; a shift saves a division on
	 * every start, which is the hot path. */
	w->tick_shift = (tick_ns & (tick_ns - 1)) == 0 ? __builtin_ctzll(tick_ns) : -1;
	w->running = false;
	w->levels = 0;
	for (i = 0; i < DPS_WHEEL_LEVELS; i++)
		w->occupied[i] = 0;
	for (i = 0; i < DPS_WHEEL_LEVELS * DPS_WHEEL_SLOTS; i++)
		w->slot[i].next = w->slot[i].prev = &w->slot[i];
	return 0;
}

void dps_timer_start_at(struct dps_wheel *w, struct dps_timer *t, uint64_t deadline_ns)
{
	/* Nothing may be placed before the current tick (the invariant
	 * above), and while a tick runs nothing may join it, or a timer that
	 * restarts itself for "now" would run forever in one advance(). */
	uint64_t min = w->cur + (w->running ? 1 : 0);
	uint64_t e = ns_to_tick(w, deadline_ns, true);

	if (dps_timer_pending(t))
		wheel_unlink(w, t);
	else
		w->count++;
	t->deadline = deadline_ns;
	t->due = e < min ? min : e;
	wheel_insert(w, t);
}

void dps_timer_start_in(struct dps_wheel *w, struct dps_timer *t, uint64_t delay_ns)
{
	uint64_t d = w->now + delay_ns;

	dps_timer_start_at(w, t, d < w->now ? UINT64_MAX : d);
}

void dps_timer_stop(struct dps_wheel *w, struct dps_timer *t)
{
	if (!dps_timer_pending(t))
		return;
	wheel_unlink(w, t);
	t->link.next = NULL;
	w->count--;
}

/* Run every timer of a level-0 slot, all due at w->cur. One at a time from
 * the slot itself, so that a callback that stops a later timer of the same
 * slot simply removes it, and the wheel is consistent at every call. */
static unsigned run_slot(struct dps_wheel *w, struct dps_tlink *head)
{
	unsigned n = 0;

	while (head->next != head) {
		struct dps_timer *t = link_timer(head->next);

		wheel_unlink(w, t);
		t->link.next = NULL;
		w->count--;
		n++;
		/* Last access to t: the callback may free it. */
		t->fn(w, t, w->now);
	}
	return n;
}

/* w->cur has reached the first tick of a slot of level `lvl` > 0: place
 * its timers again relative to w->cur, each at a lower level (they agree
 * with w->cur on every group from lvl up). Those due at w->cur itself land
 * in its level-0 slot and run next. */
static void cascade(struct dps_wheel *w, unsigned lvl, unsigned s)
{
	struct dps_tlink *head = &w->slot[lvl * DPS_WHEEL_SLOTS + s];
	struct dps_tlink list;

	/* Take the whole slot first: re-inserting cannot land in it again,
	 * but the bitmaps must say empty before the timers go elsewhere. */
	list.next = head->next;
	list.prev = head->prev;
	list.next->prev = &list;
	list.prev->next = &list;
	head->next = head->prev = head;
	w->occupied[lvl] &= ~(1ull << s);
	if (w->occupied[lvl] == 0)
		w->levels &= (uint16_t)~(1u << lvl);

	while (list.next != &list) {
		struct dps_tlink *l = list.next;

		list.next = l->next;
		l->next->prev = &list;
		assert(level_of(link_timer(l)->due, w->cur) < lvl);
		wheel_insert(w, link_timer(l));
		w->n_cascaded++;
	}
}

unsigned dps_wheel_advance(struct dps_wheel *w, uint64_t now)
{
	uint64_t target, tick;
	unsigned lvl, s, n = 0;

	/* A nested advance would run timers out of order under the running
	 * one and break its view of the slot it is emptying. */
	assert(!w->running);
	if (w->running)
		return 0;
	if (now > w->now)
		w->now = now;
	target = ns_to_tick(w, w->now, false);
	/* Keep cur + 1 representable (see dps_timer_start_at()); a timer due
	 * at the very last tick simply never runs. */
	if (target == UINT64_MAX)
		target--;

	w->running = true;
	/* Every iteration runs or cascades one non-empty slot: empty time is
	 * skipped by the bitmaps, however long. */
	while (next_slot(w, &lvl, &s, &tick) && tick <= target) {
		w->cur = tick;
		if (lvl == 0)
			n += run_slot(w, &w->slot[s]);
		else
			cascade(w, lvl, s);
	}
	w->cur = target;
	w->running = false;
	w->n_run += n;
	return n;
}

uint64_t dps_wheel_next_deadline(const struct dps_wheel *w)
{
	unsigned lvl, s;
	uint64_t tick;

	if (!next_slot(w, &lvl, &s, &tick))
		return UINT64_MAX;
	return tick_instant(w, tick);
}
