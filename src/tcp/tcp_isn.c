/*
 * SipHash-2-4 and RFC 6528 initial sequence numbers (see tcp_isn.h).
 *
 * SipHash as its paper describes it: four 64-bit words of state set from
 * the key and the constants "somepseudorandomlygeneratedbytes"; the
 * message is read as little-endian 64-bit words, the last one holding the
 * remaining bytes and, in its top byte, the message length mod 256; each
 * word is XORed into v3, followed by c = 2 SipRounds, then into v0; at the
 * end 0xff is XORed into v2, d = 4 SipRounds run, and the output is the
 * XOR of the four words.
 */
#include <string.h>

#include "tcp/tcp_isn.h"

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v2 += s->v3;
	s->v1 = rotl(s->v1, 13);
	s->v3 = rotl(s->v3, 16);
	s->v1 ^= s->v0;
	s->v3 ^= s->v2;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v1;
	s->v0 += s->v3;
	s->v1 = rotl(s->v1, 17);
	s->v3 = rotl(s->v3, 21);
	s->v1 ^= s->v2;
	s->v3 ^= s->v0;
	s->v2 = rotl(s->v2, 32);
}

static inline void sip_compress(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

struct tcp_secret tcp_secret_from_bytes(const uint8_t key[16])
{
	struct tcp_secret k = { load_le64(key), load_le64(key + 8) };

	return k;
}

uint64_t tcp_siphash24(const struct tcp_secret *key, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	struct sip s = {
		.v0 = key->k0 ^ 0x736f6d6570736575ull,
		.v1 = key->k1 ^ 0x646f72616e646f6dull,
		.v2 = key->k0 ^ 0x6c7967656e657261ull,
		.v3 = key->k1 ^ 0x7465646279746573ull,
	};
	size_t full = len & ~(size_t)7;
	uint64_t last = (uint64_t)(len & 0xff) << 56;

	for (size_t i = 0; i < full; i += 8)
		sip_compress(&s, load_le64(p + i));
	for (size_t i = full; i < len; i++)
		last |= (uint64_t)p[i] << (8 * (i - full));
	sip_compress(&s, last);
	s.v2 ^= 0xff;
	for (unsigned i = 0; i < 4; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void tcp_tuple_bytes(const struct tcp_tuple *t, uint8_t out[12])
{
	out[0] = (uint8_t)(t->laddr >> 24);
	out[1] = (uint8_t)(t->laddr >> 16);
	out[2] = (uint8_t)(t->laddr >> 8);
	out[3] = (uint8_t)t->laddr;
	out[4] = (uint8_t)(t->raddr >> 24);
	out[5] = (uint8_t)(t->raddr >> 16);
	out[6] = (uint8_t)(t->raddr >> 8);
	out[7] = (uint8_t)t->raddr;
	out[8] = (uint8_t)(t->lport >> 8);
	out[9] = (uint8_t)t->lport;
	out[10] = (uint8_t)(t->rport >> 8);
	out[11] = (uint8_t)t->rport;
}

uint32_t tcp_isn(const struct tcp_secret *key, const struct tcp_tuple *t, uint64_t now_ns)
{
	uint8_t b[12];
	uint32_t m = (uint32_t)(now_ns / TCP_ISN_TICK_NS); /* wraps: intended */

	tcp_tuple_bytes(t, b);
	return m + (uint32_t)tcp_siphash24(key, b, sizeof(b));
}
