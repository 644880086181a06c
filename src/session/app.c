/* Applications attached over the API socket: not yet (issue 4). */
#include <stddef.h>

#include "session/app.h"

struct dps_fifo *dps_app_fifo_alloc(struct dps_app *app, struct dps_sock *s, uint32_t cap)
{
	return NULL;
}

void dps_app_fifo_free(struct dps_app *app, struct dps_sock *s, struct dps_fifo *f)
{
}
