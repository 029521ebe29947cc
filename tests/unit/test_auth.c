/* test_auth.c — server/auth: scrypt hashes, tokens, e-mail rules and the
 * rate limiter, without I/O.  Small scrypt parameters keep it fast; the
 * format and checks are the same at any cost. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"

static const auth_scrypt small = {1024, 8, 1};

static void test_hash_roundtrip(void **state)
{
    (void)state;
    char h[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];
    assert_int_equal(auth_password_hash("correct horse", 13, &small, h), 0);
    assert_true(strncmp(h, "scrypt$1024$8$1$", 16) == 0);
    assert_int_equal(auth_password_verify("correct horse", 13, h), 1);
    assert_int_equal(auth_password_verify("correct hors", 12, h), 0);
    assert_int_equal(auth_password_verify("correct horsE", 13, h), 0);
    /* A fresh salt each time: same password, different hash. */
    assert_int_equal(auth_password_hash("correct horse", 13, &small, h2), 0);
    assert_string_not_equal(h, h2);
    assert_int_equal(auth_password_verify("correct horse", 13, h2), 1);
}

static void test_hash_params_travel(void **state)
{
    (void)state;
    char h[AUTH_HASH_MAX];
    const auth_scrypt other = {2048, 4, 2};
    assert_int_equal(auth_password_hash("mật khẩu dài", strlen("mật khẩu dài"), &other, h), 0);
    assert_true(strncmp(h, "scrypt$2048$4$2$", 16) == 0);
    assert_int_equal(auth_password_verify("mật khẩu dài", strlen("mật khẩu dài"), h), 1);
}

static void test_hash_bad(void **state)
{
    (void)state;
    char h[AUTH_HASH_MAX];
    const auth_scrypt notpow2 = {1000, 8, 1};
    assert_int_equal(auth_password_hash("x", 1, &notpow2, h), -1);
    assert_int_equal(auth_password_verify("x", 1, NULL), -1);
    assert_int_equal(auth_password_verify("x", 1, ""), -1);
    assert_int_equal(auth_password_verify("x", 1, "bcrypt$10$abc"), -1);
    assert_int_equal(auth_password_verify("x", 1, "scrypt$1024$8$1$AAAA$AAAA"), -1);
    assert_int_equal(auth_password_verify("x", 1,
                                          "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
                                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                     -1);
    /* A valid hash with one key character changed no longer matches. */
    assert_int_equal(auth_password_hash("password12", 10, &small, h), 0);
    size_t n = strlen(h);
    h[n - 3] = h[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(auth_password_verify("password12", 10, h), 0);
}

static void test_tokens(void **state)
{
    (void)state;
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
    uint8_t d1[AUTH_DIGEST_LEN], d2[AUTH_DIGEST_LEN], d3[AUTH_DIGEST_LEN];
    assert_int_equal(auth_token_new(t1, d1), 0);
    assert_int_equal(auth_token_new(t2, d2), 0);
    assert_int_equal(strlen(t1), AUTH_TOKEN_LEN);
    assert_string_not_equal(t1, t2);
    assert_int_equal(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     AUTH_TOKEN_LEN);
    assert_int_equal(auth_token_digest(t1, AUTH_TOKEN_LEN, d3), 0);
    assert_memory_equal(d1, d3, AUTH_DIGEST_LEN);
    assert_memory_not_equal(d1, d2, AUTH_DIGEST_LEN);
    assert_int_equal(auth_token_digest(t1, AUTH_TOKEN_LEN - 1, d3), -1);
    /* the same token again (the thread's last), another, then the first */
    assert_int_equal(auth_token_digest(t1, AUTH_TOKEN_LEN, d3), 0);
    assert_memory_equal(d1, d3, AUTH_DIGEST_LEN);
    assert_int_equal(auth_token_digest(t2, AUTH_TOKEN_LEN, d3), 0);
    assert_memory_equal(d2, d3, AUTH_DIGEST_LEN);
    assert_int_equal(auth_token_digest(t1, AUTH_TOKEN_LEN, d3), 0);
    assert_memory_equal(d1, d3, AUTH_DIGEST_LEN);
    t1[5] = '+'; /* one character off the last token: checked, refused */
    assert_int_equal(auth_token_digest(t1, AUTH_TOKEN_LEN, d3), -1);
    char hex[AUTH_DIGEST_HEX];
    auth_sha256("abc", 3, d3);
    auth_digest_hex(d3, hex);
    assert_string_equal(hex, "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* the thread's context reused: each digest starts afresh */
    auth_sha256("", 0, d3);
    auth_digest_hex(d3, hex);
    assert_string_equal(hex, "\\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    auth_sha256("abc", 3, d3);
    auth_digest_hex(d3, hex);
    assert_string_equal(hex, "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_email(void **state)
{
    (void)state;
    char out[AUTH_EMAIL_MAX + 1];
    const char *good = "Thu.Nguyen+khnet@Example.ORG";
    assert_true(auth_email_normalize(good, strlen(good), out));
    assert_string_equal(out, "thu.nguyen+khnet@example.org");
    const char *bad[] = {"",
                         "plain",
                         "@example.org",
                         "a@",
                         "a@b",
                         "a@.org",
                         "a@org.",
                         "a b@example.org",
                         "a@@example.org",
                         "a@b@example.org",
                         "a@exa..mple.org",
                         "a@example.org\n",
                         "<a@example.org>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(auth_email_normalize(bad[i], strlen(bad[i]), out));
    char longer[300];
    memset(longer, 'a', sizeof longer);
    memcpy(longer + 64, "@", 1); /* local part of 64 is fine ... */
    memcpy(longer + 300 - 4, ".org", 4);
    assert_false(auth_email_normalize(longer, 255, out)); /* ... but 255 in all is not */
    memcpy(longer + 254 - 4, ".org", 4);
    assert_true(auth_email_normalize(longer, 254, out));
    memset(longer, 'a', 65);
    memcpy(longer + 65, "@example.org", 12);
    assert_false(auth_email_normalize(longer, 77, out)); /* local part of 65 */
}

static void test_ratelimit(void **state)
{
    (void)state;
    auth_rl *rl = auth_rl_new(64, 3, 60); /* 3 at once, then one a second */
    assert_non_null(rl);
    uint64_t t = 1000;
    for (int i = 0; i < 3; i++)
        assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t), 0);
    assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t), 1);
    assert_int_equal(auth_rl_take(rl, "ip:5.6.7.8", t), 0); /* keys are separate */
    assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t + 999), 1);
    assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t + 1001), 0);
    assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t + 1002), 1);
    assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t + 60000), 0); /* refilled, capped at 3 */
    assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t + 60000), 0);
    assert_int_equal(auth_rl_take(rl, "ip:1.2.3.4", t + 60000), 0);
    assert_int_not_equal(auth_rl_take(rl, "ip:1.2.3.4", t + 60000), 0);
    /* A flood of distinct keys stays within the table. */
    char k[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof k, "email:%d", i);
        assert_int_equal(auth_rl_take(rl, k, t + 70000), 0);
    }
    auth_rl_free(rl);
    assert_null(auth_rl_new(2, 3, 60));
    assert_null(auth_rl_new(64, 0, 60));
}

