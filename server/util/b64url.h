/* b64url.h — base64url without padding (RFC 4648 §5), and "sealed" byte
 * strings built on it: bytes plus a salted FNV-1a checksum, the shape of
 * every opaque cursor khnetd hands out.  A checksum catches damage and hand
 * edits; it is not a secret (a forged cursor only moves the start of a
 * listing the caller may read anyway).  No state, safe from any thread. */
#ifndef KHNET_B64URL_H
#define KHNET_B64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters that n bytes take: ceil(8n / 6). */
#define B64URL_LEN(n) (((n)*8 + 5) / 6)

/* Writes B64URL_LEN(n) characters and a NUL into out. */
void b64url_encode(const uint8_t *in, size_t n, char *out);
/* Decodes s[0..len) into exactly `want` bytes; -1 when a character is not
 * base64url, the length does not match, or the unused trailing bits are
 * not zero (a second spelling of the same bytes). */
int b64url_decode(const char *s, size_t len, uint8_t *out, size_t want);
/* Every character is base64url (and not NUL). */
bool b64url_valid(const char *s, size_t len);

/* A sealed string of n payload bytes: base64url of payload + checksum. */
#define SEALED_LEN(n) B64URL_LEN((n) + 4)

/* raw holds n payload bytes and room for 4 more (the checksum, written
 * there); writes SEALED_LEN(n) characters and a NUL into out. */
void sealed_encode(uint8_t *raw, size_t n, uint32_t salt, char *out);
/* Decodes into raw (n + 4 bytes) and checks the checksum; 0 or -1. */
int sealed_decode(const char *s, size_t len, uint32_t salt, uint8_t *raw, size_t n);

/* Big-endian 64-bit integers inside payloads. */
void b64url_put64(uint8_t *p, uint64_t v);
uint64_t b64url_get64(const uint8_t *p);

#endif
