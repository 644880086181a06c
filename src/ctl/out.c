/* The growable buffer a command writes its answer into. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

void dps_out_init(struct dps_out *o)
{
	/* Start with a small buffer so that buf is a valid string at once. */
	o->cap = 256;
	o->len = 0;
	o->buf = malloc(o->cap);
	if (o->buf == NULL)
		o->cap = 0;
	else
		o->buf[0] = '\0';
}

void dps_out_free(struct dps_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

void dps_out_reset(struct dps_out *o)
{
	o->len = 0;
	if (o->buf != NULL)
		o->buf[0] = '\0';
}

const char *dps_out_str(const struct dps_out *o)
{
	return o->buf != NULL ? o->buf : "";
}

static int out_reserve(struct dps_out *o, size_t need)
{
	size_t cap = o->cap ? o->cap : 256;
	char *nb;

	if (need <= o->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	nb = realloc(o->buf, cap);
	if (nb == NULL)
		return -1;
	o->buf = nb;
	o->cap = cap;
	return 0;
}

void dps_out_vprintf(struct dps_out *o, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	/*
	 * Out of memory only truncates the answer: the command has already
	 * done its work and the caller still gets what fitted.
	 */
	if (n < 0 || out_reserve(o, o->len + (size_t)n + 1) < 0)
		return;
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	o->len += (size_t)n;
}

void dps_out_printf(struct dps_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dps_out_vprintf(o, fmt, ap);
	va_end(ap);
}