static void test_ratelimit_slow_refill(void **state)
{
    (void)state;
    auth_rl *rl = auth_rl_new(16, 1, 1); /* one a minute */
    assert_int_equal(auth_rl_take(rl, "k", 0), 0);
    uint32_t wait = auth_rl_take(rl, "k", 0);
    assert_true(wait >= 59 && wait <= 61);
    auth_rl_free(rl);
}

/* Workers take from one table at once: the burst is the burst in total. */
enum { TAKERS = 4, TAKES = 2000 };
static auth_rl *shared_rl;
static int granted[TAKERS];

static void *taker(void *arg)
{
    int *n = arg;
    for (int i = 0; i < TAKES; i++)
        if (auth_rl_take(shared_rl, "ip:9.9.9.9", 5000) == 0) (*n)++;
    return NULL;
}

static void test_ratelimit_shared_by_threads(void **state)
{
    (void)state;
    shared_rl = auth_rl_new(64, 1000, 1); /* 1000 at once, no refill to speak of */
    assert_non_null(shared_rl);
    pthread_t t[TAKERS];
    for (int i = 0; i < TAKERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, taker, &granted[i]), 0);
    int total = 0;
    for (int i = 0; i < TAKERS; i++) {
        pthread_join(t[i], NULL);
        total += granted[i];
    }
    assert_int_equal(total, 1000);
    auth_rl_free(shared_rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_roundtrip),
        cmocka_unit_test(test_hash_params_travel),
        cmocka_unit_test(test_hash_bad),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_ratelimit),
        cmocka_unit_test(test_ratelimit_slow_refill),
        cmocka_unit_test(test_ratelimit_shared_by_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
