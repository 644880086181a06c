/*
 * SYN cookies (see tcp_syncookie.h for the layout and what is carried).
 */
#include <errno.h>
#include <string.h>

#include "tcp/tcp_syncookie.h"

#define COUNTER_SHIFT 27
#define COUNTER_MASK  0x1fu
#define MSS_SHIFT     24
#define MSS_MASK      0x7u
#define HASH_MASK     0xffffffu

#define TS_MASK       ((1u << TCP_SYNCOOKIE_TS_BITS) - 1)
#define TS_NO_WSCALE  0xfu
#define TS_SACK       (1u << 4)
#define TS_ECN        (1u << 5)
/* Marks "timestamps on" in the hashed option word. */
#define OPTW_TS       0x80u

const uint16_t tcp_syncookie_mss[TCP_SYNCOOKIE_NMSS] = { 536, 1300, 1440, 1460 };

static uint32_t cookie_hash(const struct tcp_secret *key, const struct tcp_tuple *t,
			    uint32_t peer_isn, uint32_t counter, uint8_t mss_idx,
			    uint8_t optw)
{
	uint8_t b[22];

	tcp_tuple_bytes(t, b);
	b[12] = (uint8_t)(peer_isn >> 24);
	b[13] = (uint8_t)(peer_isn >> 16);
	b[14] = (uint8_t)(peer_isn >> 8);
	b[15] = (uint8_t)peer_isn;
	b[16] = (uint8_t)(counter >> 24);
	b[17] = (uint8_t)(counter >> 16);
	b[18] = (uint8_t)(counter >> 8);
	b[19] = (uint8_t)counter;
	b[20] = mss_idx;
	b[21] = optw;
	return (uint32_t)tcp_siphash24(key, b, sizeof(b)) & HASH_MASK;
}

static uint8_t ts_bits(const struct tcp_syncookie_opts *o)
{
	uint8_t v = o->has_wscale && o->wscale < TS_NO_WSCALE ? o->wscale : TS_NO_WSCALE;

	if (o->sack_ok)
		v |= TS_SACK;
	if (o->ecn)
		v |= TS_ECN;
	return v;
}

uint32_t tcp_syncookie_make(const struct tcp_secret *key, const struct tcp_tuple *t,
			    uint32_t peer_isn, uint64_t now_ns,
			    const struct tcp_syncookie_opts *in, uint32_t *tsval)
{
	uint32_t counter = (uint32_t)(now_ns / TCP_SYNCOOKIE_PERIOD_NS);
	uint8_t idx = 0;
	uint8_t optw = 0;

	for (uint8_t i = 1; i < TCP_SYNCOOKIE_NMSS; i++)
		if (in->mss >= tcp_syncookie_mss[i])
			idx = i;
	if (in->ts) {
		uint8_t bits = ts_bits(in);
		uint32_t v = (*tsval & ~TS_MASK) | bits;

		if (v > *tsval)
			v -= 1u << TCP_SYNCOOKIE_TS_BITS;
		*tsval = v;
		optw = OPTW_TS | bits;
	}
	return ((counter & COUNTER_MASK) << COUNTER_SHIFT) |
	       ((uint32_t)idx << MSS_SHIFT) |
	       cookie_hash(key, t, peer_isn, counter, idx, optw);
}

int tcp_syncookie_check(const struct tcp_secret *key, const struct tcp_tuple *t,
			uint32_t peer_isn, uint32_t cookie, uint64_t now_ns,
			bool has_ts, uint32_t tsecr, struct tcp_syncookie_opts *out)
{
	uint32_t now_c = (uint32_t)(now_ns / TCP_SYNCOOKIE_PERIOD_NS);
	uint32_t age = (now_c - (cookie >> COUNTER_SHIFT)) & COUNTER_MASK;
	uint8_t idx = (cookie >> MSS_SHIFT) & MSS_MASK;
	uint8_t bits = (uint8_t)(tsecr & TS_MASK);
	uint8_t optw = has_ts ? (uint8_t)(OPTW_TS | bits) : 0;

	if (age >= TCP_SYNCOOKIE_MAX_AGE || age > now_c)
		return -ETIMEDOUT;
	if (idx >= TCP_SYNCOOKIE_NMSS)
		return -EINVAL;
	if ((cookie & HASH_MASK) != cookie_hash(key, t, peer_isn, now_c - age, idx, optw))
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->mss = tcp_syncookie_mss[idx];
	if (has_ts) {
		out->ts = true;
		out->has_wscale = (bits & TS_NO_WSCALE) != TS_NO_WSCALE;
		out->wscale = out->has_wscale ? (bits & TS_NO_WSCALE) : 0;
		out->sack_ok = bits & TS_SACK;
		out->ecn = bits & TS_ECN;
	}
	return 0;
}
