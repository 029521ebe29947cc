/* test_wsframe.c — libkhnet's I/O-free WebSocket client framing against
 * RFC 6455's own examples (section 5.7), the protocol's rules for what a
 * server may send a client, and an independent computation of the
 * handshake's accept value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "../../client-lib/src/khnet_int.h"

static long parse(const uint8_t *b, size_t n, khnet__wsframe *f, const char **why)
{
    return khnet__ws_parse(b, n, 1 << 20, f, why);
}

static void rfc_examples(void **s)
{
    (void)s;
    khnet__wsframe f;
    const char *why = NULL;
    static const uint8_t hello[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    assert_int_equal(parse(hello, sizeof hello, &f, &why), 7);
    assert_true(f.fin);
    assert_int_equal(f.opcode, 1);
    assert_int_equal(f.len, 5);
    assert_memory_equal(f.payload, "Hello", 5);
    /* a fragmented text message: "Hel" then "lo" */
    static const uint8_t frag[] = {0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02, 'l', 'o'};
    assert_int_equal(parse(frag, sizeof frag, &f, &why), 5);
    assert_false(f.fin);
    assert_int_equal(f.opcode, 1);
    assert_int_equal(parse(frag + 5, 4, &f, &why), 4);
    assert_true(f.fin);
    assert_int_equal(f.opcode, 0);
    /* an unmasked ping */
    static const uint8_t ping[] = {0x89, 0x05, 'H', 'e', 'l', 'l', 'o'};
    assert_int_equal(parse(ping, sizeof ping, &f, &why), 7);
    assert_int_equal(f.opcode, 9);
    /* 256 bytes (16-bit length) and 65536 bytes (64-bit length) */
    static uint8_t big[10 + 65536];
    big[0] = 0x82;
    big[1] = 126;
    big[2] = 0x01;
    big[3] = 0x00;
    assert_int_equal(parse(big, 4 + 256, &f, &why), 4 + 256);
    assert_int_equal(f.len, 256);
    memset(big, 0, 10);
    big[0] = 0x82;
    big[1] = 127;
    big[7] = 0x01; /* 0x0000000000010000 */
    assert_int_equal(parse(big, sizeof big, &f, &why), (long)sizeof big);
    assert_int_equal(f.len, 65536);
}

static void needs_more_at_every_prefix(void **s)
{
    (void)s;
    static uint8_t b[4 + 300];
    b[0] = 0x82;
    b[1] = 126;
    b[2] = 0x01;
    b[3] = 0x2c; /* 300 */
    khnet__wsframe f;
    const char *why = NULL;
    for (size_t n = 0; n < sizeof b; n++)
        assert_int_equal(parse(b, n, &f, &why), 0);
    assert_int_equal(parse(b, sizeof b, &f, &why), (long)sizeof b);
}

static void protocol_violations(void **s)
{
    (void)s;
    khnet__wsframe f;
    const char *why;
    static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                     0x7f, 0x9f, 0x4d, 0x51, 0x58}; /* RFC's masked "Hello" */
    static const uint8_t rsv[] = {0xc1, 0x00};
    static const uint8_t opcode3[] = {0x83, 0x00};
    static const uint8_t frag_ping[] = {0x09, 0x00};
    static const uint8_t long_ping[] = {0x89, 126, 0x00, 0x7e};
    const uint8_t *bad[] = {masked, rsv, opcode3, frag_ping, long_ping};
    size_t len[] = {sizeof masked, sizeof rsv, sizeof opcode3, sizeof frag_ping, sizeof long_ping};
    for (size_t i = 0; i < 5; i++) {
        why = NULL;
        assert_int_equal(parse(bad[i], len[i], &f, &why), -1);
        assert_non_null(why);
    }
    static const uint8_t over[] = {0x82, 126, 0x10, 0x00}; /* 4096 > max 1024 */
    why = NULL;
    assert_int_equal(khnet__ws_parse(over, sizeof over, 1024, &f, &why), -1);
    assert_non_null(why);
}

/* Builds a frame, then reads it back as a server would: mask bit, length
 * form, and the unmasked payload. */
static void client_frames(void **s)
{
    (void)s;
    static uint8_t payload[70000];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    const size_t sizes[] = {0, 125, 126, 65535, 65536, sizeof payload};
    for (size_t k = 0; k < 6; k++) {
        kp_buf b;
        kp_buf_init(&b);
        assert_int_equal(khnet__ws_frame(&b, 2, payload, sizes[k]), 0);
        const uint8_t *p = b.data;
        assert_int_equal(p[0], 0x82);
        assert_true(p[1] & 0x80);
        size_t hl = 2, n = p[1] & 0x7f;
        if (n == 126) {
            n = (size_t)p[2] << 8 | p[3];
            hl = 4;
        } else if (n == 127) {
            n = 0;
            for (int i = 0; i < 8; i++)
                n = n << 8 | p[2 + i];
            hl = 10;
        }
        assert_int_equal(n, sizes[k]);
        assert_int_equal(hl, sizes[k] < 126 ? 2 : sizes[k] <= 0xffff ? 4 : 10);
        assert_int_equal(b.len, hl + 4 + sizes[k]);
        const uint8_t *mask = p + hl;
        for (size_t i = 0; i < sizes[k]; i++)
            assert_int_equal(p[hl + 4 + i] ^ mask[i % 4], payload[i]);
        kp_buf_free(&b);
    }
}

static void handshake_key(void **s)
{
    (void)s;
    char key[25], accept[29];
    assert_int_equal(khnet__ws_key(key, accept), 0);
    assert_int_equal(strlen(key), 24);
    unsigned char raw[24];
    assert_int_equal(EVP_DecodeBlock(raw, (const unsigned char *)key, 24), 18); /* 16 bytes */
    char buf[64];
    snprintf(buf, sizeof buf, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)buf, strlen(buf), sha);
    char want[29];
    EVP_EncodeBlock((unsigned char *)want, sha, SHA_DIGEST_LENGTH);
    assert_string_equal(accept, want);
    char key2[25], accept2[29];
    assert_int_equal(khnet__ws_key(key2, accept2), 0);
    assert_string_not_equal(key, key2); /* fresh per connection */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_examples),        cmocka_unit_test(needs_more_at_every_prefix),
        cmocka_unit_test(protocol_violations), cmocka_unit_test(client_frames),
        cmocka_unit_test(handshake_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
