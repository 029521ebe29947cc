/* auth.h — pure building blocks of authentication: scrypt password hashes,
 * bearer tokens, e-mail normalisation and token-bucket rate limiting.
 *
 * No I/O and no loop here.  Password hashing is slow on purpose (tens of
 * ms): callers on an event loop must run it on the libuv threadpool, never
 * on the loop.  Everything else is cheap.  Thread rule: functions are safe
 * on distinct objects; an auth_rl belongs to one thread. */
#ifndef KHNET_AUTH_H
#define KHNET_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- passwords ------------------------------------------------------------ */
typedef struct auth_scrypt {
    uint64_t n; /* CPU/memory cost, a power of two */
    uint32_t r; /* block size */
    uint32_t p; /* parallelism */
} auth_scrypt;

enum { AUTH_HASH_MAX = 160 }; /* room for "scrypt$N$r$p$salt$hash" + NUL */
/* A new password's length in code points (PROTOCOL.md): the one rule for
 * the endpoints (api_password) and `khnetd admin create`. */
enum { AUTH_PW_MIN = 10, AUTH_PW_MAX = 200 };

/* Hashes a password with a fresh 16-byte salt into `out` as
 * "scrypt$N$r$p$<base64 salt>$<base64 32-byte key>", so the parameters
 * travel with the hash and can be raised later.  0, or -1 (bad parameters,
 * no randomness, no memory). */
int auth_password_hash(const char *pw, size_t len, const auth_scrypt *prm, char out[AUTH_HASH_MAX]);

/* 1 when `pw` matches `stored`, 0 when it does not, -1 when `stored` is not
 * a hash this code wrote.  The key comparison is constant-time. */
int auth_password_verify(const char *pw, size_t len, const char *stored);

/* A well-formed hash with the given parameters that no password matches
 * (random salt, zero key), built without running scrypt: verifying against
 * it costs what a real check costs, so an unknown e-mail at login takes as
 * long as a wrong password.  0 or -1. */
int auth_password_dummy(const auth_scrypt *prm, char out[AUTH_HASH_MAX]);

/* ---- tokens --------------------------------------------------------------- */
enum { AUTH_TOKEN_LEN = 43, AUTH_DIGEST_LEN = 32, AUTH_DIGEST_HEX = 2 + 2 * AUTH_DIGEST_LEN + 1 };

/* A new 256-bit random token, base64url without padding (43 chars + NUL),
 * and its SHA-256.  0, or -1 when the random generator fails. */
int auth_token_new(char token[AUTH_TOKEN_LEN + 1], uint8_t digest[AUTH_DIGEST_LEN]);
/* SHA-256 of a presented token; -1 when it is not 43 base64url characters
 * (so junk never reaches the database). */
int auth_token_digest(const char *tok, size_t len, uint8_t digest[AUTH_DIGEST_LEN]);
/* SHA-256 of any string (partner keys). */
void auth_sha256(const void *p, size_t len, uint8_t digest[AUTH_DIGEST_LEN]);
/* "\x<hex>": a bytea literal for a text query parameter. */
void auth_digest_hex(const uint8_t digest[AUTH_DIGEST_LEN], char out[AUTH_DIGEST_HEX]);

/* ---- e-mail ----------------------------------------------------------------- */
enum { AUTH_EMAIL_MAX = 254 };
/* Checks the address (see PROTOCOL.md) and writes it lower-cased (ASCII) to
 * out.  true when acceptable. */
bool auth_email_normalize(const char *in, size_t len, char out[AUTH_EMAIL_MAX + 1]);

/* ---- browser origins (CORS) ----------------------------------------------- */
enum { AUTH_ORIGIN_MAX = 300 };
/* Checks `scheme://host[:port]` (scheme http or https; host a DNS name,
 * IPv4 or [IPv6]; no path, not even "/") and writes the form browsers send
 * in Origin: lower-cased, default port dropped.  true when acceptable. */
bool auth_origin_normalize(const char *in, size_t len, char out[AUTH_ORIGIN_MAX + 1]);

/* ---- rate limiting ---------------------------------------------------------
 * A fixed-size table of token buckets keyed by string.  Memory is bounded:
 * a new key takes the slot of the least recently used key of its set, so a
 * flood of distinct keys cannot grow it (evicted keys start full again).
 * Thread-safe: one table is shared by every worker. */
typedef struct auth_rl auth_rl;

/* `burst` tokens at most, refilled at `per_min` tokens a minute; `slots`
 * keys tracked.  NULL on bad arguments or no memory; free with auth_rl_free. */
auth_rl *auth_rl_new(uint32_t slots, uint32_t burst, uint32_t per_min);
void auth_rl_free(auth_rl *rl);
/* Takes one token for `key` at time now_ms (one monotonic clock for all
 * callers: uv_hrtime, not a loop's cached time).  Returns 0 when allowed,
 * else the whole seconds (>= 1) until a token is back. */
uint32_t auth_rl_take(auth_rl *rl, const char *key, uint64_t now_ms);

#endif
