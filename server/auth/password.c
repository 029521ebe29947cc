/* password.c — scrypt password hashes (OpenSSL EVP_PBE_scrypt) in a
 * self-describing string, and their constant-time verification.  Slow by
 * design: run off the event loop (see auth.h). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

enum { SALT_LEN = 16, KEY_LEN = 32, B64_MAX = 64 };

/* scrypt needs about 128*r*(N+p) bytes; OpenSSL refuses more than maxmem,
 * whose default (32 MiB) is just below what N=32768, r=8 needs. */
static int derive(const char *pw, size_t len, const uint8_t *salt, size_t salt_len,
                  const auth_scrypt *prm, uint8_t key[KEY_LEN])
{
    uint64_t maxmem = 129u * (uint64_t)prm->r * (prm->n + prm->p) + (1u << 20);
    return EVP_PBE_scrypt(pw, len, salt, salt_len, prm->n, prm->r, prm->p, maxmem, key, KEY_LEN) ==
                   1
               ? 0
               : -1;
}

static bool valid_params(const auth_scrypt *prm)
{
    return prm->n >= 2 && (prm->n & (prm->n - 1)) == 0 && prm->n <= (1u << 24) && prm->r >= 1 &&
           prm->r <= 64 && prm->p >= 1 && prm->p <= 64;
}

static int format(const auth_scrypt *prm, const uint8_t salt[SALT_LEN], const uint8_t key[KEY_LEN],
                  char out[AUTH_HASH_MAX])
{
    unsigned char s64[B64_MAX], k64[B64_MAX];
    EVP_EncodeBlock(s64, salt, SALT_LEN);
    EVP_EncodeBlock(k64, key, KEY_LEN);
    int n = snprintf(out, AUTH_HASH_MAX, "scrypt$%llu$%u$%u$%s$%s", (unsigned long long)prm->n,
                     prm->r, prm->p, (const char *)s64, (const char *)k64);
    return n > 0 && n < AUTH_HASH_MAX ? 0 : -1;
}

int auth_password_dummy(const auth_scrypt *prm, char out[AUTH_HASH_MAX])
{
    uint8_t salt[SALT_LEN], key[KEY_LEN] = {0};
    if (!valid_params(prm) || RAND_bytes(salt, SALT_LEN) != 1) return -1;
    return format(prm, salt, key, out);
}

int auth_password_hash(const char *pw, size_t len, const auth_scrypt *prm, char out[AUTH_HASH_MAX])
{
    uint8_t salt[SALT_LEN], key[KEY_LEN];
    if (!valid_params(prm) || RAND_bytes(salt, SALT_LEN) != 1) return -1;
    if (derive(pw, len, salt, SALT_LEN, prm, key) != 0) return -1;
    int rc = format(prm, salt, key, out);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

/* Decodes padded base64 of exactly `want` bytes. */
static int unb64(const char *s, size_t n, uint8_t *out, size_t want)
{
    uint8_t tmp[B64_MAX];
    if (n == 0 || n % 4 || n / 4 * 3 > sizeof tmp) return -1;
    int got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    size_t pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    if (got < 0 || (size_t)got - pad != want) return -1;
    memcpy(out, tmp, want);
    return 0;
}

int auth_password_verify(const char *pw, size_t len, const char *stored)
{
    unsigned long long n;
    unsigned r, p;
    int off = 0;
    if (!stored || sscanf(stored, "scrypt$%llu$%u$%u$%n", &n, &r, &p, &off) != 3 || off == 0)
        return -1;
    const char *salt = stored + off, *dollar = strchr(salt, '$');
    if (!dollar) return -1;
    auth_scrypt prm = {n, r, p};
    uint8_t s[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
    if (!valid_params(&prm) || unb64(salt, (size_t)(dollar - salt), s, SALT_LEN) ||
        unb64(dollar + 1, strlen(dollar + 1), want, KEY_LEN))
        return -1;
    if (derive(pw, len, s, SALT_LEN, &prm, got) != 0) return -1;
    int same = CRYPTO_memcmp(got, want, KEY_LEN) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return same;
}
