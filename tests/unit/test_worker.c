/*
 * The worker's timing wheel is run by the worker loop: a timer started on
 * w->wheel fires on the first pass at or after its deadline (1 ms tick),
 * never before, and a timer's callback may send packets that leave in the
 * same pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/worker.h"
#include "fixture.h"

static unsigned fired;
static uint64_t fired_at;

static void on_timer(struct dps_wheel *wh, struct dps_timer *t, uint64_t now)
{
	(void)wh;
	(void)t;
	fired++;
	fired_at = now;
}

static void test_worker_runs_its_timers(void **state)
{
	struct fx *fx = *state;
	struct dps_timer t;
	uint64_t t0 = now_ns(fx);

	fired = 0;
	dps_timer_init(&t, on_timer);
	dps_timer_start_at(&fx->w->wheel, &t, t0 + 5 * DPS_NS_PER_MS);
	advance_ms(fx, 4);
	assert_int_equal(fired, 0);
	assert_true(dps_timer_pending(&t));
	advance_ms(fx, 1);
	assert_int_equal(fired, 1);
	assert_true(fired_at >= t0 + 5 * DPS_NS_PER_MS);
	assert_false(dps_timer_pending(&t));
	advance_ms(fx, 100);
	assert_int_equal(fired, 1);
}

static void test_worker_timer_stopped_does_not_fire(void **state)
{
	struct fx *fx = *state;
	struct dps_timer t;

	fired = 0;
	dps_timer_init(&t, on_timer);
	dps_timer_start_in(&fx->w->wheel, &t, 3 * DPS_NS_PER_MS);
	dps_timer_stop(&fx->w->wheel, &t);
	advance_ms(fx, 10);
	assert_int_equal(fired, 0);
	assert_int_equal(dps_wheel_count(&fx->w->wheel), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(test_worker_runs_its_timers, fx_setup_bare),
		fx_test(test_worker_timer_stopped_does_not_fire, fx_setup_bare),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
