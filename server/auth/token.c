/* token.c — bearer tokens (256 random bits, base64url) and the SHA-256
 * digests the database keeps instead of them; e-mail normalisation. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#include "auth.h"
#include "util/b64url.h"

_Static_assert(B64URL_LEN(32) == AUTH_TOKEN_LEN, "AUTH_TOKEN_LEN");

int auth_token_new(char token[AUTH_TOKEN_LEN + 1], uint8_t digest[AUTH_DIGEST_LEN])
{
    uint8_t raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) return -1;
    b64url_encode(raw, sizeof raw, token);
    auth_sha256(token, AUTH_TOKEN_LEN, digest);
    return 0;
}

/* The last token this thread digested and its digest: a keep-alive
 * client sends the same token with every request, and its check and hash
 * (OpenSSL's layers, cold after PostgreSQL's work on the same cores) were
 * ~2 % of khnetd's instructions on a thread page.  Compared in constant
 * time: behind a proxy, one connection carries many members' tokens. */
static _Thread_local struct {
    bool set;
    char tok[AUTH_TOKEN_LEN];
    uint8_t digest[AUTH_DIGEST_LEN];
} last_token;

int auth_token_digest(const char *tok, size_t len, uint8_t digest[AUTH_DIGEST_LEN])
{
    if (len != AUTH_TOKEN_LEN) return -1;
    if (last_token.set && CRYPTO_memcmp(last_token.tok, tok, len) == 0) {
        memcpy(digest, last_token.digest, AUTH_DIGEST_LEN);
        return 0;
    }
    if (!b64url_valid(tok, len)) return -1;
    auth_sha256(tok, len, digest);
    memcpy(last_token.tok, tok, len);
    memcpy(last_token.digest, digest, AUTH_DIGEST_LEN);
    last_token.set = true;
    return 0;
}

/* OpenSSL 3's SHA256() looks the algorithm up (EVP_MD_fetch: a locked
 * store search) on every call: ~4 % of khnetd's CPU on an authenticated
 * thread page, more than the hashing.  Fetched once per process instead;
 * the EVP_MD is immutable and shared by the workers' threads.  EVP_Digest
 * still made and freed a context (and the provider's) per call, ~5 % of
 * khnetd's profile on a thread page: each thread keeps one instead, freed
 * when the thread ends (the key's destructor). */
static EVP_MD *sha256_md;
static pthread_key_t sha256_key;
static bool sha256_keyed;

static void ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha256_keyed = pthread_key_create(&sha256_key, ctx_free) == 0;
}

/* This thread's context, made on its first digest; NULL when none can be. */
static EVP_MD_CTX *thread_ctx(void)
{
    if (!sha256_keyed) return NULL;
    EVP_MD_CTX *ctx = pthread_getspecific(sha256_key);
    if (ctx) return ctx;
    ctx = EVP_MD_CTX_new();
    if (ctx && pthread_setspecific(sha256_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

void auth_sha256(const void *p, size_t len, uint8_t digest[AUTH_DIGEST_LEN])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void)pthread_once(&once, sha256_fetch);
    EVP_MD_CTX *ctx = sha256_md ? thread_ctx() : NULL;
    if (ctx && EVP_DigestInit_ex2(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, p, len) &&
        EVP_DigestFinal_ex(ctx, digest, NULL))
        return;
    SHA256(p, len, digest); /* no context or provider: the one-shot's own lookup */
}

void auth_digest_hex(const uint8_t digest[AUTH_DIGEST_LEN], char out[AUTH_DIGEST_HEX])
{
    static const char hx[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    for (int i = 0; i < AUTH_DIGEST_LEN; i++) {
        out[2 + 2 * i] = hx[digest[i] >> 4];
        out[3 + 2 * i] = hx[digest[i] & 15];
    }
    out[AUTH_DIGEST_HEX - 1] = '\0';
}

/* Deliberately simple (no quoted local parts, no IP literals): what a
 * registration form needs, not all of RFC 5321. */
bool auth_email_normalize(const char *in, size_t len, char out[AUTH_EMAIL_MAX + 1])
{
    const char *at = memchr(in, '@', len);
    if (len > AUTH_EMAIL_MAX || !at || memchr(at + 1, '@', len - (size_t)(at - in) - 1))
        return false;
    size_t local = (size_t)(at - in), dom = len - local - 1;
    const char *d = at + 1;
    if (local == 0 || local > 64 || dom < 3 || d[0] == '.' || d[dom - 1] == '.' ||
        !memchr(d, '.', dom))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c == 0x7f || c == ',' || c == ';' || c == '<' || c == '>' || c == '"')
            return false;
        if (i > local && c == '.' && in[i - 1] == '.') return false;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[len] = '\0';
    return true;
}
