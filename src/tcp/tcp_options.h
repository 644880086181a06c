/*
 * TCP options: parsing a received header's options and building ours.
 *
 * Pure functions: no I/O, no allocation, no counters (the caller counts
 * what it drops). Values are in host order once parsed; the builders write
 * network order.
 *
 * Options handled: MSS (RFC 9293 3.2), window scale and timestamps
 * (RFC 7323), SACK-permitted and SACK blocks (RFC 2018). Other kinds are
 * skipped over by their length.
 */
#ifndef DPS_TCP_TCP_OPTIONS_H
#define DPS_TCP_TCP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Option kinds (IANA "TCP Option Kind Numbers"). */
#define TCP_OPT_EOL     0
#define TCP_OPT_NOP     1
#define TCP_OPT_MSS     2
#define TCP_OPT_WSCALE  3
#define TCP_OPT_SACKOK  4
#define TCP_OPT_SACK    5
#define TCP_OPT_TS      8

/* Option lengths, kind and length bytes included. */
#define TCP_OLEN_MSS     4
#define TCP_OLEN_WSCALE  3
#define TCP_OLEN_SACKOK  2
#define TCP_OLEN_TS      10
#define TCP_OLEN_SACK_BLOCK 8

/** Most option bytes a header can carry (data offset 15 words - 5). */
#define TCP_OPT_MAX_LEN 40
/** RFC 7323 2.3: larger shift counts are used as 14. */
#define TCP_WSCALE_MAX 14
/** Most SACK blocks that fit in 40 bytes (2 + 4 * 8 = 34). */
#define TCP_SACK_MAX_BLOCKS 4
/** Bytes tcp_opts_build_syn() writes at most (all four options). */
#define TCP_SYN_OPTS_MAX_LEN 20

/* struct tcp_opts.present bits. */
#define TCP_OPTF_MSS      (1u << 0)
#define TCP_OPTF_WSCALE   (1u << 1)
#define TCP_OPTF_SACKOK   (1u << 2)
#define TCP_OPTF_TS       (1u << 3)
#define TCP_OPTF_SACK     (1u << 4)
/** The peer's window scale was above 14 and wscale holds 14 (RFC 7323 2.3). */
#define TCP_OPTF_WSCALE_CLAMPED (1u << 5)
/** A known kind had a wrong length and was ignored (list still well formed). */
#define TCP_OPTF_BAD_LEN  (1u << 6)

/** One SACK block: [start, end) in sequence space (RFC 2018 3). */
struct tcp_sack_block {
	uint32_t start;
	uint32_t end;
};

/** Options of one segment; a field is meaningful only if its bit is in present. */
struct tcp_opts {
	uint32_t present;       /* TCP_OPTF_* */
	uint16_t mss;           /* as received; 0 is reported as 0 */
	uint8_t wscale;         /* shift count, at most TCP_WSCALE_MAX */
	uint8_t nsack;          /* number of valid entries in sack[] */
	uint32_t tsval;
	uint32_t tsecr;
	struct tcp_sack_block sack[TCP_SACK_MAX_BLOCKS];
};

/**
 * Parse the options area of a TCP header (the len bytes after the fixed 20
 * bytes) into *o, which is cleared first.
 *
 * Rules: EOL ends the list (what follows is padding and is not looked at);
 * NOP is one byte; every other kind has a length byte that counts kind and
 * length. A known kind whose length is not its own (an MSS of length 3, a
 * SACK whose length is not 2 + 8n) is ignored and flagged
 * TCP_OPTF_BAD_LEN, as Linux ignores it: the list is still walkable. When
 * an option appears twice the first one counts.
 *
 * Errors: -EINVAL when the list itself is broken and cannot be walked: a
 * length byte missing (kind in the last byte), a length below 2, an option
 * running past the end, or len above TCP_OPT_MAX_LEN. *o is then left
 * cleared (present == 0): nothing of a broken list is used. RFC 9293
 * 3.1 asks that such segments be handled safely; the caller decides to
 * drop and counts.
 */
int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o);

/**
 * Options of a SYN or SYN-ACK, from the bits MSS, SACKOK, TS and WSCALE of
 * o->present, in Linux's order and layout so that fingerprints and
 * middleboxes see a familiar SYN. With all four:
 *     MSS(4) SACKOK(2) TS(10) NOP WSCALE(3)            = 20 bytes
 * without SACK-permitted the TS is preceded by NOP NOP; without timestamps
 * SACK-permitted is written NOP NOP SACKOK; window scale is always NOP
 * WSCALE. The result is a multiple of 4 bytes.
 *
 * Returns the number of bytes written, or -ENOSPC if cap is too small
 * (TCP_SYN_OPTS_MAX_LEN always suffices), -EINVAL if o->wscale is above 14.
 */
int tcp_opts_build_syn(const struct tcp_opts *o, uint8_t *buf, size_t cap);

/**
 * Options of a data or ACK segment after the handshake: NOP NOP TS (12
 * bytes) if TCP_OPTF_TS is set, then, if TCP_OPTF_SACK is set and nsack > 0,
 * NOP NOP SACK with the first o->nsack blocks that fit in 40 bytes: 3 with
 * timestamps, 4 without. The caller orders the blocks most recent first
 * (RFC 2018 4), so those dropped are the oldest.
 *
 * Returns the number of bytes written (a multiple of 4, possibly 0), or
 * -ENOSPC if cap is too small (TCP_OPT_MAX_LEN always suffices).
 */
int tcp_opts_build_ack(const struct tcp_opts *o, uint8_t *buf, size_t cap);

#endif /* DPS_TCP_TCP_OPTIONS_H */
