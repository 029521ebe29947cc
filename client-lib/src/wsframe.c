/* wsframe.c — the client side of RFC 6455 framing, I/O-free (like read.c).
 *
 * Parsing takes server frames out of a byte buffer; building appends masked
 * client frames (pong, close, ping) to one.  Reassembly of fragmented
 * messages and what to do with each opcode are stream.c's.  Masks and the
 * handshake key come from OpenSSL's CSPRNG: RFC 6455 10.3 wants masks an
 * intermediary cannot predict.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "khnet_int.h"

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static bool opcode_known(uint8_t op)
{
    return op <= 2 || (op >= 8 && op <= 10);
}

/* Reads the extended payload length; returns the header size or 0 if short. */
static size_t header_len(const uint8_t *buf, size_t n, uint64_t *len)
{
    uint8_t l7 = buf[1] & 0x7f;
    if (l7 < 126) {
        *len = l7;
        return 2;
    }
    size_t ext = l7 == 126 ? 2 : 8;
    if (n < 2 + ext) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < ext; i++)
        v = v << 8 | buf[2 + i];
    *len = v;
    return 2 + ext;
}

long khnet__ws_parse(const uint8_t *buf, size_t n, size_t max_len, khnet__wsframe *f,
                     const char **why)
{
    if (n < 2) return 0;
    uint8_t op = buf[0] & 0x0f;
    *why = NULL;
    if (buf[0] & 0x70)
        *why = "reserved bits set (no extension was negotiated)";
    else if (!opcode_known(op))
        *why = "reserved opcode";
    else if (buf[1] & 0x80)
        *why = "masked frame from the server";
    else if (op >= 8 && (!(buf[0] & 0x80) || (buf[1] & 0x7f) > 125))
        *why = "fragmented or oversized control frame";
    if (*why) return -1;
    uint64_t len = 0;
    size_t hl = header_len(buf, n, &len);
    if (hl == 0) return 0;
    if (len > max_len) {
        *why = "frame larger than the client accepts";
        return -1;
    }
    if (n - hl < len) return 0;
    f->fin = (buf[0] & 0x80) != 0;
    f->opcode = op;
    f->payload = buf + hl;
    f->len = (size_t)len;
    return (long)(hl + len);
}

int khnet__ws_frame(kp_buf *out, uint8_t opcode, const void *payload, size_t len)
{
    uint8_t head[14], mask[4];
    size_t hl = 2;
    if (RAND_bytes(mask, sizeof mask) != 1) return -1;
    head[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        head[1] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        head[1] = 0x80 | 126;
        head[2] = (uint8_t)(len >> 8);
        head[3] = (uint8_t)len;
        hl = 4;
    } else {
        head[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            head[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        hl = 10;
    }
    memcpy(head + hl, mask, 4);
    kp_buf_append(out, head, hl + 4);
    if (kp_buf_reserve(out, len) < 0) return -1;
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++)
        out->data[out->len + i] = p[i] ^ mask[i & 3];
    out->len += len;
    return out->oom ? -1 : 0;
}

int khnet__ws_key(char key[25], char accept[29])
{
    unsigned char raw[16], sha[SHA_DIGEST_LENGTH];
    if (RAND_bytes(raw, sizeof raw) != 1) return -1;
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof raw);
    char buf[24 + sizeof ws_guid];
    memcpy(buf, key, 24);
    memcpy(buf + 24, ws_guid, sizeof ws_guid - 1);
    SHA1((const unsigned char *)buf, 24 + sizeof ws_guid - 1, sha);
    EVP_EncodeBlock((unsigned char *)accept, sha, SHA_DIGEST_LENGTH);
    return 0;
}
